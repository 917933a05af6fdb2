"""Lowering of data-movement ops: PAD/PADV2, CONCATENATION, RESHAPE/SQUEEZE/EXPAND_DIMS."""

from __future__ import annotations

import numpy as np

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.common import require_int8
from tfcompress.errors import TfcError


def lower_pad(g: Graph, op: Op) -> LoweredOp:
    """PAD / PADV2 with a constant: the output zero point, or PADV2's constant value."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int8(g, op, [x, y])
    pads = g.t(op.inputs[1])
    if not pads.is_const:
        raise TfcError(f"{op.name} '{y.name}': paddings must be constant", "use fixed padding")
    p = pads.data.reshape(-1, 2).astype(int)
    if len(x.shape) > 5 or p.shape[0] != len(x.shape):
        raise TfcError(f"{op.name} '{y.name}': {len(x.shape)}-D padding is not supported", "use <= 5-D")
    value = y.zero_point
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        cv = g.t(op.inputs[2])
        if not cv.is_const:
            raise TfcError(f"{op.name} '{y.name}': constant_values must be constant", "use a fixed value")
        value = int(cv.data.reshape(-1)[0])
    n = len(x.shape)
    fill = [0] * (5 - n)
    fields = dict(ndim=n, in_shape=list(x.shape) + fill, before=list(p[:, 0]) + fill,
                  after=list(p[:, 1]) + fill, pad_value=value)
    return LoweredOp(op, "tfc_pad_s8", "tfc_pad_params", fields, [x.index], [y.index])


def lower_concatenation(g: Graph, op: Op) -> LoweredOp:
    """CONCATENATION: byte copies (TFLM does not requantise int8 inputs either)."""
    y = g.t(op.outputs[0])
    xs = [g.t(i) for i in op.inputs]
    require_int8(g, op, [*xs, y])
    for t in xs:
        if t.is_const:
            raise TfcError(f"CONCATENATION '{y.name}': constant input '{t.name}' is not supported",
                           "concatenate activations only")
    axis = int(op.options.get("axis", 0))
    if axis < 0:
        axis += len(y.shape)
    if int(op.options.get("fused_activation_function", 0)):
        raise TfcError(f"CONCATENATION '{y.name}' has a fused activation", "apply the activation separately")
    outer = int(np.prod(y.shape[:axis])) if axis else 1
    chunks = np.array([int(np.prod(t.shape[axis:])) for t in xs], dtype=np.int32)
    arr = ConstArray(f"op{op.index}_chunks", chunks)
    fields = dict(n_inputs=len(xs), outer=outer, out_chunk=int(chunks.sum()), chunks=arr)
    return LoweredOp(op, "tfc_concat", "tfc_concat_params", fields, [t.index for t in xs], [y.index],
                     [arr], inputs_as_array=True)


def lower_reshape(g: Graph, op: Op) -> LoweredOp:
    """RESHAPE/SQUEEZE/EXPAND_DIMS: the output aliases the input (a copy only if the plan needs it)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.is_const:
        raise TfcError(f"{op.name} '{y.name}' reshapes a constant", "fold constants before converting")
    if x.nbytes != y.nbytes:
        raise TfcError(f"{op.name} '{y.name}': {x.nbytes} bytes in, {y.nbytes} out", "re-export the model")
    return LoweredOp(op, "tfc_copy_bytes", None, {}, [x.index], [y.index], alias=True,
                     in_ctypes=("void",), out_ctype="void", extra_args=(str(x.nbytes),))
