"""Detection plots: sample images with true and predicted boxes, per-class AP@0.5 by variant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.console import log
from tfcompress.report.table import row_name


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    return path


def load_detection_samples(results: dict[str, Any], run_dir: Path) -> dict[str, np.ndarray] | None:
    """x (N, H, W, C), y_true (N, M, 5) and y_pred (N, K, 6) of a detection run, or None."""
    name = results.get("samples")
    if not name or results.get("task") != "detection":
        return None
    path = Path(run_dir) / name
    try:
        with np.load(path) as z:
            data = {k: np.asarray(z[k]) for k in ("x", "y_true", "y_pred")}
    except (KeyError, ValueError, OSError) as err:
        log(f"warning: {path} is not a detection samples file ({err}) — the report has no sample images")
        return None
    if data["x"].ndim != 4 or data["y_true"].shape[-1] != 5 or data["y_pred"].shape[-1] != 6:
        log(f"warning: {path} has unexpected shapes — the report has no sample images")
        return None
    return data


def plot_detection_samples(results: dict[str, Any], run_dir: Path, out_dir: Path, max_images: int = 12
                           ) -> Path | None:
    """Grid of test images with true (green) and predicted (red, with class and score) boxes."""
    data = load_detection_samples(results, run_dir)
    if data is None or not len(data["x"]):
        return None
    names = results.get("class_names") or []
    plt = _plt()
    n = min(max_images, len(data["x"]))
    cols = min(6, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.1 * cols, 2.2 * rows + 0.3), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        ax = axes.ravel()[i]
        img = np.clip(data["x"][i], 0, 1)
        h, w = img.shape[:2]
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=1)
        for r in data["y_true"][i]:
            if r[0] >= 0:
                ax.add_patch(plt.Rectangle((r[1] * w - 0.5, r[2] * h - 0.5), (r[3] - r[1]) * w, (r[4] - r[2]) * h,
                                           fill=False, edgecolor="#2fdd2f", linewidth=1.6))
        for r in data["y_pred"][i]:
            if r[0] < 0:
                continue
            ax.add_patch(plt.Rectangle((r[2] * w - 0.5, r[3] * h - 0.5), (r[4] - r[2]) * w, (r[5] - r[3]) * h,
                                       fill=False, edgecolor="#ff2020", linewidth=1.2, linestyle="--"))
            label = names[int(r[0])] if int(r[0]) < len(names) else str(int(r[0]))
            ax.text(r[2] * w, r[3] * h - 1, f"{label} {r[1]:.2f}", color="white", fontsize=6, va="bottom",
                    bbox={"facecolor": "#ff2020", "alpha": 0.7, "pad": 0.5, "linewidth": 0})
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h - 0.5, -0.5)
    fig.suptitle("samples (int8 on the host): true boxes (green) vs predicted (red, class score)", fontsize=10)
    fig.tight_layout()
    return _save(fig, out_dir / "samples.png")


def plot_class_ap(results: dict[str, Any], out_dir: Path) -> Path | None:
    """Per-class AP@0.5 of every variant (device where measured, else host)."""
    bars = []
    for v in results.get("variants", []):
        det = v.get("detection_device") or v.get("detection_host")
        if det:
            where = "device" if v.get("detection_device") else "host"
            bars.append((f"{row_name(v)} ({where})", det.get("per_class_ap50", {})))
    if not bars:
        return None
    classes = sorted({c for _, ap in bars for c in ap}, key=int)
    names = results.get("class_names") or []
    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(classes) * max(1, len(bars)) / 3, 3.2))
    width = 0.8 / len(bars)
    for j, (label, ap) in enumerate(bars):
        xs = np.arange(len(classes)) + (j - (len(bars) - 1) / 2) * width
        ax.bar(xs, [ap.get(c) or 0.0 for c in classes], width, label=label)
    ax.set_xticks(np.arange(len(classes)), [names[int(c)] if int(c) < len(names) else c for c in classes])
    ax.set_ylim(0, 1)
    ax.set_ylabel("AP@0.5")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("per-class AP@0.5", fontsize=10)
    fig.tight_layout()
    return _save(fig, out_dir / "class_ap.png")
