"""A sweep's description (a grid file or the recipe's ``[sweep]`` table), checked against the recipe.

Parameters are dotted recipe paths (``model.width``, ``train.epochs``, ``board.kernels``); a
``[[compress]]`` stage is addressed by its name (``compress.pruned.target_sparsity``). Each takes a
list of values, or (random / tpe search) a range ``{low, high, log, step}``. Every value is applied
to the recipe and the result validated by the recipe parser before any trial runs.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError
from tfcompress.recipe import parse_recipe

SEARCHES = ("grid", "random", "tpe")
#: trial quantities constraints bound from above (the objective is always the variant's metric)
COSTS = ("flash_bytes", "ram_bytes", "latency", "tflite_bytes", "gzip_bytes")
#: costs only the device step measures
DEVICE_COSTS = ("flash_bytes", "ram_bytes", "latency")
_SPEC_KEYS = ("search", "max_trials", "seed", "params", "objective", "constraints")
_RANGE_KEYS = {"low", "high", "log", "step"}
_FIXED = ("name",)  # paths a sweep may not change


@dataclass(frozen=True)
class Param:
    """One swept recipe path: a list of ``values`` or a numeric range."""

    path: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def to_dict(self) -> dict[str, Any]:
        if self.is_range:
            return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}
        return {"values": list(self.values)}


@dataclass(frozen=True)
class ConstraintSet:
    """Upper bounds on trial costs (``flash_bytes <= 65536``, ...), under a name."""

    name: str
    bounds: dict[str, float]

    def allows(self, summary: dict[str, Any]) -> bool:
        return all(summary.get(k) is not None and summary[k] <= v for k, v in self.bounds.items())


@dataclass(frozen=True)
class SweepSpec:
    params: tuple[Param, ...]
    search: str = "grid"
    max_trials: int | None = None
    seed: int = 0
    #: the variant whose numbers a trial is judged by ("" = the recipe's last variant)
    variant: str = ""
    constraints: tuple[ConstraintSet, ...] = field(default_factory=tuple)

    def identity(self) -> dict[str, Any]:
        """What makes two sweeps the same (resuming needs it equal; max_trials may grow)."""
        return {"search": self.search, "seed": self.seed, "params": {p.path: p.to_dict() for p in self.params}}

    def to_dict(self) -> dict[str, Any]:
        return {**self.identity(), "max_trials": self.max_trials, "variant": self.variant,
                "constraints": [{"name": c.name, **c.bounds} for c in self.constraints]}


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"compress": {"pruned": {"target_sparsity": [...]}}}`` -> ``{"compress.pruned.target_sparsity": [...]}``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not (set(value) & {"low", "high"}):
            out.update(_flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def _param(path: str, raw: Any) -> Param:
    where = f"sweep parameter '{path}'"
    if isinstance(raw, list):
        if not raw:
            raise TfcError(f"{where} has no values", f"give a list, e.g. {path} = [0.5, 0.7]")
        return Param(path, values=tuple(raw))
    if isinstance(raw, dict):
        extra = set(raw) - _RANGE_KEYS
        if extra or "low" not in raw or "high" not in raw:
            raise TfcError(f"{where} is not a range", "write {low = ..., high = ..., log = false, step = ...}")
        low, high = raw["low"], raw["high"]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)) or low > high:
            raise TfcError(f"{where} has a bad range {low!r}..{high!r}", "need numbers with low <= high")
        return Param(path, low=low, high=high, log=bool(raw.get("log", False)), step=raw.get("step"))
    raise TfcError(f"{where} must be a list of values or a range, got {raw!r}", f"e.g. {path} = [8, 16, 32]")


def parse_spec(data: dict[str, Any], where: str) -> SweepSpec:
    """A :class:`SweepSpec` from a grid file's contents (a ``[sweep]`` table or its keys at top level)."""
    table = data.get("sweep", data)
    if not isinstance(table, dict):
        raise TfcError(f"{where}: 'sweep' must be a table", "write it as [sweep]")
    for key in table:
        if key not in _SPEC_KEYS:
            raise TfcError(f"{where}: unknown sweep key '{key}'", f"allowed keys: {', '.join(_SPEC_KEYS)}")
    search = table.get("search", "grid")
    if search not in SEARCHES:
        raise TfcError(f"{where}: unknown search '{search}'", f"choose one of: {', '.join(SEARCHES)}")
    raw_params = table.get("params")
    if not isinstance(raw_params, dict) or not raw_params:
        raise TfcError(f"{where} has no parameters to sweep",
                       'add [sweep.params] with e.g. "compress.pruned.target_sparsity" = [0.5, 0.7]')
    params = tuple(_param(p, v) for p, v in _flatten(raw_params).items())
    ranged = [p.path for p in params if p.is_range]
    if ranged and search == "grid":
        raise TfcError(f"{where}: a grid needs lists of values, '{ranged[0]}' is a range",
                       'use search = "random" or "tpe", or list the values')
    max_trials = table.get("max_trials")
    if max_trials is not None and (not isinstance(max_trials, int) or max_trials < 1):
        raise TfcError(f"{where}: max_trials must be a positive integer", "e.g. max_trials = 20")
    objective = table.get("objective", {})
    if not isinstance(objective, dict) or set(objective) - {"variant"}:
        raise TfcError(f"{where}: [sweep.objective] takes only 'variant'",
                       'e.g. variant = "clustered-int8" (its metric is optimised)')
    raw_sets = table.get("constraints", [])
    raw_sets = [raw_sets] if isinstance(raw_sets, dict) else raw_sets
    sets = []
    for i, cs in enumerate(raw_sets):
        bounds = {k: v for k, v in cs.items() if k != "name"}
        for k, v in bounds.items():
            if k not in COSTS or not isinstance(v, int | float) or isinstance(v, bool):
                raise TfcError(f"{where}: bad constraint '{k} = {v!r}'",
                               f"bound one of {', '.join(COSTS)} from above with a number, e.g. flash_bytes = 65536")
        sets.append(ConstraintSet(str(cs.get("name", f"set {i + 1}")), bounds))
    return SweepSpec(params=params, search=search, max_trials=max_trials, seed=int(table.get("seed", 0)),
                     variant=str(objective.get("variant", "")), constraints=tuple(sets))


def load_spec(grid: Path | None, recipe_data: dict[str, Any], recipe_where: str) -> SweepSpec:
    """The sweep from ``grid`` (a TOML file), else from the recipe's ``[sweep]`` table."""
    if grid is not None:
        try:
            return parse_spec(tomllib.loads(Path(grid).read_text()), str(grid))
        except FileNotFoundError:
            raise TfcError(f"grid file '{grid}' not found", "give the path of a TOML file with [sweep.params]") from None
        except tomllib.TOMLDecodeError as err:
            raise TfcError(f"grid file '{grid}' is not valid TOML: {err}", "fix the syntax at that line") from None
    if "sweep" not in recipe_data:
        raise TfcError(f"recipe '{recipe_where}' has no [sweep] table", "add one, or pass --grid GRID.toml")
    return parse_spec(recipe_data, recipe_where)


def apply(recipe_data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of the recipe dict (without ``[sweep]``) with each dotted path set to its value."""
    data = copy.deepcopy(recipe_data)
    data.pop("sweep", None)
    for path, value in values.items():
        parts = path.split(".")
        if path in _FIXED or parts[0] == "compress" and parts[-1] == "name":
            raise TfcError(f"sweep parameter '{path}' cannot be swept", "names pick folders; sweep other keys")
        node: Any = data
        if parts[0] == "compress":
            stages = data.get("compress", [])
            names = [s.get("name", s.get("method")) for s in stages if isinstance(s, dict)]
            if len(parts) != 3 or parts[1] not in names:
                raise TfcError(f"sweep parameter '{path}' names no [[compress]] stage of the recipe",
                               f"write compress.<stage>.<key>; stages: {', '.join(names) or '(none)'}")
            node, parts = stages[names.index(parts[1])], parts[2:]
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise TfcError(f"sweep parameter '{path}': '{part}' is a value, not a table", "fix the path")
            node = nxt
        if isinstance(node.get(parts[-1]), dict):
            raise TfcError(f"sweep parameter '{path}' is a table, not a key", f"name one of its keys, e.g. {path}.KEY")
        node[parts[-1]] = value
    return data


def validate(spec: SweepSpec, recipe_data: dict[str, Any]) -> None:
    """Apply every value (each range's ends) to the recipe and parse it: bad paths or values fail now."""
    for p in spec.params:
        for value in (p.low, p.high) if p.is_range else p.values:
            try:
                parse_recipe(apply(recipe_data, {p.path: value}))
            except TfcError as err:
                if err.what.startswith("sweep parameter"):
                    raise
                raise TfcError(f"sweep parameter '{p.path}' = {value!r}: {err.what}", err.fix) from None
