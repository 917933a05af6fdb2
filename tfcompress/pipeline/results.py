"""Assemble ``results.json`` (schema in :mod:`tfcompress.report.schema`) from the stage artifacts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.compress.cluster_fit import describe
from tfcompress.pipeline.layout import METRICS_FILE, load_cached_dataset
from tfcompress.recipe import Recipe
from tfcompress.rundir import RunDir, Stage

RESULTS_FILE = "results.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def variant_row(
    variant: str, source: str, mode: str, host: dict[str, Any], device: dict[str, Any], float_bytes: int | None
) -> dict[str, Any]:
    """One row of the results table from the host record and the on-device record."""
    metric_host = host.get("tflm_metric") if host.get("tflm_metric") is not None else host.get("tflite_metric")
    flash = device.get("flash_bytes")
    size_for_ratio = device.get("weights_bytes") or host.get("size_bytes")
    return {
        "variant": variant,
        "source": source,
        "mode": mode,
        "tflite_bytes": host.get("size_bytes"),
        "gzip_bytes": host.get("gzip_bytes"),
        "metric_host": host.get("tflite_metric"),
        "metric_tflm": host.get("tflm_metric"),
        "metric_best_host": metric_host,
        "deployable": bool(device.get("deployable", host.get("deployable", False))),
        "reason": "" if device.get("deployable") else (device.get("reason") or host.get("deployable_reason")
                                                       or host.get("error") or ""),
        "metric_device": device.get("metric_device"),
        "agreement": device.get("agreement"),
        "flash_bytes": flash,
        "weights_bytes": device.get("weights_bytes"),
        "code_bytes": device.get("code_bytes"),
        "ram_bytes": device.get("ram_bytes"),
        "latency": device.get("latency"),
        "compression_ratio": (float_bytes / size_for_ratio) if float_bytes and size_for_ratio else None,
        "runtime": device.get("runtime") if device.get("deployable") or device.get("runtime") == "tflm" else None,
        "engine_reason": device.get("engine_reason") or None,
        "max_abs_diff": device.get("max_abs_diff"),
        "float_tolerance": device.get("float_tolerance"),
        "firmware_ram_bytes": device.get("firmware_ram_bytes"),
        "tflm_arena_bytes": host.get("tflm_arena_bytes"),
        "sparsity": host.get("sparsity"),
        "max_unique_values": host.get("max_unique_values"),
        # measured on the device: the stack's high-water mark, the RAM figure it is part of, and
        # (profiling builds, [board] profile = true) the per-op counts
        "stack_bytes": device.get("stack_bytes"),
        "opt": device.get("opt"),  # the firmware's compiler optimisation level (None: not built)
        "ram_device": device.get("ram_device"),
        **({"layers": device["layers"], "profile": device.get("profile")} if device.get("layers") else {}),
        # detection: mAP@0.5, mAP@[.5:.95] and per-class AP@0.5 on the host (TFLM) and the device
        **({"detection_host": host["detection"]} if host.get("detection") else {}),
        **({"detection_device": device["detection"]} if device.get("detection") else {}),
    }


def assemble(
    run: RunDir,
    recipe: Recipe,
    data: Stage,
    stages: dict[str, Stage],
    variants: list[tuple[str, str, str, Stage]],
    device: dict[str, list[dict[str, Any]]],
    board: dict[str, Any],
    timings: dict[str, float],
) -> dict[str, Any]:
    """Build the results dict and write ``results.json`` in the run directory."""
    summary = data.metrics().get("summary", {})
    hosts = {name: _read(st.dir / METRICS_FILE) for name, _, _, st in variants}
    float_bytes = hosts.get("float32", {}).get("size_bytes")
    rows = [variant_row(n, src, mode, hosts[n], dev, float_bytes)
            for n, src, mode, _ in variants for dev in (device.get(n) or [{}])]
    stage_rows = []
    sweep: list[dict[str, Any]] = []
    for name, st in stages.items():
        if name in ("data", "teacher", "baseline"):
            continue
        m = _read(st.dir / METRICS_FILE)
        limited = m.get("metrics", {}).get("clusters_limited") or {}
        stage_rows.append(
            {
                "name": name,
                "method": m.get("method"),
                "source": m.get("source"),
                "metric": m.get("metrics", {}).get("value"),
                "layers": [
                    {"name": r["name"], "params": r["params"], "sparsity": r["sparsity"], "unique": r["unique_values"],
                     **({"note": describe(limited[r["name"]])} if r["name"] in limited else {})}
                    for r in m.get("layers", [])
                ],
            }
        )
        sweep += m.get("metrics", {}).get("sweep", [])
    from tfcompress.metrics import higher_is_better

    results = {
        "recipe": recipe.name,
        "task": summary.get("task"),
        "metric": summary.get("metric"),
        "higher_is_better": higher_is_better(summary.get("metric", "accuracy")),
        "dataset": recipe.dataset.source,
        "model": stages["baseline"].metrics().get("model", {}).get("name", recipe.model.name),
        "baseline_metric": stages["baseline"].metrics().get("value"),
        "board": board,
        "variants": rows,
        "stages": stage_rows,
        "sweep": sweep,
        "timings": timings,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if summary.get("task") == "detection":
        results["class_names"] = list(summary.get("class_names", []))
    if (run.root / "samples.npz").is_file():
        results["samples"] = "samples.npz"
    debug = _debug(run, recipe, data, variants, board)
    if debug is not None:
        results["debug"] = debug
    (run.root / RESULTS_FILE).write_text(json.dumps(results, indent=2, default=float))
    return results


def _debug(run: RunDir, recipe: Recipe, data: Stage, variants: list[tuple[str, str, str, Stage]],
           board: dict[str, Any]) -> dict[str, Any] | None:
    """The int8 variant's memory timeline and per-layer quantisation error (pipeline/debug_steps.py)."""
    from tfcompress.boards import load_board
    from tfcompress.errors import TfcError
    from tfcompress.pipeline.debug_steps import debug_section
    from tfcompress.pipeline.layout import TFLITE_FILE

    files = [(name, mode, st.dir / TFLITE_FILE) for name, _, mode, st in variants]
    float_file = next((p for name, mode, p in files if mode == "float32"), None)
    try:
        x_test = load_cached_dataset(data).x_test
    except (OSError, ValueError, KeyError):
        x_test = None
    try:
        spec = load_board(board["name"])
    except TfcError:
        spec = None
    return debug_section(files, x_test, recipe.board.kernels, float_file, board=spec, compress=recipe.board.compresses,
                         firmware_dir=run.root / "firmware" / board["name"])


def write_samples(run: RunDir, data: Stage, tflite: Path, n: int = 16) -> None:
    """For regression and detection runs: sample images with true and predicted (pixel) targets or
    boxes (class, score, corners in [0, 1]; class -1 pads), for the report."""
    from tfcompress.convert.evaluate import tflite_predict

    ds = load_cached_dataset(data)
    if ds.task not in ("regression", "detection") or not tflite.is_file():
        return
    x = ds.x_test[:n]
    pred, _ = tflite_predict(tflite.read_bytes(), x)
    if ds.task == "detection":
        from tfcompress.detect.metric import detections

        dets = detections(pred, int(ds.target_scale), score_threshold=0.3, limit=10)
        boxes = np.full((len(x), 10, 6), -1, np.float32)  # (class, score, x0, y0, x1, y1)
        for i, (b, s, c) in enumerate(dets):
            boxes[i, : len(b)] = np.concatenate([c[:, None], s[:, None], b], 1)
        np.savez(run.root / "samples.npz", x=x, y_true=ds.y_test[:n], y_pred=boxes)
        return
    np.savez(run.root / "samples.npz", x=x, y_true=ds.y_test[:n] * ds.target_scale,
             y_pred=np.asarray(pred).reshape(len(x), -1) * ds.target_scale)
