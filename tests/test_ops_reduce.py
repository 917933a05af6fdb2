"""Pooling, resizing and reductions (AVERAGE/MAX_POOL_2D, RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR,
MEAN, SUM, REDUCE_MAX/MIN/PROD, REDUCE_ALL/ANY, ARG_MAX/MIN, CUMSUM) bit-exact with TFLite Micro — or with TFLite's
reference kernels where TFLM has no kernel for the type — on hand-written one-subgraph models: every
option (align_corners, half_pixel_centers, keep_dims, negative and repeated axes, exclusive, reverse,
fused activations), odd sizes, up- and down-sampling, random scales and zero points, ties.

Several ops share one model (one output each) so a case costs one host build."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers.flatmodel import FlatModel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.ops.reduce import reduce_walk
from tfcompress.engine.ops.resize import bilinear_table, nearest_indices
from tfcompress.errors import TfcError
from tfcompress.tflm import TfliteRefModel, TflmModel, make_oracle

_INT32_TYPE = 2  # schema TensorType.INT32
_INT64_TYPE = 4
_ACT = {"none": 0, "relu": 1, "relu_n1_to_1": 2, "relu6": 3}
SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


class OneInput:
    """A model of one input ``x`` and several ops reading it, one model output each."""

    def __init__(self, shape: list[int], dtype: str, q: tuple[float, int] | None) -> None:
        self.m = FlatModel()
        self.dtype = dtype
        self.x = self._t("x", shape, dtype, q)
        self.outs: list[int] = []

    def _t(self, name: str, shape: list[int], dtype: str, q: tuple[float, int] | None, data=None) -> int:
        return self.m.tensor(name, shape, dtype, scale=q[0] if q else None, zero_point=q[1] if q else 0, data=data)

    def op(self, name: str, out_shape: list[int], out_dtype: str, out_q: tuple[float, int] | None,
           consts: tuple[np.ndarray, ...] = (), options: tuple[str, dict[str, Any]] | None = None,
           src: int | None = None) -> None:
        """``name`` reading ``src`` (default: x) and ``consts``; its output is a model output."""
        self.outs.append(self._op(name, out_shape, out_dtype, out_q, consts, options, src, f"y{len(self.outs)}"))

    def _op(self, name: str, out_shape: list[int], out_dtype: str, out_q: tuple[float, int] | None,
            consts: tuple[np.ndarray, ...] = (), options: tuple[str, dict[str, Any]] | None = None,
            src: int | None = None, out: str = "") -> int:
        k = len(self.m.tensors)
        ins = [self.x if src is None else src] + [self._t(f"c{k}_{i}", list(c.shape), str(c.dtype), None, data=c)
                                                  for i, c in enumerate(consts)]
        y = self._t(out or f"t{k}", out_shape, out_dtype, out_q)
        opt, opt_type = None, "NONE"
        if options is not None:
            opt_type, fields = options
            opt = getattr(self.m.fb, opt_type + "T")()
            for key, v in fields.items():
                setattr(opt, key, v)
        self.m.op(name, ins, [y], opt, opt_type)
        return y

    def dequantized(self) -> int:
        """x as float32 for float ops to read (and, as output 0, x's max along axis 0: an integer op,
        so the model is not a float model)."""
        shape = list(self.m.tensors[self.x].shape)
        q = self.m.tensors[self.x].quantization
        self.op("REDUCE_MAX", shape[1:], self.dtype, (q.scale[0], q.zeroPoint[0]), consts=(np.array([0], np.int32),),
                options=("ReducerOptions", dict(keepDims=False)))
        return self._op("DEQUANTIZE", shape, "float32", None, options=("DequantizeOptions", {}))

    def finish(self) -> bytes:
        return self.m.finish([self.x], self.outs)


def _random(shape: list[int], dtype: str, rng: np.random.Generator, span: tuple[int, int] | None = None) -> np.ndarray:
    if dtype == "float32":
        return rng.uniform(-4.0, 4.0, size=shape).astype(np.float32)
    if dtype == "bool":  # mostly true, so that all-true rows occur
        return rng.random(size=shape) < 0.85
    info = np.iinfo(dtype)
    lo, hi = span if span else ((info.min, info.max) if info.bits <= 16 else (-100000, 100000))
    return rng.integers(lo, hi + 1, size=shape, dtype=np.int64).astype(dtype)


def check(tflite: bytes, *, oracle: str, samples: int = 3, seed: int = 0, span: tuple[int, int] | None = None,
          kernels: tuple[str, ...] = ("reference", "optimized")) -> None:
    """The engine (every kernel set) == the oracle (``tflm`` or ``tflite-reference``) on every output."""
    ref = compile_tflite(tflite)
    rng = np.random.default_rng(seed)
    xs = [[_random(list(t.shape), t.dtype, rng, span) for t in ref.inputs] for _ in range(samples)]
    want = make_oracle(tflite, probe=xs[0])
    assert want.name == oracle, f"oracle is {want.name}, expected {oracle}"
    expected = [want.invoke(x) for x in xs]
    for kset in kernels:
        ours = HostModel(ref if kset == "reference" else compile_tflite(tflite, kernels=kset))
        for x, exp in zip(xs, expected, strict=True):
            got = ours.invoke(x)
            for k, (a, b) in enumerate(zip(got, exp, strict=True)):
                b = np.asarray(b).reshape(a.shape)
                assert a.dtype == b.dtype, f"output {k}: {a.dtype} vs {b.dtype}"
                bad = int((a != b).sum())
                assert bad == 0, f"{kset}: output {k}: {bad} of {a.size} elements differ\nours {a.reshape(-1)[:16]}\n" \
                                 f"want {b.reshape(-1)[:16]}"


# ---------------------------------------------------------------- host tables (pure Python, fast)

def test_reduce_walk_merges_neighbours_and_drops_unit_dims() -> None:
    assert reduce_walk((1, 8, 8, 4), [1, 2]) == [(64, 4, True), (4, 1, False)]
    assert reduce_walk((2, 1, 3), [0, 2]) == [(6, 1, True)]
    assert reduce_walk((2, 3, 4, 5), [1, 3]) == [(2, 60, False), (3, 20, True), (4, 5, False), (5, 1, True)]
    assert reduce_walk((1, 1), [0]) == []


def test_nearest_indices_follow_tflm_rounding() -> None:
    assert nearest_indices(4, 8, False, False).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert nearest_indices(6, 12, True, False).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert nearest_indices(5, 1, True, False).tolist() == [0]  # one output: the plain scale
    assert nearest_indices(6, 3, False, True).tolist() == [1, 3, 5]


def test_bilinear_table_weights_sum_to_one_and_stay_inside() -> None:
    for (i, o) in ((6, 11), (11, 6), (1, 5), (5, 1), (7, 7), (3, 16)):
        for ac, hp in ((False, False), (True, False), (False, True)):
            t = bilinear_table(i, o, ac, hp).reshape(-1, 3)
            assert (t[:, 0] >= 0).all() and (t[:, 1] < i).all() and (t[:, 0] <= t[:, 1]).all()
            assert (t[:, 2] > -512).all() and (t[:, 2] <= 1024).all()


# ---------------------------------------------------------------- pooling (int16; int8 is the corpus)

def _pool_out(size: int, k: int, s: int, same: bool) -> int:
    return -(-size // s) if same else (size - k) // s + 1


@pytest.mark.parametrize("act", ["none", "relu", "relu6", "relu_n1_to_1"])
def test_pool_int16_padding_strides_activations(act: str) -> None:
    h, w, c = 7, 9, 3
    m = OneInput([1, h, w, c], "int16", (0.0004, 0))
    for op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        for (kh, kw, sh, sw, same) in ((2, 2, 2, 2, False), (3, 3, 1, 1, True), (3, 2, 2, 3, True), (4, 5, 3, 2, True),
                                       (1, 1, 2, 2, False), (7, 9, 1, 1, False)):
            oh, ow = _pool_out(h, kh, sh, same), _pool_out(w, kw, sw, same)
            m.op(op, [1, oh, ow, c], "int16", (0.0004, 0),
                 options=("Pool2DOptions", dict(padding=0 if same else 1, strideH=sh, strideW=sw, filterHeight=kh,
                                                filterWidth=kw, fusedActivationFunction=_ACT[act])))
    check(m.finish(), oracle="tflm")


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize("cfg", [(3, 3, 1, 1, True), (3, 3, 2, 2, True), (2, 3, 1, 2, False), (5, 5, 3, 3, True)])
def test_pool_int16_alone_output_overlapping_input(op: str, cfg: tuple) -> None:
    """One pool per model: the planner places the output over the input (int16: twice the bytes)."""
    kh, kw, sh, sw, same = cfg
    h, w, c = 9, 8, 5
    m = OneInput([1, h, w, c], "int16", (0.0004, 0))
    m.op(op, [1, _pool_out(h, kh, sh, same), _pool_out(w, kw, sw, same), c], "int16", (0.0004, 0),
         options=("Pool2DOptions", dict(padding=0 if same else 1, strideH=sh, strideW=sw, filterHeight=kh,
                                        filterWidth=kw)))
    tfl = m.finish()
    model = compile_tflite(tfl)
    lo = model.lowered[0]
    assert model.plan.offsets[lo.outputs[0]] < model.plan.offsets[lo.inputs[0]] + model.graph.t(lo.inputs[0]).nbytes
    check(tfl, oracle="tflm")


def test_pool_int16_batches() -> None:
    m = OneInput([3, 5, 6, 2], "int16", (0.001, 0))
    for op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        m.op(op, [3, 3, 3, 2], "int16", (0.001, 0),
             options=("Pool2DOptions", dict(padding=0, strideH=2, strideW=2, filterHeight=3, filterWidth=3)))
    check(m.finish(), oracle="tflm")


def test_pool_int8_instruction_path_unchanged() -> None:
    """int8 pooling still lowers to the int8 kernels (the optimised set replaces them)."""
    m = OneInput([1, 8, 8, 4], "int8", (0.05, -3))
    m.op("AVERAGE_POOL_2D", [1, 4, 4, 4], "int8", (0.05, -3),
         options=("Pool2DOptions", dict(padding=1, strideH=2, strideW=2, filterHeight=2, filterWidth=2)))
    model = compile_tflite(m.finish(), kernels="optimized")
    assert [lo.kernel for lo in model.lowered] == ["tfc_avg_pool2d_s8"]
    assert "optimized/pool2d_s8_opt.c" in model.kernel_sources()


# ---------------------------------------------------------------- MEAN / SUM

def _reduced_shape(shape: list[int], axes: list[int], keep: bool) -> list[int]:
    nd = len(shape)
    red = {a % nd for a in axes}
    return [1 if d in red else s for d, s in enumerate(shape) if keep or d not in red]


_AXES = [([1, 2], True), ([1, 2], False), ([-1], True), ([0, 3], False), ([2, -3, 2], False), ([3, 1], True),
         ([0, 1, 2, 3], False), ([1], False), ([-2], True)]


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("op", ["MEAN", "SUM"])
def test_mean_sum_axes_keep_dims(op: str, dtype: str) -> None:
    shape = [2, 5, 7, 3]
    zp = 0 if dtype == "int16" else 5
    sc = 0.0005 if dtype == "int16" else 0.04
    m = OneInput(shape, dtype, (sc, zp))
    for k, (axes, keep) in enumerate(_AXES):
        # equal quantisation (TFLM requantises it like any other), a finer and a coarser output
        out_q = [(sc, zp), (sc * 0.37, zp), (sc * (40.0 if op == "SUM" else 2.9), -zp)][k % 3]
        m.op(op, _reduced_shape(shape, axes, keep), dtype, out_q, consts=(np.array(axes, np.int32),),
             options=("ReducerOptions", dict(keepDims=keep)))
    check(m.finish(), oracle="tflm")


@settings(max_examples=8, **SETTINGS)
@given(st.data())
def test_mean_sum_random_quantisation(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(["int8", "int16"]))
    nd = data.draw(st.integers(1, 5))
    shape = data.draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd))
    info = np.iinfo(dtype)
    zp = 0 if dtype == "int16" else data.draw(st.integers(-128, 127))
    sc = data.draw(st.floats(1e-4, 0.5))
    m = OneInput(shape, dtype, (sc, zp))
    for _ in range(4):
        op = data.draw(st.sampled_from(["MEAN", "SUM"]))
        axes = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd))
        keep = data.draw(st.booleans())
        out_sc = sc * data.draw(st.floats(0.05, 60.0))
        out_zp = 0 if dtype == "int16" else data.draw(st.integers(info.min, info.max))
        m.op(op, _reduced_shape(shape, axes, keep), dtype, (out_sc, out_zp), consts=(np.array(axes, np.int32),),
             options=("ReducerOptions", dict(keepDims=keep)))
    check(m.finish(), oracle="tflm", samples=2, kernels=("reference",))


# ---------------------------------------------------------------- REDUCE_MAX / MIN / PROD

@pytest.mark.parametrize("dtype,oracle", [("int8", "tflm"), ("int16", "tflite-reference")])
def test_reduce_max_min(dtype: str, oracle: str) -> None:
    shape = [2, 4, 5, 3]
    q = (0.05, -4) if dtype == "int8" else (0.0005, 0)
    m = OneInput(shape, dtype, q)
    for k, (axes, keep) in enumerate(_AXES[:-2]):
        m.op("REDUCE_MAX" if k % 2 else "REDUCE_MIN", _reduced_shape(shape, axes, keep), dtype, q,
             consts=(np.array(axes, np.int32),), options=("ReducerOptions", dict(keepDims=keep)))
    check(m.finish(), oracle=oracle, span=(-3, 3))  # a small range: many ties


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_reduce_prod_matches_tflite_reference(dtype: str) -> None:
    shape = [2, 3, 4]
    q = (0.3, 2) if dtype == "int8" else (0.002, 0)
    m = OneInput(shape, dtype, q)
    for axes, keep, out_scale in (([2], False, 0.9), ([1], True, 2.0), ([0, 2], False, 5.0), ([-1, 0], True, 0.05)):
        m.op("REDUCE_PROD", _reduced_shape(shape, axes, keep), dtype, (out_scale * q[0], 0 if dtype == "int16" else -3),
             consts=(np.array(axes, np.int32),), options=("ReducerOptions", dict(keepDims=keep)))
    check(m.finish(), oracle="tflite-reference", span=(-12, 12) if dtype == "int8" else (-900, 900))


@pytest.mark.parametrize("op,oracle", [("REDUCE_ALL", "tflm"), ("REDUCE_ANY", "tflite-reference")])
def test_reduce_all_any_bool(op: str, oracle: str) -> None:
    """REDUCE_ALL (TFLM has it) and REDUCE_ANY (TFLite only) of bool over every axes/keep_dims case."""
    shape = [2, 3, 4, 2]
    m = OneInput(shape, "bool", None)
    for axes, keep in [*_AXES, ([3, 1, 2], True)]:
        m.op(op, _reduced_shape(shape, axes, keep), "bool", None, consts=(np.array(axes, np.int32),),
             options=("ReducerOptions", dict(keepDims=keep)))
    check(m.finish(), oracle=oracle, samples=6)


def test_reduce_max_needs_equal_quantisation() -> None:
    m = OneInput([1, 4, 4], "int8", (0.05, 0))
    m.op("REDUCE_MAX", [1, 4], "int8", (0.1, 0), consts=(np.array([1], np.int32),),
         options=("ReducerOptions", dict(keepDims=False)))
    with pytest.raises(TfcError, match="REDUCE_MAX 'y0'.*quantisation differ"):
        compile_tflite(m.finish())


# ---------------------------------------------------------------- ARG_MAX / ARG_MIN

def _arg_ops(m: OneInput, shape: list[int], out_dtype: str) -> None:
    code = _INT32_TYPE if out_dtype == "int32" else _INT64_TYPE
    for k, axis in enumerate(range(-len(shape), len(shape))):
        out_shape = [s for d, s in enumerate(shape) if d != axis % len(shape)]
        op = "ARG_MAX" if k % 2 == 0 else "ARG_MIN"
        m.op(op, out_shape, out_dtype, None, consts=(np.array([axis], np.int32),),
             options=(("ArgMaxOptions" if op == "ARG_MAX" else "ArgMinOptions"), dict(outputType=code)))


@pytest.mark.parametrize("dtype,out_dtype,oracle", [
    ("int8", "int32", "tflm"), ("int8", "int64", "tflite-reference"), ("uint8", "int32", "tflite-reference"),
    ("int32", "int64", "tflite-reference"),
])
def test_arg_min_max_types_axes_ties(dtype: str, out_dtype: str, oracle: str) -> None:
    shape = [3, 4, 5]
    m = OneInput(shape, dtype, (0.1, 3) if dtype in ("int8", "uint8") else None)
    _arg_ops(m, shape, out_dtype)
    span = (0, 4) if dtype == "uint8" else (-2, 2)  # ties everywhere
    check(m.finish(), oracle=oracle, span=span)


@pytest.mark.parametrize("out_dtype,oracle", [("int32", "tflm"), ("int64", "tflite-reference")])
def test_arg_min_max_float_after_dequantize(out_dtype: str, oracle: str) -> None:
    """A float ARG_MAX on a dequantised int8 tensor (a classifier's float head)."""
    shape = [3, 4, 5]
    m = OneInput(shape, "int8", (0.25, -1))
    xf = m.dequantized()
    code = _INT32_TYPE if out_dtype == "int32" else _INT64_TYPE
    for k, axis in enumerate((0, 1, 2, -1)):
        op = "ARG_MAX" if k % 2 == 0 else "ARG_MIN"
        m.op(op, [s for d, s in enumerate(shape) if d != axis % 3], out_dtype, None,
             consts=(np.array([axis], np.int32),),
             options=(("ArgMaxOptions" if op == "ARG_MAX" else "ArgMinOptions"), dict(outputType=code)), src=xf)
    check(m.finish(), oracle=oracle, span=(-3, 3))  # ties


def test_arg_max_int16_has_no_kernel_anywhere() -> None:
    """Neither TFLM nor TFLite runs an int16 ARG_MAX: the engine says so instead of guessing."""
    m = OneInput([4, 6], "int16", (0.001, 0))
    _arg_ops(m, [4, 6], "int32")
    with pytest.raises(TfcError, match="ARG_MAX 'y0': int16 input"):
        compile_tflite(m.finish())


# ---------------------------------------------------------------- CUMSUM

@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_int8_flags_axes(exclusive: bool, reverse: bool) -> None:
    shape = [2, 3, 20]
    m = OneInput(shape, "int8", (0.03, -5))
    for axis, out_q in ((0, (0.05, 3)), (1, (0.1, -20)), (2, (0.5, 0)), (-1, (0.03, -5)), (-3, (0.2, 100))):
        m.op("CUMSUM", shape, "int8", out_q, consts=(np.array(axis, np.int32),),
             options=("CumsumOptions", dict(exclusive=exclusive, reverse=reverse)))
    check(m.finish(), oracle="tflm")


def test_cumsum_int8_long_axis_wraps_like_tflm() -> None:
    """Each element adds up to 2^27 to TFLM's int32 accumulator: a long axis of large values wraps."""
    m = OneInput([1, 64], "int8", (0.01, -128))
    m.op("CUMSUM", [1, 64], "int8", (0.5, 0), consts=(np.array(1, np.int32),),
         options=("CumsumOptions", dict(exclusive=False, reverse=False)))
    check(m.finish(), oracle="tflm", span=(100, 127))


# ---------------------------------------------------------------- RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR

_SIZES = [(5, 7, 10, 14), (6, 6, 11, 9), (6, 6, 12, 10), (9, 8, 4, 3), (7, 7, 7, 7), (1, 4, 3, 1), (5, 5, 1, 1),
          (3, 2, 16, 5)]
_MODES = [(False, False), (True, False), (False, True)]


def _resize_model(op: str, dtype: str, q: tuple[float, int] | None, ih: int, iw: int, c: int = 3) -> OneInput:
    m = OneInput([2, ih, iw, c], dtype, q)
    opts = "ResizeBilinearOptions" if op == "RESIZE_BILINEAR" else "ResizeNearestNeighborOptions"
    for (h, w, oh, ow) in _SIZES:
        if (h, w) != (ih, iw):
            continue
        for ac, hp in _MODES:
            m.op(op, [2, oh, ow, c], dtype, q, consts=(np.array([oh, ow], np.int32),),
                 options=(opts, dict(alignCorners=ac, halfPixelCenters=hp)))
    return m


_IN_SIZES = sorted({(h, w) for h, w, _, _ in _SIZES})


@pytest.mark.parametrize("dtype,oracle", [("int8", "tflm"), ("int16", "tflite-reference")])
def test_resize_bilinear_sizes_modes(dtype: str, oracle: str) -> None:
    q = (0.05, 7) if dtype == "int8" else (0.0005, 0)
    for ih, iw in _IN_SIZES:
        check(_resize_model("RESIZE_BILINEAR", dtype, q, ih, iw).finish(), oracle=oracle, samples=2, seed=ih * 10 + iw)


@pytest.mark.parametrize("dtype,oracle", [("int8", "tflm"), ("int16", "tflm"), ("float32", "tflm"),
                                          ("uint8", "tflite-reference")])
def test_resize_nearest_sizes_modes(dtype: str, oracle: str) -> None:
    q = {"int8": (0.05, 7), "int16": (0.0005, 0), "uint8": (0.05, 128), "float32": (0.05, 7)}[dtype]
    m = OneInput([2, 6, 6, 3], "int8" if dtype == "float32" else dtype, q)
    src = m.dequantized() if dtype == "float32" else None  # float: on a dequantised int8 input
    for ih, iw, oh, ow in _SIZES:
        if (ih, iw) == (6, 6):
            for ac, hp in _MODES:
                m.op("RESIZE_NEAREST_NEIGHBOR", [2, oh, ow, 3], dtype, None if dtype == "float32" else q,
                     consts=(np.array([oh, ow], np.int32),),
                     options=("ResizeNearestNeighborOptions", dict(alignCorners=ac, halfPixelCenters=hp)), src=src)
    check(m.finish(), oracle=oracle, samples=2)
    if dtype == "int8":
        for ih, iw in _IN_SIZES:
            check(_resize_model("RESIZE_NEAREST_NEIGHBOR", "int8", q, ih, iw).finish(), oracle="tflm", samples=1,
                  kernels=("reference",))


@settings(max_examples=6, **SETTINGS)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 17), st.integers(1, 17), st.integers(0, 2))
def test_resize_bilinear_int8_random_sizes(ih: int, iw: int, oh: int, ow: int, mode: int) -> None:
    ac, hp = _MODES[mode]
    m = OneInput([1, ih, iw, 2], "int8", (0.1, -3))
    m.op("RESIZE_BILINEAR", [1, oh, ow, 2], "int8", (0.1, -3), consts=(np.array([oh, ow], np.int32),),
         options=("ResizeBilinearOptions", dict(alignCorners=ac, halfPixelCenters=hp)))
    m.op("RESIZE_NEAREST_NEIGHBOR", [1, oh, ow, 2], "int8", (0.1, -3), consts=(np.array([oh, ow], np.int32),),
         options=("ResizeNearestNeighborOptions", dict(alignCorners=ac, halfPixelCenters=hp)))
    check(m.finish(), oracle="tflm", samples=2, kernels=("reference",))


def test_resize_bilinear_refuses_both_alignments() -> None:
    m = OneInput([1, 4, 4, 1], "int8", (0.1, 0))
    m.op("RESIZE_BILINEAR", [1, 8, 8, 1], "int8", (0.1, 0), consts=(np.array([8, 8], np.int32),),
         options=("ResizeBilinearOptions", dict(alignCorners=True, halfPixelCenters=True)))
    with pytest.raises(TfcError, match="RESIZE_BILINEAR 'y0'.*align_corners"):
        compile_tflite(m.finish())


# ---------------------------------------------------------------- sanitizers

def _family_model(dtype: str) -> bytes:
    """One of every kernel of the family on a [2, 5, 6, 4] input (odd sizes, padding, both resizes)."""
    q = (0.05, -3) if dtype == "int8" else (0.0005, 0)
    m = OneInput([2, 5, 6, 4], dtype, q)
    pool = dict(padding=0, strideH=2, strideW=2, filterHeight=3, filterWidth=3)
    m.op("AVERAGE_POOL_2D", [2, 3, 3, 4], dtype, q, options=("Pool2DOptions", pool))
    m.op("MAX_POOL_2D", [2, 3, 3, 4], dtype, q, options=("Pool2DOptions", pool))
    for op, out_q in (("MEAN", (q[0] * 0.5, q[1])), ("SUM", (q[0] * 20, q[1])), ("REDUCE_MAX", q), ("REDUCE_MIN", q),
                      ("REDUCE_PROD", (q[0] * 3, q[1]))):
        m.op(op, [2, 1, 1, 4], dtype, out_q, consts=(np.array([1, 2], np.int32),),
             options=("ReducerOptions", dict(keepDims=True)))
    for op, opts in (("RESIZE_NEAREST_NEIGHBOR", "ResizeNearestNeighborOptions"), ("RESIZE_BILINEAR", "ResizeBilinearOptions")):
        for ac, hp in _MODES:
            m.op(op, [2, 9, 4, 4], dtype, q, consts=(np.array([9, 4], np.int32),),
                 options=(opts, dict(alignCorners=ac, halfPixelCenters=hp)))
    if dtype == "int8":
        m.op("ARG_MAX", [2, 5, 6], "int64", None, consts=(np.array([3], np.int32),),
             options=("ArgMaxOptions", dict(outputType=_INT64_TYPE)))
        for exclusive in (False, True):
            m.op("CUMSUM", [2, 5, 6, 4], "int8", (0.3, 5), consts=(np.array(2, np.int32),),
                 options=("CumsumOptions", dict(exclusive=exclusive, reverse=not exclusive)))
    return m.finish()


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_family_kernels_clean_under_asan_ubsan(tmp_path, dtype: str) -> None:
    import subprocess

    from conftest import require_tool
    from helpers.engine_checks import SAN_FLAGS

    from tfcompress.engine.host import build_executable

    require_tool("cc", "build-essential")
    model = compile_tflite(_family_model(dtype))
    exe = build_executable(model, tmp_path / "build", SAN_FLAGS)
    x = _random(list(model.input.shape), dtype, np.random.default_rng(5))
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    proc = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "runtime error" not in proc.stderr, proc.stderr[-3000:]
    want = b"".join(y.tobytes() for y in HostModel(model).invoke([x]))
    assert (tmp_path / "out.bin").read_bytes() == want


# ---------------------------------------------------------------- the oracles' own limits (documented)

def test_tflm_has_no_int16_bilinear_reduce_max_or_prod() -> None:
    """Where the tests above use TFLite's reference kernels, TFLM indeed cannot run the op."""
    for op, opts, consts, out in (
            ("RESIZE_BILINEAR", ("ResizeBilinearOptions", {}), (np.array([4, 4], np.int32),), [1, 4, 4, 1]),
            ("REDUCE_MAX", ("ReducerOptions", {}), (np.array([1], np.int32),), [1, 2, 1]),
            ("REDUCE_PROD", ("ReducerOptions", {}), (np.array([1], np.int32),), [1, 2, 1])):
        m = OneInput([1, 2, 2, 1], "int16", (0.001, 0))
        m.op(op, out, "int16", (0.001, 0), consts=consts, options=opts)
        tfl = m.finish()
        x = [np.zeros((1, 2, 2, 1), np.int16)]
        with pytest.raises(TfcError):
            TflmModel(tfl).invoke(x)
        TfliteRefModel(tfl).invoke(x)


@pytest.mark.slow
@pytest.mark.parametrize("op", ["RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"])
def test_resize_size_sweep(op: str) -> None:
    """Every input side 1..9 to every output side 1..20 in every mode (one model per input size)."""
    opts = "ResizeBilinearOptions" if op == "RESIZE_BILINEAR" else "ResizeNearestNeighborOptions"
    for side in range(1, 10):
        m = OneInput([1, side, side + 1, 1], "int8", (0.1, -3))
        for out in range(1, 21):
            for ac, hp in _MODES:
                m.op(op, [1, out, 21 - out, 1], "int8", (0.1, -3), consts=(np.array([out, 21 - out], np.int32),),
                     options=(opts, dict(alignCorners=ac, halfPixelCenters=hp)))
        check(m.finish(), oracle="tflm", samples=2, seed=side, kernels=("reference",))
