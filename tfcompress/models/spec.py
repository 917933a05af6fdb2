"""The description of a zoo model: everything needed to build it again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from tfcompress.errors import TfcError


@dataclass(frozen=True)
class ModelSpec:
    """Arguments of :func:`tfcompress.models.build_model`, as data."""

    name: str
    input_shape: tuple[int, ...]
    num_outputs: int
    task: str
    width: float = 1.0
    drop_blocks: int = 0
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_any(cls, spec: ModelSpec | Mapping[str, Any]) -> ModelSpec:
        """Accept a spec or a mapping with the same keys (e.g. a recipe table)."""
        if isinstance(spec, ModelSpec):
            return spec
        if not isinstance(spec, Mapping):
            raise TfcError(f"model spec must be a mapping, got {type(spec).__name__}",
                           "pass name, input_shape, num_outputs and task")
        missing = [k for k in ("name", "input_shape", "num_outputs", "task") if k not in spec]
        if missing:
            raise TfcError(f"model spec is missing {', '.join(missing)}",
                           "give name, input_shape, num_outputs and task")
        known = {"name", "input_shape", "num_outputs", "task", "width", "drop_blocks", "seed"}
        kwargs = {k: v for k, v in spec.items() if k in known}
        kwargs["input_shape"] = tuple(int(d) for d in kwargs["input_shape"])
        extra = {k: v for k, v in spec.items() if k not in known}
        return cls(**kwargs, extra=extra)

    def replace(self, **changes: Any) -> ModelSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict."""
        d = asdict(self)
        d["input_shape"] = list(self.input_shape)
        if not d["extra"]:
            del d["extra"]
        return d

    def build(self):  # -> tf_keras.Model
        """Build the model this spec describes."""
        from tfcompress.models.registry import build_model

        return build_model(self.name, self.input_shape, self.num_outputs, self.task,
                           width=self.width, drop_blocks=self.drop_blocks, seed=self.seed)
