"""Detection datasets users have: Pascal VOC XML folders and COCO JSON files.

Images are resized to ``size`` x ``size`` RGB (boxes scale with them) and split with
:func:`tfcompress.data.dataset.split_indices`; labels are :mod:`tfcompress.detect.boxes` rows.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.data.dataset import Dataset, split_indices
from tfcompress.data.params import ParamSpec
from tfcompress.errors import TfcError

FILE_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("size", int, 96, "resize images to size x size", minimum=16, maximum=640),
    ParamSpec("max_objects", int, 10, "most objects kept per image (largest first)", minimum=1, maximum=100),
    ParamSpec("val_frac", float, 0.1, "fraction of the data held out for validation", minimum=0.0, maximum=0.9),
    ParamSpec("test_frac", float, 0.2, "fraction held out for testing", minimum=0.0, maximum=0.9),
)
_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")

#: one image: path, (width, height) in the annotation, [(class name, x0, y0, x1, y1) in pixels]
Item = tuple[Path, tuple[float, float] | None, list[tuple[str, float, float, float, float]]]


def _load_image(path: Path, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    from PIL import Image

    try:
        with Image.open(path) as im:
            wh = im.size
            arr = np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR), np.float32) / 255.0
    except (OSError, ValueError) as err:
        raise TfcError(f"cannot read image '{path}': {err}", "check the file is a PNG/JPEG/BMP image") from None
    return arr, wh


def _text(node: ET.Element, tag: str, where: Path) -> str:
    child = node.find(tag)
    if child is None or child.text is None:
        raise TfcError(f"{where}: <{node.tag}> has no <{tag}>", "each object needs <name> and <bndbox> with "
                       "xmin, ymin, xmax, ymax")
    return child.text.strip()


def voc_items(root: Path) -> list[Item]:
    """Annotations of a VOC folder (``Annotations/*.xml`` + ``JPEGImages/``, or XML beside the images)."""
    ann_dir = root / "Annotations" if (root / "Annotations").is_dir() else root
    xmls = sorted(ann_dir.glob("*.xml"))
    if not xmls:
        raise TfcError(f"no VOC annotations (*.xml) in '{ann_dir}'", "point voc:DIR at a folder with "
                       "Annotations/ and JPEGImages/ (or XML files beside their images)")
    items: list[Item] = []
    for xml in xmls:
        try:
            tree = ET.parse(xml).getroot()
        except ET.ParseError as err:
            raise TfcError(f"{xml} is not valid XML ({err})", "fix or remove the file") from None
        name = _text(tree, "filename", xml)
        img = next((p for p in (root / "JPEGImages" / name, xml.parent / name) if p.is_file()), None)
        if img is None:
            raise TfcError(f"{xml}: image '{name}' not found", f"put it in {root / 'JPEGImages'} or beside the XML")
        size = tree.find("size")
        wh = (float(_text(size, "width", xml)), float(_text(size, "height", xml))) if size is not None else None
        objs = []
        for obj in tree.iter("object"):
            box = obj.find("bndbox")
            if box is None:
                raise TfcError(f"{xml}: an <object> has no <bndbox>", "add xmin, ymin, xmax, ymax")
            objs.append((_text(obj, "name", xml), *(float(_text(box, t, xml)) for t in ("xmin", "ymin", "xmax", "ymax"))))
        items.append((img, wh, objs))
    return items


def coco_items(path: Path, image_dir: Path | None = None) -> tuple[list[Item], list[str]]:
    """Annotations of a COCO JSON file (images found beside it or under ``images/``)."""
    try:
        doc = json.loads(path.read_text())
        cats = {int(c["id"]): str(c["name"]) for c in doc["categories"]}
        images = {int(i["id"]): i for i in doc["images"]}
        anns = doc.get("annotations", [])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise TfcError(f"'{path}' is not a COCO detection file ({err})",
                       "give a JSON with images, annotations and categories") from None
    per_image: dict[int, list[tuple[str, float, float, float, float]]] = {i: [] for i in images}
    for a in anns:
        x, y, w, h = (float(v) for v in a["bbox"])
        per_image[int(a["image_id"])].append((cats[int(a["category_id"])], x, y, x + w, y + h))
    base = image_dir or path.parent
    items: list[Item] = []
    for i in sorted(images):
        rec = images[i]
        img = next((p for p in (base / rec["file_name"], base / "images" / rec["file_name"]) if p.is_file()), None)
        if img is None:
            raise TfcError(f"{path}: image '{rec['file_name']}' not found", f"put the images beside the JSON or in {base / 'images'}")
        items.append((img, (float(rec["width"]), float(rec["height"])) if "width" in rec else None, per_image[i]))
    return items, [cats[c] for c in sorted(cats)]


def _dataset(name: str, items: list[Item], class_names: list[str], seed: int, params: dict[str, Any]) -> Dataset:
    size, max_obj = params["size"], params["max_objects"]
    index = {c: k for k, c in enumerate(class_names)}
    xs, ys = [], []
    for path, wh, objs in items:
        img, real_wh = _load_image(path, size)
        w, h = wh or real_wh
        rows = np.full((max_obj, 5), -1, np.float32)
        objs = sorted(objs, key=lambda o: -(o[3] - o[1]) * (o[4] - o[2]))[:max_obj]
        for k, (cls, x0, y0, x1, y1) in enumerate(objs):
            rows[k] = (index[cls], x0 / w, y0 / h, x1 / w, y1 / h)
        rows[:, 1:] = np.where(rows[:, :1] >= 0, np.clip(rows[:, 1:], 0, 1), -1)
        xs.append(img)
        ys.append(rows)
    x, y = np.stack(xs), np.stack(ys)
    tr, va, te = split_indices(len(x), (params["val_frac"], params["test_frac"]), seed)
    return Dataset(name=name, task="detection", num_outputs=len(class_names), metric="map50",
                   class_names=class_names, target_scale=float(size), params={"seed": seed, **params},
                   x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x[te], y_test=y[te])


def load_voc(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """The ``voc:DIR`` source."""
    root = Path(str(arg))
    if not root.is_dir():
        raise TfcError(f"VOC folder '{root}' not found", "write the source as voc:DIR with an existing folder")
    items = voc_items(root)
    names = sorted({o[0] for _, _, objs in items for o in objs})
    return _dataset(f"voc:{root.name}", items, names, seed, params)


def load_coco(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """The ``coco:FILE.json`` source."""
    path = Path(str(arg))
    if not path.is_file():
        raise TfcError(f"COCO file '{path}' not found", "write the source as coco:PATH.json")
    items, names = coco_items(path)
    return _dataset(f"coco:{path.stem}", items, names, seed, params)
