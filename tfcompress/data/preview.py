"""PNG grids of sample images with their labels (and optionally predictions) drawn on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tfcompress.data.dataset import Dataset


def save_preview(
    ds: Dataset,
    path: str | Path,
    *,
    split: str = "test",
    n: int = 16,
    cols: int = 4,
    predictions: np.ndarray | None = None,
    seed: int = 0,
) -> Path:
    """Save a grid of ``n`` images from ``split``.

    Regression (pupil) labels are drawn as a green cross at the centre, predictions
    as a red circle; classification labels (and predictions) go in the titles.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = ds.split(split)
    n = min(n, len(x))
    idx = np.sort(np.random.default_rng(seed).choice(len(x), size=n, replace=False))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.0 * cols, 2.1 * rows), squeeze=False)
    h, w = x.shape[1:3]
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, idx, strict=False):
        img = x[i]
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0.0, vmax=1.0,
                  extent=(0, w, h, 0), interpolation="nearest")
        if ds.task == "detection":  # true boxes, labelled with their class
            for r in y[i][y[i][:, 0] >= 0]:
                x0, y0, x1, y1 = r[1:] * ds.target_scale
                ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="lime", lw=1.2))
                name = ds.class_names[int(r[0])] if ds.class_names else str(int(r[0]))
                ax.text(x0, y0, name, color="lime", fontsize=6, va="bottom")
        elif ds.task == "regression":
            cx, cy = y[i][:2] * ds.target_scale
            ax.plot([cx], [cy], "+", color="lime", ms=10, mew=1.5)
            if predictions is not None:
                px, py = np.asarray(predictions[i])[:2] * ds.target_scale
                ax.plot([px], [py], "o", mfc="none", color="red", ms=7, mew=1.2)
                ax.set_title(f"err {np.hypot(px - cx, py - cy):.2f} px", fontsize=8)
        else:
            title = ds.class_names[int(y[i])] if ds.class_names else str(int(y[i]))
            if predictions is not None:
                pred = np.asarray(predictions[i])
                pid = int(pred.argmax()) if pred.ndim else int(pred)
                pname = ds.class_names[pid] if ds.class_names else str(pid)
                title = f"{title} / {pname}"
            ax.set_title(title, fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
