"""MobileNetV1 (alpha = width): stem conv + 13 depthwise-separable blocks."""

from __future__ import annotations

from typing import Any

from tfcompress.models.layers import conv_bn, dw_bn, scaled

#: (pointwise filters, depthwise stride) per depthwise-separable block.
BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)
NUM_BLOCKS = len(BLOCKS)


def body(x: Any, *, width: float, keep: int) -> Any:
    """Stem (3x3/2, 32*alpha) then the first ``keep`` separable blocks, ReLU6 throughout."""
    x = conv_bn(x, scaled(32, width, 8, 8), 3, "stem", stride=2, act="relu6")
    for i, (filters, stride) in enumerate(BLOCKS[:keep], start=1):
        x = dw_bn(x, f"block{i}", stride=stride, act="relu6")
        x = conv_bn(x, scaled(filters, width, 8, 8), 1, f"block{i}_pw", act="relu6")
    return x
