"""Lowering of SOFTMAX (int8 -> int8)."""

from __future__ import annotations

import math

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import require_int8
from tfcompress.engine.quant import quantize_multiplier_gt_one
from tfcompress.errors import TfcError


def lower_softmax(g: Graph, op: Op) -> LoweredOp:
    """SOFTMAX int8 -> int8 (output scale 1/256, zero point -128) along the last axis."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int8(g, op, [x, y])
    if abs(y.scale - 1.0 / 256) > 1e-9 or y.zero_point != -128:
        raise TfcError(f"SOFTMAX '{y.name}': output quantisation must be scale 1/256, zero point -128",
                       "re-convert with the TFLite converter (it fixes the softmax output range)")
    beta = float(op.options.get("beta", 1.0))
    real = min(beta * x.scale * (1 << (31 - 5)), float((1 << 31) - 1))
    mult, left = quantize_multiplier_gt_one(real)
    radius = math.floor(((1 << 5) - 1) * (1 << (31 - 5)) / (1 << left))
    depth = x.shape[-1] if x.shape else 1
    fields = dict(outer=x.elements // depth, depth=depth, input_mult=mult, input_left_shift=left,
                  diff_min=-int(radius))
    return LoweredOp(op, "tfc_softmax_s8", "tfc_softmax_params", fields, [x.index], [y.index],
                     overlap={x.index: 0})
