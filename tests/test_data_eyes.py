"""The synthetic eye renderer and the synthetic-eyes / gaze-zones sources."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tfcompress.data import load_dataset
from tfcompress.data.eye_render import EyeConfig, render_eyes, sample_gaze

SMALL = {"n_train": 40, "n_val": 8, "n_test": 8}
CLEAN = EyeConfig(occlusion=0.0, blur=0.0, noise=0.0, glints=0, illumination=0.0, texture=False)


def _dark_centroid(img: np.ndarray, cx: float, cy: float, iris: float, pupil: float, radius: float) -> np.ndarray:
    """Centroid of 'pupil darkness' (coverage recovered from intensities) near (cx, cy)."""
    s = img.shape[0]
    yy, xx = np.mgrid[0:s, 0:s] + 0.5
    w = np.clip((iris - img) / (iris - pupil), 0.0, 1.0)
    w = w * (np.hypot(xx - cx, yy - cy) <= radius)
    return np.array([(w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()])


def test_same_seed_identical_different_seed_differs() -> None:
    a = load_dataset("synthetic-eyes", seed=3, **SMALL)
    b = load_dataset("synthetic-eyes", seed=3, **SMALL)
    c = load_dataset("synthetic-eyes", seed=4, **SMALL)
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(a.y_test, c.y_test)


def test_test_split_does_not_depend_on_train_size() -> None:
    a = load_dataset("synthetic-eyes", seed=1, n_train=10, n_val=4, n_test=6)
    b = load_dataset("synthetic-eyes", seed=1, n_train=30, n_val=4, n_test=6)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_test, b.y_test)


def test_shapes_dtypes_ranges() -> None:
    ds = load_dataset("synthetic-eyes", size=48, **SMALL)
    assert ds.task == "regression" and ds.metric == "pupil_error_px"
    assert ds.input_shape == (48, 48, 1) and ds.num_outputs == 2 and ds.target_scale == 48.0
    for split in ("train", "val", "test"):
        x, y = ds.split(split)
        assert x.dtype == np.float32 and y.dtype == np.float32
        assert x.min() >= 0.0 and x.max() <= 1.0 and x.std() > 0.05
        assert y.shape == (len(x), 2) and y.min() >= 0.0 and y.max() <= 1.0
    assert len(ds.x_train) == 40 and len(ds.x_val) == 8 and len(ds.x_test) == 8


def test_glint_targets_add_two_columns() -> None:
    ds = load_dataset("synthetic-eyes", glint_targets=True, **SMALL)
    assert ds.num_outputs == 4 and ds.y_train.shape == (40, 4)
    assert ds.target_names == ["pupil_x", "pupil_y", "glint_x", "glint_y"]
    # the first glint is a bright spot: the image is near white at its centre
    size = ds.input_shape[0]
    gx, gy = (ds.y_test[:, 2:] * size).astype(int).T
    assert np.median(ds.x_test[np.arange(len(gx)), gy, gx, 0]) > 0.7


def test_pupil_centres_keep_a_margin_from_the_edges() -> None:
    batch = render_eyes(sample_gaze(2000, np.random.default_rng(0)), EyeConfig(), 0)
    c = batch.pupil / 64
    assert c.min() > 0.2 and c.max() < 0.8
    # pupil (with its radius) is always fully inside the image
    r = batch.meta["pupil_r"]
    assert np.all(batch.pupil.min(axis=1) - r > 2) and np.all(batch.pupil.max(axis=1) + r < 62)


@pytest.mark.parametrize("ratio_off_axis", [0.0, 40.0])
def test_clean_pupil_centroid_matches_label(ratio_off_axis: float) -> None:
    """Anti-aliased rendering: the dark-pupil intensity centroid equals the label (< 0.3 px)."""
    cfg = replace(CLEAN, off_axis=ratio_off_axis)
    batch = render_eyes(sample_gaze(200, np.random.default_rng(5)), cfg, 5)
    m = batch.meta
    errors = []
    for i in range(len(batch.images)):
        cx, cy = batch.pupil[i]
        got = _dark_centroid(batch.images[i, :, :, 0], cx, cy, m["iris"][i], m["pupil"][i], m["pupil_r"][i] + 1.5)
        errors.append(np.hypot(*(got - batch.pupil[i])))
    assert max(errors) < 0.3, max(errors)
    assert np.mean(errors) < 0.1


def test_blurred_clean_pupil_centroid_matches_label() -> None:
    """Symmetric defocus/motion blur does not move the pupil centroid."""
    cfg = replace(CLEAN, blur=1.0)
    batch = render_eyes(sample_gaze(100, np.random.default_rng(9)), cfg, 9)
    m = batch.meta
    errors = []
    for i in range(len(batch.images)):
        cx, cy = batch.pupil[i]
        blur = max(m["blur_x"][i], m["blur_y"][i])
        got = _dark_centroid(batch.images[i, :, :, 0], cx, cy, m["iris"][i], m["pupil"][i],
                             m["pupil_r"][i] + 3 * blur)
        errors.append(np.hypot(*(got - batch.pupil[i])))
    assert np.median(errors) < 0.3


def test_occluded_label_is_geometric_centre_and_pupil_stays_mostly_visible() -> None:
    cfg = replace(CLEAN, occlusion=1.0)
    batch = render_eyes(sample_gaze(300, np.random.default_rng(2)), cfg, 2)
    m = batch.meta
    np.testing.assert_allclose(batch.pupil, np.stack([m["px"], m["py"]], 1), atol=1e-4)
    assert m["occluded"].all()
    assert m["visible"].min() >= 0.5  # never more than half of the pupil is hidden
    assert m["visible"].mean() < 0.95  # ...but occlusion really happens
    # the visible dark area is shifted away from the hidden side, the label is not
    shifts = []
    for i in range(len(batch.images)):
        cx, cy = batch.pupil[i]
        got = _dark_centroid(batch.images[i, :, :, 0], cx, cy, m["iris"][i], m["pupil"][i], m["pupil_r"][i] + 0.7)
        shifts.append(np.hypot(*(got - batch.pupil[i])))
    assert np.median(shifts) > 0.3


def test_hard_cases_happen_at_their_configured_rates() -> None:
    cfg = replace(EyeConfig(), occlusion=0.5, blur=0.4, glints=2)
    batch = render_eyes(sample_gaze(2000, np.random.default_rng(1)), cfg, 1)
    m = batch.meta
    assert abs(m["occluded"].mean() - 0.5) < 0.05
    assert abs((np.maximum(m["blur_x"], m["blur_y"]) > 0.5).mean() - 0.4) < 0.05
    assert set(np.unique(m["n_glints"])) == {1.0, 2.0}
    ratio = m["ratio"]
    assert ratio.min() < 0.85 and ratio.max() <= 1.0  # off-axis (elliptical) pupils
    r = m["pupil_r"] / m["iris_r"]
    assert r.min() < 0.3 and r.max() > 0.55  # constricted to dilated


def test_difficulty_presets_and_overrides() -> None:
    easy = load_dataset("synthetic-eyes", difficulty="easy", **SMALL)
    assert easy.params["difficulty"] == "easy"
    noisy = load_dataset("synthetic-eyes", difficulty="easy", noise=0.1, **SMALL)
    clean = load_dataset("synthetic-eyes", difficulty="easy", noise=0.0, **SMALL)
    hf = lambda x: np.abs(np.diff(x, axis=2)).mean()  # noqa: E731
    assert hf(noisy.x_train) > hf(clean.x_train)


def test_gaze_zones_balanced_with_names() -> None:
    ds = load_dataset("gaze-zones", n_train=90, n_val=18, n_test=27)
    assert ds.task == "classification" and ds.metric == "accuracy" and ds.num_outputs == 9
    assert ds.class_names[0] == "up-left" and ds.class_names[4] == "center" and ds.class_names[8] == "down-right"
    for split, n in (("train", 10), ("val", 2), ("test", 3)):
        _, y = ds.split(split)
        assert y.dtype == np.int64
        assert np.bincount(y, minlength=9).tolist() == [n] * 9
    four = load_dataset("gaze-zones", zones=4, n_train=40, n_val=8, n_test=8)
    assert four.class_names == ["up-left", "up-right", "down-left", "down-right"]
    assert np.bincount(four.y_train).tolist() == [10] * 4


def test_gaze_zone_labels_follow_pupil_position() -> None:
    """Zone columns go left to right, rows top to bottom in pupil position relative to the eye."""
    from tfcompress.data.eyes import zone_gaze

    labels = np.repeat(np.arange(9), 50)
    gaze = zone_gaze(labels, 9, np.random.default_rng(0))
    col, row = labels % 3, labels // 3
    for c in range(3):
        assert np.all(np.digitize(gaze[col == c, 0], [-1 / 3, 1 / 3]) == c)
    for r in range(3):
        assert np.all(np.digitize(gaze[row == r, 1], [-1 / 3, 1 / 3]) == r)
