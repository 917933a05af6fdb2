"""Property tests: random small tf_keras models, int8-converted, engine vs TFLM bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.keras_models import PHASES, build_keras, to_int8_tflite, to_int16x8_tflite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.tflm import TflmModel

LAYERS = ["conv", "dwconv", "maxpool", "avgpool", "add", "mul_branch", "relu", "relu6", "leaky", "sigmoid",
          "tanh", "pad", "concat", "hswish"]


@st.composite
def model_specs(draw: st.DrawFn, layers: list[str] = LAYERS) -> dict:
    """A random network: input shape, a few layers with random hyper-parameters, a head."""
    h = draw(st.integers(3, 12))
    w = draw(st.integers(3, 12))
    c = draw(st.integers(1, 6))
    body = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(layers))
        stride = draw(st.integers(1, 2))
        body.append(dict(
            kind=kind,
            filters=draw(st.integers(1, 12)),
            k=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
            stride=stride,
            dilation=draw(st.integers(1, 2)) if stride == 1 else 1,
            padding=draw(st.sampled_from(["same", "valid"])),
            act=draw(st.sampled_from([None, "relu", "relu6"])),
            depth_multiplier=draw(st.integers(1, 2)),
            pool=draw(st.integers(2, 3)),
        ))
    head = draw(st.sampled_from(["dense_softmax", "dense", "none", "gap_dense", "gmean", "gmean_keep"]))
    return dict(shape=(h, w, c), body=body, head=head, units=draw(st.integers(1, 10)),
                seed=draw(st.integers(0, 2**16)))


def assert_bit_exact(tflite: bytes, samples: int = 8, seed: int = 0) -> None:
    """Engine output == TFLM output on random int8 inputs (0 differing elements)."""
    m = compile_tflite(tflite)
    ours, ref = HostModel(m), TflmModel(tflite)
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        x = rng.integers(-128, 128, size=m.input.shape, dtype=np.int8)
        a, b = ours.run(x), ref.run(x)
        assert np.array_equal(a, b.reshape(a.shape)), f"{int((a != b.reshape(a.shape)).sum())} elements differ"


def _check(spec: dict) -> None:
    tflite = to_int8_tflite(build_keras(spec), seed=spec["seed"])
    assert_bit_exact(tflite, seed=spec["seed"])


@settings(max_examples=12, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck), phases=PHASES)
@given(model_specs())
def test_random_keras_models_bit_exact(spec: dict) -> None:
    _check(spec)


@pytest.mark.slow
@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck), phases=PHASES)
@given(model_specs())
def test_random_keras_models_bit_exact_many(spec: dict) -> None:
    _check(spec)


def test_float_io_quantize_dequantize_bit_exact() -> None:
    """A float-in/float-out model (QUANTIZE ... DEQUANTIZE around the int8 graph)."""
    from tfcompress.engine.validate import random_inputs

    spec = dict(shape=(6, 5, 3), body=[dict(kind="conv", filters=4, k=(3, 3), stride=1, dilation=1,
                                            padding="same", act="relu", depth_multiplier=1, pool=2)],
                head="dense_softmax", units=5, seed=7)
    tflite = to_int8_tflite(build_keras(spec), int8_io=False)
    m = compile_tflite(tflite)
    assert m.input.dtype == "float32" and m.output.dtype == "float32"
    assert "#define TFC_INPUT0_DTYPE 3" in m.sources()[1]
    ours, ref = HostModel(m), TflmModel(tflite)
    for (x,) in random_inputs(m, 10, seed=1):
        a, b = ours.run(x), ref.run(x)
        assert np.array_equal(a, b.reshape(a.shape))


def assert_bit_exact_16(tflite: bytes, samples: int = 8, seed: int = 0) -> None:
    """Engine == TFLM on random int16 inputs."""
    m = compile_tflite(tflite)
    assert m.input.dtype == "int16"
    ours, ref = HostModel(m), TflmModel(tflite)
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        x = rng.integers(-32768, 32768, size=m.input.shape, dtype=np.int16)
        a, b = ours.run(x), ref.run(x)
        assert np.array_equal(a, b.reshape(a.shape)), f"{int((a != b.reshape(a.shape)).sum())} elements differ"


@settings(max_examples=4, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck), phases=PHASES)
@given(model_specs(layers=["conv", "add"]))
def test_random_int16x8_models_bit_exact(spec: dict) -> None:
    spec = dict(spec, head="dense" if spec["head"] != "none" else "none")
    _check16(spec)


def _check16(spec: dict) -> None:
    assert_bit_exact_16(to_int16x8_tflite(build_keras(spec), seed=spec["seed"]), seed=spec["seed"])


@pytest.mark.slow
@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck), phases=PHASES)
@given(model_specs(layers=["conv", "add"]))
def test_random_int16x8_models_bit_exact_many(spec: dict) -> None:
    _check16(dict(spec, head="dense" if spec["head"] != "none" else "none"))
