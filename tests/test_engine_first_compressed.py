"""Compressed first layers (1-3 input channels) on the optimised first-layer kernel
(optimized/conv2d_s8_first_opt.c tfc_conv2d_s8_first_w4 / _sp, host: optimized/first.py
prepare_compressed): weights decoded once per inference through the tap table, bit-exact with TFLM;
the "size" preference keeps them on the decoding kernel."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import to_int8_tflite

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.optimized import first
from tfcompress.engine.planner import plan_arena


def _first_conv_model(shape: tuple[int, int, int], out_c: int, strides: int, weights, act2: str | None,
                      seed: int) -> bytes:
    """Input ``shape`` -> Conv2D(out_c, 3, strides, same, relu) -> Conv2D(8, 3, same, act2) (a
    decoding conv, pixel triples: clamped or not) -> a small head; conv weights ``weights(w, rng)``."""
    from tfcompress.tfenv import keras

    K = keras()
    L = K.layers
    rng = np.random.default_rng(seed)
    inp = K.Input(shape)
    convs = [L.Conv2D(out_c, 3, strides=strides, padding="same", activation="relu"),
             L.Conv2D(8, 3, padding="same", activation=act2)]
    x = convs[1](convs[0](inp))
    model = K.Model(inp, L.Dense(3)(L.Flatten()(x)))
    for conv in convs:
        w, b = conv.get_weights()
        conv.set_weights([weights(w, rng), rng.uniform(-0.2, 0.2, b.shape).astype(np.float32)])
    return to_int8_tflite(model, seed=seed)


def _clustered(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """At most 8 distinct values per output channel (4-bit storage), none zero."""
    return (rng.integers(-4, 4, size=w.shape) + 0.5).astype(np.float32) * 0.1


def _pruned(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """About three quarters zero (sparse storage); the centre taps kept (no all-zero channel: the
    first-layer kernel does not take those)."""
    keep = rng.random(w.shape) < 0.25
    keep[1, 1] = True
    return (rng.choice([-1.0, 1.0], size=w.shape) * rng.uniform(0.3, 1, size=w.shape) * keep).astype(np.float32)


@pytest.fixture(scope="module")
def rgb_w4() -> bytes:
    # 3x3x3 (paired rows), 81 pixels: a lone last one; the second conv decodes through pair tables (kp 288)
    return _first_conv_model((9, 9, 3), 32, 1, _clustered, None, 3)


@pytest.fixture(scope="module")
def gray_sp() -> bytes:
    return _first_conv_model((13, 11, 1), 4, 2, _pruned, "relu", 4)  # one channel, stride 2, windows off the edges


@pytest.mark.parametrize("fixture, kernel", [("rgb_w4", "tfc_conv2d_s8_first_w4"),
                                             ("gray_sp", "tfc_conv2d_s8_first_sp")])
@pytest.mark.usefixtures("smallest_storage")  # gray_sp's 4->8 conv decodes 1.8x slower than int8 (measured)
def test_compressed_first_layer_bit_exact(fixture: str, kernel: str, request: pytest.FixtureRequest) -> None:
    """The first conv keeps its compressed weights on the first-layer kernel (tap table after the rq
    blocks), identical to TFLM with its scratch in the arena and on the stack."""
    tflite = request.getfixturevalue(fixture)
    model = compile_tflite(tflite, kernels="optimized", compress_weights=True)
    lo = model.lowered[0]
    assert [x.kernel for x in model.lowered[:2]] == [kernel, kernel.replace("_first_", "_dec_")]
    f = lo.fields
    taps = lo.array("rq").data[4 + 4 * f["out_c"]:]
    assert np.array_equal(taps, first.tap_table(f)) and len(taps) == first.steps(f)
    assert lo.scratch == first.scratch(lo) > 4 * f["out_c"] * first.steps(f)
    assert_matches_tflm(model, tflite, samples=4)
    model.plan = plan_arena(model.graph, model.lowered)  # no arena scratch: the kernels' stack buffers
    assert not model.plan.scratch_offsets
    assert_matches_tflm(model, tflite, samples=1)


def test_pair_table_decoding_bit_exact(rgb_w4: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """4-bit pair codes of at least DEC_LUT_MIN_K positions: byte-per-position indices through the
    pair table, in small blocks (whole-layer blocks: the tests above)."""
    from tfcompress.engine import weight_policy
    from tfcompress.engine.kernel_limits import DEC_LUT_MIN_K, RQ_PAIR
    from tfcompress.engine.optimized import decoded

    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", weight_policy.Preference({}, None))
    monkeypatch.setattr(decoded, "BLOCK_BUDGET", 1200)
    model = compile_tflite(rgb_w4, kernels="optimized", compress_weights=True)
    lo = model.lowered[1]
    f = lo.fields
    kp = (9 * f["in_c"] + 3) // 4 * 4
    assert lo.kernel == "tfc_conv2d_s8_dec_w4" and int(f["rq"].data[0]) & RQ_PAIR and kp >= DEC_LUT_MIN_K
    assert int(f["rq"].data[1]) < f["out_c"]
    assert_matches_tflm(model, rgb_w4, samples=2)


def test_size_preference_keeps_the_decoding_kernel(rgb_w4: bytes) -> None:
    model = compile_tflite(rgb_w4, kernels="optimized", compress_weights=True, optimize="size")
    assert model.lowered[0].kernel == "tfc_conv2d_s8_dec_w4"
    assert_matches_tflm(model, rgb_w4, samples=2)


def test_tap_table_3x3x3() -> None:
    """Per window word the two taps (K = 27: a zero weight); the rows' last taps share words."""
    t = first.tap_table(dict(k_h=3, k_w=3, in_c=3))
    pairs = [(int(v) & 0xFFFF, int(v) >> 16) for v in t]
    assert pairs[:4] == [(0, 2), (1, 3), (4, 6), (5, 7)]
    assert pairs[8] == (8, 17) and pairs[-1] == (26, 27) and len(pairs) == 14


@pytest.mark.toolchain
@pytest.mark.parametrize("board, opt", [("mps2-an500", "-O2"),
                                        pytest.param("netduinoplus2", "-Os", marks=pytest.mark.slow),
                                        pytest.param("mps2-an500", "-Os", marks=pytest.mark.slow),
                                        pytest.param("netduinoplus2", "-O2", marks=pytest.mark.slow)])
@pytest.mark.usefixtures("smallest_storage")  # the decoding convs even where balanced would run int8
def test_first_and_triples_on_qemu(rgb_w4: bytes, gray_sp: bytes, tmp_path, board: str, opt: str) -> None:
    """The assembly: the first-layer kernel on decoded weights, the decoding convs' pixel-triple
    routine on layers with and without an activation (Cortex-M7 and Cortex-M4)."""
    _on_qemu([rgb_w4, gray_sp], tmp_path, board, opt)


def _on_qemu(models: list[bytes], tmp_path, board: str, opt: str) -> None:
    from conftest import instructions_benchmark

    from tfcompress.boards import load_board
    from tfcompress.engine.kernel_limits import RQ_PAIR

    bench = instructions_benchmark()
    for k, tflite in enumerate(models):
        dec = compile_tflite(tflite, kernels="optimized", compress_weights=True).lowered[1]
        assert int(dec.fields["rq"].data[0]) & RQ_PAIR  # the pair-code (pixel-triple) path
        path = tmp_path / f"m{k}.tflite"
        path.write_bytes(tflite)
        r = bench.measure(f"m{k}", "optimized", load_board(board), opt=opt, runs=1, layers=False, keep=None,
                          path=path, compress_weights=True)
        assert r["mismatches"] == 0, (board, opt, k)
