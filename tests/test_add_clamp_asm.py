"""The fused CONV_2D+ADD with an activation clamp after the ADD (tfc_add4c_asm, engine/optimized/
tfc_add_opt.h): a ReLU'd residual sum that a CONCATENATION shares its quantisation with a signed
tensor, so its zero point is above -128 and the ReLU is a real clamp (act_min > -128). Dense, and
with 2:4 weights (conv2d_s8_dec_opt.c run_24: the fused ADD, and chans24_asm's clamp and no-clamp
bodies)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import instructions_benchmark
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import to_int8_tflite

from tfcompress.engine.compiler import compile_tflite


def _model(L, x):
    """7x5x8 input (35 pixels: triples, then a pair; rows of 4 + 1): CONV_2D+ADD with 8 and 12
    outputs (whole and partial quads per triple), each ReLU'd and concatenated with a signed tensor;
    the first conv ReLU'd into a concatenation too (a clamped CONV_2D)."""
    outs = []
    for c in (8, 12):
        a = L.Conv2D(c, 3, padding="same", activation="relu")(x)
        a = L.Conv2D(c, 1)(L.Concatenate()([a, L.Conv2D(4, 1)(x)]))
        r = L.ReLU()(L.Add()([L.Conv2D(c, 1)(a), a]))
        outs.append(L.Concatenate()([r, L.Conv2D(4, 1)(x)]))
    return L.Dense(5)(L.Flatten()(L.Concatenate()(outs)))


@functools.cache
def _tflite() -> bytes:
    """_model with two of every four consecutive window positions of each CONV_2D weight non-zero
    (compiled without compress_weights: the dense kernels)."""
    from tfcompress.tfenv import keras

    K = keras()
    K.utils.set_random_seed(4)
    inp = K.Input((7, 5, 8))
    model = K.Model(inp, _model(K.layers, inp))
    rng = np.random.default_rng(4)
    for layer in model.layers:
        if isinstance(layer, K.layers.Conv2D):
            w, bias = layer.get_weights()
            flat = w.reshape(-1, w.shape[-1])
            keep = np.argsort(rng.random((flat.shape[0] // 4, 4, flat.shape[1])), axis=1)[:, :2, :]
            mask = np.zeros((flat.shape[0] // 4, 4, flat.shape[1]), bool)
            np.put_along_axis(mask, keep, True, axis=1)
            vals = rng.choice([-1.0, 1.0], size=flat.shape) * rng.uniform(0.5, 1.0, size=flat.shape)
            layer.set_weights([(vals * mask.reshape(flat.shape)).reshape(w.shape), bias])
    return to_int8_tflite(model, seed=5)


def _clamped_adds(m) -> list[dict]:
    """The fused ADDs' fields whose ReLU clamps and which take the assembly (fast tables)."""
    return [f for lo in m.lowered for _s, _n, f in lo.extra_structs
            if "tables" in f and f["act_min"] > -128 and f["tables_fast"] and f["out_mult"] >= 0
            and -f["out_shift"] <= 22]


@pytest.mark.parametrize("dec", [False, True])
def test_add_clamp_bit_exact(dec: bool) -> None:
    """The model has clamped fused ADDs on the assembly's terms (2:4: in the decoding kernel, and a
    clamped 2:4 CONV_2D); host build == TFLM."""
    tflite = _tflite()
    m = compile_tflite(tflite, kernels="optimized", compress_weights=dec)
    assert len(_clamped_adds(m)) == 2
    if dec:
        k24 = [lo for lo in m.lowered if lo.kernel.endswith("_2of4")]
        assert sum(lo.kernel.startswith("tfc_conv2d_add_") for lo in k24) == 2
        assert any(lo.fields["act_min"] > -128 for lo in k24)
    assert_matches_tflm(m, tflite, samples=3, seed=2)


def _on_qemu(tmp_path, boards: tuple[str, ...], opts: tuple[str, ...]) -> None:
    bench = instructions_benchmark()
    from tfcompress.boards import load_board

    path = tmp_path / "addc.tflite"
    path.write_bytes(_tflite())
    for board in boards:
        for opt in opts:
            for dec in (False, True):
                r = bench.measure("addc", "optimized", load_board(board), opt=opt, runs=1, layers=False,
                                  keep=None, path=path, compress_weights=dec)
                assert r["mismatches"] == 0, (board, opt, dec)


@pytest.mark.emulated
def test_add_clamp_on_qemu(tmp_path) -> None:
    """tfc_add4c_asm (triples and pairs of the dense conv, the 2:4 kernel's fused ADD) and
    chans24_asm's clamp on QEMU mps2-an500 at -O2 == TFLM."""
    _on_qemu(tmp_path, ("mps2-an500",), ("-O2",))


@pytest.mark.slow
@pytest.mark.emulated
def test_add_clamp_on_qemu_everywhere(tmp_path) -> None:
    """Both boards, -O2 and -Os."""
    _on_qemu(tmp_path, ("mps2-an500", "netduinoplus2"), ("-O2", "-Os"))
