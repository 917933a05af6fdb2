"""Evaluate several models (a run's variants) on a pool of devices, several at a time."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfcompress.boards import Board
from tfcompress.console import log, progress
from tfcompress.harness.evaluate import evaluate_on_board, load_eval_data
from tfcompress.harness.pool import Device, farm_flasher, run_jobs

METRICS_FILE = "device_metrics.json"


@dataclass(frozen=True)
class EvalJob:
    """One model to evaluate: its name, .tflite, data file and firmware folder (None: the cache)."""

    name: str
    model: Path
    data: Path
    firmware_dir: Path | None = None


def summary(r: dict[str, Any]) -> str:
    """``agreement 100.0%, 2570568 instructions (emulated)``."""
    agree = "-" if r.get("agreement") is None else f"{100 * r['agreement']:.1f}%"
    median = r["latency"].get("median")
    return f"agreement {agree}" + ("" if median is None else f", {median:.0f} {r['latency']['unit']}")


def evaluate_jobs(board: Board, jobs: Sequence[EvalJob], devices: Sequence[Device], *, limit: int | None = None,
                  force: bool = False, **options: Any) -> dict[str, dict[str, Any]]:
    """Every job on ``devices`` (see :func:`~tfcompress.harness.pool.run_jobs`); each report is also
    written to its firmware folder as device_metrics.json. ``options``: :func:`evaluate_on_board`'s.
    Returns name -> report in the order of ``jobs``."""
    parallel = len(devices) > 1 and len(jobs) > 1
    started: set[str] = set()
    lock = threading.Lock()

    def work(job: EvalJob, dev: Device) -> dict[str, Any]:
        data = load_eval_data(job.data, limit)
        with lock:  # a job re-queued from a lost board resumes: --force only clears its first attempt
            first = job.name not in started
            started.add(job.name)
        on = f"{board.name} ({dev.name})" if parallel else board.name
        log(f"evaluating {job.name} on {on}: {data.n} samples")
        bar = iter(range(0) if parallel else progress(range(data.n), f"{job.name} on {on}", total=data.n))
        r = evaluate_on_board(board, job.model, data, port=dev.port, firmware_dir=job.firmware_dir,
                              force=force and first, on_sample=lambda _i: next(bar, None),
                              flash=farm_flasher(board, dev), **options)
        for _ in bar:
            pass
        if job.firmware_dir is not None:
            (job.firmware_dir / METRICS_FILE).write_text(json.dumps(r, indent=2) + "\n")
        if parallel:
            log(f"  {job.name} on {on}: {summary(r)}")
        return r

    reports = run_jobs(jobs, devices, work, label=lambda j: j.name)
    return {j.name: r for j, r in zip(jobs, reports, strict=True)}
