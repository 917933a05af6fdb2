"""MobileNetV2 (alpha = width): inverted residual blocks with linear bottlenecks."""

from __future__ import annotations

from typing import Any

from tfcompress.models.layers import conv_bn, dw_bn, scaled
from tfcompress.tfenv import keras

#: (expansion t, output channels c, repeats n, first stride s), as in the paper.
STAGES: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)
#: One entry per inverted residual block: (t, c, stride).
BLOCKS: tuple[tuple[int, int, int], ...] = tuple(
    (t, c, s if r == 0 else 1) for t, c, n, s in STAGES for r in range(n)
)
NUM_BLOCKS = len(BLOCKS)


def body(x: Any, *, width: float, keep: int) -> Any:
    """Stem, the first ``keep`` inverted residual blocks, then the 1x1 top conv."""
    L = keras().layers
    x = conv_bn(x, scaled(32, width, 8, 8), 3, "stem", stride=2, act="relu6")
    for i, (t, c, stride) in enumerate(BLOCKS[:keep], start=1):
        prefix = f"block{i}"
        cin = int(x.shape[-1])
        out = scaled(c, width, 8, 8)
        y = x
        if t != 1:
            y = conv_bn(y, cin * t, 1, f"{prefix}_expand", act="relu6")
        y = dw_bn(y, prefix, stride=stride, act="relu6")
        y = conv_bn(y, out, 1, f"{prefix}_project", act=None)
        if stride == 1 and cin == out and y.shape[1] == x.shape[1]:
            y = L.Add(name=f"{prefix}_add")([x, y])
        x = y
    top = scaled(1280, max(1.0, width), 8, 8)
    return conv_bn(x, top, 1, "top", act="relu6")
