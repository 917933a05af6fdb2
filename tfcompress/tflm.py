"""The oracles (one wrapper for every package): TFLite Micro's host interpreter (tflite-micro package) and, where TFLM cannot run
a model, TFLite's reference kernels (``OpResolverType.BUILTIN_REF``); TFLM's arena size.

Both wrappers have the same interface: ``invoke([x0, x1, ...]) -> [y0, y1, ...]``, ``run(x)``
(single input, output 0), ``reset()`` (state back to its initial value) and ``name``. Output rows
an interpreter leaves undefined (TFLite_Detection_PostProcess past its detections) come back as
zero, the value the engine writes there (``engine/ops/detection.py``).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from tfcompress.console import OUTPUT_LOCK
from tfcompress.errors import TfcError


class OracleError(TfcError):
    """The reference interpreter cannot load, prepare or run the model."""


@contextlib.contextmanager
def captured_fds() -> Iterator[list[str]]:
    """Capture C-level stdout and stderr (TFLM prints through them) into the yielded list.

    The descriptors are the process's: the block holds the console's output lock, so parallel
    jobs neither lose their log lines into it nor capture each other's (one capture at a time)."""
    out: list[str] = []
    with OUTPUT_LOCK, tempfile.TemporaryFile(mode="w+b") as tmp:
        sys.stdout.flush()
        sys.stderr.flush()
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


#: TFLM log fragment -> plain reason a model cannot be run.
_REASONS = {
    "Hybrid models are not supported": "dynamic-range (hybrid) model: TFLM has no hybrid kernels "
    "(float activations with int8 weights)",
    "dequantize_common": "float16 weights: TFLM cannot DEQUANTIZE float16 tensors",
    "Didn't find op for builtin opcode": "uses an op TFLM does not implement",
}


def explain(log_text: str) -> str:
    """A plain-language reason for a TFLM failure from what it printed."""
    for key, reason in _REASONS.items():
        if key in log_text:
            line = next((ln.strip() for ln in log_text.splitlines() if key in ln), "")
            return f"{reason} ({line})" if line and line != key else reason
    lines = [ln.strip() for ln in log_text.strip().splitlines() if ln.strip()]
    return "; ".join(lines[:2]) if lines else "TFLM failed to allocate tensors"


def _libc() -> Any:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") else None
    except OSError:  # not glibc
        return None


@contextlib.contextmanager
def zeroed_allocations() -> Iterator[None]:
    """Heap memory handed out inside the block starts zeroed (glibc's M_PERTURB). TFLM's arena is
    allocated when the interpreter is made: zeroed, it starts as a device's static arena in .bss
    does, so a kernel that reads persistent data its Prepare never wrote (int16 GREATER's rescaling
    parameters) gives the same result in every process instead of what an earlier interpreter left
    in recycled heap memory."""
    libc = _libc()
    if libc is None:
        yield
        return
    libc.mallopt(-6, 0xFF)  # M_PERTURB: allocations filled with 0xFF ^ 0xFF = 0
    try:
        yield
    finally:
        libc.mallopt(-6, 0)


def _runtime() -> Any:
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as exc:  # pragma: no cover
        raise TfcError("tflite-micro is not installed", "pip install tflite-micro") from exc
    return runtime


class TflmModel:
    """A TFLM host interpreter for one model (state persists across invocations until reset)."""

    name = "tflm"

    def __init__(self, model_bytes: bytes, arena_size: int | None = None, preserve_all: bool = False) -> None:
        rt = _runtime()
        size = arena_size or max(len(model_bytes) * 10, 1 << 20)
        config = rt.InterpreterConfig.kPreserveAllTensors if preserve_all else rt.InterpreterConfig.kAllocationRecording
        with captured_fds() as log, zeroed_allocations():
            try:
                self.interp = rt.Interpreter.from_bytes(bytes(model_bytes), arena_size=size,
                                                        intrepreter_config=config)
                err: Exception | None = None
            except (RuntimeError, ValueError) as exc:
                err = exc
        if err is not None:
            raise OracleError(f"TFLite Micro cannot load the model: {explain(log[0] or str(err))}",
                              "check the model runs in TFLite Micro") from None
        self.n_inputs, self.n_outputs = _io_counts(model_bytes)
        self._unwritten = _unwritten_specs(model_bytes)

    def invoke(self, inputs: list[np.ndarray] | tuple[np.ndarray, ...]) -> list[np.ndarray]:
        """One inference; returns every output."""
        with captured_fds() as log:
            try:
                for i, x in enumerate(inputs):
                    self.interp.set_input(np.ascontiguousarray(x), i)
                self.interp.invoke()
                err: Exception | None = None
            except (RuntimeError, ValueError) as exc:
                err = exc
        if err is not None:
            raise OracleError(f"TFLite Micro cannot run the model: {explain(log[0] or str(err))}",
                              "check the model runs in TFLite Micro")
        outs = [np.array(self.interp.get_output(i)) for i in range(self.n_outputs)]
        return _blank_unwritten(self._unwritten, outs)

    def run(self, x: np.ndarray) -> np.ndarray:
        """One inference of a single-input model; returns output 0."""
        return self.invoke([x])[0]

    def reset(self) -> None:
        """Variable tensors and resource variables back to their initial values."""
        self.interp.reset()

    def tensor(self, index: int, subgraph: int = 0) -> np.ndarray:
        """Tensor ``index`` after the last invoke (needs ``preserve_all``)."""
        got = self.interp.GetTensor(index, subgraph)
        if isinstance(got, dict):
            return np.asarray(got["tensor_data"]).reshape(tuple(int(d) for d in got["shape"]))
        return np.array(got)

    def output_details(self, index: int) -> dict[str, Any]:
        return self.interp.get_output_details(index)

    def input_details(self, index: int) -> dict[str, Any]:
        return self.interp.get_input_details(index)


def _unwritten_specs(model_bytes: bytes) -> list[dict[str, Any]]:
    from tfcompress.engine.ops.detection import unwritten_specs

    return unwritten_specs(bytes(model_bytes))


def _blank_unwritten(specs: list[dict[str, Any]], outputs: list[np.ndarray]) -> list[np.ndarray]:
    """Output rows the interpreter leaves undefined (TFLite_Detection_PostProcess past its
    detections: whatever the arena held) set to zero, the value the engine writes there."""
    if not specs:
        return outputs
    from tfcompress.engine.ops.detection import blank_unwritten

    return blank_unwritten(specs, outputs)


def undefined_rows_blanker(model_bytes: bytes) -> Any:
    """A function ``outputs -> outputs`` that zeroes what TFLM leaves undefined in a model's outputs
    (TFLite_Detection_PostProcess rows past its detections), for outputs of TFLM running on a
    device (the host oracles above apply it themselves); the identity for other models."""
    specs = _unwritten_specs(model_bytes)
    return lambda outputs: _blank_unwritten(specs, list(outputs))


def _io_counts(model_bytes: bytes) -> tuple[int, int]:
    """Number of inputs and outputs of the model's main subgraph (read from the flatbuffer)."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    sg = schema.Model.GetRootAsModel(bytes(model_bytes), 0).Subgraphs(0)
    return sg.InputsLength(), sg.OutputsLength()


class TfliteRefModel:
    """TFLite's interpreter with its reference kernels: the oracle where TFLM has no kernel."""

    name = "tflite-reference"

    def __init__(self, model_bytes: bytes) -> None:
        from tfcompress.tfenv import tf

        lite = tf().lite
        with captured_fds() as log:
            try:
                self.interp = lite.Interpreter(
                    model_content=bytes(model_bytes),
                    experimental_op_resolver_type=lite.experimental.OpResolverType.BUILTIN_REF,
                    experimental_preserve_all_tensors=True)
                self.interp.allocate_tensors()
                err: Exception | None = None
            except (RuntimeError, ValueError) as exc:
                err = exc
        if err is not None:
            raise OracleError(f"TFLite's reference interpreter cannot load the model: {err} {log[0][:300]}",
                              "check the model runs in TensorFlow Lite")
        self._in = [d["index"] for d in self.interp.get_input_details()]
        self._out = [d["index"] for d in self.interp.get_output_details()]
        self._unwritten = _unwritten_specs(model_bytes)

    def invoke(self, inputs: list[np.ndarray] | tuple[np.ndarray, ...]) -> list[np.ndarray]:
        try:
            for i, x in zip(self._in, inputs, strict=True):
                self.interp.set_tensor(i, np.ascontiguousarray(x))
            self.interp.invoke()
        except (RuntimeError, ValueError) as exc:
            raise OracleError(f"TFLite's reference interpreter cannot run the model: {exc}",
                              "check the model runs in TensorFlow Lite") from None
        return _blank_unwritten(self._unwritten, [np.array(self.interp.get_tensor(i)) for i in self._out])

    def run(self, x: np.ndarray) -> np.ndarray:
        return self.invoke([x])[0]

    def reset(self) -> None:
        self.interp.reset_all_variables()

    def tensor(self, index: int, subgraph: int = 0) -> np.ndarray:
        return np.array(self.interp.get_tensor(index, subgraph))


def make_oracle(model_bytes: bytes, probe: list[np.ndarray] | None = None) -> TflmModel | TfliteRefModel:
    """A fresh TFLM host interpreter, or TFLite's reference kernels when TFLM cannot load (or, given
    a ``probe`` input list, run) the model. The probe runs on a throwaway instance, so the returned
    one starts from the model's initial state. Raises OracleError when neither can."""
    errors: list[OracleError] = []
    for cls in (TflmModel, TfliteRefModel):
        try:
            if probe is not None:
                cls(model_bytes).invoke(probe)
            return cls(model_bytes)
        except OracleError as err:
            errors.append(err)
    raise OracleError("; ".join(e.what for e in errors), errors[0].fix)


def tflm_arena_bytes(model_bytes: bytes) -> int:
    """Total arena bytes TFLM's recording allocator reports for the model (what TFLM needs)."""
    return tflm_arena_breakdown(model_bytes)["total"]


def tflm_arena_breakdown(model_bytes: bytes) -> dict[str, int]:
    """TFLM's recording allocator figures: {'total', 'head', 'tail'} in bytes (head = planned
    activations, tail = persistent interpreter data)."""
    model = TflmModel(model_bytes)
    with captured_fds() as log:
        model.interp.print_allocations()
    out = {}
    for key in ("total", "head", "tail"):
        m = re.search(rf"Arena allocation {key} (\d+) bytes", log[0])
        if m:
            out[key] = int(m.group(1))
    if "total" not in out:
        raise TfcError("could not read TFLM's arena usage", "check the tflite-micro installation")
    return out
