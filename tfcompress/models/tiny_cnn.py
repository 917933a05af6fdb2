"""A tiny CNN for MCUs: a strided stem, then conv + max-pool blocks."""

from __future__ import annotations

from typing import Any

from tfcompress.models.layers import conv_bn, scaled, spatial
from tfcompress.tfenv import keras

#: (filters, pool after the conv) per block; the stem is block 1.
BLOCKS: tuple[tuple[int, bool], ...] = ((8, False), (16, True), (32, True), (32, True))
NUM_BLOCKS = len(BLOCKS)


def body(x: Any, *, width: float, keep: int) -> Any:
    """Stem conv (stride 2 when the input is at least 32 pixels) + ``keep - 1`` blocks."""
    L = keras().layers
    for i, (filters, pool) in enumerate(BLOCKS[:keep], start=1):
        stride = 2 if i == 1 and min(spatial(x)) >= 32 else 1
        x = conv_bn(x, scaled(filters, width), 3, f"block{i}", stride=stride)
        if pool and min(spatial(x)) >= 2:
            x = L.MaxPooling2D(2, padding="same", name=f"block{i}_pool")(x)
    return x
