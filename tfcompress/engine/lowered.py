"""The result of lowering one op: a kernel call with host-precomputed constants."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfcompress.engine.ir import Op

#: numpy dtype -> C element type of const arrays
CTYPES = {np.dtype(np.int8): "int8_t", np.dtype(np.int16): "int16_t", np.dtype(np.int32): "int32_t",
          np.dtype(np.uint8): "uint8_t", np.dtype(np.int64): "int64_t", np.dtype(np.float32): "float",
          np.dtype(np.bool_): "uint8_t", np.dtype(np.uint16): "uint16_t", np.dtype(np.uint32): "uint32_t",
          np.dtype(np.float16): "uint16_t"}


@dataclass
class ConstArray:
    """A constant array emitted into flash (weights, folded bias, multipliers, LUTs)."""

    name: str
    data: np.ndarray

    @property
    def ctype(self) -> str:
        return CTYPES[self.data.dtype]

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)


@dataclass
class LoweredOp:
    """A kernel call: ``kernel(&params, inputs..., outputs...)`` (params omitted when struct is None).

    ``fields`` values are ints, lists of ints, or ``ConstArray`` references. ``overlap`` maps an
    input tensor index to the largest legal (output offset - input offset) in bytes when the op
    streams its input (the planner may then overlap the two buffers); ``alias`` marks ops whose
    output is the input reinterpreted (RESHAPE). ``scratch`` is the working memory (bytes) the
    kernel needs during the call; the planner places it in the arena (live at this op only) and
    the generator passes it in the parameter block's ``scratch`` field. Inputs may be constants
    (passed as flash arrays) or state tensors; ``-1`` is an absent optional input (NULL).
    ``inputs_as_array`` / ``outputs_as_array`` pass the tensors as one array of pointers.
    ``returns_status``: the kernel returns an int, non-zero where TFLM fails the op at run time;
    the generated ``tfc_model_run`` then returns 1 at once.
    ``parts``: the ops whose kernels a driver kernel calls (row banding, engine/banding.py): their
    kernels are linked, their parameter blocks are in ``extra_structs``.
    Control flow (IF, WHILE): ``subgraphs`` names the subgraphs the op runs (role -> index); the
    compiler lowers them into ``bodies`` (role -> ops), and ``kernel`` names the control construct.
    """

    op: Op
    kernel: str
    struct: str | None
    fields: dict[str, Any]
    inputs: list[int]
    outputs: list[int]
    arrays: list[ConstArray] = field(default_factory=list)
    overlap: dict[int, int] = field(default_factory=dict)
    alias: bool = False
    sources: tuple[str, ...] = ()
    in_ctypes: tuple[str, ...] = ("int8_t",)
    out_ctype: str = "int8_t"
    extra_args: tuple[str, ...] = ()
    pre_args: tuple[str, ...] = ()
    inputs_as_array: bool = False
    outputs_as_array: bool = False
    extra_structs: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    fused: list[Op] = field(default_factory=list)
    scratch: int = 0
    subgraphs: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, list[LoweredOp]] = field(default_factory=dict)
    touches: list[int] = field(default_factory=list)  # further tensors live during this op (subgraph I/O)
    returns_status: bool = False
    parts: list[LoweredOp] = field(default_factory=list)  # ops a driver kernel calls (row banding)

    @property
    def param_name(self) -> str:
        """C name of this op's const parameter block."""
        return f"op{self.op.index}_p"

    def walk(self) -> list[LoweredOp]:
        """This op and every op nested in its bodies (control flow), depth first."""
        out = [self]
        for body in self.bodies.values():
            for lo in body:
                out += lo.walk()
        return out

    def copy(self) -> LoweredOp:
        """A copy whose fields, arrays and overlaps can be changed without touching this op."""
        return dataclasses.replace(self, fields=dict(self.fields), arrays=list(self.arrays),
                                   overlap=dict(self.overlap), extra_structs=list(self.extra_structs),
                                   bodies={k: list(v) for k, v in self.bodies.items()})

    def array(self, key: str) -> ConstArray:
        """The constant array in parameter field ``key``."""
        arr = self.fields[key]
        if not isinstance(arr, ConstArray):
            raise TypeError(f"field {key} of op {self.op.index} is not a constant array")
        return arr

    def replace_array(self, key: str, data: np.ndarray, name: str | None = None) -> ConstArray:
        """Put ``data`` in place of the constant array in field ``key`` (same C name unless given)."""
        old = self.array(key)
        new = ConstArray(name or old.name, data)
        self.arrays = [new if a is old else a for a in self.arrays]
        self.fields[key] = new
        return new

    def drop_array(self, key: str) -> None:
        """Leave the constant array in field ``key`` out of the build (the field becomes NULL)."""
        old = self.array(key)
        self.arrays = [a for a in self.arrays if a is not old]
        self.fields[key] = 0

    def add_array(self, key: str, name: str, data: np.ndarray) -> ConstArray:
        """A new constant array ``name`` in field ``key``."""
        arr = ConstArray(name, data)
        self.arrays.append(arr)
        self.fields[key] = arr
        return arr


def readers(lowered: list[LoweredOp]) -> dict[int, list[LoweredOp]]:
    """Tensor index -> the ops of ``lowered`` that read it (each op once, in order)."""
    out: dict[int, list[LoweredOp]] = {}
    for lo in lowered:
        for t in set(lo.inputs):
            out.setdefault(t, []).append(lo)
    return out


def walk(lowered: list[LoweredOp]) -> list[LoweredOp]:
    """Every op of ``lowered`` and of the bodies nested in them (control flow)."""
    return [x for lo in lowered for x in lo.walk()]
