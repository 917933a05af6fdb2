"""Lowering of reductions: MEAN over constant axes (int8)."""

from __future__ import annotations

import math

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import MAX_DIMS, require_int8
from tfcompress.engine.quant import quantize_multiplier
from tfcompress.errors import TfcError


def lower_mean(g: Graph, op: Op) -> LoweredOp:
    """MEAN over constant axes: sum / count when quantisation is unchanged, else TFLM's
    QuantizedMeanOrSum rescaling (multiplier pre-divided by the count)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int8(g, op, [x, y])
    axes_t = g.t(op.inputs[1])
    if not axes_t.is_const:
        raise TfcError(f"MEAN '{y.name}': axes must be constant", "use fixed reduction axes")
    nd = len(x.shape)
    if nd > MAX_DIMS:
        raise TfcError(f"MEAN '{y.name}' has {nd} dimensions (max {MAX_DIMS})", "reshape first")
    axes = sorted({int(a) % nd for a in axes_t.data.reshape(-1)}) if nd else []
    strides = [int(math.prod(x.shape[d + 1:])) for d in range(nd)]
    kept = [d for d in range(nd) if d not in axes]
    count = int(math.prod(x.shape[d] for d in axes))
    if count == 0:
        raise TfcError(f"MEAN '{y.name}' reduces an empty axis", "re-export the model")
    pad = [0] * MAX_DIMS
    fields = dict(k_ndim=len(kept), k_shape=([x.shape[d] for d in kept] + pad)[:MAX_DIMS],
                  k_stride=([strides[d] for d in kept] + pad)[:MAX_DIMS], r_ndim=len(axes),
                  r_shape=([x.shape[d] for d in axes] + pad)[:MAX_DIMS],
                  r_stride=([strides[d] for d in axes] + pad)[:MAX_DIMS], count=count)
    if x.zero_point == y.zero_point and x.scale == y.scale:
        fields.update(requantize=0, in_zp=0, mult=0, shift=0, out_zp=0)
    else:
        mult, shift = quantize_multiplier(x.scale / y.scale)
        n_shift = min(count.bit_length() - 1, 32, 31 + shift)
        mult = int((mult << n_shift) // count) if n_shift >= 0 else int((mult >> -n_shift) // count)
        fields.update(requantize=1, in_zp=x.zero_point, mult=mult, shift=shift - n_shift, out_zp=y.zero_point)
    return LoweredOp(op, "tfc_mean_s8", "tfc_mean_params", fields, [x.index], [y.index])
