"""Graph IR of a quantised .tflite model: tensors, ops, topological order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: element dtype name -> (numpy dtype, bytes, TFC_DTYPE_* code or 0)
DTYPES: dict[str, tuple[Any, int, int]] = {
    "int8": (np.int8, 1, 1),
    "int16": (np.int16, 2, 2),
    "float32": (np.float32, 4, 3),
    "int32": (np.int32, 4, 0),
    "int64": (np.int64, 8, 0),
    "uint8": (np.uint8, 1, 0),
}


@dataclass
class Tensor:
    """One tensor: shape, dtype, quantisation and (for constants) its data."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scales: list[float] = field(default_factory=list)
    zero_points: list[int] = field(default_factory=list)
    quantized_dimension: int = 0
    data: np.ndarray | None = None

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def elements(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.elements * DTYPES[self.dtype][1]

    @property
    def scale(self) -> float:
        return float(self.scales[0]) if self.scales else 0.0

    @property
    def zero_point(self) -> int:
        return int(self.zero_points[0]) if self.zero_points else 0

    @property
    def per_channel(self) -> bool:
        return len(self.scales) > 1

    def quant_dict(self) -> dict[str, Any]:
        """Quantisation parameters as a JSON-friendly dict."""
        if len(self.scales) <= 1:
            return {"scale": self.scale, "zero_point": self.zero_point}
        return {
            "scales": [float(s) for s in self.scales],
            "zero_points": [int(z) for z in self.zero_points],
            "quantized_dimension": self.quantized_dimension,
        }


@dataclass
class Op:
    """One operator: builtin name, options dict, input/output tensor indices."""

    index: int
    name: str
    options: dict[str, Any]
    inputs: list[int]
    outputs: list[int]


@dataclass
class Graph:
    """A single-subgraph model in topological (execution) order."""

    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    model_hash: str

    def t(self, index: int) -> Tensor:
        return self.tensors[index]
