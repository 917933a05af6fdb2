"""TFLite's ``TFLite_Detection_PostProcess`` custom op: its options, and appending it to a converted SSD.

An SSD's converted .tflite ends in two tensors: box encodings ``[1, N, 4]`` (center-size offsets
against N anchors) and class scores ``[1, N, C]`` (or ``C + 1`` with a background column first).
:func:`append_postprocess` adds the op after them, so the model itself returns boxes, classes,
scores and the number of detections (TFLM's kernel, and the engine's bit-exact twin, run it on the
device). Quantised heads get a DEQUANTIZE in front of the op: TFLM's kernel takes float32 only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from tfcompress.errors import TfcError

CUSTOM_CODE = "TFLite_Detection_PostProcess"


@dataclass(frozen=True)
class PostProcessParams:
    """The op's options (TFLM's names). ``num_classes`` excludes the background column;
    ``use_regular_nms``: per-class NMS keeping ``detections_per_class`` per class, else fast NMS
    on each box's best score with ``max_classes_per_detection`` classes per box (keep it 1: TFLM
    lays out more than one class per box with gaps). The scales divide the encodings:
    ``y / y_scale * anchor_h + anchor_y``, ``exp(h / h_scale) * anchor_h``."""

    num_classes: int
    max_detections: int = 10
    max_classes_per_detection: int = 1
    detections_per_class: int = 100
    use_regular_nms: bool = False
    nms_score_threshold: float = 0.3
    nms_iou_threshold: float = 0.5
    y_scale: float = 10.0
    x_scale: float = 10.0
    h_scale: float = 5.0
    w_scale: float = 5.0

    @property
    def rows(self) -> int:
        """Rows of the boxes / classes / scores outputs (TFLite's max_detections * classes per box)."""
        return self.max_detections * self.max_classes_per_detection


def custom_options(params: PostProcessParams) -> bytes:
    """The op's custom options: a flexbuffer map, as TFLite's converter writes it."""
    from flatbuffers import flexbuffers

    fbb = flexbuffers.Builder()
    with fbb.Map():
        for key, value in sorted(asdict(params).items()):
            if isinstance(value, bool):
                fbb.Bool(key, value)
            elif isinstance(value, int):
                fbb.Int(key, value)
            else:
                fbb.Float(key, float(value))
    return bytes(fbb.Finish())


def check_anchors(anchors: np.ndarray, n: int) -> np.ndarray:
    """Anchors as float32 ``[n, 4]`` (y_center, x_center, height, width), or a TfcError."""
    a = np.asarray(anchors, np.float32)
    if a.shape != (n, 4):
        raise TfcError(f"anchors have shape {list(a.shape)}, the box encodings hold {n} boxes",
                       f"pass {n} anchors as an array [{n}, 4] of (y_center, x_center, height, width)")
    if not np.all(np.isfinite(a)) or np.any(a[:, 2:] <= 0):
        raise TfcError("anchors must be finite with positive heights and widths",
                       "pass anchors as (y_center, x_center, height, width) with height, width > 0")
    return a
