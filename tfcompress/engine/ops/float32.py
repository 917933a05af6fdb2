"""Float32 ops inside integer models ("float islands": DEQUANTIZE -> float op -> QUANTIZE).

The converter leaves ops without an integer kernel (CEIL, SIN, CUMSUM, ELU, ...) in float32 inside
an otherwise int8/int16 model, and TFLM runs them with its float reference kernels. These
lowerings call float kernels (``firmware/engine/*_f32.c``) that compute exactly what TFLM's
reference kernels compute: the same float32 operations in the same order, the same libm
functions (``std::exp(float)`` is ``expf``), so on the host the generated C produces the same
bits as TFLM's host interpreter. On a Cortex-M device the libm (newlib) may round some
transcendental results differently in the last bit; the device float tolerance covers that.

``optable.op_spec`` sends an op here (its row in ``optable.FLOAT_OPS``) when
:func:`computes_in_float` says it computes in float32; integer ops keep their own rows.
"""

from __future__ import annotations

import math

import numpy as np

from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.ops.common import MAX_DIMS, out_name
from tfcompress.errors import TfcError

F32 = "float32"
FLT_MAX = float(np.finfo(np.float32).max)

#: what to say when a float op cannot be compiled
_FIX = "deploy this model with the TFLite Micro runtime, or convert so that the op is quantised"


def _c_float(x: float) -> str:
    from tfcompress.engine.emit import c_float  # emit imports the op table; import late

    return c_float(x)


def computes_in_float(g: Graph, op: Op) -> bool:
    """Whether ``op`` computes in float32 (its float kernel, not its integer row, applies).

    EMBEDDING_LOOKUP counts only in its hybrid form (int8 table dequantised into a float32
    output); a float table is plain data movement. Comparisons read float32 and write bool."""
    def dtype(i: int) -> str:
        return g.t(i).dtype if i >= 0 else ""

    if op.name == "EMBEDDING_LOOKUP":
        return len(op.inputs) > 1 and dtype(op.outputs[0]) == F32 and dtype(op.inputs[1]) != F32
    return (bool(op.outputs) and dtype(op.outputs[0]) == F32) or (bool(op.inputs) and dtype(op.inputs[0]) == F32)


def _require_f32(g: Graph, op: Op, tensors: list[Tensor]) -> None:
    for t in tensors:
        if t.dtype != F32:
            raise TfcError(f"{op.name} '{out_name(g, op)}': tensor '{t.name}' is {t.dtype}; the float kernel "
                           f"of {op.name} takes float32 tensors only", _FIX)


# ---- element-wise unary ops: kernel(in, out, n[, parameter])

#: op -> C kernel (all in unary_f32.c)
UNARY_KERNELS: dict[str, str] = {
    "ABS": "tfc_abs_f32", "NEG": "tfc_neg_f32", "CEIL": "tfc_ceil_f32", "FLOOR": "tfc_floor_f32",
    "ROUND": "tfc_round_f32", "SQRT": "tfc_sqrt_f32", "RSQRT": "tfc_rsqrt_f32", "SQUARE": "tfc_square_f32",
    "SIN": "tfc_sin_f32", "COS": "tfc_cos_f32", "EXP": "tfc_exp_f32", "LOG": "tfc_log_f32",
    "LOGISTIC": "tfc_logistic_f32", "TANH": "tfc_tanh_f32", "RELU": "tfc_relu_f32", "RELU6": "tfc_relu6_f32",
    "LEAKY_RELU": "tfc_leaky_relu_f32", "ELU": "tfc_elu_f32", "HARD_SWISH": "tfc_hard_swish_f32",
}


def lower_unary(g: Graph, op: Op) -> LoweredOp:
    """An element-wise float op (same float32 expression as TFLM's reference kernel, in place allowed)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    _require_f32(g, op, [x, y])
    if x.elements != y.elements:
        raise TfcError(f"{op.name} '{y.name}': input {list(x.shape)} and output {list(y.shape)} differ in size",
                       "re-export the model")
    extra = [str(x.elements)]
    if op.name == "LEAKY_RELU":
        extra.append(_c_float(float(op.options.get("alpha", 0.2))))
    return LoweredOp(op, UNARY_KERNELS[op.name], None, {}, [x.index], [y.index], overlap={x.index: 0},
                     in_ctypes=("float",), out_ctype="float", extra_args=tuple(extra))


# ---- element-wise binary ops with broadcasting

#: op -> C kernel (all in binary_f32.c); arithmetic ops with a fused activation clamp
BINARY_KERNELS: dict[str, str] = {
    "ADD": "tfc_add_f32", "SUB": "tfc_sub_f32", "MUL": "tfc_mul_f32", "DIV": "tfc_div_f32",
    "MAXIMUM": "tfc_maximum_f32", "MINIMUM": "tfc_minimum_f32",
    "SQUARED_DIFFERENCE": "tfc_squared_difference_f32", "FLOOR_DIV": "tfc_floor_div_f32",
    "FLOOR_MOD": "tfc_floor_mod_f32",
    "EQUAL": "tfc_equal_f32", "NOT_EQUAL": "tfc_not_equal_f32", "GREATER": "tfc_greater_f32",
    "GREATER_EQUAL": "tfc_greater_equal_f32", "LESS": "tfc_less_f32", "LESS_EQUAL": "tfc_less_equal_f32",
}
_COMPARISONS = ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")
_FUSED = ("ADD", "SUB", "MUL", "DIV")


def activation_range_f32(act: int) -> tuple[float, float]:
    """TFLite's CalculateActivationRange for float: RELU [0, max], RELU_N1_TO_1 [-1, 1], RELU6 [0, 6],
    anything else (NONE, and TANH / SIGN_BIT, which it does not apply) [lowest, max]."""
    return {1: (0.0, FLT_MAX), 2: (-1.0, 1.0), 3: (0.0, 6.0)}.get(act, (-FLT_MAX, FLT_MAX))


def broadcast_fields(g: Graph, op: Op, a: Tensor, b: Tensor, y: Tensor) -> dict:
    """Output shape (padded to MAX_DIMS) and each input's element strides (0 on broadcast dims)."""
    out = list(y.shape) or [1]
    if len(out) > MAX_DIMS:
        raise TfcError(f"{op.name} '{y.name}' has {len(out)} dimensions (max {MAX_DIMS})", "reshape first")

    def strides(t: Tensor) -> list[int]:
        if len(t.shape) > len(out):
            raise TfcError(f"{op.name} '{y.name}': input '{t.name}' {list(t.shape)} has more dimensions than "
                           f"the output {list(y.shape)}", "re-export the model")
        shape = [1] * (len(out) - len(t.shape)) + list(t.shape)
        st, acc = [0] * len(out), 1
        for d in range(len(out) - 1, -1, -1):
            if shape[d] not in (1, out[d]):
                raise TfcError(f"{op.name} '{y.name}': shapes {list(a.shape)} and {list(b.shape)} do not "
                               f"broadcast to {list(y.shape)}", "re-export the model")
            st[d] = 0 if shape[d] == 1 and out[d] != 1 else acc
            acc *= shape[d]
        return st

    pad = MAX_DIMS - len(out)
    return dict(ndim=len(out), shape=out + [1] * pad, stride1=strides(a) + [0] * pad,
                stride2=strides(b) + [0] * pad)


def lower_binary(g: Graph, op: Op) -> LoweredOp:
    """A float binary op with up to 5-D broadcasting (comparisons write bool)."""
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    _require_f32(g, op, [a, b])
    if op.name in _COMPARISONS:
        if y.dtype != "bool":
            raise TfcError(f"{op.name} '{y.name}' writes {y.dtype}; comparisons write bool", "re-export the model")
        out_ctype = "uint8_t"
    else:
        _require_f32(g, op, [y])
        out_ctype = "float"
    fields = broadcast_fields(g, op, a, b, y)
    lo, hi = activation_range_f32(int(op.options.get("fused_activation_function", 0)))
    fields.update(act_min=lo, act_max=hi)
    overlap = {t.index: 0 for t in (a, b) if t.shape == y.shape and out_ctype == "float" and not t.is_const}
    return LoweredOp(op, BINARY_KERNELS[op.name], "tfc_binary_f32_params", fields, [a.index, b.index],
                     [y.index], overlap=overlap, in_ctypes=("float",), out_ctype=out_ctype)


def lower_add_n(g: Graph, op: Op) -> LoweredOp:
    """ADD_N: out[i] = ((0 + in0[i]) + in1[i]) + ... in input order, as TFLM."""
    ins = [g.t(i) for i in op.inputs]
    y = g.t(op.outputs[0])
    _require_f32(g, op, [*ins, y])
    if any(t.elements != y.elements for t in ins):
        raise TfcError(f"ADD_N '{y.name}': inputs differ in shape", "re-export the model")
    return LoweredOp(op, "tfc_add_n_f32", None, {}, [t.index for t in ins], [y.index], in_ctypes=("float",),
                     out_ctype="float", inputs_as_array=True, pre_args=(), extra_args=(str(len(ins)), str(y.elements)))


# ---- reductions, cumulative sum, softmax


def _const_ints(g: Graph, op: Op, index: int, what: str) -> list[int]:
    t = g.t(index)
    if not t.is_const:
        raise TfcError(f"{op.name} '{out_name(g, op)}': the {what} must be a constant", "use fixed axes")
    return [int(v) for v in np.asarray(t.data).reshape(-1)]


REDUCE_KERNELS = {"SUM": "tfc_sum_f32", "MEAN": "tfc_mean_f32", "REDUCE_MAX": "tfc_reduce_max_f32",
                   "REDUCE_MIN": "tfc_reduce_min_f32"}


def lower_reduce(g: Graph, op: Op) -> LoweredOp:
    """SUM / MEAN / REDUCE_MAX / REDUCE_MIN over constant axes: each output accumulates its inputs
    in row-major input order (TFLM's Reduce), MEAN then divides by the float count."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    _require_f32(g, op, [x, y])
    nd = len(x.shape)
    if nd > MAX_DIMS:
        raise TfcError(f"{op.name} '{y.name}' has {nd} dimensions (max {MAX_DIMS})", "reshape first")
    raw = _const_ints(g, op, op.inputs[1], "axes")
    if any(not -nd <= a < max(nd, 1) for a in raw):
        raise TfcError(f"{op.name} '{y.name}': axis out of range for a {nd}-D input", "re-export the model")
    axes = sorted({a % nd for a in raw}) if nd else []
    if any(d == 0 for d in x.shape):
        raise TfcError(f"{op.name} '{y.name}' reduces an empty tensor", "re-export the model")
    strides = [int(math.prod(x.shape[d + 1:])) for d in range(nd)]
    kept = [d for d in range(nd) if d not in axes]
    count = int(math.prod(x.shape[d] for d in axes))
    if int(math.prod(x.shape[d] for d in kept)) != y.elements:
        raise TfcError(f"{op.name} '{y.name}': output {list(y.shape)} does not match the reduction of "
                       f"{list(x.shape)}", "re-export the model")
    pad = [0] * MAX_DIMS
    fields = dict(k_ndim=len(kept), k_shape=([x.shape[d] for d in kept] + pad)[:MAX_DIMS],
                  k_stride=([strides[d] for d in kept] + pad)[:MAX_DIMS], r_ndim=len(axes),
                  r_shape=([x.shape[d] for d in axes] + pad)[:MAX_DIMS],
                  r_stride=([strides[d] for d in axes] + pad)[:MAX_DIMS], count=float(np.float32(count)))
    return LoweredOp(op, REDUCE_KERNELS[op.name], "tfc_reduce_f32_params", fields, [x.index], [y.index],
                     in_ctypes=("float",), out_ctype="float")


def lower_cumsum(g: Graph, op: Op) -> LoweredOp:
    """CUMSUM along a constant axis (exclusive / reverse), accumulating from 0.0f like TFLM."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    _require_f32(g, op, [x, y])
    nd = len(x.shape)
    axes = _const_ints(g, op, op.inputs[1], "axis")
    if len(axes) != 1 or not -nd <= axes[0] < nd:
        raise TfcError(f"CUMSUM '{y.name}': axis {axes} is not one axis of a {nd}-D input", "re-export the model")
    axis = axes[0] % nd
    fields = dict(outer=int(math.prod(x.shape[:axis])), depth=int(x.shape[axis]),
                  inner=int(math.prod(x.shape[axis + 1:])), exclusive=int(bool(op.options.get("exclusive"))),
                  reverse=int(bool(op.options.get("reverse"))))
    return LoweredOp(op, "tfc_cumsum_f32", "tfc_cumsum_f32_params", fields, [x.index], [y.index],
                     in_ctypes=("float",), out_ctype="float")


def lower_softmax(g: Graph, op: Op) -> LoweredOp:
    """SOFTMAX / LOG_SOFTMAX over the last dimension (max, exp of the differences, sum, as TFLM)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    _require_f32(g, op, [x, y])
    depth = int(x.shape[-1]) if x.shape else 1
    if depth == 0 or x.elements != y.elements:
        raise TfcError(f"{op.name} '{y.name}': unsupported shape {list(x.shape)}", "re-export the model")
    fields = dict(outer=x.elements // depth, depth=depth, beta=float(op.options.get("beta", 1.0)))
    kernel = "tfc_softmax_f32" if op.name == "SOFTMAX" else "tfc_log_softmax_f32"
    return LoweredOp(op, kernel, "tfc_softmax_f32_params", fields, [x.index], [y.index],
                     in_ctypes=("float",), out_ctype="float")


def lower_embedding_lookup(g: Graph, op: Op) -> LoweredOp:
    """Hybrid EMBEDDING_LOOKUP: rows of an int8 table (zero point 0) dequantised with the table's
    scale into a float32 output, out = (float)q * scale as TFLM."""
    ids, table, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    _require_f32(g, op, [y])
    if ids.dtype != "int32" or table.dtype != "int8" or len(table.shape) < 2:
        raise TfcError(f"EMBEDDING_LOOKUP '{y.name}': ids {ids.dtype}, table {table.dtype} "
                       f"{list(table.shape)}; the float kernel takes int32 ids and an int8 table of 2+ dimensions",
                       _FIX)
    if table.per_channel or table.zero_point != 0:
        raise TfcError(f"EMBEDDING_LOOKUP '{y.name}': the int8 table needs one scale and zero point 0 (as TFLM)",
                       "re-export the model")
    rows = int(table.shape[0])
    cols = table.elements // rows if rows else 0
    fields = dict(n_ids=ids.elements, rows=rows, cols=cols, scale=float(np.float32(table.scale)))
    return LoweredOp(op, "tfc_embedding_lookup_s8_f32", "tfc_embedding_f32_params", fields,
                     [ids.index, table.index], [y.index], in_ctypes=("int32_t", "int8_t"), out_ctype="float")


# ---- CAST with a float32 side

_CAST_CODES = {"int8": ("s8", "int8_t"), "int16": ("s16", "int16_t"), "int32": ("s32", "int32_t"),
               "uint32": ("u32", "uint32_t"), "bool": ("b", "uint8_t"), "float32": ("f32", "float")}
#: (from, to) -> C kernel (all in cast_f32.c): TFLM's CAST takes int8/int16/int32/uint32/bool/float32
#: and writes int8/int16/int32/uint32/float32
CAST_KERNELS: dict[tuple[str, str], str] = {
    **{(t, "float32"): f"tfc_cast_{_CAST_CODES[t][0]}_f32" for t in ("int8", "int16", "int32", "uint32", "bool")},
    **{("float32", t): f"tfc_cast_f32_{_CAST_CODES[t][0]}" for t in ("int8", "int16", "int32", "uint32")},
}


def lower_cast(g: Graph, op: Op) -> LoweredOp:
    """CAST to or from float32 (float -> integer truncates and saturates, NaN -> 0, as TFLM's host
    interpreter does; float32 -> float32 is a copy)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.elements != y.elements:
        raise TfcError(f"CAST '{y.name}': input {list(x.shape)} and output {list(y.shape)} differ in size",
                       "re-export the model")
    if x.dtype == y.dtype == F32:
        return LoweredOp(op, "tfc_copy_bytes", None, {}, [x.index], [y.index], overlap={x.index: 0},
                         in_ctypes=("void",), out_ctype="void", extra_args=(str(x.nbytes),))
    kernel = CAST_KERNELS.get((x.dtype, y.dtype))
    if kernel is None:
        raise TfcError(f"CAST '{y.name}' from {x.dtype} to {y.dtype} is not supported (TFLM casts int8, int16, "
                       "int32, uint32 and bool to float32, float32 to int8, int16, int32 and uint32)", _FIX)
    same_size = x.nbytes == y.nbytes
    return LoweredOp(op, kernel, None, {}, [x.index], [y.index], overlap={x.index: 0} if same_size else {},
                     in_ctypes=(_CAST_CODES[x.dtype][1],), out_ctype=_CAST_CODES[y.dtype][1],
                     extra_args=(str(x.elements),))
