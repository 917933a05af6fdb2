"""MNIST-style IDX files (``idx:DIR`` or ``idx:PREFIX``), parsed here (gz or plain)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.data.common import classification_dataset
from tfcompress.data.dataset import Dataset
from tfcompress.errors import TfcError

#: IDX type code -> big-endian NumPy dtype
_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_ROLES = {
    ("train", "images"): ("train", "images"),
    ("train", "labels"): ("train", "labels"),
    ("t10k", "images"): ("test", "images"),
    ("t10k", "labels"): ("test", "labels"),
    ("test", "images"): ("test", "images"),
    ("test", "labels"): ("test", "labels"),
}
_LAYOUT = "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (.gz ok)"


def read_idx(path: str | Path) -> np.ndarray:
    """Parse one IDX file: 2 zero bytes, type code, ndim, ndim big-endian uint32 sizes, data."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise TfcError(f"cannot read IDX file '{path}' ({err})", "check the file is a valid (gzipped) IDX file") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise TfcError(f"'{path}' is not an IDX file (bad magic number)",
                       "use the original MNIST-format files (magic 0x00000801 / 0x00000803)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise TfcError(f"'{path}' is truncated (header)", "download the file again")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_DTYPES[raw[2]])
    count = int(np.prod(dims)) if dims else 1
    if len(raw) - header < count * dtype.itemsize:
        raise TfcError(f"'{path}' is truncated: header says {dims}", "download the file again")
    data = np.frombuffer(raw, dtype, count=count, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


def find_idx_files(location: str) -> dict[tuple[str, str], Path]:
    """Find the four files under a directory or matching a path prefix."""
    loc = Path(location).expanduser()
    if loc.is_dir():
        folder, prefix = loc, ""
    else:
        folder, prefix = loc.parent, loc.name
    if not folder.is_dir():
        raise TfcError(f"IDX location '{location}' not found", f"point idx: at a directory holding {_LAYOUT}")
    found: dict[tuple[str, str], Path] = {}
    for f in sorted(folder.iterdir()):
        if not f.is_file() or not f.name.startswith(prefix) or "idx" not in f.name:
            continue
        rest = f.name[len(prefix):].lower().replace("_", "-").replace(".", "-")
        parts = rest.split("-")
        for (split_word, kind), role in _ROLES.items():
            if split_word in parts and kind in parts:
                found.setdefault(role, f)
    return found


def load_idx(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """MNIST-format train and test files; validation carved from train (stratified)."""
    files = find_idx_files(str(arg))
    missing = [f"{s} {k}" for s in ("train", "test") for k in ("images", "labels") if (s, k) not in files]
    if missing:
        raise TfcError(f"IDX files missing under '{arg}': {', '.join(missing)}", f"provide {_LAYOUT}")
    arrays = {role: read_idx(p) for role, p in files.items()}
    train = (arrays[("train", "images")], arrays[("train", "labels")])
    test = (arrays[("test", "images")], arrays[("test", "labels")])
    return classification_dataset(f"idx:{Path(str(arg)).name}", train, test, None, seed=seed, params=params)
