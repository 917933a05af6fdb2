"""Default model + training settings per use case, as data (the recipe templates use these).

Each entry was measured with ``benchmarks/train_defaults.py <use-case>`` on 2 CPU
cores shared with other jobs; ``measured`` records that run (metric on the test split,
wall seconds of training, int8 weight bytes).
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
        "measured": {},
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
        "measured": {},
    },
    "digits": {
        "dataset": "digits",
        "dataset_params": {},
        "model": "tiny-cnn",
        "width": 1.0,
        "drop_blocks": 0,
        "epochs": 20,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "patience": 0,
        "schedule": "cosine",
        "measured": {},
    },
}


def get_defaults(use_case: str) -> dict[str, Any]:
    """A copy of the defaults of ``use_case`` (TfcError listing the valid names)."""
    import copy

    from tfcompress.errors import unknown

    if use_case not in DEFAULTS:
        raise unknown("use case", use_case, DEFAULTS)
    return copy.deepcopy(DEFAULTS[use_case])
