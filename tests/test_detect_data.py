"""Detection datasets: the procedural shapes source and the Pascal VOC / COCO JSON loaders."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tfcompress.data.registry import load_dataset
from tfcompress.errors import TfcError

SMALL = {"n_train": 12, "n_val": 4, "n_test": 4, "size": 48}


def test_shapes_are_deterministic_and_boxes_valid():
    a = load_dataset("synthetic-shapes", seed=3, **SMALL)
    b = load_dataset("synthetic-shapes", seed=3, **SMALL)
    c = load_dataset("synthetic-shapes", seed=4, **SMALL)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(a.split(split)[0], b.split(split)[0])
        np.testing.assert_array_equal(a.split(split)[1], b.split(split)[1])
    assert not np.array_equal(a.x_train, c.x_train)
    # a split does not depend on the size of the others
    d = load_dataset("synthetic-shapes", seed=3, **{**SMALL, "n_train": 20})
    np.testing.assert_array_equal(a.x_test, d.x_test)
    assert a.task == "detection" and a.metric == "map50" and a.target_scale == 48
    assert a.x_train.shape == (12, 48, 48, 3) and a.y_train.shape == (12, 3, 5)
    y = a.y_train.reshape(-1, 5)
    real = y[y[:, 0] >= 0]
    assert len(real) >= 12 and set(real[:, 0].astype(int)) <= set(range(len(a.class_names)))
    assert np.all((real[:, 1:] >= 0) & (real[:, 1:] <= 1))
    assert np.all(real[:, 3] > real[:, 1]) and np.all(real[:, 4] > real[:, 2])
    # padding rows are all -1
    assert np.all(y[y[:, 0] < 0] == -1)


def _write_png(path, rgb, w, h):
    from PIL import Image

    Image.fromarray(np.full((h, w, 3), rgb, np.uint8)).save(path)


def test_voc_folder(tmp_path):
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "JPEGImages").mkdir()
    for i in range(6):
        _write_png(tmp_path / "JPEGImages" / f"im{i}.png", (10 * i, 0, 0), 80, 40)
        objs = "".join(
            f"<object><name>{name}</name><bndbox><xmin>{x0}</xmin><ymin>4</ymin><xmax>{x0 + 20}</xmax>"
            f"<ymax>24</ymax></bndbox></object>" for name, x0 in (("car", 8), ("person", 40))[: 1 + i % 2])
        (tmp_path / "Annotations" / f"im{i}.xml").write_text(
            f"<annotation><filename>im{i}.png</filename><size><width>80</width><height>40</height>"
            f"<depth>3</depth></size>{objs}</annotation>")
    ds = load_dataset(f"voc:{tmp_path}", size=32, max_objects=3, val_frac=0.2, test_frac=0.2)
    assert ds.class_names == ["car", "person"] and ds.task == "detection" and ds.target_scale == 32
    assert ds.x_train.shape[1:] == (32, 32, 3)
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    assert y.shape == (6, 3, 5)
    cars = y[y[:, :, 0] == 0]
    np.testing.assert_allclose(cars[0, 1:], [8 / 80, 4 / 40, 28 / 80, 24 / 40], rtol=1e-6)
    assert (y[:, :, 0] == 1).sum() == 3


def test_coco_json(tmp_path):
    (tmp_path / "images").mkdir()
    images, anns = [], []
    for i in range(5):
        _write_png(tmp_path / "images" / f"{i}.png", (0, 20 * i, 0), 50, 50)
        images.append({"id": 10 + i, "file_name": f"{i}.png", "width": 50, "height": 50})
        anns.append({"id": i, "image_id": 10 + i, "category_id": 7, "bbox": [5, 10, 20, 25]})
    doc = {"images": images, "annotations": anns, "categories": [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}]}
    (tmp_path / "train.json").write_text(json.dumps(doc))
    ds = load_dataset(f"coco:{tmp_path / 'train.json'}", size=25, val_frac=0.2, test_frac=0.2)
    assert ds.class_names == ["cat", "dog"] and ds.y_train.shape[1:] == (10, 5)
    row = ds.y_train[0, 0]
    np.testing.assert_allclose(row, [1, 0.1, 0.2, 0.5, 0.7], rtol=1e-6)


def test_loader_errors_name_the_cause(tmp_path):
    with pytest.raises(TfcError, match="no VOC annotations"):
        load_dataset(f"voc:{tmp_path}")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(TfcError, match="not a COCO detection file"):
        load_dataset(f"coco:{tmp_path / 'bad.json'}")
    (tmp_path / "a.xml").write_text("<annotation><filename>missing.png</filename></annotation>")
    with pytest.raises(TfcError, match="image 'missing.png' not found"):
        load_dataset(f"voc:{tmp_path}")
