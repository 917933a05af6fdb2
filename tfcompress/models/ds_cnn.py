"""DS-CNN as in MLPerf Tiny keyword spotting: a 10x4 stem and depthwise-separable blocks."""

from __future__ import annotations

from typing import Any

from tfcompress.models.layers import conv_bn, dw_bn, scaled, spatial

FILTERS = 64
NUM_BLOCKS = 4


def body(x: Any, *, width: float, keep: int) -> Any:
    """Stem conv (10x4, stride 2, kernel clipped to the input) + ``keep`` DS blocks."""
    h, w = spatial(x)
    f = scaled(FILTERS, width)
    x = conv_bn(x, f, (min(10, h), min(4, w)), "stem", stride=2)
    for i in range(1, keep + 1):
        x = dw_bn(x, f"block{i}")
        x = conv_bn(x, f, 1, f"block{i}_pw")
    return x
