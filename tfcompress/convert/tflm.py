"""Run a .tflite model in TFLite Micro's host interpreter and capture what it prints."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np


@contextlib.contextmanager
def captured_fds() -> Iterator[list[str]]:
    """Capture C-level stdout and stderr (TFLM prints through them) into the yielded list."""
    out: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = [os.dup(1), os.dup(2)]
        os.dup2(tmp.fileno(), 1)
        os.dup2(tmp.fileno(), 2)
        try:
            yield out
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            tmp.seek(0)
            out.append(tmp.read().decode(errors="replace"))


#: TFLM log fragment -> plain reason a model cannot be deployed.
_REASONS = {
    "Hybrid models are not supported": "dynamic-range (hybrid) model: TFLM has no hybrid kernels "
    "(float activations with int8 weights)",
    "dequantize_common": "float16 weights: TFLM cannot DEQUANTIZE float16 tensors",
    "Didn't find op for builtin opcode": "uses an op TFLM does not implement",
}


def explain(log_text: str) -> str:
    """A plain-language reason for a TFLM load failure."""
    for key, reason in _REASONS.items():
        if key in log_text:
            return reason
    lines = [ln for ln in log_text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else "TFLM failed to allocate tensors"


class TflmRunner:
    """TFLM host interpreter for one model; quantizes inputs and dequantizes outputs."""

    def __init__(self, data: bytes) -> None:
        from tflite_micro.python.tflite_micro import runtime

        with captured_fds() as log:
            try:
                self.interp = runtime.Interpreter.from_bytes(data, arena_size=max(64 * 1024, 16 * len(data)))
                err = None
            except RuntimeError as e:
                err = e
        if err is not None:
            raise RuntimeError(explain(log[0])) from err
        self.inp = self.interp.get_input_details(0)
        self.out = self.interp.get_output_details(0)

    def arena_bytes(self) -> int:
        """Total arena bytes TFLM's recording allocator used."""
        with captured_fds() as log:
            self.interp.print_allocations()
        m = re.search(r"Arena allocation total (\d+) bytes", log[0])
        return int(m.group(1)) if m else -1

    def run_raw(self, x: np.ndarray) -> np.ndarray:
        """Invoke on one already-typed input (with batch dim); returns the raw output."""
        self.interp.set_input(x, 0)
        self.interp.invoke()
        return np.array(self.interp.get_output(0))

    def predict(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dequantized float outputs, raw outputs) for float inputs ``xs`` (N, ...)."""
        raw = np.stack([self.run_raw(quantize(x[None], self.inp))[0] for x in xs])
        return dequantize(raw, self.out), raw


def _params(details: dict[str, Any]) -> tuple[float, int]:
    q = details.get("quantization_parameters") or {}
    scales = q.get("scales", [])
    if len(scales):
        return float(scales[0]), int(q["zero_points"][0])
    scale, zp = details.get("quantization", (0.0, 0))
    return float(scale), int(zp)


def quantize(x: np.ndarray, details: dict[str, Any]) -> np.ndarray:
    """Quantize float ``x`` per a tensor's dtype and scale/zero-point (no-op for floats)."""
    dtype = np.dtype(details["dtype"])
    if dtype.kind == "f":
        return x.astype(dtype)
    scale, zp = _params(details)
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zp, info.min, info.max).astype(dtype)


def dequantize(q: np.ndarray, details: dict[str, Any]) -> np.ndarray:
    """Dequantize integer outputs (no-op for floats)."""
    if np.dtype(details["dtype"]).kind == "f":
        return q.astype(np.float32)
    scale, zp = _params(details)
    return (q.astype(np.float32) - zp) * scale
