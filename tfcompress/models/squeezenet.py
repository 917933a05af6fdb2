"""SqueezeNet-style network: a stem and fire modules (squeeze 1x1, expand 1x1 + 3x3)."""

from __future__ import annotations

from typing import Any

from tfcompress.models.layers import conv_bn, scaled, spatial
from tfcompress.tfenv import keras

#: (squeeze filters, expand filters per branch, max-pool before the module).
BLOCKS: tuple[tuple[int, int, bool], ...] = (
    (16, 64, False), (16, 64, False), (32, 128, True), (32, 128, False),
    (48, 192, True), (48, 192, False), (64, 256, False), (64, 256, False),
)
NUM_BLOCKS = len(BLOCKS)


def fire(x: Any, squeeze: int, expand: int, prefix: str) -> Any:
    """One fire module; the two expand branches are concatenated."""
    L = keras().layers
    s = conv_bn(x, squeeze, 1, f"{prefix}_squeeze")
    e1 = conv_bn(s, expand, 1, f"{prefix}_expand1x1")
    e3 = conv_bn(s, expand, 3, f"{prefix}_expand3x3")
    return L.Concatenate(name=f"{prefix}_concat")([e1, e3])


def body(x: Any, *, width: float, keep: int) -> Any:
    """Stem conv 3x3/2 + max-pool, then the first ``keep`` fire modules."""
    L = keras().layers
    x = conv_bn(x, scaled(64, width, 8, 8), 3, "stem", stride=2)
    if min(spatial(x)) >= 8:
        x = L.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for i, (sq, ex, pool) in enumerate(BLOCKS[:keep], start=1):
        if pool and min(spatial(x)) >= 2:
            x = L.MaxPooling2D(3, strides=2, padding="same", name=f"block{i}_pool")(x)
        x = fire(x, scaled(sq, width), scaled(ex, width), f"block{i}")
    return x
