"""Pipeline step: a TFLite variant of a stage model, evaluated on the host."""

from __future__ import annotations

from typing import Any

from tfcompress.console import log, to_json
from tfcompress.errors import TfcError
from tfcompress.pipeline.layout import (
    METRICS_FILE,
    QAT_TFLITE_FILE,
    TFLITE_FILE,
    load_cached_dataset,
    model_file,
)
from tfcompress.recipe import Recipe
from tfcompress.rundir import RunDir, Stage, code_hash


def convert_step(run: RunDir, recipe: Recipe, variant: str, source: Stage, mode: str, data: Stage) -> Stage:
    """Convert one stage model with one mode and evaluate it on the host (tf.lite and TFLM).

    A mode that fails is recorded with its reason; the other variants still get made.
    """
    from tfcompress.convert.evaluate import evaluate_variant
    from tfcompress.convert.modes import convert_model
    from tfcompress.modelio import load_model

    params = {"mode": mode, "representative_samples": recipe.convert.representative_samples, "seed": recipe.seed}
    inputs = {"data": data.output_hash(), "model": source.output_hash(), "code": code_hash(__name__)}
    stage = run.stage(f"variant {variant}", f"variants/{variant}", params, inputs)
    if stage.done:
        log(f"  {variant}: cached")
        return stage
    stage.begin()
    ds = load_cached_dataset(data)
    record: dict[str, Any] = {"variant": variant, "source": source.name, "mode": mode}
    try:
        exported = source.dir / QAT_TFLITE_FILE
        if mode == "qat-int8" and exported.is_file():
            tflite = exported.read_bytes()
        else:
            model = load_model(model_file(source))
            tflite = convert_model(model, mode, ds, representative_n=recipe.convert.representative_samples,
                                   seed=recipe.seed)
        (stage.dir / TFLITE_FILE).write_bytes(tflite)
        record.update(evaluate_variant(tflite, ds, mode))
        record["error"] = None
        shown = record.get("tflm_metric") if record.get("tflm_metric") is not None else record.get("tflite_metric")
        log(f"  {variant}: {len(tflite)} B, {ds.metric} = {shown:.4g}")
    except TfcError as err:
        record["error"] = err.line()
        record["deployable"] = False
        record["deployable_reason"] = f"conversion failed: {err.line()}"
        log(f"  {variant}: conversion failed — {err.line()}")
    (stage.dir / METRICS_FILE).write_text(to_json(record))
    outputs = [METRICS_FILE] + ([TFLITE_FILE] if (stage.dir / TFLITE_FILE).exists() else [])
    stage.complete({"error": record["error"]}, outputs)
    return stage
