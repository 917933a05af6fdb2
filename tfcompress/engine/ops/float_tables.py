"""Unary ops defined in float and run as integer tables: ELU, TFLite's EXP / LOG / SQRT / NEG (TFLM
has no integer kernels for them) and GELU.

8-bit ops get a 256-entry table from TFLite's float32 LUTPopulate (through :func:`float_lut`);
int16 EXP and LOG a 513-entry interpolated table (``tfc_lut_s16``, :func:`lut_populate_int16`).
Float values follow C++ on x86 (libm through ctypes where the reference calls it), infinities and
NaN included, and out-of-range results saturate like TFLite's.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from collections.abc import Callable

import numpy as np

from tfcompress.engine import fixedpoint as fp
from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.activations import RANGES, lut_op, same_type
from tfcompress.engine.quant import round_away
from tfcompress.errors import TfcError


def _libm() -> ctypes.CDLL | None:
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("m"))
        for fn in ("expf", "logf", "sqrtf", "erfcf", "tanhf"):
            getattr(lib, fn).restype = ctypes.c_float
            getattr(lib, fn).argtypes = [ctypes.c_float]
    except (OSError, AttributeError):  # pragma: no cover (no C math library: Python's double math)
        return None
    return lib


_LIBM = _libm()


def libm_f32(name: str, v: float) -> np.float32:
    """The C library's float function (``expf``, ``logf``, ``sqrtf``, ``erfcf``, ``tanhf``) — what TFLM's
    ``std::exp(float)`` calls; numpy's float32 ufuncs round differently on some inputs."""
    if _LIBM is not None:
        return np.float32(getattr(_LIBM, name)(float(v)))
    return np.float32(getattr(math, name[:-1])(float(v)))  # pragma: no cover


def f32_round(v: np.float32) -> np.float32:
    """roundf: half away from zero; infinities and NaN unchanged."""
    return np.float32(round_away(float(v))) if np.isfinite(v) else np.float32(v)


def f32_to_i32(v: np.float32) -> int:
    """A float converted to int32 as TFLite's table generation does (checked against its
    reference kernels): truncation, saturating out-of-range values and infinities (NaN: INT32_MIN,
    what x86 gives)."""
    if np.isnan(v):
        return fp.I32_MIN
    return int(min(max(float(v), float(fp.I32_MIN)), float(fp.I32_MAX)))


def float_lut(x: Tensor, y: Tensor, transform: Callable[[np.float32], np.float32]) -> Callable[[int], int]:
    """TFLite's LUTPopulate<int8>: dequantise in float32, transform, multiply by the float32
    inverse output scale, roundf, add the zero point (in float), convert, clamp."""
    f = np.float32
    inv = f(1.0) / f(y.scale)

    def fn(v: int) -> int:
        deq = f(x.scale) * f(v - x.zero_point)
        with np.errstate(over="ignore", invalid="ignore"):
            out = f32_round(f(f(transform(deq)) * inv))
            return f32_to_i32(f(out + f(y.zero_point)))

    return fn


def lower_elu(g: Graph, op: Op) -> LoweredOp:
    """ELU int8: TFLM's float32 table of (x < 0 ? expf(x) - 1 : x)."""
    x, y = same_type(g, op, ("int8",))
    f = np.float32
    return lut_op(g, op, float_lut(x, y, lambda v: libm_f32("expf", v) - f(1.0) if v < f(0.0) else v))


def lut_populate_int16(input_scale: np.float32, input_zp: int, output_scale: np.float32, output_zp: int,
                       transform: Callable[[np.float32], np.float32]) -> np.ndarray:
    """TFLite's LUTPopulate<int16_t> (float32): 512 samples of ``transform`` over the input
    range, each biased by half the interpolation error at the step's midpoint, plus the end.
    Infinities and NaN follow C++ (std::max / std::min keep a NaN first argument) and x86 (a NaN
    converts to 0 in int16)."""
    f = np.float32
    imin, imax = f(input_scale * f(-32768 - input_zp)), f(input_scale * f(32767 - input_zp))
    omin, omax = f(output_scale * f(-32768 - output_zp)), f(output_scale * f(32767 - output_zp))
    step = f((imax - imin) / f(512))
    half = f(step / f(2))
    inv = f(f(65536) / f(omax - omin))

    def clamp16(v: np.float32) -> int:
        if np.isnan(v):  # clamping keeps it; x86 converts it to INT32_MIN, whose low half is 0
            return 0
        return int(min(max(float(v), -32768.0), 32767.0))

    lut = np.zeros(513, np.int16)
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(512):
            at = f(imin + f(f(i) * step))
            val, mid, nxt = transform(at), transform(f(at + half)), transform(f(imin + f(f(i + 1) * step)))
            sample = f32_round(f(val * inv))
            interp = f32_round(f(f(f(nxt * inv) + f32_round(f(val * inv))) / f(2)))
            bias = f32_round(f(f(interp - f32_round(f(mid * inv))) / f(2)))
            lut[i] = clamp16(f(sample - bias))
        lut[512] = clamp16(f32_round(f(transform(imax) * inv)))
    return lut


def lut16_op(g: Graph, op: Op, lut: np.ndarray) -> LoweredOp:
    """An int16 -> int16 op as a 513-entry interpolated table (``tfc_lut_s16``)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    arr = ConstArray(f"op{op.index}_lut16", lut.astype(np.int16))
    return LoweredOp(op, "tfc_lut_s16", None, {}, [x.index], [y.index], [arr], overlap={x.index: 0},
                     in_ctypes=("int16_t",), out_ctype="int16_t", extra_args=(str(x.elements),),
                     pre_args=(arr.name,))


def _float_op(g: Graph, op: Op, transform: Callable[[np.float32, Tensor], np.float32],
              types: tuple[str, ...] = ("int8", "int16")) -> LoweredOp:
    """TFLite's quantised float-defined ops: int8 through LUTPopulate<int8> (a 256-entry table),
    int16 (zero points 0) through LUTPopulate<int16> (513 entries, interpolated)."""
    x, y = same_type(g, op, types)
    if x.dtype == "int8":
        return lut_op(g, op, float_lut(x, y, lambda v: transform(v, y)))
    if x.zero_point != 0 or y.zero_point != 0:
        raise TfcError(f"{op.name} '{y.name}': int16 tensors need zero point 0", "re-convert with int16x8")
    f = np.float32
    return lut16_op(g, op, lut_populate_int16(f(x.scale), 0, f(y.scale), 0, lambda v: transform(v, y)))


def lower_exp(g: Graph, op: Op) -> LoweredOp:
    """EXP (TFLite's reference kernel; TFLM has no integer EXP): a table of expf."""
    return _float_op(g, op, lambda v, y: libm_f32("expf", v))


def lower_log(g: Graph, op: Op) -> LoweredOp:
    """LOG (TFLite's reference kernel; TFLM has no integer LOG): a table of logf, the output's
    lowest value for inputs <= 0."""
    def transform(v: np.float32, y: Tensor) -> np.float32:
        if v <= np.float32(0.0):
            return np.float32(np.float32(RANGES[y.dtype][0] - y.zero_point) * np.float32(y.scale))
        return libm_f32("logf", v)

    return _float_op(g, op, transform)


def lower_sqrt(g: Graph, op: Op) -> LoweredOp:
    """SQRT int8 (TFLite's reference kernel): sqrtf of the dequantised input divided by the output
    scale, truncated, plus the zero point (TFLite stops on negative inputs; here they give the
    output's zero point)."""
    x, y = same_type(g, op, ("int8",))
    f = np.float32
    qmin, qmax = RANGES[y.dtype]

    def fn(v: int) -> int:
        deq = f(x.scale) * f(v - x.zero_point)
        if deq < f(0.0):
            return y.zero_point
        q = f(libm_f32("sqrtf", deq) / f(y.scale))
        return int(np.clip(np.trunc(q), qmin - 1 - y.zero_point, qmax + 1 - y.zero_point)) + y.zero_point

    return lut_op(g, op, fn)


def lower_neg(g: Graph, op: Op) -> LoweredOp:
    """NEG int8 (TFLite's reference kernel): plain integer negation, wrapping at -128 and ignoring
    the quantisation (as TFLite does)."""
    x, _ = same_type(g, op, ("int8",))
    return lut_op(g, op, lambda v: (-v + 128) % 256 - 128)


def lower_gelu(g: Graph, op: Op) -> LoweredOp:
    """GELU int8 (TFLite's reference kernel; TFLM has none): TFLite's float32 table of
    0.5 x erfc(-x / sqrt 2), or with ``approximate`` 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x, y = same_type(g, op, ("int8",))
    f = np.float32
    if op.options.get("approximate", False):
        k = f(2.0 / math.sqrt(math.pi) * math.sqrt(0.5))

        def transform(v: np.float32) -> np.float32:
            inner = f(k * f(v + f(f(f(f(0.044715) * v) * v) * v)))
            return f(f(f(0.5) * v) * f(f(1.0) + libm_f32("tanhf", inner)))
    else:
        def transform(v: np.float32) -> np.float32:
            return f(f(f(0.5) * v) * libm_f32("erfcf", f(v * f(-math.sqrt(0.5)))))

    return lut_op(g, op, float_lut(x, y, transform))
