"""``train_model``: Adam + schedule, early stopping on the validation metric, resumable."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.console import log
from tfcompress.detect.targets import fit_targets
from tfcompress.errors import TfcError, unknown
from tfcompress.tfenv import keras, tf
from tfcompress.train import state as st
from tfcompress.train.distill import REGRESSION_LOSSES, DistillConfig, make_trainer
from tfcompress.train.evaluate import evaluate_model, higher_is_better, score
from tfcompress.train.result import TrainResult
from tfcompress.train.tensorboard import ScalarLogger

SCHEDULES = ("cosine", "plateau", "constant")
PLATEAU_FACTOR = 0.5


def _seed_everything(seed: int, deterministic: bool) -> None:
    keras().utils.set_random_seed(int(seed))
    if deterministic:
        tf().config.experimental.enable_op_determinism()


def _fingerprint(model: Any, dataset: Any, teacher: Any, cfg: DistillConfig | None, **settings: Any) -> dict:
    return {
        **settings,
        "model": model.name,
        "params": int(model.count_params()),
        "dataset": getattr(dataset, "name", "?"),
        "train_size": len(dataset.x_train),
        "teacher": None if teacher is None else f"{teacher.name}:{teacher.count_params()}",
        "distill": None if cfg is None else cfg.to_dict(),
    }


def _check_args(model: Any, dataset: Any, epochs: int, batch_size: int, learning_rate: float,
                schedule: str, regression_loss: str, teacher: Any) -> None:
    if not isinstance(epochs, int) or epochs < 1:
        raise TfcError(f"epochs={epochs!r} must be a positive integer", "e.g. epochs = 20")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise TfcError(f"batch_size={batch_size!r} must be a positive integer", "e.g. batch_size = 64")
    if not learning_rate > 0:
        raise TfcError(f"learning_rate={learning_rate!r} must be positive", "e.g. learning_rate = 0.001")
    if schedule not in SCHEDULES:
        raise unknown("learning-rate schedule", schedule, SCHEDULES)
    if regression_loss not in REGRESSION_LOSSES:
        raise unknown("regression loss", regression_loss, REGRESSION_LOSSES)
    if tuple(model.input_shape[1:]) != tuple(dataset.x_train.shape[1:]):
        raise TfcError(f"model input {tuple(model.input_shape[1:])} does not match the data "
                       f"{tuple(dataset.x_train.shape[1:])}", "build the model for the dataset's input_shape")
    if teacher is not None and tuple(teacher.output_shape) != tuple(model.output_shape):
        raise TfcError(f"teacher output {teacher.output_shape} differs from the student's {model.output_shape}",
                       "distil between models built for the same dataset")


class _EpochManager:
    """Per-epoch bookkeeping: val metric, best weights, plateau LR, checkpoint, log line.

    Mixed into a Keras ``Callback`` by :func:`_manager` (TensorFlow loads lazily).
    """

    def __init__(self, *, student: Any, dataset: Any, state: st.TrainState, out_dir: Path,
                 optimizer: Any, epochs: int, patience: int, schedule: str, verbose: bool) -> None:
        super().__init__()  # type: ignore[call-arg]
        self.student, self.dataset, self.state, self.out_dir = student, dataset, state, out_dir
        self.optimizer, self.epochs, self.patience = optimizer, epochs, patience
        self.schedule, self.verbose = schedule, verbose
        self.higher = higher_is_better(dataset.metric)
        self.stop = False
        self.board: ScalarLogger | None = None
        self._t0 = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._t0 = time.perf_counter()

    def _current_lr(self) -> float:
        lr = self.optimizer.learning_rate
        if callable(lr):
            lr = lr(self.optimizer.iterations)
        return float(np.asarray(lr))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        s, logs = self.state, logs if logs is not None else {}
        val = score(self.student, self.dataset, self.dataset.x_val, self.dataset.y_val)
        key = f"val_{self.dataset.metric}"
        logs[key] = val
        elapsed = time.perf_counter() - self._t0
        s.epoch = epoch + 1
        s.seconds += elapsed
        for name, value in (("loss", logs.get("loss", float("nan"))), (key, val),
                            ("lr", self._current_lr()), ("seconds", elapsed)):
            s.history.setdefault(name, []).append(float(value))
        improved = s.best is None or (val > s.best if self.higher else val < s.best)
        if improved:
            s.best, s.best_epoch, s.wait = float(val), s.epoch, 0
            st.save_best(self.out_dir, self.student)
        else:
            s.wait += 1
            if self.schedule == "plateau" and s.wait % max(1, self.patience // 2) == 0:
                s.lr = self._current_lr() * PLATEAU_FACTOR
                self.optimizer.learning_rate.assign(s.lr)
        if self.patience and s.wait >= self.patience:
            self.stop = s.stopped_early = True
        if s.epoch >= self.epochs or self.stop:
            s.finished = True
        if self.board is not None:
            self.board.write(s.epoch, {name: values[-1] for name, values in s.history.items()})
        st.save_checkpoint(self.out_dir, s, self.student, self.optimizer)
        if self.verbose:
            unit = " px" if self.dataset.metric == "pupil_error_px" else ""
            mark = " *" if improved else ""
            log(f"  epoch {s.epoch:>3}/{self.epochs}  loss {logs.get('loss', float('nan')):.4f}  "
                f"val {self.dataset.metric} {val:.4f}{unit}{mark}  {elapsed:.1f}s")


def _manager(**kwargs: Any) -> Any:
    cls = type("EpochManager", (_EpochManager, keras().callbacks.Callback), {})
    return cls(**kwargs)


def _optimizer(learning_rate: float, schedule: str, total_steps: int, state: st.TrainState) -> Any:
    k = keras()
    if schedule == "cosine":
        lr: Any = k.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(1, total_steps), alpha=0.01)
    else:
        lr = state.lr if state.lr is not None else learning_rate
    return k.optimizers.Adam(learning_rate=lr)


def train_model(
    model: Any,
    dataset: Any,
    *,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    patience: int = 0,
    out_dir: str | Path,
    seed: int = 0,
    teacher: Any = None,
    distill: DistillConfig | dict[str, Any] | None = None,
    verbose: bool = True,
    schedule: str = "cosine",
    regression_loss: str = "mse",
    resume: bool = True,
    deterministic: bool = True,
    callbacks: Sequence[Any] = (),
) -> TrainResult:
    """Train ``model`` on ``dataset`` (distilling from ``teacher`` when given); resumable.

    Adam with a cosine (or reduce-on-plateau, or constant) learning rate; after each
    epoch the validation metric is computed in task units and logged, the best
    weights are kept, and weights + optimizer + epoch are checkpointed in
    ``out_dir``. ``patience`` > 0 stops after that many epochs without improvement.
    Calling again with the same arguments continues after the last completed epoch
    (``resume=False`` starts over). Returns the model with its best weights restored.
    """
    _check_args(model, dataset, epochs, batch_size, learning_rate, schedule, regression_loss, teacher)
    cfg = DistillConfig.from_any(distill) if teacher is not None else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fingerprint = _fingerprint(model, dataset, teacher, cfg, epochs=epochs, batch_size=batch_size,
                               learning_rate=learning_rate, patience=patience, seed=seed, schedule=schedule,
                               regression_loss=regression_loss)
    state = st.TrainState.load(out) if resume else None
    if state is not None:
        st.check_fingerprint(state, fingerprint, out)
    else:
        st.clear(out)
        state = st.TrainState(fingerprint=fingerprint)
    resumed_from = state.epoch

    _seed_everything(seed, deterministic)
    steps = int(np.ceil(len(dataset.x_train) / batch_size))
    optimizer = _optimizer(learning_rate, schedule, steps * epochs, state)
    trainer = make_trainer(model, dataset.task, teacher=teacher, config=cfg, regression_loss=regression_loss)
    trainer.compile(optimizer=optimizer)
    if state.epoch:
        st.restore_checkpoint(out, state, model, optimizer)
        if verbose and not state.finished:
            log(f"  resuming after epoch {state.epoch}/{epochs} from {out}")

    if not state.finished:
        manager = _manager(student=model, dataset=dataset, state=state, out_dir=out, optimizer=optimizer,
                           epochs=epochs, patience=patience, schedule=schedule, verbose=verbose)
        board = ScalarLogger(out / st.TB_DIR)
        manager.board = board
        rng = np.random.default_rng(seed)
        orders = [rng.permutation(len(dataset.x_train)) for _ in range(epochs)]
        y_fit = fit_targets(dataset)
        try:
            for epoch in range(state.epoch, epochs):
                order = orders[epoch]  # the same shuffle whether or not the run was interrupted
                trainer.fit(dataset.x_train[order], y_fit[order], batch_size=batch_size,
                            epochs=epoch + 1, initial_epoch=epoch, shuffle=False, verbose=0,
                            callbacks=[manager, *callbacks])
                if manager.stop:
                    if verbose:
                        log(f"  early stop: no improvement for {patience} epochs")
                    break
        finally:
            board.close()

    st.load_best(out, model)
    test = evaluate_model(model, dataset, "test")
    return TrainResult(
        model=model, history=state.history, metric=dataset.metric, test_metric=test,
        val_metric=float(state.best if state.best is not None else float("nan")),
        epochs_run=state.epoch, seconds=state.seconds, best_epoch=state.best_epoch,
        stopped_early=state.stopped_early, resumed_from=resumed_from, out_dir=out,
    )
