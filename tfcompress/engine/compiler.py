"""compile_tflite: .tflite -> lowered ops + arena plan -> CompiledModel (model.c, model.h, kernels)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tfcompress.engine import (
    compressed_weights,
    control,
    kernel_limits,
    kernelsets,
    layouts,
    optable,
    optimized,
    weight_policy,
)
from tfcompress.engine import optimize as optimize_pref
from tfcompress.engine.emit import IO_MAX_DIMS, Layout, render
from tfcompress.engine.fold import fold_constants
from tfcompress.engine.fusion import fuse_conv_add
from tfcompress.engine.ir import DTYPES, Graph, GraphIO, Op
from tfcompress.engine.kernel_set import KernelSet
from tfcompress.engine.lowered import ConstArray, LoweredOp, walk
from tfcompress.engine.planner import Plan, ram_with_stack, stack_scratch
from tfcompress.engine.reader import load_bytes, read_graph
from tfcompress.engine.schedule import late_shortcuts
from tfcompress.engine.state import StateLayout, plan_state
from tfcompress.errors import TfcError
from tfcompress.resources import engine_kernels_dir

#: bytes of RAM the generated code uses besides the arena and the state area
RUNTIME_STATE_BYTES = 0

#: kernel set name (engine/kernelsets.py) -> its kernels
KERNEL_SET_IMPLEMENTATIONS: dict[str, KernelSet] = {"reference": KernelSet("reference"),
                                                     "optimized": optimized.KERNEL_SET}


def kernel_set(name: str) -> KernelSet:
    """The kernels of the kernel set called ``name`` (the standard error for an unknown name)."""
    return KERNEL_SET_IMPLEMENTATIONS[kernelsets.spec(name).name]


@dataclass
class CompiledModel(GraphIO):
    """A model compiled ahead of time to C."""

    graph: Graph
    lowered: list[LoweredOp]
    plan: Plan
    kernels: str
    model_bytes: bytes
    source_name: str
    compress_weights: bool = False
    state: StateLayout = field(default_factory=StateLayout)
    folded: list[Op] = field(default_factory=list)
    views: dict[int, Graph] = field(default_factory=dict)  # subgraphs run by control flow (flattened)
    layout: Layout | None = None
    optimize: str = optimize_pref.DEFAULT  # the speed/size preference it was compiled with (engine/optimize.py)

    def __post_init__(self) -> None:
        if self.layout is None:
            self.layout = make_layout(self.graph, self.lowered, self.plan, self.state, self.views)

    @property
    def scratch_bytes(self) -> int:
        """Peak kernel scratch on the stack (0 when the planner placed the scratch in the arena)."""
        return stack_scratch(self.plan, self.lowered)

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
    def stateful(self) -> bool:
        """Whether outputs depend on earlier runs (variable tensors / resource variables)."""
        return bool(self.layout and (self.layout.state_bytes or self.layout.reset))

    def kernel_sources(self) -> list[str]:
        """C kernel files this model needs."""
        functions = {x.kernel for lo in walk(self.lowered) if not lo.bodies for x in [lo, *lo.parts]}
        functions |= set(optable.SUPPORT_KERNELS)
        return kernel_set(self.kernels).sources(functions)

    def kernel_headers(self) -> list[str]:
        """Headers the kernel sources include (the common ones and the kernel set's)."""
        return [*optable.COMMON_HEADERS, *kernel_set(self.kernels).headers]

    def generated_headers(self) -> dict[str, str]:
        """Headers generated for this model (path under ``engine/`` -> text): the kernel set's
        constants (engine/kernel_limits.py) and its per-model headers (e.g. the kernel variants the
        model links, engine/optimized/variants.py)."""
        out = kernel_limits.generated_headers(self.kernels)
        kset = kernel_set(self.kernels)
        if kset.model_headers is not None:
            position = {id(lo): k for k, lo in enumerate(self.lowered)}
            out |= kset.model_headers(self.lowered,
                                      lambda lo: position.get(id(lo), -1) in self.plan.scratch_offsets)
        return out

    def sources(self) -> tuple[str, str]:
        """(model.c, model.h) text."""
        self.layout = make_layout(self.graph, self.lowered, self.plan, self.state, self.views)
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
        for name in self.kernel_headers() + self.kernel_sources():
            dst = out / "engine" / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / name, dst)
            paths.append(dst)
        for name, text in self.generated_headers().items():
            dst = out / "engine" / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(text)
            paths.append(dst)
        return paths

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
                    compressed_layers=sum(lo.kernel.endswith(("_w4", "_sp", "_2of4")) for lo in self.lowered))


def _tinfo(g: Graph, index: int) -> dict[str, Any]:
    t = g.t(index)
    return dict(index=index, name=t.name, shape=list(t.shape), dtype=t.dtype, **t.quant_dict())


def op_support(path_or_bytes: str | Path | bytes) -> list[dict[str, Any]]:
    """Every op of a model with whether the engine compiles it and why not (for ``inspect``),
    decided without building anything: ops folded at compile time are marked so."""
    data = load_bytes(path_or_bytes)
    g = read_graph(data)
    rows = []
    try:
        folded = {op.index for op in fold_constants(g, data)}
    except TfcError as err:
        folded, fold_error = set(), err.line()
    else:
        fold_error = ""
    for op in read_graph(data).ops:
        if op.index in folded:
            rows.append(dict(index=op.index, op=op.name, supported=True, note="folded at compile time"))
            continue
        live = next(o for o in g.ops if o.index == op.index)
        try:
            _lower(g, live)
            rows.append(dict(index=op.index, op=op.name, supported=True, note=""))
        except TfcError as err:
            rows.append(dict(index=op.index, op=op.name, supported=False, note=err.line()))
    if fold_error:
        rows.append(dict(index=-1, op="(constant folding)", supported=False, note=fold_error))
    return rows


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


def make_layout(g: Graph, lowered: list[LoweredOp], plan: Plan, state: StateLayout | None = None,
                views: dict[int, Graph] | None = None) -> Layout:
    """Where every tensor the generated code touches lives: the arena (``plan``), flash (constant
    operands read by an op or returned as a model output), or the state area (``state``)."""
    state = state or StateLayout()
    views = views or {}
    used = [t for lo in walk(lowered) for t in lo.inputs + lo.outputs if t >= 0] + list(g.outputs)
    for lo in walk(lowered):  # what control flow copies in and out of its subgraphs
        for index in lo.subgraphs.values():
            used += views[index].inputs + views[index].outputs
    consts: dict[int, ConstArray] = {}
    for t in dict.fromkeys(used):
        tensor = g.t(t)
        if tensor.is_const:
            consts[t] = ConstArray(f"tensor{t}", np.ascontiguousarray(tensor.data).reshape(-1))
    control = {lo.op.index: {role: views[index] for role, index in lo.subgraphs.items()}
               for lo in walk(lowered) if lo.subgraphs}
    return Layout(plan, state=dict(state.offsets), state_bytes=state.bytes, consts=consts,
                  reset=list(state.reset), init=list(state.init), arrays=list(state.arrays), views=control)


def _lower(g: Graph, op: Any) -> LoweredOp | None:
    spec = optable.op_spec(g, op)
    try:
        return spec.lower(g, op)
    except TfcError:
        raise
    except (IndexError, KeyError, ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
        out = g.t(op.outputs[0]).name if op.outputs else "?"
        raise TfcError(f"op {op.name} (#{op.index}, output '{out}') has malformed tensors or options "
                       f"({type(exc).__name__})", "re-export the model; the .tflite looks corrupt") from None


def _lower_all(g: Graph, views: dict[int, Graph]) -> list[LoweredOp]:
    """The ops of ``g`` lowered, control-flow ops with their subgraphs' ops in their bodies."""
    lowered = [lo for lo in (_lower(g, op) for op in g.ops) if lo is not None]
    for lo in lowered:
        if lo.subgraphs:
            control.check(g, lo, views)
            lo.bodies = {role: _lower_all(views[index], views) for role, index in lo.subgraphs.items()}
            lo.touches = [t for index in lo.subgraphs.values() for t in views[index].inputs + views[index].outputs]
    return lowered


def compile_tflite(path_or_bytes: str | Path | bytes | bytearray, *, kernels: str = "reference",
                   overlap: bool = True, fuse: bool = True, compress_weights: bool = False,
                   band: bool = True, optimize: str = optimize_pref.DEFAULT) -> CompiledModel:
    """Compile a fully-quantised .tflite to C. Raises TfcError for anything unsupported.

    ``kernels`` names a kernel set (:mod:`tfcompress.engine.kernelsets`), ``overlap`` lets the
    planner overlap streamed buffers, ``fuse`` fuses CONV_2D+ADD pairs, ``band`` runs 1x1 conv +
    depthwise pairs band by band where that lowers the peak RAM (kernel sets that allow it), ``compress_weights`` stores
    weight layers in the smallest exact encoding: 4-bit indices + codebooks for clustered layers,
    bitmap + non-zero values for pruned ones (see compressed_weights.py), as far as the preference
    ``optimize`` allows: "speed" | "balanced" | "size" (engine/optimize.py), which also picks the
    layouts chosen after planning; its weight-storage row is in weight_policy.py. Where conv
    shortcuts of residual ADDs could run late (schedule.py), both op orders are planned and the one
    with the lower peak RAM is kept."""
    optimize_pref.check(optimize, "optimize")
    kset = kernel_set(kernels)
    data = load_bytes(path_or_bytes)
    source_name = Path(path_or_bytes).name if isinstance(path_or_bytes, (str, Path)) else "<bytes>"
    g = read_graph(data)
    folded = fold_constants(g, data)
    views = control.flatten(g)
    for view in views.values():
        folded += fold_constants(view, data, use_oracle=False)
    optable.check_float_model(g)
    _check_io(g)
    state = plan_state(g, data)
    fusing = fuse and kset.fuses_conv_add()
    best: tuple[int, list[LoweredOp], Plan] | None = None
    for late in (False, True) if fusing else (False,):  # TFLite's op order, then late shortcuts (schedule.py)
        lowered = _lower_all(g, views)  # fresh ops: the passes below change them in place
        if late:
            moved = late_shortcuts(g, lowered)
            if all(a is b for a, b in zip(moved, lowered, strict=True)):
                break
            lowered = moved
        if fusing:
            lowered = fuse_conv_add(g, lowered)
        with weight_policy.active(optimize, kernels, kset):
            if compress_weights:
                lowered = compressed_weights.compress_ops(lowered)
            lowered = kset.specialize(lowered)
            lowered, plan = layouts.place(g, lowered, kset, overlap, band, optimize, kernels, compress_weights)
        ram = ram_with_stack(plan, lowered)
        if best is None or ram < best[0]:  # the order with the lower peak RAM (ties: TFLite's)
            best = (ram, lowered, plan)
    assert best is not None
    _, lowered, plan = best
    return CompiledModel(g, lowered, plan, kernels, data, source_name, compress_weights, state, folded, views,
                         optimize=optimize)
