"""Small tf_keras models for the engine tests, and their int8 / int16x8 TFLite conversions."""

from __future__ import annotations

import numpy as np
from hypothesis import Phase

#: no shrinking: each example converts a model (seconds); the failing spec is printed as is
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]


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


def _int8_convert(model, rep, int8_io: bool = True, per_tensor: bool = False) -> bytes:
    """Full-integer int8 conversion of ``model`` with the representative data ``rep``; ``int8_io``:
    int8 input and output tensors; ``per_tensor``: one scale per Dense weight matrix."""
    from tfcompress.tfenv import tf

    tfm = tf()
    conv = tfm.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tfm.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tfm.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if int8_io:
        conv.inference_input_type = tfm.int8
        conv.inference_output_type = tfm.int8
    if per_tensor:
        conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    return bytes(conv.convert())


def to_int8_tflite(model, seed: int = 0, n: int = 16, int8_io: bool = True) -> bytes:
    """Full-integer int8 conversion with a random representative dataset."""
    rng = np.random.default_rng(seed)
    shape = tuple(model.input.shape[1:])

    def rep():
        for _ in range(n):
            yield [rng.uniform(0, 1, size=(1, *shape)).astype(np.float32)]

    return _int8_convert(model, rep, int8_io)


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


#: keras_tflite's conversions in this session, by (build, shape, seed): a test module's host tests
#: and its QEMU test convert a model once (builds made afresh per call, closures, never repeat)
_CONVERTED: dict[tuple, bytes] = {}


def keras_tflite(build, shape: tuple, seed: int) -> bytes:
    """int8 conversion of the model ``build(layers, input)`` makes (seeded weights, int8 input/output)."""
    key = (build, tuple(shape), seed)
    if key not in _CONVERTED:
        _CONVERTED[key] = _keras_tflite(build, shape, seed)
    return _CONVERTED[key]


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


def model_odd(L, x):
    """Odd channel counts, 5x5/stride-2/valid conv, ReLU6 clamps, per-channel depthwise (generic path)."""
    x = L.Conv2D(7, 3, padding="same", activation="relu6")(x)                 # ic 3 -> byte window path
    x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)            # 7 channels: plain loop
    x = L.Conv2D(9, 5, strides=2, padding="valid", activation="relu")(x)      # odd out channels
    x = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(x)           # depth multiplier 2
    x = L.MaxPooling2D(2, padding="same")(x)                                   # max pool, partial windows
    x = L.Flatten()(x)
    return L.Dense(13, activation="relu")(x)                                  # FC tail rows and inputs


def model_simd(L, x):
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


def model_residual(L, x):
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


def model_dense(L, x):
    """FULLY_CONNECTED stack with rows and inputs multiples of four (pair-code fast path), an odd
    group count, a clamped layer and a tail layer (6 outputs, 30 inputs)."""
    x = L.Flatten()(x)                                                         # 4 * 4 * 5 = 80 inputs
    x = L.Dense(28, activation="relu")(x)                                     # 20 groups, 7 blocks
    x = L.Dense(12, activation="relu6")(x)                                    # 7 groups (odd)
    x = L.Dense(30)(x)
    return L.Dense(6)(x)                                                      # tail rows and inputs


#: the optimised-kernel test models: name -> (builder, input shape)
MODELS = {"odd": (model_odd, (11, 9, 3)), "simd": (model_simd, (12, 10, 4)),
          "residual": (model_residual, (9, 7, 3)), "dense": (model_dense, (4, 4, 5))}


def batch_int8_tflite(model, batch: int, rng: np.random.Generator, per_tensor: bool = False) -> bytes:
    """Full-integer int8 conversion of ``model`` (``batch`` rows of inputs in [-1, 1) as the
    representative data); ``per_tensor``: one scale per Dense weight matrix."""
    shape = (batch, *model.input.shape[1:])

    def rep():
        for _ in range(16):
            yield [rng.uniform(-1, 1, size=shape).astype(np.float32)]

    return _int8_convert(model, rep, per_tensor=per_tensor)
