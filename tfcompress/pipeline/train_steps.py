"""Pipeline steps: the (teacher and) baseline model."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from tfcompress.console import log
from tfcompress.errors import TfcError
from tfcompress.pipeline.layout import MODEL_FILE, load_cached_dataset
from tfcompress.recipe import ModelConfig, Recipe
from tfcompress.rundir import RunDir, Stage, code_hash


def _build(cfg: ModelConfig, ds: Any, seed: int) -> Any:
    from tfcompress.models import build_model

    try:
        return build_model(
            cfg.name, ds.input_shape, ds.num_outputs, ds.task, width=cfg.width, drop_blocks=cfg.drop_blocks, seed=seed
        )
    except TfcError:
        raise
    except ValueError as err:
        raise TfcError(
            f"model '{cfg.name}' cannot be built for dataset '{ds.name}' with input {list(ds.input_shape)}: {err}",
            "pick a model that suits the input size (see `tfcompress models`) or resize the dataset (params.size)",
        ) from err


def _train(model: Any, ds: Any, recipe: Recipe, out_dir: Path, epochs: int, **kw: Any) -> Any:
    from tfcompress.train import train_model

    t = recipe.train
    return train_model(
        model,
        ds,
        epochs=epochs,
        batch_size=t.batch_size,
        learning_rate=t.learning_rate,
        patience=t.patience,
        out_dir=out_dir,
        seed=recipe.seed,
        **kw,
    )


def _finish_model_stage(stage: Stage, result: Any, ds: Any, cfg: dict[str, Any]) -> None:
    from tfcompress.modelio import save_model
    from tfcompress.models import int8_weight_bytes

    save_model(result.model, stage.dir / MODEL_FILE)
    metrics = {
        "metric": ds.metric,
        "value": float(result.test_metric),
        "val_value": float(result.val_metric) if result.val_metric is not None else None,
        "epochs_run": int(result.epochs_run),
        "seconds": float(result.seconds),
        "params": int(result.model.count_params()),
        "int8_weight_bytes": int(int8_weight_bytes(result.model)),
        "model": cfg,
    }
    stage.complete(metrics, [MODEL_FILE])


def teacher_step(run: RunDir, recipe: Recipe, data_stage: Stage) -> Stage | None:
    """Train the distillation teacher (when the recipe has a [distill] section)."""
    if recipe.distill is None:
        return None
    cfg = recipe.distill.teacher
    epochs = recipe.distill.teacher_epochs or recipe.train.epochs
    params = {"teacher": asdict(cfg), "train": asdict(recipe.train), "epochs": epochs, "seed": recipe.seed}
    stage = run.stage("teacher", "baseline/teacher", params, {"data": data_stage.output_hash(), "code": code_hash(__name__)})
    if stage.done:
        log("  teacher: cached")
        return stage
    stage.begin()
    ds = load_cached_dataset(data_stage)
    result = _train(_build(cfg, ds, recipe.seed), ds, recipe, stage.dir / "train", epochs)
    _finish_model_stage(stage, result, ds, asdict(cfg))
    return stage


def student_config(recipe: Recipe) -> ModelConfig:
    """The student derived from the teacher (width-wise, layer-wise or both)."""
    d = recipe.distill
    assert d is not None
    width = d.teacher.width * (d.width_factor if d.student in ("width", "both") else 1.0)
    drop = d.teacher.drop_blocks + (d.drop_blocks if d.student in ("cut", "both") else 0)
    return ModelConfig(name=d.teacher.name, width=width, drop_blocks=drop)


def _imported_baseline(stage: Stage, cfg: ModelConfig, ds: Any, recipe: Recipe) -> Any:
    """The [model] onnx model, used as is (epochs = 0) or fine-tuned for [train] epochs."""
    import time

    from tfcompress.importer import import_onnx
    from tfcompress.importer.fit import fit_to_dataset
    from tfcompress.train.evaluate import evaluate_model
    from tfcompress.train.result import TrainResult

    assert cfg.onnx is not None
    log(f"  baseline: importing {cfg.onnx}")
    model = fit_to_dataset(import_onnx(cfg.onnx, name=cfg.name), ds, cfg.onnx)
    if recipe.train.epochs > 0:
        return _train(model, ds, recipe, stage.dir / "train", recipe.train.epochs)
    start = time.perf_counter()
    test, val = evaluate_model(model, ds, "test"), evaluate_model(model, ds, "val")
    return TrainResult(model=model, history={}, metric=ds.metric, test_metric=test, val_metric=val,
                       epochs_run=0, seconds=time.perf_counter() - start)


def baseline_step(run: RunDir, recipe: Recipe, data_stage: Stage, teacher: Stage | None) -> Stage:
    """Train the baseline float model (distilled from the teacher when configured)."""
    cfg = student_config(recipe) if recipe.distill else recipe.model
    params: dict[str, Any] = {"model": asdict(cfg), "train": asdict(recipe.train), "seed": recipe.seed}
    inputs = {"data": data_stage.output_hash(), "code": code_hash(__name__)}
    if cfg.onnx:
        from tfcompress.rundir import hash_file

        inputs["onnx"] = hash_file(Path(cfg.onnx))  # the importer's code is in code_hash(__name__)
    if teacher is not None:
        params["distill"] = asdict(recipe.distill)
        inputs["teacher"] = teacher.output_hash()
    stage = run.stage("baseline", "baseline", params, inputs)
    if stage.done:
        log("  baseline: cached")
        return stage
    stage.begin()
    ds = load_cached_dataset(data_stage)
    kw: dict[str, Any] = {}
    if teacher is not None and recipe.distill is not None:
        from tfcompress.modelio import load_model
        from tfcompress.train.distill import DistillConfig

        d = recipe.distill
        kw["teacher"] = load_model(teacher.dir / MODEL_FILE)
        kw["distill"] = DistillConfig(alpha=d.alpha, beta=d.beta, temperature=d.temperature, kd_factor=d.kd_factor)
    if cfg.onnx:
        result = _imported_baseline(stage, cfg, ds, recipe)
    else:
        result = _train(_build(cfg, ds, recipe.seed), ds, recipe, stage.dir / "train", recipe.train.epochs, **kw)
    _finish_model_stage(stage, result, ds, asdict(cfg))
    return stage
