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
        raise TfcError(f"{op.name} '{y.name}': input {list(x.shape)} has {x.elements} elements, the stored output "
                       f"shape {list(y.shape)} has {y.elements}{_dynamic_hint(g, op)}",
                       "re-export the model with fixed shapes (a Keras Input with batch_size=1, or a concrete "
                       "function of fixed input shape)")
    return LoweredOp(op, "tfc_copy_bytes", None, {}, [x.index], [y.index], alias=True,
                     in_ctypes=("void",), out_ctype="void", extra_args=(str(x.nbytes),))


def _dynamic_hint(g: Graph, op: Op) -> str:
    """Why the sizes disagree when a folded shape operand says otherwise: the converter stored a
    placeholder for a dynamic dimension (TFLite resizes at run time; TFLite Micro rejects it too)."""
    if op.name != "RESHAPE" or len(op.inputs) < 2 or op.inputs[1] < 0 or not g.t(op.inputs[1]).is_const:
        return ""
    wanted = [int(v) for v in g.t(op.inputs[1]).data.reshape(-1)]
    return (f"; the shape operand asks for {wanted}: the stored shape is a placeholder for a dynamic "
            "dimension, which TFLite resizes at run time and TFLite Micro cannot prepare either")
