"""Activations: element-wise int8 -> int8 ops lowered to a 256-entry table computed on the host.

Each table entry is computed with the exact integer arithmetic of the TFLM reference kernel
(:mod:`tfcompress.engine.fixedpoint`), so the device only does ``out[i] = lut[in[i] + 128]``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tfcompress.engine import fixedpoint as fp
from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.common import require_int8
from tfcompress.engine.quant import quantize_multiplier, round_away
from tfcompress.errors import TfcError

_ALL = range(-128, 128)


def _clamp8(v: int) -> int:
    return max(-128, min(127, v))


def _lut_op(g: Graph, op: Op, fn: Callable[[int], int]) -> LoweredOp:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int8(g, op, [x, y])
    table = np.array([_clamp8(fn(v)) for v in _ALL], dtype=np.int8)
    arr = ConstArray(f"op{op.index}_lut", table)
    return LoweredOp(op, "tfc_lut_s8", None, {}, [x.index], [y.index], [arr], overlap={x.index: 0},
                     extra_args=(str(x.elements),), pre_args=(arr.name,))


def _f32_div(a: float, b: float) -> float:
    return float(np.float32(a) / np.float32(b))


def lower_relu(g: Graph, op: Op) -> LoweredOp:
    """RELU: rescale input -> output with QuantizeMultiplier(s_in / s_out), clamp at zero."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    m, s = quantize_multiplier(x.scale / y.scale)
    lo = max(-128, y.zero_point + round_away(_f32_div(0.0, y.scale)))
    return _lut_op(g, op, lambda v: min(127, max(lo, y.zero_point + fp.mbqm(v - x.zero_point, m, s))))


def lower_relu6(g: Graph, op: Op) -> LoweredOp:
    """RELU6: TFLM clamps in the input's quantisation (no rescale) to [zp, q(6)]."""
    x = g.t(op.inputs[0])
    six = _clamp8(round_away(_f32_div(6.0, x.scale)) + x.zero_point)
    return _lut_op(g, op, lambda v: min(max(v, x.zero_point), six))


def lower_leaky_relu(g: Graph, op: Op) -> LoweredOp:
    """LEAKY_RELU: identity / alpha multipliers computed in float like TFLM."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    alpha = float(op.options.get("alpha", 0.2))
    ma, sa = quantize_multiplier(float(np.float32(x.scale) * np.float32(alpha) / np.float32(y.scale)))
    mi, si = quantize_multiplier(_f32_div(x.scale, y.scale))

    def fn(v: int) -> int:
        d = v - x.zero_point
        return y.zero_point + (fp.mbqm(d, mi, si) if d >= 0 else fp.mbqm(d, ma, sa))

    return _lut_op(g, op, fn)


def lower_requantize(g: Graph, op: Op) -> LoweredOp:
    """QUANTIZE int8 -> int8 (requantisation with QuantizeMultiplier(s_in / s_out))."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    m, s = quantize_multiplier(x.scale / y.scale)
    return _lut_op(g, op, lambda v: y.zero_point + fp.mbqm(v - x.zero_point, m, s))


def _q4_params(x: Tensor) -> tuple[int, int, int]:
    mult, shift = fp.frexp_multiplier(float(x.scale) * float(1 << (31 - 4)))
    radius = int(np.floor(((1 << 4) - 1) * (1 << (31 - 4)) / (1 << shift)))
    return mult, shift, radius


def lower_logistic(g: Graph, op: Op) -> LoweredOp:
    """LOGISTIC int8 (output scale 1/256, zero point -128) with gemmlowp's fixed-point logistic."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if y.zero_point != -128:
        raise TfcError(f"LOGISTIC '{y.name}': output zero point must be -128", "re-convert the model")
    mult, shift, radius = _q4_params(x)

    def fn(v: int) -> int:
        d = v - x.zero_point
        if d <= -radius:
            return -128
        if d >= radius:
            return 127
        return fp.rdbpot(fp.logistic_q4(fp.mbqm(d, mult, shift)), 31 - 8) - 128

    return _lut_op(g, op, fn)


def lower_tanh(g: Graph, op: Op) -> LoweredOp:
    """TANH int8 (output scale 1/128, zero point 0) with gemmlowp's fixed-point tanh."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if y.zero_point != 0:
        raise TfcError(f"TANH '{y.name}': output zero point must be 0", "re-convert the model")
    mult, shift, radius = _q4_params(x)

    def fn(v: int) -> int:
        d = v - x.zero_point
        if d <= -radius:
            return -128
        if d >= radius:
            return 127
        return fp.rdbpot(fp.tanh_q4(fp.mbqm(d, mult, shift)), 31 - 7)

    return _lut_op(g, op, fn)


def _srdhm16(a: int, b: int) -> int:
    if a == b == -32768:
        return 32767
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else 1 - (1 << 14)
    return fp._tdiv(ab + nudge, 1 << 15)


def _sdhm16(a: int, b: int) -> int:
    if a == b == -32768:
        return 32767
    return fp._tdiv(a * b, 1 << 15)


def _sat_shl16(v: int, amount: int) -> int:
    return max(-32768, min(32767, v * (1 << amount)))


def _downscale16(m: int) -> int:
    if m >= fp.I32_MAX - (1 << 15):
        return 32767
    return (m + (1 << 15)) >> 16


def lower_hard_swish(g: Graph, op: Op) -> LoweredOp:
    """HARD_SWISH int8 with TFLM's int16 fixed-point 'reluish' arithmetic (float32 scales)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    f = np.float32
    hires = f(1.0 / 128.0) * f(x.scale)
    out_m, out_e = quantize_multiplier(float(hires / f(y.scale)))
    rel_m, rel_e = quantize_multiplier(float(hires / f(3.0 / 32768.0)))
    if out_e > 0:
        raise TfcError(f"HARD_SWISH '{y.name}': output scale too small for the input scale", "re-convert")
    out16, rel16 = _downscale16(out_m), _downscale16(rel_m)

    def fn(v: int) -> int:
        hi = (v - x.zero_point) * 128
        pre = _srdhm16(hi, out16)
        r = hi
        if rel_e > 0:
            r = _sat_shl16(r, rel_e - 1)
        r = _srdhm16(r, rel16)
        if rel_e > 0:
            r = _sat_shl16(r, 1)
        if rel_e < 0:
            r = fp.rdbpot(r, -rel_e)
        r = (r + (1 << 15)) >> 1
        out = fp.rdbpot(_sdhm16(r, pre), -out_e) + y.zero_point
        return out

    return _lut_op(g, op, fn)
