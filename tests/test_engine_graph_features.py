"""Graph-level features, each bit-exact with TFLite Micro: several inputs and outputs, constant
operands, shape arithmetic folded at compile time, resource variables (state across runs, reset)."""

from __future__ import annotations

import numpy as np
import pytest

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.validate import random_inputs, validate_model
from tfcompress.tflm import TflmModel


def _convert(conv, rep_shapes: list[tuple[int, ...]], seed: int = 0) -> bytes:
    from tfcompress.tfenv import tf

    T = tf()
    rng = np.random.default_rng(seed)
    conv.optimizations = [T.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([rng.uniform(-1, 1, (1, *s)).astype(np.float32) for s in rep_shapes]
                                           for _ in range(16))
    conv.target_spec.supported_ops = [T.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = T.int8
    conv.inference_output_type = T.int8
    return bytes(conv.convert())


@pytest.fixture(scope="module")
def two_in_two_out() -> bytes:
    from tfcompress.tfenv import keras, tf

    K = keras()
    L = K.layers
    a, b = K.Input((6, 6, 3)), K.Input((6, 6, 3))
    x = L.Conv2D(4, 3, padding="same", activation="relu")(a)
    y = L.Conv2D(4, 3, padding="same")(b)
    s = L.Add()([x, y])
    out1 = L.Dense(5)(L.Flatten()(s))
    out2 = L.GlobalAveragePooling2D()(L.Concatenate()([x, y]))
    model = K.Model([a, b], [out1, out2])
    return _convert(tf().lite.TFLiteConverter.from_keras_model(model), [(6, 6, 3), (6, 6, 3)])


def test_two_inputs_two_outputs(two_in_two_out: bytes) -> None:
    m = compile_tflite(two_in_two_out)
    assert len(m.inputs) == 2 and len(m.outputs) == 2
    header = m.sources()[1]
    assert "#define TFC_NUM_INPUTS 2" in header and "#define TFC_NUM_OUTPUTS 2" in header
    assert "#define TFC_OUTPUT1_BYTES" in header
    ours, ref = HostModel(m), TflmModel(two_in_two_out)
    for xs in random_inputs(m, 6, seed=3):
        for a, b in zip(ours.invoke(xs), ref.invoke(xs), strict=True):
            assert np.array_equal(a, b.reshape(a.shape))
    res = validate_model(two_in_two_out, samples=4, kernels="optimized")
    assert res.ok and len(res.per_output) == 2 and res.output_elements == 4 * (5 + 8)


def test_folded_shape_arithmetic_and_constant_operand() -> None:
    """A dynamic batch leaves SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE in the graph; with batch 1
    it folds on the host. MUL by a constant vector (broadcast) reads its operand from flash."""
    from tfcompress.tfenv import tf

    T = tf()
    w = np.random.default_rng(0).normal(size=(24, 5)).astype(np.float32)

    @T.function(input_signature=[T.TensorSpec([None, 4, 6], T.float32)])
    def f(x):
        s = T.shape(x)
        y = T.matmul(T.reshape(x, T.stack([s[0], s[1] * s[2]])), w)
        return T.tile(T.reshape(y, [s[0], 5, 1]), [1, 1, 3]) * T.constant([1.0, 2.0, 3.0])

    data = _convert(T.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()]), [(4, 6)])
    m = compile_tflite(data)
    assert {"SHAPE", "STRIDED_SLICE", "PACK"} <= {op.name for op in m.folded}
    assert {lo.op.name for lo in m.lowered} == {"RESHAPE", "FULLY_CONNECTED", "MUL"}
    assert m.layout.consts, "the MUL's constant operand is a flash array"
    for kernels in ("reference", "optimized"):
        assert validate_model(data, samples=6, kernels=kernels).mismatched_elements == 0


def test_resource_variables_state_and_reset() -> None:
    """tf.Variable updated in the model: CALL_ONCE initialises, READ/ASSIGN_VARIABLE carry state
    from one run to the next; tfc_model_reset does what TFLM's Reset() does: the variables take
    their reset fill, and CALL_ONCE (which has no reset hook in TFLM) does not run again."""
    from tfcompress.tfenv import tf

    T = tf()

    class Accumulator(T.Module):
        def __init__(self):
            self.acc = T.Variable(T.fill([1, 4], 0.25), trainable=False)
            self.w = T.constant(np.random.default_rng(0).normal(size=(4, 4)).astype(np.float32))

        @T.function(input_signature=[T.TensorSpec([1, 4], T.float32)])
        def __call__(self, x):
            self.acc.assign(self.acc * 0.5 + T.matmul(x, self.w))
            return self.acc.read_value() + 0.0

    mod = Accumulator()
    data = _convert(T.lite.TFLiteConverter.from_concrete_functions([mod.__call__.get_concrete_function()], mod),
                    [(4,)])
    m = compile_tflite(data)
    assert m.stateful and m.state_bytes > 0 and "CALL_ONCE" in {op.name for op in m.graph.ops}
    ours, ref = HostModel(m), TflmModel(data)
    xs = random_inputs(m, 5, seed=2)
    first = [ours.invoke(x)[0] for x in xs]
    assert not all(np.array_equal(first[0], y) for y in first[1:]), "the state must change the output"
    for x, y in zip(xs, first, strict=True):
        assert np.array_equal(y, ref.invoke(x)[0].reshape(y.shape))
    ours.reset()
    ref.reset()
    again = ours.invoke(xs[0])[0]
    assert np.array_equal(again, ref.invoke(xs[0])[0].reshape(again.shape))
    assert not np.array_equal(again, first[0]), "after a reset the variable is 0, not its initial 0.25"
    assert validate_model(data, samples=5).ok
