"""ResNet-8 as in MLPerf Tiny image classification: a stem and three residual stacks."""

from __future__ import annotations

from typing import Any

from tfcompress.models.layers import activation, conv_bn, scaled, stride_for
from tfcompress.tfenv import keras

#: (filters, stride) of each residual stack.
BLOCKS: tuple[tuple[int, int], ...] = ((16, 1), (32, 2), (64, 2))
NUM_BLOCKS = len(BLOCKS)


def body(x: Any, *, width: float, keep: int) -> Any:
    """Stem 3x3 conv, then ``keep`` stacks of two 3x3 convs with an identity/1x1 shortcut."""
    L = keras().layers
    x = conv_bn(x, scaled(16, width), 3, "stem")
    for i, (filters, stride) in enumerate(BLOCKS[:keep], start=1):
        prefix = f"block{i}"
        f = scaled(filters, width)
        s = stride_for(x, stride)
        y = conv_bn(x, f, 3, f"{prefix}_a", stride=s)
        y = conv_bn(y, f, 3, f"{prefix}_b", act=None)
        if s != 1 or int(x.shape[-1]) != f:
            x = L.Conv2D(f, 1, strides=s, padding="same", kernel_initializer="he_normal",
                         name=f"{prefix}_shortcut_conv")(x)
        x = L.Add(name=f"{prefix}_add")([x, y])
        x = activation(x, "relu", prefix)
    return x
