"""The optimised pointwise CONV_2D kernel (``tfc_conv2d_s8_pw``, engine/optimized/pointwise.py):
1x1 pixel-triple pair-code layers run on one weight + requantisation stream per channel pair; under
``optimize = "speed"`` on int16 weights (``tfc_conv2d_s8_pw16``, pointwise.widen).
Bit-exact against the reference kernels and TFLite on models whose 1x1 convs take every entry of
the kernel's group loop (1..5 groups of four inputs), pixel counts that leave 0, 1 or 2 pixels
after the triples, and layers that must stay on the generic path (stride 2, odd output channels,
inputs not in whole words; a clamp narrower than int8 checked on the selection); the DSP assembly on QEMU (Cortex-M7)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools

import numpy as np
import pytest
from conftest import instructions_benchmark
from helpers.keras_models import keras_tflite

from tfcompress.engine import optimize as prefs
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.optimized import conv as opt_conv
from tfcompress.engine.optimized import pointwise
from tfcompress.tflm import TflmModel

PW = pointwise.KERNEL
#: preference -> the pointwise kernel it takes
KERNELS = {"balanced": PW, "speed": pointwise.WIDE}


def _model_pw(L, x):
    """Input 7x5x4 (35 pixels: two left after the triples). 1x1 convs with 4, 8, 12, 16, 20 inputs
    (group-loop entries 0..4), 2..20 outputs, a ReLU (full int8 range), and at 2x2 (one pixel left)
    12 inputs; convs the kernel must leave alone: stride 2, 7 outputs (odd), 7 and 6 inputs."""
    x = L.Conv2D(8, 1)(x)                                  # K = 4
    x = L.Conv2D(12, 1, activation="relu")(x)              # K = 8
    x = L.Conv2D(16, 1)(x)                                 # K = 12
    x = L.Conv2D(20, 1)(x)                                 # K = 16
    y = L.Conv2D(2, 1)(x)                                  # K = 20, one channel pair
    z = L.Conv2D(72, 1)(x)                                 # K = 20
    z = L.Conv2D(100, 1)(z)                                # K = 72: a loop pass (-O2: 16 groups) + the last pass
    z = L.Conv2D(4, 1)(z)                                  # K = 100: the loop entered at group 8
    x = L.Conv2D(10, 1, strides=2)(x)                      # strided: generic path, 4x3
    x = L.Conv2D(7, 1)(x)                                  # odd outputs: generic path
    x = L.Conv2D(6, 1, activation="relu6")(x)              # 7 inputs: generic path
    x = L.Conv2D(12, 1, activation="relu6")(x)             # 6 inputs: generic path
    x = L.Conv2D(12, 1, strides=2)(x)                      # 2x2
    x = L.Conv2D(6, 1)(x)                                  # K = 12, 4 pixels: one left
    x = L.Concatenate()([L.Flatten()(x), L.Flatten()(y), L.Flatten()(z)])
    return L.Dense(5)(x)


@functools.cache
def _tflite(seed: int = 3) -> bytes:
    return keras_tflite(_model_pw, (7, 5, 4), seed=seed)


@contextlib.contextmanager
def _fastest_layouts():
    """Every preference on its fastest layouts (balanced: pixel triples wherever they apply, as in
    the MLPerf models, whatever the RAM slack of this small model says), balanced with no int16
    pointwise layer so that each weight form runs on every layer (its rule:
    test_pointwise_widen_rule)."""
    saved = dict(prefs.LAYOUTS)
    prefs.LAYOUTS.update({k: v[:1] for k, v in saved.items()})
    prefs.LAYOUTS["balanced"] = (dataclasses.replace(saved["balanced"][0], wide_pw=None),)
    try:
        yield
    finally:
        prefs.LAYOUTS.update(saved)


@functools.cache
def _compiled(seed: int = 3, optimize: str = "speed"):
    tflite = _tflite(seed)
    with _fastest_layouts():
        return tflite, compile_tflite(tflite, kernels="optimized", optimize=optimize)


@pytest.mark.parametrize("optimize", sorted(KERNELS))
def test_pointwise_selection(optimize: str) -> None:
    """Every qualifying 1x1 layer takes the kernel (scratch = three int16 windows), the others do not;
    speed: int16 weights (twice the pair-code words)."""
    _, m = _compiled(optimize=optimize)
    kernel = KERNELS[optimize]
    got = [(lo.fields["in_c"], lo.fields["out_c"]) for lo in m.lowered if lo.kernel == kernel]
    assert got == [(4, 8), (8, 12), (12, 16), (16, 20), (20, 2), (20, 72), (72, 100), (100, 4), (12, 6)]
    for lo in m.lowered:
        if lo.kernel == kernel:
            f = lo.fields
            words = 2 + 4 * (f["in_c"] // 4) + 6 if kernel == pointwise.WIDE else 1 + 2 * (f["in_c"] // 4) + 7
            assert f["weights"].data.size == 4 * words * f["out_c"] // 2
            assert lo.scratch == 6 * lo.fields["in_c"] and lo.fields["rq"].data.size == 4
        elif lo.kernel == "tfc_conv2d_s8":
            assert not pointwise.ok(lo)
    _, m = _compiled_raw()
    first = m.lowered[0]
    assert pointwise.ok(first)
    for key, value in (("act_min", -100), ("act_max", 100), ("out_c", 7), ("in_c", 6)):
        narrow = first.copy()
        narrow.fields[key] = value  # a clamp narrower than int8, odd outputs, inputs not in words
        assert not pointwise.ok(narrow) and pointwise.convert(narrow) is None


@functools.cache
def _compiled_raw():
    """The model compiled without the pointwise step (its 1x1 layers left as pixel triples)."""
    tflite = _tflite()
    orig = pointwise.apply
    try:
        pointwise.apply = lambda lowered, wide=None: lowered
        return tflite, compile_tflite(tflite, kernels="optimized", optimize="speed")
    finally:
        pointwise.apply = orig


def test_pointwise_stream_round_trip() -> None:
    """undo(convert(layer)) gives back the pixel-triple layer: same weights, same rq table."""
    _, m = _compiled_raw()
    n = 0
    for lo in m.lowered:
        new = pointwise.convert(lo)
        if new is None:
            continue
        back = pointwise.undo(new)
        assert back.kernel == lo.kernel and back.scratch == lo.scratch == opt_conv.im2col_scratch(lo)
        assert np.array_equal(back.fields["weights"].data, lo.fields["weights"].data)
        assert np.array_equal(back.fields["rq"].data, lo.fields["rq"].data)
        wide = pointwise.widen(new)  # speed: int16 weights, and back
        assert wide.kernel == pointwise.WIDE and wide.scratch == new.scratch and pointwise.widen(lo) is None
        assert np.array_equal(pointwise.narrow(wide).fields["weights"].data, new.fields["weights"].data)
        assert np.array_equal(pointwise.undo(wide).fields["weights"].data, lo.fields["weights"].data)
        stream = np.frombuffer(new.fields["weights"].data.tobytes(), "<i4").copy()
        stream[0] = 2**30  # bias(c + 1) that would wrap once doubled: stays on pair codes
        big = new.copy()
        big.replace_array("weights", stream.view(np.int8))
        assert pointwise.widen(big) is None
        n += 1
    assert n == 9


def test_pointwise_widen_rule() -> None:
    """Which pointwise layers take int16 weights (pointwise.pick, optimize.LAYOUTS ``wide_pw``):
    size none, speed all, balanced the best instructions per extra byte within 2% of the weight
    bytes (17,284 B here: 345 B; gains per byte 15, 8.25, 6 fit, then 4.875 (320 B) and 4.2 do
    not; 2.25 and below are under the floor of 4), in a compile with balanced's own layouts too;
    other budgets skip a layer that does not fit and break ties by op index."""
    _, raw = _compiled_raw()
    lowered = pointwise.apply(raw.lowered)
    shape = {k: (lo.fields["in_c"], lo.fields["out_c"]) for k, lo in enumerate(lowered) if lo.kernel == PW}
    assert len(shape) == 9
    rules = {name: {c.wide_pw for c in cands} for name, cands in prefs.LAYOUTS.items()}
    assert rules["size"] == {None} and rules["speed"] == {prefs.ALL_PW} and rules["balanced"] == {prefs.CHEAP_PW}

    def widened(rule: prefs.WidePw) -> list[tuple[int, int]]:
        chosen = pointwise.pick(lowered, rule)
        assert chosen <= set(shape) and pointwise.pick(lowered, rule) == chosen  # deterministic
        out = pointwise.apply(raw.lowered, rule)
        assert {k for k, lo in enumerate(out) if lo.kernel == pointwise.WIDE} == chosen
        return [shape[k] for k in sorted(chosen)]

    assert widened(prefs.ALL_PW) == list(shape.values())
    balanced = widened(prefs.CHEAP_PW)
    assert balanced == [(4, 8), (8, 12), (12, 16)]
    weight_bytes = sum({id(a): a.nbytes for lo in lowered for a in lo.arrays}.values())
    assert sum(i * o for i, o in balanced) <= prefs.CHEAP_PW.share * weight_bytes
    assert widened(prefs.WidePw(share=0.03, min_gain=4.0)) == [(4, 8), (8, 12), (12, 16), (20, 2)]  # (16, 20) skipped
    assert widened(prefs.WidePw(share=0.2, min_gain=4.0)) == [(4, 8), (8, 12), (12, 16), (16, 20), (20, 2), (20, 72)]
    assert widened(prefs.WidePw(share=1.0, min_gain=16.0)) == []
    m = compile_tflite(_tflite(), kernels="optimized", optimize="balanced")  # its own candidate layouts
    wide = [(lo.fields["in_c"], lo.fields["out_c"]) for lo in m.lowered if lo.kernel == pointwise.WIDE]
    assert wide == balanced and any(lo.kernel == PW for lo in m.lowered)


@pytest.mark.parametrize("optimize", sorted(KERNELS))
def test_pointwise_bit_exact(optimize: str) -> None:
    """Host build (the kernel's portable C: same stream layout and arithmetic) == reference == TFLM."""
    tflite, m = _compiled(optimize=optimize)
    assert sum(lo.kernel == KERNELS[optimize] for lo in m.lowered) == 9
    ref, ours, oracle = HostModel(compile_tflite(tflite)), HostModel(m), TflmModel(tflite)
    rng = np.random.default_rng(5)
    for _ in range(4):
        x = rng.integers(-128, 128, size=m.input.shape, dtype=np.int8)
        a, b, c = ours.run(x), ref.run(x), oracle.run(x).reshape(m.output.shape)
        assert np.array_equal(a, b) and np.array_equal(a, c), f"{int((a != c).sum())} elements differ"


@pytest.mark.emulated
def test_pointwise_on_qemu(tmp_path) -> None:
    """The DSP assembly of both weight forms (group-loop entries, pixel remainders; -O2 and -Os) on
    QEMU mps2-an500 == TFLM."""
    bench = instructions_benchmark()
    from tfcompress.boards import load_board, with_optimize

    path = tmp_path / "pw.tflite"
    path.write_bytes(_tflite())
    for pref, opt in (("balanced", "-O2"), ("balanced", "-Os"), ("speed", "-O2"), ("speed", "-Os")):
        board = with_optimize(load_board("mps2-an500"), pref)  # -Os: one group per loop iteration
        with _fastest_layouts():
            r = bench.measure("pw", "optimized", board, opt=opt, runs=1, layers=True, keep=None, path=path)
        assert r["mismatches"] == 0, (pref, opt)
        assert sum(1 for lay in r["layers"] if lay["kernel"] == KERNELS[pref]) == 9
