"""The pipeline's device step for every variant and runtime, on a pool of devices (emulators or a
board farm), several at a time; the results keep the variants' order."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from tfcompress.console import log
from tfcompress.harness.pool import Device, farm_flasher, pick_devices, run_jobs
from tfcompress.pipeline.device_steps import device_record, device_step, firmware_sources_hash, merge_runtimes
from tfcompress.recipe import Recipe
from tfcompress.rundir import RunDir, Stage


def resolve_devices(recipe: Recipe, board_name: str | None, *, port: str | None = None, jobs: int | None = None,
                    farm: Sequence[str] | None = None) -> tuple[str, list[Device]]:
    """(the board to measure, the devices to measure on): ``farm`` (command line) or the recipe's
    ``board.farm``; else one board on ``port``; else ``jobs`` (or the recipe's ``board.jobs``, or one
    per core) emulators. ``board_name``: --board, if given. A recipe's farm is of its board.name; one
    given on the command line replaces the recipe's board (as --board does)."""
    where = "--farm" if farm else "recipe key 'board.farm'"
    board = board_name if farm else board_name or recipe.board.name
    return pick_devices(board, port=port, jobs=jobs or recipe.board.jobs, farm=list(farm or recipe.board.farm),
                        where=where)


def device_steps(run: RunDir, recipe: Recipe, board: Any, variants: Sequence[tuple[str, Stage]], data: Stage, *,
                 devices: Sequence[Device], runtimes: tuple[str, ...], tflm_tree: Any = None) -> dict[str, list[dict]]:
    """Every variant with every runtime it is measured with, on ``devices`` (one job each at a time);
    returns each variant's result rows (:func:`merge_runtimes`), in the order of ``variants``."""
    jobs = [(name, vstage, rt) for name, vstage in variants for rt in recipe.board.runtimes_for(name, runtimes)]
    parallel = len(devices) > 1 and len(jobs) > 1
    firmware_sources_hash()  # cached before the jobs start (each would hash the same trees)
    if parallel:
        what = f"{len(devices)} boards" if devices[0].port else f"up to {min(len(devices), len(jobs))} emulators"
        log(f"  {len(jobs)} device jobs on {what} at a time")

    def work(job: tuple[str, Stage, str], dev: Device) -> dict[str, Any]:
        name, vstage, rt = job
        return device_record(device_step(run, recipe, board, name, vstage, data, port=dev.port, runtime=rt,
                                         tflm_tree=tflm_tree, flash=farm_flasher(board, dev),
                                         where=dev.name if parallel else None))

    t0 = time.perf_counter()
    records = run_jobs(jobs, devices, work, label=lambda j: j[0] + (" (tflm)" if j[2] == "tflm" else ""))
    if parallel:
        log(f"  {len(jobs)} device jobs finished in {time.perf_counter() - t0:.1f}s")
    by_variant: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in variants}
    for (name, _, _), record in zip(jobs, records, strict=True):
        by_variant[name].append(record)
    return {name: merge_runtimes(recs) for name, recs in by_variant.items()}
