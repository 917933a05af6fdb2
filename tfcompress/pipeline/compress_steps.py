"""Pipeline step: a compression stage (prune, channels, cluster, QAT) of the recipe."""

from __future__ import annotations

import time
from dataclasses import asdict

from tfcompress.console import log, to_json
from tfcompress.pipeline.layout import METRICS_FILE, QAT_TFLITE_FILE, load_cached_dataset, model_file
from tfcompress.recipe import Recipe, StageConfig
from tfcompress.rundir import RunDir, Stage, code_hash


def compress_step(run: RunDir, recipe: Recipe, stage_cfg: StageConfig, data: Stage, upstream: Stage) -> Stage:
    """Run one compression stage on the model of ``upstream`` (the baseline or an earlier stage)."""
    from tfcompress.compress.methods import get_method
    from tfcompress.modelio import STAGE_MODEL_NAME, load_model, save_model
    from tfcompress.tfenv import set_seed, tf

    params = {"stage": asdict(stage_cfg), "seed": recipe.seed, "batch_size": recipe.train.batch_size}
    inputs = {"data": data.output_hash(), "model": upstream.output_hash(), "code": code_hash(__name__)}
    stage = run.stage(stage_cfg.name, f"stages/{stage_cfg.name}", params, inputs)
    if stage.done:
        log(f"  {stage_cfg.name}: cached")
        return stage
    stage.begin()
    ds = load_cached_dataset(data)
    model = load_model(model_file(upstream))
    method = get_method(stage_cfg.method)
    # the recipe's prune `sweep` key is not a stage parameter
    values = {k: v for k, v in stage_cfg.params.items() if k != "sweep"}
    stage_params = method.params_from(values, batch_size=recipe.train.batch_size)
    t0 = time.perf_counter()
    log(f"  {stage_cfg.name}: {stage_cfg.method} {stage_cfg.params} from {stage_cfg.source}")
    # the result must not depend on what ran earlier in this process: a stage made after its upstream
    # was cached (a rerun, a sweep trial) gives the same model. Seed the random initialisations (k-means++
    # centroids), and switch on TensorFlow's op determinism, which training the baseline switches on
    # (train/loop.py) but a process that found the baseline cached never did.
    set_seed(recipe.seed)
    tf().config.experimental.enable_op_determinism()
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
    (stage.dir / METRICS_FILE).write_text(to_json(summary))  # an output: no wall time, so equal work hashes equal
    value = summary["metrics"].get("value")
    log(f"  {stage_cfg.name}: {ds.metric} = {value:.4g}" if isinstance(value, float) else f"  {stage_cfg.name}: done")
    stage.complete({**summary["metrics"], "seconds": time.perf_counter() - t0}, outputs)
    return stage
