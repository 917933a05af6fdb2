"""Procedural object detection: coloured shapes on textured backgrounds, with boxes.

Each image holds 1..``max_objects`` objects of four classes (circle, square, triangle,
cross) with random colour, scale and position; later objects occlude earlier ones, a
box covers an object's visible pixels and objects less than ``MIN_VISIBLE`` visible are
dropped. Backgrounds mix a colour gradient, stripes and noise. Every image comes from
its own seed, so a split is the same whatever its size or the machine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.data.dataset import Dataset
from tfcompress.data.params import ParamSpec

CLASSES = ("circle", "square", "triangle", "cross")
MIN_VISIBLE = 0.45
SHAPE_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("size", int, 96, "image height and width in pixels", minimum=32, maximum=320),
    ParamSpec("n_train", int, 2000, "training images", minimum=1),
    ParamSpec("n_val", int, 200, "validation images", minimum=1),
    ParamSpec("n_test", int, 200, "test images", minimum=1),
    ParamSpec("max_objects", int, 3, "most objects per image", minimum=1, maximum=10),
    ParamSpec("min_scale", float, 0.15, "smallest object side as a fraction of the image", minimum=0.05, maximum=1.0),
    ParamSpec("max_scale", float, 0.5, "largest object side as a fraction of the image", minimum=0.05, maximum=1.0),
)
_SPLITS = ("train", "val", "test")


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    c0, c1 = rng.uniform(0.1, 0.9, 3), rng.uniform(0.1, 0.9, 3)
    angle = rng.uniform(0, np.pi)
    t = (np.cos(angle) * xx + np.sin(angle) * yy)[..., None]
    img = c0 * (1 - t) + c1 * t
    freq, phase = rng.uniform(4, 14), rng.uniform(0, 2 * np.pi)
    stripes = np.sin(2 * np.pi * freq * (np.sin(angle) * xx - np.cos(angle) * yy) + phase)[..., None]
    img = img + rng.uniform(0.02, 0.12) * stripes + rng.normal(0, rng.uniform(0.01, 0.05), img.shape)
    return img.astype(np.float32)


def _mask(kind: int, size: int, cx: float, cy: float, r: float, rot: float) -> np.ndarray:
    """Boolean mask of one shape centred at (cx, cy) pixels with half-size ``r``."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    dx, dy = xx - cx, yy - cy
    c, s = np.cos(rot), np.sin(rot)
    u, v = c * dx + s * dy, -s * dx + c * dy
    if kind == 0:
        return dx * dx + dy * dy <= r * r
    if kind == 1:
        return (np.abs(u) <= r * 0.8) & (np.abs(v) <= r * 0.8)
    if kind == 2:  # upright-ish triangle: below three half-planes
        return (v <= r * 0.6) & (v >= -r + 1.6 * np.abs(u) * 1.0)
    arm = r * 0.3
    return ((np.abs(u) <= arm) & (np.abs(v) <= r)) | ((np.abs(v) <= arm) & (np.abs(u) <= r))


def render(seed: int, size: int, max_objects: int, scales: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """One image (size, size, 3) in [0, 1] and its label rows (max_objects, 5), class -1 padding."""
    rng = np.random.default_rng(seed)
    img = _background(rng, size)
    owner = np.full((size, size), -1, np.int64)
    objs = []
    for k in range(int(rng.integers(1, max_objects + 1))):
        kind = int(rng.integers(len(CLASSES)))
        r = rng.uniform(*scales) * size / 2
        cx, cy = rng.uniform(r * 0.6, size - r * 0.6, 2)
        m = _mask(kind, size, cx, cy, r, rng.uniform(-0.35, 0.35))
        colour = rng.uniform(0, 1, 3)
        colour[rng.integers(3)] = rng.choice([0.05, 0.95])  # saturated enough to stand out
        shade = 1 - 0.25 * ((np.mgrid[0:size, 0:size][0] - cy) / max(r, 1))[m][:, None].clip(-1, 1)
        img[m] = colour * shade
        owner[m] = k
        objs.append((kind, int(m.sum())))
    rows = np.full((max_objects, 5), -1, np.float32)
    n = 0
    for k, (kind, area) in enumerate(objs):
        ys, xs = np.nonzero(owner == k)
        if area == 0 or len(ys) < MIN_VISIBLE * area:
            continue
        rows[n] = (kind, xs.min() / size, ys.min() / size, (xs.max() + 1) / size, (ys.max() + 1) / size)
        n += 1
    return np.clip(img, 0, 1).astype(np.float32), rows


def _split(n: int, seq: np.random.SeedSequence, params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    seeds = seq.generate_state(n)
    scales = (params["min_scale"], max(params["min_scale"], params["max_scale"]))
    pairs = [render(int(s), params["size"], params["max_objects"], scales) for s in seeds]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def load_shapes(arg: str | None, seed: int, params: dict[str, Any]) -> Dataset:
    """The ``synthetic-shapes`` detection source."""
    seqs = dict(zip(_SPLITS, np.random.SeedSequence([seed, 0x5A9E]).spawn(3), strict=True))
    arrays: dict[str, np.ndarray] = {}
    for split in _SPLITS:
        arrays[f"x_{split}"], arrays[f"y_{split}"] = _split(params[f"n_{split}"], seqs[split], params)
    return Dataset(name="synthetic-shapes", task="detection", num_outputs=len(CLASSES), metric="map50",
                   class_names=list(CLASSES), target_scale=float(params["size"]),
                   params={"seed": seed, **params}, **arrays)
