"""compile_tflite: .tflite -> lowered ops + arena plan -> CompiledModel (model.c, model.h, kernels)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.engine import kernel_limits, optable
from tfcompress.engine.emit import IO_MAX_DIMS, Layout, render
from tfcompress.engine.fusion import fuse_conv_add
from tfcompress.engine.ir import DTYPES, Graph
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.planner import Plan, plan_arena
from tfcompress.engine.reader import load_bytes, read_graph
from tfcompress.errors import TfcError
from tfcompress.resources import engine_kernels_dir

#: bytes of RAM the generated code uses besides the arena (no runtime state, no scratch)
RUNTIME_STATE_BYTES = 0
SCRATCH_BYTES = 0


@dataclass
class CompiledModel:
    """A model compiled ahead of time to C."""

    graph: Graph
    lowered: list[LoweredOp]
    plan: Plan
    kernels: str
    model_bytes: bytes
    source_name: str
    compress_weights: bool = False
    layout: Layout | None = None

    def __post_init__(self) -> None:
        if self.layout is None:
            self.layout = make_layout(self.graph, self.lowered, self.plan)

    @property
    def scratch_bytes(self) -> int:
        """Peak kernel scratch on the stack (0 for the reference kernels, and when the planner
        placed the scratch in the arena)."""
        if self.kernels == "optimized" and not self.plan.scratch_offsets:
            from tfcompress.engine.kernels_opt import model_scratch_bytes

            return int(model_scratch_bytes(self))
        return SCRATCH_BYTES

    @property
    def state_bytes(self) -> int:
        """Persistent state (variable tensors, resource variables) besides the arena."""
        return self.layout.state_bytes if self.layout else 0

    @property
    def ram_bytes(self) -> int:
        """Peak RAM: arena (activations incl. inputs/outputs) + kernel scratch + persistent state."""
        return self.plan.arena_bytes + self.scratch_bytes + self.state_bytes + RUNTIME_STATE_BYTES

    @property
    def weights_bytes(self) -> int:
        """Constant data in flash: weights, folded biases, multipliers/shifts, constant operands."""
        consts = self.layout.consts.values() if self.layout else ()
        return sum(a.nbytes for lo in self.lowered for a in lo.arrays) + sum(a.nbytes for a in consts)

    @property
    def inputs(self) -> list[Any]:
        """The model's input tensors, in order."""
        return [self.graph.t(i) for i in self.graph.inputs]

    @property
    def outputs(self) -> list[Any]:
        """The model's output tensors, in order."""
        return [self.graph.t(i) for i in self.graph.outputs]

    @property
    def input(self) -> Any:
        """Input 0 (for single-input models)."""
        return self.graph.t(self.graph.inputs[0])

    @property
    def output(self) -> Any:
        """Output 0 (for single-output models)."""
        return self.graph.t(self.graph.outputs[0])

    @property
    def stateful(self) -> bool:
        """Whether outputs depend on earlier runs (variable tensors / resource variables)."""
        return bool(self.layout and (self.layout.state_bytes or self.layout.reset))

    def kernel_sources(self) -> list[str]:
        """C kernel files this model needs (plus the common headers)."""
        return optable.kernel_sources(self.kernels, {lo.kernel for lo in self.lowered} | {"tfc_copy_bytes"})

    def sources(self) -> tuple[str, str]:
        """(model.c, model.h) text."""
        self.layout = make_layout(self.graph, self.lowered, self.plan)
        return render(self.graph, self.lowered, self.layout, self.source_name)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write model.c, model.h and engine/<kernels> (the kernel set's sources and headers, and
        the headers generated from Python constants) into ``out_dir``; returns the paths."""
        out = Path(out_dir)
        (out / "engine").mkdir(parents=True, exist_ok=True)
        model_c, model_h = self.sources()
        paths = [out / "model.c", out / "model.h"]
        paths[0].write_text(model_c, encoding="utf-8")
        paths[1].write_text(model_h, encoding="utf-8")
        src = engine_kernels_dir()
        for name in list(optable.COMMON_HEADERS) + list(optable.KERNEL_HEADERS[self.kernels]) + self.kernel_sources():
            dst = out / "engine" / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / name, dst)
            paths.append(dst)
        return paths + kernel_limits.write_headers(self.kernels, out / "engine")

    def info(self) -> dict[str, Any]:
        """Everything `tfcompress inspect` shows, as a JSON-friendly dict."""
        g, plan = self.graph, self.plan
        ops = []
        for lo in self.lowered:
            ops.append(dict(index=lo.op.index, op="+".join([lo.op.name] + [f.name for f in lo.fused]),
                            kernel=lo.kernel,
                            inputs=[_tinfo(g, t) for t in lo.op.inputs if t >= 0],
                            outputs=[_tinfo(g, t) for t in lo.op.outputs],
                            options=lo.op.options))
        tensors = []
        for t in g.tensors:
            row = dict(index=t.index, name=t.name, shape=list(t.shape), dtype=t.dtype, bytes=t.nbytes,
                       const=t.is_const, **t.quant_dict())
            if t.index in plan.offsets:
                b = plan.buffers[plan.buffer_of[t.index]]
                row.update(offset=plan.offsets[t.index], first_step=b.start, last_step=b.end)
            tensors.append(row)
        return dict(model_hash=g.model_hash, source=self.source_name, kernels=self.kernels,
                    inputs=[_tinfo(g, t) for t in g.inputs], outputs=[_tinfo(g, t) for t in g.outputs],
                    ops=ops, tensors=tensors, ram_bytes=self.ram_bytes, arena_bytes=plan.arena_bytes,
                    greedy_arena_bytes=plan.greedy_bytes, scratch_bytes=self.scratch_bytes,
                    state_bytes=self.state_bytes, stateful=self.stateful,
                    runtime_state_bytes=RUNTIME_STATE_BYTES, weights_bytes=self.weights_bytes,
                    overlaps=len(plan.overlaps),
                    compressed_layers=sum(lo.kernel.endswith(("_w4", "_sp")) for lo in self.lowered))


def _tinfo(g: Graph, index: int) -> dict[str, Any]:
    t = g.t(index)
    return dict(index=index, name=t.name, shape=list(t.shape), dtype=t.dtype, **t.quant_dict())


def unsupported_ops(path_or_bytes: str | Path | bytes) -> list[dict[str, Any]]:
    """Ops of a model the engine cannot compile (for inspect), each with the reason."""
    g = read_graph(path_or_bytes)
    bad = []
    for op in g.ops:
        try:
            optable.op_spec(g, op).lower(g, op)
        except TfcError as err:
            bad.append(dict(index=op.index, op=op.name, error=err.line()))
    return bad


def _check_io(g: Graph) -> None:
    for kind, tensors in (("input", g.inputs), ("output", g.outputs)):
        for k, i in enumerate(tensors):
            t = g.t(i)
            if t.dtype not in DTYPES or not DTYPES[t.dtype][2]:
                allowed = ", ".join(n for n, (_, _, code) in DTYPES.items() if code)
                raise TfcError(f"model {kind} {k} '{t.name}' is {t.dtype}; model inputs and outputs can be "
                               f"{allowed}", "convert with int8 (or uint8 / int16 / float32) inputs and outputs")
            if len(t.shape) > IO_MAX_DIMS:
                raise TfcError(f"model {kind} {k} '{t.name}' has {len(t.shape)} dimensions (max {IO_MAX_DIMS})",
                               "reshape it to fewer dimensions before exporting")


def make_layout(g: Graph, lowered: list[LoweredOp], plan: Plan) -> Layout:
    """Where every tensor the generated code touches lives: the arena (``plan``), flash (constant
    operands read by an op or returned as a model output), or the state area."""
    used = [t for lo in lowered for t in lo.inputs + lo.outputs if t >= 0] + list(g.outputs)
    consts: dict[int, ConstArray] = {}
    for t in dict.fromkeys(used):
        tensor = g.t(t)
        if tensor.is_const:
            consts[t] = ConstArray(f"tensor{t}", np.ascontiguousarray(tensor.data).reshape(-1))
    return Layout(plan, consts=consts)


def _lower(g: Graph, op: Any) -> LoweredOp:
    spec = optable.op_spec(g, op)
    try:
        return spec.lower(g, op)
    except TfcError:
        raise
    except (IndexError, KeyError, ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
        out = g.t(op.outputs[0]).name if op.outputs else "?"
        raise TfcError(f"op {op.name} (#{op.index}, output '{out}') has malformed tensors or options "
                       f"({type(exc).__name__})", "re-export the model; the .tflite looks corrupt") from None


def compile_tflite(path_or_bytes: str | Path | bytes | bytearray, *, kernels: str = "reference",
                   overlap: bool = True, fuse: bool = True, compress_weights: bool = False) -> CompiledModel:
    """Compile a fully-quantised .tflite to C. Raises TfcError for anything unsupported.

    ``overlap`` lets the planner overlap streamed buffers, ``fuse`` fuses CONV_2D+ADD pairs,
    ``compress_weights`` stores layers with <= 16 distinct weights per output channel (clustered
    models) as 4-bit indices + int8 codebooks where that saves flash (see weights4.py)."""
    if kernels not in optable.KERNEL_SOURCES:
        from tfcompress.errors import unknown

        raise unknown("kernel set", kernels, optable.KERNEL_SOURCES)
    data = load_bytes(path_or_bytes)
    source_name = Path(path_or_bytes).name if isinstance(path_or_bytes, (str, Path)) else "<bytes>"
    g = read_graph(data)
    optable.check_float_model(g)
    _check_io(g)
    lowered = [_lower(g, op) for op in g.ops]
    if fuse and optable.can_fuse_conv_add(kernels):
        lowered = fuse_conv_add(g, lowered)
    if compress_weights:
        from tfcompress.engine.weights4 import compress_ops

        lowered = compress_ops(lowered)
    if kernels == "optimized":
        from tfcompress.engine.kernels_opt import specialize

        lowered = specialize(g, lowered)
    plan, bare, in_arena = _plans(g, lowered, overlap)
    if kernels == "optimized":
        from tfcompress.engine.kernels_opt import conv_pair_codes

        lowered, plan = _direct_windows(g, lowered, plan, bare, in_arena, overlap)
        lowered = [conv_pair_codes(lo) for lo in lowered]  # same data sizes: the plan stands
    return CompiledModel(g, lowered, plan, kernels, data, source_name, compress_weights)


def _plans(g: Graph, lowered: list[LoweredOp], overlap: bool) -> tuple[Plan, Plan, Plan | None]:
    """The arena plan (kernel scratch in the arena when that beats arena + scratch on the stack),
    the plan of the tensors alone, and the one with the scratch in the arena (None: no scratch)."""
    bare = plan_arena(g, lowered, use_overlap=overlap)
    stack = max((lo.scratch for lo in lowered), default=0)
    in_arena = plan_arena(g, lowered, use_overlap=overlap, scratch=True) if stack else None
    if in_arena is not None and in_arena.arena_bytes <= bare.arena_bytes + stack:
        return in_arena, bare, in_arena
    return bare, bare, in_arena


def _ram(plan: Plan, lowered: list[LoweredOp]) -> int:
    """Arena + stack scratch of a plan (as CompiledModel.ram_bytes)."""
    return plan.arena_bytes + (0 if plan.scratch_offsets else max((lo.scratch for lo in lowered), default=0))


def _direct_windows(g: Graph, lowered: list[LoweredOp], plan: Plan, bare: Plan, in_arena: Plan | None,
                    overlap: bool) -> tuple[list[LoweredOp], Plan]:
    """Optimised kernels: CONV_2D layers whose im2col scratch lies above the tensors' peak (the
    ``bare`` plan) read their windows straight from the input instead (kernels_opt.conv_direct:
    small scratch, wider weights in flash), when that lowers the peak RAM; switches that do not
    matter are undone."""
    from tfcompress.engine.kernels_opt import conv_direct

    best = _ram(plan, lowered)
    if best <= bare.arena_bytes or in_arena is None:
        return lowered, plan
    cur, switched, placed = list(lowered), set(), in_arena
    for _ in range(len(lowered)):  # switch the layers whose scratch sits above the tensors, re-plan
        new = {k: conv_direct(cur[k]) for k, off in placed.scratch_offsets.items()
               if k not in switched and off + cur[k].scratch > bare.arena_bytes}
        new = {k: lo for k, lo in new.items() if lo is not None}
        if not new and not switched:  # the scratch pushed tensors up instead: try every layer
            new = {k: lo for k, lo in ((k, conv_direct(lo)) for k, lo in enumerate(cur)) if lo is not None}
        if not new:
            break
        for k, lo in new.items():
            cur[k] = lo
        switched |= set(new)
        placed = plan_arena(g, cur, use_overlap=overlap, scratch=True)
    if not switched:
        return lowered, plan
    trial = _plans(g, cur, overlap)[0]
    if _ram(trial, cur) >= best:
        return lowered, plan
    for k in sorted(switched):  # keep only the switches the peak needs
        back = list(cur)
        back[k] = lowered[k]
        p = _plans(g, back, overlap)[0]
        if _ram(p, back) <= _ram(trial, cur):
            cur, trial = back, p
    return cur, trial
