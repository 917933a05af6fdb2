"""Fast compressed convolutions of the optimised set (optimized/conv2d_s8_dec_opt.c): 4-bit, sparse
and 2:4 CONV_2D (+ADD) decoded per channel block, the weight policy, the 2:4 format."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import to_int8_tflite

from tfcompress.engine import optimize as optimize_pref
from tfcompress.engine import weight_policy, weights_24
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.kernel_limits import RQ_PAIR
from tfcompress.engine.optimized import decoded
from tfcompress.errors import TfcError


def _two_of_four(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``w`` (HWIO or IO) with two of every four consecutive inputs zeroed (random positions), the
    others +-(0.5..1) (none quantises to zero)."""
    w = rng.choice([-1.0, 1.0], size=w.shape) * rng.uniform(0.5, 1.0, size=w.shape)
    axis = 0 if w.ndim == 2 else 2
    m = np.moveaxis(w, axis, -1)
    g = m.reshape(*m.shape[:-1], -1, 4).copy()
    keep = np.argsort(rng.random(g.shape), axis=-1)[..., :2]
    mask = np.zeros(g.shape, bool)
    np.put_along_axis(mask, keep, True, axis=-1)
    return np.moveaxis((g * mask).reshape(m.shape), -1, axis)


@pytest.fixture(scope="module")
def structured_tflite() -> bytes:
    """Every conv path of the decoding kernels (word / byte windows, pointwise, fused ADD, odd channel
    counts), weights 2:4 along the inputs where in_c is a multiple of four."""
    from tfcompress.tfenv import keras

    K = keras()
    L = K.layers
    rng = np.random.default_rng(7)
    inp = K.Input((7, 11, 4))  # 77 pixels: the pixel-triple loops end on two
    a = L.Conv2D(8, 3, padding="same", activation="relu")
    x = a(inp)
    b = L.Conv2D(8, 3, padding="same")
    x = L.Add()([x, b(x)])
    c = L.Conv2D(5, 1, activation="relu6")                      # pointwise, odd channel count
    y = c(x)
    d = L.Conv2D(12, 3, strides=2, padding="valid")             # in_c 5: byte windows (sparse, not 2:4)
    y = d(y)
    model = K.Model(inp, L.Dense(3)(L.Flatten()(y)))
    for layer in (a, b, c, d):
        w, bias = layer.get_weights()
        w = _two_of_four(w, rng) if w.shape[2] % 4 == 0 else w * (rng.random(w.shape) < 0.5)
        layer.set_weights([w, bias])
    return to_int8_tflite(model, seed=8)


def test_2of4_chosen_and_bit_exact(structured_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """2:4 and sparse convs in whole-layer blocks (no RAM fitting) vs TFLM."""
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", weight_policy.Preference({}, None))
    model = compile_tflite(structured_tflite, kernels="optimized", compress_weights=True)
    kinds = [lo.kernel for lo in model.lowered]
    assert "tfc_conv2d_s8_dec_2of4" in kinds and "tfc_conv2d_add_s8_dec_2of4" in kinds, kinds
    assert "tfc_conv2d_s8_dec_sp" in kinds, kinds  # the byte-window layer: unstructured
    assert all(int(lo.fields["rq"].data[1]) >= lo.fields["out_c"] for lo in model.lowered if "_dec_" in lo.kernel)
    assert model.info()["compressed_layers"] >= 4
    ref = compile_tflite(structured_tflite, kernels="reference", compress_weights=True)
    assert not any(k.endswith("_2of4") for k in (lo.kernel for lo in ref.lowered))  # only the optimised set has it
    assert_matches_tflm(model, structured_tflite)


def test_2of4_round_trip(structured_tflite: bytes) -> None:
    from tfcompress.engine.weights import rows

    plain = compile_tflite(structured_tflite)
    seen = 0
    for lo in plain.lowered:
        enc = weights_24.encode(lo)
        if enc is None:
            continue
        seen += 1
        new = weights_24.op_2of4(lo, enc)
        assert np.array_equal(weights_24.decode(new), rows(lo))
        k = rows(lo).shape[1]
        assert enc.nbytes == lo.fields["out_c"] * (k // 2 + (k // 4 + 1) // 2)
    assert seen == 3
    dense = rows(plain.lowered[0]).copy()
    assert (np.count_nonzero(dense.reshape(dense.shape[0], -1, 4), axis=2) <= 2).all()


def test_small_blocks_bit_exact(structured_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many small channel blocks (windows rebuilt per block, input overlap dropped): sparse, plain and
    fused ADD, identical to TFLM (whole-layer blocks: test_2of4_chosen_and_bit_exact)."""
    monkeypatch.setattr(decoded, "BLOCK_BUDGET", 64)
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", weight_policy.Preference({}, None))  # blocks as budgeted
    model = compile_tflite(structured_tflite, kernels="optimized", compress_weights=True)
    dec = [lo for lo in model.lowered if "_dec_" in lo.kernel]
    assert len(dec) == 4 and all(int(lo.fields["rq"].data[1]) < lo.fields["out_c"] for lo in dec)
    assert all(lo.kernel.endswith("_dec_sp") for lo in dec)  # 2:4 needs a whole-layer block to pay
    pc = [lo for lo in dec if int(lo.fields["rq"].data[0]) & RQ_PAIR]  # pair codes: even channel counts
    assert {lo.fields["out_c"] for lo in pc} == {8, 12}, [lo.fields["out_c"] for lo in pc]
    assert all(lo.scratch == decoded.scratch(lo) for lo in dec)
    assert_matches_tflm(model, structured_tflite)


def test_block_channels_balanced() -> None:
    """Blocks of equal size (even), twice the channels per budget as pair codes."""
    assert decoded.block_channels(32, 288, 8192) == 12  # at most 14 (int16): 12 + 12 + 8, not 14 + 14 + 4
    assert decoded.block_channels(32, 288, 8192, pair_codes=True) == 16  # at most 28: 16 + 16
    assert decoded.block_channels(64, 576, 16384, pair_codes=True) == 22  # at most 28: 22 + 22 + 20
    assert decoded.block_channels(16, 144, 16384) == 16
    assert decoded.block_channels(7, 4000, 64) == 2


def test_policy_rows_and_errors(structured_tflite: bytes) -> None:
    """The preferences are data: "speed" keeps the slow compressed layers (FULLY_CONNECTED here) int8."""
    size = compile_tflite(structured_tflite, kernels="optimized", compress_weights=True, optimize="size")
    speed = compile_tflite(structured_tflite, kernels="optimized", compress_weights=True, optimize="speed")
    fc = [lo.kernel for lo in size.lowered if lo.kernel.startswith("tfc_fully")]
    assert fc == ["tfc_fully_connected_s8"] or fc[0].endswith(("_sp", "_w4"))
    assert [lo.kernel for lo in speed.lowered if lo.kernel.startswith("tfc_fully")] == ["tfc_fully_connected_s8"]
    assert speed.weights_bytes >= size.weights_bytes
    with pytest.raises(TfcError, match="optimize must be one of speed, balanced, size, got 'fastest'"):
        compile_tflite(structured_tflite, kernels="optimized", compress_weights=True, optimize="fastest")
    assert set(weight_policy.PREFERENCES) == set(optimize_pref.CHOICES)
    with weight_policy.active("balanced", "optimized"):  # the default: smallest exact storage
        assert weight_policy.allowed("tfc_conv2d_s8", "w4")
        assert weight_policy.allowed("tfc_fully_connected_s8", "w4")
    with weight_policy.active("speed", "optimized"):  # only storage not slower than int8
        assert not weight_policy.allowed("tfc_conv2d_s8", "w4")
        assert weight_policy.allowed("tfc_conv2d_s8", "2of4")
    with weight_policy.active("balanced", "reference"):
        assert not weight_policy.allowed("tfc_conv2d_s8", "2of4")


@pytest.mark.slow
@pytest.mark.usefixtures("smallest_storage")
def test_decoding_convs_on_qemu(structured_tflite: bytes, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The assembly paths (2:4 and sparse, whole and small blocks) on Cortex-M7 and Cortex-M4."""
    from conftest import instructions_benchmark, require_tool

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    bench = instructions_benchmark()
    from tfcompress.boards import load_board

    path = tmp_path / "structured.tflite"
    path.write_bytes(structured_tflite)
    for board in ("mps2-an500", "netduinoplus2"):
        for budget in (64, 100_000):
            monkeypatch.setattr(decoded, "BLOCK_BUDGET", budget)
            r = bench.measure("structured", "optimized", load_board(board), opt="-O2", runs=1, layers=False,
                              keep=None, path=path, compress_weights=True)
            assert r["mismatches"] == 0, (board, budget)


def test_benchmark_matches_banded_rows() -> None:
    """benchmarks/compressed_speed.py sums the rows of ops one build bands (or fuses) and the other
    runs apart, so every TFLite op is compared once."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "compressed_speed.py"
    spec = importlib.util.spec_from_file_location("compressed_speed", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    dense = [{0}, {1, 2, 3}, {4}, {5, 6}]      # ops 1..3 banded (conv, conv + fused ADD)
    comp = [{0}, {1}, {2, 3}, {4}, {5, 6}]
    assert mod._groups(dense, comp) == [([0], [0]), ([1], [1, 2]), ([2], [3]), ([3], [4])]
    assert mod._groups(comp, dense) == [([0], [0]), ([1, 2], [1]), ([3], [2]), ([4], [3])]


def test_min_saving_keeps_tiny_layers_int8(structured_tflite: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """A preference's min_saving keeps int8 where compressed storage would save fewer bytes."""
    plain = compile_tflite(structured_tflite, kernels="optimized")
    # only min_saving differs from balanced (its RAM slack also picks the layouts: engine/layouts.py)
    strict = dataclasses.replace(weight_policy.PREFERENCES["balanced"], min_saving=10**6)
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", strict)
    model = compile_tflite(structured_tflite, kernels="optimized", compress_weights=True)
    assert model.info()["compressed_layers"] == 0 and model.weights_bytes == plain.weights_bytes
    assert weight_policy.PREFERENCES["size"].min_saving == 0  # "size" takes every saving


def test_balanced_takes_every_saving() -> None:
    """So does "balanced" (weight_policy.PREFERENCES): an int8 layer among decoding ones costs the
    dense kernels' code, KBs at -O2, more than the bytes a tiny layer's compression saves."""
    assert weight_policy.PREFERENCES["balanced"].min_saving == 0
