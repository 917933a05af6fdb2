"""ONNX operators → tf_keras layers (NCHW tensors are NHWC Keras tensors).

Each converter takes the :class:`Ctx` of one node and returns its outputs: Keras tensors, or
NumPy arrays for values known at import time (shapes, constants). A node that cannot be
mapped raises :class:`Unsupported` with the reason; the caller names the node and op.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfcompress.tfenv import keras


class Unsupported(Exception):
    """The node cannot be converted (the message says why)."""


@dataclass
class Ctx:
    """One node being converted: its inputs (Keras tensors or NumPy constants), attributes, layer name."""

    inputs: list[Any]
    attrs: dict[str, Any]
    name: str
    is_output: bool = False

    def tensor(self, i: int) -> Any:
        value = self.inputs[i] if i < len(self.inputs) else None
        if value is None or isinstance(value, np.ndarray):
            raise Unsupported(f"input {i} must be a computed tensor, not a constant")
        return value

    def const(self, i: int, default: Any = None) -> np.ndarray | None:
        value = self.inputs[i] if i < len(self.inputs) else None
        if value is None:
            return None if default is None else np.asarray(default)
        if not isinstance(value, np.ndarray):
            raise Unsupported(f"input {i} must be a constant (weights known at export time)")
        return value


def is_const(value: Any) -> bool:
    return isinstance(value, np.ndarray)


def rank(t: Any) -> int:
    return len(t.shape)


def onnx_shape(t: Any) -> list[int]:
    """The ONNX (NCHW) shape of Keras tensor ``t``; the batch dimension is 1."""
    dims = [1] + [int(d) for d in t.shape[1:]]
    return [dims[0], dims[3], dims[1], dims[2]] if len(dims) == 4 else dims


def _layer(layer: Any, x: Any, weights: list[np.ndarray] | None = None) -> Any:
    y = layer(x)
    if weights is not None:
        layer.set_weights([w.astype(np.float32) for w in weights])
    return y


def _ints(ctx: Ctx, key: str, default: list[int]) -> list[int]:
    return [int(v) for v in ctx.attrs.get(key, default)]


# --------------------------------------------------------------------------- padding


def _same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's SAME padding (before, after) along one axis."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _padding(ctx: Ctx, x: Any, kernel: list[int], strides: list[int], dilations: list[int]) -> tuple[str, list]:
    """("same"|"valid", explicit ((top, bottom), (left, right)) pads or [])."""
    hw = [int(x.shape[1]), int(x.shape[2])]
    same = [_same_pads(hw[i], kernel[i], strides[i], dilations[i]) for i in range(2)]
    auto = ctx.attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto == "SAME_UPPER":
        return "same", []
    if auto == "VALID":
        return "valid", []
    if auto == "SAME_LOWER":
        pads = [(b, a) for a, b in same]
    elif auto == "NOTSET":
        p = _ints(ctx, "pads", [0, 0, 0, 0])
        pads = [(p[0], p[2]), (p[1], p[3])]
    else:
        raise Unsupported(f"auto_pad={auto}")
    if all(a == 0 and b == 0 for a, b in pads):
        return "valid", []
    if pads == same:
        return "same", []
    return "valid", pads


def _check_ceil(ctx: Ctx, x: Any, kernel: list[int], strides: list[int], padding: str, pads: list) -> None:
    """Pooling with ceil_mode=1 is only accepted where it gives the same size as floor mode."""
    if not ctx.attrs.get("ceil_mode", 0) or padding == "same":
        return
    for i in range(2):
        size = int(x.shape[1 + i]) + (sum(pads[i]) if pads else 0)
        if (size - kernel[i]) % strides[i]:
            raise Unsupported("ceil_mode=1 changes the output size here; export with ceil_mode=False "
                              "or pad the input so the windows fit")


# --------------------------------------------------------------------------- convolution and pooling


def conv(ctx: Ctx) -> Any:
    L = keras().layers
    x, w, b = ctx.tensor(0), ctx.const(1), ctx.const(2)
    if rank(x) != 4:
        raise Unsupported(f"only 2-D convolution (4-D input) is supported, got rank {rank(x)}")
    m, cg, kh, kw = w.shape
    c = int(x.shape[3])
    group = int(ctx.attrs.get("group", 1))
    strides, dil = _ints(ctx, "strides", [1, 1]), _ints(ctx, "dilations", [1, 1])
    padding, pads = _padding(ctx, x, [kh, kw], strides, dil)
    if pads:
        x = L.ZeroPadding2D(tuple(pads), name=f"{ctx.name}_pad")(x)
    bias = [b] if b is not None else []
    common = dict(strides=strides, padding=padding, dilation_rate=dil, use_bias=b is not None, name=ctx.name)
    if group == 1:
        layer = L.Conv2D(m, (kh, kw), **common)
        return _layer(layer, x, [w.transpose(2, 3, 1, 0), *bias])
    if group == c and cg == 1 and m % c == 0:
        mult = m // c
        layer = L.DepthwiseConv2D((kh, kw), depth_multiplier=mult, **common)
        return _layer(layer, x, [w.reshape(c, mult, kh, kw).transpose(2, 3, 0, 1), *bias])
    raise Unsupported(f"grouped convolution with group={group} (only 1 or depthwise group=channels)")


def _pool(ctx: Ctx, cls_name: str) -> Any:
    L = keras().layers
    x = ctx.tensor(0)
    if rank(x) != 4:
        raise Unsupported("only 2-D pooling (4-D input) is supported")
    kernel = _ints(ctx, "kernel_shape", [])
    strides = _ints(ctx, "strides", [1, 1])
    if _ints(ctx, "dilations", [1, 1]) != [1, 1]:
        raise Unsupported("dilated pooling")
    padding, pads = _padding(ctx, x, kernel, strides, [1, 1])
    _check_ceil(ctx, x, kernel, strides, padding, pads)
    if cls_name == "AveragePooling2D":
        include = bool(ctx.attrs.get("count_include_pad", 0))
        if padding == "same" and include:
            x = L.ZeroPadding2D(tuple(_same_pads(int(x.shape[1 + i]), kernel[i], strides[i], 1) for i in range(2)),
                                name=f"{ctx.name}_pad")(x)
            padding = "valid"
        elif pads and include:
            x = L.ZeroPadding2D(tuple(pads), name=f"{ctx.name}_pad")(x)
        elif pads:
            raise Unsupported("average pooling with explicit pads and count_include_pad=0 "
                              "(only TensorFlow's SAME padding excludes the pads)")
    elif pads:
        raise Unsupported(f"max pooling with pads {pads} (only none or TensorFlow's SAME padding)")
    return getattr(L, cls_name)(tuple(kernel), strides=tuple(strides), padding=padding, name=ctx.name)(x)


def pad(ctx: Ctx) -> Any:
    """Zero padding of H and W (constant mode, value 0)."""
    x = ctx.tensor(0)
    mode = ctx.attrs.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    p = [int(v) for v in (ctx.const(1) if len(ctx.inputs) > 1 else ctx.attrs.get("pads", []))]
    value = ctx.const(2) if len(ctx.inputs) > 2 else np.asarray(ctx.attrs.get("value", 0.0))
    if rank(x) != 4 or len(p) != 8 or mode != "constant" or (value is not None and float(value) != 0.0) \
            or any(p[i] for i in (0, 1, 4, 5)) or min(p) < 0:
        raise Unsupported(f"Pad mode={mode} pads={p} (only zero padding of H and W of a 4-D tensor)")
    return keras().layers.ZeroPadding2D(((p[2], p[6]), (p[3], p[7])), name=ctx.name)(x)


def _global(cls_name: str) -> Callable[[Ctx], Any]:
    def convert(ctx: Ctx) -> Any:
        x = ctx.tensor(0)
        if rank(x) != 4:
            raise Unsupported("only 4-D input")
        return getattr(keras().layers, cls_name)(keepdims=True, name=ctx.name)(x)
    return convert


def _reduce(cls_name: str) -> Callable[[Ctx], Any]:
    """ReduceMean/ReduceMax over H and W (what exporters emit for adaptive pooling to 1x1)."""
    def convert(ctx: Ctx) -> Any:
        x = ctx.tensor(0)
        axes = ctx.const(1) if len(ctx.inputs) > 1 else np.asarray(ctx.attrs.get("axes", []))
        if rank(x) != 4 or axes is None or sorted(int(a) % 4 for a in axes) != [2, 3]:
            raise Unsupported(f"reduction over axes {None if axes is None else list(axes)} (only H and W "
                              "of a 4-D tensor, i.e. global pooling)")
        keep = bool(ctx.attrs.get("keepdims", 1))
        return getattr(keras().layers, cls_name)(keepdims=keep, name=ctx.name)(x)
    return convert


def batch_norm(ctx: Ctx) -> Any:
    x = ctx.tensor(0)
    scale, bias, mean, var = (ctx.const(i) for i in range(1, 5))
    eps = float(ctx.attrs.get("epsilon", 1e-5))
    layer = keras().layers.BatchNormalization(axis=-1, epsilon=eps, momentum=0.99, name=ctx.name)
    return _layer(layer, x, [scale, bias, mean, var])


# --------------------------------------------------------------------------- dense and shapes


def _dense(ctx: Ctx, x: Any, kernel: np.ndarray, bias: np.ndarray | None) -> Any:
    if rank(x) != 2:
        raise Unsupported(f"matrix products need a 2-D input, got shape {onnx_shape(x)}")
    if kernel.ndim != 2 or kernel.shape[0] != int(x.shape[1]):
        raise Unsupported(f"weight shape {list(kernel.shape)} does not fit input {onnx_shape(x)}")
    units = kernel.shape[1]
    layer = keras().layers.Dense(units, use_bias=bias is not None, name=ctx.name)
    weights = [kernel] + ([np.broadcast_to(bias, (units,)).copy()] if bias is not None else [])
    return _layer(layer, x, weights)


def gemm(ctx: Ctx) -> Any:
    if ctx.attrs.get("transA", 0):
        raise Unsupported("transA=1")
    b = ctx.const(1)
    w = b.T if ctx.attrs.get("transB", 0) else b
    c = ctx.const(2)
    alpha, beta = float(ctx.attrs.get("alpha", 1.0)), float(ctx.attrs.get("beta", 1.0))
    return _dense(ctx, ctx.tensor(0), alpha * w, None if c is None else beta * c.reshape(-1))


def matmul(ctx: Ctx) -> Any:
    return _dense(ctx, ctx.tensor(0), ctx.const(1), None)


def _flatten(ctx: Ctx, x: Any) -> Any:
    L = keras().layers
    if rank(x) == 2:
        return x
    if rank(x) == 4 and int(x.shape[1]) * int(x.shape[2]) > 1:
        x = L.Permute((3, 1, 2), name=f"{ctx.name}_nchw")(x)  # flatten in ONNX's (C, H, W) order
    return L.Flatten(name=ctx.name)(x)


def flatten(ctx: Ctx) -> Any:
    if int(ctx.attrs.get("axis", 1)) != 1:
        raise Unsupported("Flatten with axis other than 1")
    return _flatten(ctx, ctx.tensor(0))


def reshape(ctx: Ctx) -> Any:
    x, target = ctx.tensor(0), [int(v) for v in ctx.const(1)]
    shape = onnx_shape(x)
    size = math.prod(shape[1:])
    if len(target) == 2 and target[0] in (0, 1, -1) and target[1] in (-1, size):
        return _flatten(ctx, x)
    raise Unsupported(f"Reshape {shape} -> {target} (only flattening to [N, -1] is supported)")


def concat(ctx: Ctx) -> Any:
    xs = [ctx.tensor(i) for i in range(len(ctx.inputs))]
    r = rank(xs[0])
    axis = int(ctx.attrs.get("axis", 1)) % r
    if axis == 0:
        raise Unsupported("concatenation along the batch axis")
    keras_axis = {1: 3, 2: 1, 3: 2}[axis] if r == 4 else axis
    return keras().layers.Concatenate(axis=keras_axis, name=ctx.name)(xs)


def _binary(cls_name: str) -> Callable[[Ctx], Any]:
    def convert(ctx: Ctx) -> Any:
        if any(is_const(v) for v in ctx.inputs):
            raise Unsupported("an operand is a constant (only tensor-tensor element-wise ops are supported)")
        a, b = ctx.tensor(0), ctx.tensor(1)
        if list(a.shape[1:]) != list(b.shape[1:]):
            raise Unsupported(f"operand shapes differ: {onnx_shape(a)} and {onnx_shape(b)} (no broadcasting)")
        return getattr(keras().layers, cls_name)(name=ctx.name)([a, b])
    return convert


# --------------------------------------------------------------------------- activations


def relu(ctx: Ctx) -> Any:
    return keras().layers.ReLU(name=ctx.name)(ctx.tensor(0))


def clip(ctx: Ctx) -> Any:
    lo = ctx.attrs.get("min", None)
    hi = ctx.attrs.get("max", None)
    if len(ctx.inputs) > 1:
        c = ctx.const(1)
        lo = None if c is None else float(c)
    if len(ctx.inputs) > 2:
        c = ctx.const(2)
        hi = None if c is None else float(c)
    if lo != 0.0 or hi is None:
        raise Unsupported(f"Clip({lo}, {hi}) (only Clip(0, max) = ReLU with a cap, e.g. ReLU6)")
    return keras().layers.ReLU(max_value=float(hi), name=ctx.name)(ctx.tensor(0))


def leaky_relu(ctx: Ctx) -> Any:
    return keras().layers.LeakyReLU(alpha=float(ctx.attrs.get("alpha", 0.01)), name=ctx.name)(ctx.tensor(0))


def _activation(kind: str) -> Callable[[Ctx], Any]:
    def convert(ctx: Ctx) -> Any:
        return keras().layers.Activation(kind, name=ctx.name)(ctx.tensor(0))
    return convert


def softmax(ctx: Ctx) -> Any:
    x = ctx.tensor(0)
    axis = int(ctx.attrs.get("axis", -1)) % rank(x)
    if rank(x) != 2 or axis != 1:
        raise Unsupported("Softmax other than over the last axis of a 2-D tensor")
    return keras().layers.Softmax(name="probs" if ctx.is_output else ctx.name)(x)


def identity(ctx: Ctx) -> Any:
    return ctx.inputs[0]


#: ONNX op type -> converter (layers).
LAYER_OPS: dict[str, Callable[[Ctx], Any]] = {
    "Conv": conv,
    "BatchNormalization": batch_norm,
    "MaxPool": lambda ctx: _pool(ctx, "MaxPooling2D"),
    "AveragePool": lambda ctx: _pool(ctx, "AveragePooling2D"),
    "GlobalAveragePool": _global("GlobalAveragePooling2D"),
    "GlobalMaxPool": _global("GlobalMaxPooling2D"),
    "ReduceMean": _reduce("GlobalAveragePooling2D"),
    "ReduceMax": _reduce("GlobalMaxPooling2D"),
    "Gemm": gemm,
    "MatMul": matmul,
    "Flatten": flatten,
    "Reshape": reshape,
    "Concat": concat,
    "Pad": pad,
    "Add": _binary("Add"),
    "Mul": _binary("Multiply"),
    "Relu": relu,
    "Clip": clip,
    "LeakyRelu": leaky_relu,
    "Sigmoid": _activation("sigmoid"),
    "Tanh": _activation("tanh"),
    "Softmax": softmax,
    "Identity": identity,
    "Dropout": identity,
}
