"""Compile, fine-tune and score models for the compression stages."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.tfenv import keras, set_seed


def compute_metric(dataset: Any, y_true: np.ndarray, y_pred: Any) -> float:
    """The dataset's metric, via :mod:`tfcompress.metrics` when it is available."""
    try:
        from tfcompress.metrics import compute_metric as _compute
    except ImportError:
        _compute = None
    if _compute is not None:
        return float(_compute(dataset.metric, y_true, y_pred, getattr(dataset, "target_scale", 1.0)))
    if dataset.metric == "accuracy":
        return float(np.mean(np.argmax(y_pred, axis=-1) == np.asarray(y_true).reshape(-1)))
    diff = (np.asarray(y_pred) - np.asarray(y_true)) * getattr(dataset, "target_scale", 1.0)
    return float(np.mean(np.linalg.norm(diff, axis=-1)))


def higher_is_better(metric: str) -> bool:
    """True when a larger value of ``metric`` is better."""
    try:
        from tfcompress.metrics import higher_is_better as _hib
    except ImportError:
        return metric == "accuracy"
    return bool(_hib(metric))


def compile_for(model: Any, dataset: Any, learning_rate: float = 1e-3) -> None:
    """Compile ``model`` with the loss that matches the dataset's task (a detector: the SSD box and
    class losses, one per output, both against :func:`targets`)."""
    loss: Any = "sparse_categorical_crossentropy" if dataset.task == "classification" else "mse"
    if dataset.task == "detection":
        from tfcompress.detect.loss import box_loss, class_loss

        loss = [box_loss, class_loss]
    model.compile(optimizer=keras().optimizers.Adam(learning_rate), loss=loss)


def targets(dataset: Any, split: str) -> Any:
    """The training targets of a split (two copies of the anchor targets for a detector)."""
    from tfcompress.detect.targets import fit_targets

    y = fit_targets(dataset, split)
    return [y, y] if dataset.task == "detection" else y


def fit(
    model: Any,
    dataset: Any,
    *,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    callbacks: list[Any] | None = None,
    seed: int = 0,
    bn_momentum: float | None = 0.9,
) -> None:
    """Fine-tune ``model`` on the training split (validation on the val split).

    Fine-tuning runs are short, so BatchNormalization momentum is lowered to
    ``bn_momentum`` while they run (and restored after): otherwise the moving
    statistics still describe the weights from before pruning/clustering.
    """
    if epochs <= 0:
        return
    set_seed(seed)
    bns = _batchnorms(model) if bn_momentum is not None else []
    saved = [bn.momentum for bn in bns]
    for bn in bns:
        bn.momentum = min(bn.momentum, bn_momentum)
    compile_for(model, dataset, learning_rate)
    try:
        model.fit(
            dataset.x_train,
            targets(dataset, "train"),
            validation_data=(dataset.x_val, targets(dataset, "val")),
            epochs=epochs,
            batch_size=batch_size,
            callbacks=list(callbacks or []),
            verbose=0,
            shuffle=True,
        )
    finally:
        for bn, m in zip(bns, saved, strict=True):
            bn.momentum = m


def _batchnorms(model: Any) -> list[Any]:
    """BatchNormalization layers of ``model``, looking inside tfmot wrappers."""
    bn_cls = keras().layers.BatchNormalization
    found = []
    for layer in model.layers:
        inner = getattr(layer, "layer", layer)
        if isinstance(inner, bn_cls):
            found.append(inner)
    return found


def evaluate(model: Any, dataset: Any, split: str = "test") -> float:
    """Score ``model`` on a split with the dataset's metric."""
    x = getattr(dataset, f"x_{split}")
    y = getattr(dataset, f"y_{split}")
    from tfcompress.predict import predict

    return compute_metric(dataset, y, predict(model, x))


def steps_per_epoch(dataset: Any, batch_size: int) -> int:
    """Optimizer steps in one epoch over the training split."""
    return max(1, int(np.ceil(len(dataset.x_train) / batch_size)))
