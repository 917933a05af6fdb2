"""Run a sweep: trials to workers, their records to ``SWEEP/sweep.json``, progress to stderr.

``SWEEP/`` holds ``sweep.json`` (the spec and every trial's parameters, status, numbers or
error), ``trials/<id>/`` (a normal run directory each), ``cache/`` (stages shared by trials)
and the sweep report. Rerunning the same command skips finished trials and reruns the rest.
"""

from __future__ import annotations

import json
import shutil
import time
import tomllib
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfcompress.console import log, to_json
from tfcompress.errors import TfcError
from tfcompress.recipe import parse_recipe
from tfcompress.sweep import spec as spec_mod
from tfcompress.sweep.search import Searcher, best_trial
from tfcompress.sweep.tomlout import dumps

STATE_FILE = "sweep.json"
UNTIL = ("convert", "device", "report")


@dataclass
class SweepOptions:
    executor: str = "auto"
    workers: int | None = None
    address: str | None = None
    until: str = "report"
    board: str | None = None
    max_trials: int | None = None
    force: bool = False
    retry_failed: bool = False


def default_variant(recipe_data: dict[str, Any]) -> str:
    """The recipe's last variant (its last compression stage's int8 variant, usually)."""
    from tfcompress.pipeline.layout import variant_plan

    return variant_plan(parse_recipe(recipe_data))[-1][0]


def _load_state(root: Path, identity: dict[str, Any], recipe_text: str, force: bool) -> dict[str, Any]:
    path = root / STATE_FILE
    if root.exists() and any(root.iterdir()):
        try:
            state = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            state = None
        same = state is not None and state.get("identity") == identity and state.get("recipe_text") == recipe_text
        if same and not force:
            return state
        if not force:
            what = ("a different sweep (recipe, parameters, --until or --board changed)" if state
                    else "not a sweep directory")
            raise TfcError(f"sweep directory '{root}' already exists and is {what}",
                           "pass --force to start it over, or choose another --out")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    return {"identity": identity, "recipe_text": recipe_text, "trials": []}


def _save(root: Path, state: dict[str, Any]) -> None:
    tmp = root / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(json.loads(to_json(state)), indent=2))
    tmp.replace(root / STATE_FILE)


def _progress(trials: list[dict[str, Any]], total: int) -> None:
    count = {s: sum(t["status"] == s for t in trials) for s in ("done", "running", "failed")}
    line = f"sweep: {count['done']}/{total} done, {count['running']} running, {count['failed']} failed"
    best = best_trial(trials)
    if best:
        s = best["summary"]
        line += f"; best so far {best['id']} {s['metric_name']} {s['metric']:.4g} {best['params']}"
    log(line)


def run_sweep(recipe_path: str, grid: Path | None, out: Path | None, opts: SweepOptions) -> dict[str, Any]:
    """Run (or resume) the sweep; returns the sweep record (also in ``sweep.json``) with the report path."""
    from tfcompress.recipe import load_recipe

    if opts.until not in UNTIL:
        raise TfcError(f"unknown step '{opts.until}'", f"choose one of: {', '.join(UNTIL)}")
    base = load_recipe(recipe_path)
    data = tomllib.loads(base.source_text)
    spec = spec_mod.load_spec(grid, data, base.source_path or recipe_path)
    spec_mod.validate(spec, data)
    if opts.until == "convert":
        device_only = {k for c in spec.constraints for k in c.bounds} & set(spec_mod.DEVICE_COSTS)
        if device_only:
            raise TfcError(f"constraints on {', '.join(sorted(device_only))} need the device step",
                           "drop --until convert, or bound tflite_bytes instead")
    variant = spec.variant or default_variant(data)
    root = Path(out or Path("runs") / f"{base.name}-sweep").resolve()
    identity = {**spec.identity(), "until": opts.until, "board": opts.board}  # what trial results depend on
    state = _load_state(root, identity, base.source_text, opts.force)
    state.update(spec=spec.to_dict(), variant=variant, until=opts.until, board=opts.board)
    searcher = Searcher(spec, opts.max_trials or spec.max_trials)
    trials: list[dict[str, Any]] = state["trials"]
    for t in trials:  # the sampler learns what earlier sessions found
        if t["status"] == "failed" and opts.retry_failed:
            t["status"] = "pending"
        if t["status"] in ("done", "failed"):
            searcher.tell(t["id"], t["params"], t.get("summary"))
        else:
            t["status"] = "pending"
    total = max(searcher.budget, len(trials))

    def job(t: dict[str, Any]) -> dict[str, Any]:
        text = dumps(spec_mod.apply(data, t["params"]))
        return {"id": t["id"], "dir": str(root / t["dir"]), "cache": str(root / "cache"), "recipe_text": text,
                "recipe_origin": base.source_path, "until": opts.until, "board": opts.board, "variant": variant}

    from tfcompress.sweep.executors import make_executor

    t_start = time.perf_counter()
    executor = make_executor(opts.executor, opts.workers, opts.address)
    log(f"sweep: {root} — {total} trials ({spec.search}), {executor.name} executor, "
        f"{executor.workers} at once, judging '{variant}'")
    running: dict[Future, dict[str, Any]] = {}

    def next_trial() -> dict[str, Any] | None:
        pending = next((t for t in trials if t["status"] == "pending"), None)
        if pending is None and len(trials) < searcher.budget:
            tid = f"{len(trials):03d}"
            pending = {"id": tid, "dir": f"trials/{tid}", "params": searcher.point(len(trials), tid),
                       "status": "pending"}
            trials.append(pending)
        return pending

    try:
        while True:
            while len(running) < executor.workers and (t := next_trial()) is not None:
                t["status"] = "running"
                running[executor.submit(job(t))] = t
            _save(root, state)
            _progress(trials, total)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                t = running.pop(fut)
                try:
                    rec = fut.result()
                except Exception as err:  # the worker itself died (the trial could not report)
                    rec = {"status": "failed", "error": f"worker lost: {type(err).__name__}: {err}"}
                t.update({k: v for k, v in rec.items() if k != "id"})
                if t["status"] == "failed":
                    log(f"sweep: trial {t['id']} failed — {t.get('error')} (see {root / t['dir']})")
                searcher.tell(t["id"], t["params"], t.get("summary"))
    finally:
        for t in running.values():
            t["status"] = "pending"
        _save(root, state)
        executor.close()
    state["seconds"] = round(time.perf_counter() - t_start, 2)
    _save(root, state)
    from tfcompress.sweep.report import write_sweep_report

    state["report"] = str(write_sweep_report(root, state))
    state["dir"] = str(root)
    return state
