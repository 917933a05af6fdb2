"""One TFLite_Detection_PostProcess model written straight into a flatbuffer (corpus entries and tests)."""

from __future__ import annotations

import numpy as np

from tests.helpers.flatmodel import FlatModel
from tfcompress.convert.detection_postprocess import CUSTOM_CODE, PostProcessParams, custom_options


def anchors(n: int, seed: int) -> np.ndarray:
    """``n`` overlapping anchors (y, x, h, w) in the unit square."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(0.1, 0.9, n), rng.uniform(0.1, 0.9, n),
                     rng.uniform(0.15, 0.4, n), rng.uniform(0.15, 0.4, n)], 1).astype(np.float32)


#: (scale, zero point) of box encodings, class predictions and anchors per 8-bit type
QUANT = {"uint8": ((0.04, 128), (1 / 256, 0), (1 / 255, 0)), "int8": ((0.04, -2), (1 / 256, -128), (1 / 255, -128))}


def postprocess(*, n: int, params: PostProcessParams, background: bool, dtype: str, box_len: int = 4,
                seed: int = 0, anchor_values: np.ndarray | None = None, columns: int | None = None) -> bytes:
    """Box encodings and class predictions as model inputs -> TFLite_Detection_PostProcess -> 4 outputs.

    ``dtype``: "float32" (float inputs), "dequantize" (int8 inputs, DEQUANTIZE into the op), or
    "uint8" / "int8" (8-bit inputs and constant anchors straight into the op); ``columns``: class
    prediction columns when not num_classes (+ 1 with a background column)."""
    m = FlatModel()
    cols = columns or params.num_classes + int(background)
    anc = anchors(n, seed) if anchor_values is None else np.asarray(anchor_values, np.float32)
    if dtype in QUANT:
        (se, ze), (sc, zc), (sa, za) = QUANT[dtype]
        info = np.iinfo(dtype)
        enc = m.tensor("box_encodings", [1, n, box_len], dtype, scale=se, zero_point=ze)
        cls = m.tensor("class_predictions", [1, n, cols], dtype, scale=sc, zero_point=zc)
        a = m.tensor("anchors", [n, 4], dtype, scale=sa, zero_point=za,
                     data=np.clip(np.round(anc / sa) + za, info.min + 1, info.max).astype(dtype))
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


def grid_anchors(maps: list[tuple[int, tuple[float, ...]]]) -> np.ndarray:
    """SSD anchors (y, x, h, w): per feature map of ``size`` x ``size`` cells, one square anchor per
    scale at each cell centre, in the order the heads emit them (row, column, anchor)."""
    out = [((i + 0.5) / size, (j + 0.5) / size, s, s)
           for size, scales in maps for i in range(size) for j in range(size) for s in scales]
    return np.array(out, np.float32)
