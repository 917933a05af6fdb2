"""Models the TFLite converter cannot produce from a TensorFlow graph, written straight into a
flatbuffer with the schema's object API: SVDF (the keyword-spotting state-space layer, with its
activation state as a variable tensor), an integer ADD_N and DYNAMIC_UPDATE_SLICE (the converter
leaves ADD_N in float and has no TF op that lowers to DYNAMIC_UPDATE_SLICE in a plain graph)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.helpers.flatmodel import FlatModel

from ..registry import add


def svdf(*, input_size: int, units: int, rank: int, memory: int, state_dtype: str, time_dtype: str,
         relu: bool, seed: int) -> bytes:
    """A one-op int8 SVDF: input [1, input_size] -> output [1, units], state [1, memory * filters]."""
    rng = np.random.default_rng(seed)
    filters = units * rank
    m = FlatModel()
    fb = m.fb
    s_in, s_wf, s_state, s_out = 0.02, 0.008, 0.01 if state_dtype == "int16" else 0.04, 0.05
    tinfo = np.iinfo(np.int16 if time_dtype == "int16" else np.int8)
    s_wt = 1.0 / (tinfo.max + 1) * 0.8
    wf = rng.integers(-127, 128, (filters, input_size)).astype(np.int8)
    wt = rng.integers(tinfo.min + 1, tinfo.max + 1, (filters, memory)).astype(tinfo.dtype)
    bias = rng.integers(-2000, 2000, (units,)).astype(np.int32)
    x = m.tensor("input", [1, input_size], "int8", scale=s_in, zero_point=-3)
    w1 = m.tensor("weights_feature", [filters, input_size], "int8", scale=s_wf, data=wf)
    w2 = m.tensor("weights_time", [filters, memory], time_dtype, scale=s_wt, data=wt)
    b = m.tensor("bias", [units], "int32", scale=s_state * s_wt, data=bias)
    st = m.tensor("activation_state", [1, memory * filters], state_dtype, scale=s_state,
                  zero_point=0 if state_dtype == "int16" else 2, variable=True)
    y = m.tensor("output", [1, units], "int8", scale=s_out, zero_point=5)
    opts = fb.SVDFOptionsT()
    opts.rank = rank
    opts.fusedActivationFunction = fb.ActivationFunctionType.RELU if relu else fb.ActivationFunctionType.NONE
    m.op("SVDF", [x, w1, w2, b, st], [y], opts, "SVDFOptions")
    return m.finish([x], [y])


_SVDF = {
    "op_svdf_int16_state": dict(input_size=24, units=8, rank=2, memory=6, state_dtype="int16",
                                time_dtype="int16", relu=True, seed=1),
    "op_svdf_int8_state": dict(input_size=16, units=6, rank=1, memory=5, state_dtype="int8",
                               time_dtype="int8", relu=False, seed=2),
}
for _name, _kw in _SVDF.items():
    add(f"{_name}_int8", ("int8", "stateful"), lambda kw=_kw: svdf(**kw), invocations=8, expect_ops=("SVDF",),
        note="SVDF written directly into a flatbuffer (the converter has no TF pattern that makes it); "
             "the activation state is a variable tensor carried across invocations")


def add_n(seed: int = 3) -> bytes:
    """int8 ADD_N of the model input and two constants (TFLM wants one scale/zero point for all inputs)."""
    rng = np.random.default_rng(seed)
    m = FlatModel()
    shape = [1, 4, 6]
    x = m.tensor("input", shape, "int8", scale=0.05, zero_point=4)
    c1 = m.tensor("c1", shape, "int8", scale=0.05, zero_point=4, data=rng.integers(-128, 128, shape).astype(np.int8))
    c2 = m.tensor("c2", shape, "int8", scale=0.05, zero_point=4, data=rng.integers(-128, 128, shape).astype(np.int8))
    y = m.tensor("output", shape, "int8", scale=0.12, zero_point=-7)
    m.op("ADD_N", [x, c1, c2], [y], m.fb.AddNOptionsT(), "AddNOptions")
    return m.finish([x], [y])


def dynamic_update_slice(dtype: str, seed: int = 4) -> bytes:
    """Write a constant patch into the model input at constant start indices."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(np.int8 if dtype == "int8" else np.int16)
    m = FlatModel()
    zp = 3 if dtype == "int8" else 0
    x = m.tensor("input", [1, 6, 8], dtype, scale=0.02, zero_point=zp)
    u = m.tensor("update", [1, 2, 3], dtype, scale=0.02, zero_point=zp,
                 data=rng.integers(info.min, info.max + 1, (1, 2, 3)).astype(info.dtype))
    i = m.tensor("start", [3], "int32", data=np.array([0, 3, 4], np.int32))
    y = m.tensor("output", [1, 6, 8], dtype, scale=0.02, zero_point=zp)
    m.op("DYNAMIC_UPDATE_SLICE", [x, u, i], [y], m.fb.DynamicUpdateSliceOptionsT(), "DynamicUpdateSliceOptions")
    return m.finish([x], [y])


_NOTE = "written directly into a flatbuffer (the converter does not emit this op with integer types)"
add("op_add_n_handmade_int8", ("int8",), add_n, expect_ops=("ADD_N",), note=_NOTE)
add("op_dynamic_update_slice_int8", ("int8",), lambda: dynamic_update_slice("int8"),
    expect_ops=("DYNAMIC_UPDATE_SLICE",), note=_NOTE)
add("op_dynamic_update_slice_int16x8", ("int16x8",), lambda: dynamic_update_slice("int16"),
    expect_ops=("DYNAMIC_UPDATE_SLICE",), note=_NOTE)


def unary(op: str, in_shape: list[int], out_shape: list[int], dtype: str, *, const: np.ndarray | None = None,
          options: tuple[str, dict[str, Any]] | None = None, out_dtype: str | None = None,
          in_q: tuple[float, int] | None = (0.03, 2), out_q: tuple[float, int] | None = (0.03, 2)) -> bytes:
    """One op on the model input (plus an optional constant second operand)."""
    m = FlatModel()
    fb = m.fb
    x = m.tensor("input", in_shape, dtype, scale=in_q[0] if in_q else None, zero_point=in_q[1] if in_q else 0)
    ins = [x]
    if const is not None:
        ins.append(m.tensor("operand", list(const.shape), "int32", data=const))
    od = out_dtype or dtype
    y = m.tensor("output", out_shape, od, scale=out_q[0] if out_q else None, zero_point=out_q[1] if out_q else 0)
    opt_obj, opt_type = None, "NONE"
    if options is not None:
        opt_type, fields = options
        opt_obj = getattr(fb, opt_type + "T")()
        for k, v in fields.items():
            setattr(opt_obj, k, v)
    m.op(op, ins, [y], opt_obj, opt_type)
    return m.finish([x], [y])


def embedding_lookup(out_dtype: str, seed: int = 5) -> bytes:
    """int8 embedding table (a constant) looked up by int32 ids from the model input."""
    rng = np.random.default_rng(seed)
    m = FlatModel()
    ids = m.tensor("ids", [5], "int32")
    table = m.tensor("table", [12, 6], "int8", scale=0.02, zero_point=0,
                     data=rng.integers(-127, 128, (12, 6)).astype(np.int8))
    q = dict(scale=0.02, zero_point=0) if out_dtype == "int8" else {}
    y = m.tensor("output", [5, 6], out_dtype, **q)
    m.op("EMBEDDING_LOOKUP", [ids, table], [y], None, "NONE")
    return m.finish([ids], [y])


_SHAPES = {"int8": "int8", "int16x8": "int16"}
for _mode, _dt in _SHAPES.items():
    _zp = 2 if _dt == "int8" else 0
    add(f"op_expand_dims_handmade_{_mode}", (_mode,),
        lambda dt=_dt, zp=_zp: unary("EXPAND_DIMS", [1, 6, 8], [1, 6, 1, 8], dt, const=np.array([2], np.int32),
                                     options=("ExpandDimsOptions", {}), in_q=(0.03, zp), out_q=(0.03, zp)),
        expect_ops=("EXPAND_DIMS",), note=_NOTE)
    add(f"op_squeeze_handmade_{_mode}", (_mode,),
        lambda dt=_dt, zp=_zp: unary("SQUEEZE", [1, 6, 1, 8], [1, 6, 8], dt,
                                     options=("SqueezeOptions", {"squeezeDims": [2]}),
                                     in_q=(0.03, zp), out_q=(0.03, zp)),
        expect_ops=("SQUEEZE",), note=_NOTE)
add("op_embedding_lookup_int8_table_int8", ("int8", "int-input"), lambda: embedding_lookup("int8"),
    expect_ops=("EMBEDDING_LOOKUP",), input_ranges=((0, 12),), note=_NOTE)
add("op_embedding_lookup_int8_table_float_out", ("int8", "int-input", "float-io"),
    lambda: embedding_lookup("float32"), expect_ops=("EMBEDDING_LOOKUP",), input_ranges=((0, 12),),
    note="hybrid: int8 table, float32 output; " + _NOTE)
# type conversions the converter only makes at model edges: int8 <-> int16 (mixed precision), int8 -> int32,
# uint8/int16 -> float
_CONV = {
    "op_quantize_int8_to_int16": ("QUANTIZE", "int8", "int16", (0.05, -3), (0.0004, 0), "int8"),
    "op_quantize_int16_to_int8": ("QUANTIZE", "int16", "int8", (0.0004, 0), (0.05, 4), "int16x8"),
    "op_quantize_int8_to_int32": ("QUANTIZE", "int8", "int32", (0.05, -3), (0.001, 0), "int8"),
    "op_dequantize_uint8_to_float": ("DEQUANTIZE", "uint8", "float32", (0.05, 128), None, "int8"),
    "op_dequantize_int16_to_float": ("DEQUANTIZE", "int16", "float32", (0.0004, 0), None, "int16x8"),
    "op_quantize_int16_to_int32": ("QUANTIZE", "int16", "int32", (0.0004, 0), (0.00003, 0), "int16x8"),
    "op_quantize_int32_to_int8": ("QUANTIZE", "int32", "int8", (0.001, 0), (0.05, 4), "int8"),
    "op_quantize_int32_to_int16": ("QUANTIZE", "int32", "int16", (0.001, 0), (0.0004, 0), "int16x8"),
    "op_quantize_float_to_uint8": ("QUANTIZE", "float32", "uint8", None, (0.02, 120), "int8"),
    "op_quantize_uint8_to_uint8": ("QUANTIZE", "uint8", "uint8", (0.05, 128), (0.03, 100), "int8"),
}
for _name, (_op, _a, _b, _qa, _qb, _mode) in _CONV.items():
    _feat = (_mode, "uint8-io") if "uint8" in (_a, _b) else (_mode, "float-io") if _b == "float32" else (_mode,)
    _feat += ("float-io",) if _a == "float32" else ()
    add(f"{_name}", _feat, lambda op=_op, a=_a, b=_b, qa=_qa, qb=_qb: unary(op, [1, 4, 6], [1, 4, 6], a,
                                                                          out_dtype=b, in_q=qa, out_q=qb),
        expect_ops=(_op,), note=_NOTE)


def int_kernel_only(kind: str, seed: int = 6) -> bytes:
    """Integer versions of ops the converter only emits in float (ELU, CUMSUM, ZEROS_LIKE in int8) or
    not at all for int16 (a comparison feeding SELECT_V2)."""
    rng = np.random.default_rng(seed)
    m = FlatModel()
    fb = m.fb
    shape = [1, 4, 6]
    if kind == "elu":
        x = m.tensor("input", shape, "int8", scale=0.03, zero_point=10)
        y = m.tensor("output", shape, "int8", scale=0.02, zero_point=-78)
        m.op("ELU", [x], [y], None, "NONE")
    elif kind == "cumsum":
        x = m.tensor("input", shape, "int8", scale=0.03, zero_point=-5)
        axis = m.tensor("axis", [], "int32", data=np.array(2, np.int32))
        y = m.tensor("output", shape, "int8", scale=0.15, zero_point=-20)
        opts = fb.CumsumOptionsT()
        opts.exclusive, opts.reverse = False, True
        m.op("CUMSUM", [x, axis], [y], opts, "CumsumOptions")
    elif kind == "cumsum_exclusive":
        x = m.tensor("input", [2, 5, 3], "int8", scale=0.04, zero_point=7)
        axis = m.tensor("axis", [], "int32", data=np.array(-2, np.int32))
        y = m.tensor("output", [2, 5, 3], "int8", scale=0.1, zero_point=-3)
        opts = fb.CumsumOptionsT()
        opts.exclusive, opts.reverse = True, False
        m.op("CUMSUM", [x, axis], [y], opts, "CumsumOptions")
    elif kind == "zeros_like":
        x = m.tensor("input", shape, "int8", scale=0.03, zero_point=-5)
        z = m.tensor("zeros", shape, "int8", scale=0.03, zero_point=-5)
        y = m.tensor("output", [1, 4, 12], "int8", scale=0.03, zero_point=-5)
        m.op("ZEROS_LIKE", [x], [z], fb.ZerosLikeOptionsT(), "ZerosLikeOptions")
        opts = fb.ConcatenationOptionsT()
        opts.axis = 2
        m.op("CONCATENATION", [x, z], [y], opts, "ConcatenationOptions")
    elif kind == "greater_select_int16":
        x = m.tensor("input", shape, "int16", scale=0.0005, zero_point=0)
        c = m.tensor("threshold", [6], "int16", scale=0.0005, zero_point=0,
                     data=rng.integers(-20000, 20000, (6,)).astype(np.int16))
        cond = m.tensor("cond", shape, "bool")
        y = m.tensor("output", shape, "int16", scale=0.0005, zero_point=0)
        m.op("GREATER", [x, c], [cond], fb.GreaterOptionsT(), "GreaterOptions")
        m.op("SELECT_V2", [cond, x, c], [y], fb.SelectV2OptionsT(), "SelectV2Options")
    else:
        raise ValueError(kind)
    return m.finish([0], [len(m.tensors) - 1])


for _kind, _mode, _ops in (("elu", "int8", ("ELU",)), ("cumsum", "int8", ("CUMSUM",)),
                           ("cumsum_exclusive", "int8", ("CUMSUM",)),
                           ("zeros_like", "int8", ("ZEROS_LIKE",)),
                           ("greater_select_int16", "int16x8", ("GREATER", "SELECT_V2"))):
    add(f"op_{_kind.replace('_int16', '')}_handmade_{_mode}", (_mode,), lambda k=_kind: int_kernel_only(k),
        expect_ops=_ops, note=_NOTE)


def movement(kind: str, dtype: str, seed: int = 7) -> bytes:
    """Data movement the converter does not emit as such: STRIDED_SLICE with negative strides and
    begin/end/shrink masks, GATHER with batch_dims, a CAST of int8 to int32."""
    rng = np.random.default_rng(seed)
    m = FlatModel()
    fb = m.fb
    q = dict(scale=0.03, zero_point=-4) if dtype == "int8" else dict(scale=0.0005, zero_point=0)
    if kind == "strided_slice_negative":
        x = m.tensor("input", [1, 6, 8, 4], dtype, **q)
        ins = [x] + [m.tensor(n, [4], "int32", data=np.array(v, np.int32))
                     for n, v in (("begin", [0, -1, 1, 3]), ("end", [1, 0, 7, 0]), ("strides", [1, -2, 3, -1]))]
        y = m.tensor("output", [3, 2, 4], dtype, **q)
        opts = fb.StridedSliceOptionsT()
        opts.beginMask, opts.endMask, opts.shrinkAxisMask = 2, 8, 1
        m.op("STRIDED_SLICE", ins, [y], opts, "StridedSliceOptions")
    elif kind == "gather_batch_dims":
        x = m.tensor("input", [2, 5, 6], dtype, **q)
        idx = m.tensor("indices", [2, 3], "int32", data=rng.integers(0, 5, (2, 3)).astype(np.int32))
        y = m.tensor("output", [2, 3, 6], dtype, **q)
        opts = fb.GatherOptionsT()
        opts.axis, opts.batchDims = 1, 1
        m.op("GATHER", [x, idx], [y], opts, "GatherOptions")
    elif kind == "cast_to_int32":
        x = m.tensor("input", [1, 4, 6], dtype, **q)
        y = m.tensor("output", [1, 4, 6], "int32")
        m.op("CAST", [x], [y], fb.CastOptionsT(), "CastOptions")
    else:
        raise ValueError(kind)
    return m.finish([0], [len(m.tensors) - 1])


for _mode, _dt in _SHAPES.items():
    add(f"op_strided_slice_negative_handmade_{_mode}", (_mode,), lambda dt=_dt: movement("strided_slice_negative", dt),
        expect_ops=("STRIDED_SLICE",), note="negative strides, begin/end/shrink masks; " + _NOTE)
    add(f"op_gather_batch_dims_handmade_{_mode}", (_mode,), lambda dt=_dt: movement("gather_batch_dims", dt),
        expect_ops=("GATHER",), note="batch_dims 1; " + _NOTE)
add("op_cast_int8_to_int32_handmade_int8", ("int8",), lambda: movement("cast_to_int32", "int8"),
    expect_ops=("CAST",), note=_NOTE)
# ---- element-wise binary ops, comparisons, logical ops and selects in the types the converter
# does not produce: several independent ops per model, each output a model output

def _binary_model(kind: str, seed: int = 7) -> bytes:
    rng = np.random.default_rng(seed)
    m = FlatModel()
    fb = m.fb
    outs: list[int] = []

    def op(name: str, ins: list[int], shape: list[int], dtype: str, q: tuple[float, int] | None = None,
           act: int = 0) -> int:
        y = m.tensor(f"{name.lower()}_{len(outs)}", shape, dtype, scale=q[0] if q else None,
                     zero_point=q[1] if q else 0)
        otype = {"MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions", "PRELU": None,
                 "SELECT_V2": "SelectV2Options", "ADD_N": "AddNOptions"}.get(
            name, "".join(w.capitalize() for w in name.split("_")) + "Options")
        opts = getattr(fb, otype + "T")() if otype else None
        if act:
            opts.fusedActivationFunction = act
        m.op(name, ins, [y], opts, otype or "NONE")
        outs.append(y)
        return y

    if kind == "int32":  # TFLM's int32 arithmetic (ADD ignores the activation, the others clamp)
        x = m.tensor("x", [1, 4, 6], "int32")
        v = m.tensor("v", [6], "int32")
        d = m.tensor("divisor", [4, 1], "int32", data=np.array([[3], [-7], [1], [-2]], np.int32))
        ins = [x, v]
        for name, act in (("ADD", 1), ("SUB", 1), ("MUL", 3), ("SQUARED_DIFFERENCE", 0), ("MAXIMUM", 0),
                          ("MINIMUM", 0)):
            op(name, [x, v], [1, 4, 6], "int32", act=act)
        op("DIV", [x, d], [1, 4, 6], "int32", act=2)
        for name in ("LESS", "GREATER_EQUAL", "EQUAL"):
            op(name, [v, x], [1, 4, 6], "bool")
    elif kind == "broadcast6d":  # TFLM's largest rank, broadcast on alternating dimensions (TFLite's
        # reference comparisons stop at 4-D, its SQUARED_DIFFERENCE at 5-D: only ops both oracles run)
        a = m.tensor("a", [2, 1, 3, 1, 2, 1], "int8", scale=0.04, zero_point=5)
        b = m.tensor("b", [1, 2, 1, 2, 1, 3], "int8", scale=0.03, zero_point=-9)
        ins = [a, b]
        shape = [2, 2, 3, 2, 2, 3]
        op("SUB", [a, b], shape, "int8", (0.06, 2))
        op("MUL", [b, a], shape, "int8", (0.01, -4), act=1)
        op("ADD", [a, b], shape, "int8", (0.05, 7))
    elif kind == "prelu_int16":  # int16 input, int8 alpha (per channel and full shape)
        x = m.tensor("x", [1, 4, 6], "int16", scale=0.0004, zero_point=0)
        ins = [x]
        a1 = m.tensor("alpha_c", [6], "int8", scale=0.004, zero_point=3,
                      data=rng.integers(-128, 128, 6).astype(np.int8))
        a2 = m.tensor("alpha_full", [1, 4, 6], "int8", scale=0.01, zero_point=-2,
                      data=rng.integers(-128, 128, (1, 4, 6)).astype(np.int8))
        op("PRELU", [x, a1], [1, 4, 6], "int16", (0.0005, 0))
        op("PRELU", [x, a2], [1, 4, 6], "int16", (0.0003, 0))
    elif kind == "compare_int16":  # TFLM has only GREATER for int16: TFLite's reference kernels run these
        x = m.tensor("x", [1, 4, 6], "int16", scale=0.0005, zero_point=0)
        ins = [x]
        c = m.tensor("c", [4, 1], "int16", scale=0.0007, zero_point=0,
                     data=rng.integers(-30000, 30000, (4, 1)).astype(np.int16))
        for name in ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER_EQUAL"):
            op(name, [x, c], [1, 4, 6], "bool")
    elif kind == "ref_types":  # types only TFLite's reference kernels run: SELECT (v1), int32/bool SELECT_V2,
        # int32 ADD_N and FLOOR_DIV/FLOOR_MOD, bool EQUAL, broadcasting logical ops
        cond = m.tensor("cond", [4], "bool")
        x = m.tensor("x", [4, 6], "int32")
        t8 = m.tensor("t8", [4, 6], "int8", scale=0.02, zero_point=1)
        ins = [cond, x, t8]
        k = m.tensor("k", [6], "int32", data=rng.integers(-9, 10, 6).astype(np.int32))
        d = m.tensor("d", [6], "int32", data=np.array([3, -3, 7, -1, 2, -5], np.int32))
        z8 = m.tensor("z8", [4, 6], "int8", scale=0.02, zero_point=1, data=np.full((4, 6), 1, np.int8))
        op("SELECT", [cond, t8, z8], [4, 6], "int8", (0.02, 1))
        gt = op("GREATER", [x, k], [4, 6], "bool")
        op("SELECT_V2", [gt, x, k], [4, 6], "int32")
        flags = m.tensor("flags", [6], "bool", data=np.array([1, 0, 1, 1, 0, 0], np.bool_))
        op("SELECT_V2", [gt, flags, gt], [4, 6], "bool")
        k2 = m.tensor("k2", [4, 6], "int32", data=rng.integers(-500, 500, (4, 6)).astype(np.int32))
        op("ADD_N", [x, k2, x], [4, 6], "int32")
        op("FLOOR_DIV", [x, d], [4, 6], "int32")
        op("FLOOR_MOD", [x, d], [4, 6], "int32")
        op("EQUAL", [gt, flags], [4, 6], "bool")
        op("LOGICAL_AND", [gt, flags], [4, 6], "bool")
    else:
        raise ValueError(kind)
    return m.finish(ins, outs)


_BINARY_NOTE = ("several independent element-wise ops, " + _NOTE)
for _kind, _name, _feat, _ops in (
        ("int32", "op_binary_int32_handmade_int8", ("int8", "int-input", "multi-input", "multi-output"),
         ("ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", "LESS", "EQUAL")),
        ("broadcast6d", "op_binary_broadcast6d_handmade_int8", ("int8", "multi-input", "multi-output"),
         ("SUB", "MUL", "ADD")),
        ("prelu_int16", "op_prelu_handmade_int16x8", ("int16x8", "const-operand", "multi-output"), ("PRELU",)),
        ("compare_int16", "op_compare_handmade_int16x8", ("int16x8", "const-operand", "multi-output"),
         ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER_EQUAL")),
        ("ref_types", "op_select_add_n_floor_handmade_int8", ("int8", "int-input", "multi-input", "multi-output"),
         ("SELECT", "SELECT_V2", "ADD_N", "FLOOR_DIV", "FLOOR_MOD", "EQUAL", "LOGICAL_AND"))):
    add(_name, _feat, lambda k=_kind: _binary_model(k), expect_ops=_ops, note=_BINARY_NOTE)


# integer activations the converter does not emit (or not with these types): TFLM runs the int8 -> int16
# SOFTMAX; only TFLite's reference kernels run RELU_0_TO_1, integer NEG and GELU
_ACTS = {
    "op_softmax_int8_to_int16": ("SOFTMAX", "int8", "int16", (0.1, -5), (1 / 65536, -32768),
                                 ("SoftmaxOptions", {"beta": 1.0}), "int8"),
    "op_relu_0_to_1_int8": ("RELU_0_TO_1", "int8", "int8", (0.01, -20), (0.005, -128), None, "int8"),
    "op_neg_handmade_int8": ("NEG", "int8", "int8", (0.03, 5), (0.03, 5), None, "int8"),
    "op_gelu_int8": ("GELU", "int8", "int8", (0.05, -10), (0.04, -100), ("GeluOptions", {"approximate": False}),
                     "int8"),
    "op_gelu_approximate_int8": ("GELU", "int8", "int8", (0.05, -10), (0.04, -100),
                                 ("GeluOptions", {"approximate": True}), "int8"),
}
for _name, (_op, _a, _b, _qa, _qb, _opts, _mode) in _ACTS.items():
    add(_name, (_mode,), lambda op=_op, a=_a, b=_b, qa=_qa, qb=_qb, o=_opts: unary(
        op, [1, 4, 6], [1, 4, 6], a, out_dtype=b, in_q=qa, out_q=qb, options=o), expect_ops=(_op,), note=_NOTE)
