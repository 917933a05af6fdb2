"""Optimised (Cortex-M4/M7 DSP) kernels: bit-exact with the reference kernels and TFLM.

On the host the optimised C compiles with its portable fallbacks (same algorithm, same data
layout); the emulated test runs the DSP build on QEMU through the benchmark firmware.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import instructions_benchmark, require_tool

from tfcompress.engine import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.kernels_opt import kernel_set_for_core, mbqm, model_scratch_bytes
from tfcompress.engine.tflm import TflmModel


def _same_everywhere(tflite: bytes | str, samples: int = 4, seed: int = 0, check_opt=None) -> None:
    """Reference and optimised builds agree with each other and with TFLM on random inputs
    (``check_opt``: called with the optimised model first)."""
    ref, opt = compile_tflite(tflite), compile_tflite(tflite, kernels="optimized")
    if check_opt is not None:
        check_opt(opt)
    hr, ho, oracle = HostModel(ref), HostModel(opt), TflmModel(ref.model_bytes)
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        x = rng.integers(-128, 128, size=ref.input.shape, dtype=np.int8)
        a, b, c = hr.run(x), ho.run(x), oracle.run(x).reshape(ref.output.shape)
        assert np.array_equal(a, b), f"optimised vs reference: {int((a != b).sum())} elements differ"
        assert np.array_equal(b, c), f"optimised vs TFLM: {int((b != c).sum())} elements differ"


@pytest.mark.parametrize("name", ["ad_autoencoder", "kws_dscnn", "ic_resnet8", "vww_mobilenet"])
def test_mlperf_models_bit_exact(mlperf_models, name: str) -> None:
    _same_everywhere(str(mlperf_models / f"{name}_int8.tflite"), samples=3)


def _keras_tflite(build, shape: tuple, seed: int) -> bytes:
    from tfcompress.tfenv import keras, tf

    K, tfm = keras(), tf()
    K.utils.set_random_seed(seed)
    inp = K.Input(shape)
    model = K.Model(inp, build(K.layers, inp))
    rng = np.random.default_rng(seed)

    def rep():
        for _ in range(16):
            yield [rng.uniform(-1, 1, size=(1, *shape)).astype(np.float32)]

    conv = tfm.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tfm.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tfm.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tfm.int8
    conv.inference_output_type = tfm.int8
    return bytes(conv.convert())


def _model_odd(L, x):
    """Odd channel counts, 5x5/stride-2/valid conv, ReLU6 clamps, per-channel depthwise (generic path)."""
    x = L.Conv2D(7, 3, padding="same", activation="relu6")(x)                 # ic 3 -> byte window path
    x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)            # 7 channels: plain loop
    x = L.Conv2D(9, 5, strides=2, padding="valid", activation="relu")(x)      # odd out channels
    x = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(x)           # depth multiplier 2
    x = L.MaxPooling2D(2, padding="same")(x)                                   # max pool, partial windows
    x = L.Flatten()(x)
    return L.Dense(13, activation="relu")(x)                                  # FC tail rows and inputs


def _model_simd(L, x):
    """Channels multiple of 4: word window path, depthwise SIMD path (borders), 1x1, ADD, FC."""
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    y = L.Conv2D(8, 1, activation="relu")(y)
    x = L.Add()([x, y])
    x = L.AveragePooling2D(3, strides=1, padding="same")(x)                   # SIMD sums, border counts
    x = L.DepthwiseConv2D(3, strides=2, padding="valid")(x)
    x = L.Conv2D(12, 3, padding="same")(x)
    x = L.AveragePooling2D(x.shape[1])(x)
    x = L.Flatten()(x)
    return L.Dense(6)(x)


def _model_residual(L, x):
    """CONV_2D+ADD fusions: byte-window and odd-channel convs, the conv result as either ADD
    operand, a clamped conv, the assembly pair path with 3x3 windows, a window above the scratch
    limit (plain loop, reference ADD arithmetic)."""
    x = L.Conv2D(5, 3, padding="same", activation="relu")(x)                  # ic 3 -> byte window path
    y = L.Conv2D(5, 3, padding="same")(x)                                     # odd out channels
    x = L.Add()([x, y])
    y = L.Conv2D(5, 3, padding="same", activation="relu6")(x)
    x = L.Add()([y, x])                                                       # conv result first
    x = L.Conv2D(8, 1, activation="relu")(x)
    y = L.Conv2D(8, 3, strides=1, padding="same")(x)                          # channel pairs, 3x3 windows
    x = L.Add()([x, y])
    x = L.Conv2D(80, 1, strides=2, activation="relu")(x)
    y = L.Conv2D(80, 3, padding="same")(x)                                    # K = 720 > CONV_MAX_K
    x = L.Add()([x, y])
    x = L.Flatten()(x)
    return L.Dense(7)(x)


def _model_dense(L, x):
    """FULLY_CONNECTED stack with rows and inputs multiples of four (pair-code fast path), an odd
    group count, a clamped layer and a tail layer (6 outputs, 30 inputs)."""
    x = L.Flatten()(x)                                                         # 4 * 4 * 5 = 80 inputs
    x = L.Dense(28, activation="relu")(x)                                     # 20 groups, 7 blocks
    x = L.Dense(12, activation="relu6")(x)                                    # 7 groups (odd)
    x = L.Dense(30)(x)
    return L.Dense(6)(x)                                                      # tail rows and inputs


MODELS = {"odd": (_model_odd, (11, 9, 3)), "simd": (_model_simd, (12, 10, 4)),
          "residual": (_model_residual, (9, 7, 3)), "dense": (_model_dense, (4, 4, 5))}


@pytest.mark.parametrize("build,shape", list(MODELS.values()), ids=list(MODELS))
def test_keras_models_bit_exact(build, shape) -> None:
    _same_everywhere(_keras_tflite(build, shape, seed=3), samples=6, seed=1)


def test_reference_requantisation_path(mlperf_models, monkeypatch) -> None:
    """Layers where SMMULR is not provably exact use TFLM's arithmetic: force that path everywhere."""
    from tfcompress.engine import kernels_opt

    monkeypatch.setattr(kernels_opt, "RQ_FAST", 0)
    _same_everywhere(str(mlperf_models / "kws_dscnn_int8.tflite"), samples=2)
    _same_everywhere(_keras_tflite(_model_odd, (11, 9, 3), seed=3), samples=3, seed=2)


def test_fully_connected_plain_layout(mlperf_models, monkeypatch) -> None:
    """FULLY_CONNECTED layers whose weights do not allow pair codes use the plain byte layout."""
    from tfcompress.engine import kernels_opt

    monkeypatch.setattr(kernels_opt, "fc_pairs_ok", lambda w: False)
    _same_everywhere(str(mlperf_models / "ad_autoencoder_int8.tflite"), samples=2)
    _same_everywhere(_keras_tflite(_model_dense, (4, 4, 5), seed=4), samples=3, seed=2)


def test_fully_connected_pair_codes() -> None:
    """Pair codes h = 256 a + b: SMLAD of the raw word gives 256 dot(a) + dot(b), SXTB16 of it the
    b bytes, so dot(a) = (S - L) >> 8; fc_pairs_ok refuses the weights where that is not exact."""
    from tfcompress.engine.kernels_opt import _fc_pair_words, fc_pairs_ok

    rng = np.random.default_rng(1)
    w = rng.integers(-127, 128, size=(8, 12)).astype(np.int8)
    x = rng.integers(-128, 128, size=12).astype(np.int64)
    words = _fc_pair_words(w).reshape(2, 3, 2, 2, 2).astype(np.int64)  # [blk][g][pair][xl/xh][lo/hi]
    xg = x.reshape(3, 4)[:, [[0, 2], [1, 3]]]                            # [g][xl/xh][lo/hi]
    low = ((words & 0xFF) ^ 0x80) - 0x80                                  # SXTB16: the b bytes
    s = np.einsum("bgpkh,gkh->bp", words, xg)
    lo = np.einsum("bgpkh,gkh->bp", low, xg)
    dots = w.astype(np.int64) @ x
    assert np.array_equal(lo.reshape(-1), dots[1::2])
    assert np.array_equal((s - lo).reshape(-1) >> 8, dots[0::2])
    assert fc_pairs_ok(w)
    bad = w.copy()
    bad[0, 0], bad[1, 0] = -128, -1                                       # 256 * -128 - 1 < -32768
    assert not fc_pairs_ok(bad)
    assert fc_pairs_ok(np.full((4, 512), 127, np.int8))                  # 128 * 65024 < 2^23
    assert not fc_pairs_ok(np.full((4, 520), 127, np.int8))              # |dot(a)| may reach 2^23


def test_host_mbqm_matches_reference_rounding() -> None:
    """kernels_opt.mbqm (used to fold dead channels) is TFLM's MultiplyByQuantizedMultiplier."""
    def ref(x: int, m: int, s: int) -> int:  # the nudged truncating division, as in tfc_fixedpoint.h
        left, right = max(s, 0), max(-s, 0)
        a = ((x << left) + 2**31) % 2**32 - 2**31
        ab = a * m
        nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
        q = abs(ab + nudge) // 2**31  # C's truncating division
        r = q if ab + nudge >= 0 else -q
        mask = (1 << right) - 1
        return (r >> right) + (1 if (r & mask) > (mask >> 1) + (r < 0) else 0)

    rng = np.random.default_rng(0)
    for _ in range(3000):
        x = int(rng.integers(-(2**31), 2**31))
        m = int(rng.integers(2**30, 2**31))
        s = int(rng.integers(-31, 4))
        if s > 0:
            x >>= s + 1
        assert mbqm(x, m, s) == ref(x, m, s)


def test_selection_and_scratch(mlperf_models) -> None:
    assert kernel_set_for_core("cortex-m7") == "optimized"
    assert kernel_set_for_core("cortex-m4") == "optimized"
    assert kernel_set_for_core("cortex-m0plus") == "reference"
    assert kernel_set_for_core("cortex-m7", "reference") == "reference"
    m = compile_tflite(mlperf_models / "kws_dscnn_int8.tflite", kernels="optimized")
    assert 0 < model_scratch_bytes(m) <= 2048
    assert model_scratch_bytes(compile_tflite(mlperf_models / "kws_dscnn_int8.tflite")) == 0


@pytest.mark.parametrize("name", ["ic_resnet8", "kws_dscnn", "vww_mobilenet"])
def test_scratch_in_arena_and_fusion(mlperf_models, name: str) -> None:
    """Optimised builds place kernel scratch in the arena (no stack scratch), where it collides
    with no tensor live at its op; IC keeps the CONV_2D+ADD fusion and meets its RAM goal."""
    opt = compile_tflite(mlperf_models / f"{name}_int8.tflite", kernels="optimized")
    plan = opt.plan
    assert opt.scratch_bytes == 0 and plan.scratch_offsets
    assert opt.ram_bytes == plan.arena_bytes
    for k, off in plan.scratch_offsets.items():
        size = opt.lowered[k].scratch
        assert size > 0 and off % 4 == 0 and off + size <= plan.arena_bytes
        for b in plan.buffers:
            if b.tensors and b.start <= k + 1 <= b.end:
                o = plan.offsets[b.tensors[0]]
                assert not (o < off + size and off < o + b.size), (k, b)
    if name == "ic_resnet8":
        assert any(lo.kernel == "tfc_conv2d_add_s8" for lo in opt.lowered)
        assert_fused_add_tables_in_flash(opt)
        assert opt.ram_bytes <= 33_792  # DESIGN.md section 6: <= 33.0 KB
    if name == "kws_dscnn":
        assert opt.ram_bytes <= compile_tflite(mlperf_models / f"{name}_int8.tflite").ram_bytes


def assert_fused_add_tables_in_flash(model) -> None:
    """Every fused CONV_2D+ADD of an optimised build carries its ADD's two tables in flash (the
    optimised fused kernels read add->tables and have no run-time fallback)."""
    from tfcompress.engine.kernels_opt import add_tables
    from tfcompress.engine.lowered import ConstArray

    fused = [lo for lo in model.lowered if lo.kernel.startswith("tfc_conv2d_add_s8")]
    assert fused
    for lo in fused:
        _, _, fields = lo.extra_structs[0]
        tables = fields["tables"]
        assert isinstance(tables, ConstArray) and any(a is tables for a in lo.arrays)
        want, fast = add_tables(fields)
        assert np.array_equal(tables.data, want) and fields["tables_fast"] == int(fast)


def assert_stack_scratch_bit_exact(tflite: bytes, fused_kernel: str, samples: int, seed: int) -> None:
    """Plan without arena scratch (the kernels fall back to the stack) and compare with TFLM;
    ``fused_kernel`` ops are present and read their ADD tables from flash."""
    from tfcompress.engine.planner import plan_arena

    opt = compile_tflite(tflite, kernels="optimized")
    assert any(lo.kernel == fused_kernel for lo in opt.lowered)
    assert_fused_add_tables_in_flash(opt)
    opt.plan = plan_arena(opt.graph, opt.lowered)
    assert not opt.plan.scratch_offsets and opt.scratch_bytes > 0
    ours, oracle = HostModel(opt), TflmModel(tflite)
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        x = rng.integers(-128, 128, size=opt.input.shape, dtype=np.int8)
        a, b = ours.run(x), oracle.run(x).reshape(opt.output.shape)
        assert np.array_equal(a, b), f"{int((a != b).sum())} elements differ"


def test_stack_scratch_bit_exact() -> None:
    """The kernels' fallback: scratch on the stack (no arena scratch), CONV_2D+ADD included."""
    tflite = _keras_tflite(_model_residual, (9, 7, 3), seed=3)
    assert_stack_scratch_bit_exact(tflite, "tfc_conv2d_add_s8", samples=4, seed=5)


@pytest.mark.emulated
def test_optimised_on_qemu_matches_tflm(mlperf_models, tmp_path) -> None:
    """The DSP build (assembly paths) on QEMU mps2-an500 (Cortex-M7): outputs identical to TFLM on
    KWS, AD and on the odd/clamped/dense test models, and far fewer instructions than the reference."""
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")

    bench = instructions_benchmark()
    from tfcompress.boards import load_board

    board = load_board("mps2-an500")
    for name, (build, shape) in MODELS.items():
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(_keras_tflite(build, shape, seed=3))
        r = bench.measure(name, "optimized", board, opt="-O2", runs=1, layers=False, keep=None, path=path)
        assert r["mismatches"] == 0, name
    counts = {}
    for kernels in ("reference", "optimized"):
        r = bench.measure("kws", kernels, board, opt="-O2", runs=1, layers=False, keep=None)
        assert r["mismatches"] == 0
        counts[kernels] = r["instructions"]
    assert counts["optimized"] < 0.25 * counts["reference"]
    r = bench.measure("ad", "optimized", board, opt="-O2", runs=1, layers=False, keep=None)  # shared rq
    assert r["mismatches"] == 0
