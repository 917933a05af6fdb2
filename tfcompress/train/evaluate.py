"""Scoring a model on a dataset split with the dataset's metric."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.predict import predict


def compute_metric(metric: str, y_true: np.ndarray, y_pred: np.ndarray, target_scale: float = 1.0) -> float:
    """``tfcompress.metrics.compute_metric`` (the shared definition of every metric)."""
    from tfcompress.metrics import compute_metric as _compute

    return float(_compute(metric, y_true, y_pred, target_scale=target_scale))


def higher_is_better(metric: str) -> bool:
    """True when a larger value of ``metric`` is better."""
    from tfcompress.metrics import higher_is_better as _hib

    return bool(_hib(metric))


def score(model: Any, dataset: Any, x: np.ndarray, y: np.ndarray) -> float:
    """``dataset.metric`` of ``model`` on (x, y)."""
    return compute_metric(dataset.metric, y, predict(model, x), getattr(dataset, "target_scale", 1.0))


def evaluate_model(model: Any, dataset: Any, split: str = "test") -> float:
    """``dataset.metric`` (accuracy, or pupil error in pixels) of ``model`` on ``split``."""
    from tfcompress.errors import TfcError

    if split not in ("train", "val", "test"):
        raise TfcError(f"unknown split '{split}'", "choose one of: train, val, test")
    x, y = getattr(dataset, f"x_{split}"), getattr(dataset, f"y_{split}")
    return score(model, dataset, x, y)
