"""The :class:`Dataset` container, deterministic splits and the single-file cache."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.errors import TfcError
from tfcompress.tasks import TASKS

SPLITS = ("train", "val", "test")
_ARRAYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")
_FORMAT = 1


@dataclass
class Dataset:
    """Train/val/test splits plus what downstream stages need to know about them.

    ``x_*``: float32 NHWC in [0, 1]. ``y_*``: int64 class ids (classification) or
    float32 (N, k) targets in [0, 1] (regression; ``target_scale`` pixels per unit).
    """

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_outputs: int
    metric: str
    class_names: list[str] = field(default_factory=list)
    target_scale: float = 1.0
    target_names: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        for split in SPLITS:
            x, y = self.split(split)
            if x.ndim != 4 or x.dtype != np.float32:
                raise ValueError(f"x_{split} must be float32 NHWC, got {x.dtype} {x.shape}")
            if len(x) != len(y):
                raise ValueError(f"x_{split} has {len(x)} rows but y_{split} has {len(y)}")
            want = np.int64 if self.task == "classification" else np.float32
            if y.dtype != want:
                raise ValueError(f"y_{split} must be {np.dtype(want).name}, got {y.dtype}")

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """Shape of one input (H, W, C)."""
        return tuple(int(d) for d in self.x_train.shape[1:])  # type: ignore[return-value]

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(x, y)`` of split ``"train"``, ``"val"`` or ``"test"``."""
        if name not in SPLITS:
            raise TfcError(f"unknown split '{name}'", "choose one of: " + ", ".join(SPLITS))
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    def representative(self, n: int = 200, seed: int = 0) -> np.ndarray:
        """A seeded calibration subset of ``n`` training inputs (for quantization)."""
        rng = np.random.default_rng(seed)
        n = min(int(n), len(self.x_train))
        idx = np.sort(rng.choice(len(self.x_train), size=n, replace=False))
        return self.x_train[idx]

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly description (sizes, shapes, task, metric)."""
        return {
            "name": self.name,
            "task": self.task,
            "input_shape": list(self.input_shape),
            "num_outputs": self.num_outputs,
            "metric": self.metric,
            "class_names": list(self.class_names),
            "target_names": list(self.target_names),
            "target_scale": self.target_scale,
            "sizes": {s: int(len(self.split(s)[0])) for s in SPLITS},
            "params": dict(self.params),
        }


def save_dataset(ds: Dataset, path: str | Path) -> Path:
    """Write ``ds`` to one ``.npz`` file (uncompressed, exact round trip)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": _FORMAT,
        "name": ds.name,
        "task": ds.task,
        "num_outputs": ds.num_outputs,
        "metric": ds.metric,
        "class_names": list(ds.class_names),
        "target_scale": float(ds.target_scale),
        "target_names": list(ds.target_names),
        "params": ds.params,
    }
    arrays = {k: getattr(ds, k) for k in _ARRAYS}
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, __meta__=np.array(json.dumps(meta)), **arrays)
    tmp.replace(path)
    return path


def load_saved_dataset(path: str | Path) -> Dataset:
    """Read a file written by :func:`save_dataset`."""
    path = Path(path)
    if not path.is_file():
        raise TfcError(f"saved dataset '{path}' not found", "run the data stage again to recreate it")
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["__meta__"]))
            arrays = {k: z[k] for k in _ARRAYS}
    except (KeyError, ValueError, OSError) as err:
        raise TfcError(
            f"'{path}' is not a dataset saved by tfcompress ({err})", "delete it and rerun the data stage"
        ) from err
    if meta.get("format") != _FORMAT:
        raise TfcError(f"'{path}' has dataset format {meta.get('format')}", "delete it and rerun")
    return Dataset(
        name=meta["name"],
        task=meta["task"],
        num_outputs=int(meta["num_outputs"]),
        metric=meta["metric"],
        class_names=list(meta["class_names"]),
        target_scale=float(meta["target_scale"]),
        target_names=list(meta["target_names"]),
        params=dict(meta["params"]),
        **arrays,
    )


def split_indices(
    n: int, fractions: tuple[float, float], seed: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic (train, val, test) index arrays; stratified when ``labels`` given.

    ``fractions`` = (val_frac, test_frac); split sizes are ``round(n * frac)``. With
    labels, samples are ordered so that every prefix holds each class in proportion
    (position within its shuffled class / class size), then cut into test, val, train.
    """
    val_frac, test_frac = fractions
    if val_frac < 0 or test_frac < 0 or val_frac + test_frac >= 1:
        raise TfcError(
            f"invalid split fractions val={val_frac}, test={test_frac}",
            "use fractions ≥ 0 whose sum is below 1",
        )
    rng = np.random.default_rng(seed)
    if labels is None:
        order = rng.permutation(n)
    else:
        rank = np.empty(n, np.float64)
        for c in np.unique(labels):
            members = rng.permutation(np.flatnonzero(labels == c))
            rank[members] = (np.arange(len(members)) + rng.uniform(0, 1, len(members))) / len(members)
        order = np.argsort(rank, kind="stable")
    n_test, n_val = int(round(n * test_frac)), int(round(n * val_frac))
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return tuple(np.sort(p).astype(np.int64) for p in (train, val, test))  # type: ignore[return-value]


def to_images(x: np.ndarray, what: str) -> np.ndarray:
    """Normalise an image array to float32 NHWC in [0, 1].

    uint8 (and other integers in 0..255) is divided by 255, uint16 by 65535; 3-D input
    (N, H, W) gets a channel axis. Floats must already be in [0, 1] (or [0, 255]).
    """
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise TfcError(f"{what}: images must be (N, H, W) or (N, H, W, C), got shape {x.shape}",
                       "reshape the array to NHWC")
    if x.dtype == np.uint8:
        return (x.astype(np.float32) / 255.0).astype(np.float32)
    if x.dtype == np.uint16:
        return (x.astype(np.float32) / 65535.0).astype(np.float32)
    if np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_:
        if x.size and (x.min() < 0 or x.max() > 255):
            raise TfcError(f"{what}: integer images must be in 0..255",
                           "store uint8 images or float images in [0, 1]")
        return (x.astype(np.float32) / (1.0 if x.dtype == np.bool_ else 255.0)).astype(np.float32)
    x = x.astype(np.float32)
    if x.size and (x.min() < 0 or x.max() > 1):
        if x.min() >= 0 and x.max() <= 255:
            return (x / 255.0).astype(np.float32)
        raise TfcError(f"{what}: float images must be in [0, 1] or [0, 255]",
                       f"rescale the data (found range {x.min():.3g}..{x.max():.3g})")
    return x


def to_labels(y: np.ndarray, what: str) -> np.ndarray:
    """Class ids as int64 (accepts one-hot or (N, 1))."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    y = y.reshape(len(y))
    if not (np.issubdtype(y.dtype, np.integer) or np.all(np.mod(y, 1) == 0)):
        raise TfcError(f"{what}: labels must be integer class ids", "store class ids (0..C-1) or one-hot rows")
    return y.astype(np.int64)
