"""``keras:NAME`` — tf_keras.datasets (mnist, fashion_mnist, cifar10), download or cache only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tfcompress.data.common import classification_dataset
from tfcompress.data.dataset import Dataset
from tfcompress.errors import TfcError, unknown

#: name -> (class names, how to provide the files when offline)
KERAS_SETS: dict[str, tuple[list[str], str]] = {
    "mnist": (
        [str(i) for i in range(10)],
        "download mnist.npz on a machine with internet and use 'npz:PATH/mnist.npz', "
        "or copy it to ~/.keras/datasets/mnist.npz",
    ),
    "fashion_mnist": (
        ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"],
        "download the four *-ubyte.gz files elsewhere and use 'idx:DIR', "
        "or copy them to ~/.keras/datasets/fashion-mnist/",
    ),
    "cifar10": (
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
        "download cifar-10-python.tar.gz elsewhere and copy it to ~/.keras/datasets/cifar-10-batches-py.tar.gz "
        "(or convert it to an .npz and use 'npz:PATH')",
    ),
}


def keras_loader(name: str) -> Callable[[], tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]]:
    """The ``load_data`` function of ``tf_keras.datasets.<name>`` (imports TensorFlow lazily)."""
    from tfcompress import tfenv

    return getattr(tfenv.keras().datasets, name).load_data


def load_keras(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """Load a Keras dataset from its cache (or the internet); a clear error when neither works."""
    name = str(arg)
    if name not in KERAS_SETS:
        raise unknown("keras dataset", name, KERAS_SETS)
    class_names, offline_fix = KERAS_SETS[name]
    try:
        (x_train, y_train), (x_test, y_test) = keras_loader(name)()
    except Exception as err:  # tf_keras raises a bare Exception on URL failures
        raise TfcError(f"could not load keras dataset '{name}' (no cached copy and no internet: {err})",
                       offline_fix) from err
    return classification_dataset(f"keras:{name}", (x_train, y_train), (x_test, y_test), None,
                                  seed=seed, params=params, class_names=class_names)
