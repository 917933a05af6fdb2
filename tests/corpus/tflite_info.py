"""What a .tflite holds, read straight from the flatbuffer (every subgraph, any op, any type):
ops, op x activation-type pairs, model I/O, variable tensors."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from tfcompress.engine.schema import enum_names, schema

#: ops whose type is best told as "input -> output" (conversions)
_CONVERSIONS = {"QUANTIZE", "DEQUANTIZE", "CAST"}


def _name(raw: Any) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


def _tensor_info(t: Any, types: dict[int, str]) -> dict[str, Any]:
    q = t.quantization
    scale = [float(s) for s in q.scale] if q is not None and q.scale is not None else []
    zp = [int(z) for z in q.zeroPoint] if q is not None and q.zeroPoint is not None else []
    return dict(name=_name(t.name), dtype=types.get(int(t.type), str(t.type)).lower(),
                shape=[int(d) for d in (t.shape if t.shape is not None else [])],
                scale=scale[0] if len(scale) == 1 else (scale or None),
                zero_point=zp[0] if len(zp) == 1 else (zp or None))


def model_info(data: bytes) -> dict[str, Any]:
    """Ops (sorted, all subgraphs), op types ("CONV_2D:int16", "QUANTIZE:float32->int8"),
    inputs/outputs of subgraph 0, variable tensor count, subgraph count and the sha256."""
    fb = schema()
    model = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(bytes(data), 0))
    op_names = enum_names("BuiltinOperator")
    types = enum_names("TensorType")
    codes = model.operatorCodes or []
    ops: set[str] = set()
    op_types: set[str] = set()
    variables = 0
    subgraphs = model.subgraphs or []
    for sg in subgraphs:
        tensors = sg.tensors or []
        variables += sum(bool(t.isVariable) for t in tensors)
        for op in sg.operators or []:
            code = codes[op.opcodeIndex]
            name = op_names.get(max(int(code.builtinCode), int(code.deprecatedBuiltinCode)), "?")
            if name == "CUSTOM":
                name = "CUSTOM:" + _name(code.customCode)
            ops.add(name)
            ins = [i for i in (op.inputs if op.inputs is not None else []) if i >= 0]
            outs = [i for i in (op.outputs if op.outputs is not None else []) if i >= 0]

            def dt(i: int, tensors: Any = tensors) -> str:
                return types.get(int(tensors[i].type), "?").lower()

            def const(i: int, tensors: Any = tensors) -> bool:
                b = int(tensors[i].buffer)
                buf = model.buffers[b] if 0 < b < len(model.buffers or []) else None
                return buf is not None and ((buf.data is not None and len(buf.data) > 0)
                                            or getattr(buf, "offset", 0) > 1)

            live = [i for i in ins if not const(i)] or ins
            if name in _CONVERSIONS and ins and outs:
                op_types.add(f"{name}:{dt(ins[0])}->{dt(outs[0])}")
            elif ins:
                op_types.add(f"{name}:{dt(live[0])}")
            else:
                op_types.add(name)
    sg = subgraphs[0]
    tensors = sg.tensors or []
    return dict(content_sha256=content_digest(model),
        ops=sorted(ops), op_types=sorted(op_types),
        inputs=[_tensor_info(tensors[i], types) for i in (sg.inputs if sg.inputs is not None else [])],
        outputs=[_tensor_info(tensors[i], types) for i in (sg.outputs if sg.outputs is not None else [])],
        variable_tensors=variables, subgraphs=len(subgraphs), bytes=len(data),
        sha256=hashlib.sha256(bytes(data)).hexdigest())


def float_input_range(data: bytes, index: int) -> tuple[float, float] | None:
    """The real range the QUANTIZE consuming float input ``index`` can represent, or None."""
    fb = schema()
    model = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(bytes(data), 0))
    op_names = enum_names("BuiltinOperator")
    sg = model.subgraphs[0]
    tid = int(sg.inputs[index])
    for op in sg.operators or []:
        code = model.operatorCodes[op.opcodeIndex]
        name = op_names.get(max(int(code.builtinCode), int(code.deprecatedBuiltinCode)))
        if name == "QUANTIZE" and op.inputs is not None and int(op.inputs[0]) == tid:
            t = sg.tensors[int(op.outputs[0])]
            q = t.quantization
            if q is None or q.scale is None or not len(q.scale):
                return None
            info = np.iinfo({9: np.int8, 7: np.int16, 3: np.uint8}.get(int(t.type), np.int8))
            s, z = float(q.scale[0]), int(q.zeroPoint[0])
            return (info.min - z) * s, (info.max - z) * s
    return None


def content_digest(model: Any) -> str:
    """sha256 of what a model computes, names left out: per subgraph the operators (op, operands,
    options), tensors (type, shape, quantisation, variable flag) and constant data. TensorFlow puts
    per-process function counters into tensor and subgraph names, so the same conversion can differ in
    bytes but not in this digest."""
    op_names = enum_names("BuiltinOperator")
    codes = model.operatorCodes or []
    h = hashlib.sha256()
    for sg in model.subgraphs or []:
        for t in sg.tensors or []:
            q = t.quantization
            quant = ([float(v) for v in q.scale], [int(v) for v in q.zeroPoint], int(q.quantizedDimension)) \
                if q is not None and q.scale is not None else None
            b = int(t.buffer)
            buf = model.buffers[b] if 0 < b < len(model.buffers or []) else None
            data = bytes(np.asarray(buf.data, np.uint8)) if buf is not None and buf.data is not None else b""
            h.update(json.dumps([int(t.type), [int(d) for d in (t.shape if t.shape is not None else [])],
                                 quant, bool(t.isVariable), hashlib.sha256(data).hexdigest()]).encode())
        for op in sg.operators or []:
            code = codes[op.opcodeIndex]
            opts = op.builtinOptions
            fields = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in sorted(vars(opts).items())} \
                if opts is not None else {}
            h.update(json.dumps([op_names.get(max(int(code.builtinCode), int(code.deprecatedBuiltinCode))),
                                 [int(i) for i in (op.inputs if op.inputs is not None else [])],
                                 [int(i) for i in (op.outputs if op.outputs is not None else [])],
                                 fields], default=str).encode())
        h.update(json.dumps([[int(i) for i in (sg.inputs if sg.inputs is not None else [])],
                             [int(i) for i in (sg.outputs if sg.outputs is not None else [])]]).encode())
    return h.hexdigest()
