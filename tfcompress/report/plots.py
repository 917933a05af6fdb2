"""Report plots (matplotlib, Agg backend, PNG).

Each ``plot_*`` function draws one figure into ``out_dir`` and returns the PNG's
path, or None when the results hold nothing to draw. :func:`make_plots` draws all
of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.console import log
from tfcompress.errors import TfcError
from tfcompress.report.table import (
    best_variant,
    cost_points,
    flash_bytes,
    format_count,
    pareto_front,
    row_name,
)

_DPI = 110
_PNG_META = {"Software": "tfcompress"}
_FRONT = "#d9480f"
_POINT = "#1c7ed6"


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=_DPI, metadata=_PNG_META)
    _plt().close(fig)
    return path


def _metric_label(results: dict[str, Any]) -> str:
    better = "higher" if results["higher_is_better"] else "lower"
    metric = results["metric"]
    unit = " (%)" if metric == "accuracy" else ""
    return f"{metric}{unit} — {better} is better"


def _metric_scale(results: dict[str, Any]) -> float:
    return 100.0 if results["metric"] == "accuracy" else 1.0


def plot_tradeoff(results: dict[str, Any], cost: str, out_dir: Path) -> Path | None:
    """Metric vs flash (KB) or latency, deployable variants, Pareto front marked."""
    pts = cost_points(results, cost)
    if not pts:
        return None
    plt = _plt()
    higher = bool(results["higher_is_better"])
    front = set(pareto_front(pts, higher))
    best = best_variant(results)
    scale = _metric_scale(results)
    if cost == "flash":
        div, xlabel = 1024.0, "flash (KB, weights + code)"
    else:
        unit = results["board"]["latency_unit"]
        big = max(p[1] for p in pts)
        div, prefix = (1e6, "M ") if big >= 1e6 else (1e3, "k ") if big >= 1e3 else (1.0, "")
        xlabel = f"latency per inference ({prefix}{unit})"
    xs = np.array([p[1] / div for p in pts])
    ys = np.array([p[2] * scale for p in pts])
    fig, ax = plt.subplots(figsize=(5.6, 3.9), layout="constrained")
    on = np.array([p[0] in front for p in pts])
    ax.scatter(xs[~on], ys[~on], s=46, color=_POINT, alpha=0.75, label="variant", zorder=3)
    ax.scatter(xs[on], ys[on], s=70, color=_FRONT, edgecolor="black", linewidth=0.6,
               label="Pareto front", zorder=4)
    order = np.argsort(xs[on])
    fx, fy = xs[on][order], ys[on][order]
    if len(fx) > 1:
        ax.step(fx, fy, where="post", color=_FRONT, linewidth=1.4, alpha=0.8, zorder=2)
    # spread labels of points that sit on top of each other
    seen: dict[tuple[float, float], int] = {}
    span_y = (ys.max() - ys.min()) or 1.0
    for (name, _, _), x, y in zip(pts, xs, ys, strict=True):
        k = (round(float(x), 1), round(float(y) / span_y, 1))
        n = seen.get(k, 0)
        seen[k] = n + 1
        text = f"{name} ★" if name == best else name
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(7, 5 - 12 * n), fontsize=8.5,
                    fontweight="bold" if name == best else "normal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_metric_label(results))
    ax.grid(True, alpha=0.3)
    ax.margins(x=0.25, y=0.2)
    skipped = [row_name(v) for v in results["variants"] if not v["deployable"]]
    title = "metric vs flash" if cost == "flash" else "metric vs latency"
    ax.set_title(title, fontsize=11)
    if skipped:
        ax.text(0.99, 0.01, "not deployable: " + ", ".join(skipped), transform=ax.transAxes,
                ha="right", va="bottom", fontsize=7.5, color="#666")
    ax.legend(fontsize=8, loc="best")
    return _save(fig, out_dir / f"metric_vs_{cost}.png")


def plot_sweep(results: dict[str, Any], out_dir: Path) -> Path | None:
    """Metric vs target sparsity, one line per pruning schedule, best point starred."""
    sweep = results.get("sweep") or []
    if not sweep:
        return None
    plt = _plt()
    scale = _metric_scale(results)
    fig, ax = plt.subplots(figsize=(5.6, 3.9), layout="constrained")
    for sched in dict.fromkeys(p["schedule"] for p in sweep):
        pts = sorted((p for p in sweep if p["schedule"] == sched), key=lambda p: p["sparsity"])
        ax.plot([100 * p["sparsity"] for p in pts], [p["metric"] * scale for p in pts], marker="o",
                markersize=4, label=sched)
    best = [p for p in sweep if p.get("best")]
    if best:
        ax.scatter([100 * p["sparsity"] for p in best], [p["metric"] * scale for p in best], marker="*",
                   s=220, color="gold", edgecolor="black", zorder=5, label="chosen")
    ax.set_xlabel("target sparsity (%)")
    ax.set_ylabel(_metric_label(results))
    ax.set_title("pruning sweep", fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out_dir / "sweep.png")


def plot_sizes(results: dict[str, Any], out_dir: Path) -> Path | None:
    """Bytes per variant: .tflite, gzip'd .tflite and firmware flash (weights + code)."""
    variants = results["variants"]
    if not variants:
        return None
    plt = _plt()
    names = [row_name(v) for v in variants]
    y = np.arange(len(names))
    kb = 1024.0
    tfl = np.array([(v["tflite_bytes"] or 0) / kb for v in variants])
    gz = np.array([(v["gzip_bytes"] or 0) / kb for v in variants])
    w = np.array([(v.get("weights_bytes") or 0) / kb for v in variants])
    c = np.array([(v.get("code_bytes") or 0) / kb for v in variants])
    fl = np.array([(flash_bytes(v) or 0) / kb for v in variants])
    other = np.where((w + c) > 0, 0.0, fl)  # flash known without its split
    fig, ax = plt.subplots(figsize=(5.6, 3.9), layout="constrained")
    h = 0.26
    ax.barh(y - h, tfl, h, color="#adb5bd", label=".tflite")
    ax.barh(y, gz, h, color="#ced4da", hatch="//", edgecolor="#868e96", label=".tflite gzip")
    ax.barh(y + h, w, h, color="#4c6ef5", label="flash: weights")
    ax.barh(y + h, c, h, left=w, color="#f59f00", label="flash: code")
    ax.barh(y + h, other, h, color="#4c6ef5", alpha=0.5)
    for yi, v in zip(y, variants, strict=True):
        if not v["deployable"]:
            ax.text(0.5, yi + h, "not deployable", va="center", fontsize=7.5, color="#868e96")
    ax.set_yticks(y, names, fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlabel("KB")
    ax.set_title("size per variant", fontsize=11)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=7.5, loc="lower right")
    return _save(fig, out_dir / "sizes.png")


def plot_stage_layers(results: dict[str, Any], stage: dict[str, Any], out_dir: Path) -> Path | None:
    """Per-layer sparsity and distinct weight values of one compression stage."""
    layers = stage["layers"]
    if not layers:
        return None
    plt = _plt()
    names = [layer["name"] for layer in layers]
    y = np.arange(len(names))
    height = max(2.2, 0.32 * len(names) + 1.1)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.4, height), sharey=True)
    longest = max(len(n) for n in names)
    fig.subplots_adjust(left=min(0.35, 0.035 + 0.0095 * longest), right=0.97, wspace=0.12,
                        top=1 - 0.45 / height, bottom=0.62 / height)
    sp = [100 * layer["sparsity"] for layer in layers]
    a1.barh(y, sp, color="#4c6ef5")
    a1.set_xlim(0, 100)
    a1.set_xticks([0, 25, 50, 75, 100])
    a1.set_xlabel("sparsity (% zero weights)")
    a1.set_yticks(y, names, fontsize=8)
    a1.invert_yaxis()
    for yi, v in zip(y, sp, strict=True):
        a1.text(min(v + 1.5, 88), yi, f"{v:.0f}%", va="center", fontsize=7.5)
    uq = [max(1, layer["unique"]) for layer in layers]
    a2.barh(y, uq, color="#12b886")
    a2.set_xscale("log")
    a2.set_xlabel("distinct weight values (log)")
    a2.set_xlim(1, max(uq) * 4)
    for yi, v in zip(y, uq, strict=True):
        a2.text(v * 1.12, yi, format_count(v), va="center", fontsize=7.5)
    for ax in (a1, a2):
        ax.grid(True, axis="x", alpha=0.3)
    fig.suptitle(f"stage '{stage['name']}' ({stage['method']} of {stage['source']})", fontsize=11)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stage["name"])
    return _save(fig, out_dir / f"stage_{safe}.png")


def layer_label(row: dict[str, Any]) -> str:
    """A profiled op's bar label: the TFLite ops it covers (``#2+3``), its name, its output shape."""
    return f"#{row.get('ops', row['index'])} {row['op']} {'x'.join(map(str, row.get('output_shape', [])))}"


def plot_layers(results: dict[str, Any], variant: dict[str, Any], out_dir: Path) -> Path | None:
    """Per-op counts on the device of one profiled variant (``layers``): a bar per op, labelled with
    its share of the run and its count per MAC."""
    layers = variant.get("layers") or []
    prof = variant.get("profile") or {}
    unit = prof.get("unit", "instructions")
    if not layers:
        return None
    plt = _plt()
    names = [layer_label(r) for r in layers]
    counts = np.array([float(r.get(unit) or 0.0) for r in layers])
    y = np.arange(len(names))
    height = max(2.2, 0.3 * len(names) + 1.2)
    fig, ax = plt.subplots(figsize=(7.6, height))
    longest = max(len(n) for n in names)
    fig.subplots_adjust(left=min(0.45, 0.04 + 0.0095 * longest), right=0.86, top=1 - 0.5 / height,
                        bottom=0.62 / height)
    ax.barh(y, counts, color=["#f59f00" if r.get("macs") else "#4c6ef5" for r in layers])
    top = counts.max() if counts.size and counts.max() > 0 else 1.0
    for yi, r, c in zip(y, layers, counts, strict=True):
        per = r.get(f"{unit}_per_mac")
        label = f"{100 * r.get('share', 0):.1f}%" + (f", {per:.2f}/MAC" if per else "")
        ax.text(c + 0.01 * top, yi, label, va="center", fontsize=7)
    ax.set_xlim(0, top * 1.3)
    ax.set_yticks(y, names, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlabel(f"{unit} per op (one run)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"per-op {unit} on the device: {row_name(variant)}", fontsize=10)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in row_name(variant))
    return _save(fig, out_dir / f"layers_{safe}.png")


def load_samples(results: dict[str, Any], run_dir: Path) -> dict[str, np.ndarray] | None:
    """The regression samples (x, y_true, y_pred) named by ``results['samples']``, or None."""
    name = results.get("samples")
    if not name or results["task"] != "regression":
        return None
    path = Path(run_dir) / name
    if not path.is_file():
        log(f"warning: {path} (results.json 'samples') not found — the report has no sample images")
        return None
    try:
        with np.load(path) as z:
            data = {k: np.asarray(z[k]) for k in ("x", "y_true", "y_pred")}
    except (KeyError, ValueError, OSError) as err:
        raise TfcError(f"{path} is not a samples file with x, y_true, y_pred ({err})",
                       "run `tfcompress pipeline` again to rewrite it") from err
    n = len(data["x"])
    if data["x"].ndim != 4 or data["y_true"].shape[:1] != (n,) or data["y_pred"].shape[:1] != (n,):
        raise TfcError(f"{path}: expected x (N, H, W, C), y_true (N, 2), y_pred (N, 2); got "
                       f"{data['x'].shape}, {data['y_true'].shape}, {data['y_pred'].shape}",
                       "run `tfcompress pipeline` again to rewrite it")
    return data


def plot_samples(results: dict[str, Any], run_dir: Path, out_dir: Path, max_images: int = 12) -> Path | None:
    """Grid of sample eye images with true (green) and predicted (red) pupil centres."""
    data = load_samples(results, run_dir)
    if data is None or not len(data["x"]):
        return None
    plt = _plt()
    n = min(max_images, len(data["x"]))
    cols = min(6, n)
    rows = -(-n // cols)
    h, w = data["x"].shape[1:3]
    gap = max(2, w // 8)
    head = max(4, h // 4)  # room above each tile for its error label
    # one mosaic image and one axes: much faster than a grid of subplots
    mosaic = np.ones((rows * (h + head + gap), cols * (w + gap) - gap), np.float32)
    tx, ty, px, py, labels = [], [], [], [], []
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = c * (w + gap), r * (h + head + gap) + head
        mosaic[y0:y0 + h, x0:x0 + w] = np.clip(data["x"][i][..., 0], 0, 1)
        t, p = data["y_true"][i], data["y_pred"][i]
        # (x, y) in pixels from the tile's top-left corner -> imshow pixel-centre coordinates
        tx.append(x0 + t[0] - 0.5)
        ty.append(y0 + t[1] - 0.5)
        px.append(x0 + p[0] - 0.5)
        py.append(y0 + p[1] - 0.5)
        labels.append((x0 + w / 2, y0 - head / 2, f"{float(np.hypot(*(p[:2] - t[:2]))):.1f} px"))
    fig = plt.figure(figsize=(1.55 * cols, 1.7 * rows + 0.3))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98 - 0.3 / (1.7 * rows + 0.3)))
    ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.scatter(tx, ty, s=36, color="#2fdd2f", edgecolor="black", linewidth=0.5, zorder=3)
    ax.scatter(px, py, s=44, color="#ff2020", marker="x", linewidth=2, zorder=4)
    for x, y, text in labels:
        ax.text(x, y, text, ha="center", va="center", fontsize=8)
    ax.set_xlim(-0.5, mosaic.shape[1] - 0.5)
    ax.set_ylim(mosaic.shape[0] - gap - 0.5, -0.5)
    ax.axis("off")
    fig.suptitle("samples: true (green ●) vs predicted (red ✕) pupil centre", fontsize=10, y=0.99)
    return _save(fig, out_dir / "samples.png")


def make_plots(results: dict[str, Any], run_dir: Path, out_dir: Path) -> dict[str, Path]:
    """Draw every plot the results support; returns ``{key: png path}`` in report order."""
    out: dict[str, Path | None] = {
        "metric_vs_flash": plot_tradeoff(results, "flash", out_dir),
        "metric_vs_latency": plot_tradeoff(results, "latency", out_dir),
        "sizes": plot_sizes(results, out_dir),
        "sweep": plot_sweep(results, out_dir),
        "samples": plot_samples(results, run_dir, out_dir),
    }
    if results.get("task") == "detection":
        from tfcompress.report.detection_plots import plot_class_ap, plot_detection_samples

        out["samples"] = plot_detection_samples(results, run_dir, out_dir)
        out["class_ap"] = plot_class_ap(results, out_dir)
    for v in results["variants"]:
        if v.get("layers"):
            out[f"layers:{row_name(v)}"] = plot_layers(results, v, out_dir)
    for stage in results["stages"]:
        out[f"stage:{stage['name']}"] = plot_stage_layers(results, stage, out_dir)
    from tfcompress.report.debug_plots import plot_memory, plot_quant_error

    out["debug:memory"] = plot_memory(results, out_dir)
    out["debug:quant_error"] = plot_quant_error(results, out_dir)
    return {k: v for k, v in out.items() if v is not None}


__all__ = ["make_plots", "plot_layers", "plot_samples", "plot_sizes", "plot_stage_layers", "plot_sweep",
           "plot_tradeoff", "load_samples"]
