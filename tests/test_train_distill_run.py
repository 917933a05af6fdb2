"""Distillation end to end on digits: the student trains from a frozen teacher and improves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tfcompress.models import build_model
from tfcompress.train import DistillConfig, derive_student, train_model


@pytest.fixture(scope="module")
def digits():
    from tfcompress.data import load_dataset

    return load_dataset("digits", seed=0)


def test_distilled_student_improves_and_teacher_is_untouched(digits, tmp_path: Path) -> None:
    spec = {"name": "tiny-cnn", "input_shape": digits.input_shape, "num_outputs": 10, "task": "classification"}
    teacher = build_model("tiny-cnn", digits.input_shape, 10, "classification", seed=0)
    t = train_model(teacher, digits, epochs=4, batch_size=32, learning_rate=3e-3, out_dir=tmp_path / "t",
                    seed=0, verbose=False)
    before = [w.copy() for w in teacher.get_weights()]

    student = derive_student(spec, "width", width_factor=0.5, seed=1)
    result = train_model(student, digits, epochs=4, batch_size=32, learning_rate=3e-3, out_dir=tmp_path / "s",
                         seed=0, teacher=t.model, distill=DistillConfig(alpha=0.5, beta=0.5, temperature=4.0),
                         verbose=False)
    assert result.model is student and student.layers[-1].name == "probs"
    val = result.history["val_accuracy"]
    assert val[-1] > val[0] and result.history["loss"][-1] < result.history["loss"][0]
    assert result.test_metric > 0.8
    for a, b in zip(before, teacher.get_weights(), strict=True):  # frozen, BN statistics included
        np.testing.assert_array_equal(a, b)


def test_regression_distillation_runs(tmp_path: Path) -> None:
    from tfcompress.data import load_dataset

    eyes = load_dataset("synthetic-eyes", seed=0, size=16, n_train=256, n_val=64, n_test=64)
    assert eyes.task == "regression"
    teacher = build_model("tiny-cnn", eyes.input_shape, eyes.num_outputs, "regression", seed=0)
    student = build_model("tiny-cnn", eyes.input_shape, eyes.num_outputs, "regression", width=0.5, seed=1)
    result = train_model(student, eyes, epochs=3, batch_size=32, learning_rate=3e-3, out_dir=tmp_path,
                         seed=0, teacher=teacher, distill={"kd_factor": 0.3}, regression_loss="huber",
                         verbose=False)
    assert result.metric == "pupil_error_px"
    assert np.isfinite(result.test_metric) and result.history["loss"][-1] < result.history["loss"][0]
