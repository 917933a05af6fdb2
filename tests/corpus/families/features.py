"""Model-level features: float/uint8 I/O, several inputs and outputs, shape arithmetic left for a
compiler to fold, and state (resource variables, variable tensors)."""

from __future__ import annotations

from tfcompress.tfenv import keras, tf

from .common import fn_probe, probe

L = keras().layers
T = tf()
S = (8, 8, 3)


def _small_cnn(x):
    y = L.Conv2D(6, 3, strides=2, padding="same", activation="relu")(x)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
    return L.Dense(5)(L.GlobalAveragePooling2D()(y))


# ---- I/O types: QUANTIZE / DEQUANTIZE at the edges ----
probe("io_float", S, _small_cnn, io="float", features=["float-io"], expect=["QUANTIZE", "DEQUANTIZE"])
probe("io_float_in_int_out", S, _small_cnn, modes=("int8",), io=(None, "int8"), features=["float-io"],
      expect=["QUANTIZE"])
probe("io_int_in_float_out", S, _small_cnn, modes=("int8",), io=("int8", None), features=["float-io"],
      expect=["DEQUANTIZE"])
probe("io_float_in_int16_out", S, _small_cnn, modes=("int16x8",), io=(None, "int16"), features=["float-io"],
      expect=["QUANTIZE"])
probe("io_uint8", S, _small_cnn, modes=("int8",), io="uint8", features=["uint8-io"], expect=["QUANTIZE"])
probe("io_uint8_in_int8_out", S, _small_cnn, modes=("int8",), io=("uint8", "int8"), features=["uint8-io"],
      expect=["QUANTIZE"])
probe("io_int8_in_uint8_out", S, _small_cnn, modes=("int8",), io=("int8", "uint8"), features=["uint8-io"],
      expect=["QUANTIZE"])
probe("io_uint8_softmax", (32,), lambda x: L.Softmax()(L.Dense(10)(x)), modes=("int8",), io="uint8",
      features=["uint8-io"])
probe("io_float_softmax", (32,), lambda x: L.Softmax()(L.Dense(10)(x)), io="float", features=["float-io"])


# ---- several inputs / outputs ----
def _two_inputs(img, vec):
    a = L.GlobalAveragePooling2D()(L.Conv2D(8, 3, activation="relu")(img))
    b = L.Dense(8, activation="relu")(vec)
    return L.Dense(3)(L.Concatenate()([a, b]))


probe("multi_input_image_vector", [S, (6,)], _two_inputs, features=["multi-input"])
probe("multi_input_add", [(6, 6, 4), (6, 6, 4)], lambda a, b: L.Conv2D(4, 1)(L.Add()([a, b])),
      features=["multi-input"])
probe("multi_input_three", [(10,), (10,), (4,)],
      lambda a, b, c: L.Dense(4)(L.Concatenate()([L.Multiply()([a, b]), L.Dense(10)(c)])),
      features=["multi-input"])
probe("multi_input_float_io", [S, (6,)], _two_inputs, modes=("int8",), io="float",
      features=["multi-input", "float-io"])


def _two_heads(x):
    f = L.GlobalAveragePooling2D()(L.Conv2D(8, 3, strides=2, activation="relu")(x))
    return [L.Softmax(name="probs")(L.Dense(4)(f)), L.Dense(2, name="regression")(f)]


probe("multi_output_class_regress", S, _two_heads, features=["multi-output"])
probe("multi_output_float_io", S, _two_heads, modes=("int8",), io="float", features=["multi-output", "float-io"])
probe("multi_output_uint8", S, _two_heads, modes=("int8",), io="uint8", features=["multi-output", "uint8-io"])
probe("multi_io_two_by_two", [(6, 6, 3), (5,)],
      lambda a, b: [L.Conv2D(2, 3)(a), L.Dense(3)(L.Concatenate()([L.Flatten()(L.MaxPooling2D(3)(a)), b]))],
      features=["multi-input", "multi-output"])
probe("multi_output_passthrough_split", (12,), lambda x: T.split(L.Dense(12)(x), [4, 8], axis=-1),
      features=["multi-output"])


# ---- shape arithmetic a compiler can fold (dynamic batch in the signature) ----
fn_probe("shape_flatten_dynamic_batch", [((None, 4, 4, 3), "float32")],
         lambda x: T.reshape(x, [T.shape(x)[0], -1]) * 2.0 + 0.25,
         expect=["SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE"], features=["folded-shape"])
fn_probe("shape_split_heads_dynamic", [((None, 6, 8), "float32")],
         lambda x: T.transpose(T.reshape(x, [T.shape(x)[0], T.shape(x)[1], 2, 4]), [0, 2, 1, 3]),
         expect=["SHAPE", "RESHAPE", "TRANSPOSE"], features=["folded-shape"])


fn_probe("shape_flatten_explicit_dynamic_batch", [((None, 4, 4, 3), "float32")],
         lambda x: T.reshape(x, [T.shape(x)[0], 48]) * 2.0 + 0.25,
         expect=["SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE"], features=["folded-shape"],
         note="the new shape is computed at run time from SHAPE, but the output shape is static")
fn_probe("shape_concat_dynamic_batch", [((None, 6, 4), "float32")],
         lambda x: T.reshape(x, T.concat([T.shape(x)[:1], [3, 8]], axis=0)) * 1.5,
         expect=["SHAPE", "STRIDED_SLICE", "CONCATENATION", "RESHAPE"], features=["folded-shape"])


def _keras_head(mode: str) -> bytes:
    """MobileNet v1's classifier head with a free batch dimension: GAP -> Reshape((1, 1, C)) becomes
    SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE in the converted graph."""
    from ..convert import convert, randomize, seed_all

    K = keras()
    seed_all(0)
    inp = K.Input(S)
    y = L.Conv2D(8, 3, strides=2, activation="relu")(inp)
    y = L.Reshape((1, 1, 8))(L.GlobalAveragePooling2D()(y))
    y = L.Reshape((5,))(L.Conv2D(5, 1)(y))
    return convert(randomize(K.Model(inp, L.Softmax()(y)), 0), mode, expect_ops=["SHAPE", "PACK", "RESHAPE"])


for _mode in ("int8", "int16x8"):
    from ..registry import add

    add(f"shape_keras_reshape_head_{_mode}", (_mode, "folded-shape"), lambda m=_mode: _keras_head(m),
        expect_ops=("SHAPE", "PACK", "RESHAPE"), note="MobileNet v1 style head, batch None")


def _dyn_keras(x):
    return L.Dense(4)(L.Flatten()(L.Conv2D(4, 3)(x)))


def _keras_dynamic(mode: str) -> bytes:
    from ..convert import convert, randomize, seed_all

    K = keras()
    seed_all(0)
    inp = K.Input(S)  # batch None: the converter may keep shape arithmetic
    model = randomize(K.Model(inp, _dyn_keras(inp)), 0)
    return convert(model, mode)


for _mode in ("int8", "int16x8"):
    from ..registry import add

    add(f"shape_keras_dynamic_batch_{_mode}", (_mode,), lambda m=_mode: _keras_dynamic(m),
        note="Keras model with batch None: shape signature -1, the converter folds Flatten to a constant RESHAPE")


# ---- state ----
class _Accumulator(T.Module):
    def __init__(self) -> None:
        super().__init__()
        self.state = T.Variable(T.zeros([1, 8]), trainable=False)


def _accumulate(mod, x):
    new = 0.5 * mod.state + 0.5 * x
    mod.state.assign(new)
    return new * 1.5


fn_probe("state_resource_variable", [((1, 8), "float32")], _accumulate, module=_Accumulator,
         resource_variables=True, features=["stateful", "resource-variables"], invocations=4,
         expect=["VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE"],
         note="exponential moving average of the inputs held in a tf.Variable")


class _Counter(T.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hist = T.Variable(T.zeros([1, 4, 6]), trainable=False)


def _shift_register(mod, x):
    hist = T.concat([mod.hist[:, 1:, :], T.reshape(x, [1, 1, 6])], axis=1)
    mod.hist.assign(hist)
    return T.reduce_mean(hist, axis=1)


fn_probe("state_ring_buffer", [((1, 6), "float32")], _shift_register, module=_Counter,
         resource_variables=True, features=["stateful", "resource-variables"], invocations=5,
         expect=["VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"],
         note="a 4-frame history window in a tf.Variable (streaming keyword spotting style)")
probe("state_lstm_stateful", (4, 6), lambda x: L.Dense(3)(L.LSTM(8, stateful=True)(x)), modes=("int8",),
      features=["stateful"], invocations=4, expect=["UNIDIRECTIONAL_SEQUENCE_LSTM"],
      note="Keras stateful=True LSTM: the state tensors are variables kept across invocations")
