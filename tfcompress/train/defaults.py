"""Tested default model + training settings per use case (the recipe templates use these).

Numbers come from ``benchmarks/`` runs on 2 shared CPU cores; see the docstring of each
entry's ``measured`` field.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, dict[str, Any]] = {
    "eye-gaze": {
        "dataset": "synthetic-eyes",
        "dataset_params": {},
        "model": "tiny-cnn",
        "width": 1.0,
        "epochs": 15,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "patience": 0,
        "schedule": "cosine",
        "regression_loss": "mse",
    },
    "gaze-zones": {
        "dataset": "gaze-zones",
        "dataset_params": {},
        "model": "tiny-cnn",
        "width": 1.0,
        "epochs": 15,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "patience": 0,
        "schedule": "cosine",
    },
    "digits": {
        "dataset": "digits",
        "dataset_params": {},
        "model": "tiny-cnn",
        "width": 1.0,
        "epochs": 20,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "patience": 0,
        "schedule": "cosine",
    },
}
