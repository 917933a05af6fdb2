"""The results table (terminal, CSV, HTML rows) and the analysis behind it.

A variant's headline metric is the best-informed one available: measured on the
device, else on the TFLite Micro host interpreter, else on the host.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from tfcompress.console import format_table

#: long latency units -> short column labels
_UNIT_SHORT = {"instructions (emulated)": "instr (emu)", "instructions": "instr", "cycles": "cycles"}
CSV_COLUMNS = (
    "variant", "runtime", "source", "mode", "deployable", "reason", "metric_host", "metric_tflm", "metric_device",
    "agreement", "tflite_bytes", "gzip_bytes", "flash_bytes", "weights_bytes", "code_bytes", "ram_bytes",
    "latency", "latency_unit", "compression_ratio", "max_abs_diff", "firmware_ram_bytes", "pareto_flash",
    "pareto_latency", "best", "stack_bytes", "opt",
)


#: the terminal table's note column is cut to this many characters
NOTE_WIDTH = 100


def runtime_of(variant: dict[str, Any]) -> str:
    """The row's on-device runtime (``engine`` when the results predate runtimes)."""
    return variant.get("runtime") or "engine"


def row_name(variant: dict[str, Any]) -> str:
    """A row's label, unique in the results: the variant, ``[tflm]`` added for TensorFlow Lite Micro."""
    return variant["variant"] if runtime_of(variant) == "engine" else f"{variant['variant']} [tflm]"


def headline_metric(variant: dict[str, Any]) -> float | None:
    """Device metric, else TFLM host metric, else host metric (None when none known)."""
    for key in ("metric_device", "metric_tflm", "metric_host"):
        if variant.get(key) is not None:
            return float(variant[key])
    return None


def flash_bytes(variant: dict[str, Any]) -> int | None:
    """Flash bytes, or weights + code when only those are known."""
    if variant.get("flash_bytes") is not None:
        return int(variant["flash_bytes"])
    if variant.get("weights_bytes") is not None and variant.get("code_bytes") is not None:
        return int(variant["weights_bytes"]) + int(variant["code_bytes"])
    return None


def latency_label(results: dict[str, Any]) -> str:
    """Short label of the board's latency unit, e.g. ``instr (emu)``."""
    unit = results["board"]["latency_unit"]
    return _UNIT_SHORT.get(unit, unit)


def _better(a: float, b: float, higher: bool) -> bool:
    return a > b if higher else a < b


def pareto_front(points: list[tuple[str, float, float]], higher_is_better: bool) -> list[str]:
    """Names of the points ``(name, cost, metric)`` no other point dominates.

    A point dominates another when its cost is lower or equal and its metric at least
    as good, one of them strictly. Lower cost is always better.
    """
    front = []
    for name, cost, metric in points:
        dominated = False
        for other, c2, m2 in points:
            if other == name:
                continue
            as_good = c2 <= cost and (m2 == metric or _better(m2, metric, higher_is_better))
            strictly = c2 < cost or _better(m2, metric, higher_is_better)
            if as_good and strictly:
                dominated = True
                break
        if not dominated:
            front.append(name)
    return front


def cost_points(results: dict[str, Any], cost: str) -> list[tuple[str, float, float]]:
    """``(variant, cost, metric)`` of deployable variants where both are known; cost is
    ``"flash"`` (bytes) or ``"latency"``."""
    out = []
    for v in results["variants"]:
        m = headline_metric(v)
        c = flash_bytes(v) if cost == "flash" else v.get("latency")
        if v["deployable"] and m is not None and c is not None:
            out.append((row_name(v), float(c), m))
    return out


def best_variant(results: dict[str, Any]) -> str | None:
    """The deployable row (its :func:`row_name`) with the best headline metric (ties: smaller flash,
    then the engine)."""
    higher = bool(results["higher_is_better"])
    cands = [(v, headline_metric(v)) for v in results["variants"] if v["deployable"]]
    cands = [(v, m) for v, m in cands if m is not None]
    if not cands:
        return None
    big = float("inf")

    def key(item: tuple[dict[str, Any], float]) -> tuple[float, float, int]:
        v, m = item
        return (-m if higher else m, flash_bytes(v) or big, runtime_of(v) != "engine")

    return row_name(min(cands, key=key)[0])


def format_metric(metric: str, value: float | None) -> str:
    """Human form of a metric value (accuracy as a percentage)."""
    if value is None:
        return "-"
    if metric == "accuracy":
        return f"{100 * value:.2f}%"
    if metric.endswith("_px"):
        return f"{value:.2f} px"
    return f"{value:.4g}"


def format_count(value: float | None) -> str:
    """1234567 -> ``1.23 M``; small counts stay exact."""
    if value is None:
        return "-"
    for div, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= div:
            return f"{value / div:#.3g}{suffix}"
    return f"{value:.0f}"


def _kb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:.1f}"


def _flash_cell(v: dict[str, Any]) -> str:
    total = flash_bytes(v)
    if total is None:
        return "-"
    w, c = v.get("weights_bytes"), v.get("code_bytes")
    if w is not None and c is not None:
        return f"{_kb(total)} ({_kb(w)} + {_kb(c)})"
    return _kb(total)


def _ram_cell(v: dict[str, Any]) -> str:
    """The runtime's RAM, plus the stack measured on the device when it was (``+ stack``)."""
    ram, stack = v.get("ram_bytes"), v.get("stack_bytes")
    if ram is None or stack is None:
        return _kb(ram)
    return f"{_kb(ram)} + {_kb(stack)} stack"


def table_rows(results: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    """Column headers and one row of display strings per variant.

    ``runtime`` is the on-device runtime of the row (engine or tflm: a variant measured with both
    has two rows, side by side); ``host`` / ``TFLM`` / ``device`` are the metric on the host, on
    the TFLite Micro host interpreter and on the board; ``note`` is the reason a variant is not
    deployable, ``best`` for :func:`best_variant`, or why the engine did not run a TFLM row.
    """
    metric = results["metric"]
    cols = [
        "variant", "runtime", "host", "TFLM", "device", "agreement",
        "flash KB (weights + code)", "RAM KB", f"latency {latency_label(results)}", "ratio", "note",
    ]
    best = best_variant(results)
    rows = []
    for v in results["variants"]:
        agree = v.get("agreement")
        ratio = v.get("compression_ratio")
        note = v["reason"] if not v["deployable"] else ("best" if row_name(v) == best else "")
        if v["deployable"] and v.get("engine_reason"):
            note = "; ".join(filter(None, [note, f"engine: {v['engine_reason']}"]))
        if not v["deployable"] and not note:
            note = "not deployable"
        if len(note) > NOTE_WIDTH:  # the full reason stays in results.json/CSV and the HTML report
            note = note[: NOTE_WIDTH - 1] + "…"
        rows.append(dict(zip(cols, [
            v["variant"],
            runtime_of(v) if v["deployable"] or v.get("runtime") else "-",
            format_metric(metric, v.get("metric_host")),
            format_metric(metric, v.get("metric_tflm")),
            format_metric(metric, v.get("metric_device")),
            "-" if agree is None else f"{100 * agree:.1f}%",
            _flash_cell(v),
            _ram_cell(v),
            format_count(v.get("latency")),
            "-" if ratio is None else f"{ratio:.2f}×",
            note,
        ], strict=True)))
    return cols, rows


def results_table(results: dict[str, Any]) -> str:
    """The per-variant results as a terminal table (``-`` for missing values)."""
    cols, rows = table_rows(results)
    direction = "higher" if results["higher_is_better"] else "lower"
    head = f"{results['metric']} ({direction} is better) on {results['board']['name']}"
    if results["board"]["emulated"]:
        head += " (emulated)"
    return head + "\n" + format_table(rows, cols)


def write_csv(results: dict[str, Any], path: Path | str) -> Path:
    """Write one row per variant with raw (unformatted) values; returns the path."""
    path = Path(path)
    best = best_variant(results)
    pf = set(pareto_front(cost_points(results, "flash"), results["higher_is_better"]))
    pl = set(pareto_front(cost_points(results, "latency"), results["higher_is_better"]))
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS), extrasaction="ignore")
        w.writeheader()
        for v in results["variants"]:
            row = {k: ("" if v.get(k) is None else v.get(k)) for k in CSV_COLUMNS}
            row["runtime"] = runtime_of(v)
            row["latency_unit"] = results["board"]["latency_unit"]
            row["flash_bytes"] = "" if flash_bytes(v) is None else flash_bytes(v)
            row["pareto_flash"] = row_name(v) in pf
            row["pareto_latency"] = row_name(v) in pl
            row["best"] = row_name(v) == best
            w.writerow(row)
    return path
