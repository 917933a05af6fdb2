"""Optimised DEPTHWISE_CONV_2D with 4-bit / sparse weights: planar 3x3 layers keep their compressed
weights in flash and decode each group of four channels into the planar pairs at run time
(tfc_depthwise_conv2d_s8_planar_w4 / _sp), bit-exact with TFLM on the host and on QEMU.

Stride 1 and 2, rows of 4n+3, five and six outputs (both assembly routines and their tails),
12 and 8 channels (several groups: the sparse value cursor carries across groups), a band buffer
refilled several times, and a layer whose weights stay dense beside compressed ones.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers.engine_checks import assert_matches_tflm
from helpers.keras_models import keras_tflite

from tfcompress.engine import compressed_weights, weight_policy
from tfcompress.engine.compiler import compile_tflite


def _force_w4(monkeypatch: pytest.MonkeyPatch) -> None:
    """4-bit storage for every eligible layer (a 3x3 depthwise layer rarely saves flash with it:
    a codebook per channel scale); sparse layers are chosen on their own."""
    plain = compressed_weights.compress_ops
    monkeypatch.setattr(compressed_weights, "compress_ops", lambda lowered: plain(lowered, force=True))


def _any_saving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sparse storage however few bytes it saves: these small test layers save less than the
    balanced preference's ``min_saving`` if it had one, which would keep them int8."""
    balanced = weight_policy.PREFERENCES["balanced"]
    monkeypatch.setitem(weight_policy.PREFERENCES, "balanced", dataclasses.replace(balanced, min_saving=0))

#: name -> (input h, w, c), [(stride, padding)] of chained 3x3 depthwise layers
SHAPES = {
    "rows": ((30, 11, 12), [(1, "same"), (2, "same"), (1, "valid")]),  # out widths 11, 6, 4
    "narrow": ((9, 10, 8), [(2, "same"), (1, "same"), (1, "valid")]),  # 5, 5, 3
}


def _init(kind: str, seed: int):
    """3x3 depthwise kernels: at most 16 values per channel ("w4"), or about 60% zeros ("sp")."""
    def init(shape, dtype=None):
        rng = np.random.default_rng(seed)
        if kind == "w4":
            values = rng.normal(0, 0.5, size=(12,))
            w = rng.choice(values, size=shape)
        else:
            w = rng.normal(0, 0.5, size=shape) * (rng.random(shape) < 0.4)
            w[1, 1] = 0.7  # no all-zero channel
        return w.astype(np.float32)
    return init


def _tflite(shape_name: str, kind: str) -> bytes:
    shape, layers = SHAPES[shape_name]

    def build(L, x):
        for i, (stride, padding) in enumerate(layers):
            x = L.DepthwiseConv2D(3, strides=stride, padding=padding, activation="relu6" if i % 2 else None,
                                  depthwise_initializer=_init(kind, 11 + i), bias_initializer="random_normal")(x)
        return x
    return keras_tflite(build, shape, seed=3)


@pytest.mark.parametrize("kind", ["w4", "sp"])
@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.usefixtures("smallest_storage")
def test_compressed_planar_depthwise_bit_exact(shape_name: str, kind: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if kind == "w4":
        _force_w4(monkeypatch)
    _any_saving(monkeypatch)
    tflite = _tflite(shape_name, kind)
    model = compile_tflite(tflite, kernels="optimized", compress_weights=True)
    kernels = [lo.kernel for lo in model.lowered]
    assert kernels.count(f"tfc_depthwise_conv2d_s8_planar_{kind}") >= 2, kernels
    assert_matches_tflm(model, tflite, samples=3)


@pytest.mark.slow
@pytest.mark.emulated
@pytest.mark.usefixtures("smallest_storage")
def test_compressed_planar_depthwise_on_qemu(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The assembly strips with decoded weights, Cortex-M7 and Cortex-M4: identical to TFLM."""
    from conftest import instructions_benchmark, require_tool

    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    require_tool("qemu-system-arm", "qemu-system-arm")
    from tfcompress.boards import load_board

    bench = instructions_benchmark()
    _any_saving(monkeypatch)
    for kind in ("sp", "w4"):
        if kind == "w4":
            _force_w4(monkeypatch)
        for shape_name in SHAPES:
            path = tmp_path / f"{shape_name}_{kind}.tflite"
            path.write_bytes(_tflite(shape_name, kind))
            for board in ("mps2-an500", "netduinoplus2") if kind == "sp" else ("mps2-an500",):
                r = bench.measure(f"{shape_name}_{kind}", "optimized", load_board(board), opt="-O2", runs=1,
                                  layers=False, keep=None, path=path, compress_weights=True)
                assert r["mismatches"] == 0, (shape_name, kind, board)
