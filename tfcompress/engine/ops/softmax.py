"""The softmax family and normalisation: SOFTMAX (int8 -> int8, int8 -> int16, int16 -> int16),
LOG_SOFTMAX (int8), L2_NORMALIZATION (int8).

The int8 kernels use TFLM's gemmlowp fixed-point exp / log / reciprocal / inverse square root
(``tfc_fixedpoint.h``); the int16 SOFTMAX interpolates in TFLM's two 513-entry tables (exp on
[-10, 0] and 1/(1+x) on [0, 1]), which do not depend on the model: :func:`softmax16_luts`
computes them exactly as TFLM's prepare does (float32 LUTPopulate) and they are compiled into
``softmax_s16.c`` (a test keeps the two equal).
"""

from __future__ import annotations

import math

import numpy as np

from tfcompress.engine.ir import Graph, Op
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import MAX_DIMS, out_name
from tfcompress.engine.ops.float_tables import libm_f32, lut_populate_int16
from tfcompress.engine.quant import quantize_multiplier, quantize_multiplier_gt_one
from tfcompress.errors import TfcError

_SCALED_DIFF_INT_BITS = 5


def softmax_scaling(beta: float, input_scale: float) -> tuple[int, int]:
    """TFLite's PreprocessSoftmaxScaling for a Q5.26 scaled difference: (multiplier, left shift)."""
    real = min(beta * input_scale * (1 << (31 - _SCALED_DIFF_INT_BITS)), float((1 << 31) - 1))
    return quantize_multiplier_gt_one(real)


def input_radius(left_shift: int, int_bits: int = _SCALED_DIFF_INT_BITS) -> int:
    """TFLite's CalculateInputRadius (31 total bits)."""
    return math.floor(((1 << int_bits) - 1) * (1 << (31 - int_bits)) / (1 << left_shift))


def _rows(x_shape: tuple[int, ...]) -> tuple[int, int]:
    depth = x_shape[-1] if x_shape else 1
    return int(np.prod(x_shape[:-1])) if len(x_shape) > 1 else 1, depth


def lower_softmax(g: Graph, op: Op) -> LoweredOp:
    """SOFTMAX along the last axis: int8 -> int8 (scale 1/256, zero point -128), int8 -> int16
    (scale 1/65536, zero point -32768) or int16 -> int16 (zero points 0, scale 1/32768)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    beta = float(op.options.get("beta", 1.0))
    outer, depth = _rows(x.shape)
    if x.dtype == "int16" and y.dtype == "int16":
        if x.zero_point != 0 or y.zero_point != 0 or abs(y.scale * 32768 - 1) > 1e-3:
            raise TfcError(f"SOFTMAX '{y.name}': int16 softmax needs zero points 0 and output scale 1/32768",
                           "re-convert with int16x8 (the converter fixes the softmax output range)")
        mult, shift = quantize_multiplier(float(np.float32(x.scale)) * float(np.float32(beta)) / (10.0 / 65535.0))
        fields = dict(outer=outer, depth=depth, input_mult=mult, input_left_shift=shift, diff_min=0)
        return LoweredOp(op, "tfc_softmax_s16", "tfc_softmax_params", fields, [x.index], [y.index],
                         overlap={x.index: 0}, in_ctypes=("int16_t",), out_ctype="int16_t")
    if x.dtype != "int8" or y.dtype not in ("int8", "int16"):
        raise TfcError(f"SOFTMAX '{y.name}': {x.dtype} -> {y.dtype} is not supported",
                       "use int8 -> int8, int8 -> int16 or int16 -> int16 (int8 or int16x8 conversion)")
    if y.dtype == "int8" and (abs(y.scale - 1.0 / 256) > 1e-9 or y.zero_point != -128):
        raise TfcError(f"SOFTMAX '{y.name}': output quantisation must be scale 1/256, zero point -128",
                       "re-convert with the TFLite converter (it fixes the softmax output range)")
    if y.dtype == "int16" and (abs(y.scale * 65536 - 1) > 1e-3 or y.zero_point != -32768):
        raise TfcError(f"SOFTMAX '{y.name}': int16 output quantisation must be scale 1/65536, zero point -32768",
                       "re-convert with the TFLite converter (it fixes the softmax output range)")
    mult, left = softmax_scaling(beta, x.scale)
    fields = dict(outer=outer, depth=depth, input_mult=mult, input_left_shift=left, diff_min=-input_radius(left))
    if y.dtype == "int16":
        return LoweredOp(op, "tfc_softmax_s8_s16", "tfc_softmax_params", fields, [x.index], [y.index],
                         overlap={x.index: -x.elements}, out_ctype="int16_t")
    return LoweredOp(op, "tfc_softmax_s8", "tfc_softmax_params", fields, [x.index], [y.index],
                     overlap={x.index: 0})


def lower_log_softmax(g: Graph, op: Op) -> LoweredOp:
    """LOG_SOFTMAX int8 -> int8 (output scale 16/256, zero point 127) along the last axis: TFLM's
    fixed-point exp, log and reverse scaling."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        raise TfcError(f"LOG_SOFTMAX '{y.name}': {x.dtype} -> {y.dtype} is not supported", "convert with int8")
    if np.float32(y.scale) != np.float32(16.0 / 256) or y.zero_point != 127:
        raise TfcError(f"LOG_SOFTMAX '{y.name}': output quantisation must be scale 16/256, zero point 127",
                       "re-convert with the TFLite converter (it fixes the log-softmax output range)")
    mult, left = softmax_scaling(1.0, x.scale)
    # TFLite's PreprocessLogSoftmaxScalingExp: the inverse of the input scaling, as a multiplier
    # below one (1 << (31 - left) is an int expression in TFLite: it wraps for left == 0)
    num = (1 << (31 - left)) if left > 0 else -(1 << 31)
    rev_mult, rev_shift = quantize_multiplier(num / float(mult))
    if rev_shift > 0 or rev_mult <= 0:
        raise TfcError(f"LOG_SOFTMAX '{y.name}': input scale {x.scale} is out of range", "re-quantise the model")
    outer, depth = _rows(x.shape)
    fields = dict(outer=outer, depth=depth, input_mult=mult, input_left_shift=left, diff_min=-input_radius(left),
                  reverse_mult=rev_mult, reverse_shift=rev_shift)
    return LoweredOp(op, "tfc_log_softmax_s8", "tfc_log_softmax_params", fields, [x.index], [y.index],
                     overlap={x.index: 0})


def lower_l2_normalization(g: Graph, op: Op) -> LoweredOp:
    """L2_NORMALIZATION int8 along the last axis: (x - zp) / sqrt(sum (x - zp)^2) in 1/128 units
    (TFLM assumes output scale 1/128, zero point 0 and does not check it; neither does this)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        raise TfcError(f"L2_NORMALIZATION '{y.name}': {x.dtype} -> {y.dtype} is not supported", "convert with int8")
    if int(op.options.get("fused_activation_function", 0)) != 0:
        raise TfcError(f"L2_NORMALIZATION '{out_name(g, op)}' has a fused activation (TFLM supports none)",
                       "remove the activation")
    if len(x.shape) > MAX_DIMS - 1:
        raise TfcError(f"L2_NORMALIZATION '{y.name}' has {len(x.shape)} dimensions (TFLM: at most 4)",
                       "reshape first")
    outer, depth = _rows(x.shape)
    fields = dict(outer=outer, depth=depth, in_zp=x.zero_point)
    return LoweredOp(op, "tfc_l2norm_s8", "tfc_l2norm_params", fields, [x.index], [y.index], overlap={x.index: 0})


# ---- the int16 softmax tables ------------------------------------------------------------------

def softmax16_luts() -> tuple[np.ndarray, np.ndarray]:
    """TFLM's int16 softmax tables: exp(x) on [-10, 0] and 1 / (1 + x) on [0, 1], both to [-1, 1]
    (Q0.15), 513 entries each."""
    f = np.float32
    span = 65535
    exp_lut = lut_populate_int16(f(f(10.0) / f(span)), 32767, f(f(2.0) / f(span)), 0,
                                 lambda v: libm_f32("expf", v))
    recip_lut = lut_populate_int16(f(f(1.0) / f(span)), -32768, f(f(2.0) / f(span)), 0,
                                   lambda v: f(f(1.0) / f(f(1.0) + v)))
    return exp_lut, recip_lut

