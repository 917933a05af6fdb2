"""The variant table: printed, saved as CSV and JSON, and a metric-vs-size plot with the Pareto front."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfcompress.console import format_table, to_json

#: Table columns in display order.
COLUMNS = (
    "variant", "mode", "size_bytes", "gzip_bytes", "input_dtype", "tflite_metric", "tflm_metric",
    "tflm_arena_bytes", "sparsity", "max_unique_values", "tflm_max_diff", "deployable", "deployable_reason",
    "error",
)


def _metric_of(row: dict[str, Any]) -> float | None:
    value = row.get("tflm_metric")
    return value if value is not None else row.get("tflite_metric")


def pareto_front(rows: Sequence[dict[str, Any]], higher_is_better: bool = True) -> set[str]:
    """Variants not dominated in (smaller gzip size, better metric)."""
    pts = [(r["variant"], r["gzip_bytes"], _metric_of(r)) for r in rows
           if r.get("gzip_bytes") is not None and _metric_of(r) is not None]
    sign = 1.0 if higher_is_better else -1.0
    front = set()
    for name, size, metric in pts:
        dominated = any(
            s <= size and sign * m >= sign * metric and (s < size or sign * m > sign * metric)
            for n, s, m in pts if n != name
        )
        if not dominated:
            front.add(name)
    return front


def table_rows(records: Sequence[dict[str, Any]], higher_is_better: bool = True) -> list[dict[str, Any]]:
    """Flat rows (one per variant) with a ``pareto`` flag."""
    front = pareto_front(records, higher_is_better)
    rows = []
    for rec in records:
        row = {c: rec.get(c) for c in COLUMNS}
        row["pareto"] = rec.get("variant") in front
        rows.append(row)
    return rows


def format_variant_table(rows: Sequence[dict[str, Any]]) -> str:
    """Human table (the long reason column is shortened)."""
    shown = []
    for r in rows:
        s = dict(r)
        s["deployable"] = "yes" if r.get("deployable") else "no"
        s["pareto"] = "*" if r.get("pareto") else ""
        reason = str(r.get("deployable_reason") or "")
        s["deployable_reason"] = reason if len(reason) <= 60 else reason[:57] + "..."
        s["error"] = (str(r["error"])[:60]) if r.get("error") else None
        shown.append(s)
    return format_table(shown, [*COLUMNS, "pareto"])


def save_table(rows: Sequence[dict[str, Any]], out_dir: Path, metric_name: str,
               higher_is_better: bool = True) -> dict[str, Path]:
    """Write variants.csv, variants.json and variants.png into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / "variants.csv", "json": out_dir / "variants.json", "png": out_dir / "variants.png"}
    cols = [*COLUMNS, "pareto"]
    with paths["csv"].open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for r in rows:
            writer.writerow({c: r.get(c) for c in cols})
    paths["json"].write_text(json.dumps(json.loads(to_json({"metric": metric_name, "variants": list(rows)})),
                                        indent=2))
    plot_variants(rows, paths["png"], metric_name, higher_is_better)
    return paths


def plot_variants(rows: Sequence[dict[str, Any]], path: Path, metric_name: str,
                  higher_is_better: bool = True) -> None:
    """Metric vs gzip size, Pareto-optimal variants joined and marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [(r["variant"], r["gzip_bytes"] / 1024, _metric_of(r), bool(r.get("pareto"))) for r in rows
           if r.get("gzip_bytes") is not None and _metric_of(r) is not None]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, size, metric, front in pts:
        ax.scatter([size], [metric], marker="*" if front else "o", s=120 if front else 40,
                   color="tab:red" if front else "tab:blue", zorder=3)
        ax.annotate(name, (size, metric), textcoords="offset points", xytext=(4, 4), fontsize=8)
    front_pts = sorted((s, m) for _, s, m, f in pts if f)
    if len(front_pts) > 1:
        ax.plot(*zip(*front_pts, strict=True), color="tab:red", lw=1, ls="--", label="Pareto front")
        ax.legend()
    ax.set_xlabel("gzip size (KiB)")
    ax.set_ylabel(f"{metric_name} ({'higher' if higher_is_better else 'lower'} is better)")
    ax.set_title("TFLite variants: metric vs size")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
