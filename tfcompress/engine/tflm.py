"""The oracle: TFLite Micro's host interpreter (tflite-micro package) and its arena size."""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any

import numpy as np

from tfcompress.errors import TfcError


def _runtime() -> Any:
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as exc:  # pragma: no cover
        raise TfcError("tflite-micro is not installed", "pip install tflite-micro") from exc
    return runtime


class TflmModel:
    """A TFLM interpreter for one model; ``run(x)`` returns output 0."""

    def __init__(self, model_bytes: bytes, arena_size: int | None = None) -> None:
        rt = _runtime()
        size = arena_size or max(len(model_bytes) * 10, 1 << 20)
        self.interp = rt.Interpreter.from_bytes(bytes(model_bytes), arena_size=size)

    def run(self, x: np.ndarray) -> np.ndarray:
        self.interp.set_input(np.ascontiguousarray(x), 0)
        self.interp.invoke()
        return np.array(self.interp.get_output(0))


def _capture_stderr(fn: Any) -> str:
    fd = os.dup(2)
    with tempfile.TemporaryFile() as f:
        os.dup2(f.fileno(), 2)
        try:
            fn()
        finally:
            os.dup2(fd, 2)
            os.close(fd)
        f.seek(0)
        return f.read().decode("utf-8", "replace")


def tflm_arena_bytes(model_bytes: bytes) -> int:
    """Total arena bytes TFLM's recording allocator reports for the model (what TFLM needs)."""
    return tflm_arena_breakdown(model_bytes)["total"]


def tflm_arena_breakdown(model_bytes: bytes) -> dict[str, int]:
    """TFLM's recording allocator figures: {'total', 'head', 'tail'} in bytes (head = planned
    activations, tail = persistent interpreter data)."""
    model = TflmModel(model_bytes)
    text = _capture_stderr(model.interp.print_allocations)
    out = {}
    for key in ("total", "head", "tail"):
        m = re.search(rf"Arena allocation {key} (\d+) bytes", text)
        if m:
            out[key] = int(m.group(1))
    if "total" not in out:
        raise TfcError("could not read TFLM's arena usage", "check the tflite-micro installation")
    return out
