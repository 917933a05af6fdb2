"""Pipeline steps: compression stages (prune, channels, cluster, QAT) and TFLite variants."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from tfcompress.console import log, to_json
from tfcompress.errors import TfcError
from tfcompress.pipeline.train_steps import MODEL_FILE, load_cached_dataset
from tfcompress.recipe import Recipe, StageConfig
from tfcompress.rundir import RunDir, Stage, code_hash

TFLITE_FILE = "model.tflite"
METRICS_FILE = "metrics.json"
#: a QAT stage's model, converted with the qat-int8 mode when the stage ran
QAT_TFLITE_FILE = "qat-int8.tflite"


def stages_of(recipe: Recipe) -> list[StageConfig]:
    """The recipe's stages, plus an implicit plain-QAT stage when ``qat-int8`` is asked for."""
    stages = list(recipe.compress)
    wants_qat = "qat-int8" in recipe.convert.modes
    if wants_qat and not any(s.name == "qat" for s in stages):
        stages.append(StageConfig(name="qat", method="qat", source="baseline", params={"scheme": "qat", "epochs": 2}))
    return stages


def compress_step(run: RunDir, recipe: Recipe, stage_cfg: StageConfig, data: Stage, upstream: Stage) -> Stage:
    """Run one compression stage on the model of ``upstream`` (the baseline or an earlier stage)."""
    from tfcompress.compress.methods import get_method
    from tfcompress.modelio import STAGE_MODEL_NAME, load_model, save_model

    params = {"stage": asdict(stage_cfg), "seed": recipe.seed, "batch_size": recipe.train.batch_size}
    inputs = {"data": data.output_hash(), "model": upstream.output_hash(), "code": code_hash("compress", "modelio", "pipeline/compress_steps")}
    stage = run.stage(stage_cfg.name, f"stages/{stage_cfg.name}", params, inputs)
    if stage.done:
        log(f"  {stage_cfg.name}: cached")
        return stage
    stage.begin()
    ds = load_cached_dataset(data)
    model = load_model(_model_file(upstream))
    method = get_method(stage_cfg.method)
    # the recipe's prune `sweep` key is not a stage parameter
    values = {k: v for k, v in stage_cfg.params.items() if k != "sweep"}
    stage_params = method.params_from(values, batch_size=recipe.train.batch_size)
    t0 = time.perf_counter()
    log(f"  {stage_cfg.name}: {stage_cfg.method} {stage_cfg.params} from {stage_cfg.source}")
    result = method.run(model, ds, stage_params, seed=recipe.seed)
    save_model(result.model, stage.dir / STAGE_MODEL_NAME)
    outputs = [STAGE_MODEL_NAME, METRICS_FILE]
    if stage_cfg.method == "qat":
        # tfmot cannot rebuild cluster-preserving QAT wrappers from a saved file, so the
        # quantization-aware model is converted now, while it is in memory.
        from tfcompress.convert.modes import convert_model

        tflite = convert_model(result.model, "qat-int8", ds, representative_n=recipe.convert.representative_samples,
                               seed=recipe.seed)
        (stage.dir / QAT_TFLITE_FILE).write_bytes(tflite)
        outputs.append(QAT_TFLITE_FILE)
    summary = result.to_dict()
    summary["method"] = stage_cfg.method
    summary["source"] = stage_cfg.source
    summary["seconds"] = time.perf_counter() - t0
    (stage.dir / METRICS_FILE).write_text(to_json(summary))
    value = summary["metrics"].get("value")
    log(f"  {stage_cfg.name}: {ds.metric} = {value:.4g}" if isinstance(value, float) else f"  {stage_cfg.name}: done")
    stage.complete(summary["metrics"], outputs)
    return stage


def _model_file(stage: Stage) -> Any:
    from tfcompress.modelio import STAGE_MODEL_NAME

    for name in (STAGE_MODEL_NAME, MODEL_FILE):
        if (stage.dir / name).is_file():
            return stage.dir / name
    raise TfcError(f"stage '{stage.name}' has no model file in {stage.dir}", "rerun the pipeline with --force")


def variant_plan(recipe: Recipe) -> list[tuple[str, str, str]]:
    """(variant name, source stage, conversion mode) for every variant of the recipe."""
    plan = [(mode, "baseline", mode) for mode in recipe.convert.modes if mode != "qat-int8"]
    for st in stages_of(recipe):
        if st.method == "qat":
            plan.append((f"{st.name}-int8", st.name, "qat-int8"))
        elif "int8" in recipe.convert.modes:
            plan.append((f"{st.name}-int8", st.name, "int8"))
    return plan


def convert_step(run: RunDir, recipe: Recipe, variant: str, source: Stage, mode: str, data: Stage) -> Stage:
    """Convert one stage model with one mode and evaluate it on the host (tf.lite and TFLM).

    A mode that fails is recorded with its reason; the other variants still get made.
    """
    from tfcompress.convert.evaluate import evaluate_variant
    from tfcompress.convert.modes import convert_model
    from tfcompress.modelio import load_model

    params = {"mode": mode, "representative_samples": recipe.convert.representative_samples, "seed": recipe.seed}
    inputs = {"data": data.output_hash(), "model": source.output_hash(), "code": code_hash("convert", "modelio", "pipeline/compress_steps")}
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
            model = load_model(_model_file(source))
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
