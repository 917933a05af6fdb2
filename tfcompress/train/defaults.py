"""Default model + training settings per use case, as data (the recipe templates use these).

Each entry was measured with ``benchmarks/train_defaults.py <use-case>`` on 2 CPU
cores shared with other jobs (``load_average`` at the time); ``measured`` records that run:
the test metric of the float model (eye-gaze also after int8 post-training quantization
with 200 calibration images), wall seconds of the ``train_model`` call, int8 weight bytes.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, dict[str, Any]] = {
    "eye-gaze": {
        "dataset": "synthetic-eyes",
        "dataset_params": {},
        "model": "heatmap-cnn",
        "width": 1.0,
        "drop_blocks": 0,
        "epochs": 8,
        "batch_size": 64,
        "learning_rate": 3e-3,
        "patience": 0,
        "schedule": "cosine",
        "regression_loss": "mse",
        "measured": {"test_pupil_error_px": 0.502, "int8_ptq_pupil_error_px": 0.777, "train_seconds": 57.6,
                     "int8_weight_bytes": 6596, "load_average": 8},
    },
    "gaze-zones": {
        "dataset": "gaze-zones",
        "dataset_params": {},
        "model": "heatmap-cnn",
        "width": 1.0,
        "drop_blocks": 0,
        "epochs": 10,
        "batch_size": 64,
        "learning_rate": 3e-3,
        "patience": 0,
        "schedule": "cosine",
        "measured": {"test_accuracy": 0.970, "train_seconds": 73.3, "int8_weight_bytes": 8396, "load_average": 9},
    },
    "digits": {
        "dataset": "digits",
        "dataset_params": {},
        "model": "tiny-cnn",
        "width": 1.0,
        "drop_blocks": 0,
        "epochs": 20,
        "batch_size": 16,
        "learning_rate": 2e-3,
        "patience": 0,
        "schedule": "cosine",
        "measured": {"test_accuracy": 0.978, "best_epoch": 15, "int8_weight_bytes": 15760, "load_average": 6},
    },
    # measured in the detection recipe's pipeline run (train step), not benchmarks/train_defaults.py
    "detection": {
        "dataset": "synthetic-shapes",
        "dataset_params": {"size": 96, "n_train": 2000, "n_val": 200, "n_test": 200, "min_scale": 0.2},
        "model": "tiny-cnn",
        "width": 2.0,
        "drop_blocks": 0,
        "epochs": 10,
        "batch_size": 16,
        "learning_rate": 4e-3,
        "patience": 0,
        "schedule": "cosine",
        "measured": {"test_map50": 0.608, "val_map50": 0.598, "train_seconds": 180.0, "int8_weight_bytes": 145524,
                     "load_average": 12},
    },
}


def get_defaults(use_case: str) -> dict[str, Any]:
    """A copy of the defaults of ``use_case`` (TfcError listing the valid names)."""
    import copy

    from tfcompress.errors import unknown

    if use_case not in DEFAULTS:
        raise unknown("use case", use_case, DEFAULTS)
    return copy.deepcopy(DEFAULTS[use_case])
