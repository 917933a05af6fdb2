"""The ``digits`` source: scikit-learn's bundled 8x8 handwritten digits (offline, real data)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.data.common import classification_dataset, resize_images
from tfcompress.data.dataset import Dataset


def load_digits_source(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """1797 digits, pixel values 0..16 scaled to [0, 1], optionally resized; stratified splits."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    x = (raw.images.astype(np.float32) / 16.0)[..., None]
    size = int(params["size"])
    if size != 8:
        x = resize_images(x, size)
    y = raw.target.astype(np.int64)
    ds = classification_dataset("digits", (x, y), None, None, seed=seed, params=params,
                                class_names=[str(i) for i in range(10)])
    return ds
