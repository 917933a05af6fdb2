"""Direct-window CONV_2D kernels (engine/optimized/conv.py direct): the compiler switches the optimised
convs whose im2col scratch raises the peak RAM to kernels that read their windows straight from
the input (small border buffer, int16 weights). Pins the IC RAM goal and checks the kernels
bit-exact on small random models with the path forced on every eligible layer (borders, odd
sizes, strides 1/2, odd channel counts, with and without the fused ADD)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import instructions_benchmark, require_tool
from helpers.engine_checks import assert_stack_scratch_bit_exact, same_everywhere
from helpers.keras_models import MODELS, PHASES, build_keras, keras_tflite, to_int8_tflite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfcompress.engine import optimize as optimize_pref
from tfcompress.engine import optimized
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.optimized import conv as opt_conv
from tfcompress.engine.optimized import requant
from tfcompress.engine.overlap import window_overlap
from tfcompress.engine.planner import best_plan
from tfcompress.engine.quant import same_padding
from tfcompress.tflm import TflmModel

DIRECT = ("tfc_conv2d_s8_direct", "tfc_conv2d_add_s8_direct")
#: benchmarks/instructions.py: TFLM's arena for the IC model; the goal is 0.6 of it
TFLM_IC_ARENA = 54_996


def _check_scratch_placement(m) -> None:
    plan = m.plan
    for k, off in plan.scratch_offsets.items():
        size = m.lowered[k].scratch
        assert off % 4 == 0 and off + size <= plan.arena_bytes
        for b in plan.buffers:
            if b.tensors and b.start <= k + 1 <= b.end:
                o = plan.offsets[b.tensors[0]]
                assert not (o < off + size and off < o + b.size), (k, b)


def test_ic_optimised_ram_within_goal(mlperf_models) -> None:
    """IC (ResNet-8) with the optimised kernels: peak RAM <= 0.6 x TFLM's arena. Under "size" the
    two convs of the first residual block (two live 32x32x16 tensors) are on the direct path, the
    others not; the default ("balanced") keeps im2col windows everywhere for a peak within its 10%
    RAM slack of that (engine/optimize.py LAYOUTS) and within the round-two RAM goal."""
    path = mlperf_models / "ic_resnet8_int8.tflite"
    opt, ref = compile_tflite(path, kernels="optimized", optimize="size"), compile_tflite(path)
    assert ref.ram_bytes == 32_768
    assert opt.ram_bytes <= int(0.6 * TFLM_IC_ARENA), opt.ram_bytes
    assert opt.scratch_bytes == 0 and opt.ram_bytes == opt.plan.arena_bytes
    ops = [op for lo in opt.lowered for op in (lo, *lo.parts)]  # a banded pair's ops are its parts
    kinds = [lo.kernel for lo in ops]
    assert kinds.count("tfc_conv2d_s8_direct") == 1 and kinds.count("tfc_conv2d_add_s8_direct") == 1
    assert "tfc_conv2d_s8" in kinds and "tfc_conv2d_add_s8" in kinds  # the other layers keep im2col
    _check_scratch_placement(opt)
    for lo in ops:
        if lo.kernel in DIRECT:
            assert lo.scratch == optimized.KERNEL_SET.scratch_bytes(lo) <= 32_997 - 32_768
    bal = compile_tflite(path, kernels="optimized")
    assert not any(lo.kernel in DIRECT for lo in bal.lowered for lo in (lo, *lo.parts))
    assert opt.ram_bytes < bal.ram_bytes <= min(1.1 * opt.ram_bytes, 30_200)
    _check_scratch_placement(bal)


@pytest.mark.parametrize("name", ["vww_mobilenet", "kws_dscnn", "ad_autoencoder"])
def test_other_mlperf_models_keep_im2col(mlperf_models, name: str) -> None:
    """Models whose conv scratch does not sit above the tensors' peak keep the faster-to-flash path."""
    opt = compile_tflite(mlperf_models / f"{name}_int8.tflite", kernels="optimized")
    assert not any(lo.kernel in DIRECT for lo in opt.lowered)


def test_direct_file_ships_only_with_direct_layers(mlperf_models, tmp_path) -> None:
    """The direct kernels have their own source: IC (direct layers) gets it beside the im2col
    kernels, KWS (none; its convs are on the first-layer and pointwise kernels) does not; every
    header a shipped source includes is shipped too."""
    import re

    for name, direct in (("ic_resnet8", True), ("kws_dscnn", False)):
        m = compile_tflite(mlperf_models / f"{name}_int8.tflite", kernels="optimized", optimize="size")
        assert ("optimized/conv2d_s8_direct_opt.c" in m.kernel_sources()) == direct
        assert ("optimized/conv2d_s8_opt.c" in m.kernel_sources()) == direct
        engine = tmp_path / name / "engine"
        m.write(tmp_path / name)
        assert (engine / "optimized" / "conv2d_s8_direct_opt.c").exists() == direct
        for src in engine.rglob("*.[ch]"):
            for inc in re.findall(r'^#include "([^"]+)"', src.read_text(), re.M):
                assert (src.parent / inc).is_file() or (engine / inc).is_file(), (src.name, inc)


def _force_direct(monkeypatch) -> None:
    """Compile every eligible optimised CONV_2D (+ADD) with the direct kernels (the default
    preference planning only its lowest-RAM layouts, which take direct windows)."""
    def force(g, lowered, plan, bare, in_arena, overlap):
        cur = [opt_conv.direct(lo, force=True) or lo for lo in lowered]
        return cur, best_plan(g, cur, overlap)[0]

    monkeypatch.setattr(optimized, "direct_windows", force)
    monkeypatch.setitem(optimize_pref.LAYOUTS, "balanced", (optimize_pref.LOWEST,))


def _model_direct(L, x):
    """Channels in whole words: 3x3 same (odd out_w, odd pixel count: pairs across rows and a last
    single pixel), stride 2 with borders, 1x1 without padding, a 5x3 valid window with an odd
    group count per row, odd output channels, clamps."""
    x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = L.Conv2D(12, 3, strides=2, padding="same", activation="relu6")(x)
    y = L.Conv2D(7, 1)(x)
    y = L.Conv2D(8, 1, activation="relu")(y)
    x = L.Concatenate()([x, y])
    x = L.Conv2D(9, (5, 3), padding="valid")(x) if x.shape[1] >= 5 else L.Conv2D(9, 3, padding="same")(x)
    x = L.Flatten()(x)
    return L.Dense(5)(x)


def _model_direct_add(L, x):
    """Fused CONV_2D+ADD on the direct path: 3x3 residual blocks (conv result as either ADD operand,
    in place on the residual), odd output channels, a stride-2 1x1 shortcut."""
    x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = L.Conv2D(8, 3, padding="same")(y)
    x = L.Add()([x, y])
    y = L.Conv2D(8, 3, padding="same", activation="relu6")(x)
    x = L.Add()([y, x])
    s = L.Conv2D(5, 1)(x)
    y = L.Conv2D(5, 3, padding="same")(x)                                     # odd channels, ADD
    x = L.Add()([s, y])
    x = L.Conv2D(12, 1, activation="relu")(x)
    y = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    s = L.Conv2D(16, 1, strides=2)(x)                                          # 1x1 stride 2, no border
    x = L.Add()([s, y])
    x = L.Flatten()(x)
    return L.Dense(6)(x)


FORCED = {"direct": (_model_direct, (9, 7, 4)), "direct_add": (_model_direct_add, (7, 9, 4)),
          "direct_add_even": (_model_direct_add, (8, 6, 8)),
          **{k: MODELS[k] for k in ("simd", "residual")}}  # ("odd" has no layer with channels in words)


def _check_direct(opt) -> None:
    assert any(lo.kernel in DIRECT for lo in opt.lowered)
    _check_scratch_placement(opt)


def _bit_exact(tflite: bytes, samples: int, seed: int) -> None:
    same_everywhere(tflite, samples, seed, check_opt=_check_direct)


@pytest.mark.parametrize("name", list(FORCED))
def test_forced_direct_bit_exact(monkeypatch, name: str) -> None:
    """Host build (portable C of the same algorithm and data layout), the direct path forced."""
    _force_direct(monkeypatch)
    build, shape = FORCED[name]
    _bit_exact(keras_tflite(build, shape, seed=4), samples=4, seed=2)


def test_forced_direct_reference_requantisation(monkeypatch) -> None:
    """Direct layers where SMMULR is not provably exact use TFLM's arithmetic."""
    _force_direct(monkeypatch)
    monkeypatch.setattr(requant, "RQ_FAST", 0)
    _bit_exact(keras_tflite(_model_direct_add, (7, 9, 4), seed=5), samples=2, seed=3)


def test_forced_direct_stack_scratch(monkeypatch) -> None:
    """Scratch on the stack (no arena scratch); the fused ADD's tables in flash."""
    _force_direct(monkeypatch)
    tflite = keras_tflite(_model_direct_add, (7, 9, 4), seed=4)
    assert_stack_scratch_bit_exact(tflite, "tfc_conv2d_add_s8_direct", samples=3, seed=6)


@st.composite
def direct_specs(draw: st.DrawFn) -> dict:
    """Random conv stacks (helpers.keras_models.build_keras) whose convs mostly take whole-word
    channels: kernels up to 4x4, strides 1/2, same/valid, odd sizes, odd channel counts, residual
    ADDs (fused conv+ADD)."""
    body = []
    for _ in range(draw(st.integers(1, 3))):
        stride = draw(st.integers(1, 2))
        body.append(dict(kind=draw(st.sampled_from(["conv", "conv", "add"])),
                         filters=draw(st.sampled_from([4, 8, 12, 16, 5])),
                         k=(draw(st.integers(1, 4)), draw(st.integers(1, 4))), stride=stride, dilation=1,
                         padding=draw(st.sampled_from(["same", "valid"])),
                         act=draw(st.sampled_from([None, "relu", "relu6"])), depth_multiplier=1, pool=2))
    return dict(shape=(draw(st.integers(2, 11)), draw(st.integers(2, 11)), draw(st.sampled_from([4, 8, 12]))),
                body=body, head=draw(st.sampled_from(["dense", "none"])), units=draw(st.integers(1, 7)),
                seed=draw(st.integers(0, 2**16)))


def _check_random(spec: dict) -> None:
    tflite = to_int8_tflite(build_keras(spec), seed=spec["seed"])
    opt = compile_tflite(tflite, kernels="optimized")
    ours, oracle = HostModel(opt), TflmModel(tflite)
    rng = np.random.default_rng(spec["seed"])
    for _ in range(3):
        x = rng.integers(-128, 128, size=opt.input.shape, dtype=np.int8)
        a, b = ours.run(x), oracle.run(x).reshape(opt.output.shape)
        assert np.array_equal(a, b), f"{int((a != b).sum())} elements differ"


@settings(max_examples=10, derandomize=True, deadline=None, database=None, phases=PHASES,
          suppress_health_check=list(HealthCheck))
@given(direct_specs())
def test_random_forced_direct_bit_exact(monkeypatch, spec: dict) -> None:
    _force_direct(monkeypatch)
    _check_random(spec)


@pytest.mark.slow
@settings(max_examples=80, derandomize=True, deadline=None, database=None, phases=PHASES,
          suppress_health_check=list(HealthCheck))
@given(direct_specs())
def test_random_forced_direct_bit_exact_many(monkeypatch, spec: dict) -> None:
    _force_direct(monkeypatch)
    _check_random(spec)


@settings(max_examples=8, derandomize=True, deadline=None, database=None, phases=PHASES,
          suppress_health_check=list(HealthCheck))
@given(direct_specs())
def test_selection_never_costs_ram(monkeypatch, spec: dict) -> None:
    """The compiler's own choice: never more RAM than without direct windows, and bit-exact."""
    tflite = to_int8_tflite(build_keras(spec), seed=spec["seed"])
    chosen = compile_tflite(tflite, kernels="optimized")
    monkeypatch.setattr(optimized, "direct_windows", lambda g, lowered, plan, *_: (lowered, plan))
    plain = compile_tflite(tflite, kernels="optimized")
    assert chosen.ram_bytes <= plain.ram_bytes
    if any(lo.kernel in DIRECT for lo in chosen.lowered):
        assert chosen.ram_bytes < plain.ram_bytes
        monkeypatch.undo()
        _check_random(spec)


def _simulate_pairs(ih, iw, c, oc, k, s, pad, delta) -> bool:
    """The direct plain conv's access order: per pixel pair (raster order), outputs written while
    both windows are still read. False if a read hits a clobbered byte."""
    kh, kw = k
    oh = (ih + 2 * pad[0] - kh) // s + 1
    ow = (iw + 2 * pad[1] - kw) // s + 1
    if oh <= 0 or ow <= 0:
        return True
    n = oh * ow
    clobbered = np.zeros(ih * iw * c + n * oc + abs(delta) + 8, dtype=bool)
    base = max(0, -delta)
    for p0 in range(0, n, 2):
        pix = [p for p in (p0, p0 + 1) if p < n]
        for p in pix:
            out = base + delta + p * oc
            clobbered[out:out + oc] = True
        for p in pix:
            oy, ox = divmod(p, ow)
            for ky in range(kh):
                for kx in range(kw):
                    y, x = oy * s - pad[0] + ky, ox * s - pad[1] + kx
                    if 0 <= y < ih and 0 <= x < iw and clobbered[base + (y * iw + x) * c:][:c].any():
                        return False
    return True


@settings(max_examples=120, derandomize=True, deadline=None, database=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 4), st.integers(1, 5), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 2), st.booleans())
def test_pair_overlap_is_safe(ih, iw, c, oc, kh, kw, s, same) -> None:
    """window_overlap(group=2), used for the direct plain conv, never lets a write clobber a read."""
    if not same and (ih < kh or iw < kw):
        return
    oh = -(-ih // s) if same else (ih - kh) // s + 1
    ow = -(-iw // s) if same else (iw - kw) // s + 1
    pad = (same_padding(ih, oh, s, kh, 1), same_padding(iw, ow, s, kw, 1))
    delta = window_overlap((ih, iw), c, (oh, ow), oc, (kh, kw), (s, s), (1, 1), pad, group=2)
    delta = min(delta, ih * iw * c)
    assert _simulate_pairs(ih, iw, c, oc, (kh, kw), s, pad, delta)
    assert delta <= window_overlap((ih, iw), c, (oh, ow), oc, (kh, kw), (s, s), (1, 1), pad)


@pytest.mark.emulated
def test_forced_direct_on_qemu(monkeypatch, tmp_path) -> None:
    """The DSP build (assembly channel-pair loop) on QEMU mps2-an500: forced direct layers give
    TFLM's outputs."""
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")

    from tfcompress.boards import load_board

    bench = instructions_benchmark()
    _force_direct(monkeypatch)
    board = load_board("mps2-an500")
    for name in ("direct", "direct_add", "direct_add_even", "residual"):
        build, shape = FORCED[name]
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(keras_tflite(build, shape, seed=4))
        for opt in ("-O2", "-Os"):
            r = bench.measure(name, "optimized", board, opt=opt, runs=1, layers=opt == "-O2", keep=None, path=path)
            assert r["mismatches"] == 0, (name, opt)
            if opt == "-O2":
                assert any(row["kernel"] in DIRECT and row["instructions"] > 0 for row in r["layers"])


@pytest.mark.slow
@pytest.mark.emulated
@settings(max_examples=12, derandomize=True, deadline=None, database=None, phases=PHASES,
          suppress_health_check=list(HealthCheck))
@given(direct_specs())
def test_random_forced_direct_on_qemu(monkeypatch, tmp_path_factory, spec: dict) -> None:
    """Random geometries through the assembly path (DSP build on QEMU mps2-an500)."""
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")

    from tfcompress.boards import load_board

    bench = instructions_benchmark()
    _force_direct(monkeypatch)
    path = tmp_path_factory.mktemp("direct") / "m.tflite"
    path.write_bytes(to_int8_tflite(build_keras(spec), seed=spec["seed"]))
    r = bench.measure("random", "optimized", load_board("mps2-an500"), opt="-O2", runs=1, layers=False,
                      keep=None, path=path)
    assert r["mismatches"] == 0
