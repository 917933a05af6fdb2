"""Helpers shared by the file-based loaders: assembling splits into a Dataset."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.data.dataset import Dataset, split_indices, to_images, to_labels
from tfcompress.errors import TfcError


def classification_dataset(
    name: str,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray] | None,
    val: tuple[np.ndarray, np.ndarray] | None,
    *,
    seed: int,
    params: dict[str, Any],
    class_names: list[str] | None = None,
) -> Dataset:
    """Normalise arrays and carve the missing val/test splits (stratified, seeded) from train."""
    x, y = to_images(train[0], f"{name} x_train"), to_labels(train[1], f"{name} y_train")
    if len(x) != len(y):
        raise TfcError(f"{name}: x_train has {len(x)} rows but y_train has {len(y)}",
                       "store one label per image")
    val_frac = float(params.get("val_frac", 0.1))
    test_frac = float(params.get("test_frac", 0.2)) if test is None else 0.0
    if val is not None:
        val_frac = 0.0
    stratify = y if np.min(np.bincount(y)) >= 2 else None
    tr, va, te = split_indices(len(x), (val_frac, test_frac), seed, stratify)
    splits = {"train": (x[tr], y[tr])}
    for split, given, idx in (("val", val, va), ("test", test, te)):
        if given is None:
            splits[split] = (x[idx], y[idx])
        else:
            gx, gy = to_images(given[0], f"{name} x_{split}"), to_labels(given[1], f"{name} y_{split}")
            if len(gx) != len(gy):
                raise TfcError(f"{name}: x_{split} has {len(gx)} rows but y_{split} has {len(gy)}",
                               "store one label per image")
            if gx.shape[1:] != x.shape[1:]:
                raise TfcError(f"{name}: x_{split} images are {gx.shape[1:]} but x_train are {x.shape[1:]}",
                               "store all splits with the same image shape")
            splits[split] = (gx, gy)
    for split, (sx, _) in splits.items():
        if len(sx) == 0:
            raise TfcError(f"{name}: the {split} split is empty", "provide more data or change val_frac/test_frac")
    n_classes = int(max(int(s[1].max()) for s in splits.values()) + 1)
    names = class_names or [str(i) for i in range(n_classes)]
    return Dataset(
        name=name, task="classification", num_outputs=max(n_classes, len(names)), metric="accuracy",
        class_names=names, target_scale=1.0, params={"seed": seed, **params},
        x_train=splits["train"][0], y_train=splits["train"][1],
        x_val=splits["val"][0], y_val=splits["val"][1],
        x_test=splits["test"][0], y_test=splits["test"][1],
    )


def resize_images(x: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of float NHWC images to ``size x size`` (PIL, per channel)."""
    from PIL import Image

    if x.shape[1] == size and x.shape[2] == size:
        return x
    out = np.empty((len(x), size, size, x.shape[3]), np.float32)
    for i in range(len(x)):
        for ch in range(x.shape[3]):
            img = Image.fromarray(np.ascontiguousarray(x[i, :, :, ch], dtype=np.float32), mode="F")
            out[i, :, :, ch] = np.asarray(img.resize((size, size), Image.BILINEAR), np.float32)
    return np.clip(out, 0.0, 1.0)
