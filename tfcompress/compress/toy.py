"""A tiny dataset and model for tests and benchmarks that must not depend on other packages.

:func:`digits` loads scikit-learn's 8x8 digits behind the same fields as
``tfcompress.data.Dataset``; :func:`small_cnn` builds a small tf_keras CNN that
ends in a ``Softmax`` named ``probs`` like the model zoo's classifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tfcompress.tfenv import keras, set_seed


@dataclass
class ToyDataset:
    """Dataset-like container (same field names as ``tfcompress.data.Dataset``)."""

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
    target_scale: float = 1.0

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def representative(self, n: int = 100, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(self.x_train), size=min(n, len(self.x_train)), replace=False)
        return self.x_train[idx]


def digits(seed: int = 0) -> ToyDataset:
    """scikit-learn digits, 8x8x1 in [0, 1], split 70/10/20."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[..., None]
    y = d.target.astype(np.int64)
    idx = np.random.default_rng(seed).permutation(len(x))
    x, y = x[idx], y[idx]
    n_tr, n_va = int(0.7 * len(x)), int(0.1 * len(x))
    return ToyDataset(
        "digits", "classification",
        x[:n_tr], y[:n_tr], x[n_tr:n_tr + n_va], y[n_tr:n_tr + n_va], x[n_tr + n_va:], y[n_tr + n_va:],
        num_outputs=10, metric="accuracy",
    )


def small_cnn(input_shape: tuple[int, ...], num_outputs: int, *, width: int = 16, seed: int = 0) -> Any:
    """Conv-BN-ReLU x2, a depthwise block, global pooling, Dense and ``probs`` Softmax."""
    set_seed(seed)
    L = keras().layers
    inp = keras().Input(shape=input_shape)
    x = L.Conv2D(width, 3, padding="same", use_bias=False, name="conv1")(inp)
    x = L.BatchNormalization(momentum=0.9, name="bn1")(x)
    x = L.ReLU(name="relu1")(x)
    x = L.Conv2D(2 * width, 3, padding="same", use_bias=False, name="conv2")(x)
    x = L.BatchNormalization(momentum=0.9, name="bn2")(x)
    x = L.ReLU(name="relu2")(x)
    x = L.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw3")(x)
    x = L.BatchNormalization(momentum=0.9, name="bn3")(x)
    x = L.ReLU(name="relu3")(x)
    x = L.Conv2D(2 * width, 1, name="pw3")(x)
    x = L.ReLU(name="relu4")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    x = L.Dense(num_outputs, name="logits")(x)
    out = L.Softmax(name="probs")(x)
    return keras().Model(inp, out, name="small_cnn")
