"""mAP of raw detector outputs with pycocotools (the COCO reference evaluation).

Decoding and per-class NMS run on the host (:func:`tfcompress.detect.boxes.detect`); boxes
are scaled to pixels by ``size`` so COCO's area ranges apply as usual.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from tfcompress.detect.boxes import DEFAULT_SPEC, AnchorSpec, detect, make_anchors, split_outputs


def _gt_dict(y_true: np.ndarray, size: float, num_classes: int) -> dict[str, Any]:
    images, anns = [], []
    for i, rows in enumerate(np.asarray(y_true, np.float64)):
        images.append({"id": i + 1, "width": size, "height": size})
        for r in rows[rows[:, 0] >= 0]:
            x0, y0, x1, y1 = (r[1:] * size).tolist()
            w, h = x1 - x0, y1 - y0
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(r[0]) + 1,
                         "bbox": [x0, y0, w, h], "area": w * h, "iscrowd": 0})
    cats = [{"id": c + 1, "name": str(c)} for c in range(num_classes)]
    return {"images": images, "annotations": anns, "categories": cats}


def detections(outputs: Sequence[np.ndarray], size: int, spec: AnchorSpec = DEFAULT_SPEC,
               **nms: Any) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per image (boxes, scores, class ids) from a detector's raw (dequantised) outputs."""
    offsets, logits = split_outputs(outputs)
    anchors = make_anchors(int(round(size)), spec)
    if offsets.shape[1] != len(anchors):
        raise ValueError(f"the detector has {offsets.shape[1]} anchors, a {size}px input has {len(anchors)}")
    return [detect(o, g, anchors, **nms) for o, g in zip(offsets, logits, strict=True)]


def evaluate_detections(y_true: np.ndarray, outputs: Sequence[np.ndarray], size: float) -> dict[str, Any]:
    """``map50``, ``map50_95`` and ``per_class_ap50`` (class id -> AP, None without objects)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    y_true = np.asarray(y_true, np.float32)
    offsets, logits = split_outputs(outputs)
    num_classes = logits.shape[-1] - 1
    if len(y_true) != len(offsets):
        raise ValueError(f"{len(y_true)} label rows but {len(offsets)} predictions")
    dets = []
    for i, (b, s, c) in enumerate(detections([offsets, logits], size)):
        for box, score, cls in zip(b * size, s, c, strict=True):
            dets.append([i + 1, box[0], box[1], box[2] - box[0], box[3] - box[1], score, cls + 1])
    empty = {"map50": 0.0, "map50_95": 0.0, "per_class_ap50": {str(c): None for c in range(num_classes)}}
    gt = _gt_dict(y_true, float(size), num_classes)
    if not dets or not gt["annotations"]:
        return empty
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        res = coco.loadRes(np.asarray(dets, np.float64))
        ev = COCOeval(coco, res, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    prec = ev.eval["precision"]  # [iou, recall, class, area, max dets]
    per_class: dict[str, float | None] = {}
    for k in range(num_classes):
        p = prec[0, :, k, 0, -1]
        per_class[str(k)] = float(p[p > -1].mean()) if (p > -1).any() else None
    return {"map50": max(0.0, float(ev.stats[1])), "map50_95": max(0.0, float(ev.stats[0])),
            "per_class_ap50": per_class}
