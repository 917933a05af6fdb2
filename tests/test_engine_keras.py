"""Property tests: random small tf_keras models, int8-converted, engine vs TFLM bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tfcompress.engine import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.tflm import TflmModel

#: no shrinking: each example converts a model (seconds); the failing spec is printed as is
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
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


def _fits(x_shape: tuple, k: tuple, dilation: int, padding: str) -> bool:
    eff = [(kk - 1) * dilation + 1 for kk in k]
    return padding == "same" or (x_shape[1] >= eff[0] and x_shape[2] >= eff[1])


def _dilated_layer(K, T, filters: int, k: tuple, d: int, padding: str, act, depthwise: bool, init, binit):
    """Dilated (depthwise) conv through the raw TF op, so the converter emits one dilated kernel
    (tf_keras' dilated layers become SPACE_TO_BATCH_ND + conv + BATCH_TO_SPACE_ND)."""

    class DilatedConv(K.layers.Layer):
        def build(self, s):
            c = s[-1]
            self.w = self.add_weight("w", (*k, c, filters), initializer=init)
            self.b = self.add_weight("b", (c * filters if depthwise else filters,), initializer=binit)

        def call(self, x):
            if depthwise:
                y = T.raw_ops.DepthwiseConv2dNative(input=x, filter=self.w, strides=[1, 1, 1, 1],
                                                    padding=padding.upper(), dilations=[1, d, d, 1])
            else:
                y = T.nn.conv2d(x, self.w, 1, padding.upper(), dilations=d)
            y = T.nn.bias_add(y, self.b)
            if act == "relu":
                y = T.nn.relu(y)
            elif act == "relu6":
                y = T.nn.relu6(y)
            return y

    return DilatedConv()


def build_keras(spec: dict):
    """Build the tf_keras model described by ``spec`` (random, non-trivial weights and biases)."""
    from tfcompress.tfenv import keras, tf

    K, T = keras(), tf()
    L = K.layers
    init = K.initializers.RandomNormal(stddev=0.3, seed=spec["seed"])
    binit = K.initializers.RandomUniform(-0.5, 0.5, seed=spec["seed"] + 1)
    inp = K.Input(spec["shape"])
    x = inp
    for layer in spec["body"]:
        kind = layer["kind"]
        shape = tuple(x.shape)
        if kind in ("conv", "dwconv", "add", "mul_branch"):
            if not _fits(shape, layer["k"], layer["dilation"], layer["padding"]):
                continue
            if kind in ("conv", "dwconv") and layer["dilation"] > 1:
                f = layer["filters"] if kind == "conv" else layer["depth_multiplier"]
                x = _dilated_layer(K, T, f, layer["k"], layer["dilation"], layer["padding"], layer["act"],
                                   kind == "dwconv", init, binit)(x)
            elif kind == "conv":
                x = L.Conv2D(layer["filters"], layer["k"], strides=layer["stride"], padding=layer["padding"],
                             activation=layer["act"], kernel_initializer=init,
                             bias_initializer=binit)(x)
            elif kind == "dwconv":
                x = L.DepthwiseConv2D(layer["k"], strides=layer["stride"], padding=layer["padding"],
                                      depth_multiplier=layer["depth_multiplier"],
                                      activation=layer["act"], depthwise_initializer=init,
                                      bias_initializer=binit)(x)
            else:
                y = L.Conv2D(shape[-1], layer["k"], padding="same", activation=layer["act"],
                             kernel_initializer=init, bias_initializer=binit)(x)
                x = L.Add()([x, y]) if kind == "add" else L.Multiply()([x, y])
        elif kind in ("maxpool", "avgpool"):
            p = min(layer["pool"], shape[1], shape[2])
            cls = L.MaxPooling2D if kind == "maxpool" else L.AveragePooling2D
            x = cls(p, strides=layer["stride"], padding=layer["padding"])(x)
        elif kind == "relu":
            x = L.ReLU()(x)
        elif kind == "relu6":
            x = L.ReLU(6.0)(x)
        elif kind == "leaky":
            x = L.LeakyReLU(0.1 + 0.05 * layer["pool"])(x)
        elif kind == "sigmoid":
            x = L.Activation("sigmoid")(x)
        elif kind == "hswish":  # the converter fuses x * relu6(x + 3) / 6 into HARD_SWISH
            x = L.Activation(lambda v: v * T.nn.relu6(v + 3.0) * (1.0 / 6.0))(x)
        elif kind == "tanh":
            x = L.Activation("tanh")(x)
        elif kind == "pad":
            x = L.ZeroPadding2D(((layer["k"][0] - 1, layer["pool"] - 2), (layer["stride"], layer["k"][1])))(x)
        elif kind == "concat":
            y = L.Conv2D(layer["filters"], 1, activation=layer["act"], kernel_initializer=init,
                         bias_initializer=binit)(x)
            x = L.Concatenate()([x, y])
    if x is inp:
        x = L.Conv2D(2, 1, kernel_initializer=init, bias_initializer=binit)(x)
    if spec["head"] in ("dense", "dense_softmax"):
        x = L.Flatten()(x)
        x = L.Dense(spec["units"], kernel_initializer=init, bias_initializer=binit)(x)
        if spec["head"] == "dense_softmax":
            x = L.Softmax()(x)
    elif spec["head"] in ("gmean", "gmean_keep"):
        x = L.GlobalAveragePooling2D(keepdims=spec["head"] == "gmean_keep")(x)
    elif spec["head"] == "gap_dense":
        x = L.AveragePooling2D((x.shape[1], x.shape[2]))(x)
        x = L.Flatten()(x)
        x = L.Dense(spec["units"], kernel_initializer=init, bias_initializer=binit)(x)
    return K.Model(inp, x)


def to_int8_tflite(model, seed: int = 0, n: int = 16, int8_io: bool = True) -> bytes:
    """Full-integer int8 conversion with a random representative dataset."""
    from tfcompress.tfenv import tf

    tfm = tf()
    rng = np.random.default_rng(seed)
    shape = tuple(model.input.shape[1:])

    def rep():
        for _ in range(n):
            yield [rng.uniform(0, 1, size=(1, *shape)).astype(np.float32)]

    conv = tfm.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tfm.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tfm.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if int8_io:
        conv.inference_input_type = tfm.int8
        conv.inference_output_type = tfm.int8
    return bytes(conv.convert())


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


def to_int16x8_tflite(model, seed: int = 0, n: int = 16) -> bytes:
    """int16 activations x int8 weights conversion (int16 input/output)."""
    from tfcompress.tfenv import tf

    tfm = tf()
    rng = np.random.default_rng(seed)
    shape = tuple(model.input.shape[1:])

    def rep():
        for _ in range(n):
            yield [rng.uniform(0, 1, size=(1, *shape)).astype(np.float32)]

    conv = tfm.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tfm.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tfm.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    conv.inference_input_type = tfm.int16
    conv.inference_output_type = tfm.int16
    return bytes(conv.convert())


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
