"""Lowering of RESHAPE/SQUEEZE/EXPAND_DIMS (aliases); the other data-movement ops are in movement.py."""

from __future__ import annotations

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.errors import TfcError


def lower_reshape(g: Graph, op: Op) -> LoweredOp:
    """RESHAPE/SQUEEZE/EXPAND_DIMS: the output aliases the input (a copy only if the plan needs it)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.is_const:
        raise TfcError(f"{op.name} '{y.name}' reshapes a constant", "fold constants before converting")
    if x.nbytes != y.nbytes:
        raise TfcError(f"{op.name} '{y.name}': {x.nbytes} bytes in, {y.nbytes} out", "re-export the model")
    return LoweredOp(op, "tfc_copy_bytes", None, {}, [x.index], [y.index], alias=True,
                     in_ctypes=("void",), out_ctype="void", extra_args=(str(x.nbytes),))
