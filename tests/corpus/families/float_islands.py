"""Float islands: int8 models with ops left in float32 (DEQUANTIZE -> float op -> output), the
pattern the converter makes for ops without an integer kernel, written straight into flatbuffers
so that every float op TFLM runs is covered with chosen shapes, broadcasting, fused activations,
options and special values (zeros, halves, out-of-range inputs for LOG/SQRT/EXP). The float
result is the model output (float32, or bool for comparisons), so TFLM's bits are compared
directly rather than through a QUANTIZE; `float_*_requantized_*` entries end in QUANTIZE like the
converter's islands."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..registry import add
from .handmade import FlatModel

_NOTE = "float island written directly into a flatbuffer: int8 input(s) -> DEQUANTIZE -> float32 op"
_SHAPE = [4, 64]  # 256 elements: random int8 inputs reach most of the 256 dequantised values


def _options(m: FlatModel, opt: tuple[str, dict[str, Any]] | None) -> tuple[Any, str]:
    if opt is None:
        return None, "NONE"
    name, fields = opt
    obj = getattr(m.fb, name + "T")()
    for k, v in fields.items():
        setattr(obj, k, v)
    return obj, name


def _live(m: FlatModel, k: int, shape: list[int], q: tuple[float, int]) -> tuple[int, int]:
    """Model input k (int8) and its DEQUANTIZE output (float32)."""
    x = m.tensor(f"in{k}", shape, "int8", scale=q[0], zero_point=q[1])
    f = m.tensor(f"in{k}_float", shape, "float32")
    m.op("DEQUANTIZE", [x], [f], None, "NONE")
    return x, f


def unary(op: str, q: tuple[float, int], *, opt: tuple[str, dict[str, Any]] | None = None,
          shape: list[int] | None = None, requantize: tuple[float, int] | None = None) -> bytes:
    """int8 -> DEQUANTIZE -> op -> float32 output (or QUANTIZE -> int8 output)."""
    shape = shape or _SHAPE
    m = FlatModel()
    x, f = _live(m, 0, shape, q)
    y = m.tensor("y", shape, "float32")
    m.op(op, [f], [y], *_options(m, opt))
    if requantize is not None:
        out = m.tensor("out", shape, "int8", scale=requantize[0], zero_point=requantize[1])
        m.op("QUANTIZE", [y], [out], None, "NONE")
        y = out
    return m.finish([x], [y])


def _act(name: str) -> int:
    return {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4}[name]


def binary(op: str, shapes: tuple[list[int], list[int]], qs: tuple[Any, Any], out_shape: list[int], *,
           opt: tuple[str, dict[str, Any]] | None = None, out_dtype: str = "float32",
           denominator_offset: float | None = None, seed: int = 0) -> bytes:
    """Two operands (an int8 model input through DEQUANTIZE, or a float32 constant when its q is
    None: values from ``seed``) -> op -> output. ``denominator_offset``: operand 2 becomes
    |x| + offset (never zero; FLOOR_DIV fails on a zero denominator in TFLM)."""
    rng = np.random.default_rng(seed)
    m = FlatModel()
    inputs, operands = [], []
    for k, (shape, q) in enumerate(zip(shapes, qs, strict=True)):
        if q is None:
            data = rng.uniform(-3.0, 3.0, shape).astype(np.float32)
            data[np.abs(data) < 0.1] = 0.5  # no zero denominators
            operands.append(m.tensor(f"c{k}", shape, "float32", data=data))
            continue
        x, f = _live(m, k, shape, q)
        inputs.append(x)
        operands.append(f)
    if denominator_offset is not None:
        a = m.tensor("abs", shapes[1], "float32")
        m.op("ABS", [operands[1]], [a], None, "NONE")
        c = m.tensor("offset", [1], "float32", data=np.array([denominator_offset], np.float32))
        d = m.tensor("denominator", shapes[1], "float32")
        m.op("ADD", [a, c], [d], m.fb.AddOptionsT(), "AddOptions")
        operands[1] = d
    y = m.tensor("y", out_shape, out_dtype)
    m.op(op, operands, [y], *_options(m, opt))
    return m.finish(inputs, [y])


def reduce(op: str, shape: list[int], axes: list[int], keep_dims: bool, q: tuple[float, int]) -> bytes:
    m = FlatModel()
    x, f = _live(m, 0, shape, q)
    nd = len(shape)
    red = {a % nd for a in axes}
    out_shape = [1 if d in red else s for d, s in enumerate(shape)] if keep_dims else \
        [s for d, s in enumerate(shape) if d not in red]
    ax = m.tensor("axes", [len(axes)], "int32", data=np.array(axes, np.int32))
    y = m.tensor("y", out_shape, "float32")
    m.op(op, [f, ax], [y], *_options(m, ("ReducerOptions", {"keepDims": keep_dims})))
    return m.finish([x], [y])


def cumsum(shape: list[int], axis: int, exclusive: bool, reverse: bool, q: tuple[float, int]) -> bytes:
    m = FlatModel()
    x, f = _live(m, 0, shape, q)
    ax = m.tensor("axis", [], "int32", data=np.array(axis, np.int32))
    y = m.tensor("y", shape, "float32")
    m.op("CUMSUM", [f, ax], [y], *_options(m, ("CumsumOptions", {"exclusive": exclusive, "reverse": reverse})))
    return m.finish([x], [y])


def add_n(q: tuple[float, int], seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    m = FlatModel()
    shape = [2, 3, 8]
    x0, f0 = _live(m, 0, shape, q)
    x1, f1 = _live(m, 1, shape, (q[0] * 0.7, -q[1]))
    c = m.tensor("c", shape, "float32", data=rng.uniform(-2, 2, shape).astype(np.float32))
    y = m.tensor("y", shape, "float32")
    m.op("ADD_N", [f0, c, f1, f0], [y], m.fb.AddNOptionsT(), "AddNOptions")
    return m.finish([x0, x1], [y])


def _reg(name: str, build: Any, ops: tuple[str, ...], note: str = "") -> None:
    add(f"float_{name}_int8", ("int8", "float-io"), build, expect_ops=ops, note=f"{_NOTE}{'; ' + note if note else ''}")


# ---- element-wise unary ops: input scale / zero point chosen so the dequantised values reach the
# interesting parts of each function (halves for ROUND, 0 and negatives for SQRT/LOG/RSQRT, EXP
# overflow, LOGISTIC's cut-offs, HARD_SWISH's knees)
_UNARY: dict[str, tuple[str, tuple[float, int], Any]] = {
    "abs": ("ABS", (0.05, 3), None),
    "neg": ("NEG", (0.05, 0), None),
    "ceil": ("CEIL", (0.13, -5), None),
    "floor": ("FLOOR", (0.13, -5), None),
    "round": ("ROUND", (0.25, 0), None),
    "sqrt": ("SQRT", (0.07, -100), None),
    "rsqrt": ("RSQRT", (0.03, -110), None),
    "square": ("SQUARE", (0.11, 7), None),
    "sin": ("SIN", (0.11, 0), None),
    "cos": ("COS", (0.11, 0), None),
    "exp": ("EXP", (0.75, 10), None),
    "log": ("LOG", (0.09, -120), None),
    "logistic": ("LOGISTIC", (0.15, 0), None),
    "tanh": ("TANH", (0.04, 2), None),
    "relu": ("RELU", (0.05, 4), None),
    "relu6": ("RELU6", (0.07, 0), None),
    "leaky_relu": ("LEAKY_RELU", (0.05, -3), ("LeakyReluOptions", {"alpha": 0.3})),
    "elu": ("ELU", (0.06, 20), None),
    "hard_swish": ("HARD_SWISH", (0.06, 0), None),
}
for _name, (_op, _q, _opt) in _UNARY.items():
    _reg(_name, lambda op=_op, q=_q, opt=_opt: unary(op, q, opt=opt), (_op,))
_reg("round_requantized", lambda: unary("ROUND", (0.05, -2), requantize=(0.05, -2)), ("ROUND", "QUANTIZE"),
     "ends in QUANTIZE like the converter's islands")
_reg("leaky_relu_negative_alpha", lambda: unary("LEAKY_RELU", (0.05, 0), opt=("LeakyReluOptions", {"alpha": -1.7}),
                                                shape=[2, 3, 4, 5]), ("LEAKY_RELU",))

# ---- binary ops: two live operands, broadcasting (both ways, 4-D and 5-D), constant operands,
# fused activations
_Q1, _Q2 = (0.04, -3), (0.03, 5)
_B4 = ([2, 3, 4, 5], [1, 3, 1, 5])
_BINARY: dict[str, tuple[str, tuple[list[int], list[int]], tuple[Any, Any], list[int], Any]] = {
    "add_relu6": ("ADD", ([2, 64], [2, 64]), (_Q1, _Q2), [2, 64], ("AddOptions", {"fusedActivationFunction": 3})),
    "add_broadcast": ("ADD", _B4, (_Q1, _Q2), [2, 3, 4, 5], ("AddOptions", {})),
    "sub_broadcast_relu_n1_to_1": ("SUB", ([1, 3, 1, 5], [2, 3, 4, 1]), (_Q1, _Q2), [2, 3, 4, 5],
                                   ("SubOptions", {"fusedActivationFunction": 2})),
    "mul_const_relu": ("MUL", ([3, 4, 8], [8]), (_Q1, None), [3, 4, 8], ("MulOptions", {"fusedActivationFunction": 1})),
    "mul_5d": ("MUL", ([2, 1, 3, 2, 4], [1, 2, 3, 1, 4]), (_Q1, _Q2), [2, 2, 3, 2, 4], ("MulOptions", {})),
    "div": ("DIV", ([2, 64], [2, 64]), (_Q1, _Q2), [2, 64], ("DivOptions", {})),
    "div_const_broadcast": ("DIV", ([4], [3, 4, 4]), (None, _Q2), [3, 4, 4], ("DivOptions", {})),
    "maximum": ("MAXIMUM", _B4, (_Q1, _Q2), [2, 3, 4, 5], ("MaximumMinimumOptions", {})),
    "minimum_const": ("MINIMUM", ([2, 64], [64]), (_Q1, None), [2, 64], ("MaximumMinimumOptions", {})),
    "squared_difference": ("SQUARED_DIFFERENCE", _B4, (_Q1, _Q2), [2, 3, 4, 5], ("SquaredDifferenceOptions", {})),
    "floor_mod": ("FLOOR_MOD", ([2, 64], [2, 64]), ((0.09, 0), (0.05, 3)), [2, 64], ("FloorModOptions", {})),
    "floor_mod_const": ("FLOOR_MOD", ([3, 4, 4], [4]), ((0.09, 0), None), [3, 4, 4], ("FloorModOptions", {})),
    "floor_div_const": ("FLOOR_DIV", ([3, 4, 4], [4]), ((0.09, 0), None), [3, 4, 4], ("FloorDivOptions", {})),
}
for _name, (_op, _shapes, _qs, _out, _opt) in _BINARY.items():
    _reg(_name, lambda op=_op, s=_shapes, q=_qs, o=_out, opt=_opt: binary(op, s, q, o, opt=opt), (_op,))
_reg("floor_div", lambda: binary("FLOOR_DIV", ([2, 3, 4, 5], [1, 3, 1, 5]), ((0.09, 0), (0.02, 1)), [2, 3, 4, 5],
                                 opt=("FloorDivOptions", {}), denominator_offset=0.01),
     ("FLOOR_DIV", "ABS", "ADD"), "denominator |x| + 0.01 (TFLM fails on a zero denominator)")

_CMP = {"equal": "EQUAL", "not_equal": "NOT_EQUAL", "greater": "GREATER", "greater_equal": "GREATER_EQUAL",
        "less": "LESS", "less_equal": "LESS_EQUAL"}
for _name, _op in _CMP.items():
    _opt_name = "".join(w.capitalize() for w in _name.split("_")) + "Options"
    # equal scales (0.04 and 0.04): many exactly equal pairs
    _reg(_name, lambda op=_op, o=_opt_name: binary(op, _B4, ((0.04, 0), (0.04, 2)), [2, 3, 4, 5],
                                                  opt=(o, {}), out_dtype="bool"), (_op,))

_reg("add_n", lambda: add_n((0.05, 2)), ("ADD_N",), "two live inputs, a constant and one input twice")

# ---- reductions, cumulative sums, softmax
_REDUCE = {
    "mean_spatial_keepdims": ("MEAN", [1, 5, 6, 8], [1, 2], True),  # TFLM's special 4-D path
    "mean_last": ("MEAN", [2, 5, 6, 8], [-1], False),
    "mean_axes_0_2": ("MEAN", [3, 4, 5, 2], [2, 0], True),
    "sum_axes_1_3": ("SUM", [2, 5, 3, 7], [1, 3], False),
    "sum_all": ("SUM", [3, 5, 7], [0, 1, 2], False),
    "reduce_max": ("REDUCE_MAX", [2, 5, 6, 8], [1], False),
    "reduce_min_keepdims": ("REDUCE_MIN", [2, 5, 6, 8], [2, 3], True),
}
for _name, (_op, _shape, _axes, _keep) in _REDUCE.items():
    _reg(_name, lambda op=_op, s=_shape, a=_axes, k=_keep: reduce(op, s, a, k, (0.07, -4)), (_op,))

_CUMSUM = {"cumsum_axis0": ([5, 3, 4], 0, False, False), "cumsum_exclusive": ([5, 3, 4], 1, True, False),
           "cumsum_reverse_negative_axis": ([2, 5, 3, 4], -1, False, True),
           "cumsum_exclusive_reverse": ([2, 5, 3, 4], 2, True, True)}
for _name, (_shape, _axis, _excl, _rev) in _CUMSUM.items():
    _reg(_name, lambda s=_shape, a=_axis, e=_excl, r=_rev: cumsum(s, a, e, r, (0.09, 1)), ("CUMSUM",))

_reg("softmax", lambda: unary("SOFTMAX", (0.1, 0), opt=("SoftmaxOptions", {"beta": 1.0}), shape=[2, 3, 10]),
     ("SOFTMAX",))
_reg("softmax_beta", lambda: unary("SOFTMAX", (0.2, -7), opt=("SoftmaxOptions", {"beta": 0.37}), shape=[4, 64]),
     ("SOFTMAX",))
_reg("log_softmax", lambda: unary("LOG_SOFTMAX", (0.1, 3), opt=("LogSoftmaxOptions", {}), shape=[3, 4, 12]),
     ("LOG_SOFTMAX",))


# ---- CAST with a float side: saturating float -> int16 (TFLM clamps out-of-range values), and a
# comparison's bool cast back to float
def cast_chain(kind: str) -> bytes:
    m = FlatModel()
    shape = [4, 32]
    x, f = _live(m, 0, shape, (0.5, 0))
    c = m.tensor("c", [32], "float32", data=np.linspace(-900.5, 1300.25, 32).astype(np.float32))
    if kind == "saturating":
        p = m.tensor("scaled", shape, "float32")
        m.op("MUL", [f, c], [p], m.fb.MulOptionsT(), "MulOptions")
        y = m.tensor("y", shape, "int16")
        m.op("CAST", [p], [y], m.fb.CastOptionsT(), "CastOptions")
    else:
        b = m.tensor("greater", shape, "bool")
        m.op("GREATER", [f, m.tensor("t", [32], "float32", data=np.linspace(-40, 40, 32).astype(np.float32))], [b],
             m.fb.GreaterOptionsT(), "GreaterOptions")
        y = m.tensor("y", shape, "float32")
        m.op("CAST", [b], [y], m.fb.CastOptionsT(), "CastOptions")
    return m.finish([x], [y])


_reg("cast_saturating", lambda: cast_chain("saturating"), ("CAST", "MUL"),
     "float x constant -> CAST int16: products beyond int16 saturate as in TFLM")
_reg("cast_bool_to_float", lambda: cast_chain("bool"), ("CAST", "GREATER"))
