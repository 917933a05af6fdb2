"""Anchors, IoU, matching, box coding, NMS, the SSD loss and the mAP metric (tfcompress.detect)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfcompress.detect import boxes as B


def _box(draw_x: float, draw_y: float, w: float, h: float) -> list[float]:
    return [draw_x, draw_y, min(1.0, draw_x + w), min(1.0, draw_y + h)]


corner_boxes = st.builds(_box, st.floats(0, 0.8), st.floats(0, 0.8), st.floats(0.05, 0.6), st.floats(0.05, 0.6))


def test_anchor_count_order_and_range():
    spec = B.DEFAULT_SPEC
    a = B.make_anchors(96)
    grids = spec.grids(96)
    assert grids == [6, 3, 2]
    assert len(a) == sum(g * g for g in grids) * spec.per_cell
    assert np.all((a[:, :2] > 0) & (a[:, :2] < 1))
    # level 0, cell (row 0, col 1) comes after the k anchors of cell (0, 0): x moves first
    k = spec.per_cell
    assert a[k, 0] > a[0, 0] and a[k, 1] == a[0, 1]
    # the aspect ratios of one cell: w/h = r
    np.testing.assert_allclose(a[:k, 2] / a[:k, 3], spec.ratios, rtol=1e-5)


@settings(max_examples=60, deadline=None)
@given(st.lists(corner_boxes, min_size=1, max_size=5))
def test_encode_decode_round_trip(boxes):
    b = np.asarray(boxes, np.float32)
    anchors = B.make_anchors(96)[: len(b)]
    np.testing.assert_allclose(B.decode(B.encode(b, anchors), anchors), b, atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(corner_boxes, corner_boxes)
def test_iou_properties(a, b):
    ab, ba = B.iou(a, b)[0, 0], B.iou(b, a)[0, 0]
    assert 0 <= ab <= 1 and math.isclose(ab, ba, abs_tol=1e-12)
    assert math.isclose(B.iou(a, a)[0, 0], 1.0)


def test_iou_known_value():
    assert B.iou([0, 0, 2, 2], [1, 0, 3, 2])[0, 0] == pytest.approx(1 / 3)
    assert B.iou([0, 0, 1, 1], [2, 2, 3, 3])[0, 0] == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), corner_boxes), min_size=1, max_size=4))
def test_every_object_gets_an_anchor(objs):
    rows = np.full((6, 5), -1, np.float32)
    for i, (c, b) in enumerate(objs):
        rows[i] = [c, *b]
    anchors = B.make_anchors(96)
    offsets, labels = B.match(rows, anchors)
    corners = B.center_to_corners(anchors)
    for _c, b in objs:
        hits = (labels > 0) & (B.iou(corners, b)[:, 0] >= 0.5)
        overlap = B.iou(corners, b)[:, 0]
        best = overlap >= overlap.max() - 1e-6  # ties: any of the equally good anchors
        assert (labels[best] > 0).any()  # its best anchor is positive (possibly for an equally good object)
        assert np.all(labels[hits] >= 1)
    pos = labels > 0
    assert set(labels[pos] - 1) <= {c for c, _ in objs}
    # positives decode back to the object they were matched with
    decoded = B.decode(offsets[pos], anchors[pos])
    gts = np.asarray([b for _, b in objs], np.float32)
    assert np.all(B.iou(decoded, gts).max(1) > 0.999)


def test_padding_rows_are_ignored_and_empty_images_are_background():
    anchors = B.make_anchors(64)
    _, labels = B.match(np.full((3, 5), -1, np.float32), anchors)
    assert not labels.any()
    t = B.training_targets(np.full((2, 3, 5), -1, np.float32), anchors)
    assert t.shape == (2, len(anchors), 5) and not t.any()


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 1, 1], [0.05, 0, 1, 1], [2, 2, 3, 3]], np.float32)
    keep = B.nms(boxes, np.array([0.6, 0.9, 0.5]), 0.5)
    assert keep.tolist() == [1, 2]


def _perfect(y, size, classes=3):
    anchors = B.make_anchors(size)
    t = B.training_targets(y, anchors)
    return [t[..., :4], np.eye(classes + 1, dtype=np.float32)[t[..., 4].astype(int)] * 12]


def test_ssd_loss_is_small_for_the_targets_and_counts_hard_negatives():
    from tfcompress.detect.loss import NEG_RATIO, box_loss, class_loss

    y = np.full((1, 3, 5), -1, np.float32)
    y[0, 0] = [1, 0.1, 0.1, 0.5, 0.6]
    t = B.training_targets(y, B.make_anchors(64))
    offsets, logits = _perfect(y, 64)
    assert float(box_loss(t, offsets)) == pytest.approx(0, abs=1e-6)
    assert float(class_loss(t, logits)) < 1e-3
    assert float(box_loss(t, offsets + 0.5)) == pytest.approx(4 * 0.125, rel=1e-5)  # smooth-L1(0.5) per coord
    # uniform logits: CE = log(C+1) on every positive and on the NEG_RATIO x (at least 4) hardest negatives
    n_pos = int((t[..., 4] > 0).sum())
    ce = float(class_loss(t, np.zeros_like(logits)))
    n_neg = max(NEG_RATIO * n_pos, 4)
    assert n_pos >= 1 and ce == pytest.approx(math.log(logits.shape[-1]) * (n_pos + n_neg) / n_pos, rel=1e-5)


def test_map_of_perfect_shifted_and_missing_detections():
    from tfcompress.detect.metric import evaluate_detections

    rng = np.random.default_rng(0)
    y = np.full((20, 2, 5), -1, np.float32)
    for i in range(20):
        x0, y0 = rng.uniform(0.05, 0.45, 2)
        y[i, 0] = [i % 3, x0, y0, x0 + 0.4, y0 + 0.4]
    perfect = evaluate_detections(y, _perfect(y, 96), 96)
    assert perfect["map50"] == pytest.approx(1.0) and perfect["map50_95"] == pytest.approx(1.0)
    assert perfect["per_class_ap50"] == {"0": 1.0, "1": 1.0, "2": 1.0}
    # move every box right so that IoU with the truth is 2/3: found at IoU 0.5 to 0.65 (4 of 10 thresholds)
    shifted = y.copy()
    shifted[..., [1, 3]] += 0.08
    shifted[..., 0] = y[..., 0]
    offsets, logits = _perfect(shifted, 96)
    res = evaluate_detections(y, [offsets, logits], 96)
    assert B.iou(y[0, 0, 1:], shifted[0, 0, 1:])[0, 0] == pytest.approx(2 / 3, abs=1e-6)
    assert res["map50"] == pytest.approx(1.0) and res["map50_95"] == pytest.approx(0.4, abs=1e-6)
    # the outputs come in either order (told apart by the boxes' last dim 4); two outputs are required
    offsets, logits = _perfect(y, 96, classes=4)
    assert evaluate_detections(y, [logits, offsets], 96)["map50"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="2 outputs"):
        evaluate_detections(y, [offsets], 96)
    # every anchor confidently background: nothing detected, mAP 0
    background = np.zeros_like(logits)
    background[..., 0] = 20
    assert evaluate_detections(y, [offsets, background], 96)["map50"] == 0.0


def test_compute_metric_dispatches_detection_metrics():
    from tfcompress.metrics import compute_metric, higher_is_better

    y = np.full((4, 1, 5), -1, np.float32)
    y[:, 0] = [0, 0.2, 0.2, 0.7, 0.7]
    pred = _perfect(y, 64)
    assert compute_metric("map50", y, pred, 64) == pytest.approx(1.0)
    assert higher_is_better("map50") and higher_is_better("map50_95")
