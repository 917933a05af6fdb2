"""Row banding (engine/banding.py, firmware/engine/band.c): a widening 1x1 CONV_2D and the
DEPTHWISE_CONV_2D reading its output, run band by band where that lowers the peak RAM.

Small Keras models whose wide intermediate tensor is the peak: the banded build is chosen, its
plan is pinned to the byte, and it is bit-exact with the unbanded build, the reference kernels
and TFLM (scratch in the arena and on the stack).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from helpers.engine_checks import same_everywhere
from helpers.keras_models import keras_tflite

from tfcompress.engine import banding
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.tflm import TflmModel

#: name -> (input h, w, c), widened channels, depthwise (kernel, stride, padding, activation)
CASES = {
    "s2": ((20, 12, 4), 16, (3, 2, "same", "relu6")),  # planar stride 2 (VWW's layer #3)
    "s1": ((17, 10, 4), 12, (3, 1, "same", None)),  # planar stride 1, two rows kept per band
    "k5": ((15, 8, 8), 24, (5, 1, "valid", "relu")),  # word path, valid padding
    "res": ((16, 12, 8), 8, (3, 1, "same", "relu")),  # ResNet block: conv 3x3, conv 3x3 + ADD (IC's first)
}


@functools.cache
def _tflite(name: str, seed: int = 5) -> bytes:
    shape, wide, (k, s, pad, act) = CASES[name]

    def build(L, x):
        if name == "res":
            x = L.Conv2D(wide, 3, padding="same", activation="relu")(x)
            y = L.Conv2D(wide, 3, padding=pad, activation=act)(x)
            y = L.Conv2D(wide, 3, padding=pad, bias_initializer="random_normal")(y)
            return L.Activation("relu")(L.Add()([x, y]))
        x = L.Conv2D(wide, 1, activation="relu")(x)
        x = L.DepthwiseConv2D(k, strides=s, padding=pad, activation=act, bias_initializer="random_normal")(x)
        return L.Conv2D(4, 1)(x)

    return keras_tflite(build, shape, seed=seed)


def _bands(model) -> list:
    return [lo for lo in model.lowered if lo.kernel == banding.KERNEL]


def _check_scratch(model) -> None:
    """Every band's depthwise band buffer (the kernel's own geometry, rq[1] rows) fits the scratch
    the driver hands its kernels."""
    from tfcompress.engine.optimized import depthwise

    for lo in _bands(model):
        _, b = lo.parts
        for p in banding.bands(b.fields, lo.fields["band"]):
            sliced = banding._sliced(b, banding.slice_rows(b.fields, p.oy0, p.n))
            if b.kernel.startswith("tfc_depthwise"):
                assert 0 < depthwise.scratch(sliced) <= lo.fields["kscratch"]
        assert lo.scratch >= lo.fields["kscratch"] + lo.fields["rows"] * b.fields["in_w"] * b.fields["in_c"]


def test_bands_cover_every_row_once() -> None:
    """The host's mirror of band.c's loop: VWW's stride-2 layer (48 rows, padding 0 top / 1 bottom)."""
    f = dict(k_h=3, dil_h=1, stride_h=2, pad_top=0, in_h=48, out_h=24)
    parts = banding.bands(f, 5)
    assert [(p.oy0, p.n) for p in parts] == [(0, 5), (5, 5), (10, 5), (15, 5), (20, 4)]
    assert [(p.lo, p.hi, p.keep) for p in parts] == [(0, 11, 0), (10, 21, 1), (20, 31, 1), (30, 41, 1), (40, 48, 1)]
    g = dict(k_h=3, dil_h=1, stride_h=1, pad_top=1, in_h=7, out_h=7)
    assert [(p.lo, p.hi, p.keep) for p in banding.bands(g, 3)] == [(0, 4, 0), (2, 7, 2), (5, 7, 2)]


@pytest.mark.parametrize("name", list(CASES))
def test_banded_pairs_are_bit_exact_and_smaller(name: str) -> None:
    tflite = _tflite(name)
    opt, flat = compile_tflite(tflite, kernels="optimized"), compile_tflite(tflite, kernels="optimized", band=False)
    assert len(_bands(opt)) == 1 and not _bands(flat)
    assert bool(_bands(opt)[0].fields["second_add"]) == (name == "res")  # the ADD written over the block input
    _check_scratch(opt)
    assert opt.ram_bytes < flat.ram_bytes
    same_everywhere(tflite, samples=3, seed=1)
    a, b = HostModel(opt), HostModel(flat)
    rng = np.random.default_rng(3)
    for _ in range(2):
        x = rng.integers(-128, 128, size=opt.input.shape, dtype=np.int8)
        assert np.array_equal(a.run(x), b.run(x))


def test_banded_plan_pinned() -> None:
    """20x12x4 -> 1x1 conv to 16 channels (3,840 B) -> 3x3 stride-2 depthwise -> 1x1 conv: the
    wide tensor never exists; the band op's scratch holds its rows and the depthwise band buffer."""
    opt = compile_tflite(_tflite("s2"), kernels="optimized")
    flat = compile_tflite(_tflite("s2"), kernels="optimized", band=False)
    (lo,) = _bands(opt)
    assert (lo.fields["band"], lo.fields["rows"]) == (PINNED["band"], PINNED["rows"])
    assert (lo.scratch, opt.plan.arena_bytes, opt.ram_bytes) == (PINNED["scratch"], PINNED["arena"], PINNED["ram"])
    assert flat.ram_bytes == PINNED["unbanded"]
    assert lo.kernel == "tfc_band_s8" and [x.kernel for x in lo.parts] == ["tfc_conv2d_s8_pw",  # 1x1: pointwise kernel
                                                                            "tfc_depthwise_conv2d_s8_planar"]


#: the plan of case "s2" (bytes): banded and not
PINNED = dict(band=1, rows=3, scratch=912, arena=1920, ram=1920, unbanded=4864)


def test_banded_scratch_on_the_stack() -> None:
    """Without arena scratch the driver keeps the rows on the stack (and the kernels theirs)."""
    from tfcompress.engine.planner import plan_arena

    tflite = _tflite("s1")
    opt = compile_tflite(tflite, kernels="optimized")
    opt.plan = plan_arena(opt.graph, opt.lowered)
    assert _bands(opt) and not opt.plan.scratch_offsets
    ours, oracle = HostModel(opt), TflmModel(tflite)
    rng = np.random.default_rng(4)
    for _ in range(3):
        x = rng.integers(-128, 128, size=opt.input.shape, dtype=np.int8)
        assert np.array_equal(ours.run(x), oracle.run(x).reshape(opt.output.shape))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["s2", "res"])
def test_banded_stack_scratch_clean_under_asan(tmp_path, name: str) -> None:
    """Rows on the stack (the driver's array, the kernels' own): AddressSanitizer + UBSan see every
    band's accesses; outputs equal TFLM's."""
    import subprocess

    from conftest import require_tool
    from helpers.engine_checks import SAN_FLAGS

    from tfcompress.engine.host import build_executable
    from tfcompress.engine.planner import plan_arena

    require_tool("cc", "build-essential")
    tflite = _tflite(name)
    opt = compile_tflite(tflite, kernels="optimized")
    opt.plan = plan_arena(opt.graph, opt.lowered)
    assert _bands(opt) and not opt.plan.scratch_offsets
    exe = build_executable(opt, tmp_path / "build", SAN_FLAGS)
    x = np.random.default_rng(8).integers(-128, 128, size=opt.input.shape, dtype=np.int8)
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    proc = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "runtime error" not in proc.stderr, proc.stderr[-3000:]
    out = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=np.int8)
    assert np.array_equal(out, TflmModel(tflite).run(x).reshape(-1))

#: optimised RAM (arena + stack scratch + state, bytes) of the MLPerf Tiny models with their lowest-RAM
#: layouts: VWW and IC banded (issue 15: <= 36,000 and <= 30,200), the others not above what they
#: were before banding
MLPERF_RAM = {"vww_mobilenet": 28_800, "kws_dscnn": 10_048, "ic_resnet8": 25_184, "ad_autoencoder": 768}
#: RAM the default preference ("balanced", engine/optimize.py) spends on faster layouts, within its
#: 10% slack: IC's first residual block on im2col windows instead of direct ones (no RAM in the
#: band) and three pixels at a time; with its conv shortcuts run late (engine/schedule.py:
#: 26,304 -> 25,184 B at "size", 26,880 -> 25,472 B at "balanced") that costs 288 B
BALANCED_EXTRA = {"ic_resnet8": 288}


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(MLPERF_RAM))
def test_mlperf_optimised_ram(mlperf_models, name: str) -> None:
    path = mlperf_models / f"{name}_int8.tflite"
    opt = compile_tflite(path, kernels="optimized")
    assert opt.ram_bytes <= MLPERF_RAM[name] + BALANCED_EXTRA.get(name, 0)
    if name in BALANCED_EXTRA:
        low = compile_tflite(path, kernels="optimized", optimize="size")
        assert low.ram_bytes == MLPERF_RAM[name] and len(_bands(low)) == 1
        assert opt.ram_bytes == low.ram_bytes + BALANCED_EXTRA[name] <= 1.1 * low.ram_bytes
    if name in ("vww_mobilenet", "ic_resnet8"):
        assert opt.ram_bytes == MLPERF_RAM[name] + BALANCED_EXTRA.get(name, 0) and len(_bands(opt)) == 1
        _check_scratch(opt)
        ours, oracle = HostModel(opt), TflmModel(opt.model_bytes)
        rng = np.random.default_rng(9)
        for _ in range(3):
            x = rng.integers(-128, 128, size=opt.input.shape, dtype=np.int8)
            assert np.array_equal(ours.run(x), oracle.run(x).reshape(opt.output.shape))


@pytest.mark.slow
@pytest.mark.emulated
def test_banded_models_on_qemu_match_tflm(tmp_path) -> None:
    """The banded builds on both emulated boards (Cortex-M7 -O2, Cortex-M4 -Os): identical to TFLM."""
    from conftest import instructions_benchmark, require_tool

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    from tfcompress.boards import load_board

    bench = instructions_benchmark()
    for name in CASES:
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(_tflite(name))
        for board, opt in (("mps2-an500", "-O2"), ("netduinoplus2", "-Os")):
            r = bench.measure(name, "optimized", load_board(board), opt=opt, runs=1, layers=False, keep=None,
                              path=path)
            assert r["mismatches"] == 0, (name, board, opt)
