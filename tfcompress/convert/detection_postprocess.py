"""TFLite's ``TFLite_Detection_PostProcess`` custom op: its options, and appending it to a converted SSD.

An SSD's converted .tflite ends in two tensors: box encodings ``[1, N, 4]`` (center-size offsets
against N anchors) and class scores ``[1, N, C]`` (or ``C + 1`` with a background column first).
:func:`append_postprocess` adds the op after them, so the model itself returns boxes, classes,
scores and the number of detections (TFLM's kernel, and the engine's bit-exact twin, run it on the
device). Quantised heads get a DEQUANTIZE in front of the op: TFLM's kernel takes float32 only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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


def _find_heads(g: Any, boxes: int | str | None, scores: int | str | None) -> tuple[int, int]:
    """Subgraph output positions of the box encodings and the class scores."""
    def pick(key: int | str, what: str) -> int:
        names = [g.tensors[t].name.decode("utf-8", "replace") for t in g.outputs]
        if isinstance(key, int) and 0 <= key < len(names):
            return key
        if isinstance(key, str) and key in names:
            return names.index(key)
        raise TfcError(f"the model has no output {key!r} for the {what} (outputs: {', '.join(names)})",
                       f"pass the {what} output by position (0-{len(names) - 1}) or by name")

    if boxes is None and scores is None:
        shapes = [list(g.tensors[t].shape if g.tensors[t].shape is not None else []) for t in g.outputs]
        four = [k for k, s in enumerate(shapes) if len(s) == 3 and s[2] == 4]
        rest = [k for k, s in enumerate(shapes) if len(s) == 3 and k not in four[:1]]
        if len(g.outputs) != 2 or len(four) < 1 or len(rest) != 1:
            raise TfcError(f"cannot tell the box and score outputs apart (output shapes {shapes})",
                           "pass boxes= and scores= (output positions or names)")
        return four[0], rest[0]
    return pick(boxes if boxes is not None else 0, "box encodings"), pick(scores if scores is not None else 1,
                                                                           "class scores")


def append_postprocess(tflite: bytes, anchors: np.ndarray, params: PostProcessParams, *,
                       boxes: int | str | None = None, scores: int | str | None = None) -> bytes:
    """A converted SSD with ``TFLite_Detection_PostProcess`` appended after its two heads.

    ``tflite``: the model, whose outputs include box encodings ``[1, N, 4]`` (``boxes``: output
    position or tensor name; by default the one output ending in 4) and class scores
    ``[1, N, num_classes (+1 background column first)]`` (``scores``; already through their
    sigmoid/softmax). ``anchors``: ``[N, 4]`` (y_center, x_center, height, width) in the units
    the boxes come out in. Quantised heads are dequantised by a DEQUANTIZE op each (TFLM's kernel
    takes float32). The model's outputs become detection_boxes ``[1, rows, 4]`` (ymin, xmin, ymax,
    xmax), detection_classes, detection_scores ``[1, rows]`` and num_detections ``[1]`` (float32;
    ``rows = max_detections * max_classes_per_detection``), followed by any other outputs it had.
    Signature definitions are dropped (they would name the old outputs)."""
    from tfcompress.engine.reader import _parse
    from tfcompress.engine.schema import schema

    fb = schema()
    model = _parse(bytes(tflite))
    g = model.subgraphs[0]
    kb, ks = _find_heads(g, boxes, scores)
    t_box, t_cls = g.tensors[g.outputs[kb]], g.tensors[g.outputs[ks]]
    sb, sc = list(t_box.shape), list(t_cls.shape)
    if len(sb) != 3 or sb[0] != 1 or sb[2] != 4 or len(sc) != 3 or sc[:2] != sb[:2]:
        raise TfcError(f"box encodings {sb} and class scores {sc} are not [1, N, 4] and [1, N, C]",
                       "reshape the heads to [1, N, 4] and [1, N, C] (anchors along axis 1) before converting")
    if not 0 <= sc[2] - params.num_classes <= 1:
        raise TfcError(f"num_classes {params.num_classes} does not fit {sc[2]} score columns",
                       "set num_classes to the score columns, or one less when column 0 is the background")
    anchor_data = check_anchors(anchors, sb[1])
    types = {v: k for k, v in vars(fb.TensorType).items() if not k.startswith("_")}

    def code(builtin: int, custom: str | None = None) -> int:
        for k, oc in enumerate(model.operatorCodes):
            cc = oc.customCode.decode() if isinstance(oc.customCode, bytes) else oc.customCode
            if max(oc.builtinCode, oc.deprecatedBuiltinCode) == builtin and cc == custom:
                return k
        oc = fb.OperatorCodeT()
        oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = builtin, min(builtin, 127), 1
        oc.customCode = custom.encode() if custom else None
        model.operatorCodes.append(oc)
        return len(model.operatorCodes) - 1

    def tensor(name: str, shape: list[int], data: np.ndarray | None = None) -> int:
        t = fb.TensorT()
        t.name, t.shape, t.type, t.buffer = name.encode(), shape, fb.TensorType.FLOAT32, 0
        if data is not None:
            buf = fb.BufferT()
            buf.data = np.frombuffer(np.ascontiguousarray(data, np.float32).tobytes(), np.uint8)
            model.buffers.append(buf)
            t.buffer = len(model.buffers) - 1
        g.tensors.append(t)
        return len(g.tensors) - 1

    def operator(opcode: int, inputs: list[int], outputs: list[int]) -> Any:
        op = fb.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = opcode, inputs, outputs
        g.operators.append(op)
        return op

    heads = []
    for k, t in ((g.outputs[kb], t_box), (g.outputs[ks], t_cls)):
        kind = types.get(t.type, str(t.type))
        if kind == "FLOAT32":
            heads.append(k)
        elif kind in ("INT8", "UINT8", "INT16"):
            f = tensor(t.name.decode("utf-8", "replace") + "/dequantized", list(t.shape))
            op = operator(code(fb.BuiltinOperator.DEQUANTIZE), [k], [f])
            op.builtinOptionsType, op.builtinOptions = fb.BuiltinOptions.DequantizeOptions, fb.DequantizeOptionsT()
            heads.append(f)
        else:
            raise TfcError(f"head '{t.name.decode('utf-8', 'replace')}' is {kind}",
                           "convert with float32, int8 or uint8 outputs")
    a = tensor("anchors", [sb[1], 4], anchor_data)
    rows = params.rows
    outs = [tensor("detection_boxes", [1, rows, 4]), tensor("detection_classes", [1, rows]),
            tensor("detection_scores", [1, rows]), tensor("num_detections", [1])]
    op = operator(code(fb.BuiltinOperator.CUSTOM, CUSTOM_CODE), [*heads, a], outs)
    op.customOptions = np.frombuffer(custom_options(params), np.uint8)
    op.customOptionsFormat = fb.CustomOptionsFormat.FLEXBUFFERS
    g.outputs = outs + [t for k, t in enumerate(g.outputs) if k not in (kb, ks)]
    model.signatureDefs = None
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
