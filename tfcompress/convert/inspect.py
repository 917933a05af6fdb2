"""Read weights out of a ``.tflite`` flatbuffer: per-layer sparsity and unique values, tensor dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.compress.result import LayerRecord

_WEIGHT_OPS = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "TRANSPOSE_CONV": 1}
_NP = {"FLOAT32": np.float32, "FLOAT16": np.float16, "INT8": np.int8, "UINT8": np.uint8,
       "INT16": np.int16, "INT32": np.int32, "INT64": np.int64}


def _schema() -> Any:
    from tensorflow.lite.python import schema_py_generated as schema

    return schema


def _names(enum_cls: Any) -> dict[int, str]:
    return {v: k for k, v in vars(enum_cls).items() if not k.startswith("_") and isinstance(v, int)}


class TfliteModel:
    """Minimal typed view of a .tflite flatbuffer (main subgraph)."""

    def __init__(self, data: bytes) -> None:
        schema = _schema()
        self.model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(bytearray(data), 0))
        self.graph = self.model.subgraphs[0]
        self._types = _names(schema.TensorType)
        self._ops = _names(schema.BuiltinOperator)

    def dtype(self, index: int) -> str:
        return self._types[self.graph.tensors[index].type].lower()

    def shape(self, index: int) -> tuple[int, ...]:
        shp = self.graph.tensors[index].shape
        return tuple(int(v) for v in shp) if shp is not None else ()

    def tensor_name(self, index: int) -> str:
        name = self.graph.tensors[index].name
        return name.decode() if isinstance(name, bytes) else str(name)

    def constant(self, index: int) -> np.ndarray | None:
        t = self.graph.tensors[index]
        buf = self.model.buffers[t.buffer].data if t.buffer < len(self.model.buffers) else None
        if buf is None or len(buf) == 0:
            return None
        dt = _NP.get(self._types[t.type])
        if dt is None:
            return None
        return np.frombuffer(np.asarray(buf, dtype=np.uint8).tobytes(), dtype=dt)

    def op_name(self, op: Any) -> str:
        code = self.model.operatorCodes[op.opcodeIndex]
        return self._ops[max(code.builtinCode, code.deprecatedBuiltinCode)]

    def producers(self) -> dict[int, Any]:
        return {o: op for op in self.graph.operators for o in op.outputs}

    def weight_tensors(self) -> list[tuple[str, int]]:
        """(op name, constant weight tensor index) per weighted op, following DEQUANTIZE."""
        prod = self.producers()
        out = []
        for op in self.graph.operators:
            name = self.op_name(op)
            if name not in _WEIGHT_OPS:
                continue
            idx = op.inputs[_WEIGHT_OPS[name]]
            src = prod.get(idx)
            if src is not None and self.op_name(src) == "DEQUANTIZE":
                idx = src.inputs[0]
            out.append((name, idx))
        return out

    def io_dtypes(self) -> tuple[list[str], list[str]]:
        return [self.dtype(i) for i in self.graph.inputs], [self.dtype(i) for i in self.graph.outputs]

    def op_names(self) -> list[str]:
        return [self.op_name(op) for op in self.graph.operators]


def tflite_layer_report(data: bytes) -> list[LayerRecord]:
    """Per weighted op: weight count, sparsity and unique values read from the buffers."""
    m = TfliteModel(data)
    records = []
    for op, idx in m.weight_tensors():
        w = m.constant(idx)
        if w is None or w.size == 0:
            continue
        shape = m.shape(idx)
        axis = 3 if op == "DEPTHWISE_CONV_2D" and len(shape) == 4 else 0  # output-channel axis
        per_ch = np.moveaxis(w.reshape(shape), axis, 0).reshape(shape[axis], -1) if shape else w[None]
        records.append(LayerRecord(
            name=f"{op.lower()}:{m.tensor_name(idx)}",
            params=int(w.size),
            sparsity=float(np.mean(w == 0)),
            unique_values=int(np.unique(w).size),
            unique_per_channel=int(max(np.unique(row).size for row in per_ch)),
        ))
    return records


def weight_arrays(data: bytes) -> dict[str, np.ndarray]:
    """Weight arrays of weighted ops in TFLite layout (output channels first), keyed like the report."""
    m = TfliteModel(data)
    out = {}
    for op, idx in m.weight_tensors():
        w = m.constant(idx)
        if w is not None and w.size:
            out[f"{op.lower()}:{m.tensor_name(idx)}"] = w.reshape(m.shape(idx))
    return out


def weight_dtypes(data: bytes) -> set[str]:
    """Dtypes of the weight tensors of weighted ops."""
    m = TfliteModel(data)
    return {m.dtype(idx) for _, idx in m.weight_tensors()}
