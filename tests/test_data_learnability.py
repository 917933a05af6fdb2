"""The default eye-gaze data is learnable: a small CNN reaches < 1 px in about two minutes.

Slow (trains a model). The model is built here from plain tf_keras layers so the
check does not depend on the model zoo: a heat-map head (1x1 conv -> softmax over
positions -> fixed-coordinate Dense) on a 4-conv body, ~16k parameters.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from tfcompress.data import load_dataset
from tfcompress.data.eye_render import EyeConfig, render_eyes, sample_gaze
from tfcompress.metrics import compute_metric


@pytest.mark.slow
def test_generation_speed() -> None:
    """8000 default 64x64 images in well under 10 s of CPU time."""
    gaze = sample_gaze(8000, np.random.default_rng(0))
    start = time.process_time()
    render_eyes(gaze, EyeConfig(), 0)
    assert time.process_time() - start < 10.0


def _soft_argmax_cnn(input_shape: tuple[int, int, int]):  # -> tf_keras.Model
    from tfcompress import tfenv

    keras = tfenv.keras()
    L = keras.layers

    def block(x, filters: int, stride: int, dilation: int = 1):
        x = L.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, dilation_rate=dilation)(x)
        return L.ReLU()(L.BatchNormalization()(x))

    inp = keras.Input(input_shape)
    x = block(inp, 8, 2)
    x = block(x, 16, 2)
    x = block(x, 32, 1)
    x = block(x, 32, 1, 2)
    h, w = x.shape[1], x.shape[2]
    x = L.Softmax()(L.Flatten()(L.Conv2D(1, 1)(x)))
    yy, xx = np.mgrid[0:h, 0:w]
    coords = np.stack([(xx.ravel() + 0.5) / w, (yy.ravel() + 0.5) / h], 1).astype(np.float32)
    head = L.Dense(2, use_bias=False, trainable=False, name="regression")
    out = head(x)
    head.set_weights([coords])
    return keras.Model(inp, out)


@pytest.mark.slow
def test_small_cnn_reaches_one_pixel_on_default_eyes() -> None:
    from tfcompress import tfenv

    tfenv.set_seed(0)
    keras = tfenv.keras()
    ds = load_dataset("synthetic-eyes")  # the default recipe: 6000/1000/1000 at 64x64, hard cases on
    model = _soft_argmax_cnn(ds.input_shape)
    assert model.count_params() < 64 * 1024  # int8 weights fit in 64 KB
    epochs, batch = 15, 64
    steps = epochs * (len(ds.x_train) // batch)
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(3e-3, steps)), loss="mse")
    model.fit(ds.x_train, ds.y_train, batch_size=batch, epochs=epochs, verbose=0)
    err = compute_metric("pupil_error_px", ds.y_test, model.predict(ds.x_test, verbose=0), ds.target_scale)
    assert err <= 1.0, err
