"""The promised defaults, trained for real (slow: minutes on 2 cores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfcompress.data import load_dataset
from tfcompress.models import build_model, int8_weight_bytes
from tfcompress.train import train_model
from tfcompress.train.defaults import get_defaults

TARGETS = {"eye-gaze": 1.0, "gaze-zones": 0.95, "digits": 0.97}


@pytest.mark.slow
@pytest.mark.parametrize("use_case", sorted(TARGETS))
def test_default_reaches_its_target(use_case: str, tmp_path: Path) -> None:
    cfg = get_defaults(use_case)
    ds = load_dataset(cfg["dataset"], seed=0, **cfg["dataset_params"])
    model = build_model(cfg["model"], ds.input_shape, ds.num_outputs, ds.task, width=cfg["width"],
                        drop_blocks=cfg["drop_blocks"])
    assert int8_weight_bytes(model) <= 64 * 1024
    result = train_model(model, ds, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                         learning_rate=cfg["learning_rate"], patience=cfg["patience"], out_dir=tmp_path, seed=0,
                         schedule=cfg["schedule"], verbose=False)
    if ds.metric == "pupil_error_px":
        assert result.test_metric <= TARGETS[use_case]
    else:
        assert result.test_metric >= TARGETS[use_case]
