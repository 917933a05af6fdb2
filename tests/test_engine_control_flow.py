"""Control flow (IF, WHILE): subgraphs flattened into the main graph and compiled inline, bit-exact
with TFLite Micro. Models are hand-written flatbuffers (several subgraphs) so the ops inside are
integer ones the engine has."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.engine.schema import schema
from tfcompress.engine.validate import validate_model
from tfcompress.tflm import TflmModel

_TYPES = {"int8": 9, "bool": 6, "int32": 2}


class _Model:
    """A model with several subgraphs, written with the schema's object API."""

    def __init__(self) -> None:
        self.fb = schema()
        self.buffers: list[Any] = [self.fb.BufferT()]
        self.codes: list[int] = []
        self.subgraphs: list[Any] = []

    def subgraph(self) -> dict[str, Any]:
        sg: dict[str, Any] = dict(tensors=[], ops=[])
        self.subgraphs.append(sg)
        return sg

    def tensor(self, sg: dict, name: str, shape: list[int], dtype: str, scale: float | None = None,
               zp: int = 0, data: np.ndarray | None = None) -> int:
        fb = self.fb
        t = fb.TensorT()
        t.name, t.shape, t.type, t.buffer = name.encode(), shape, _TYPES[dtype], 0
        if scale is not None:
            q = fb.QuantizationParametersT()
            q.scale, q.zeroPoint = [scale], [zp]
            t.quantization = q
        if data is not None:
            b = fb.BufferT()
            b.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8).tolist()
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        sg["tensors"].append(t)
        return len(sg["tensors"]) - 1

    def op(self, sg: dict, name: str, inputs: list[int], outputs: list[int], options: Any = None,
           options_type: str | None = None) -> None:
        fb = self.fb
        code = getattr(fb.BuiltinOperator, name)
        if code not in self.codes:
            self.codes.append(code)
        o = fb.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = self.codes.index(code), inputs, outputs
        if options is not None:
            o.builtinOptionsType = getattr(fb.BuiltinOptions, options_type)
            o.builtinOptions = options
        sg["ops"].append(o)

    def finish(self, io: list[tuple[list[int], list[int]]]) -> bytes:
        import flatbuffers

        fb = self.fb
        m = fb.ModelT()
        m.version, m.buffers = 3, self.buffers
        m.subgraphs = []
        for sg, (ins, outs) in zip(self.subgraphs, io, strict=True):
            s = fb.SubGraphT()
            s.tensors, s.operators, s.inputs, s.outputs = sg["tensors"], sg["ops"], ins, outs
            m.subgraphs.append(s)
        codes = []
        for c in self.codes:
            oc = fb.OperatorCodeT()
            oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = c, min(c, 127), 1
            codes.append(oc)
        m.operatorCodes = codes
        b = flatbuffers.Builder(4096)
        b.Finish(m.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())


def _if_model() -> bytes:
    """y = IF(c, x): then LOGISTIC(x), else TANH(x); x int8 [1, 16], c bool [1]."""
    m = _Model()
    main, then, other = m.subgraph(), m.subgraph(), m.subgraph()
    x = m.tensor(main, "x", [1, 16], "int8", 0.05, 3)
    c = m.tensor(main, "c", [1], "bool")
    y = m.tensor(main, "y", [1, 16], "int8", 1 / 256, -128)
    opts = m.fb.IfOptionsT()
    opts.thenSubgraphIndex, opts.elseSubgraphIndex = 1, 2
    m.op(main, "IF", [c, x], [y], opts, "IfOptions")
    for sg, op, scale, zp in ((then, "LOGISTIC", 1 / 256, -128), (other, "TANH", 1 / 128, 0)):
        a = m.tensor(sg, "a", [1, 16], "int8", 0.05, 3)
        b = m.tensor(sg, "b", [1, 16], "int8", scale, zp)
        m.op(sg, op, [a], [b])
    return m.finish([([x, c], [y]), ([0], [1]), ([0], [1])])


def test_if_runs_the_branch_the_condition_picks() -> None:
    data = _if_model()
    model = compile_tflite(data)
    assert [lo.kernel for lo in model.lowered] == ["if"]
    assert [lo.kernel for lo in model.lowered[0].bodies["then"]] == ["tfc_lut_s8"]
    ours, ref = HostModel(model), TflmModel(data)
    rng = np.random.default_rng(0)
    outs = {}
    for flag in (True, False, True):
        x = rng.integers(-128, 128, (1, 16), dtype=np.int8)
        c = np.array([flag])
        a, b = ours.invoke([x, c])[0], ref.invoke([x, c])[0]
        assert np.array_equal(a, b.reshape(a.shape))
        outs[flag] = a
    assert not np.array_equal(outs[True], outs[False])
    for kernels in ("reference", "optimized"):
        assert validate_model(data, samples=6, kernels=kernels).mismatched_elements == 0


def _while_model() -> bytes:
    """(go', y) = WHILE(go, x): cond returns go; the body returns (false, LOGISTIC(x) requantised
    back to x's scale): runs once when go is true, never when false."""
    m = _Model()
    main, cond, body = m.subgraph(), m.subgraph(), m.subgraph()
    go = m.tensor(main, "go", [1], "bool")
    x = m.tensor(main, "x", [1, 12], "int8", 0.05, 3)
    go2 = m.tensor(main, "go_out", [1], "bool")
    y = m.tensor(main, "y", [1, 12], "int8", 0.05, 3)
    opts = m.fb.WhileOptionsT()
    opts.condSubgraphIndex, opts.bodySubgraphIndex = 1, 2
    m.op(main, "WHILE", [go, x], [go2, y], opts, "WhileOptions")
    cg = m.tensor(cond, "g", [1], "bool")
    m.tensor(cond, "v", [1, 12], "int8", 0.05, 3)
    bg = m.tensor(body, "g", [1], "bool")
    bv = m.tensor(body, "v", [1, 12], "int8", 0.05, 3)
    stop = m.tensor(body, "stop", [1], "bool", data=np.array([False]))
    sig = m.tensor(body, "sig", [1, 12], "int8", 1 / 256, -128)
    back = m.tensor(body, "back", [1, 12], "int8", 0.05, 3)
    m.op(body, "LOGISTIC", [bv], [sig])
    m.op(body, "QUANTIZE", [sig], [back])
    del bg
    return m.finish([([go, x], [go2, y]), ([0, 1], [cg]), ([0, 1], [stop, back])])


def test_while_loops_until_the_condition_is_false() -> None:
    data = _while_model()
    model = compile_tflite(data)
    assert [lo.kernel for lo in model.lowered] == ["while"]
    ours, ref = HostModel(model), TflmModel(data)
    rng = np.random.default_rng(1)
    for flag in (True, False, True):
        x = rng.integers(-128, 128, (1, 12), dtype=np.int8)
        got, want = ours.invoke([np.array([flag]), x]), ref.invoke([np.array([flag]), x])
        for a, b in zip(got, want, strict=True):
            assert np.array_equal(a, b.reshape(a.shape))
        assert np.array_equal(got[1], x) != flag  # the body ran exactly when the flag was set
    for kernels in ("reference", "optimized"):
        assert validate_model(data, samples=6, kernels=kernels).mismatched_elements == 0
