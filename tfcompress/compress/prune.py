"""Magnitude pruning with tfmot: constant or polynomial schedules, 2:4 structured sparsity.

Masks are always removed (``strip_pruning``) before the model is returned.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tfcompress.compress import finetune
from tfcompress.compress.compat import check_layers
from tfcompress.compress.result import StageResult, layer_report, overall_sparsity
from tfcompress.errors import TfcError, unknown
from tfcompress.tfenv import keras, tfmot

SCHEDULES = ("constant", "polynomial")


@dataclass
class PruneParams:
    """Pruning parameters (steps are optimizer steps of the fine-tuning run)."""

    sparsity: float = 0.5
    schedule: str = "constant"
    initial_sparsity: float = 0.0
    begin_step: int = 0
    end_step: int | None = None  # polynomial: default ~75% of the fine-tuning steps
    frequency: int | None = None  # default: min(100, half an epoch)
    epochs: int = 6
    batch_size: int = 64
    learning_rate: float = 2e-3
    skip_first: bool = False
    skip_last: bool = False
    skip_batchnorm: bool = True
    m_by_n: tuple[int, int] | None = None  # e.g. (2, 4); Conv2D and Dense only

    def validate(self) -> None:
        if self.schedule not in SCHEDULES:
            raise unknown("pruning schedule", self.schedule, SCHEDULES)
        if not 0.0 <= self.sparsity < 1.0:
            raise TfcError(f"sparsity {self.sparsity} is out of range", "use a value in [0, 1), e.g. 0.75")
        if not 0.0 <= self.initial_sparsity <= self.sparsity:
            raise TfcError(
                f"initial sparsity {self.initial_sparsity} is out of range",
                f"use a value in [0, {self.sparsity}]",
            )
        if self.epochs < 1:
            raise TfcError("pruning needs at least one fine-tuning epoch", "pass --epochs 1 or more")


def make_schedule(params: PruneParams, total_steps: int, steps_per_epoch: int) -> Any:
    """Build the tfmot pruning schedule; its steps are aligned so the target is reached."""
    sk = tfmot().sparsity.keras
    freq = params.frequency or max(1, min(100, steps_per_epoch // 2))
    if params.schedule == "constant":
        return sk.ConstantSparsity(params.sparsity, begin_step=params.begin_step, frequency=freq)
    end = params.end_step
    if end is None:
        span = max(freq, int(0.75 * (total_steps - params.begin_step)) // freq * freq)
        end = params.begin_step + span
    if end > total_steps:
        raise TfcError(
            f"pruning end step {end} is beyond the {total_steps} fine-tuning steps",
            "lower --end-step or train more epochs",
        )
    return sk.PolynomialDecay(
        initial_sparsity=params.initial_sparsity,
        final_sparsity=params.sparsity,
        begin_step=params.begin_step,
        end_step=end,
        frequency=freq,
    )


def _weighted(model: Any) -> list[str]:
    return [layer.name for layer in model.layers if layer.weights]


def wrap_for_pruning(model: Any, params: PruneParams, schedule: Any) -> Any:
    """Clone ``model`` with prune wrappers on the selected layers."""
    check_layers(model, "prune")
    L = keras().layers
    sk = tfmot().sparsity.keras
    weighted = [n for n in _weighted(model) if not isinstance(model.get_layer(n), L.BatchNormalization)]
    skip: set[str] = set()
    if params.skip_first and weighted:
        skip.add(weighted[0])
    if params.skip_last and weighted:
        skip.add(weighted[-1])

    def clone(layer: Any) -> Any:
        if layer.name in skip or not layer.weights or not layer.trainable:  # frozen = fixed by design
            return layer
        if isinstance(layer, L.BatchNormalization) and params.skip_batchnorm:
            return layer
        kwargs: dict[str, Any] = {"pruning_schedule": schedule}
        if params.m_by_n:
            if type(layer) not in (L.Conv2D, L.Dense):
                return layer
            kwargs["sparsity_m_by_n"] = tuple(params.m_by_n)
        return sk.prune_low_magnitude(layer, **kwargs)

    return keras().models.clone_model(copy_model(model), clone_function=clone)


def copy_model(model: Any) -> Any:
    """An independent copy of ``model`` with the same weights (stages never mutate their input)."""
    copy = keras().models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def prune(model: Any, dataset: Any, params: PruneParams | None = None, *, seed: int = 0) -> StageResult:
    """Prune ``model`` to ``params.sparsity``, fine-tune, strip the masks and report."""
    params = params or PruneParams()
    params.validate()
    baseline = finetune.evaluate(model, dataset)
    spe = finetune.steps_per_epoch(dataset, params.batch_size)
    total = spe * params.epochs
    schedule = make_schedule(params, total, spe)
    wrapped = wrap_for_pruning(model, params, schedule)
    finetune.fit(
        wrapped, dataset, epochs=params.epochs, batch_size=params.batch_size,
        learning_rate=params.learning_rate,
        callbacks=[tfmot().sparsity.keras.UpdatePruningStep()], seed=seed,
    )
    stripped = tfmot().sparsity.keras.strip_pruning(wrapped)
    layers = layer_report(stripped)
    metric = finetune.evaluate(stripped, dataset)
    pruned_names = {layer.layer.name for layer in wrapped.layers
                    if hasattr(layer, "pruning_schedule") and getattr(layer, "prunable_weights", None)}
    pruned_layers = [r for r in layers if r.name in pruned_names]
    return StageResult(
        stage="prune",
        model=stripped,
        metrics={
            "metric": dataset.metric,
            "baseline": baseline,
            "value": metric,
            "sparsity": overall_sparsity(layers),
            "pruned_sparsity": overall_sparsity(pruned_layers),
            "params": int(stripped.count_params()),
        },
        layers=layers,
        params={k: v for k, v in asdict(params).items()},
    )
