"""Task metrics."""

from __future__ import annotations

import numpy as np
import pytest

from tfcompress.errors import TfcError
from tfcompress.metrics import compute_metric, higher_is_better


def test_accuracy_from_ids_and_probabilities() -> None:
    y = np.array([0, 1, 2, 1])
    assert compute_metric("accuracy", y, np.array([0, 1, 1, 1])) == 0.75
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1]])
    assert compute_metric("accuracy", y, probs) == 0.75
    assert compute_metric("accuracy", np.eye(3)[y], probs) == 0.75  # one-hot truth
    assert compute_metric("accuracy", y.reshape(-1, 1), y) == 1.0  # (N, 1) ids


def test_pupil_error_in_pixels() -> None:
    t = np.array([[0.5, 0.5], [0.25, 0.25]], np.float32)
    p = np.array([[0.5 + 3 / 64, 0.5 + 4 / 64], [0.25, 0.25]], np.float32)
    assert compute_metric("pupil_error_px", t, p, target_scale=64) == pytest.approx(2.5, abs=1e-5)
    assert compute_metric("pupil_error_px", t, p) == pytest.approx(5 / 64 / 2, abs=1e-6)
    # extra target columns (glints) are ignored: the metric is the pupil centre
    t4 = np.concatenate([t, np.zeros_like(t)], axis=1)
    p4 = np.concatenate([p, np.ones_like(p)], axis=1)
    assert compute_metric("pupil_error_px", t4, p4, target_scale=64) == pytest.approx(2.5, abs=1e-5)


def test_metric_errors_and_direction() -> None:
    assert higher_is_better("accuracy") is True
    assert higher_is_better("pupil_error_px") is False
    with pytest.raises(TfcError) as err:
        compute_metric("f1", np.zeros(2), np.zeros(2))
    assert "'f1'" in err.value.what and "accuracy" in err.value.fix
    with pytest.raises(TfcError):
        higher_is_better("mse")
    with pytest.raises(ValueError):
        compute_metric("accuracy", np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError):
        compute_metric("pupil_error_px", np.zeros((3, 1)), np.zeros((3, 1)))
