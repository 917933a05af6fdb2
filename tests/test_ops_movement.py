"""Data-movement ops (engine/ops/walk.py, movement.py, pieces.py): the host geometry against numpy's own semantics
(property tests), and single-op models of element types the converter does not produce (int32,
float32, bool, int64, uint8; negative strides, masks, batch_dims, run-time indices) compiled and
compared with TFLite Micro (or TFLite's reference kernels where TFLM has no kernel) element for
element."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.flatmodel import FlatModel
from hypothesis import given, settings
from hypothesis import strategies as st

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.ops import walk as mv
from tfcompress.engine.validate import validate_model
from tfcompress.errors import TfcError

SETTINGS = dict(max_examples=60, deadline=None)


def _shape(min_dims: int = 1, max_dims: int = 5, max_side: int = 4):
    return st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims)


def _x(shape: list[int]) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)


def _check_simplified(walk: mv.Walk) -> None:
    """The merged walk the kernel runs reads the same elements in the same order."""
    pos, pad = walk.index()
    simple, mult = walk.simplified()
    spos, spad = simple.index()
    if pos.size == 0:
        assert spos.size == 0 or 0 in simple.shape
        return
    expand = (spos[:, None] + np.arange(mult)[None, :]).reshape(-1)
    assert np.array_equal(np.repeat(spad, mult), pad)
    assert np.array_equal(np.where(pad, 0, expand), np.where(pad, 0, pos))


@settings(**SETTINGS)
@given(st.data())
def test_strided_slice_matches_python_slicing(data) -> None:
    shape = data.draw(_shape())
    n = len(shape)
    begin, end, strides, slices = [], [], [], []
    bmask = emask = smask = 0
    for a, size in enumerate(shape):
        s = data.draw(st.sampled_from([1, 2, 3, -1, -2]))
        b = data.draw(st.integers(-size - 2, size + 2))
        e = data.draw(st.integers(-size - 2, size + 2))
        kind = data.draw(st.sampled_from(["plain", "begin", "end", "both", "shrink"]))
        if kind == "shrink" and -size <= b < size:
            smask |= 1 << a
            begin.append(b), end.append(b + 1), strides.append(1)
            slices.append(b)
            continue
        bm, em = kind in ("begin", "both"), kind in ("end", "both")
        bmask |= bm << a
        emask |= em << a
        begin.append(b), end.append(e), strides.append(s)
        slices.append(slice(None if bm else b, None if em else e, s))
    x = _x(shape)
    walk = mv.strided_slice_walk(shape, begin, end, strides, bmask, emask, smask)
    want = x[tuple(slices)]
    got = walk.apply(x).reshape([c for a, c in enumerate(walk.shape) if not smask >> a & 1])
    assert np.array_equal(got, want)
    _check_simplified(walk)
    assert n == len(walk.shape)


@settings(**SETTINGS)
@given(_shape(), st.randoms(use_true_random=False))
def test_transpose_reverse_tile_broadcast(shape, rnd) -> None:
    x = _x(shape)
    perm = list(range(len(shape)))
    rnd.shuffle(perm)
    axes = sorted(rnd.sample(range(len(shape)), rnd.randint(0, len(shape))))
    mult = [rnd.randint(1, 3) for _ in shape]
    cases = [(mv.transpose_walk(shape, perm), np.transpose(x, perm)),
             (mv.reverse_walk(shape, axes), np.flip(x, axes) if axes else x),
             (mv.tile_walk(shape, mult), np.tile(x, mult))]
    small = [1 if rnd.random() < 0.5 else s for s in shape]
    out = [s if s > 1 else rnd.randint(1, 3) for s in shape]
    small = small[rnd.randint(0, len(small) - 1):]
    cases.append((mv.broadcast_walk(small, out), np.broadcast_to(_x(small), out)))
    for walk, want in cases:
        src = x if walk is not cases[-1][0] else _x(small)
        assert np.array_equal(walk.apply(src), want)
        _check_simplified(walk)


@settings(**SETTINGS)
@given(_shape(max_side=5), st.randoms(use_true_random=False))
def test_pad_and_mirror_pad(shape, rnd) -> None:
    x = _x(shape)
    pads = np.array([[rnd.randint(0, 3), rnd.randint(0, 3)] for _ in shape])
    walk = mv.pad_walk(shape, pads)
    assert np.array_equal(walk.apply(x, -7), np.pad(x, pads, constant_values=-7))
    _check_simplified(walk)
    for reflect in (False, True):
        limit = np.array(shape) - (1 if reflect else 0)
        mp = np.minimum(pads, limit[:, None])
        walk = mv.mirror_pad_walk(shape, mp, reflect)
        assert np.array_equal(walk.apply(x), np.pad(x, mp, mode="reflect" if reflect else "symmetric"))
        _check_simplified(walk)


@settings(**SETTINGS)
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.data())
def test_space_depth_batch_geometry(b, h, w, c, bh, bw, data) -> None:
    bs = bh
    x = _x([b, h * bs, w * bs, c])
    s2d = x.reshape(b, h, bs, w, bs, c).transpose(0, 1, 3, 2, 4, 5).reshape(b, h, w, bs * bs * c)
    assert np.array_equal(mv.space_to_depth_walk(list(x.shape), bs).apply(x).reshape(s2d.shape), s2d)
    assert np.array_equal(mv.depth_to_space_walk(list(s2d.shape), bs).apply(s2d).reshape(x.shape), x)
    # BATCH_TO_SPACE_ND: TFLite's loop over the input, cropped
    xi = _x([b * bh * bw, h, w, c])
    ct, cb = data.draw(st.integers(0, bh)), data.draw(st.integers(0, bh))
    cl, cr = data.draw(st.integers(0, bw)), data.draw(st.integers(0, bw))
    oh, ow = h * bh - ct - cb, w * bw - cl - cr
    want = np.zeros((b, max(oh, 0), max(ow, 0), c), np.int32)
    for ib in range(b * bh * bw):
        ob, sp = ib % b, ib // b
        for ih in range(h):
            y = ih * bh + sp // bw - ct
            for iw in range(w):
                xx = iw * bw + sp % bw - cl
                if 0 <= y < oh and 0 <= xx < ow:
                    want[ob, y, xx] = xi[ib, ih, iw]
    if oh > 0 and ow > 0:
        walk = mv.batch_to_space_walk(list(xi.shape), [bh, bw], np.array([[ct, cb], [cl, cr]]))
        assert np.array_equal(walk.apply(xi).reshape(want.shape), want)
        _check_simplified(walk)


# ---- single-op models through the engine and the oracle

_Q = {"int8": dict(scale=0.05, zero_point=3), "int16": dict(scale=0.001, zero_point=0)}


def _model(op: str, inputs: list[tuple], out: tuple, options=None, options_type: str = "NONE",
           n_outputs: int = 1) -> bytes:
    """inputs: (shape, dtype, const data or None); out: (shape, dtype) or a list of them."""
    m = FlatModel()
    ins, model_ins = [], []
    for k, (shape, dtype, data) in enumerate(inputs):
        q = _Q.get(dtype, {}) if data is None or dtype in ("int8", "int16") else {}
        t = m.tensor(f"in{k}", shape, dtype, data=data, **q)
        ins.append(t)
        if data is None:
            model_ins.append(t)
    outs = [m.tensor(f"out{k}", s, d, **_Q.get(d, {})) for k, (s, d) in enumerate(out if isinstance(out, list)
                                                                                    else [out])]
    opt = None
    if options is not None:
        opt = getattr(m.fb, options_type + "T")()
        for k, v in options.items():
            setattr(opt, k, v)
    m.op(op, ins, outs, opt, options_type)
    return m.finish(model_ins, outs)


def _fill(shape: list[int], dtype: str) -> bytes:
    """FILL with a run-time value: the model input [1] reshaped to a scalar."""
    m = FlatModel()
    x = m.tensor("value_in", [1], dtype)
    v = m.tensor("value", [], dtype)
    dims = m.tensor("dims", [len(shape)], "int32", data=np.array(shape, np.int32))
    y = m.tensor("out", shape, dtype)
    opt = m.fb.ReshapeOptionsT()
    opt.newShape = []
    m.op("RESHAPE", [x], [v], opt, "ReshapeOptions")
    m.op("FILL", [dims, v], [y], None, "NONE")
    return m.finish([x], [y])


def _i32(*v):
    return np.array(v, np.int32)


CASES = {
    "strided_slice_neg_masks_float32": lambda: _model(
        "STRIDED_SLICE", [([3, 5, 4], "float32", None), ([3], "int32", _i32(-1, 4, 0)), ([3], "int32", _i32(0, 0, 3)),
                          ([3], "int32", _i32(-1, -2, 2))], ([2, 3], "float32"),
        dict(beginMask=1, endMask=2, shrinkAxisMask=4), "StridedSliceOptions"),
    "strided_slice_int32": lambda: _model(
        "STRIDED_SLICE", [([2, 6], "int32", None), ([2], "int32", _i32(0, 5)), ([2], "int32", _i32(2, -7)),
                          ([2], "int32", _i32(1, -2))], ([2, 3], "int32"), {}, "StridedSliceOptions"),
    "strided_slice_bool": lambda: _model(
        "STRIDED_SLICE", [([4, 6], "bool", None), ([2], "int32", _i32(1, 0)), ([2], "int32", _i32(4, 6)),
                          ([2], "int32", _i32(2, 3))], ([2, 2], "bool"), {}, "StridedSliceOptions"),
    "strided_slice_offset_int8": lambda: _model(
        "STRIDED_SLICE", [([4, 6], "int8", None), ([2], "int32", _i32(1, 1)), ([2], "int32", _i32(2, 3)),
                          ([2], "int32", _i32(1, 1))], ([2, 3], "int8"), dict(offset=True), "StridedSliceOptions"),
    "transpose_float32": lambda: _model(
        "TRANSPOSE", [([2, 3, 4], "float32", None), ([3], "int32", _i32(2, 0, 1))], ([4, 2, 3], "float32")),
    "slice_int32": lambda: _model(
        "SLICE", [([3, 5], "int32", None), ([2], "int32", _i32(1, 2)), ([2], "int32", _i32(-1, 2))], ([2, 2], "int32")),
    "pad_int32": lambda: _model(
        "PAD", [([2, 3], "int32", None), ([2, 2], "int32", np.array([[1, 0], [2, 1]], np.int32))], ([3, 6], "int32")),
    "padv2_float32": lambda: _model(
        "PADV2", [([2, 3], "float32", None), ([2, 2], "int32", np.array([[0, 1], [1, 1]], np.int32)),
                  ([], "float32", np.array(2.5, np.float32))], ([3, 5], "float32")),
    "padv2_int8_value": lambda: _model(
        "PADV2", [([1, 3, 3, 2], "int8", None), ([4, 2], "int32", np.array([[0, 0], [1, 1], [2, 0], [0, 0]], np.int32)),
                  ([], "int8", np.array(-9, np.int8))], ([1, 5, 5, 2], "int8")),
    "mirror_pad_float32": lambda: _model(
        "MIRROR_PAD", [([3, 4], "float32", None), ([2, 2], "int32", np.array([[2, 1], [0, 3]], np.int32))],
        ([6, 7], "float32"), dict(mode=0), "MirrorPadOptions"),
    "concatenation_int32": lambda: _model(
        "CONCATENATION", [([2, 3], "int32", None), ([2, 1], "int32", None),
                          ([2, 2], "int32", _i32(1, 2, 3, 4).reshape(2, 2))],
        ([2, 6], "int32"), dict(axis=-1), "ConcatenationOptions"),
    "concatenation_bool": lambda: _model(
        "CONCATENATION", [([2, 3], "bool", None), ([1, 3], "bool", None)], ([3, 3], "bool"), dict(axis=0),
        "ConcatenationOptions"),
    "pack_int64": lambda: _model(
        "PACK", [([3], "int64", None), ([3], "int64", None)], ([3, 2], "int64"), dict(valuesCount=2, axis=1),
        "PackOptions"),
    "unpack_float32": lambda: _model(
        "UNPACK", [([2, 3], "float32", None)], [([2], "float32")] * 3, dict(num=3, axis=1), "UnpackOptions"),
    "split_int32": lambda: _model(
        "SPLIT", [([], "int32", np.array(1, np.int32)), ([2, 6], "int32", None)], [([2, 3], "int32")] * 2,
        dict(numSplits=2), "SplitOptions"),
    "split_v_float32": lambda: _model(
        "SPLIT_V", [([2, 5], "float32", None), ([2], "int32", _i32(2, 3)), ([], "int32", np.array(-1, np.int32))],
        [([2, 2], "float32"), ([2, 3], "float32")], dict(numSplits=2), "SplitVOptions"),
    "reverse_int32": lambda: _model(
        "REVERSE_V2", [([3, 4], "int32", None), ([1], "int32", _i32(1))], ([3, 4], "int32")),
    "gather_batch_dims_int8": lambda: _model(
        "GATHER", [([2, 5, 3], "int8", None), ([2, 4], "int32", np.array([[0, 4, 2, 2], [1, 3, 0, 4]], np.int32))],
        ([2, 4, 3], "int8"), dict(axis=1, batchDims=1), "GatherOptions"),
    "gather_float32": lambda: _model(
        "GATHER", [([4, 3], "float32", None), ([2, 2], "int32", np.array([[3, 0], [1, 1]], np.int32))],
        ([2, 2, 3], "float32"), dict(axis=0), "GatherOptions"),
    "gather_nd_int32": lambda: _model(
        "GATHER_ND", [([3, 4, 2], "int32", None), ([3, 2], "int32", np.array([[0, 1], [2, 3], [1, 0]], np.int32))],
        ([3, 2], "int32")),
    "dynamic_update_slice_float32": lambda: _model(
        "DYNAMIC_UPDATE_SLICE", [([4, 5], "float32", None), ([2, 2], "float32", None), ([2], "int32", _i32(3, -1))],
        ([4, 5], "float32")),
    "cast_int8_to_int32": lambda: _model("CAST", [([2, 5], "int8", None)], ([2, 5], "int32")),
    "cast_int16_to_float32": lambda: _model("CAST", [([2, 5], "int16", None)], ([2, 5], "float32")),
    "cast_float32_to_int32": lambda: _model("CAST", [([2, 5], "float32", None)], ([2, 5], "int32")),
    "cast_bool_to_int32": lambda: _model("CAST", [([2, 5], "bool", None)], ([2, 5], "int32")),
    "cast_int32_to_int8": lambda: _model("CAST", [([2, 5], "int32", None)], ([2, 5], "int8")),
    "broadcast_to_int32": lambda: _model(
        "BROADCAST_TO", [([3, 1], "int32", None), ([3], "int32", _i32(2, 3, 4))], ([2, 3, 4], "int32")),
    "depth_to_space_float32": lambda: _model(
        "DEPTH_TO_SPACE", [([1, 2, 3, 8], "float32", None)], ([1, 4, 6, 2], "float32"), dict(blockSize=2),
        "DepthToSpaceOptions"),
    "space_to_depth_float32": lambda: _model(
        "SPACE_TO_DEPTH", [([1, 4, 6, 2], "float32", None)], ([1, 2, 3, 8], "float32"), dict(blockSize=2),
        "SpaceToDepthOptions"),
    "fill_int32": lambda: _fill([3, 4], "int32"),
    "fill_float32": lambda: _fill([2, 1, 3], "float32"),
    "zeros_like_float32": lambda: _model("ZEROS_LIKE", [([3, 4], "float32", None)], ([3, 4], "float32")),
    "zeros_like_int32": lambda: _model("ZEROS_LIKE", [([3, 4], "int32", None)], ([3, 4], "int32")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_single_op_models_are_bit_exact(case: str) -> None:
    data = CASES[case]()
    for kernels in ("reference", "optimized"):
        res = validate_model(data, samples=3, kernels=kernels)
        assert res.mismatched_elements == 0, f"{case} ({kernels}, oracle {res.oracle})"


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_tile_matches_numpy(dtype: str) -> None:
    """Neither TFLM nor TFLite's reference kernels run TILE: numpy's np.tile is the reference."""
    from tfcompress.engine.host import HostModel

    data = _model("TILE", [([1, 3, 2], dtype, None), ([3], "int32", _i32(2, 1, 3))], ([2, 3, 6], dtype))
    for kernels in ("reference", "optimized"):
        model = HostModel(compile_tflite(data, kernels=kernels))
        x = np.random.default_rng(1).integers(-100, 100, (1, 3, 2)).astype(dtype)
        assert np.array_equal(model.invoke([x])[0], np.tile(x, (2, 1, 3)))


def test_runtime_gather_indices_out_of_range_give_zeros() -> None:
    """TFLM reads out of bounds for a bad index (undefined): the engine writes zeros instead."""
    from tfcompress.engine.host import HostModel

    data = _model("GATHER", [([4, 3], "int32", None), ([2], "int32", None)], ([2, 3], "int32"), dict(axis=0),
                  "GatherOptions")
    model = HostModel(compile_tflite(data))
    x = np.arange(12, dtype=np.int32).reshape(4, 3)
    out = model.invoke([x, np.array([2, 9], np.int32)])[0]
    assert out.tolist() == [[6, 7, 8], [0, 0, 0]]


def test_strided_slice_new_axis_is_refused_clearly() -> None:
    data = _model("STRIDED_SLICE", [([4, 6], "int8", None), ([2], "int32", _i32(0, 0)), ([2], "int32", _i32(4, 6)),
                                    ([2], "int32", _i32(1, 1))], ([4, 1, 6], "int8"), dict(newAxisMask=2),
                  "StridedSliceOptions")
    with pytest.raises(TfcError, match="STRIDED_SLICE.*new-axis"):
        compile_tflite(data)


def test_concatenation_with_different_scales_is_refused() -> None:
    m = FlatModel()
    a = m.tensor("a", [1, 4], "int8", scale=0.1, zero_point=0)
    b = m.tensor("b", [1, 4], "int8", scale=0.2, zero_point=0)
    y = m.tensor("y", [1, 8], "int8", scale=0.1, zero_point=0)
    opt = m.fb.ConcatenationOptionsT()
    opt.axis = 1
    m.op("CONCATENATION", [a, b], [y], opt, "ConcatenationOptions")
    with pytest.raises(TfcError, match="quantised differently"):
        compile_tflite(m.finish([a, b], [y]))


def test_walker_constants_match_the_c_header() -> None:
    import re

    from tfcompress.resources import engine_kernels_dir

    header = (engine_kernels_dir() / "tfc_kernels.h").read_text(encoding="utf-8")
    assert int(re.search(r"#define TFC_MOVE_DIMS (\d+)", header).group(1)) == mv.MOVE_DIMS
    assert re.search(r"#define TFC_MOVE_PAD \(-\(1 << (\d+)\)\)", header).group(1) == "28"
    assert mv.MOVE_PAD == -(1 << 28)
