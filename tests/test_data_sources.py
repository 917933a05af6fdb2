"""The source registry, parameter validation, digits, the Dataset container and its cache."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfcompress.data import Dataset, list_sources, load_dataset, load_saved_dataset, save_dataset
from tfcompress.data.dataset import split_indices
from tfcompress.errors import TfcError


def test_list_sources_describes_every_source() -> None:
    sources = {s["name"]: s for s in list_sources()}
    assert {"synthetic-eyes", "gaze-zones", "digits", "npz", "folder", "idx", "keras"} <= set(sources)
    for s in sources.values():
        assert s["task"] in ("classification", "regression", "detection")
        assert s["shape"] and s["description"]
    assert sources["synthetic-shapes"]["task"] == "detection"
    assert sources["npz"]["usage"] == "npz:PATH"
    assert sources["synthetic-eyes"]["params"]["size"]["default"] == 64


def test_unknown_source_lists_valid_sources() -> None:
    with pytest.raises(TfcError) as err:
        load_dataset("cats")
    assert "unknown dataset source 'cats'" in err.value.what
    assert "synthetic-eyes" in err.value.fix and "npz:PATH" in err.value.fix


def test_unknown_param_names_it_and_the_allowed_ones() -> None:
    with pytest.raises(TfcError) as err:
        load_dataset("digits", colour=True)
    assert "'colour'" in err.value.what and "digits" in err.value.what
    assert "size" in err.value.fix and "val_frac" in err.value.fix


@pytest.mark.parametrize(
    ("source", "params", "needle"),
    [
        ("synthetic-eyes", {"size": "big"}, "'size'"),
        ("synthetic-eyes", {"difficulty": "insane"}, "'difficulty'"),
        ("synthetic-eyes", {"occlusion": 1.5}, "'occlusion'"),
        ("gaze-zones", {"zones": 6}, "'zones'"),
        ("digits", {"size": 2.5}, "'size'"),
        ("synthetic-eyes", {"texture": "maybe"}, "'texture'"),
    ],
)
def test_bad_param_values_are_named(source: str, params: dict, needle: str) -> None:
    with pytest.raises(TfcError) as err:
        load_dataset(source, **params)
    assert needle in err.value.what


def test_argument_rules() -> None:
    with pytest.raises(TfcError, match="needs an argument"):
        load_dataset("npz")
    with pytest.raises(TfcError, match="takes no argument"):
        load_dataset("digits:foo")


def test_string_params_are_coerced() -> None:
    ds = load_dataset("synthetic-eyes", size="32", n_train="8", n_val=2, n_test=2, texture="false")
    assert ds.input_shape == (32, 32, 1) and len(ds.x_train) == 8 and ds.params["texture"] is False


def test_digits_real_data_stratified_deterministic() -> None:
    ds = load_dataset("digits")
    assert ds.input_shape == (8, 8, 1) and ds.num_outputs == 10 and ds.class_names[3] == "3"
    total = len(ds.x_train) + len(ds.x_val) + len(ds.x_test)
    assert total == 1797
    assert abs(len(ds.x_test) / total - 0.2) < 0.01 and abs(len(ds.x_val) / total - 0.1) < 0.01
    for split in ("train", "val", "test"):
        x, y = ds.split(split)
        assert x.dtype == np.float32 and y.dtype == np.int64 and 0 <= x.min() and x.max() <= 1
        counts = np.bincount(y, minlength=10) / len(y)
        assert counts.min() > 0.08 and counts.max() < 0.12  # stratified
    again = load_dataset("digits")
    np.testing.assert_array_equal(ds.x_test, again.x_test)
    other = load_dataset("digits", seed=1)
    assert not np.array_equal(ds.y_test, other.y_test)
    # splits are disjoint: no test image appears in train
    train_rows = {r.tobytes() for r in ds.x_train}
    assert sum(r.tobytes() in train_rows for r in ds.x_test) < 5  # (a few duplicate digits exist)


def test_digits_resize() -> None:
    ds = load_dataset("digits", size=16)
    assert ds.input_shape == (16, 16, 1) and ds.x_train.dtype == np.float32
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0 and ds.x_train.max() > 0.9


def test_representative_is_seeded_train_subset() -> None:
    ds = load_dataset("digits")
    a, b, c = ds.representative(50, seed=1), ds.representative(50, seed=1), ds.representative(50, seed=2)
    assert a.shape == (50, 8, 8, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    train_rows = {r.tobytes() for r in ds.x_train}
    assert all(r.tobytes() in train_rows for r in a)
    assert len(ds.representative(10_000)) == len(ds.x_train)


@pytest.mark.parametrize("source", ["digits", "synthetic-eyes"])
def test_save_and_load_round_trip(tmp_path, source: str) -> None:
    params = {"n_train": 12, "n_val": 3, "n_test": 3, "glint_targets": True} if source != "digits" else {}
    ds = load_dataset(source, seed=2, **params)
    path = save_dataset(ds, tmp_path / "data" / "dataset.npz")
    back = load_saved_dataset(path)
    assert isinstance(back, Dataset)
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        got, want = getattr(back, name), getattr(ds, name)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    assert back.summary() == ds.summary()


def test_load_saved_dataset_errors(tmp_path) -> None:
    with pytest.raises(TfcError, match="not found"):
        load_saved_dataset(tmp_path / "nope.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(TfcError, match="not a dataset saved by tfcompress"):
        load_saved_dataset(tmp_path / "other.npz")


def test_dataset_validates_its_arrays() -> None:
    x = np.zeros((4, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match="int64"):
        Dataset("t", "classification", x, np.zeros(4, np.int32), x, np.zeros(4, np.int64), x,
                np.zeros(4, np.int64), 2, "accuracy")
    with pytest.raises(ValueError, match="rows"):
        Dataset("t", "classification", x, np.zeros(3, np.int64), x, np.zeros(4, np.int64), x,
                np.zeros(4, np.int64), 2, "accuracy")
    with pytest.raises(TfcError, match="unknown split"):
        Dataset("t", "classification", x, np.zeros(4, np.int64), x, np.zeros(4, np.int64), x,
                np.zeros(4, np.int64), 2, "accuracy").split("holdout")


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    val=st.floats(0.0, 0.45),
    test=st.floats(0.0, 0.45),
    classes=st.integers(1, 7),
    seed=st.integers(0, 2**31),
)
def test_split_indices_partition_property(n: int, val: float, test: float, classes: int, seed: int) -> None:
    labels = np.random.default_rng(seed).integers(0, classes, n)
    for lab in (None, labels):
        tr, va, te = split_indices(n, (val, test), seed, lab)
        allidx = np.concatenate([tr, va, te])
        assert sorted(allidx.tolist()) == list(range(n))  # disjoint and complete
        assert len(te) == round(n * test) and len(va) == round(n * val)
        again = split_indices(n, (val, test), seed, lab)
        assert all(np.array_equal(a, b) for a, b in zip((tr, va, te), again, strict=True))
    if classes > 1 and len(te) >= 20:
        # stratified: each class's count in the test split is near its expectation (the proven
        # bound of the rank construction is 1 + classes * class share; unstratified is ~sqrt(n))
        for c in range(classes):
            share = (labels == c).mean()
            assert abs((labels[te] == c).sum() - share * len(te)) <= 1.0 + classes * share + 1e-9
