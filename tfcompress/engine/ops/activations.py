"""Activations and other element-wise unary ops.

8-bit ops become a 256-entry table computed on the host with the exact arithmetic of the
reference kernel (TFLM's integer arithmetic through :mod:`tfcompress.engine.fixedpoint`, or
TFLite's float32 LUTPopulate for float-defined ops such as ELU, EXP, LOG, GELU), so the device only
does ``out[i] = lut[in[i] + 128]`` (uint8 tensors use the same table through their int8 bit
pattern). int16 ops run integer kernels: ``tfc_rescale`` (RELU, RELU6, LEAKY_RELU, ABS and
QUANTIZE between integer types: a rescale with a multiplier per sign, clamped),
``tfc_sigmoid_s16`` (LOGISTIC / TANH on TFLM's interpolated sigmoid table) and ``tfc_rsqrt_s16``
(integer Newton-Raphson). The ops defined in float (ELU, EXP, LOG, SQRT, NEG, GELU) are in
``float_tables.py``. Scale ratios are computed in double like the TFLM build the oracle runs (older TFLM
sources divide some of them in float32; the tests pin the behaviour down).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tfcompress.engine import fixedpoint as fp
from tfcompress.engine.ir import DTYPES, Graph, Op, Tensor
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.common import out_name, require_int8
from tfcompress.engine.quant import quantize_multiplier, round_away
from tfcompress.errors import TfcError

#: integer range of each element type
RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "int32": (fp.I32_MIN, fp.I32_MAX)}
#: how the negative side of tfc_rescale is computed (tfc_kernels.h TFC_NEG_*)
NEG_PLAIN, NEG_NEGATE_OUT, NEG_NEGATE_IN = 0, 1, 2
#: multiplier/shift that leaves a value unchanged through MultiplyByQuantizedMultiplier
IDENTITY = (1 << 30, 1)


def f32_div(a: float, b: float) -> float:
    """``a / b`` in float32 (TFLM's ``value / scale`` on float operands, e.g. activation bounds)."""
    return float(np.float32(a) / np.float32(b))


# ---- 8-bit tables -----------------------------------------------------------------------------

def _inputs_8bit(dtype: str) -> list[int]:
    """The input value behind each table entry: entry ``i`` serves the byte ``i ^ 0x80`` (what
    ``tfc_lut_s8`` reads as ``(int8_t)byte + 128``)."""
    if dtype == "uint8":
        return [i ^ 0x80 for i in range(256)]
    return list(range(-128, 128))


def lut_op(g: Graph, op: Op, fn: Callable[[int], int], x: Tensor | None = None,
           y: Tensor | None = None) -> LoweredOp:
    """An 8-bit -> 8-bit op (int8 or uint8 on either side) as a 256-entry table of ``fn``
    (whose result is clamped to the output type)."""
    x = x or g.t(op.inputs[0])
    y = y or g.t(op.outputs[0])
    for t in (x, y):
        if t.dtype not in ("int8", "uint8"):
            require_int8(g, op, [t])
    lo, hi = RANGES[y.dtype]
    vals = [max(lo, min(hi, fn(v))) for v in _inputs_8bit(x.dtype)]
    table = np.array(vals, dtype=np.int64).astype(np.uint8).view(np.int8)
    arr = ConstArray(f"op{op.index}_lut", table)
    return LoweredOp(op, "tfc_lut_s8", None, {}, [x.index], [y.index], [arr], overlap={x.index: 0},
                     extra_args=(str(x.elements),), pre_args=(arr.name,))


# ---- tfc_rescale: integer rescale with a multiplier per sign ------------------------------------

@dataclass
class Rescale:
    """``out = clamp(out_zp + M(in - in_zp))`` with M = mbqm(d, pos) for d >= 0, and for d < 0
    mbqm(d, neg) / -mbqm(d, neg) / mbqm(-d, neg) (``neg_mode``), clamped to [lo, hi]."""

    in_zp: int
    out_zp: int
    pos: tuple[int, int]
    neg: tuple[int, int]
    neg_mode: int
    lo: int
    hi: int

    def __call__(self, v: int) -> int:
        d = v - self.in_zp
        if d >= 0:
            r = fp.mbqm(d, *self.pos)
        elif self.neg_mode == NEG_NEGATE_IN:
            r = fp.mbqm(-d, *self.neg)
        else:
            r = fp.mbqm(d, *self.neg)
            r = -r if self.neg_mode == NEG_NEGATE_OUT else r
        return max(self.lo, min(self.hi, self.out_zp + r))


def rescale_op(g: Graph, op: Op, r: Rescale, x: Tensor | None = None, y: Tensor | None = None) -> LoweredOp:
    """A :class:`Rescale` as a table (8-bit in and out) or a ``tfc_rescale`` call."""
    x = x or g.t(op.inputs[0])
    y = y or g.t(op.outputs[0])
    if x.dtype in ("int8", "uint8") and y.dtype in ("int8", "uint8"):
        return lut_op(g, op, r, x, y)
    for t in (x, y):
        if t.dtype not in RANGES:
            raise TfcError(f"{op.name} '{out_name(g, op)}': tensor '{t.name}' is {t.dtype}",
                           "use int8, uint8, int16 or int32 tensors")
    ib, ob = DTYPES[x.dtype][1], DTYPES[y.dtype][1]
    fields = dict(n=x.elements, in_type=DTYPES[x.dtype][2], out_type=DTYPES[y.dtype][2], in_zp=r.in_zp,
                  out_zp=r.out_zp, pos_mult=r.pos[0], pos_shift=r.pos[1], neg_mult=r.neg[0],
                  neg_shift=r.neg[1], neg_mode=r.neg_mode, act_min=r.lo, act_max=r.hi)
    # element i is read before it is written: the output may start where the input does, or
    # (widening) early enough that element i never reaches input element i + 1
    overlap = {x.index: min(0, (ib - ob) * x.elements)}
    return LoweredOp(op, "tfc_rescale", "tfc_rescale_params", fields, [x.index], [y.index],
                     overlap=overlap, in_ctypes=("void",), out_ctype="void")


def requantize(x: Tensor, y: Tensor) -> Rescale:
    """TFLM's Requantize: QuantizeMultiplier(double(s_in) / double(s_out))."""
    m = quantize_multiplier(float(x.scale) / float(y.scale))
    return Rescale(x.zero_point, y.zero_point, m, m, NEG_PLAIN, *RANGES[y.dtype])


def lower_requantize(g: Graph, op: Op) -> LoweredOp:
    """QUANTIZE between integer types (8-bit to 8-bit as a table)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    return rescale_op(g, op, requantize(x, y))


# ---- RELU family -------------------------------------------------------------------------------

def same_type(g: Graph, op: Op, types: tuple[str, ...]) -> tuple[Tensor, Tensor]:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != y.dtype or x.dtype not in types:
        raise TfcError(f"{op.name} '{y.name}': {x.dtype} -> {y.dtype} is not supported (types: "
                       f"{', '.join(types)})", "convert with int8 or int16x8 quantisation")
    return x, y


def _relu_x(g: Graph, op: Op, act_min: float, act_max: float | None,
            types: tuple[str, ...] = ("int8", "int16")) -> LoweredOp:
    """TFLM ReluQuantized (and TFLite's QuantizedReluX): rescale by s_in / s_out (divided in
    double by the TFLM build the oracle runs), clamp to [zp + round(min / s_out), zp + round(max / s_out)]."""
    x, y = same_type(g, op, types)
    m = quantize_multiplier(float(x.scale) / float(y.scale))
    qmin, qmax = RANGES[y.dtype]
    lo = max(qmin, y.zero_point + round_away(f32_div(act_min, y.scale)))
    hi = qmax if act_max is None else min(qmax, y.zero_point + round_away(f32_div(act_max, y.scale)))
    return rescale_op(g, op, Rescale(x.zero_point, y.zero_point, m, m, NEG_PLAIN, lo, hi))


def lower_relu(g: Graph, op: Op) -> LoweredOp:
    """RELU: rescale input -> output, clamp at the output's zero."""
    return _relu_x(g, op, 0.0, None)


def lower_relu_n1_to_1(g: Graph, op: Op) -> LoweredOp:
    """RELU_N1_TO_1 (TFLite's reference kernel; TFLM has none): rescale, clamp to [-1, 1]."""
    return _relu_x(g, op, -1.0, 1.0, ("int8",))


def lower_relu_0_to_1(g: Graph, op: Op) -> LoweredOp:
    """RELU_0_TO_1 (TFLite's reference kernel): rescale, clamp to [0, 1]."""
    return _relu_x(g, op, 0.0, 1.0, ("int8",))


def lower_relu6(g: Graph, op: Op) -> LoweredOp:
    """RELU6: TFLM clamps in the input's quantisation (no rescale) to [zp, q(6)]."""
    x, y = same_type(g, op, ("int8", "int16"))
    qmin, qmax = RANGES[x.dtype]
    six = max(qmin, min(qmax, round_away(f32_div(6.0, x.scale)) + x.zero_point))
    return rescale_op(g, op, Rescale(0, 0, IDENTITY, IDENTITY, NEG_PLAIN, x.zero_point, six))


def lower_leaky_relu(g: Graph, op: Op) -> LoweredOp:
    """LEAKY_RELU: identity and alpha multipliers (s_in / s_out and s_in * alpha / s_out in
    double, as the TFLM build the oracle runs); a negative alpha multiplies by |alpha| and
    negates the result (as TFLM)."""
    x, y = same_type(g, op, ("int8", "int16"))
    alpha = float(np.float32(op.options.get("alpha", 0.2)))
    ma, sa = quantize_multiplier(float(x.scale) * alpha / float(y.scale))
    ident = quantize_multiplier(float(x.scale) / float(y.scale))
    mode = NEG_NEGATE_OUT if ma < 0 else NEG_PLAIN
    return rescale_op(g, op, Rescale(x.zero_point, y.zero_point, ident, (abs(ma), sa), mode, *RANGES[y.dtype]))


def lower_abs(g: Graph, op: Op) -> LoweredOp:
    """ABS: |in - zp| (rescaled by s_in / s_out when the scales differ) + zp_out, clamped;
    an int16 tensor without quantisation is a plain std::abs (wrapping at -32768, as TFLM)."""
    x, y = same_type(g, op, ("int8", "int16"))
    if not x.scales:
        if x.dtype != "int16":
            raise TfcError(f"ABS '{y.name}': int8 input without quantisation", "quantise the model")
        return rescale_op(g, op, Rescale(0, 0, IDENTITY, IDENTITY, NEG_NEGATE_IN, -32768, 32768))
    m = IDENTITY if np.float32(x.scale) == np.float32(y.scale) else quantize_multiplier(float(x.scale) / float(y.scale))
    return rescale_op(g, op, Rescale(x.zero_point, y.zero_point, m, m, NEG_NEGATE_IN, *RANGES[y.dtype]))


# ---- LOGISTIC / TANH ---------------------------------------------------------------------------

def _q4_params(x: Tensor) -> tuple[int, int, int]:
    mult, shift = fp.frexp_multiplier(float(x.scale) * float(1 << (31 - 4)))
    radius = int(np.floor(((1 << 4) - 1) * (1 << (31 - 4)) / (1 << shift)))
    return mult, shift, radius


def checked_log2(x: float) -> tuple[bool, int]:
    """TFLite's CheckedLog2 (float32): (whether x is a power of two within 1e-3 in log2, log2 rounded)."""
    f = np.float32
    lg = f(math.log(float(f(x)))) * (f(1.0) / f(math.log(2.0)))
    rounded = f(round_away(float(lg)))
    return bool(abs(lg - rounded) < f(1e-3)), int(rounded)


def _s16_sigmoid_params(g: Graph, op: Op, x: Tensor, y: Tensor, pot_shifts: tuple[int, ...]) -> tuple[int, int]:
    """(multiplier, right shift) taking an int16 input to the sigmoid table's scale 1/(3*4096)
    (TFLM's int16 LOGISTIC / TANH prepare; ``pot_shifts``: the power-of-two input scales taken
    as they are)."""
    if x.zero_point != 0 or y.zero_point != 0:
        raise TfcError(f"{op.name} '{y.name}': int16 tensors need zero point 0", "re-convert with int16x8")
    pot, lg = checked_log2(x.scale)
    shift = (15 - 3) + lg
    if pot and shift in pot_shifts:
        return 3 << shift, 0
    mult, shift = float(x.scale) * 4096.0 * 3.0, 0
    while mult <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        mult *= 2.0
    return int(mult), shift


def _s16_sigmoid_op(g: Graph, op: Op, tanh: bool, pot_shifts: tuple[int, ...]) -> LoweredOp:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    ok, out_lg = checked_log2(y.scale)
    if not ok or out_lg != -15:
        raise TfcError(f"{op.name} '{y.name}': int16 output scale must be 1/32768", "re-convert with int16x8")
    mult, shift = _s16_sigmoid_params(g, op, x, y, pot_shifts)
    table = ConstArray(f"op{op.index}_sigmoid", np.array(fp.SIGMOID_TABLE_U16, np.uint16))
    fields = dict(n=x.elements, mult=mult, shift=shift, tanh=int(tanh), table=table)
    return LoweredOp(op, "tfc_sigmoid_s16", "tfc_sigmoid16_params", fields, [x.index], [y.index], [table],
                     overlap={x.index: 0}, in_ctypes=("int16_t",), out_ctype="int16_t")


def _q4_table(g: Graph, op: Op, x: Tensor, q4_fn: Callable[[int], int], out_bits: int, out_zp: int) -> LoweredOp:
    """The int8 table of gemmlowp's fixed-point LOGISTIC / TANH as TFLM computes it: the input
    rescaled to Q4.27, saturated outside the input radius, the Q0.31 result rounded to ``out_bits``."""
    mult, shift, radius = _q4_params(x)

    def fn(v: int) -> int:
        d = v - x.zero_point
        if d <= -radius:
            return -128
        if d >= radius:
            return 127
        return fp.rdbpot(q4_fn(fp.mbqm(d, mult, shift)), 31 - out_bits) + out_zp

    return lut_op(g, op, fn)


def lower_logistic(g: Graph, op: Op) -> LoweredOp:
    """LOGISTIC: int8 (output scale 1/256, zero point -128) as a table with gemmlowp's
    fixed-point logistic; int16 with TFLM's interpolated sigmoid table."""
    x, y = same_type(g, op, ("int8", "int16"))
    if x.dtype == "int16":
        return _s16_sigmoid_op(g, op, False, (0,))
    if y.zero_point != -128:
        raise TfcError(f"LOGISTIC '{y.name}': output zero point must be -128", "re-convert the model")
    return _q4_table(g, op, x, fp.logistic_q4, 8, -128)


def lower_tanh(g: Graph, op: Op) -> LoweredOp:
    """TANH: int8 (output scale 1/128, zero point 0) as a table with gemmlowp's fixed-point tanh;
    int16 with TFLM's interpolated sigmoid table."""
    x, y = same_type(g, op, ("int8", "int16"))
    if x.dtype == "int16":
        return _s16_sigmoid_op(g, op, True, (0, 1))
    if y.zero_point != 0:
        raise TfcError(f"TANH '{y.name}': output zero point must be 0", "re-convert the model")
    return _q4_table(g, op, x, fp.tanh_q4, 7, 0)


# ---- HARD_SWISH --------------------------------------------------------------------------------

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
    require_int8(g, op, [x, y])
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

    return lut_op(g, op, fn)


# ---- RSQRT -------------------------------------------------------------------------------------

def _rsqrt_multiplier(x: Tensor, y: Tensor) -> tuple[int, int]:
    """QuantizeMultiplier(1 / (sqrt(s_in) * s_out)) in double (the TFLM build the oracle runs;
    older TFLM sources compute sqrtf(s_in) * s_out in float)."""
    return quantize_multiplier(1.0 / (math.sqrt(float(x.scale)) * float(y.scale)))


def rsqrt_value(v: int, in_zp: int, out_zp: int, mult: int, shift: int, qmax: int) -> int:
    """One element of TFLM's quantised RSQRT (inputs below the zero point are an error in TFLM;
    here they give the largest output, like a zero)."""
    d = v - in_zp
    if d <= 0:
        return qmax
    inv, inv_shift = fp.inv_sqrt_multiplier(d)
    data = fp.mbqm(1, inv, inv_shift + 20)
    return out_zp + fp.mbqm(data, mult, shift - 20)


def lower_rsqrt(g: Graph, op: Op) -> LoweredOp:
    """RSQRT: 1/sqrt(in - zp) by TFLM's integer Newton-Raphson, rescaled to the output; int8 as
    a table, int16 by ``tfc_rsqrt_s16``."""
    x, y = same_type(g, op, ("int8", "int16"))
    mult, shift = _rsqrt_multiplier(x, y)
    qmin, qmax = RANGES[y.dtype]
    if x.dtype == "int8":
        return lut_op(g, op, lambda v: rsqrt_value(v, x.zero_point, y.zero_point, mult, shift, qmax))
    fields = dict(n=x.elements, in_zp=x.zero_point, out_zp=y.zero_point, mult=mult, shift=shift)
    return LoweredOp(op, "tfc_rsqrt_s16", "tfc_rsqrt16_params", fields, [x.index], [y.index],
                     overlap={x.index: 0}, in_ctypes=("int16_t",), out_ctype="int16_t")
