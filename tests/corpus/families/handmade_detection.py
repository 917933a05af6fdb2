"""TFLite_Detection_PostProcess (the SSD post-processing custom op), written straight into a flatbuffer:
float32 inputs (TFLM's kernel), int8 heads dequantised in front of it (the converter's pattern, many
equal scores), and uint8 inputs taken by the op itself (TFLite's kernel; TFLM rejects them). Regular
and fast NMS, more candidates than max_detections, with and without a background column."""

from __future__ import annotations

import numpy as np

from tests.helpers.flatmodel import FlatModel
from tfcompress.convert.detection_postprocess import CUSTOM_CODE, PostProcessParams, custom_options

from ..registry import add


def anchors(n: int, seed: int) -> np.ndarray:
    """``n`` overlapping anchors (y, x, h, w) in the unit square."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(0.1, 0.9, n), rng.uniform(0.1, 0.9, n),
                     rng.uniform(0.15, 0.4, n), rng.uniform(0.15, 0.4, n)], 1).astype(np.float32)


def postprocess(*, n: int, params: PostProcessParams, background: bool, dtype: str, box_len: int = 4,
                seed: int = 0) -> bytes:
    """Box encodings and class predictions as model inputs -> TFLite_Detection_PostProcess -> 4 outputs.

    ``dtype``: "float32" (float inputs), "dequantize" (int8 inputs, DEQUANTIZE into the op) or
    "uint8" (uint8 inputs and anchors straight into the op)."""
    m = FlatModel()
    cols = params.num_classes + int(background)
    anc = anchors(n, seed)
    if dtype == "uint8":
        enc = m.tensor("box_encodings", [1, n, box_len], "uint8", scale=0.04, zero_point=128)
        cls = m.tensor("class_predictions", [1, n, cols], "uint8", scale=1 / 256, zero_point=0)
        a_scale = 1 / 255
        a = m.tensor("anchors", [n, 4], "uint8", scale=a_scale, zero_point=0,
                     data=np.clip(np.round(anc / a_scale), 1, 255).astype(np.uint8))
        op_in, model_in = [enc, cls, a], [enc, cls]
    elif dtype == "dequantize":
        q_enc = m.tensor("box_encodings", [1, n, box_len], "int8", scale=0.04, zero_point=-2)
        q_cls = m.tensor("class_predictions", [1, n, cols], "int8", scale=1 / 256, zero_point=-128)
        enc = m.tensor("box_encodings_f", [1, n, box_len], "float32")
        cls = m.tensor("class_predictions_f", [1, n, cols], "float32")
        m.op("DEQUANTIZE", [q_enc], [enc], m.fb.DequantizeOptionsT(), "DequantizeOptions")
        m.op("DEQUANTIZE", [q_cls], [cls], m.fb.DequantizeOptionsT(), "DequantizeOptions")
        a = m.tensor("anchors", [n, 4], "float32", data=anc)
        op_in, model_in = [enc, cls, a], [q_enc, q_cls]
    else:
        enc = m.tensor("box_encodings", [1, n, box_len], "float32")
        cls = m.tensor("class_predictions", [1, n, cols], "float32")
        a = m.tensor("anchors", [n, 4], "float32", data=anc)
        op_in, model_in = [enc, cls, a], [enc, cls]
    rows = params.rows
    outs = [m.tensor("detection_boxes", [1, rows, 4], "float32"), m.tensor("detection_classes", [1, rows], "float32"),
            m.tensor("detection_scores", [1, rows], "float32"), m.tensor("num_detections", [1], "float32")]
    m.custom_op(CUSTOM_CODE, op_in, outs, custom_options(params))
    return m.finish(model_in, outs)


_OP = ("CUSTOM:" + CUSTOM_CODE,)
_NOTE = "TFLite_Detection_PostProcess written into a flatbuffer (a custom op the converter emits only for SSD graphs)"
_FAST = PostProcessParams(num_classes=3, max_detections=5, nms_score_threshold=0.2, nms_iou_threshold=0.45)
_REGULAR = PostProcessParams(num_classes=4, max_detections=6, detections_per_class=4, use_regular_nms=True,
                             nms_score_threshold=0.1, nms_iou_threshold=0.5)
# float scores over [-1.2, 1.2]: about half the boxes pass the thresholds, far more than max_detections
add("op_detection_postprocess_fast_float32", ("multi-input", "multi-output"),
    lambda: postprocess(n=24, params=_FAST, background=True, dtype="float32", seed=1), expect_ops=_OP, note=_NOTE)
add("op_detection_postprocess_regular_float32", ("multi-input", "multi-output"),
    lambda: postprocess(n=24, params=_REGULAR, background=False, dtype="float32", box_len=6, seed=2),
    expect_ops=_OP, note=_NOTE + "; 6 values per box (keypoint-style encodings), no background column")
# int8 heads: 256 score levels over 40 boxes, so equal scores (ties) in every sort
add("op_detection_postprocess_fast_dequantize_int8", ("int8", "multi-input", "multi-output"),
    lambda: postprocess(n=40, params=_FAST, background=True, dtype="dequantize", seed=3), expect_ops=_OP,
    note=_NOTE + "; int8 heads dequantised in front of the op (many equal scores)")
add("op_detection_postprocess_regular_dequantize_int8", ("int8", "multi-input", "multi-output"),
    lambda: postprocess(n=40, params=_REGULAR, background=True, dtype="dequantize", seed=4), expect_ops=_OP,
    note=_NOTE + "; int8 heads dequantised in front of the op (many equal scores)")
add("op_detection_postprocess_fast_uint8", ("uint8-io", "multi-input", "multi-output"),
    lambda: postprocess(n=32, params=_FAST, background=True, dtype="uint8", seed=5), expect_ops=_OP,
    note=_NOTE + "; uint8 inputs and anchors into the op (TFLite's kernel is the oracle: TFLM takes float32 only)")
