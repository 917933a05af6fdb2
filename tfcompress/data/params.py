"""Typed, validated parameters of dataset sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tfcompress.errors import TfcError


@dataclass(frozen=True)
class ParamSpec:
    """One parameter a dataset source accepts."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description (for ``tfcompress datasets --json``)."""
        out: dict[str, Any] = {"type": self.type.__name__, "default": self.default, "help": self.help}
        if self.choices is not None:
            out["choices"] = list(self.choices)
        return out


def _coerce(spec: ParamSpec, value: Any, source: str) -> Any:
    """Convert ``value`` to the spec's type or raise a TfcError naming the parameter."""
    bad = TfcError(
        f"dataset '{source}': parameter '{spec.name}' = {value!r} is not a valid {spec.type.__name__}",
        f"{spec.name}: {spec.help}",
    )
    if value is None:
        return None
    try:
        if spec.type is bool:
            if isinstance(value, str):
                low = value.strip().lower()
                if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise bad
                out: Any = low in ("1", "true", "yes", "on")
            elif isinstance(value, (bool, int)) and value in (0, 1):
                out = bool(value)
            else:
                raise bad
        elif spec.type is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise bad
            out = int(value)
        elif spec.type is float:
            if isinstance(value, bool):
                raise bad
            out = float(value)
        else:
            out = spec.type(value)
    except (TypeError, ValueError) as err:
        raise bad from err
    if spec.choices is not None and out not in spec.choices:
        raise TfcError(
            f"dataset '{source}': parameter '{spec.name}' = {value!r} is not allowed",
            "choose one of: " + ", ".join(str(c) for c in spec.choices),
        )
    if spec.minimum is not None and out < spec.minimum:
        raise TfcError(
            f"dataset '{source}': parameter '{spec.name}' = {value!r} is below {spec.minimum}",
            f"use a value ≥ {spec.minimum}",
        )
    if spec.maximum is not None and out > spec.maximum:
        raise TfcError(
            f"dataset '{source}': parameter '{spec.name}' = {value!r} is above {spec.maximum}",
            f"use a value ≤ {spec.maximum}",
        )
    return out


def resolve_params(source: str, specs: Sequence[ParamSpec], given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``given`` against ``specs`` and fill in defaults.

    Unknown names raise a TfcError naming the parameter and the allowed ones.
    """
    by_name = {s.name: s for s in specs}
    for name in given:
        if name not in by_name:
            allowed = ", ".join(sorted(by_name)) or "(none)"
            raise TfcError(
                f"unknown parameter '{name}' for dataset source '{source}'",
                f"allowed parameters: {allowed}",
            )
    out: dict[str, Any] = {}
    for spec in specs:
        out[spec.name] = _coerce(spec, given[spec.name], source) if spec.name in given else spec.default
    return out
