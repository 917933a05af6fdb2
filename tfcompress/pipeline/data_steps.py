"""Pipeline step: the recipe's dataset, generated or loaded once and cached in ``data/``."""

from __future__ import annotations

import time
from dataclasses import asdict

from tfcompress.console import log
from tfcompress.pipeline.layout import DATASET_FILE
from tfcompress.recipe import Recipe
from tfcompress.rundir import RunDir, Stage, code_hash


def data_step(run: RunDir, recipe: Recipe) -> Stage:
    """Generate or load the dataset once and cache its splits in ``data/``."""
    from tfcompress.data import load_dataset, save_dataset

    params = {"dataset": asdict(recipe.dataset), "seed": recipe.seed}
    stage = run.stage("data", "data", params, {"code": code_hash(__name__)})
    if stage.done:
        log("  data: cached")
        return stage
    stage.begin()
    t0 = time.perf_counter()
    ds = load_dataset(recipe.dataset.source, seed=recipe.seed, **recipe.dataset.params)
    save_dataset(ds, stage.dir / DATASET_FILE)
    summary = ds.summary()
    log(f"  data: {ds.name} {summary['sizes']} input {summary['input_shape']} ({time.perf_counter() - t0:.1f}s)")
    stage.complete({"summary": summary}, [DATASET_FILE])
    return stage
