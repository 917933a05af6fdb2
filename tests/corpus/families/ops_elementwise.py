"""Element-wise ops: binary (two live operands, and a constant operand) and unary activations."""

from __future__ import annotations

import numpy as np

from tfcompress.tfenv import keras, tf

from .common import probe

L = keras().layers
T = tf()
SHAPE = (8, 8, 4)


def _pair(x):  # a second live operand of the same shape (one 1x1 conv away from the input)
    return L.Conv2D(SHAPE[-1], 1)(x)


_BINARY = {
    "add": (lambda a, b: a + b, "ADD"),
    "sub": (lambda a, b: a - b, "SUB"),
    "mul": (lambda a, b: a * b, "MUL"),
    "div": (lambda a, b: T.math.divide(a, T.sigmoid(b) + 0.5), "DIV"),
    "squared_difference": (lambda a, b: T.math.squared_difference(a, b), "SQUARED_DIFFERENCE"),
    "maximum": (lambda a, b: T.maximum(a, b), "MAXIMUM"),
    "minimum": (lambda a, b: T.minimum(a, b), "MINIMUM"),
}
for _name, (_fn, _op) in _BINARY.items():
    probe(f"op_{_name}", SHAPE, lambda x, fn=_fn: fn(x, _pair(x)), expect=[_op])

# broadcasting between two live operands: (1, 8, 8, 4) with (1, 1, 1, 4) and (1, 8, 1, 4)
probe("op_add_broadcast", SHAPE,
      lambda x: x + L.Conv2D(4, 1)(L.AveragePooling2D((8, 8))(x)), expect=["ADD"])
probe("op_mul_broadcast_rows", SHAPE,
      lambda x: x * L.Conv2D(4, 1)(L.AveragePooling2D((1, 8))(x)), expect=["MUL"])
probe("op_sub_broadcast", SHAPE,
      lambda x: x - L.Conv2D(4, 1)(L.MaxPooling2D((8, 8))(x)), expect=["SUB"])

_RNG = np.random.default_rng(7)
_CT = _RNG.uniform(-1.5, 1.5, (1, *SHAPE)).astype(np.float32)
_CV = _RNG.uniform(-0.8, 0.8, (SHAPE[-1],)).astype(np.float32)
_CP = _RNG.uniform(0.5, 1.5, (SHAPE[-1],)).astype(np.float32)
_CONST = {
    "mul_const_tensor": (lambda x: x * T.constant(_CT), "MUL"),
    "add_const_vector": (lambda x: x + T.constant(_CV), "ADD"),
    "sub_const_vector": (lambda x: T.constant(_CV) - x, "SUB"),
    "mul_const_scalar": (lambda x: x * 0.37, "MUL"),
    "maximum_const": (lambda x: T.maximum(x, T.constant(_CV)), "MAXIMUM"),
    "minimum_const_scalar": (lambda x: T.minimum(x, 0.25), "MINIMUM"),
    "div_const_vector": (lambda x: x / T.constant(_CP), "DIV"),
    "squared_difference_const": (lambda x: T.math.squared_difference(x, T.constant(_CV)), "SQUARED_DIFFERENCE"),
}
for _name, (_fn, _op) in _CONST.items():
    # straight on the model input: a preceding conv would absorb the constant into its bias/weights
    probe(f"op_{_name}", SHAPE, _fn, expect=[_op], features=["const-operand"])

# batch norm that no conv absorbs (after a pooling): MUL + ADD by constant vectors
probe("op_batchnorm_after_pool", SHAPE,
      lambda x: L.BatchNormalization()(L.MaxPooling2D(2)(x)), expect=["MUL", "ADD"], features=["const-operand"])

_POS = [(0.05, 4.0)]
_WIDE = [(-4.0, 4.0)]
_UNARY = {
    "relu": (lambda x: L.ReLU()(x), "RELU", None),
    "relu6": (lambda x: L.ReLU(6.0)(x), "RELU6", [(-3.0, 8.0)]),
    "relu_n1_to_1": (lambda x: T.clip_by_value(x, -1.0, 1.0), "RELU_N1_TO_1", [(-2.0, 2.0)]),
    "leaky_relu": (lambda x: L.LeakyReLU(0.2)(x), "LEAKY_RELU", None),
    "prelu": (lambda x: L.PReLU(shared_axes=[1, 2])(x), "PRELU", None),
    "prelu_full": (lambda x: L.PReLU()(x), "PRELU", None),
    "elu": (lambda x: L.ELU()(x), "ELU", _WIDE),
    "logistic": (lambda x: T.sigmoid(x), "LOGISTIC", [(-6.0, 6.0)]),
    "tanh": (lambda x: T.tanh(x), "TANH", _WIDE),
    "hard_swish": (lambda x: x * (L.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)), "HARD_SWISH", [(-5.0, 5.0)]),
    "exp": (lambda x: T.exp(x), "EXP", [(-3.0, 1.5)]),
    "log": (lambda x: T.math.log(x), "LOG", _POS),
    "rsqrt": (lambda x: T.math.rsqrt(x), "RSQRT", _POS),
    "sqrt": (lambda x: T.sqrt(x), "SQRT", _POS),
    "square": (lambda x: T.square(x), "SQUARE", None),
    "abs": (lambda x: T.abs(x), "ABS", None),
    "neg": (lambda x: -x, "NEG", None),
    "sin": (lambda x: T.sin(x), "SIN", _WIDE),
    "cos": (lambda x: T.cos(x), "COS", _WIDE),
    "floor": (lambda x: T.floor(x), "FLOOR", _WIDE),
    "ceil": (lambda x: T.math.ceil(x), "CEIL", _WIDE),
    "round": (lambda x: T.round(x), "ROUND", _WIDE),
}
for _name, (_fn, _op, _ranges) in _UNARY.items():
    # the op reads the model input straight away, so no other op absorbs it; ops without an
    # integer kernel in the converter come out as float islands (DEQUANTIZE -> op -> QUANTIZE)
    probe(f"op_{_name}", SHAPE, _fn, expect=[_op], ranges=_ranges)
