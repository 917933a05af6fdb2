"""What a model is fitted to: the labels, or for detection the matched anchor targets. Shared by
training and the compression stages' fine-tuning (neither imports the other)."""

from __future__ import annotations

from typing import Any

import numpy as np


def fit_targets(dataset: Any, split: str = "train") -> np.ndarray:
    """What the loss compares the outputs with: the labels, or for detection the matched anchor
    targets (:func:`tfcompress.detect.boxes.training_targets`)."""
    y = getattr(dataset, f"y_{split}")
    if dataset.task != "detection":
        return y
    from tfcompress.detect.boxes import make_anchors, training_targets

    return training_targets(y, make_anchors(int(dataset.input_shape[0])))
