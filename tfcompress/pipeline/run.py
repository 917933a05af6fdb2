"""Run a whole recipe: every step in order, skipping finished ones, then results and the report."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfcompress.console import Stopwatch, log
from tfcompress.errors import TfcError
from tfcompress.pipeline import open_run
from tfcompress.pipeline.compress_steps import compress_step
from tfcompress.pipeline.convert_steps import convert_step
from tfcompress.pipeline.data_steps import data_step
from tfcompress.pipeline.device_jobs import device_steps, resolve_devices
from tfcompress.pipeline.layout import TFLITE_FILE, stages_of, variant_plan
from tfcompress.pipeline.results import assemble, write_samples
from tfcompress.pipeline.train_steps import baseline_step, teacher_step
from tfcompress.recipe import Recipe
from tfcompress.rundir import Stage
from tfcompress.stagecache import StageCache

#: the steps, in order; ``until`` stops after the named one.
STEPS = ("train", "compress", "convert", "device", "report")


def run_pipeline(
    recipe: Recipe,
    *,
    out: Path | None = None,
    board_name: str | None = None,
    port: str | None = None,
    force: bool = False,
    until: str = "report",
    runtimes: tuple[str, ...] | None = None,
    tflm_dir: Path | str | None = None,
    jobs: int | None = None,
    farm: Sequence[str] | None = None,
    cache: StageCache | None = None,
) -> dict[str, Any]:
    """Run ``recipe`` end to end (or up to ``until``); returns the results dict. ``runtimes`` and
    ``tflm_dir`` override the recipe's ``board.runtime`` / ``board.tflm_dir``; ``jobs`` (emulators
    at a time) and ``farm`` (``PORT=BOARD`` entries) its ``board.jobs`` / ``board.farm``; ``cache``
    is a stage cache shared with other runs (sweep trials)."""
    if until not in STEPS:
        raise TfcError(f"unknown step '{until}'", f"choose one of: {', '.join(STEPS)}")
    from tfcompress.boards import load_board, with_optimize

    runtimes = tuple(runtimes or recipe.board.runtime)
    tree = None
    if "tflm" in runtimes and STEPS.index(until) >= STEPS.index("device"):  # a wrong tree fails first
        from tfcompress.project.tflm import resolve_tree

        given = tflm_dir or recipe.board.tflm_dir
        if given and not tflm_dir and recipe.source_path and Path(recipe.source_path).is_file():
            given = Path(recipe.source_path).resolve().parent / Path(given).expanduser()
        tree = resolve_tree(given)
    board_name, devices = resolve_devices(recipe, board_name, port=port, jobs=jobs, farm=farm)
    run = open_run(recipe, out, force=force, board_name=board_name, cache=cache)
    board = with_optimize(load_board(board_name), recipe.board.optimize)
    timings: dict[str, float] = {}

    def timer(name: str) -> Stopwatch:
        return Stopwatch(name, record=timings)

    t_start = time.perf_counter()
    log(f"run directory: {run.root}")

    with timer("train"):
        data = data_step(run, recipe)
        teacher = teacher_step(run, recipe, data)
        stages: dict[str, Stage] = {"baseline": baseline_step(run, recipe, data, teacher)}
    if until == "train":
        return {"run_dir": str(run.root), "baseline": stages["baseline"].metrics()}

    with timer("compress"):
        for cfg in stages_of(recipe):
            stages[cfg.name] = compress_step(run, recipe, cfg, data, stages[cfg.source])
    variants: list[tuple[str, str, str, Stage]] = []
    with timer("convert"):
        for name, source, mode in variant_plan(recipe):
            variants.append((name, source, mode, convert_step(run, recipe, name, stages[source], mode, data)))

    device: dict[str, list[dict[str, Any]]] = {}
    if STEPS.index(until) >= STEPS.index("device"):
        with timer(f"device ({board.name})"):
            device = device_steps(run, recipe, board, [(n, st) for n, _, _, st in variants], data,
                                  devices=devices, runtimes=runtimes, tflm_tree=tree)
        by_name = {n: st for n, _, _, st in variants}
        best_int8 = by_name.get("int8") or next(iter(by_name.values()))
        write_samples(run, data, best_int8.dir / TFLITE_FILE)

    timings["total"] = round(time.perf_counter() - t_start, 2)
    board_info: dict[str, Any] = {"name": board.name, "emulated": bool(board.emulated),
                                  "latency_unit": board.latency_unit}
    if runtimes != ("engine",):
        board_info["runtimes"] = list(runtimes)
    if tree is not None:
        board_info["tflm"] = tree.to_dict()
    results = assemble(run, recipe, data, stages, variants, device, board_info, timings)
    if until == "report":
        from tfcompress.report import write_report

        results["report"] = str(write_report(run.root))
    results["run_dir"] = str(run.root)
    return results


def summary_table(results: dict[str, Any]) -> str:
    """The terminal results table (one row per variant)."""
    from tfcompress.report import results_table

    return results_table(results)
