"""Quantization-aware training, plain or collaborative (PQAT, CQAT, PCQAT).

The collaborative schemes keep the sparsity (PQAT), the cluster centroids (CQAT) or
both (PCQAT) that earlier stages produced while the model learns int8 ranges, starting from
ranges calibrated on the float model (qat_ranges.py). The
returned model is the quantize-wrapped model; ``qat-int8`` conversion needs it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tfcompress.compress import finetune
from tfcompress.compress.compat import check_layers
from tfcompress.compress.prune import copy_model
from tfcompress.compress.qat_ranges import calibrate_activation_ranges
from tfcompress.compress.result import StageResult, overall_sparsity
from tfcompress.errors import TfcError, unknown
from tfcompress.tfenv import tfmot

SCHEMES = ("qat", "pqat", "cqat", "pcqat")
#: training samples whose float activations set the initial QAT ranges (see qat_ranges.py)
CALIBRATION_SAMPLES = 1000


@dataclass
class QatParams:
    """QAT parameters."""

    scheme: str = "qat"
    epochs: int = 3
    batch_size: int = 64
    learning_rate: float = 1e-4

    def validate(self) -> None:
        if self.scheme not in SCHEMES:
            raise unknown("QAT scheme", self.scheme, SCHEMES)


def _scheme(name: str) -> Any:
    mot = tfmot()
    if name == "qat":
        return None
    if name == "pqat":
        return mot.quantization.keras.collab_opts.Default8BitPrunePreserveQuantizeScheme()
    return mot.experimental.combine.Default8BitClusterPreserveQuantizeScheme(preserve_sparsity=name == "pcqat")


def quantize(model: Any, scheme: str = "qat") -> Any:
    """Wrap a copy of ``model`` for QAT with ``scheme``."""
    check_layers(model, "quantize")
    qk = tfmot().quantization.keras
    annotated = qk.quantize_annotate_model(copy_model(model))
    sch = _scheme(scheme)
    try:
        with qk.quantize_scope():
            return qk.quantize_apply(annotated, sch) if sch is not None else qk.quantize_apply(annotated)
    except (ValueError, RuntimeError) as err:
        raise TfcError(
            f"tfmot cannot apply {scheme.upper()} to this model: {str(err).splitlines()[0]}",
            "use the post-training int8 conversion, or a model built from Conv2D/Dense/BN/ReLU layers",
        ) from err


def qat(model: Any, dataset: Any, params: QatParams | None = None, *, seed: int = 0) -> StageResult:
    """Quantization-aware fine-tuning; returns the QAT (wrapped) model."""
    params = params or QatParams()
    params.validate()
    baseline = finetune.evaluate(model, dataset)
    qmodel = quantize(model, params.scheme)
    calibrate_activation_ranges(qmodel, model, dataset.x_train[:CALIBRATION_SAMPLES])
    finetune.fit(
        qmodel, dataset, epochs=params.epochs, batch_size=params.batch_size,
        learning_rate=params.learning_rate, seed=seed,
    )
    from tfcompress.convert.inspect import tflite_layer_report
    from tfcompress.convert.modes import convert_model

    layers = tflite_layer_report(convert_model(qmodel, "qat-int8", dataset))
    return StageResult(
        stage=params.scheme,
        model=qmodel,
        metrics={
            "metric": dataset.metric,
            "baseline": baseline,
            "value": finetune.evaluate(qmodel, dataset),
            "params": int(model.count_params()),
            "sparsity": overall_sparsity(layers),
            "max_unique_values": max((r.unique_values for r in layers), default=0),
            "weights_from": "qat-int8 tflite (per-tensor unique int8 values)",
        },
        layers=layers,
        params=asdict(params),
    )
