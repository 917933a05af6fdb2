"""SSD anchors, IoU, matching, box encoding/decoding and NMS (NumPy), written once.

Boxes are normalised to [0, 1]: corners ``(x0, y0, x1, y1)`` for ground truth and
detections, centres ``(cx, cy, w, h)`` for anchors. Labels for a dataset are
``(N, M, 5)`` float32 rows ``(class, x0, y0, x1, y1)``; unused rows have class -1.
Anchors run level by level, then row, column and anchor shape — the order of the
SSD head's ``Reshape(-1, 4)`` outputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: encoding variances (centre, size) as in SSD
VARIANCES = (0.1, 0.2)


@dataclass(frozen=True)
class AnchorSpec:
    """Feature levels (stride, anchor scale as a fraction of the image) and aspect ratios."""

    levels: tuple[tuple[int, float], ...] = ((16, 0.18), (32, 0.38), (64, 0.7))
    ratios: tuple[float, ...] = (1.0, 2.0, 0.5)

    @property
    def per_cell(self) -> int:
        """Anchors per feature-map cell."""
        return len(self.ratios)

    def grids(self, size: int) -> list[int]:
        """Feature-map side per level for a square ``size`` input ("same"-padded stride-2 layers)."""
        return [math.ceil(size / stride) for stride, _ in self.levels]


DEFAULT_SPEC = AnchorSpec()


def make_anchors(size: int, spec: AnchorSpec = DEFAULT_SPEC) -> np.ndarray:
    """(A, 4) anchors ``(cx, cy, w, h)`` for a square input of ``size`` pixels."""
    rows = []
    for (_, scale), g in zip(spec.levels, spec.grids(size), strict=True):
        c = (np.arange(g) + 0.5) / g
        cy, cx = np.meshgrid(c, c, indexing="ij")
        shapes = np.array([[scale * math.sqrt(r), scale / math.sqrt(r)] for r in spec.ratios])
        cells = np.stack([cx.ravel(), cy.ravel()], 1)
        level = np.concatenate([np.repeat(cells, len(shapes), 0), np.tile(shapes, (len(cells), 1))], 1)
        rows.append(level)
    return np.concatenate(rows).astype(np.float32)


def center_to_corners(b: np.ndarray) -> np.ndarray:
    """``(cx, cy, w, h)`` -> ``(x0, y0, x1, y1)``."""
    b = np.asarray(b, np.float32)
    half = b[..., 2:] / 2
    return np.concatenate([b[..., :2] - half, b[..., :2] + half], -1)


def corners_to_center(b: np.ndarray) -> np.ndarray:
    """``(x0, y0, x1, y1)`` -> ``(cx, cy, w, h)``."""
    b = np.asarray(b, np.float32)
    return np.concatenate([(b[..., :2] + b[..., 2:]) / 2, b[..., 2:] - b[..., :2]], -1)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over union of corner boxes."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=-1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def encode(boxes: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Corner boxes -> SSD offsets relative to matching ``(cx, cy, w, h)`` anchors."""
    c = corners_to_center(boxes)
    wh = np.maximum(c[..., 2:], 1e-6)
    t_xy = (c[..., :2] - anchors[..., :2]) / (anchors[..., 2:] * VARIANCES[0])
    t_wh = np.log(wh / anchors[..., 2:]) / VARIANCES[1]
    return np.concatenate([t_xy, t_wh], -1).astype(np.float32)


def decode(offsets: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """SSD offsets -> corner boxes (inverse of :func:`encode`)."""
    o = np.asarray(offsets, np.float32)
    xy = anchors[..., :2] + o[..., :2] * VARIANCES[0] * anchors[..., 2:]
    wh = anchors[..., 2:] * np.exp(np.clip(o[..., 2:] * VARIANCES[1], -10, 10))
    return center_to_corners(np.concatenate([xy, wh], -1))


def match(gt: np.ndarray, anchors: np.ndarray, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Targets for one image: (A, 4) encoded offsets and (A,) labels (0 background, class + 1).

    ``gt``: (M, 5) rows ``(class, x0, y0, x1, y1)``; rows with class < 0 are ignored. An
    anchor is positive when its best IoU reaches ``threshold``; every object also claims
    its best anchor, so none goes unmatched.
    """
    gt = np.asarray(gt, np.float32).reshape(-1, 5)
    gt = gt[gt[:, 0] >= 0]
    n = len(anchors)
    if not len(gt):
        return np.zeros((n, 4), np.float32), np.zeros(n, np.int64)
    overlaps = iou(center_to_corners(anchors), gt[:, 1:])
    best_gt = overlaps.argmax(1)
    best_iou = overlaps[np.arange(n), best_gt]
    for j, a in enumerate(overlaps.argmax(0)):  # each object's best anchor is its own
        if overlaps[a, j] > 0:
            best_gt[a], best_iou[a] = j, 1.0
    labels = np.where(best_iou >= threshold, gt[best_gt, 0].astype(np.int64) + 1, 0)
    return encode(gt[best_gt, 1:], anchors), labels


def training_targets(y: np.ndarray, anchors: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """(N, A, 5) float32: encoded offsets and the label per anchor for a batch of label rows."""
    out = np.zeros((len(y), len(anchors), 5), np.float32)
    for i, rows in enumerate(y):
        out[i, :, :4], out[i, :, 4] = match(rows, anchors, threshold)
    return out


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.5, limit: int = 100) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, highest score first."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep: list[int] = []
    while len(order) and len(keep) < limit:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        order = rest[iou(boxes[i], boxes[rest])[0] <= iou_threshold]
    return np.asarray(keep, np.int64)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    z = np.asarray(logits, np.float64)
    z = np.exp(z - z.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def detect(offsets: np.ndarray, logits: np.ndarray, anchors: np.ndarray, *, score_threshold: float = 0.05,
           iou_threshold: float = 0.5, limit: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's raw outputs -> (boxes (K, 4) clipped to [0, 1], scores (K,), class ids (K,)).

    Per-class NMS on softmax scores, then the ``limit`` best overall.
    """
    boxes = np.clip(decode(offsets, anchors), 0.0, 1.0)
    probs = softmax(logits)[:, 1:]
    out_b, out_s, out_c = [], [], []
    for c in range(probs.shape[1]):
        idx = np.flatnonzero(probs[:, c] >= score_threshold)
        if not len(idx):
            continue
        kept = idx[nms(boxes[idx], probs[idx, c], iou_threshold, limit)]
        out_b.append(boxes[kept])
        out_s.append(probs[kept, c])
        out_c.append(np.full(len(kept), c, np.int64))
    if not out_b:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    b, s, c = np.concatenate(out_b), np.concatenate(out_s), np.concatenate(out_c)
    top = np.argsort(-s, kind="stable")[:limit]
    return b[top].astype(np.float32), s[top].astype(np.float32), c[top]


def split_outputs(outputs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(box offsets (N, A, 4), class logits (N, A, C+1)) from a detector's two outputs in any order."""
    if len(outputs) != 2:
        raise ValueError(f"a detector has 2 outputs (boxes, class logits), got {len(outputs)}")
    a, b = (np.asarray(o, np.float32) for o in outputs)
    if a.shape[-1] != 4 and b.shape[-1] == 4:
        a, b = b, a
    if a.shape[:2] != b.shape[:2] or a.shape[-1] != 4:
        raise ValueError(f"detector outputs must be (N, A, 4) and (N, A, C+1), got {a.shape} and {b.shape}")
    return a, b
