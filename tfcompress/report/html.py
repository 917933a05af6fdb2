"""The self-contained HTML report: one file, plots inlined as base64 PNG data URIs,
inline CSS, no scripts and no external references."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tfcompress import __version__
from tfcompress.errors import TfcError
from tfcompress.report.plots import make_plots
from tfcompress.report.schema import load_results
from tfcompress.report.table import (
    best_variant,
    cost_points,
    format_metric,
    headline_metric,
    pareto_front,
    row_name,
    runtime_of,
    table_rows,
    write_csv,
)

REPORT_FILE = "report.html"
PLOTS_DIR = "plots"
#: marker in every report we write; a file without it is never overwritten without force
GENERATOR = f"tfcompress report {__version__}"
_MARKER = 'name="generator" content="tfcompress report'

_CAPTIONS = {
    "metric_vs_flash": "Metric against firmware flash (weights + code) of each deployable variant. "
                       "Orange points are Pareto-optimal: no other variant is both smaller and better; "
                       "★ is the best metric.",
    "metric_vs_latency": "Metric against mean latency per inference on the board. Orange points are "
                         "Pareto-optimal.",
    "sizes": "Bytes of each variant: the .tflite file, gzip'd, and the firmware's flash split into "
             "weights and code (deployable variants only).",
    "sweep": "Metric of the pruned model at each target sparsity and schedule; ★ is the point chosen.",
    "samples": "Test samples with the true (green) and predicted (red) pupil centre; "
               "titles give the error in pixels.",
    "class_ap": "AP@0.5 per class (pycocotools) of each variant, on the device where it ran, else on the host.",
}
_DETECTION_SAMPLES = ("Test samples run through the int8 variant on the host: true boxes (green) and detections "
                      "(red, dashed; class and score ≥ 0.3 after per-class NMS).")


@dataclass
class Report:
    """What :func:`build_report` wrote."""

    path: Path
    plots: list[Path] = field(default_factory=list)
    csv: Path | None = None


def is_tfcompress_report(path: Path) -> bool:
    """Whether ``path`` is a report this tool wrote (so it may be replaced)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return _MARKER in head


def _data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def _fmt_seconds(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 60:
        return f"{int(s // 60)} min {s % 60:.0f} s"
    return f"{s:.1f} s"


def _context(results: dict[str, Any], run_dir: Path, plots: dict[str, Path], csv_name: str | None
             ) -> dict[str, Any]:
    metric = results["metric"]
    cols, rows = table_rows(results)
    best = best_variant(results)
    higher = bool(results["higher_is_better"])
    front_flash = set(pareto_front(cost_points(results, "flash"), higher))
    table = []
    first_dev, last_dev = cols.index("device"), cols.index("ratio")
    for v, row in zip(results["variants"], rows, strict=True):
        classes = []
        if row_name(v) == best:
            classes.append("best")
        cells = [{"text": row[c], "cls": "", "span": 1} for c in cols]
        cells[-1]["cls"] = "note"
        if not v["deployable"]:
            classes.append("undeployable")
            # the reason takes the place of the device-only columns
            reason = {"text": "not deployable: " + (v["reason"] or "no reason given"), "cls": "reason",
                      "span": last_dev - first_dev}
            cells = cells[:first_dev] + [reason] + cells[last_dev:]
            cells[-1]["text"] = ""
        if runtime_of(v) == "tflm":
            classes.append("tflm")
        table.append({"cells": cells, "classes": " ".join(classes), "pareto": row_name(v) in front_flash})
    figures = []
    for key, png in plots.items():
        if key.startswith(("stage:", "debug:")):
            continue
        caption = _CAPTIONS.get(key, "")
        if key == "samples" and results.get("task") == "detection":
            caption = _DETECTION_SAMPLES
        if key.startswith("layers:"):
            caption = (f"Per-op counts of {key.removeprefix('layers:')} measured on the board by a profiling build "
                       "([board] profile = true): one bar per op (fused ops name every TFLite op they cover; "
                       "orange: ops with MACs), labelled with the op's share of the run and its count per MAC.")
        figures.append({"key": key, "src": _data_uri(png), "caption": caption})
    stages = []
    for st in results["stages"]:
        png = plots.get(f"stage:{st['name']}")
        total = sum(layer["params"] for layer in st["layers"])
        zeros = sum(layer["params"] * layer["sparsity"] for layer in st["layers"])
        stages.append({
            "name": st["name"], "method": st["method"], "source": st["source"],
            "metric": format_metric(metric, st["metric"]),
            "src": _data_uri(png) if png else None,
            "params": f"{total:,}", "sparsity": f"{100 * zeros / total:.1f}%" if total else "-",
            "layers": [{"name": layer["name"], "params": f"{layer['params']:,}",
                        "sparsity": f"{100 * layer['sparsity']:.1f}%", "unique": f"{layer['unique']:,}",
                        "note": layer.get("note")}
                       for layer in st["layers"]],
        })
    timings = [(k, _fmt_seconds(float(v))) for k, v in results["timings"].items()]
    total_s = sum(float(v) for v in results["timings"].values())
    board = results["board"]
    best_v = next((v for v in results["variants"] if row_name(v) == best), None)
    summary = [
        ("recipe", results["recipe"]), ("task", results["task"]), ("dataset", results["dataset"]),
        ("model", results["model"]),
        ("metric", f"{metric} ({'higher' if higher else 'lower'} is better)"),
        ("board", board["name"] + (" (emulated in QEMU)" if board["emulated"] else "")),
        ("latency unit", board["latency_unit"]),
        ("created", results["created"]),
    ]
    return {
        "detection": _detection_context(results),
        "debug": _debug_context(results.get("debug"), plots),
        "title": f"tfcompress report — {results['recipe']}",
        "generator": GENERATOR,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "run_dir": str(run_dir),
        "summary": summary,
        "best": best,
        "best_metric": format_metric(metric, None if best_v is None else headline_metric(best_v)),
        "n_variants": len({v["variant"] for v in results["variants"]}),
        "n_deployable": len({v["variant"] for v in results["variants"] if v["deployable"]}),
        "runtimes": sorted({runtime_of(v) for v in results["variants"] if v["deployable"]}),
        "columns": cols,
        "rows": table,
        "figures": figures,
        "stages": stages,
        "timings": timings,
        "total_time": _fmt_seconds(total_s),
        "csv": csv_name,
        "emulated": board["emulated"],
    }


def _detection_context(results: dict[str, Any]) -> dict[str, Any] | None:
    """The per-class AP table of a detection run: one row per variant and place (host, device)."""
    if results.get("task") != "detection":
        return None
    names = list(results.get("class_names") or [])
    rows = []
    for v in results["variants"]:
        for where in ("host", "device"):
            det = v.get(f"detection_{where}")
            if not det:
                continue
            ap = det.get("per_class_ap50", {})
            rows.append({"variant": row_name(v), "where": where, "map50": _fmt(det.get("map50"), ".3f"),
                         "map50_95": _fmt(det.get("map50_95"), ".3f"),
                         "classes": [_fmt(ap.get(str(k)), ".3f") for k in range(len(names))]})
    return {"classes": names, "rows": rows} if rows else None


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def _debug_context(debug: dict[str, Any] | None, plots: dict[str, Path]) -> dict[str, Any] | None:
    """The layer-by-layer section: memory timeline and per-layer quantisation error of one variant."""
    if not debug:
        return None
    mem, rep = debug.get("memory"), debug.get("quant_error")
    peak = (mem or {}).get("peak") or {}
    memory = None
    if mem:
        where = peak.get("op", "") if peak.get("index") is None else f"op #{peak['index']} {peak['op']}"
        memory = {
            "src": _data_uri(plots["debug:memory"]) if "debug:memory" in plots else None,
            "arena": f"{mem['arena_bytes']:,} B", "peak": f"{peak.get('live_bytes', 0):,} B",
            "where": f"{where} (step {peak.get('step')})",
            "extra": f"stack scratch {mem['scratch_bytes']:,} B, state {mem['state_bytes']:,} B",
            "buffers": [{"bytes": f"{b['bytes']:,}", "offset": f"{b['offset']:,}", "kind": b["kind"],
                         "names": ", ".join(b["names"])} for b in peak.get("buffers", [])],
            "flash": [{"op": f"#{f['index']} {f['op']}", "bytes": f"{f['flash_bytes']:,}",
                       "code": "-" if f.get("code_bytes") is None else f"{f['code_bytes']:,}",
                       "kernels": ", ".join(f["kernels"])} for f in mem.get("flash", [])],
            "weights": f"{mem['weights_bytes']:,} B", "code_note": mem.get("code_bytes_note", ""),
        }
    quant = None
    if rep:
        quant = {
            "src": _data_uri(plots["debug:quant_error"]) if "debug:quant_error" in plots else None,
            "data": rep.get("data", ""), "samples": rep.get("samples"),
            "rows": [{"op": f"#{r['index']} {r['op']}", "name": r["name"], "dtype": r["dtype"],
                      "rmse_lsb": _fmt(r["rmse_lsb"], ".3f"), "max_lsb": _fmt(r["max_abs_lsb"], ".1f"),
                      "bias_lsb": _fmt(r["mean_error_lsb"], "+.3f"), "corr": _fmt(r["correlation"], ".5f")}
                     for r in rep.get("layers", [])[:12]],
        }
    return {"variant": debug.get("variant", ""), "memory": memory, "quant": quant,
            "errors": list(debug.get("errors") or [])}


def render_html(results: dict[str, Any], run_dir: Path, plots: dict[str, Path],
                csv_name: str | None = None) -> str:
    """Render the report template to an HTML string."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tfcompress.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**_context(results, run_dir, plots, csv_name))


def build_report(run_dir: Path | str, out: Path | str | None = None, *, force: bool = False) -> Report:
    """Write the report of ``run_dir`` (plots under ``RUN_DIR/plots/``, ``results.csv``
    beside ``results.json``) and return what was written.

    ``out`` defaults to ``RUN_DIR/report.html``. A file at ``out`` that is not a previous
    tfcompress report is only replaced with ``force``.
    """
    run_dir = Path(run_dir)
    results = load_results(run_dir)
    path = Path(out) if out is not None else run_dir / REPORT_FILE
    if path.is_dir():
        raise TfcError(f"'{path}' is a directory", "pass a file name to --out")
    if path.exists() and not force and not is_tfcompress_report(path):
        raise TfcError(f"'{path}' exists and is not a tfcompress report",
                       "pass --force to overwrite it, or choose another --out")
    plots = make_plots(results, run_dir, run_dir / PLOTS_DIR)
    csv_path = write_csv(results, run_dir / "results.csv")
    text = render_html(results, run_dir, plots, csv_path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return Report(path=path, plots=list(plots.values()), csv=csv_path)


def write_report(run_dir: Path | str, out: Path | str | None = None, *, force: bool = False) -> Path:
    """Write the self-contained HTML report of ``run_dir``; returns its path."""
    return build_report(run_dir, out, force=force).path
