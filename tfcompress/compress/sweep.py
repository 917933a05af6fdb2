"""Sparsity sweeps: prune at each point of ``A:B:STEP``, tabulate metric vs sparsity, pick the best.

Best point = the highest target sparsity whose metric stays within ``tolerance`` of
the baseline metric (accuracy: at most ``tolerance`` lower; error metrics: at most
``tolerance`` higher). When no point qualifies, the best-metric point is marked and
the summary says so.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.compress import finetune
from tfcompress.compress.prune import SCHEDULES, PruneParams, prune
from tfcompress.compress.result import StageResult
from tfcompress.console import log, to_json
from tfcompress.errors import TfcError


def parse_sweep(text: str) -> list[float]:
    """``"0.10:0.90:0.05"`` -> [0.10, 0.15, ..., 0.90] (inclusive)."""
    try:
        a, b, step = (float(p) for p in text.split(":"))
    except ValueError as err:
        raise TfcError(f"bad sweep '{text}'", "write START:STOP:STEP, e.g. 0.10:0.90:0.05") from err
    if not (0.0 <= a <= b < 1.0 and step > 0):
        raise TfcError(f"bad sweep '{text}'", "need 0 <= START <= STOP < 1 and STEP > 0")
    n = int(np.floor((b - a) / step + 1e-9)) + 1
    return [round(a + i * step, 6) for i in range(n)]


@dataclass
class SweepResult:
    """All sweep points, the chosen best one and why."""

    baseline: float
    metric: str
    rows: list[dict[str, Any]]
    best: int
    best_reason: str
    tolerance: float
    best_result: StageResult | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "baseline": self.baseline, "tolerance": self.tolerance,
                "best": self.rows[self.best], "best_reason": self.best_reason, "points": self.rows}


def choose_best(rows: Sequence[dict[str, Any]], baseline: float, tolerance: float,
                higher: bool) -> tuple[int, str]:
    """Index of the best row and a sentence saying how it was chosen."""
    def within(v: float) -> bool:
        return v >= baseline - tolerance if higher else v <= baseline + tolerance

    ok = [i for i, r in enumerate(rows) if within(r["value"])]
    if ok:
        i = max(ok, key=lambda j: (rows[j]["sparsity"], rows[j]["value"] if higher else -rows[j]["value"]))
        return i, (f"highest sparsity whose metric is within {tolerance:g} of the baseline {baseline:.4g}")
    i = max(range(len(rows)), key=lambda j: rows[j]["value"] if higher else -rows[j]["value"])
    return i, f"no point within {tolerance:g} of the baseline {baseline:.4g}; marked the best metric instead"


def sweep(
    model: Any,
    dataset: Any,
    points: Sequence[float],
    *,
    schedules: Sequence[str] = ("constant",),
    base: PruneParams | None = None,
    tolerance: float = 0.01,
    seed: int = 0,
    on_point: Callable[[dict[str, Any]], None] | None = None,
) -> SweepResult:
    """Prune at every (schedule, sparsity) point, fine-tuning each from ``model``."""
    base = base or PruneParams()
    for s in schedules:
        if s not in SCHEDULES:
            raise TfcError(f"unknown schedule '{s}'", f"choose from: {', '.join(SCHEDULES)}")
    baseline = finetune.evaluate(model, dataset)
    higher = finetune.higher_is_better(dataset.metric)
    rows: list[dict[str, Any]] = []
    results: list[StageResult] = []
    total = len(points) * len(schedules)
    for schedule in schedules:
        for target in points:
            r = prune(model, dataset, replace(base, sparsity=float(target), schedule=schedule), seed=seed)
            row = {"schedule": schedule, "target": float(target), "sparsity": r.metrics["sparsity"],
                   "pruned_sparsity": r.metrics["pruned_sparsity"], "value": r.metrics["value"],
                   "delta": r.metrics["value"] - baseline}
            rows.append(row)
            results.append(r)
            log(f"  sweep [{len(rows)}/{total}] {schedule} {target:.2f}: {dataset.metric} "
                f"{row['value']:.4g} ({row['delta']:+.4g}), sparsity {row['pruned_sparsity']:.3f}")
            if on_point:
                on_point(row)
    best, reason = choose_best(rows, baseline, tolerance, higher)
    for i, row in enumerate(rows):
        row["best"] = i == best
    return SweepResult(baseline, dataset.metric, rows, best, reason, tolerance, results[best])


def save_sweep(result: SweepResult, out_dir: Path) -> dict[str, Path]:
    """Write sweep.csv, sweep.json and sweep.png (metric vs sparsity per schedule, best marked)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / "sweep.csv", "json": out_dir / "sweep.json", "png": out_dir / "sweep.png"}
    cols = ["schedule", "target", "sparsity", "pruned_sparsity", "value", "delta", "best"]
    with paths["csv"].open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in result.rows:
            w.writerow({c: r[c] for c in cols})
    paths["json"].write_text(json.dumps(json.loads(to_json(result.to_dict())), indent=2))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for schedule in dict.fromkeys(r["schedule"] for r in result.rows):
        pts = [r for r in result.rows if r["schedule"] == schedule]
        ax.plot([r["target"] for r in pts], [r["value"] for r in pts], marker="o", label=schedule)
    b = result.rows[result.best]
    ax.scatter([b["target"]], [b["value"]], marker="*", s=250, color="tab:red", zorder=4, label="best")
    ax.axhline(result.baseline, color="grey", ls="--", lw=1, label="baseline")
    ax.set_xlabel("target sparsity")
    ax.set_ylabel(result.metric)
    ax.set_title("Pruning sweep")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(paths["png"], dpi=110)
    plt.close(fig)
    return paths
