"""One trial: a normal pipeline run in ``SWEEP/trials/<id>/``, run by a worker (a pool process or a
Ray task). Never raises: a failure comes back as ``{"status": "failed", "error": ...}``."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import tomllib
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TRIAL_LOG = "trial.log"


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (Python and C level) to ``path`` meanwhile."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (*saved, fd):
            os.close(f)


def summarize(results: dict[str, Any], variant: str) -> dict[str, Any]:
    """A trial's numbers: its ``variant`` (engine row) and a compact line per variant."""
    from tfcompress.report.table import flash_bytes, headline_metric, row_name

    rows = results.get("variants", [])
    compact = [{"variant": row_name(v), "metric": headline_metric(v), "flash_bytes": flash_bytes(v),
                "ram_bytes": v.get("ram_bytes"), "latency": v.get("latency"), "tflite_bytes": v.get("tflite_bytes"),
                "gzip_bytes": v.get("gzip_bytes"), "deployable": v.get("deployable")} for v in rows]
    chosen = next((c for c in compact if c["variant"] == variant), None) or {}
    return {
        "variant": variant,
        "metric_name": results.get("metric"),
        "higher_is_better": results.get("higher_is_better", True),
        "metric": chosen.get("metric"),
        "flash_bytes": chosen.get("flash_bytes"),
        "ram_bytes": chosen.get("ram_bytes"),
        "latency": chosen.get("latency"),
        "latency_unit": (results.get("board") or {}).get("latency_unit"),
        "tflite_bytes": chosen.get("tflite_bytes"),
        "gzip_bytes": chosen.get("gzip_bytes"),
        "baseline_metric": results.get("baseline_metric"),
        "variants": compact,
    }


def run_trial(job: dict[str, Any]) -> dict[str, Any]:
    """Run one trial described by ``job`` (plain data, so it travels to any worker)."""
    from tfcompress.stagecache import StageCache

    t0 = time.perf_counter()
    out = Path(job["dir"])
    cache = StageCache(job["cache"])
    record: dict[str, Any] = {"id": job["id"], "host": os.uname().nodename, "pid": os.getpid()}
    try:
        from tfcompress.recipe import parse_recipe
        from tfcompress.rundir import RunDir

        text = job["recipe_text"]
        recipe = parse_recipe(tomllib.loads(text), job.get("recipe_origin"), text)
        RunDir.open(out, recipe.name, text)  # marks the folder as a run before the log lands in it
        with _output_to(out / TRIAL_LOG):
            from tfcompress.pipeline.run import run_pipeline

            results = run_pipeline(recipe, out=out, until=job["until"], board_name=job.get("board"),
                                   cache=cache)
        record.update(status="done", summary=summarize(results, job["variant"]))
        record["report"] = "report.html" if (out / "report.html").is_file() else "results.json"
    except BaseException as err:  # noqa: B036 — a trial's failure is data; the sweep goes on
        from tfcompress.errors import TfcError

        line = err.line() if isinstance(err, TfcError) else f"{type(err).__name__}: {err}"
        out.mkdir(parents=True, exist_ok=True)
        (out / "error.txt").write_text(traceback.format_exc())
        record.update(status="failed", error=line)
        if isinstance(err, KeyboardInterrupt):
            raise
    finally:
        cache.release_all()
        record["seconds"] = round(time.perf_counter() - t0, 2)
    return record
