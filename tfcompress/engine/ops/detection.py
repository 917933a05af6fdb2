"""TFLite_Detection_PostProcess (custom op): SSD box decoding + non-maximum suppression.

The kernel (``firmware/engine/detection_postprocess.c``) computes what TFLM's kernel computes,
float for float: the flexbuffer options are read here the way TFLM's ``Init`` reads them
(``detections_per_class`` 100 and ``use_regular_nms`` false when absent, other missing keys 0,
numbers converted between int and float as flexbuffers' ``AsInt32`` / ``AsFloat`` do).

Types: float32 box encodings and class predictions (TFLM's kernel), or uint8 / int8 ones
dequantised as TFLite's kernel does, ``(float)(q - zp) * scale``, before TFLM's float algorithm
(TFLM rejects quantised inputs; TFLite's kernel takes uint8). Anchors are float32, or constant
uint8 / int8 dequantised here into a float32 array with the same expression.

Where TFLite's kernel (the oracle for uint8 inputs) differs from TFLM's, the engine follows TFLM:
several classes per box in fast NMS (TFLM's rows ``per_box * j + j % per_box``, TFLite's
consecutive rows), degenerate boxes (TFLM fails on ymin == ymax, TFLite only on ymin > ymax), and
ties in the regular NMS's partial sort (TFLM: the lower index first; TFLite leaves it to
``std::partial_sort``). Rows TFLM leaves unwritten are zero (:func:`blank_unwritten`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.engine.ir import Graph, Op, Tensor
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.ops.common import out_name
from tfcompress.errors import TfcError

#: the op's name in the engine's IR (reader.py: "CUSTOM:" + custom_code)
OP_NAME = "CUSTOM:TFLite_Detection_PostProcess"
KERNEL = "tfc_detection_postprocess"
#: element type of box encodings / class predictions -> the kernel's in_type
IN_TYPES = {"float32": 0, "uint8": 1, "int8": 2}
_FIX = "export the op with float32, uint8 or int8 inputs and float32 anchors (or constant quantised anchors)"


def parse_options(raw: bytes | None) -> dict[str, Any]:
    """The op's flexbuffer map as TFLM's Init reads it (defaults and int/float conversions)."""
    from flatbuffers import flexbuffers

    try:
        m = flexbuffers.Loads(raw) if raw else {}
    except Exception:  # noqa: BLE001 - any decoding error is a corrupt option block
        m = None
    if not isinstance(m, dict):
        raise TfcError("TFLite_Detection_PostProcess: its custom options are not a flexbuffer map",
                       "re-export the model; the op's options look corrupt")

    def as_int(key: str, default: int = 0) -> int:
        v = m.get(key)
        return default if v is None else int(v)

    def as_float(key: str) -> float:
        v = m.get(key)
        return float(np.float32(0.0 if v is None else float(v)))

    return dict(max_detections=as_int("max_detections"),
                max_classes_per_detection=as_int("max_classes_per_detection"),
                detections_per_class=as_int("detections_per_class", 100),
                use_regular_nms=bool(as_int("use_regular_nms", 0)),
                nms_score_threshold=as_float("nms_score_threshold"),
                nms_iou_threshold=as_float("nms_iou_threshold"),
                num_classes=as_int("num_classes"),
                y_scale=as_float("y_scale"), x_scale=as_float("x_scale"),
                h_scale=as_float("h_scale"), w_scale=as_float("w_scale"))


def dequantize(t: Tensor) -> np.ndarray:
    """A constant tensor as float32: itself, or ``(float)(q - zp) * scale`` (TFLite's Dequantizer)."""
    assert t.data is not None
    if t.dtype == "float32":
        return np.asarray(t.data, np.float32)
    q = (t.data.astype(np.float32) - np.float32(t.zero_point)) * np.float32(t.scale)
    return q.astype(np.float32)


def scratch_words(n: int, classes_bg: int, classes: int, max_det: int, per_box: int, quantized: bool) -> int:
    """4-byte words of working memory (the kernel's dpp_layout, in the same order)."""
    words = 5 * n + (n * classes_bg if quantized else 0) + 3 * n + max(max_det + n, classes)
    words += max(n * per_box, max_det + n) + (max_det + n) + max_det + n + (n + 3) // 4
    return words


def lower_detection_postprocess(g: Graph, op: Op) -> LoweredOp:
    """TFLite_Detection_PostProcess: TFLM's Prepare checks on the host, the kernel call with its options."""
    name = out_name(g, op)
    where = f"TFLite_Detection_PostProcess '{name}'"
    if len(op.inputs) != 3 or len(op.outputs) != 4 or min(op.inputs) < 0:
        raise TfcError(f"{where} has {len(op.inputs)} inputs and {len(op.outputs)} outputs (TFLM wants 3 and 4)",
                       "re-export the model")
    enc, cls, anc = (g.t(i) for i in op.inputs)
    outs = [g.t(i) for i in op.outputs]
    o = parse_options(op.options.get("custom_options"))
    if len(enc.shape) != 3 or len(cls.shape) != 3 or len(anc.shape) != 2:
        raise TfcError(f"{where}: box encodings {list(enc.shape)}, class predictions {list(cls.shape)} and anchors "
                       f"{list(anc.shape)} must be 3-D, 3-D and 2-D (as TFLM checks)", "re-export the model")
    n, box_len, classes_bg = enc.shape[1], enc.shape[2], cls.shape[2]
    if enc.shape[0] != 1 or cls.shape[0] != 1 or cls.shape[1] != n or box_len < 4 or anc.shape != (n, 4):
        raise TfcError(f"{where}: shapes {list(enc.shape)} / {list(cls.shape)} / {list(anc.shape)} do not describe "
                       "one batch of N boxes with 4+ coordinates, N class rows and N anchors", "re-export the model")
    if enc.dtype not in IN_TYPES or cls.dtype != enc.dtype:
        raise TfcError(f"{where}: box encodings are {enc.dtype} and class predictions {cls.dtype}; the kernel takes "
                       "both float32, both uint8 or both int8", _FIX)
    if any(t.dtype != "float32" for t in outs):
        raise TfcError(f"{where}: its outputs must be float32", "re-export the model")
    md, mcpd, dpc = o["max_detections"], o["max_classes_per_detection"], o["detections_per_class"]
    nc, regular = o["num_classes"], o["use_regular_nms"]
    problems = []
    if nc < 1:
        problems.append(f"num_classes {nc} < 1 (TFLM reads a class that does not exist)")
    elif not 0 <= classes_bg - nc <= 1:
        problems.append(f"num_classes {nc} with {classes_bg} class-prediction columns (TFLM wants 0 or 1 more)")
    if not 0.0 < o["nms_iou_threshold"] <= 1.0:
        problems.append(f"nms_iou_threshold {o['nms_iou_threshold']} outside (0, 1]")
    if md < 0:
        problems.append(f"max_detections {md} < 0")
    if regular and dpc <= 0:
        problems.append(f"detections_per_class {dpc} <= 0 with regular NMS")
    if not regular and mcpd <= 0:
        problems.append(f"max_classes_per_detection {mcpd} <= 0 with fast NMS")
    if problems:
        raise TfcError(f"{where}: " + "; ".join(problems) + " — TFLM fails this op", "fix the op's options")
    rows = outs[0].elements // 4
    if outs[1].elements != rows or outs[2].elements != rows or outs[3].elements != 1 or rows < (md if regular else 0):
        raise TfcError(f"{where}: outputs {[list(t.shape) for t in outs]} do not hold "
                       f"{md} detections", "re-export the model with static output shapes")
    per_box = min(mcpd, nc)
    quantized = enc.dtype != "float32"
    if anc.dtype not in ("float32", enc.dtype if quantized else "float32"):
        raise TfcError(f"{where}: anchors are {anc.dtype} with {enc.dtype} box encodings", _FIX)
    anchor_input, anchors_field = anc.index, 0
    arrays = []
    if anc.dtype != "float32":
        if not anc.is_const:
            raise TfcError(f"{where}: quantised anchors must be constant", _FIX)
        arr = ConstArray(f"op{op.index}_anchors", dequantize(anc).reshape(-1))
        arrays.append(arr)
        anchor_input, anchors_field = -1, arr
    words = scratch_words(n, classes_bg, nc, md, 0 if regular else per_box, quantized)
    fields: dict[str, Any] = dict(
        num_boxes=n, box_len=box_len, num_classes=nc, num_classes_bg=classes_bg, max_detections=md,
        max_classes_per_detection=mcpd, detections_per_class=dpc, regular=int(regular), out_rows=rows,
        in_type=IN_TYPES[enc.dtype], score_threshold=o["nms_score_threshold"], iou_threshold=o["nms_iou_threshold"],
        y_scale=o["y_scale"], x_scale=o["x_scale"], h_scale=o["h_scale"], w_scale=o["w_scale"],
        box_scale=float(np.float32(enc.scale)), box_zp=float(enc.zero_point),
        cls_scale=float(np.float32(cls.scale)), cls_zp=float(cls.zero_point),
        anchors=anchors_field, scratch_bytes=4 * words)
    in_ct = {"float32": "float", "uint8": "uint8_t", "int8": "int8_t"}[enc.dtype]
    return LoweredOp(op, KERNEL, "tfc_detection_postprocess_params", fields, [enc.index, cls.index, anchor_input],
                     list(op.outputs), arrays=arrays, in_ctypes=(in_ct, in_ct, "float"), out_ctype="float",
                     scratch=4 * words, returns_status=True)


# ---- rows TFLM leaves unwritten (undefined in TFLM: whatever its arena held; zero in the engine)

def written_rows(rows: int, num_detections: int, regular: bool, per_box: int, max_detections: int) -> np.ndarray:
    """Which output rows TFLM's kernel writes: regular NMS the first ``max_detections``; fast NMS
    row ``per_box * j + j % per_box`` of its j-th (box, class) pair (TFLM's layout, which skips
    rows when ``per_box`` > 1)."""
    mask = np.zeros(rows, bool)
    if regular:
        mask[:max_detections] = True
        return mask
    j = np.arange(max(0, num_detections))
    at = per_box * j + j % max(per_box, 1)
    mask[at[at < rows]] = True
    return mask


def unwritten_specs(model_bytes: bytes, *, model_outputs: bool = True) -> list[dict[str, Any]]:
    """For each TFLite_Detection_PostProcess (``model_outputs``: only those whose four outputs are
    model outputs): ``outputs``, their positions among the model outputs (else their tensor
    indices), and the options that decide which rows TFLM writes."""
    if b"TFLite_Detection_PostProcess" not in model_bytes:
        return []
    from tfcompress.engine.reader import read_graph

    g = read_graph(model_bytes)
    specs = []
    for op in g.ops:
        if op.name != OP_NAME or len(op.outputs) != 4:
            continue
        if model_outputs and not all(t in g.outputs for t in op.outputs):
            continue
        o = parse_options(op.options.get("custom_options"))
        where = [g.outputs.index(t) for t in op.outputs] if model_outputs else list(op.outputs)
        specs.append(dict(outputs=where, rows=g.t(op.outputs[0]).elements // 4,
                          regular=o["use_regular_nms"], max_detections=o["max_detections"],
                          per_box=max(0, min(o["max_classes_per_detection"], o["num_classes"]))))
    return specs


def blank_unwritten_tensors(specs: list[dict[str, Any]], tensor: Any) -> dict[int, np.ndarray]:
    """The outputs of every op in ``specs`` (``unwritten_specs(..., model_outputs=False)``) as
    ``tensor(index)`` returns them, with the rows TFLM leaves undefined set to zero."""
    out: dict[int, np.ndarray] = {}
    for s in specs:
        values = blank_unwritten([dict(s, outputs=[0, 1, 2, 3])], [np.asarray(tensor(t)) for t in s["outputs"]])
        out.update(zip(s["outputs"], values, strict=True))
    return out


def blank_unwritten(specs: list[dict[str, Any]], outputs: list[np.ndarray]) -> list[np.ndarray]:
    """``outputs`` of an oracle with the rows TFLM leaves undefined set to zero, as the engine's
    kernel writes them (the rows it writes are compared exactly)."""
    if not specs:
        return outputs
    out = [np.array(x) for x in outputs]
    for s in specs:
        b, c, sc, num = s["outputs"]
        count = int(np.asarray(out[num]).reshape(-1)[0]) if np.isfinite(np.asarray(out[num]).reshape(-1)[0]) else 0
        keep = written_rows(s["rows"], count, s["regular"], s["per_box"], s["max_detections"])
        for k, width in ((b, 4), (c, 1), (sc, 1)):
            flat = out[k].reshape(-1, width) if out[k].size == s["rows"] * width else None
            if flat is not None:
                flat[~keep] = 0
                out[k] = flat.reshape(out[k].shape)
    return out
