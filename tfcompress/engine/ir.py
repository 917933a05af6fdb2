"""Graph IR of a quantised .tflite model: tensors, ops, topological order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: element dtype name -> (numpy dtype, bytes, TFC_DTYPE_* code of the generated API; 0: not an I/O type)
DTYPES: dict[str, tuple[Any, int, int]] = {
    "int8": (np.int8, 1, 1),
    "int16": (np.int16, 2, 2),
    "float32": (np.float32, 4, 3),
    "uint8": (np.uint8, 1, 4),
    "int32": (np.int32, 4, 5),
    "int64": (np.int64, 8, 6),
    "bool": (np.bool_, 1, 7),
    "float16": (np.float16, 2, 0),
    "uint16": (np.uint16, 2, 0),
    "uint32": (np.uint32, 4, 0),
    "float64": (np.float64, 8, 0),
    "resource": (np.int32, 4, 0),  # a resource variable handle (VAR_HANDLE): no storage of its own
}

#: dtype name of each TFC_DTYPE_* code (the generated model.h and the harness protocol)
DTYPE_CODES: dict[int, str] = {code: name for name, (_, _, code) in DTYPES.items() if code}


def element_size(dtype: str) -> int:
    """Bytes per element of ``dtype``."""
    return DTYPES[dtype][1]


def numpy_dtype(dtype: str) -> Any:
    """The numpy dtype of ``dtype``."""
    return DTYPES[dtype][0]


@dataclass
class Tensor:
    """One tensor: shape, dtype, quantisation and (for constants) its data.

    ``is_variable``: a variable tensor (TFLite's persistent state, e.g. SVDF/LSTM state);
    ``resource``: for resource tensors (VAR_HANDLE outputs), the resource variable's id."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scales: list[float] = field(default_factory=list)
    zero_points: list[int] = field(default_factory=list)
    quantized_dimension: int = 0
    data: np.ndarray | None = None
    is_variable: bool = False
    resource: int | None = None

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def in_arena(self) -> bool:
        """Whether the tensor lives in the activation arena (not a constant in flash, not state)."""
        return self.data is None and not self.is_variable and self.dtype != "resource"

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

    @property
    def np_dtype(self) -> Any:
        return DTYPES[self.dtype][0]

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
    """One operator: builtin name, options dict, input/output tensor indices (-1: optional input
    absent); ``intermediates``: tensors that only carry quantisation parameters (int8 LSTM gates)."""

    index: int
    name: str
    options: dict[str, Any]
    inputs: list[int]
    outputs: list[int]
    intermediates: list[int] = field(default_factory=list)


@dataclass
class Graph:
    """One subgraph in topological (execution) order; ``subgraphs`` holds every subgraph of the
    model (index 0 is the main one, the one that is compiled; others are reached through
    CALL_ONCE / control-flow ops)."""

    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    model_hash: str
    subgraphs: list[Graph] = field(default_factory=list, repr=False)

    def t(self, index: int) -> Tensor:
        return self.tensors[index]

    def producers(self) -> dict[int, Op]:
        """Tensor index -> the op that writes it."""
        return {t: op for op in self.ops for t in op.outputs}

    def consumers(self) -> dict[int, list[Op]]:
        """Tensor index -> the ops that read it (in execution order)."""
        out: dict[int, list[Op]] = {}
        for op in self.ops:
            for t in dict.fromkeys(i for i in op.inputs if i >= 0):
                out.setdefault(t, []).append(op)
        return out


class GraphIO:
    """The model's own tensors for anything that holds a ``graph`` (a compiled model, a TFLM program)."""

    graph: Graph

    @property
    def inputs(self) -> list[Tensor]:
        """The model's input tensors, in order."""
        return [self.graph.t(i) for i in self.graph.inputs]

    @property
    def outputs(self) -> list[Tensor]:
        """The model's output tensors, in order."""
        return [self.graph.t(i) for i in self.graph.outputs]

    @property
    def input(self) -> Tensor:
        """Input 0 (for single-input models)."""
        return self.inputs[0]

    @property
    def output(self) -> Tensor:
        """Output 0 (for single-output models)."""
        return self.outputs[0]
