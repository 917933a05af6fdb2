"""Helpers every lowering uses: type checks that name the op, its tensor and the fix."""

from __future__ import annotations

from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.errors import TfcError

#: most dimensions the N-D kernels (broadcasting, MEAN, PAD) handle
MAX_DIMS = 5


def out_name(g: Graph, op: Op) -> str:
    """The name of an op's first output (how errors identify the op)."""
    return g.t(op.outputs[0]).name if op.outputs else "?"


def require_int8(g: Graph, op: Op, tensors: list[Tensor]) -> None:
    """Raise a TfcError naming the op and tensor unless every tensor is int8."""
    for t in tensors:
        if t.dtype != "int8":
            raise TfcError(f"{op.name} '{g.t(op.outputs[0]).name}': tensor '{t.name}' is {t.dtype}; "
                           "this kernel supports int8", "convert with --mode int8 (full integer quantisation)")
