"""The oracles: TFLM's host interpreter (the reference) and TFLite's reference kernels (the second
opinion where TFLM has no kernel), with random inputs per input tensor and classified failures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfcompress.convert.tflm import captured_fds

from .tflite_info import float_input_range, model_info

_NP = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
       "float32": np.float32, "bool": np.bool_}


@dataclass
class RunResult:
    """``status``: "ok", or the stage that failed: "load" (op not found / bad model), "prepare",
    "invoke"; ``message`` is the interpreter's own first relevant line."""

    status: str
    message: str = ""
    outputs: list[list[np.ndarray]] = field(default_factory=list)  # per invocation, per output

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def reason(self) -> str:
        return "" if self.ok else f"{self.status}: {self.message}"


def random_inputs(data: bytes, *, seed: int = 0, invocations: int = 1,
                  ranges: tuple[Any, ...] | list[Any] | None = None) -> list[list[np.ndarray]]:
    """Random inputs for every model input, ``invocations`` times: int8/uint8/int16 over the full
    range, float over what the consuming QUANTIZE represents (+10%), int32 in [0, 4), bool 50/50;
    ``ranges[i] = (low, high)`` overrides input i: real values for float and quantised inputs (the
    quantised ones draw the integers that represent them), else integers with ``high`` exclusive."""
    info = model_info(data)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(invocations):
        row = []
        for i, t in enumerate(info["inputs"]):
            dtype = _NP.get(t["dtype"])
            shape = tuple(t["shape"])
            r = ranges[i] if ranges is not None and i < len(ranges) else None
            if dtype is None:
                raise ValueError(f"input {t['name']} has unsupported type {t['dtype']}")
            if dtype is np.bool_:
                row.append(rng.integers(0, 2, size=shape).astype(np.bool_))
            elif np.issubdtype(dtype, np.floating):
                lo, hi = r if r is not None else (float_input_range(data, i) or (-1.0, 1.0))
                margin = 0.1 * (hi - lo) if r is None else 0.0
                row.append(rng.uniform(lo - margin, hi + margin, size=shape).astype(dtype))
            else:
                ii = np.iinfo(dtype)
                if r is not None and t.get("scale"):  # a quantised input: the range is in real values
                    lo = max(ii.min, int(np.ceil(r[0] / t["scale"])) + int(t.get("zero_point", 0)))
                    hi = min(ii.max, int(np.floor(r[1] / t["scale"])) + int(t.get("zero_point", 0))) + 1
                else:
                    lo, hi = r if r is not None else ((ii.min, ii.max + 1) if dtype in (np.int8, np.uint8, np.int16)
                                                      else (0, 4))
                row.append(rng.integers(int(lo), int(hi), size=shape, dtype=np.int64).astype(dtype))
        out.append(row)
    return out


def _first_line(text: str, *patterns: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for p in patterns:
        for ln in lines:
            if re.search(p, ln):
                return ln
    return lines[0] if lines else ""


_LOAD_PATTERNS = (r"Didn't find op", r"Failed to get registration", r"not supported", r"[Uu]nsupported")


def _classify_alloc(log: str, err: Exception) -> RunResult:
    if re.search(r"failed to prepare|Failed to prepare", log) and not re.search(r"Didn't find op", log):
        detail = _first_line(log, r"Type .* not", r"not supported", r"Only", r"!=|==|<|>", r"prepare")
        return RunResult("prepare", detail or str(err))
    return RunResult("load", _first_line(log, *_LOAD_PATTERNS) or str(err).splitlines()[0])


def run_tflm(data: bytes, inputs: list[list[np.ndarray]], *, arena_size: int | None = None) -> RunResult:
    """Run the invocation sequence ``inputs`` in TFLM's host interpreter (state kept between
    invocations; the interpreter is fresh, so the sequence starts from the initial state)."""
    from tflite_micro.python.tflite_micro import runtime

    size = arena_size or max(1 << 20, 4 * len(data))  # grown below when TFLM says it is short
    with captured_fds() as log:
        try:
            interp = runtime.Interpreter.from_bytes(bytes(data), arena_size=size)
            err = None
        except Exception as e:  # the runtime raises RuntimeError/ValueError
            err = e
    if err is not None:
        res = _classify_alloc(log[0], err)
        short = re.search(r"Failed to (resize buffer|allocate).*missing: (\d+)", log[0])
        if short and size < (1 << 31):
            return run_tflm(data, inputs, arena_size=2 * size + 2 * int(short.group(2)))
        return res
    n_out = len(model_info(data)["outputs"])
    outs: list[list[np.ndarray]] = []
    for row in inputs:
        with captured_fds() as log:
            try:
                for i, x in enumerate(row):
                    interp.set_input(np.ascontiguousarray(x), i)
                interp.invoke()
                err = None
            except Exception as e:
                err = e
        if err is not None:
            return RunResult("invoke", _first_line(log[0], r"failed|Failed|not") or str(err).splitlines()[0])
        outs.append([np.array(interp.get_output(k)) for k in range(n_out)])
    return RunResult("ok", "", outs)


def run_tflite_ref(data: bytes, inputs: list[list[np.ndarray]]) -> RunResult:
    """Run the sequence with TFLite's reference kernels (``OpResolverType.BUILTIN_REF``)."""
    from tfcompress.tfenv import tf

    t = tf()
    with captured_fds() as log:
        try:
            interp = t.lite.Interpreter(
                model_content=bytes(data),
                experimental_op_resolver_type=t.lite.experimental.OpResolverType.BUILTIN_REF)
            interp.allocate_tensors()
            err = None
        except Exception as e:
            err = e
    if err is not None:
        return RunResult("load", _first_line(str(err) + "\n" + log[0], r"Didn't find|not supported|failed"))
    in_ids = [d["index"] for d in interp.get_input_details()]  # subgraph input order
    outs_d = interp.get_output_details()
    res: list[list[np.ndarray]] = []
    for row in inputs:
        try:
            for tid, x in zip(in_ids, row, strict=True):
                interp.set_tensor(tid, x)
            with captured_fds() as log:
                interp.invoke()
        except Exception as e:
            return RunResult("invoke", str(e).splitlines()[0])
        res.append([np.array(interp.get_tensor(d["index"])) for d in outs_d])
    return RunResult("ok", "", res)


def max_abs_diff(a: RunResult, b: RunResult) -> int | float | None:
    """Largest element difference between two successful runs (None when either failed)."""
    if not (a.ok and b.ok):
        return None
    worst: float = 0
    for ra, rb in zip(a.outputs, b.outputs, strict=True):
        for xa, xb in zip(ra, rb, strict=True):
            if xa.dtype == np.bool_:
                xa, xb = xa.astype(np.int64), xb.astype(np.int64)
            d = np.abs(xa.astype(np.float64) - np.asarray(xb, np.float64).reshape(xa.shape))
            worst = max(worst, float(d.max(initial=0)))
    return int(worst) if float(worst).is_integer() else worst
