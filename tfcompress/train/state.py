"""Resumable training state in ``out_dir``: a JSON record + weights/optimizer checkpoints.

Layout::

    out_dir/train_state.json        epoch, history, best value, fingerprint, finished
    out_dir/checkpoints/epoch-N.*   student weights + optimizer (tf.train.Checkpoint)
    out_dir/best.weights.h5         weights of the best validation epoch
    out_dir/tensorboard/            TensorBoard logs

Each file is written to a temporary name and renamed, and the JSON record is
written last, so an interruption at any point leaves the previous epoch usable.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError
from tfcompress.tfenv import tf

STATE_FILE = "train_state.json"
CKPT_DIR = "checkpoints"
BEST_WEIGHTS = "best.weights.h5"
TB_DIR = "tensorboard"
_VERSION = 1


@dataclass
class TrainState:
    """Everything beyond weights/optimizer needed to continue a run."""

    fingerprint: dict[str, Any]
    epoch: int = 0  # completed epochs
    history: dict[str, list[float]] = field(default_factory=dict)
    best: float | None = None
    best_epoch: int = 0
    wait: int = 0  # epochs since the last improvement (early stopping / plateau)
    lr: float | None = None  # current learning rate (reduce-on-plateau only)
    seconds: float = 0.0
    checkpoint: str | None = None  # prefix relative to out_dir
    finished: bool = False
    stopped_early: bool = False
    version: int = _VERSION

    @classmethod
    def load(cls, out_dir: Path) -> TrainState | None:
        path = out_dir / STATE_FILE
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
            if data.get("version") != _VERSION:
                raise ValueError(f"version {data.get('version')}")
            return cls(**data)
        except (ValueError, TypeError) as err:
            raise TfcError(f"training state '{path}' is unreadable ({err})",
                           "delete the directory (or train with --force) to start over") from err

    def save(self, out_dir: Path) -> None:
        _atomic_write(out_dir / STATE_FILE, json.dumps(asdict(self), indent=1))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def clear(out_dir: Path) -> None:
    """Remove the training state this module wrote (nothing else in ``out_dir``)."""
    (out_dir / STATE_FILE).unlink(missing_ok=True)
    (out_dir / BEST_WEIGHTS).unlink(missing_ok=True)
    shutil.rmtree(out_dir / CKPT_DIR, ignore_errors=True)
    shutil.rmtree(out_dir / TB_DIR, ignore_errors=True)


def check_fingerprint(state: TrainState, fingerprint: dict[str, Any], out_dir: Path) -> None:
    """Refuse to resume a run whose settings differ from this call's."""
    old = json.loads(json.dumps(state.fingerprint))
    new = json.loads(json.dumps(fingerprint))
    if old != new:
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise TfcError(f"'{out_dir}' holds a training run with different settings ({', '.join(diff)})",
                       "use another output directory, or start over with --force")


def save_checkpoint(out_dir: Path, state: TrainState, student: Any, optimizer: Any) -> None:
    """Write weights + optimizer for the epoch just completed, then the state record."""
    ckpt_dir = out_dir / CKPT_DIR
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    prefix = f"{CKPT_DIR}/epoch-{state.epoch}"
    tf().train.Checkpoint(model=student, optimizer=optimizer).write(str(out_dir / prefix))
    previous = state.checkpoint
    state.checkpoint = prefix
    state.save(out_dir)
    if previous and previous != prefix:
        for old in ckpt_dir.glob(Path(previous).name + ".*"):
            old.unlink(missing_ok=True)


def restore_checkpoint(out_dir: Path, state: TrainState, student: Any, optimizer: Any) -> None:
    """Load the weights and optimizer slots saved for ``state.epoch``."""
    if not state.checkpoint:
        return
    optimizer.build(student.trainable_variables)
    status = tf().train.Checkpoint(model=student, optimizer=optimizer).read(str(out_dir / state.checkpoint))
    status.assert_existing_objects_matched()


def save_best(out_dir: Path, student: Any) -> None:
    """Keep the current weights as the best so far."""
    tmp = out_dir / ("tmp-" + BEST_WEIGHTS)
    student.save_weights(str(tmp))
    os.replace(tmp, out_dir / BEST_WEIGHTS)


def load_best(out_dir: Path, student: Any) -> bool:
    """Restore the best weights if they were saved; True when restored."""
    path = out_dir / BEST_WEIGHTS
    if not path.is_file():
        return False
    student.load_weights(str(path))
    return True
