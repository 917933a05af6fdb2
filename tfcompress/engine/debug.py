"""Layer-by-layer debugging on the host: the first op whose output differs from the oracle.

A debug build of the generated C (:class:`DebugHostModel`) calls a hook after every top-level op
(``TFC_LAYER_END``, see ``templates/engine/tfc_debug.h``); the hook hands the arena to Python, which
copies that op's output tensors right away, before a later op reuses their bytes (the planner
places tensors in place and overlaps streamed buffers). TFLM's host interpreter keeps every
tensor (``preserve_all``), so each engine op's output is compared with the same TFLite tensor.

The engine's boundaries are what is compared: one lowered op per step, whose outputs are TFLite
tensors (a fused CONV_2D+ADD is one step: its output is the ADD's; ops folded at compile time are
not steps; a control-flow op is one step). Outputs living in the state area are not read.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfcompress.engine.compiler import CompiledModel
from tfcompress.engine.host import HostModel
from tfcompress.engine.ir import DTYPES
from tfcompress.errors import TfcError
from tfcompress.resources import templates_root

_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p)


def debug_sources() -> dict[str, str]:
    """The hook's C files (name -> text) added to a debug build."""
    base = templates_root() / "engine"
    return {name: (base / name).read_text(encoding="utf-8") for name in ("tfc_debug.h", "tfc_debug.c")}


def op_label(lo: Any) -> str:
    """An op as ``inspect`` names it (fused ops joined with '+')."""
    return "+".join([lo.op.name] + [f.name for f in lo.fused])


#: dtype of a tensor -> the C element type a fault is injected with
_CTYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "uint8": "uint8_t", "float32": "float",
           "int64": "int64_t", "bool": "uint8_t"}


def output_reads(model: CompiledModel) -> list[list[tuple[int, int, np.dtype, tuple[int, ...]]]]:
    """Per step (position in ``model.lowered``): (tensor, arena offset, dtype, shape) of each output
    the arena holds right after the op (outputs in the state area are not read)."""
    layout = model.layout
    out = []
    for lo in model.lowered:
        reads = []
        for t in lo.outputs:
            tensor = model.graph.t(t)
            if t in model.plan.offsets and not (layout and t in layout.state):
                reads.append((t, model.plan.offsets[t], np.dtype(DTYPES[tensor.dtype][0]), tuple(tensor.shape)))
        out.append(reads)
    return out


def inject_target(model: CompiledModel, position: int) -> tuple[int, str]:
    """(arena offset, C element type) of element 0 of op ``position``'s first output, where a test
    fault adds one LSB."""
    if not 0 <= position < len(model.lowered):
        raise TfcError(f"no op at position {position} (the model has {len(model.lowered)} ops)",
                       "pick a position from `tfcompress inspect`")
    lo = model.lowered[position]
    t = lo.outputs[0] if lo.outputs else -1
    if t not in model.plan.offsets or lo.alias:
        raise TfcError(f"op {position} ({op_label(lo)}) has no arena output of its own to corrupt", "pick another op")
    return model.plan.offsets[t], _CTYPES[model.graph.t(t).dtype]


def device_debug_build(model: CompiledModel, inject: int | None = None) -> dict[str, Any]:
    """What the firmware's debug build keeps (project/generate.py renders tfc_debug_dump.c from it):
    one entry per op output (tensor, step, arena offset, bytes, offset of its copy), the bytes of
    all copies (each at an offset rounded up to 8), the test fault
    (``inject``: a step), and the key that tells this build's project apart."""
    entries, at = [], 0
    for step, reads in enumerate(output_reads(model)):
        for t, offset, dtype, shape in reads:
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            entries.append(dict(tensor=t, step=step, arena_offset=offset, bytes=nbytes, dump_offset=at))
            at += (nbytes + 7) // 8 * 8
    fault = None
    if inject is not None:
        offset, ctype = inject_target(model, inject)
        fault = dict(step=inject, offset=offset, ctype=ctype)
    import hashlib
    import json

    # the key names the build and hashes what the generated tfc_debug_dump.c is made from
    digest = hashlib.sha256(json.dumps([entries, at, fault], sort_keys=True).encode()).hexdigest()[:8]
    return dict(entries=entries, dump_bytes=at, inject=fault,
                key="debug" + (f"-inject{inject}" if inject is not None else "") + f"-{digest}")


class DeviceDebugModel:
    """The debug firmware on an emulated board: after each ``invoke``, every op's output read back
    with DEBUG_READ into ``captured`` (as :class:`DebugHostModel`)."""

    def __init__(self, model: CompiledModel, board: str, inject: int | None = None) -> None:
        from tfcompress.boards import load_board

        spec = load_board(board)
        if not spec.emulated:
            raise TfcError(f"layer-by-layer comparison on the device runs on emulated boards; {board} is not one",
                           "use --board host, or an emulated board (mps2-an500, netduinoplus2)")
        from tfcompress.harness.engine_runner import EmulatedRunner

        self.runner = EmulatedRunner(spec, model, debug=device_debug_build(model, inject))
        if not self.runner.info.debug:
            self.runner.close()
            raise TfcError(f"the firmware built in {self.runner.firmware.project.path} is not a debug build",
                           "delete that folder and rerun")
        self._reads = output_reads(model)
        self.captured: dict[int, dict[int, np.ndarray]] = {}

    def invoke(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        outs = self.runner.invoke(inputs)
        self.captured = {}
        for step, reads in enumerate(self._reads):
            got = {}
            for t, _, dtype, shape in reads:
                at, raw = self.runner.client.debug_read(t)
                if at != step:
                    raise TfcError(f"the debug firmware keeps tensor {t} after step {at}, the host expects {step}",
                                   "delete the firmware folder and rerun")
                got[t] = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
            self.captured[step] = got
        return outs

    def close(self) -> None:
        self.runner.close()


class DebugHostModel(HostModel):
    """A :class:`HostModel` built with the per-op hook: after each ``invoke`` the output tensors of
    every op are in ``captured`` (position in ``model.lowered`` -> {tensor index: array}).

    ``inject=(position, +1)``: a fault for tests, element 0 of op ``position``'s first output gets
    +1 in the C code right after the op runs (a compile-time define of the debug build)."""

    def __init__(self, model: CompiledModel, inject: int | None = None) -> None:
        flags = ["-include", "tfc_debug.h", "-DTFC_LAYER_END(i)=tfc_debug_op_end((i), a)"]
        if inject is not None:
            offset, ctype = inject_target(model, inject)
            flags += [f"-DTFC_DEBUG_INJECT_OP={inject}", f"-DTFC_DEBUG_INJECT_OFFSET={offset}",
                      f"-DTFC_DEBUG_INJECT_TYPE={ctype}"]
        super().__init__(model, extra_flags=flags, extra_sources=debug_sources())
        self.captured: dict[int, dict[int, np.ndarray]] = {}
        self._reads = output_reads(model)
        self._cb = _CALLBACK(self._on_op)  # kept referenced while the library may call it
        self.lib.tfc_debug_set_callback.argtypes = [_CALLBACK]
        self.lib.tfc_debug_set_callback.restype = None
        self.lib.tfc_debug_set_callback(self._cb)

    def close(self) -> None:
        pass

    def _on_op(self, position: int, arena: int) -> None:
        got = {}
        for t, offset, dtype, shape in self._reads[position]:
            n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            raw = ctypes.string_at(arena + offset, n)
            got[t] = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        self.captured[position] = got

    def invoke(self, inputs: list[np.ndarray] | tuple[np.ndarray, ...]) -> list[np.ndarray]:
        self.captured = {}
        return super().invoke(inputs)


@dataclass
class OpDiff:
    """How one engine op's outputs compare with the oracle's tensors over all samples."""

    position: int  # step in the generated code (TFC_LAYER_END index)
    index: int  # the op's index in the .tflite
    op: str
    tensor: int
    name: str
    elements: int
    differing: int = 0
    max_abs_diff: float = 0.0
    first_sample: int | None = None  # first sample where it differs

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Localization:
    """The first op whose output differs (None: every compared op agrees) and every op's figures."""

    oracle: str
    samples: int
    first: OpDiff | None
    ops: list[OpDiff] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # ops whose outputs were not compared
    where: str = "host"  # "host" (the debug build on this machine) or the board the debug firmware ran on

    @property
    def ok(self) -> bool:
        return self.first is None

    def as_dict(self) -> dict[str, Any]:
        return dict(oracle=self.oracle, samples=self.samples, ok=self.ok, scope=self.where,
                    first_diverging=self.first.as_dict() if self.first else None,
                    diverging_ops=sum(d.differing > 0 for d in self.ops), compared_ops=len(self.ops),
                    ops=[d.as_dict() for d in self.ops], skipped=self.skipped)

    def summary(self) -> str:
        if self.first is None:
            return f"no op differs from {self.oracle} over {self.samples} samples ({len(self.ops)} op outputs compared)"
        f = self.first
        return (f"first diverging op: step {f.position}, op #{f.index} {f.op} -> tensor {f.tensor} '{f.name}': "
                f"{f.differing} of {f.elements} elements differ (max |diff| {f.max_abs_diff:g}), first in sample "
                f"{f.first_sample}; {sum(d.differing > 0 for d in self.ops)} of {len(self.ops)} op outputs differ")


def localize(model: CompiledModel, xs: list[list[np.ndarray]], *, inject: int | None = None,
             oracle: Any = None, board: str = "host") -> Localization:
    """Run ``xs`` (one list of arrays per sample, in sequence: state carries over) through the debug
    build — on the host, or the debug firmware on an emulated ``board`` — and TFLM's host
    interpreter with every tensor preserved, and name the first op (in the order the generated code
    runs them) whose output differs."""
    from tfcompress.tflm import OracleError, TfliteRefModel, TflmModel

    if oracle is None:
        try:
            oracle = TflmModel(model.model_bytes, preserve_all=True)
            if xs:
                TflmModel(model.model_bytes).invoke(xs[0])  # can TFLM run it at all?
        except OracleError:
            oracle = TfliteRefModel(model.model_bytes)
    ours: Any = DebugHostModel(model, inject=inject) if board == "host" else DeviceDebugModel(model, board, inject)
    try:
        return _compare_ops(model, xs, ours, oracle, board)
    finally:
        ours.close()


def _compare_ops(model: CompiledModel, xs: list[list[np.ndarray]], ours: Any, oracle: Any,
                 board: str) -> Localization:
    from tfcompress.compare import max_abs_diff, same_elements

    diffs: list[OpDiff] = []
    skipped = []
    for k, lo in enumerate(model.lowered):
        read = {t for t, *_ in ours._reads[k]}
        for t in lo.outputs:
            if t in read:
                tensor = model.graph.t(t)
                diffs.append(OpDiff(k, lo.op.index, op_label(lo), t, tensor.name, 0))
            else:
                skipped.append(dict(position=k, index=lo.op.index, op=op_label(lo), tensor=t,
                                    reason="in the state area" if t in (model.layout.state if model.layout else {})
                                    else "not in the arena"))
    from tfcompress.engine.ops.detection import blank_unwritten_tensors, unwritten_specs

    unwritten = unwritten_specs(model.model_bytes, model_outputs=False)
    for s, x in enumerate(xs):
        ours.invoke(x)
        oracle.invoke(x)
        blanked = blank_unwritten_tensors(unwritten, oracle.tensor)  # rows TFLM leaves undefined: 0, as ours
        for d in diffs:
            a = ours.captured.get(d.position, {}).get(d.tensor)
            if a is None:  # the op did not run (cannot happen for top-level steps)
                continue
            b = np.asarray(blanked[d.tensor] if d.tensor in blanked else oracle.tensor(d.tensor))
            if b.size != a.size:
                raise TfcError(f"tensor {d.tensor} '{d.name}' has {a.size} elements in the engine and {b.size} in "
                               f"{oracle.name}", "this is an engine bug; please report it with the model")
            bad = int((~same_elements(a, b.reshape(a.shape))).sum())
            d.elements += a.size
            if bad:
                d.differing += bad
                d.max_abs_diff = max(d.max_abs_diff, max_abs_diff(a, b.reshape(a.shape)))
                if d.first_sample is None:
                    d.first_sample = s
    for d in diffs:
        if not model.graph.t(d.tensor).dtype.startswith("float"):
            d.max_abs_diff = int(d.max_abs_diff)
    first = _first(diffs)
    return Localization(oracle.name, len(xs), first, diffs, skipped, board)


def _first(diffs: list[OpDiff]) -> OpDiff | None:
    """The diverging op that runs first in the earliest sample where anything diverges."""
    bad = [d for d in diffs if d.differing]
    if not bad:
        return None
    return min(bad, key=lambda d: (d.first_sample, d.position))
