"""Parse a .tflite flatbuffer into the engine's graph IR (:mod:`tfcompress.engine.ir`)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.engine.ir import DTYPES, Graph, Op, Tensor
from tfcompress.engine.schema import enum_names, schema
from tfcompress.errors import TfcError

_CORRUPT_FIX = "re-export the model with tfcompress convert (the file is truncated or not a .tflite flatbuffer)"

_TYPE_NAMES = {
    "FLOAT32": "float32", "INT8": "int8", "INT16": "int16", "INT32": "int32", "INT64": "int64",
    "UINT8": "uint8", "BOOL": "bool", "FLOAT16": "float16", "UINT16": "uint16", "UINT32": "uint32",
    "FLOAT64": "float64", "RESOURCE": "resource",
    "INT4": "int8",  # packed two per byte in the file; unpacked to int8 on reading (as TFLM does)
}


def load_bytes(path_or_bytes: str | Path | bytes | bytearray) -> bytes:
    """Return the model bytes from a path or bytes, with a TfcError for a missing file."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return bytes(path_or_bytes)
    path = Path(path_or_bytes)
    if not path.is_file():
        raise TfcError(f"model file not found: {path}", "pass the path of a .tflite file")
    return path.read_bytes()


def model_hash(data: bytes) -> str:
    """16 hex chars of the sha256 of the .tflite bytes (TFC_MODEL_HASH)."""
    return hashlib.sha256(data).hexdigest()[:16]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _options(op_t: Any) -> dict[str, Any]:
    opts = op_t.builtinOptions
    if opts is None:
        return {}
    out: dict[str, Any] = {}
    for key, value in vars(opts).items():
        if isinstance(value, (int, float, bool, str)) or value is None:
            out[_snake(key)] = value
        elif isinstance(value, (list, np.ndarray)):
            out[_snake(key)] = [int(v) for v in value]
        elif isinstance(value, bytes):
            out[_snake(key)] = value.decode("utf-8", "replace")
    return out


def _parse(data: bytes) -> Any:
    if len(data) < 8:
        raise TfcError(f"not a .tflite model ({len(data)} bytes)", _CORRUPT_FIX)
    fb = schema()
    if len(data) >= 8 and data[4:8] != b"TFL3":
        raise TfcError("not a .tflite model (missing the TFL3 identifier)", _CORRUPT_FIX)
    try:
        root = fb.Model.GetRootAsModel(data, 0)
        return fb.ModelT.InitFromObj(root)
    except TfcError:
        raise
    except Exception as exc:  # flatbuffers raises many kinds on corrupt input
        raise TfcError(f"corrupt .tflite flatbuffer ({type(exc).__name__})", _CORRUPT_FIX) from None


def _unpack_int4(raw: bytes, count: int) -> np.ndarray:
    """INT4 constants: two per byte, low nibble first, sign-extended to int8."""
    b = np.frombuffer(raw, np.uint8)
    nib = np.empty(b.size * 2, np.int16)
    nib[0::2], nib[1::2] = b & 15, b >> 4
    return np.where(nib >= 8, nib - 16, nib).astype(np.int8)[:count]


def _buffer_data(model: Any, data: bytes, index: int, dtype: str, shape: tuple[int, ...],
                 tname: str, packed4: bool = False) -> np.ndarray | None:
    if index <= 0 or model.buffers is None or index >= len(model.buffers):
        return None
    buf = model.buffers[index]
    raw: bytes | None = None
    if buf.data is not None and len(buf.data) > 0:
        raw = bytes(np.asarray(buf.data, dtype=np.uint8))
    elif getattr(buf, "offset", 0) and buf.offset > 1:
        end = buf.offset + buf.size
        if end > len(data):
            raise TfcError(f"tensor '{tname}' points past the end of the file", _CORRUPT_FIX)
        raw = data[buf.offset:end]
    if raw is None:
        return None
    if dtype not in DTYPES:
        raise TfcError(f"constant tensor '{tname}' has unsupported type {dtype}",
                       "convert with --mode int8 (int8 weights, int32 bias)")
    np_dtype, size, _ = DTYPES[dtype]
    count = int(np.prod(shape)) if shape else 1
    if packed4:
        if len(raw) != (count + 1) // 2:
            raise TfcError(f"constant int4 tensor '{tname}' holds {len(raw)} bytes, expected "
                           f"{(count + 1) // 2}", _CORRUPT_FIX)
        return _unpack_int4(raw, count).reshape(shape)
    if len(raw) != count * size:
        raise TfcError(f"constant tensor '{tname}' holds {len(raw)} bytes, expected {count * size}",
                       _CORRUPT_FIX)
    return np.frombuffer(raw, dtype=np_dtype).reshape(shape).copy()


def _tensor(model: Any, data: bytes, index: int, t: Any) -> Tensor:
    types = enum_names("TensorType")
    tname = t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else str(t.name or f"t{index}")
    type_name = types.get(int(t.type), f"type{t.type}")
    dtype = _TYPE_NAMES.get(type_name, type_name.lower())
    shape = tuple(int(d) for d in (t.shape if t.shape is not None else []))
    if any(d < 0 for d in shape) or any(d > 1 << 24 for d in shape):
        raise TfcError(f"tensor '{tname}' has an invalid shape {list(shape)}",
                       "convert with a fixed batch size of 1")
    if dtype == "string" or type_name.startswith(("COMPLEX", "VARIANT", "FLOAT8", "BFLOAT", "INT2", "UINT4")):
        raise TfcError(f"tensor '{tname}' is of type {type_name}, which the engine does not handle",
                       "convert the model to int8 / int16x8 (full integer quantisation)")
    scales: list[float] = []
    zps: list[int] = []
    qdim = 0
    q = t.quantization
    if q is not None and q.scale is not None and len(q.scale) > 0:
        scales = [float(s) for s in q.scale]
        zps = [int(z) for z in (q.zeroPoint if q.zeroPoint is not None else [0] * len(scales))]
        if len(zps) != len(scales):
            zps = (zps + [0] * len(scales))[: len(scales)]
        qdim = int(q.quantizedDimension)
        if len(scales) > 1 and (qdim < 0 or (shape and qdim >= len(shape))):
            raise TfcError(f"tensor '{tname}' has an invalid quantized dimension {qdim}", _CORRUPT_FIX)
        if len(scales) == 1:  # per-tensor: TFLM ignores the field, so do we (some models have it out of range)
            qdim = 0
    tensor = Tensor(index, tname, shape, dtype, scales, zps, qdim, is_variable=bool(t.isVariable))
    tensor.data = _buffer_data(model, data, int(t.buffer), dtype, shape, tname, packed4=type_name == "INT4")
    return tensor


def _topological(ops: list[Op], tensors: list[Tensor], inputs: list[int]) -> list[Op]:
    ready = set(inputs) | {t.index for t in tensors if t.is_const or t.is_variable}
    pending = list(ops)
    ordered: list[Op] = []
    while pending:
        for k, op in enumerate(pending):
            if all(i < 0 or i in ready for i in op.inputs):
                ordered.append(op)
                ready.update(op.outputs)
                del pending[k]
                break
        else:
            op = pending[0]
            missing = [i for i in op.inputs if i >= 0 and i not in ready]
            name = tensors[missing[0]].name if missing else "?"
            raise TfcError(f"op {op.name} (#{op.index}) reads tensor '{name}', which no op produces and "
                           "which is neither a constant, a model input nor a variable",
                           "the graph is malformed; re-export it")
    return ordered


def _subgraph(model: Any, data: bytes, sg: Any, model_hash_: str) -> Graph:
    tensors = [_tensor(model, data, i, t) for i, t in enumerate(sg.tensors or [])]
    op_names = enum_names("BuiltinOperator")
    codes = model.operatorCodes or []
    ops: list[Op] = []
    n = len(tensors)
    for k, op_t in enumerate(sg.operators or []):
        if op_t.opcodeIndex >= len(codes):
            raise TfcError(f"operator #{k} uses an undefined opcode", _CORRUPT_FIX)
        code = codes[op_t.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        name = op_names.get(builtin, f"BUILTIN_{builtin}")
        options = _options(op_t)
        if name == "CUSTOM":
            cc = code.customCode
            name = "CUSTOM:" + (cc.decode("utf-8", "replace") if isinstance(cc, bytes) else str(cc))
            if op_t.customOptions is not None:
                options["custom_options"] = bytes(np.asarray(op_t.customOptions, dtype=np.uint8))
        ins = [int(i) for i in (op_t.inputs if op_t.inputs is not None else [])]
        outs = [int(i) for i in (op_t.outputs if op_t.outputs is not None else [])]
        inter = [int(i) for i in (op_t.intermediates if op_t.intermediates is not None else [])]
        if any(i >= n or i < -1 for i in ins + outs + inter) or any(i < 0 for i in outs):
            raise TfcError(f"operator #{k} ({name}) refers to a missing tensor", _CORRUPT_FIX)
        ops.append(Op(k, name, options, ins, outs, inter))
    g_in = [int(i) for i in (sg.inputs if sg.inputs is not None else [])]
    g_out = [int(i) for i in (sg.outputs if sg.outputs is not None else [])]
    if any(i < 0 or i >= len(tensors) for i in g_in + g_out):
        raise TfcError("the model's inputs/outputs refer to missing tensors", _CORRUPT_FIX)
    return Graph(tensors, _topological(ops, tensors, g_in), g_in, g_out, model_hash_)


def read_graph(path_or_bytes: str | Path | bytes | bytearray) -> Graph:
    """Parse a .tflite model into a :class:`Graph` of its main subgraph (every subgraph in
    ``Graph.subgraphs``); every problem is a :class:`TfcError`."""
    data = load_bytes(path_or_bytes)
    model = _parse(data)
    if not model.subgraphs:
        raise TfcError("the model has no subgraph", _CORRUPT_FIX)
    digest = model_hash(data)
    try:
        graphs = [_subgraph(model, data, sg, digest) for sg in model.subgraphs]
    except TfcError:
        raise
    except Exception as exc:
        raise TfcError(f"corrupt .tflite flatbuffer ({type(exc).__name__})", _CORRUPT_FIX) from None
    main = graphs[0]
    if not main.outputs:
        raise TfcError("the model has no outputs", _CORRUPT_FIX)
    for g in graphs:
        g.subgraphs = graphs
    return main
