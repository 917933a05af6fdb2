"""Pipeline steps: firmware for each MCU-deployable variant, run on the (emulated) board."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tfcompress.console import log, progress, to_json
from tfcompress.errors import TfcError
from tfcompress.pipeline.layout import TFLITE_FILE, load_cached_dataset
from tfcompress.recipe import Recipe
from tfcompress.rundir import RunDir, Stage, code_hash, hash_tree

DEVICE_FILE = "device.json"


@cache
def firmware_sources_hash() -> str:
    """Content hash of everything that shapes the firmware: the code this step reaches (engine,
    project generator, harness, boards), C sources, templates and board files."""
    from tfcompress.resources import firmware_root, templates_root

    boards = Path(str(resources.files("tfcompress.boards")))
    return code_hash(__name__) + hash_tree([firmware_root(), templates_root(), *sorted(boards.glob("*.toml"))])


def device_step(run: RunDir, recipe: Recipe, board: Any, variant: str, vstage: Stage, data: Stage,
                *, port: str | None = None, runtime: str = "engine", tflm_tree: Any = None,
                flash: Callable[[Path], None] | None = None, where: str | None = None) -> Stage | None:
    """Compile (or, ``runtime="tflm"``, prepare for TensorFlow Lite Micro from ``tflm_tree``),
    build and evaluate one variant on ``board``; ``None`` if it has no .tflite. ``flash``: puts the
    firmware on the board on ``port`` first (a farm board); ``where``: the device's name when jobs
    run in parallel (one line when the job starts and one when it ends instead of a progress bar)."""
    from tfcompress.engine.optimize import opt_level
    from tfcompress.harness.evaluate import EvalData, evaluate_on_board, output_index
    from tfcompress.project.firmware import compile_model
    from tfcompress.project.generate import engine_key

    tflite = vstage.dir / TFLITE_FILE
    if not tflite.is_file():
        return None
    n = recipe.board.eval_samples
    tflm = runtime == "tflm"
    compress = recipe.board.compresses(variant) and not tflm
    params = {"board": board.name, "samples": n, "kernels": recipe.board.kernels, "port": bool(port),
              "compress_weights": compress, "output": recipe.board.output}
    if board.optimize != "balanced" and not tflm:  # default builds keep their earlier fingerprint
        params["optimize"] = board.optimize
    opt = opt_level(board.optimize)  # the compiler level the preference picks (engine/optimize.py)
    if opt != "-O2":  # -O2 builds keep their earlier fingerprint
        params["opt"] = opt
    if tflm:  # engine stages keep their earlier fingerprint
        params.update(runtime="tflm", tflm_dir=str(tflm_tree.path), kernels=tflm_tree.kernels)
    profile = recipe.board.profile
    if profile:  # stages without profiling keep their earlier fingerprint
        params["profile"] = True
    suffix = "-tflm" if tflm else ""
    label = f"{variant} ({runtime})" if tflm else variant
    stage = run.stage(f"device {variant}" + (" tflm" if tflm else ""),
                      f"firmware/{board.name}/{variant}{suffix}-eval", params,
                      {"variant": vstage.output_hash(), "data": data.output_hash(),
                       "firmware": firmware_sources_hash()})
    if stage.done:
        log(f"  {label} on {board.name}: cached")
        return stage
    on = f"{board.name} ({where})" if where else board.name
    if where:
        log(f"  {label}: started on {where}")
    stage.begin()
    record: dict[str, Any] = {"variant": variant, "board": board.name, "runtime": runtime, "opt": opt}
    try:
        if tflm:
            from tfcompress.project.tflm import prepare_tflm

            compiled = prepare_tflm(tflite, tflm_tree)
        else:
            compiled = compile_model(tflite, recipe.board.kernels, board=board, compress_weights=compress)
    except TfcError as err:
        who = "TFLM" if tflm else "engine"
        why = err.what.removeprefix("TensorFlow Lite Micro cannot run this model: ")
        record.update(deployable=False, reason=f"{who}: {short_names(why)}", error=err.line())
        log(f"  {label}: not deployable with {who if tflm else 'the engine'} — {err.what}")
    else:
        ds = load_cached_dataset(data)
        eval_data = EvalData(ds.x_test[:n], ds.y_test[:n], ds.metric, ds.target_scale)
        fw_dir = run.root / "firmware" / board.name / f"{variant}{suffix}"
        _drop_stale_project(fw_dir, board.name, compiled.graph.model_hash, engine_key(compiled, profile))
        try:
            output_index(list(compiled.outputs), recipe.board.output)
        except TfcError as err:
            raise TfcError(f"recipe key 'board.output': {err.what}", err.fix) from None
        bar = iter(range(0) if where else progress(range(eval_data.n), f"  {label} on {on}", total=eval_data.n))
        report = evaluate_on_board(board, tflite, eval_data, port=port, firmware_dir=fw_dir,
                                   journal_path=stage.dir / "journal.jsonl", force=False,
                                   kernels=recipe.board.kernels, compress_weights=compress,
                                   on_sample=lambda _i: next(bar, None), output=recipe.board.output,
                                   runtime=runtime, prepared=compiled, profile=profile, flash=flash)
        for _ in bar:  # close the bar (samples resumed from the journal do not report)
            pass
        weights = int(compiled.weights_bytes)
        lat = report["latency"]
        record.update(
            deployable=True,
            reason="",
            metric_device=report.get("metric_value"),
            agreement=report["agreement"],
            mismatched_elements=report["mismatched_elements"],
            per_output=report["per_output"],
            metric_output=report.get("metric_output"),
            samples=report["samples"],
            flash_bytes=report["flash_bytes"],
            weights_bytes=weights,
            code_bytes=max(0, int(report["flash_bytes"]) - weights),
            # the runtime's RAM: the engine's planned arena + scratch + state, TFLM's arena_used_bytes()
            ram_bytes=report["runtime_ram_bytes"],
            firmware_ram_bytes=report["ram_bytes"],
            engine_ram_bytes=int(compiled.ram_bytes) if not tflm else None,
            kernels=compiled.kernels,
            max_abs_diff=report["max_abs_diff"],
            float_tolerance=report["float_tolerance"],
            latency=lat.get("mean"),
            latency_unit=lat.get("unit"),
            latency_stats=lat,
            link=report.get("link"),
            # arena + the stack measured on the device + static data (harness/profile.py ram_figure)
            ram_device=report.get("ram"),
            stack_bytes=(report.get("ram") or {}).get("stack_measured"),
        )
        if report.get("layers"):
            record.update(layers=report["layers"], profile=report["profile"])
        if report.get("detection"):
            record["detection"] = report["detection"]
        shown = record["metric_device"]
        metric = f"{ds.metric} {shown:.4g}, " if shown is not None else ""
        log(f"  {label} on {on}: {metric}agreement {100 * (record['agreement'] or 0):.1f}%, "
            f"{record['latency']:.0f} {record['latency_unit']}")
    (stage.dir / DEVICE_FILE).write_text(to_json(record))
    stage.complete({"agreement": record.get("agreement")}, [DEVICE_FILE])
    return stage


def short_names(text: str) -> str:
    """Shorten long quoted TFLite tensor names ('model/a/Relu;model/b/Conv2D') to the last layer/op."""
    return re.sub(r"'([^']{32,})'", lambda m: "'…/" + "/".join(m.group(1).split(";")[-1].split("/")[-2:]) + "'", text)


def _drop_stale_project(fw_dir: Path, board: str, model_hash: str, engine: str) -> None:
    """The run owns its firmware folders: a project generated for an older model of this variant,
    by other engine settings (kernel set, weight storage) or from other harness/board sources, goes."""
    try:
        meta = json.loads((fw_dir / "tfcompress.json").read_text())
    except (OSError, ValueError):
        return
    from tfcompress.project.generate import firmware_sources_key

    if (meta.get("board") != board or meta.get("model_hash") != model_hash or meta.get("engine") != engine
            or meta.get("sources") != firmware_sources_key()):
        log(f"  {fw_dir.name}: replacing firmware generated for an earlier model, engine setting or harness")
        shutil.rmtree(fw_dir)


def device_record(stage: Stage | None) -> dict[str, Any]:
    if stage is None:
        return {}
    return json.loads((stage.dir / DEVICE_FILE).read_text())


def merge_runtimes(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One variant's device records (one per runtime, in the recipe's order) -> its result rows:
    every deployable runtime gets a row (engine and TFLM side by side); a variant the engine cannot
    compile but TFLM runs keeps only the TFLM row, with the engine's reason as ``engine_reason``;
    a variant no runtime runs keeps one row whose reason is the last runtime's (TFLM's own reason
    when it was tried)."""
    records = [r for r in records if r]
    if not records:
        return [{}]
    ok = [r for r in records if r.get("deployable")]
    engine_reason = next((r.get("reason", "").removeprefix("engine: ") for r in records
                          if r.get("runtime", "engine") == "engine" and not r.get("deployable")), "")
    if not ok:
        return [dict(records[-1], engine_reason=engine_reason) if len(records) > 1 else records[0]]
    rows = []
    for r in records:
        if r.get("deployable") or r.get("runtime", "engine") != "engine":
            rows.append(dict(r, engine_reason=engine_reason) if r.get("runtime") == "tflm" and engine_reason
                        else r)
    return rows
