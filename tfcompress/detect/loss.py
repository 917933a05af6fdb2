"""The SSD loss in TensorFlow: smooth-L1 on positive anchors' offsets + cross-entropy with
hard-negative mining (``NEG_RATIO`` negatives per positive), both divided by the positives.

Targets are :func:`tfcompress.detect.boxes.training_targets` rows ``(t_x, t_y, t_w, t_h, label)``;
the two terms are separate functions so Keras can attach one to each output.
"""

from __future__ import annotations

from typing import Any

from tfcompress.tfenv import tf

NEG_RATIO = 3.0


def _positives(y: Any) -> tuple[Any, Any]:
    T = tf()
    labels = T.cast(y[..., 4], T.int32)
    pos = T.cast(labels > 0, T.float32)
    return labels, pos


def box_loss(y: Any, offsets: Any) -> Any:
    """Smooth-L1 (delta 1) over the positive anchors' offsets / number of positives."""
    T = tf()
    y = T.cast(y, T.float32)
    _, pos = _positives(y)
    d = T.abs(T.cast(offsets, T.float32) - y[..., :4])
    l1 = T.reduce_sum(T.where(d < 1.0, 0.5 * d * d, d - 0.5), -1)
    return T.reduce_sum(l1 * pos) / T.maximum(T.reduce_sum(pos), 1.0)


def class_loss(y: Any, logits: Any) -> Any:
    """Cross-entropy on positives and the hardest ``NEG_RATIO``x negatives per image / positives."""
    T = tf()
    y = T.cast(y, T.float32)
    labels, pos = _positives(y)
    ce = T.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=T.cast(logits, T.float32))
    n_pos = T.reduce_sum(pos, -1, keepdims=True)
    n_neg = T.maximum(NEG_RATIO * n_pos, 4.0)
    neg_ce = T.where(pos > 0, T.zeros_like(ce), ce)
    rank = T.argsort(T.argsort(-T.stop_gradient(neg_ce), -1), -1)
    hard = T.cast(T.cast(rank, T.float32) < n_neg, T.float32) * (1.0 - pos)
    return T.reduce_sum(ce * (pos + hard)) / T.maximum(T.reduce_sum(pos), 1.0)


def ssd_loss(y: Any, outputs: Any) -> Any:
    """Box + class loss of a detector's ``[offsets, logits]`` outputs."""
    offsets, logits = outputs
    return box_loss(y, offsets) + class_loss(y, logits)
