"""What :func:`tfcompress.train.train_model` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainResult:
    """The trained (best-epoch) model and how training went."""

    model: Any  # plain functional tf_keras model
    history: dict[str, list[float]]  # per epoch: loss, val_<metric>, lr, seconds
    metric: str  # "accuracy" or "pupil_error_px"
    test_metric: float
    val_metric: float  # best validation value (the restored epoch)
    epochs_run: int  # completed epochs, over all resumed sessions
    seconds: float  # training wall time, over all resumed sessions
    best_epoch: int = 0  # 1-based epoch whose weights were restored
    stopped_early: bool = False
    resumed_from: int = 0  # completed epochs found in out_dir when this call started
    out_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float:
        """Alias of :attr:`test_metric`."""
        return self.test_metric

    @property
    def val_value(self) -> float:
        """Alias of :attr:`val_metric`."""
        return self.val_metric

    def summary(self) -> dict[str, Any]:
        """JSON-friendly numbers (no model)."""
        return {
            "metric": self.metric,
            "test_metric": self.test_metric,
            "val_metric": self.val_metric,
            "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "resumed_from": self.resumed_from,
            "seconds": round(self.seconds, 2),
        }
