"""CONV_2D with 1-3 input channels (engine/optimized/first.py, optimized/conv2d_s8_first_opt.c):
the first convs of the MLPerf models take the kernel without raising the RAM plan, its window
layout covers every tap once, and it is bit-exact with the reference kernels and TFLM on odd
shapes (1, 2 and 3 channels; strides 1/2; same/valid padding; paired and unpaired rows; odd
pixel counts; a narrowed activation range; scratch in the arena and on the stack; inside a row
band; on QEMU with the assembly)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from helpers.engine_checks import same_everywhere
from helpers.keras_models import keras_tflite

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.optimized import first
from tfcompress.engine.planner import plan_arena

#: plans on main before the kernel (issue 15: they must not grow)
#: the plans on main before this kernel (IC: with the balanced preference's im2col layouts, +576 B)
MLPERF_RAM = {"vww_mobilenet": 28_800, "ic_resnet8": 25_472, "kws_dscnn": 10_048}


def _branches(specs):
    """Parallel convs on the model input (each a first conv), flattened and joined by a dense layer."""
    def build(L, x):
        outs = []
        for filters, k, s, pad, act in specs:
            y = L.Conv2D(filters, k, strides=s, padding=pad, activation=act,
                         bias_initializer="random_normal")(x)
            outs.append(L.Flatten()(y))
        return L.Dense(6)(L.Concatenate()(outs) if len(outs) > 1 else outs[0])
    return build


#: name -> (input shape, [(filters, kernel, stride, padding, activation)])
CASES = {
    # 3 channels: 3x3 stride 1 same (IC), stride 2 same (VWW; odd out_w), 5x3 valid (odd k_h,
    # paired rows), 2x2 (seg 6), odd out channels (im2col instead)
    "rgb": ((9, 7, 3), [(8, 3, 1, "same", "relu"), (12, 3, 2, "same", "relu6"), (4, (5, 3), 1, "valid", None),
                        (4, 2, 2, "valid", "relu"), (6, 3, 1, "same", None)]),
    # 1 channel: 10x4 stride 2 same (KWS, many border rows), 1x1 (seg 1), 3x5 (seg 5, paired)
    "mono": ((13, 6, 1), [(16, (10, 4), 2, "same", "relu"), (4, 1, 1, "valid", None), (8, (3, 5), 1, "same", "relu")]),
    # 2 channels: 5x5 valid (seg 10), 3x3 stride 2 (seg 6, odd pixel count)
    "two": ((8, 9, 2), [(4, 5, 1, "valid", None), (8, 3, 2, "same", "relu6")]),
}


def _banded(L, x):
    """A 3-channel conv widening to 16 channels, then the stride-2 depthwise reading it: banded
    (engine/banding.py) with the few-channel kernel on row slices as its first op."""
    x = L.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6", bias_initializer="random_normal")(x)
    return L.Conv2D(4, 1)(x)


@functools.cache
def _tflite(name: str) -> bytes:
    if name == "band":
        return keras_tflite(_banded, (20, 12, 3), seed=5)
    shape, specs = CASES[name]
    return keras_tflite(_branches(specs), shape, seed=11)


def _firsts(model) -> list:
    return [lo for lo in model.lowered if lo.kernel == first.KERNEL]


@pytest.mark.parametrize("name", list(MLPERF_RAM))
def test_mlperf_first_convs_take_the_kernel(mlperf_models, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    m = compile_tflite(mlperf_models / f"{name}_int8.tflite", kernels="optimized")
    assert m.lowered[0].kernel == first.KERNEL and len(_firsts(m)) == 1
    assert m.ram_bytes <= MLPERF_RAM[name]
    monkeypatch.setattr(first, "IN_CHANNELS", ())  # the same model without the kernel
    assert m.ram_bytes <= compile_tflite(mlperf_models / f"{name}_int8.tflite", kernels="optimized").ram_bytes
    lo = m.lowered[0]
    assert lo.scratch == first.scratch(lo)
    assert lo.fields["weights"].data.size == 4 * first.steps(lo.fields) * lo.fields["out_c"]  # int16 pairs


@pytest.mark.parametrize("k_h,k_w,in_c", [(3, 3, 3), (10, 4, 1), (5, 3, 3), (1, 1, 1), (3, 5, 1), (5, 5, 2),
                                          (2, 2, 3), (4, 3, 2), (1, 7, 1)])
def test_window_layout_covers_every_tap_once(k_h: int, k_w: int, in_c: int) -> None:
    f = dict(k_h=k_h, k_w=k_w, in_c=in_c)
    taps = [t for pair in first.window_taps(f) for t in pair if t is not None]
    assert sorted(taps) == list(range(k_h * k_w * in_c))
    seg, nl = k_w * in_c, (k_w * in_c + 3) // 4  # the C kernel's count (tfc_conv2d_s8_first)
    assert first.steps(f) == (k_h * 2 * (nl - 1) + (k_h + 1) // 2 if seg % 4 == 1 else k_h * 2 * nl)
    # the weights follow the layout: channel c of block b, word s = 2 * (w[tap a], w[tap b])
    rng = np.random.default_rng(0)
    w = rng.integers(-128, 128, size=(8, k_h * k_w * in_c))
    lay = first.layout(w, f).reshape(2, first.steps(f), 4, 2)
    for s, (a, b) in enumerate(first.window_taps(f)):
        for c in range(8):
            assert lay[c // 4, s, c % 4, 0] == (2 * w[c, a] if a is not None else 0)
            assert lay[c // 4, s, c % 4, 1] == (2 * w[c, b] if b is not None else 0)


def _check(model) -> None:
    convs = [lo for lo in model.lowered if lo.op.name == "CONV_2D"]
    assert _firsts(model) and all((lo.kernel == first.KERNEL) == (lo.fields["out_c"] % 4 == 0) for lo in convs)


@pytest.mark.parametrize("name", list(CASES))
def test_first_convs_bit_exact(name: str) -> None:
    """Host build (the portable C of the same layout): reference, optimised and TFLM agree."""
    same_everywhere(_tflite(name), samples=3, seed=4, check_opt=_check)


def test_first_conv_in_a_band() -> None:
    """Banded with the depthwise after it: the kernel runs on row slices (in_h, out_h, pad_top)."""
    from tfcompress.engine import banding

    def check(m) -> None:
        bands = [lo for lo in m.lowered if lo.kernel == banding.KERNEL]
        assert bands and bands[0].parts[0].kernel == first.KERNEL

    same_everywhere(_tflite("band"), samples=3, seed=5, check_opt=check)


def test_first_convs_stack_scratch() -> None:
    """No arena scratch: the kernel's windows and gather buffers on the stack."""
    from tfcompress.tflm import TflmModel

    tfl = _tflite("mono")
    opt = compile_tflite(tfl, kernels="optimized")
    opt.plan = plan_arena(opt.graph, opt.lowered)
    assert not opt.plan.scratch_offsets and _firsts(opt)
    ours, oracle = HostModel(opt), TflmModel(tfl)
    x = np.random.default_rng(2).integers(-128, 128, size=opt.input.shape, dtype=np.int8)
    assert np.array_equal(ours.run(x), oracle.run(x).reshape(opt.output.shape))


def test_first_convs_narrow_activation_range() -> None:
    """A fused activation range narrower than int8 (the packed clamp): the same narrowed range
    in the reference build gives the same outputs."""
    tfl = _tflite("two")
    ref, opt = compile_tflite(tfl), compile_tflite(tfl, kernels="optimized")
    for m in (ref, opt):
        for lo in m.lowered:
            if lo.op.name == "CONV_2D":
                lo.fields["act_min"], lo.fields["act_max"] = -40, 50
    assert _firsts(opt)
    a, b = HostModel(ref), HostModel(opt)
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = rng.integers(-128, 128, size=ref.input.shape, dtype=np.int8)
        assert np.array_equal(a.run(x), b.run(x))


@pytest.mark.slow
@pytest.mark.emulated
def test_first_convs_on_qemu_match_tflm(tmp_path) -> None:
    """The assembly (Cortex-M7 -O2) and the -Os build on the Cortex-M4: identical to TFLM."""
    from conftest import instructions_benchmark, require_tool

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    from tfcompress.boards import load_board

    bench = instructions_benchmark()
    for name in [*CASES, "band"]:
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(_tflite(name))
        for board, opt in (("mps2-an500", "-O2"), ("netduinoplus2", "-Os")):
            r = bench.measure(name, "optimized", load_board(board), opt=opt, runs=1, layers=False, keep=None,
                              path=path)
            assert r["mismatches"] == 0, (name, board, opt)


#: VWW's first layer (3x3 stride 2 same, 3 -> 8, ReLU6; the 14-word windows' straight path of the
#: -O2 assembly, two channel blocks), IC's (stride 1, 16 channels) and a 5x3x3 window (23 words:
#: the general path entered part-way), on an even and an odd output width
STRAIGHT = ((14, 12, 3), [(8, 3, 2, "same", "relu6"), (16, 3, 1, "same", "relu"), (8, (5, 3), 1, "valid", None),
                          (8, 3, 2, "valid", "relu6")])


@pytest.mark.emulated
def test_first_conv_straight_windows_on_qemu(tmp_path) -> None:
    """The 3x3x3 windows' straight path (accumulators started from the biases) and the general
    path next to it: host C and the Cortex-M7 -O2 assembly identical to TFLM."""
    from conftest import instructions_benchmark, require_tool

    tfl = keras_tflite(_branches(STRAIGHT[1]), STRAIGHT[0], seed=13)
    steps = sorted(first.steps(lo.fields) for lo in _firsts(compile_tflite(tfl, kernels="optimized")))
    assert steps == [14, 14, 14, 23]
    same_everywhere(tfl, samples=2, seed=6, check_opt=_check)
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    from tfcompress.boards import load_board

    path = tmp_path / "straight.tflite"
    path.write_bytes(tfl)
    r = instructions_benchmark().measure("straight", "optimized", load_board("mps2-an500"), opt="-O2", runs=1,
                                         layers=False, keep=None, path=path)
    assert r["mismatches"] == 0
