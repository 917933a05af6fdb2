"""TFLite_Detection_PostProcess (the SSD post-processing custom op), written straight into a flatbuffer:
float32 inputs (TFLM's kernel), int8 heads dequantised in front of it (the converter's pattern, many
equal scores), and uint8 inputs taken by the op itself (TFLite's kernel; TFLM rejects them). Regular
and fast NMS, more candidates than max_detections, with and without a background column."""

from __future__ import annotations

from tests.helpers.detection_models import postprocess
from tfcompress.convert.detection_postprocess import CUSTOM_CODE, PostProcessParams

from ..registry import add

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


def _ssd_with_postprocess() -> bytes:
    """The corpus' SSD-style network (int8, two feature maps, 176 anchors) with the op appended by
    tfcompress.convert.detection_postprocess.append_postprocess (DEQUANTIZE on both heads)."""
    from tests.helpers.detection_models import grid_anchors
    from tfcompress.convert.detection_postprocess import append_postprocess

    from ..registry import get

    ssd = get("arch_ssd_multiscale_int8").build()
    params = PostProcessParams(num_classes=2, max_detections=8, nms_score_threshold=0.5, nms_iou_threshold=0.5)
    return append_postprocess(ssd, grid_anchors([(8, (0.2, 0.3)), (4, (0.35, 0.5, 0.7))]), params)


add("arch_ssd_multiscale_postprocess_int8", ("int8", "architecture", "multi-output"), _ssd_with_postprocess,
    expect_ops=_OP, note="arch_ssd_multiscale_int8 with TFLite_Detection_PostProcess appended (fast NMS over "
                         "176 anchors, DEQUANTIZE on both int8 heads)")
