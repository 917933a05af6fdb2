"""A small localiser: conv blocks down to 1/4 resolution, then a soft-argmax heatmap head.

Made for pupil-centre regression (64x64 eyes): the heatmap head keeps positions
exact where a flatten + dense head has to learn them. Classification uses the
usual pooled Dense + Softmax head.
"""

from __future__ import annotations

from typing import Any

from tfcompress.models.layers import conv_bn, scaled

#: (filters, stride) per block; two stride-2 blocks put the heatmap at 1/4 resolution.
BLOCKS: tuple[tuple[int, int], ...] = ((8, 2), (16, 2), (16, 1), (16, 1))
NUM_BLOCKS = len(BLOCKS)


def body(x: Any, *, width: float, keep: int) -> Any:
    """The first ``keep`` conv + BN + ReLU blocks."""
    for i, (filters, stride) in enumerate(BLOCKS[:keep], start=1):
        x = conv_bn(x, scaled(filters, width), 3, f"block{i}", stride=stride)
    return x
