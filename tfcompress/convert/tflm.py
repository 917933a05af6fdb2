"""Host evaluation in TFLite Micro: float data in, quantised through the model's input, outputs
dequantised (the interpreter itself is :class:`tfcompress.tflm.TflmModel`)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from tfcompress.tflm import OracleError, TflmModel, captured_fds


class TflmRunner:
    """TFLM host interpreter for one model; quantizes inputs and dequantizes outputs."""

    def __init__(self, data: bytes) -> None:
        try:
            self.model = TflmModel(data, arena_size=max(64 * 1024, 16 * len(data)))
        except OracleError as err:
            raise RuntimeError(err.what.split(": ", 1)[-1]) from err
        self.interp = self.model.interp
        self.inp = self.interp.get_input_details(0)
        self.out = self.interp.get_output_details(0)
        self.outs = [self.interp.get_output_details(i) for i in range(self.model.n_outputs)]

    def arena_bytes(self) -> int:
        """Total arena bytes TFLM's recording allocator used."""
        with captured_fds() as log:
            self.interp.print_allocations()
        m = re.search(r"Arena allocation total (\d+) bytes", log[0])
        return int(m.group(1)) if m else -1

    def run_raw(self, x: np.ndarray) -> np.ndarray:
        """Invoke on one already-typed input (with batch dim); returns the raw output 0."""
        return self.model.run(x)

    def predict(self, xs: np.ndarray) -> tuple[Any, Any]:
        """(dequantized float outputs, raw outputs) for float inputs ``xs`` (N, ...); lists with one
        array per output for a model with several outputs."""
        if len(self.outs) == 1:
            raw = np.stack([self.run_raw(quantize(x[None], self.inp))[0] for x in xs])
            return dequantize(raw, self.out), raw
        per = [self.model.invoke([quantize(x[None], self.inp)]) for x in xs]
        raws = [np.stack([p[i][0] for p in per]) for i in range(len(self.outs))]
        return [dequantize(r, d) for r, d in zip(raws, self.outs, strict=True)], raws


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
