"""The record every compression stage returns, and the per-layer weight report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass
class LayerRecord:
    """Weight statistics of one layer's main kernel."""

    name: str
    params: int
    sparsity: float
    unique_values: int
    #: max distinct values within one output channel (set for .tflite weights, where
    #: per-channel int8 scales spread one cluster set over many int8 codes).
    unique_per_channel: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StageResult:
    """Output of a stage: the model, its metrics and per-layer weight records.

    ``model`` is a plain (stripped) tf_keras model, except for QAT stages where it
    is the quantize-wrapped model the ``qat-int8`` conversion needs.
    """

    stage: str
    model: Any
    metrics: dict[str, Any]
    layers: list[LayerRecord] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the model)."""
        return {
            "stage": self.stage,
            "params": self.params,
            "metrics": self.metrics,
            "layers": [r.to_dict() for r in self.layers],
        }


_KERNEL_NAMES = ("kernel", "depthwise_kernel", "pointwise_kernel")


def _kernel_of(layer: Any) -> np.ndarray | None:
    """The main weight tensor of a (possibly wrapped) layer, or None."""
    best = None
    for w in layer.weights:
        short = w.name.split("/")[-1].split(":")[0]
        if short in _KERNEL_NAMES or short.endswith("_kernel") and "mask" not in short:
            if "pruning" in w.name or "cluster" in short or "min" in short or "max" in short:
                continue
            best = w
            break
    return None if best is None else np.asarray(best.numpy())


def layer_report(model: Any) -> list[LayerRecord]:
    """Per-layer parameter count, sparsity and unique-value count of kernels."""
    records = []
    for layer in model.layers:
        kernel = _kernel_of(layer)
        if kernel is None or kernel.size == 0:
            continue
        name = getattr(getattr(layer, "layer", None), "name", layer.name)
        records.append(
            LayerRecord(
                name=name,
                params=int(kernel.size),
                sparsity=float(np.mean(kernel == 0)),
                unique_values=int(np.unique(kernel).size),
            )
        )
    return records


def overall_sparsity(layers: list[LayerRecord]) -> float:
    """Parameter-weighted sparsity over the reported kernels."""
    total = sum(r.params for r in layers)
    return sum(r.sparsity * r.params for r in layers) / total if total else 0.0
