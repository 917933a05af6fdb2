"""The fused CONV_2D+ADD with an activation clamp after the ADD (tfc_add4c_asm, engine/optimized/
tfc_add_opt.h): a ReLU'd residual sum that a CONCATENATION shares its quantisation with a signed
tensor, so its zero point is above -128 and the ReLU is a real clamp (act_min > -128)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import instructions_benchmark
from helpers.keras_models import keras_tflite

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.tflm import TflmModel


def _model(L, x):
    """7x5x8 input (35 pixels: triples, then a pair): CONV_2D+ADD with 8 and 12 outputs (whole and
    partial quads per triple), each ReLU'd and concatenated with a signed tensor."""
    outs = []
    for c in (8, 12):
        a = L.Conv2D(c, 3, padding="same")(x)
        r = L.ReLU()(L.Add()([L.Conv2D(c, 1)(a), a]))
        outs.append(L.Concatenate()([r, L.Conv2D(4, 1)(x)]))
    return L.Dense(5)(L.Flatten()(L.Concatenate()(outs)))


@functools.cache
def _tflite() -> bytes:
    return keras_tflite(_model, (7, 5, 8), seed=4)


def _clamped_adds(m) -> list[dict]:
    """The fused ADDs' fields whose ReLU clamps and which take the assembly (fast tables)."""
    return [f for lo in m.lowered for _s, _n, f in lo.extra_structs
            if "tables" in f and f["act_min"] > -128 and f["tables_fast"] and f["out_mult"] >= 0
            and -f["out_shift"] <= 22]


def test_add_clamp_bit_exact() -> None:
    """The model has clamped fused ADDs on the assembly's terms; host build == TFLM."""
    tflite = _tflite()
    m = compile_tflite(tflite, kernels="optimized")
    assert len(_clamped_adds(m)) == 2
    ours, oracle = HostModel(m), TflmModel(tflite)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.integers(-128, 128, size=m.input.shape, dtype=np.int8)
        a, c = ours.run(x), oracle.run(x).reshape(m.output.shape)
        assert np.array_equal(a, c), f"{int((a != c).sum())} elements differ"


@pytest.mark.emulated
def test_add_clamp_on_qemu(tmp_path) -> None:
    """tfc_add4c_asm (triples and pairs of the dense conv) on QEMU mps2-an500 == TFLM."""
    bench = instructions_benchmark()
    from tfcompress.boards import load_board

    path = tmp_path / "addc.tflite"
    path.write_bytes(_tflite())
    r = bench.measure("addc", "optimized", load_board("mps2-an500"), opt="-O2", runs=1, layers=False, keep=None,
                      path=path)
    assert r["mismatches"] == 0
