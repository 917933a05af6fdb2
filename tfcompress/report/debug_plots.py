"""Plots of the report's layer-by-layer section (``results["debug"]``): the engine's arena over the
ops of the int8 variant, and its per-layer quantisation error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_TENSOR = "#1c7ed6"
_SCRATCH = "#f59f00"
_PEAK = "#d9480f"


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": "tfcompress"})
    _plt().close(fig)
    return path


def plot_memory(results: dict[str, Any], out_dir: Path) -> Path | None:
    """Arena offset (y) over op step (x): one rectangle per buffer for the steps it is live,
    kernel scratch in another colour; the peak step and the buffers that make it outlined."""
    debug = results.get("debug") or {}
    mem = debug.get("memory")
    if not mem or not mem.get("buffers"):
        return None
    from matplotlib.patches import Rectangle

    plt = _plt()
    steps = mem["steps"]
    peak = mem.get("peak") or {}
    peak_ids = {b["buffer"] for b in peak.get("buffers", [])}
    fig, (ax, bar) = plt.subplots(2, 1, figsize=(9.5, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    kb = 1024.0
    for b in mem["buffers"]:
        colour = _SCRATCH if b["kind"] == "scratch" else _TENSOR
        hot = b["buffer"] in peak_ids
        ax.add_patch(Rectangle((b["first_step"] - 0.4, b["offset"] / kb), b["last_step"] - b["first_step"] + 0.8,
                               max(b["bytes"], 1) / kb, facecolor=colour, alpha=0.55 if hot else 0.3,
                               edgecolor=_PEAK if hot else colour, linewidth=1.4 if hot else 0.6))
    arena = mem["arena_bytes"] / kb
    ax.axhline(arena, color="#495057", linestyle="--", linewidth=0.9)
    ax.text(len(steps) - 0.6, arena, f"arena {mem['arena_bytes']:,} B", ha="right", va="bottom", fontsize=8)
    if peak.get("step") is not None:
        for a in (ax, bar):
            a.axvline(peak["step"], color=_PEAK, linewidth=1.0, linestyle=":")
    ax.set_xlim(-0.6, len(steps) - 0.4)
    ax.set_ylim(0, max(arena, 1e-3) * 1.08)
    ax.set_ylabel("arena offset (KB)")
    ax.set_title(f"arena of the {debug.get('variant', 'int8')} variant over the ops "
                 f"(blue: tensors, orange: kernel scratch; peak outlined)", fontsize=10)
    xs = [s["step"] for s in steps]
    bar.bar(xs, [s["live_bytes"] / kb for s in steps], color=[_PEAK if s["step"] == peak.get("step") else _TENSOR
                                                            for s in steps], alpha=0.7)
    bar.set_ylabel("live (KB)")
    bar.set_xlabel("step (0: inputs copied in, last: outputs copied out)")
    labels = [("inputs in" if s["step"] == 0 else "outputs out") if s["index"] is None else f"{s['index']} {s['op']}"
              for s in steps]
    if len(steps) <= 40:
        bar.set_xticks(xs)
        bar.set_xticklabels([lab[:18] for lab in labels], rotation=70, fontsize=7)
    fig.tight_layout()
    return _save(fig, out_dir / "debug_memory.png")


def plot_quant_error(results: dict[str, Any], out_dir: Path) -> Path | None:
    """RMSE in LSBs of each layer's output in op order, the worst layers labelled."""
    debug = results.get("debug") or {}
    rep = debug.get("quant_error")
    layers = [r for r in (rep or {}).get("layers", []) if r.get("rmse_lsb") is not None]
    if not layers:
        return None
    plt = _plt()
    ordered = sorted(layers, key=lambda r: r["order"])
    worst = {r["order"] for r in sorted(layers, key=lambda r: -r["rmse_lsb"])[:3]}
    fig, ax = plt.subplots(figsize=(9.5, 3.8))
    xs = list(range(len(ordered)))
    ax.bar(xs, [r["rmse_lsb"] for r in ordered], color=[_PEAK if r["order"] in worst else _TENSOR for r in ordered])
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{r['index']} {r['op']}"[:20] for r in ordered], rotation=70, fontsize=7)
    ax.set_ylabel("RMSE / output scale (LSB)")
    ax.set_title(f"per-layer quantisation error of {debug.get('variant', 'int8')} vs float32 "
                 f"({rep.get('data', '')}); worst in orange", fontsize=10)
    fig.tight_layout()
    return _save(fig, out_dir / "debug_quant_error.png")
