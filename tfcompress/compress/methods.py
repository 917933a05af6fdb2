"""The compression methods as one table, used by recipe stages and the ``compress`` command.

A row names the function that runs the method (``run(model, dataset, params, seed=...)
-> StageResult``), its parameter dataclass, and how a recipe stage's keys become those
parameters (renamed keys, converted values). Recipe values are validated by
:mod:`tfcompress.recipe` before they get here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from tfcompress.compress.channels import ChannelParams, channel_prune
from tfcompress.compress.cluster import ClusterParams, cluster
from tfcompress.compress.prune import PruneParams, prune
from tfcompress.compress.qat import QatParams, qat
from tfcompress.compress.result import StageResult
from tfcompress.errors import unknown
from tfcompress.recipe import parse_m_by_n


@dataclass(frozen=True)
class Method:
    """One compression method."""

    name: str
    run: Callable[..., StageResult]
    params: type
    #: recipe key -> parameter name, where they differ
    renames: Mapping[str, str] = field(default_factory=dict)
    #: parameter name -> conversion of the recipe value
    converters: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)

    def params_from(self, values: Mapping[str, Any], **defaults: Any) -> Any:
        """The parameters of a (validated) recipe stage; ``defaults`` fill parameters the stage
        leaves out (e.g. the recipe's ``batch_size``) when the method has them."""
        kw = {self.renames.get(k, k): v for k, v in values.items()}
        kw = {k: self.converters[k](v) if k in self.converters else v for k, v in kw.items()}
        names = {f.name for f in fields(self.params)}
        kw.update({k: v for k, v in defaults.items() if k in names and k not in kw})
        return self.params(**kw)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("prune", prune, PruneParams, renames={"target_sparsity": "sparsity", "structured": "m_by_n"},
               converters={"m_by_n": parse_m_by_n}),
        Method("channels", channel_prune, ChannelParams),
        Method("cluster", cluster, ClusterParams),
        Method("qat", qat, QatParams),
    )
}


def get_method(name: str) -> Method:
    """The method called ``name`` or the standard unknown-method error."""
    if name not in METHODS:
        raise unknown("compression method", name, METHODS)
    return METHODS[name]
