"""Lowering of the element-wise binary ops — ADD, SUB, MUL, SQUARED_DIFFERENCE, DIV, FLOOR_DIV,
FLOOR_MOD, MAXIMUM, MINIMUM, PRELU, ADD_N — with TFLM's arithmetic (multipliers computed as its Prepare does, in the
same float or double precision) and broadcasting of any shape pair TFLM accepts.

Broadcasting (:func:`broadcast`) is resolved on the host: dimensions of size 1 in the output are
dropped and neighbouring dimensions that every input walks alike (all contiguous, or broadcast)
are merged, so a rank-8 broadcast usually needs two or three loop levels; the kernels walk at
most ``BCAST_DIMS`` (``tfc_bcast_step`` in ``tfc_add.h``, one walker for every binary kernel).
Either operand, or both, may be a constant (a flash array).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.engine.ir import Graph, Op, Tensor, element_size
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.engine.quant import activation_range, quantize_multiplier
from tfcompress.errors import TfcError

#: element type -> C type of its pointer, and the kernel-name suffix
CTYPE = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float", "bool": "uint8_t"}
SUFFIX = {"int8": "s8", "int16": "s16", "int32": "s32", "bool": "b"}
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: loop levels of the broadcasting walker (TFC_BCAST_DIMS): TFLM's largest rank, so any broadcast fits
BCAST_DIMS = 6
_RANGE = {"int8": (-128, 127), "int16": (-32768, 32767)}


# ---- broadcasting ---------------------------------------------------------------------------

def broadcast(g: Graph, op: Op, inputs: list[Tensor], y: Tensor) -> tuple[list[int], list[list[int]]]:
    """The loop shape (at most BCAST_DIMS levels) and each input's element strides (0 where it is
    broadcast) that walk ``y`` in order, for any input shapes TFLM broadcasts to ``y``'s shape."""
    rank = max([len(y.shape)] + [len(t.shape) for t in inputs])
    out = [1] * (rank - len(y.shape)) + list(y.shape)
    shapes = [[1] * (rank - len(t.shape)) + list(t.shape) for t in inputs]
    for s in shapes:
        if any(s[d] not in (1, out[d]) for d in range(rank)):
            raise TfcError(f"{op.name} '{y.name}': input shapes {[list(t.shape) for t in inputs]} do not "
                           f"broadcast to the output shape {list(y.shape)}", "re-export the model")
    if 0 in out:
        return [0], [[0] for _ in inputs]
    groups: list[list[Any]] = []  # [size, (whether each input is contiguous along it)]
    for d in range(rank):
        if out[d] == 1:
            continue
        walks = tuple(s[d] != 1 for s in shapes)
        if groups and groups[-1][1] == walks:
            groups[-1][0] *= out[d]
        else:
            groups.append([out[d], walks])
    if not groups:
        groups = [[1, tuple(True for _ in inputs)]]
    if len(groups) > BCAST_DIMS:
        raise TfcError(f"{op.name} '{y.name}': broadcasting {[list(t.shape) for t in inputs]} needs "
                       f"{len(groups)} loop levels (the kernels walk at most {BCAST_DIMS}; TFLM's tensors "
                       "have at most 6 dimensions)",
                       "reshape the operands so that fewer dimensions alternate between broadcast and full")
    strides = []
    for i in range(len(inputs)):
        st, acc = [0] * len(groups), 1
        for k in range(len(groups) - 1, -1, -1):
            if groups[k][1][i]:
                st[k], acc = acc, acc * groups[k][0]
        strides.append(st)
    return [int(gr[0]) for gr in groups], strides


def broadcast_fields(g: Graph, op: Op, a: Tensor, b: Tensor, y: Tensor) -> dict[str, Any]:
    """ndim, shape, stride1, stride2 of a tfc_binary_params (padded to BCAST_DIMS)."""
    shape, (s1, s2) = broadcast(g, op, [a, b], y)
    pad = BCAST_DIMS - len(shape)
    return dict(ndim=len(shape), shape=shape + [1] * pad, stride1=s1 + [0] * pad, stride2=s2 + [0] * pad)


def overlap_of(inputs: list[Tensor], y: Tensor) -> dict[int, int]:
    """In-place candidates of an element-wise kernel: inputs with the output's shape whose elements
    are at least as wide (writing output element n never reaches an unread input element)."""
    return {t.index: 0 for t in inputs
            if t.shape == y.shape and t.in_arena and element_size(t.dtype) >= element_size(y.dtype)}


# ---- type checks and host arithmetic --------------------------------------------------------

def common_dtype(g: Graph, op: Op, tensors: list[Tensor], allowed: tuple[str, ...]) -> str:
    """The one element type of ``tensors``, which must be in ``allowed`` (else a TfcError)."""
    dts = [t.dtype for t in tensors]
    if len(set(dts)) == 1 and dts[0] in allowed:
        return dts[0]
    got = ", ".join(f"'{t.name}' {t.dtype}" for t in tensors)
    raise TfcError(f"{op.name} '{out_name(g, op)}': tensor types ({got}) are not supported; the engine "
                   f"handles {' / '.join(allowed)}",
                   "convert with --mode int8 or int16x8 (full integer quantisation), or deploy this model "
                   "with the TFLite Micro runtime")


def _act(op: Op) -> int:
    return int(op.options.get("fused_activation_function", 0) or 0)


def quant_range(op: Op, y: Tensor) -> tuple[int, int]:
    """CalculateActivationRangeQuantized of the fused activation for an int8/int16 output."""
    return activation_range(_act(op), y.scale, y.zero_point, *_RANGE[y.dtype])


def int32_range(g: Graph, op: Op) -> tuple[int, int]:
    """CalculateActivationRange<int32_t> of the fused activation (unquantised int32 ops)."""
    act = _act(op)
    ranges = {0: (INT32_MIN, INT32_MAX), 1: (0, INT32_MAX), 2: (-1, 1), 3: (0, 6)}
    if act not in ranges:
        raise TfcError(f"{op.name} '{out_name(g, op)}': fused activation {act} (TANH/SIGN_BIT) is not supported",
                       "use RELU, RELU6 or no activation")
    return ranges[act]


def multiplier_below_one(g: Graph, op: Op, m: float) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp: the shift must come out <= 0."""
    q, s = quantize_multiplier(m)
    if s > 0:
        raise TfcError(f"{op.name} '{out_name(g, op)}': a rescaling multiplier of {m:g} is not below one, "
                       "which TFLM's kernel requires", "re-quantise the model (check the tensors' scales)")
    return q, s


def _f32(x: float) -> np.float32:
    return np.float32(x)


def _binary(op: Op, kernel: str, fields: dict[str, Any], a: Tensor, b: Tensor, y: Tensor,
            in_dtypes: tuple[str, str] | None = None, overlap: bool = True) -> LoweredOp:
    dts = in_dtypes or (a.dtype, b.dtype)
    return LoweredOp(op, kernel, "tfc_binary_params", fields, [a.index, b.index], [y.index],
                     overlap=overlap_of([a, b], y) if overlap else {},
                     in_ctypes=(CTYPE[dts[0]], CTYPE[dts[1]]), out_ctype=CTYPE[y.dtype])


def _operands(g: Graph, op: Op) -> tuple[Tensor, Tensor, Tensor]:
    return g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])


def _add_sub_fields(g: Graph, op: Op, a: Tensor, b: Tensor, y: Tensor) -> dict[str, Any]:
    """TFLM's ADD/SUB Prepare: both inputs onto 2 * max(scale) with a 20-bit (int16: 15-bit) left
    shift; the real multipliers in double precision (the TFLM package's SUB too: the float
    arithmetic of older trees rounds some int16 results differently)."""
    left_shift = 15 if y.dtype == "int16" else 20
    twice_max = 2.0 * max(a.scale, b.scale)
    m1, s1 = quantize_multiplier(a.scale / twice_max)
    m2, s2 = quantize_multiplier(b.scale / twice_max)
    mo, so = quantize_multiplier(twice_max / ((1 << left_shift) * y.scale))
    amin, amax = quant_range(op, y)
    return broadcast_fields(g, op, a, b, y) | dict(
        in1_offset=-a.zero_point, in2_offset=-b.zero_point, left_shift=left_shift, in1_mult=m1,
        in1_shift=s1, in2_mult=m2, in2_shift=s2, out_mult=mo, out_shift=so, out_zp=y.zero_point,
        act_min=amin, act_max=amax)


# ---- ADD, SUB, MUL --------------------------------------------------------------------------

def lower_add(g: Graph, op: Op) -> LoweredOp:
    """ADD: int8/int16 rescaled to a shared 2*max(scale) with a 20/15-bit left shift, then summed;
    int32 wrapping (TFLM applies no activation to it)."""
    a, b, y = _operands(g, op)
    dt = common_dtype(g, op, [a, b, y], ("int8", "int16", "int32"))
    if dt == "int32":
        return _binary(op, "tfc_add_s32", broadcast_fields(g, op, a, b, y), a, b, y)
    return _binary(op, f"tfc_add_{SUFFIX[dt]}", _add_sub_fields(g, op, a, b, y), a, b, y)


def lower_sub(g: Graph, op: Op) -> LoweredOp:
    """SUB: ADD's rescaling, difference; int32 wrapping with the fused activation's clamp."""
    a, b, y = _operands(g, op)
    dt = common_dtype(g, op, [a, b, y], ("int8", "int16", "int32"))
    if dt == "int32":
        lo, hi = int32_range(g, op)
        return _binary(op, "tfc_sub_s32", broadcast_fields(g, op, a, b, y) | dict(act_min=lo, act_max=hi), a, b, y)
    return _binary(op, f"tfc_sub_{SUFFIX[dt]}", _add_sub_fields(g, op, a, b, y), a, b, y)


def lower_mul(g: Graph, op: Op) -> LoweredOp:
    """MUL: (a - za) * (b - zb) rescaled by sa * sb / sy (int8, int16); int32 wrapping, clamped."""
    a, b, y = _operands(g, op)
    dt = common_dtype(g, op, [a, b, y], ("int8", "int16", "int32"))
    if dt == "int32":
        lo, hi = int32_range(g, op)
        return _binary(op, "tfc_mul_s32", broadcast_fields(g, op, a, b, y) | dict(act_min=lo, act_max=hi), a, b, y)
    mo, so = quantize_multiplier(a.scale * b.scale / y.scale)
    amin, amax = quant_range(op, y)
    fields = broadcast_fields(g, op, a, b, y) | dict(
        in1_offset=-a.zero_point, in2_offset=-b.zero_point, left_shift=0, in1_mult=0, in1_shift=0,
        in2_mult=0, in2_shift=0, out_mult=mo, out_shift=so, out_zp=y.zero_point, act_min=amin, act_max=amax)
    return _binary(op, f"tfc_mul_{SUFFIX[dt]}", fields, a, b, y)


# ---- SQUARED_DIFFERENCE, DIV ----------------------------------------------------------------

def lower_squared_difference(g: Graph, op: Op) -> LoweredOp:
    """SQUARED_DIFFERENCE: inputs onto 2*max(scale) with a 7-bit (int16: 0) left shift, the
    difference squared and requantised by (2*max)^2 / (2^(2*shift) * sy); int32 wrapping."""
    a, b, y = _operands(g, op)
    dt = common_dtype(g, op, [a, b, y], ("int8", "int16", "int32"))
    if dt == "int32":
        return _binary(op, "tfc_squared_difference_s32", broadcast_fields(g, op, a, b, y), a, b, y)
    left_shift = 7 if dt == "int8" else 0
    twice_max = 2.0 * max(a.scale, b.scale)
    m1, s1 = multiplier_below_one(g, op, a.scale / twice_max)
    m2, s2 = multiplier_below_one(g, op, b.scale / twice_max)
    # (1 << 2 * left_shift) * scale is a float product in TFLM: exact (a power of two)
    mo, so = quantize_multiplier(twice_max * twice_max / float(_f32(1 << 2 * left_shift) * _f32(y.scale)))
    lo, hi = _RANGE[dt]
    fields = broadcast_fields(g, op, a, b, y) | dict(
        in1_offset=-a.zero_point, in2_offset=-b.zero_point, left_shift=left_shift, in1_mult=m1,
        in1_shift=s1, in2_mult=m2, in2_shift=s2, out_mult=mo, out_shift=so, out_zp=y.zero_point,
        act_min=lo, act_max=hi)
    return _binary(op, f"tfc_squared_difference_{SUFFIX[dt]}", fields, a, b, y)


def lower_div(g: Graph, op: Op) -> LoweredOp:
    """DIV int8: TFLM's reciprocal quotient, multiplier sa / (sb * sy) computed in float; int32
    truncating division with the fused activation's clamp."""
    a, b, y = _operands(g, op)
    dt = common_dtype(g, op, [a, b, y], ("int8", "int32"))
    if dt == "int32":
        lo, hi = int32_range(g, op)
        return _binary(op, "tfc_div_s32", broadcast_fields(g, op, a, b, y) | dict(act_min=lo, act_max=hi), a, b, y)
    mo, so = quantize_multiplier(float(_f32(a.scale) / (_f32(b.scale) * _f32(y.scale))))
    if so > 23:  # the final rounding shift would turn negative for some dividends
        raise TfcError(f"DIV '{out_name(g, op)}': the output multiplier {a.scale / (b.scale * y.scale):g} is "
                       "too large for TFLM's int8 DIV arithmetic", "re-quantise the model")
    amin, amax = quant_range(op, y)
    fields = broadcast_fields(g, op, a, b, y) | dict(
        in1_offset=-a.zero_point, in2_offset=-b.zero_point, out_mult=mo, out_shift=so, out_zp=y.zero_point,
        act_min=amin, act_max=amax)
    return _binary(op, "tfc_div_s8", fields, a, b, y)


# ---- MAXIMUM, MINIMUM, PRELU ----------------------------------------------------------------

def _minmax(g: Graph, op: Op, which: str) -> LoweredOp:
    a, b, y = _operands(g, op)
    dt = common_dtype(g, op, [a, b, y], ("int8", "int16", "int32"))
    return _binary(op, f"tfc_{which}_{SUFFIX[dt]}", broadcast_fields(g, op, a, b, y), a, b, y)


def lower_maximum(g: Graph, op: Op) -> LoweredOp:
    """MAXIMUM of the raw values (TFLM does not rescale)."""
    return _minmax(g, op, "maximum")


def lower_minimum(g: Graph, op: Op) -> LoweredOp:
    """MINIMUM of the raw values (TFLM does not rescale)."""
    return _minmax(g, op, "minimum")


def lower_prelu(g: Graph, op: Op) -> LoweredOp:
    """PRELU int8 / int16 (alpha int8): identity multiplier sx / sy for x >= 0, sx * sa / sy for
    x * alpha otherwise; alpha broadcast against the input."""
    x, alpha, y = _operands(g, op)
    dt = common_dtype(g, op, [x, y], ("int8", "int16"))
    common_dtype(g, op, [alpha], ("int8",))
    m1, s1 = quantize_multiplier(x.scale / y.scale)
    m2, s2 = quantize_multiplier(x.scale * alpha.scale / y.scale)
    lo, hi = _RANGE[dt]
    fields = broadcast_fields(g, op, x, alpha, y) | dict(
        in1_offset=-x.zero_point, in2_offset=-alpha.zero_point, in1_mult=m1, in1_shift=s1, in2_mult=m2,
        in2_shift=s2, out_zp=y.zero_point, act_min=lo, act_max=hi)
    return _binary(op, f"tfc_prelu_{SUFFIX[dt]}", fields, x, alpha, y)


# ---- FLOOR_DIV, FLOOR_MOD -------------------------------------------------------------------

def _floor(g: Graph, op: Op, which: str) -> LoweredOp:
    a, b, y = _operands(g, op)
    common_dtype(g, op, [a, b, y], ("int32",))
    return _binary(op, f"tfc_{which}_s32", broadcast_fields(g, op, a, b, y), a, b, y)


def lower_floor_div(g: Graph, op: Op) -> LoweredOp:
    """FLOOR_DIV int32 (TFLite's reference kernels; TFLM's float32 is the float kernels')."""
    return _floor(g, op, "floor_div")


def lower_floor_mod(g: Graph, op: Op) -> LoweredOp:
    """FLOOR_MOD int32 (TFLite's reference kernels; TFLM's float32 is the float kernels')."""
    return _floor(g, op, "floor_mod")


# ---- ADD_N ----------------------------------------------------------------------------------

def lower_add_n(g: Graph, op: Op) -> LoweredOp:
    """ADD_N of same-shape inputs: int8 (TFLM's: one shared input scale, 20-bit left shift) and
    int32 sums (float32: the float kernels)."""
    xs = [g.t(i) for i in op.inputs]
    y = g.t(op.outputs[0])
    dt = common_dtype(g, op, xs + [y], ("int8", "int32"))
    if any(x.shape != y.shape for x in xs):
        raise TfcError(f"ADD_N '{y.name}': inputs of different shapes {[list(x.shape) for x in xs]}",
                       "re-export the model (ADD_N does not broadcast)")
    fields: dict[str, Any] = dict(n_inputs=len(xs), count=y.elements)
    if dt == "int8":
        if any(x.scale != xs[0].scale or x.zero_point != xs[0].zero_point for x in xs):
            raise TfcError(f"ADD_N '{y.name}': the inputs have different quantisation, which TFLM's int8 "
                           "ADD_N does not allow", "re-quantise the model")
        twice = 2.0 * xs[0].scale
        mi, si = multiplier_below_one(g, op, xs[0].scale / twice)
        mo, so = multiplier_below_one(g, op, twice / ((1 << 20) * y.scale))
        fields |= dict(in_offset=-xs[0].zero_point, left_shift=20, in_mult=mi, in_shift=si, out_mult=mo,
                       out_shift=so, out_zp=y.zero_point, act_min=-128, act_max=127)
    return LoweredOp(op, f"tfc_add_n_{SUFFIX[dt]}", "tfc_add_n_params", fields, [x.index for x in xs], [y.index],
                     overlap=overlap_of(xs, y), in_ctypes=(CTYPE[dt],), out_ctype=CTYPE[dt], inputs_as_array=True)
