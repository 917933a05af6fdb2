"""A one-subgraph .tflite written straight into a flatbuffer with the schema's object API (ops the
converter does not emit with integer types, custom ops; used by the corpus' handmade families and
by tests)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.engine.schema import schema

_TYPES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "bool": 6, "int16": 7, "int8": 9}


class FlatModel:
    """A one-subgraph model being written: tensors, constant buffers, operators."""

    def __init__(self) -> None:
        self.fb = schema()
        self.buffers: list[Any] = [self.fb.BufferT()]  # buffer 0: the empty sentinel
        self.tensors: list[Any] = []
        self.ops: list[Any] = []
        self.codes: list[int | str] = []  # builtin code, or a custom op's custom_code

    def tensor(self, name: str, shape: list[int], dtype: str, *, scale: float | list[float] | None = None,
               zero_point: int | list[int] = 0, data: np.ndarray | None = None, variable: bool = False) -> int:
        fb = self.fb
        t = fb.TensorT()
        t.name, t.shape, t.type, t.isVariable = name.encode(), list(shape), _TYPES[dtype], variable
        if scale is not None:
            q = fb.QuantizationParametersT()
            q.scale = list(np.atleast_1d(np.asarray(scale, np.float32)).tolist())
            q.zeroPoint = list(np.atleast_1d(np.asarray(zero_point, np.int64)).tolist())
            t.quantization = q
        t.buffer = 0
        if data is not None:
            b = fb.BufferT()
            b.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8).tolist()
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        self.tensors.append(t)
        return len(self.tensors) - 1

    def op(self, name: str, inputs: list[int], outputs: list[int], options: Any, options_type: str) -> None:
        fb = self.fb
        code = getattr(fb.BuiltinOperator, name)
        if code not in self.codes:
            self.codes.append(code)
        o = fb.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = self.codes.index(code), inputs, outputs
        o.builtinOptionsType = getattr(fb.BuiltinOptions, options_type)
        o.builtinOptions = options
        self.ops.append(o)

    def custom_op(self, custom_code: str, inputs: list[int], outputs: list[int], options: bytes) -> None:
        """A custom op (builtin code CUSTOM) with its flexbuffer options."""
        if custom_code not in self.codes:
            self.codes.append(custom_code)
        o = self.fb.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = self.codes.index(custom_code), inputs, outputs
        o.customOptions = list(options)
        o.customOptionsFormat = self.fb.CustomOptionsFormat.FLEXBUFFERS
        self.ops.append(o)

    def finish(self, inputs: list[int], outputs: list[int]) -> bytes:
        import flatbuffers

        fb = self.fb
        sg = fb.SubGraphT()
        sg.tensors, sg.operators, sg.inputs, sg.outputs = self.tensors, self.ops, inputs, outputs
        sg.name = b"main"
        m = fb.ModelT()
        m.version, m.subgraphs, m.buffers = 3, [sg], self.buffers
        m.description = b"tfcompress corpus (hand-written flatbuffer)"
        codes = []
        for c in self.codes:
            oc = fb.OperatorCodeT()
            if isinstance(c, str):
                c, oc.customCode = fb.BuiltinOperator.CUSTOM, c.encode()
            oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = c, min(c, 127), 1
            codes.append(oc)
        m.operatorCodes = codes
        b = flatbuffers.Builder(4096)
        b.Finish(m.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())
