"""Task metrics: classification accuracy, pupil-centre error in pixels, detection mAP."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.errors import unknown

#: metric name -> True when a larger value is better
METRICS: dict[str, bool] = {"accuracy": True, "pupil_error_px": False, "map50": True, "map50_95": True}
#: metrics computed from a detector's two raw outputs (box offsets, class logits)
DETECTION_METRICS = ("map50", "map50_95")


def higher_is_better(metric: str) -> bool:
    """Whether larger values of ``metric`` are better."""
    if metric not in METRICS:
        raise unknown("metric", metric, METRICS)
    return METRICS[metric]


def _class_ids(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return y.reshape(len(y)).astype(np.int64)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction correct; each argument may be class ids or per-class scores/probabilities."""
    t, p = _class_ids(y_true), _class_ids(y_pred)
    if len(t) != len(p):
        raise ValueError(f"{len(t)} labels but {len(p)} predictions")
    return float(np.mean(t == p)) if len(t) else float("nan")


def pupil_error_px(y_true: np.ndarray, y_pred: np.ndarray, target_scale: float = 1.0) -> float:
    """Mean Euclidean distance of the (x, y) centre (first two columns), in pixels."""
    t = np.asarray(y_true, np.float64).reshape(len(y_true), -1)
    p = np.asarray(y_pred, np.float64).reshape(len(y_pred), -1)
    if len(t) != len(p):
        raise ValueError(f"{len(t)} targets but {len(p)} predictions")
    if t.shape[1] < 2 or p.shape[1] < 2:
        raise ValueError("pupil_error_px needs (N, >=2) targets and predictions")
    d = (p[:, :2] - t[:, :2]) * float(target_scale)
    return float(np.mean(np.hypot(d[:, 0], d[:, 1]))) if len(t) else float("nan")


def compute_metric(metric: str, y_true: np.ndarray, y_pred: Any, target_scale: float = 1.0) -> float:
    """Compute ``metric`` over a split; detection metrics take ``y_pred`` = [offsets, logits] and
    ``target_scale`` = the image side in pixels."""
    if metric in DETECTION_METRICS:
        from tfcompress.detect.metric import evaluate_detections

        return float(evaluate_detections(y_true, y_pred, target_scale)[metric])
    if metric == "accuracy":
        return accuracy(y_true, y_pred)
    if metric == "pupil_error_px":
        return pupil_error_px(y_true, y_pred, target_scale)
    raise unknown("metric", metric, METRICS)
