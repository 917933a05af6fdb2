"""Optimised (Cortex-M4/M7 DSP) kernels: bit-exact with the reference kernels and TFLM.

On the host the optimised C compiles with its portable fallbacks (same algorithm, same data
layout); the emulated test runs the DSP build on QEMU through the benchmark firmware.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import instructions_benchmark, require_tool
from helpers.engine_checks import (
    assert_fused_add_tables_in_flash,
    assert_stack_scratch_bit_exact,
    same_everywhere,
)
from helpers.keras_models import MODELS, keras_tflite, model_dense, model_odd, model_residual

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.fixedpoint import mbqm
from tfcompress.engine.kernelsets import for_core


@pytest.mark.parametrize("name", ["ad_autoencoder", "kws_dscnn", "ic_resnet8", "vww_mobilenet"])
def test_mlperf_models_bit_exact(mlperf_models, name: str) -> None:
    same_everywhere(str(mlperf_models / f"{name}_int8.tflite"), samples=3)


@pytest.mark.parametrize("build,shape", list(MODELS.values()), ids=list(MODELS))
def test_keras_models_bit_exact(build, shape) -> None:
    same_everywhere(keras_tflite(build, shape, seed=3), samples=6, seed=1)


def test_reference_requantisation_path(mlperf_models, monkeypatch) -> None:
    """Layers where SMMULR is not provably exact use TFLM's arithmetic: force that path everywhere."""
    from tfcompress.engine.optimized import requant

    monkeypatch.setattr(requant, "RQ_FAST", 0)
    same_everywhere(str(mlperf_models / "kws_dscnn_int8.tflite"), samples=2)
    same_everywhere(keras_tflite(model_odd, (11, 9, 3), seed=3), samples=3, seed=2)


def test_fully_connected_plain_layout(mlperf_models, monkeypatch) -> None:
    """FULLY_CONNECTED layers whose weights do not allow pair codes use the plain byte layout."""
    from tfcompress.engine.optimized import fully_connected

    monkeypatch.setattr(fully_connected, "pairs_ok", lambda w: False)
    same_everywhere(str(mlperf_models / "ad_autoencoder_int8.tflite"), samples=2)
    same_everywhere(keras_tflite(model_dense, (4, 4, 5), seed=4), samples=3, seed=2)


def test_fully_connected_pair_codes() -> None:
    """Pair codes h = 256 a + b: SMLAD of the raw word gives 256 dot(a) + dot(b), SXTB16 of it the
    b bytes, so dot(a) = (S - L) >> 8; fc_pairs_ok refuses the weights where that is not exact."""
    from tfcompress.engine.optimized.fully_connected import pair_words as _fc_pair_words
    from tfcompress.engine.optimized.fully_connected import pairs_ok as fc_pairs_ok

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
    """fixedpoint.mbqm (used to fold dead channels into the rq table) is TFLM's MultiplyByQuantizedMultiplier."""
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
    from tfcompress.boards import list_boards, load_board
    from tfcompress.engine import compiler, kernelsets

    assert set(compiler.KERNEL_SET_IMPLEMENTATIONS) == set(kernelsets.names())  # every name has kernels
    assert for_core("optimized", dsp=True) == "optimized"
    assert for_core("optimized", dsp=False) == "reference"
    assert for_core("reference", dsp=True) == "reference"
    for name in list_boards():  # the board data decides, not the core's name
        board = load_board(name)
        assert for_core("optimized", board.dsp) == ("optimized" if board.dsp else "reference")
    m = compile_tflite(mlperf_models / "kws_dscnn_int8.tflite", kernels="optimized")
    assert 0 < max(lo.scratch for lo in m.lowered) <= 2048
    assert max(lo.scratch for lo in compile_tflite(mlperf_models / "kws_dscnn_int8.tflite").lowered) == 0


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


def test_stack_scratch_bit_exact() -> None:
    """The kernels' fallback: scratch on the stack (no arena scratch), CONV_2D+ADD included."""
    tflite = keras_tflite(model_residual, (9, 7, 3), seed=3)
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
        path.write_bytes(keras_tflite(build, shape, seed=3))
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
