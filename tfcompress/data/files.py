"""User data: ``npz:PATH`` arrays and ``folder:DIR`` image folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.data.common import classification_dataset
from tfcompress.data.dataset import Dataset
from tfcompress.errors import TfcError

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".pgm", ".ppm", ".webp"}
_NPZ_LAYOUTS = "x_train, y_train, x_test, y_test (optionally x_val, y_val), or x, y"


def _existing(path: str, what: str, is_dir: bool = False) -> Path:
    p = Path(path).expanduser()
    if not (p.is_dir() if is_dir else p.is_file()):
        raise TfcError(f"{what} '{path}' not found", f"check the path (relative paths start at {Path.cwd()})")
    return p


def load_npz(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """Arrays from a .npz with explicit splits or a single ``x``, ``y`` pair split here."""
    path = _existing(str(arg), "npz file")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (ValueError, OSError) as err:
        raise TfcError(f"cannot read '{path}' as .npz ({err})", "save it with numpy.savez") from err
    keys = set(data)
    name = f"npz:{path.name}"
    if {"x_train", "y_train", "x_test", "y_test"} <= keys:
        val = (data["x_val"], data["y_val"]) if {"x_val", "y_val"} <= keys else None
        return classification_dataset(name, (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"]),
                                      val, seed=seed, params=params)
    if {"x", "y"} <= keys:
        return classification_dataset(name, (data["x"], data["y"]), None, None, seed=seed, params=params)
    raise TfcError(f"'{path}' has keys {', '.join(sorted(keys)) or '(none)'}",
                   f"store the arrays under the keys {_NPZ_LAYOUTS}")


def _read_image(path: Path, size: int, mode: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert(mode)
            if size:
                img = img.resize((size, size), Image.BILINEAR)
            return np.asarray(img, np.uint8)
    except (UnidentifiedImageError, OSError) as err:
        raise TfcError(f"cannot read image '{path}' ({err})", "remove or replace the file") from err


def _mode(path: Path) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return str(img.mode)
    except (UnidentifiedImageError, OSError) as err:
        raise TfcError(f"cannot read image '{path}' ({err})", "remove or replace the file") from err


def load_folder(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """Images in ``DIR/<class>/*.png``; class ids follow the sorted sub-folder names."""
    root = _existing(str(arg), "image folder", is_dir=True)
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    files = {c: sorted(f for f in (root / c).iterdir() if f.suffix.lower() in _IMAGE_SUFFIXES) for c in classes}
    files = {c: f for c, f in files.items() if f}
    if len(files) < 2:
        raise TfcError(f"'{root}' needs at least two sub-folders with images (one per class), found {len(files)}",
                       "lay the data out as DIR/<class name>/<image files>")
    classes = sorted(files)
    channels = int(params["channels"])
    if channels == 0:
        gray = all(_mode(f) in ("1", "L", "I;16", "I", "F") for c in classes for f in files[c])
        channels = 1 if gray else 3
    mode = "L" if channels == 1 else "RGB"
    size = int(params["size"])
    images, labels = [], []
    for cid, c in enumerate(classes):
        for f in files[c]:
            images.append(_read_image(f, size, mode))
            labels.append(cid)
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        raise TfcError(f"images in '{root}' have different sizes {sorted(shapes)[:3]}",
                       "set the size parameter to resize them, e.g. size=32")
    x = np.stack(images)
    return classification_dataset(f"folder:{root.name}", (x, np.array(labels, np.int64)), None, None,
                                  seed=seed, params=params, class_names=classes)
