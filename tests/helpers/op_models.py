"""One-op (and several-op) .tflite models written straight into a flatbuffer, and the check that
the engine's builds (both kernel sets) match the oracle on them: for op tests that need types,
shapes and quantisations the converter does not produce."""

from __future__ import annotations

import numpy as np

from tests.corpus.families.handmade import FlatModel
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.host import HostModel
from tfcompress.tflm import make_oracle

#: builtin op -> its options table in the schema (None: no options)
OPTIONS = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions",
           "SQUARED_DIFFERENCE": "SquaredDifferenceOptions", "MAXIMUM": "MaximumMinimumOptions",
           "MINIMUM": "MaximumMinimumOptions", "EQUAL": "EqualOptions", "NOT_EQUAL": "NotEqualOptions",
           "LESS": "LessOptions", "LESS_EQUAL": "LessEqualOptions", "GREATER": "GreaterOptions",
           "GREATER_EQUAL": "GreaterEqualOptions", "LOGICAL_AND": "LogicalAndOptions",
           "LOGICAL_OR": "LogicalOrOptions", "LOGICAL_NOT": "LogicalNotOptions", "SELECT": "SelectOptions",
           "SELECT_V2": "SelectV2Options", "ADD_N": "AddNOptions", "PRELU": None,
           "FLOOR_DIV": "FloorDivOptions", "FLOOR_MOD": "FloorModOptions"}
NP = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "float32": np.float32, "bool": np.bool_,
      "uint8": np.uint8}


def random_values(dtype: str, shape, rng: np.random.Generator, value_range=None) -> np.ndarray:
    """Random values of ``dtype`` (integers over the type's range, int32 within +-1000), in
    ``value_range`` when given, or ``value_range`` itself when it is an array (fixed values)."""
    if isinstance(value_range, np.ndarray):
        return value_range.reshape(shape).astype(NP[dtype])
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype == "float32":
        lo, hi = value_range or (-2.0, 2.0)
        x = rng.uniform(lo, hi, size=shape).astype(np.float32)
        x.reshape(-1)[::5] = np.round(x.reshape(-1)[::5])  # some ties for comparisons
        return x
    info = np.iinfo(NP[dtype])
    lo, hi = value_range or ((info.min, info.max) if info.bits <= 16 else (-1000, 1000))
    return rng.integers(int(lo), int(hi) + 1, size=shape, dtype=np.int64).astype(NP[dtype])


class Net:
    """A model of independent ops (each output is a model output), written as a flatbuffer."""

    def __init__(self) -> None:
        self.m = FlatModel()
        self.inputs: list[int] = []
        self.outputs: list[int] = []
        self.ranges: list[tuple[float, float] | None] = []

    def _t(self, shape, dtype: str, q, data=None) -> int:
        scale, zp = q if q is not None else (None, 0)
        return self.m.tensor(f"t{len(self.m.tensors)}", list(shape), dtype, scale=scale, zero_point=zp, data=data)

    def input(self, shape, dtype: str, q=None, value_range: tuple[float, float] | None = None,
              values: np.ndarray | None = None) -> int:
        """A model input: random values (in ``value_range``), or always ``values``."""
        t = self._t(shape, dtype, q)
        self.inputs.append(t)
        self.ranges.append(values if values is not None else value_range)
        return t

    def const(self, data: np.ndarray, dtype: str, q=None) -> int:
        return self._t(data.shape, dtype, q, np.ascontiguousarray(data, NP[dtype]))

    def operand(self, shape, dtype: str, q, rng: np.random.Generator, const: bool, value_range=None) -> int:
        """A model input, or a random constant (always for a scalar: the oracle wrapper passes
        model inputs as arrays of rank >= 1)."""
        if const or not shape:
            return self.const(random_values(dtype, shape, rng, value_range), dtype, q)
        return self.input(shape, dtype, q, value_range)

    def op(self, name: str, inputs: list[int], shape, dtype: str, q=None, act: int = 0) -> int:
        y = self._t(shape, dtype, q)
        otype = OPTIONS[name]
        opts = getattr(self.m.fb, otype + "T")() if otype else None
        if act:
            opts.fusedActivationFunction = act
        self.m.op(name, inputs, [y], opts, otype or "NONE")
        self.outputs.append(y)
        return y

    def integer_anchor(self) -> None:
        """One int8 op besides float ones (the engine refuses models that compute only in float)."""
        a = self.input((4,), "int8", (0.1, 0))
        self.op("MAXIMUM", [a, a], (4,), "int8", (0.1, 0))

    def bytes(self) -> bytes:
        return self.m.finish(self.inputs, self.outputs)


def check(net: Net, samples: int = 4, seed: int = 0, oracle: str | None = None) -> None:
    """Both kernel sets == the oracle (``oracle``: its expected name) on every output for
    ``samples`` random input sets."""
    data = net.bytes()
    models = [compile_tflite(data, kernels=k) for k in ("reference", "optimized")]
    rng = np.random.default_rng(seed)
    specs = [(models[0].graph.t(i).dtype, tuple(net.m.tensors[i].shape)) for i in net.inputs]
    xs = [[random_values(dt, shape, rng, r) for (dt, shape), r in zip(specs, net.ranges, strict=True)]
          for _ in range(samples)]
    ref = make_oracle(data, probe=xs[0])
    if oracle is not None:
        assert ref.name == oracle
    want = [ref.invoke(x) for x in xs]
    for model in models:
        host = HostModel(model)
        for x, w in zip(xs, want, strict=True):
            for k, (a, b) in enumerate(zip(host.invoke(x), w, strict=True)):
                b = np.asarray(b).reshape(a.shape)
                same = (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b
                assert same.all(), (f"{model.kernels}: output {k} ({model.outputs[k].name}) differs from "
                                    f"{ref.name} in {int((~same).sum())} of {a.size} elements")
