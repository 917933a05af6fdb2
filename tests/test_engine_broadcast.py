"""Element-wise ADD/MUL with broadcasting (the non-dense walk of the binary kernels) bit-exact with TFLM."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.keras_models import to_int8_tflite, to_int16x8_tflite

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.tfenv import keras, set_seed
from tfcompress.tflm import TflmModel


def _broadcast_model(with_mul: bool):
    """x + rows (6x1xC, broadcast along W) and, optionally, x * gate (1x1xC, squeeze-excite-like)."""
    set_seed(3)
    L = keras().layers
    x_in = L.Input((6, 5, 4))
    x = L.Conv2D(4, 3, padding="same")(x_in)
    if with_mul:  # int8 only: the engine has no int16 pooling
        gate = L.Conv2D(4, 1)(L.AveragePooling2D((6, 5))(x))
        x = L.Multiply()([x, gate])
    rows = L.Conv2D(4, (1, 5))(x)
    x = L.Add()([x, rows])
    return keras().Model(x_in, x)


@pytest.mark.parametrize("kernels", ["reference", "optimized"])
@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_broadcasting_add_mul_bit_exact(kernels: str, dtype: str) -> None:
    model = _broadcast_model(with_mul=dtype == "int8")
    tflite = to_int8_tflite(model) if dtype == "int8" else to_int16x8_tflite(model)
    compiled = compile_tflite(tflite, kernels=kernels)
    ops = {op["op"] for op in compiled.info()["ops"]}
    assert "ADD" in ops and ("MUL" in ops) == (dtype == "int8")
    ours, ref = HostModel(compiled), TflmModel(tflite)
    rng = np.random.default_rng(0)
    info = np.iinfo(np.int8 if dtype == "int8" else np.int16)
    for _ in range(6):
        x = rng.integers(info.min, info.max + 1, size=compiled.input.shape).astype(info.dtype)
        a, b = ours.run(x), ref.run(x)
        assert np.array_equal(a, b.reshape(a.shape)), f"{int((a != b.reshape(a.shape)).sum())} elements differ"
