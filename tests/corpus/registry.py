"""Corpus entries: a name, feature tags and a deterministic build() -> .tflite bytes."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: feature tags an entry may carry (documented once; tests check entries use only these)
FEATURES = {
    "int8": "int8 activations, int8 weights",
    "int16x8": "int16 activations, int8 weights (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8)",
    "float-io": "float32 model input/output (QUANTIZE/DEQUANTIZE at the edges)",
    "uint8-io": "uint8 model input and/or output",
    "multi-input": "more than one model input",
    "multi-output": "more than one model output",
    "stateful": "state carried across invocations (variable tensors or resource variables)",
    "resource-variables": "VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE / CALL_ONCE",
    "folded-shape": "shape arithmetic (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE) a compiler can fold",
    "const-operand": "a binary op with a constant tensor operand",
    "int-input": "an int32/bool model input (indices, flags)",
    "architecture": "a small real-world-like network rather than a single-op probe",
    "zoo": "too large for the committed fixtures: generated on demand into the cache",
}

FAMILIES = ("ops_nn", "ops_elementwise", "ops_shape", "ops_misc", "features", "architectures", "handmade",
            "float_islands", "handmade_detection")


@dataclass(frozen=True)
class Entry:
    """One corpus model.

    ``build`` converts it (seeded weights, seeded representative data) and returns the .tflite
    bytes. ``invocations`` is how many invocations make a meaningful sequence for a stateful model
    (1 otherwise). ``expect_ops`` must appear in the converted graph (checked by the builder).
    ``input_ranges`` optionally gives a (low, high) per model input for random test inputs
    (index inputs, positive-only float inputs); None means "the dtype's range".
    """

    name: str
    features: tuple[str, ...]
    build: Callable[[], bytes] = field(repr=False, compare=False)
    invocations: int = 1
    expect_ops: tuple[str, ...] = ()
    input_ranges: tuple[Any, ...] | None = None
    note: str = ""

    @property
    def zoo(self) -> bool:
        return "zoo" in self.features


_ENTRIES: dict[str, Entry] = {}


def add(name: str, features: tuple[str, ...] | list[str], build: Callable[[], bytes], **kw: Any) -> Entry:
    """Register an entry (used by the family modules at import)."""
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"{name}: unknown features {unknown}")
    if name in _ENTRIES:
        raise ValueError(f"duplicate corpus entry {name}")
    e = Entry(name, tuple(features), build, **kw)
    _ENTRIES[name] = e
    return e


def entries(*, zoo: bool | None = None) -> list[Entry]:
    """All entries (``zoo=False``: committed ones only, ``zoo=True``: the large ones only)."""
    for fam in FAMILIES:
        importlib.import_module(f"{__package__}.families.{fam}")
    out = list(_ENTRIES.values())
    if zoo is not None:
        out = [e for e in out if e.zoo == zoo]
    return out


def get(name: str) -> Entry:
    entries()
    return _ENTRIES[name]
