"""The sweep report: one table of all trials, Pareto fronts across trials (metric vs flash, latency,
RAM, .tflite size), the best trial per constraint set, and links to every trial's own report."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from tfcompress.console import format_table
from tfcompress.report.table import pareto_front
from tfcompress.sweep.search import best_trial

SWEEP_REPORT = "sweep.html"
#: Pareto plots: trial summary key -> axis label
COST_AXES = {"flash_bytes": "flash (bytes)", "latency": "latency", "ram_bytes": "RAM (bytes)",
             "tflite_bytes": ".tflite size (bytes)", "gzip_bytes": "gzip'd .tflite (bytes)"}


def _points(trials: list[dict[str, Any]], cost: str) -> list[tuple[str, float, float]]:
    return [(t["id"], float(t["summary"][cost]), float(t["summary"]["metric"])) for t in trials
            if t["status"] == "done" and t["summary"].get(cost) is not None and t["summary"].get("metric") is not None]


def pareto_fronts(state: dict[str, Any]) -> dict[str, list[str]]:
    """Per cost: the ids of the trials no other trial beats on both that cost and the metric."""
    trials = state["trials"]
    higher = next((t["summary"]["higher_is_better"] for t in trials if t["status"] == "done"), True)
    return {cost: pareto_front(pts, higher) for cost in COST_AXES if (pts := _points(trials, cost))}


def best_per_constraint(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The best trial with no constraint, then per constraint set (``trial`` None when no trial fits)."""
    from tfcompress.sweep.spec import ConstraintSet

    sets = [ConstraintSet("no constraint", {})]
    sets += [ConstraintSet(c["name"], {k: v for k, v in c.items() if k != "name"})
             for c in state.get("spec", {}).get("constraints", [])]
    out = []
    for cs in sets:
        best = best_trial(state["trials"], cs.allows)
        out.append({"name": cs.name, "bounds": cs.bounds, "trial": best["id"] if best else None,
                    "metric": best["summary"]["metric"] if best else None,
                    "params": best["params"] if best else None})
    return out


def trial_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per trial: id, status, parameters, the judged variant's numbers, error."""
    rows = []
    for t in state["trials"]:
        s = t.get("summary") or {}
        rows.append({"trial": t["id"], "status": t["status"], **t["params"], "metric": s.get("metric"),
                     "flash_bytes": s.get("flash_bytes"), "ram_bytes": s.get("ram_bytes"),
                     "latency": s.get("latency"), "tflite_bytes": s.get("tflite_bytes"),
                     "gzip_bytes": s.get("gzip_bytes"), "seconds": t.get("seconds"), "error": t.get("error") or ""})
    return rows


def sweep_table(state: dict[str, Any]) -> str:
    """The terminal table of all trials."""
    def cell(v: Any) -> Any:
        return f"{v:.4g}" if isinstance(v, float) else ("-" if v is None else v)

    return format_table([{k: cell(v) for k, v in r.items()} for r in trial_rows(state)])


def _plot(state: dict[str, Any], cost: str, front: list[str], path: Path) -> Path:
    from tfcompress.report.plots import _FRONT, _POINT, _plt, _save

    plt = _plt()
    pts = _points(state["trials"], cost)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.scatter([c for _, c, _ in pts], [m for _, _, m in pts], color=_POINT, label="trial")
    on = sorted((c, m, i) for i, c, m in pts if i in front)
    ax.plot([c for c, _, _ in on], [m for _, m, _ in on], color=_FRONT, marker="o", label="Pareto front")
    for i, c, m in pts:
        ax.annotate(i, (c, m), textcoords="offset points", xytext=(4, 4), fontsize=8)
    done = next(t["summary"] for t in state["trials"] if t["status"] == "done")
    unit = f" ({done.get('latency_unit')})" if cost == "latency" and done.get("latency_unit") else ""
    ax.set_xlabel(COST_AXES[cost] + unit)
    ax.set_ylabel(f"{done['metric_name']} of {state['variant']}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def write_sweep_report(root: Path, state: dict[str, Any]) -> Path:
    """Write ``ROOT/sweep.html`` (plots inlined; trial reports linked relatively)."""
    import jinja2

    from tfcompress.report.html import GENERATOR

    fronts = pareto_fronts(state)
    plots = []
    for cost, front in fronts.items():
        png = _plot(state, cost, front, root / "plots" / f"metric_vs_{cost}.png")
        plots.append({"cost": COST_AXES[cost], "front": front,
                      "uri": "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")})
    rows = trial_rows(state)
    for row, t in zip(rows, state["trials"], strict=True):
        row["link"] = f"{t['dir']}/{t['report']}" if t.get("report") else None
    env = jinja2.Environment(loader=jinja2.PackageLoader("tfcompress.report", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    params = list(state["spec"]["params"])
    html = env.get_template("sweep.html.j2").render(
        generator=GENERATOR, state=state, rows=rows, params=params, plots=plots,
        best=best_per_constraint(state), fronts=fronts)
    path = root / SWEEP_REPORT
    path.write_text(html, encoding="utf-8")
    return path
