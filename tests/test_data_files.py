"""User data loaders: npz, image folders, IDX files and Keras datasets (never the network)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from tfcompress.data import load_dataset
from tfcompress.data.idx import read_idx
from tfcompress.errors import TfcError


def _images(n: int, h: int = 6, w: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, h, w), dtype=np.uint8), (np.arange(n) % 3).astype(np.int64)


# --- npz -------------------------------------------------------------------------------------

def test_npz_with_explicit_splits(tmp_path: Path) -> None:
    xtr, ytr = _images(30)
    xte, yte = _images(9, seed=1)
    np.savez(tmp_path / "d.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    ds = load_dataset(f"npz:{tmp_path / 'd.npz'}", val_frac=0.2)
    assert ds.input_shape == (6, 6, 1) and ds.num_outputs == 3
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    np.testing.assert_allclose(ds.x_test[..., 0], xte / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_test, yte)
    assert len(ds.x_val) == 6 and len(ds.x_train) == 24  # val carved from train, stratified
    assert np.bincount(ds.y_val).tolist() == [2, 2, 2]


def test_npz_with_val_split_and_one_hot(tmp_path: Path) -> None:
    xtr, ytr = _images(12)
    np.savez(tmp_path / "d.npz", x_train=xtr[..., None], y_train=np.eye(3)[ytr], x_test=xtr, y_test=ytr,
             x_val=xtr[:3], y_val=ytr[:3])
    ds = load_dataset(f"npz:{tmp_path / 'd.npz'}")
    assert len(ds.x_train) == 12 and len(ds.x_val) == 3
    np.testing.assert_array_equal(ds.y_train, ytr)


def test_npz_x_y_is_split_deterministically(tmp_path: Path) -> None:
    x, y = _images(60)
    np.savez(tmp_path / "xy.npz", x=x, y=y)
    a = load_dataset(f"npz:{tmp_path / 'xy.npz'}", seed=0)
    b = load_dataset(f"npz:{tmp_path / 'xy.npz'}", seed=0)
    c = load_dataset(f"npz:{tmp_path / 'xy.npz'}", seed=1)
    assert (len(a.x_train), len(a.x_val), len(a.x_test)) == (42, 6, 12)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_test, c.x_test)
    assert np.bincount(a.y_test).tolist() == [4, 4, 4]


def test_npz_errors(tmp_path: Path) -> None:
    with pytest.raises(TfcError) as err:
        load_dataset(f"npz:{tmp_path / 'missing.npz'}")
    assert "not found" in err.value.what
    np.savez(tmp_path / "bad.npz", images=np.zeros((3, 4, 4)), labels=np.zeros(3))
    with pytest.raises(TfcError) as err:
        load_dataset(f"npz:{tmp_path / 'bad.npz'}")
    assert "images, labels" in err.value.what and "x_train" in err.value.fix
    np.savez(tmp_path / "mismatch.npz", x=np.zeros((5, 4, 4), np.uint8), y=np.zeros(4))
    with pytest.raises(TfcError, match="rows"):
        load_dataset(f"npz:{tmp_path / 'mismatch.npz'}")
    np.savez(tmp_path / "range.npz", x=np.full((5, 4, 4), 1000.0), y=np.zeros(5))
    with pytest.raises(TfcError, match=r"\[0, 1\]"):
        load_dataset(f"npz:{tmp_path / 'range.npz'}")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(TfcError, match="cannot read"):
        load_dataset(f"npz:{tmp_path / 'junk.npz'}")


# --- image folders ---------------------------------------------------------------------------

def _write_folder(root: Path, per_class: int = 6, size: int = 10, mode: str = "L") -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in ("cat", "dog"):
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            shape = (size, size) if mode == "L" else (size, size, 3)
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(root / c / f"{i}.png")


def test_folder_loader(tmp_path: Path) -> None:
    _write_folder(tmp_path / "imgs")
    ds = load_dataset(f"folder:{tmp_path / 'imgs'}", val_frac=0.2, test_frac=0.2)
    assert ds.class_names == ["cat", "dog"] and ds.input_shape == (10, 10, 1)
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 12
    assert ds.x_train.dtype == np.float32 and 0 <= ds.x_train.min() and ds.x_train.max() <= 1
    resized = load_dataset(f"folder:{tmp_path / 'imgs'}", size=5, channels=3)
    assert resized.input_shape == (5, 5, 3)


def test_folder_rgb_autodetected(tmp_path: Path) -> None:
    _write_folder(tmp_path / "rgb", mode="RGB")
    assert load_dataset(f"folder:{tmp_path / 'rgb'}").input_shape == (10, 10, 3)


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(TfcError, match="not found"):
        load_dataset(f"folder:{tmp_path / 'none'}")
    (tmp_path / "one" / "a").mkdir(parents=True)
    with pytest.raises(TfcError, match="two sub-folders"):
        load_dataset(f"folder:{tmp_path / 'one'}")
    from PIL import Image

    _write_folder(tmp_path / "mixed")
    Image.fromarray(np.zeros((7, 7), np.uint8)).save(tmp_path / "mixed" / "cat" / "odd.png")
    with pytest.raises(TfcError) as err:
        load_dataset(f"folder:{tmp_path / 'mixed'}")
    assert "different sizes" in err.value.what and "size" in err.value.fix
    assert load_dataset(f"folder:{tmp_path / 'mixed'}", size=8).input_shape == (8, 8, 1)
    (tmp_path / "mixed" / "dog" / "broken.png").write_bytes(b"not an image")
    with pytest.raises(TfcError) as err:
        load_dataset(f"folder:{tmp_path / 'mixed'}", size=8)
    assert "broken.png" in err.value.what and "remove" in err.value.fix


# --- IDX -------------------------------------------------------------------------------------

def _write_idx(path: Path, arr: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_directory(tmp_path: Path, compress: bool) -> None:
    xtr, ytr = _images(30, 5, 4)
    xte, yte = _images(6, 5, 4, seed=2)
    ext = ".gz" if compress else ""
    _write_idx(tmp_path / f"train-images-idx3-ubyte{ext}", xtr, compress)
    _write_idx(tmp_path / f"train-labels-idx1-ubyte{ext}", ytr, compress)
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{ext}", xte, compress)
    _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{ext}", yte, compress)
    np.testing.assert_array_equal(read_idx(tmp_path / f"t10k-images-idx3-ubyte{ext}"), xte)
    ds = load_dataset(f"idx:{tmp_path}")
    assert ds.input_shape == (5, 4, 1) and len(ds.x_test) == 6 and len(ds.x_train) + len(ds.x_val) == 30
    np.testing.assert_allclose(ds.x_test[..., 0], xte / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_test, yte)


def test_idx_prefix(tmp_path: Path) -> None:
    xtr, ytr = _images(12)
    for split, (x, y) in (("train", (xtr, ytr)), ("test", (xtr[:3], ytr[:3]))):
        _write_idx(tmp_path / f"emnist-{split}-images-idx3-ubyte", x, False)
        _write_idx(tmp_path / f"emnist-{split}-labels-idx1-ubyte", y, False)
    _write_idx(tmp_path / "other-train-images-idx3-ubyte", xtr[:1], False)  # ignored: other prefix
    ds = load_dataset(f"idx:{tmp_path / 'emnist-'}")
    assert len(ds.x_test) == 3


def test_idx_errors(tmp_path: Path) -> None:
    with pytest.raises(TfcError, match="not found"):
        load_dataset(f"idx:{tmp_path / 'nowhere' / 'x-'}")
    xtr, ytr = _images(6)
    _write_idx(tmp_path / "train-images-idx3-ubyte", xtr, False)
    with pytest.raises(TfcError) as err:
        load_dataset(f"idx:{tmp_path}")
    assert "train labels" in err.value.what and "test images" in err.value.what
    bad = tmp_path / "bad-idx"
    bad.write_bytes(b"\x12\x34\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(TfcError, match="magic"):
        read_idx(bad)
    short = tmp_path / "short-idx"
    short.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\x01\x02")
    with pytest.raises(TfcError, match="truncated"):
        read_idx(short)


# --- Keras (offline) -------------------------------------------------------------------------

def _offline(name: str):
    def load_data():
        raise Exception(f"URL fetch failure on https://example.invalid/{name}: [Errno -3] no network")

    return load_data


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_keras_offline_error_says_how_to_provide_files(monkeypatch, name: str) -> None:
    import tfcompress.data.keras_sets as ks

    monkeypatch.setattr(ks, "keras_loader", _offline)
    with pytest.raises(TfcError) as err:
        load_dataset(f"keras:{name}")
    assert f"'{name}'" in err.value.what and "internet" in err.value.what
    assert "~/.keras/datasets" in err.value.fix
    assert ("npz:" in err.value.fix) or ("idx:" in err.value.fix)


def test_keras_loader_uses_cached_arrays(monkeypatch) -> None:
    import tfcompress.data.keras_sets as ks

    xtr, ytr = _images(20, 28, 28)
    xte, yte = _images(6, 28, 28, seed=3)
    monkeypatch.setattr(ks, "keras_loader", lambda name: lambda: ((xtr, ytr), (xte, yte)))
    ds = load_dataset("keras:mnist")
    assert ds.input_shape == (28, 28, 1) and len(ds.x_test) == 6 and ds.class_names[0] == "0"


def test_keras_unknown_name() -> None:
    with pytest.raises(TfcError) as err:
        load_dataset("keras:imagenet")
    assert "imagenet" in err.value.what and "mnist" in err.value.fix


def test_keras_real_download_path_fails_cleanly_offline(monkeypatch, tmp_path: Path) -> None:
    """The real tf_keras code path, with its download forced to fail and an empty cache."""
    from tfcompress import tfenv

    tfenv.keras()
    import tf_keras.src.datasets.mnist as mnist_mod

    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure: no network (test)")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(mnist_mod, "get_file", no_network)
    with pytest.raises(TfcError) as err:
        load_dataset("keras:mnist")
    assert "mnist.npz" in err.value.fix
