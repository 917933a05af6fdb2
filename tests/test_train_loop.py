"""train_model on scikit-learn digits: quick sanity, resume after interrupt, early stop, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tfcompress.errors import TfcError
from tfcompress.models import build_model
from tfcompress.tfenv import keras
from tfcompress.train import evaluate_model, train_model


@pytest.fixture(scope="module")
def digits():
    from tfcompress.data import load_dataset

    return load_dataset("digits", seed=0)


def _model(ds, seed: int = 0, width: float = 1.0):
    return build_model("tiny-cnn", ds.input_shape, ds.num_outputs, ds.task, width=width, seed=seed)


class _InterruptAfter(keras().callbacks.Callback):
    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if epoch + 1 == self.epoch:
            raise KeyboardInterrupt


def test_digits_quick_train(digits, tmp_path: Path, capsys) -> None:
    result = train_model(_model(digits), digits, epochs=8, batch_size=32, learning_rate=3e-3,
                         patience=0, out_dir=tmp_path, seed=0)
    assert result.metric == "accuracy"
    assert result.test_metric >= 0.9
    assert result.epochs_run == 8 and len(result.history["loss"]) == 8
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.val_metric == max(result.history["val_accuracy"])
    assert result.model.layers[-1].name == "probs"  # the plain student, not the trainer
    assert evaluate_model(result.model, digits, "test") == pytest.approx(result.test_metric)
    err = capsys.readouterr().err
    assert "epoch   8/8" in err and "val accuracy" in err
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert (tmp_path / "best.weights.h5").is_file()


def test_resume_after_interrupt(digits, tmp_path: Path) -> None:
    kw = dict(epochs=5, batch_size=64, learning_rate=3e-3, patience=0, out_dir=tmp_path, seed=1, verbose=False)
    with pytest.raises(KeyboardInterrupt):
        train_model(_model(digits, seed=1), digits, callbacks=[_InterruptAfter(2)], **kw)
    state = json.loads((tmp_path / "train_state.json").read_text())
    assert state["epoch"] == 2 and not state["finished"]

    seen: list[int] = []

    class Record(keras().callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs=None) -> None:
            seen.append(epoch)

    resumed = train_model(_model(digits, seed=1), digits, callbacks=[Record()], **kw)
    assert resumed.resumed_from == 2
    assert seen == [2, 3, 4]  # continued, did not start over
    assert resumed.epochs_run == 5 and len(resumed.history["loss"]) == 5
    assert resumed.test_metric > 0.8

    # a finished run is not trained again
    again = train_model(_model(digits, seed=1), digits, callbacks=[Record()], **kw)
    assert seen == [2, 3, 4] and again.epochs_run == 5
    assert again.test_metric == pytest.approx(resumed.test_metric)


def test_resumed_optimizer_state_is_restored(digits, tmp_path: Path) -> None:
    kw = dict(epochs=3, batch_size=64, learning_rate=3e-3, out_dir=tmp_path, seed=2, verbose=False)
    with pytest.raises(KeyboardInterrupt):
        train_model(_model(digits, seed=2), digits, callbacks=[_InterruptAfter(1)], **kw)
    steps = int(np.ceil(len(digits.x_train) / 64))

    class Check(keras().callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs=None) -> None:
            assert int(self.model.optimizer.iterations.numpy()) == steps * epoch

    train_model(_model(digits, seed=2), digits, callbacks=[Check()], **kw)


def test_different_settings_refuse_to_resume(digits, tmp_path: Path) -> None:
    kw = dict(batch_size=64, learning_rate=3e-3, out_dir=tmp_path, seed=0, verbose=False)
    train_model(_model(digits), digits, epochs=1, **kw)
    with pytest.raises(TfcError, match="different settings"):
        train_model(_model(digits), digits, epochs=2, **kw)
    fresh = train_model(_model(digits), digits, epochs=2, resume=False, **kw)
    assert fresh.epochs_run == 2 and fresh.resumed_from == 0


def test_early_stopping_restores_best(digits, tmp_path: Path) -> None:
    # a learning rate this small cannot improve accuracy for a while: stops early
    result = train_model(_model(digits), digits, epochs=30, batch_size=256, learning_rate=1e-7,
                         patience=2, out_dir=tmp_path, seed=0, schedule="plateau", verbose=False)
    assert result.stopped_early and result.epochs_run < 30
    assert result.best_epoch <= result.epochs_run - 2
    assert result.history["lr"][-1] < 1e-7  # reduce-on-plateau kicked in


def test_same_seed_is_deterministic(digits, tmp_path: Path) -> None:
    kw = dict(epochs=2, batch_size=64, learning_rate=3e-3, seed=5, verbose=False)
    a = train_model(_model(digits, seed=5), digits, out_dir=tmp_path / "a", **kw)
    b = train_model(_model(digits, seed=5), digits, out_dir=tmp_path / "b", **kw)
    assert a.history["loss"] == b.history["loss"]
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"schedule": "step"}, "schedule"),
        ({"regression_loss": "l1"}, "regression loss"),
    ],
)
def test_bad_arguments(digits, tmp_path: Path, kwargs: dict, fragment: str) -> None:
    args = dict(epochs=1, batch_size=32, learning_rate=1e-3, out_dir=tmp_path, seed=0)
    args.update(kwargs)
    with pytest.raises(TfcError, match=fragment):
        train_model(_model(digits), digits, **args)


def test_input_shape_mismatch(digits, tmp_path: Path) -> None:
    model = build_model("tiny-cnn", (16, 16, 1), 10, "classification")
    with pytest.raises(TfcError, match="does not match"):
        train_model(model, digits, epochs=1, out_dir=tmp_path)
    with pytest.raises(TfcError, match="split"):
        evaluate_model(model, digits, "holdout")
