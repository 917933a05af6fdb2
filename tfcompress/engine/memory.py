"""Memory timeline of a compiled model, read from its static plan (nothing is run).

RAM: at each op (a step of the generated code), the arena buffers alive then — each with its
tensors, arena offset and size — the bytes they cover (a streamed output overlapping its input
counts once), and the op where that peaks with the buffers that make it. Step 0 is the copy of the inputs into the arena, step ``n + 1`` the copy of the
outputs out of it (the planner's own steps). The arena can be larger than the peak of live bytes
(placement leaves gaps); both are given.

Flash per op: the constant arrays the op's lowering emitted (weights as the kernel reads them,
biases, multipliers/shifts, lookup tables) and the constant operands passed straight from flash
(a constant shared by several ops is counted at the first). Kernel code size per op is not
known from the plan: the C kernel files each op pulls in are listed, and where a firmware was
built (validate on a board, the pipeline's device step) :func:`attach_code_bytes` adds their
size from its linker map.
"""

from __future__ import annotations

from typing import Any

from tfcompress.engine.compiler import CompiledModel
from tfcompress.engine.debug import op_label


def _buffer_rows(model: CompiledModel) -> list[dict[str, Any]]:
    g, plan = model.graph, model.plan
    rows = []
    for b in plan.buffers:
        if b.tensors:
            offset = plan.offsets[b.tensors[0]]
            names = [g.t(t).name for t in b.tensors]
            kind = "tensor"
        else:  # kernel scratch placed in the arena (live at its op only)
            position = b.start - 1
            offset = plan.scratch_offsets.get(position, 0)
            lo = model.lowered[position]
            names = [f"kernel scratch of op #{lo.op.index} {op_label(lo)}"]
            kind = "scratch"
        rows.append(dict(buffer=b.id, kind=kind, tensors=list(b.tensors), names=names, offset=offset,
                         bytes=b.size, first_step=b.start, last_step=b.end))
    return rows


def _flash_rows(model: CompiledModel) -> list[dict[str, Any]]:
    consts = model.layout.consts if model.layout else {}
    seen: set[int] = set()
    sources = {}
    try:
        from tfcompress.engine.compiler import kernel_set

        kset = kernel_set(model.kernels)
    except Exception:  # noqa: BLE001 - a kernel set without per-function sources: list none
        kset = None
    rows = []
    for k, lo in enumerate(model.lowered):
        arrays = [dict(name=a.name, bytes=a.nbytes) for sub in lo.walk() for a in sub.arrays]
        operands = []
        for sub in lo.walk():
            for t in sub.inputs:
                if t in consts and t not in seen:
                    seen.add(t)
                    operands.append(dict(tensor=t, name=model.graph.t(t).name, bytes=consts[t].nbytes))
        kernels = sorted({x.kernel for sub in lo.walk() if not sub.bodies for x in [sub, *sub.parts]})
        if kset is not None:
            key = tuple(kernels)
            if key not in sources:
                sources[key] = sorted(kset.sources(set(kernels)))
            files = sources[key]
        else:
            files = []
        rows.append(dict(position=k, index=lo.op.index, op=op_label(lo), kernels=kernels, kernel_sources=files,
                         arrays=arrays, const_operands=operands,
                         arrays_bytes=sum(a["bytes"] for a in arrays),
                         const_operands_bytes=sum(o["bytes"] for o in operands),
                         flash_bytes=sum(a["bytes"] for a in arrays) + sum(o["bytes"] for o in operands),
                         code_bytes=None))
    return rows


def _occupied(live: list[dict[str, Any]]) -> int:
    """Bytes covered by the live buffers (streamed buffers may overlap: counted once)."""
    total, end = 0, 0
    for b in sorted(live, key=lambda b: b["offset"]):
        lo, hi = max(b["offset"], end), b["offset"] + b["bytes"]
        if hi > lo:
            total += hi - lo
        end = max(end, hi)
    return total


def memory_timeline(model: CompiledModel) -> dict[str, Any]:
    """The RAM timeline and flash per op of ``model`` as a JSON-friendly dict (see module doc)."""
    buffers = _buffer_rows(model)
    n = len(model.lowered)
    flash = _flash_rows(model)
    steps = []
    for step in range(n + 2):
        live = [b for b in buffers if b["first_step"] <= step <= b["last_step"]]
        if step == 0:
            label, index = "(inputs copied in)", None
        elif step == n + 1:
            label, index = "(outputs copied out)", None
        else:
            lo = model.lowered[step - 1]
            label, index = op_label(lo), lo.op.index
        steps.append(dict(step=step, position=step - 1 if 1 <= step <= n else None, index=index, op=label,
                          live_buffers=[b["buffer"] for b in live],
                          live_bytes=_occupied(live),
                          high_water=max((b["offset"] + b["bytes"] for b in live), default=0),
                          flash_bytes=flash[step - 1]["flash_bytes"] if 1 <= step <= n else 0))
    peak = max(steps, key=lambda s: (s["live_bytes"], -s["step"])) if steps else None
    peak_info = None
    if peak is not None:
        live = [b for b in buffers if b["buffer"] in peak["live_buffers"]]
        peak_info = dict(step=peak["step"], position=peak["position"], index=peak["index"], op=peak["op"],
                         live_bytes=peak["live_bytes"],
                         buffers=[dict(buffer=b["buffer"], kind=b["kind"], tensors=b["tensors"], names=b["names"],
                                       offset=b["offset"], bytes=b["bytes"])
                                  for b in sorted(live, key=lambda b: -b["bytes"])])
    return dict(arena_bytes=model.plan.arena_bytes, scratch_bytes=model.scratch_bytes,
                state_bytes=model.state_bytes, ram_bytes=model.ram_bytes, weights_bytes=model.weights_bytes,
                steps=steps, buffers=buffers, peak=peak_info, flash=flash,
                code_bytes_note="kernel code size per op is not measured; kernel_sources lists the C files "
                                "each op pulls in (the firmware build's size reports the whole engine's code)")


def attach_code_bytes(mem: dict[str, Any], code: dict[str, int], where: str) -> dict[str, Any]:
    """Fill each op's ``code_bytes`` from a firmware build's code size per kernel file (``code``:
    path under engine/ -> bytes, see :func:`tfcompress.project.mapfile.kernel_code_bytes`)."""
    if not code:
        return mem
    used = set()
    for f in mem["flash"]:
        f["code_bytes"] = sum(code.get(src, 0) for src in f["kernel_sources"])
        used.update(src for src in f["kernel_sources"] if src in code)
    mem["kernel_code_bytes"] = {src: code[src] for src in sorted(used)}
    mem["code_bytes_note"] = (f"code_bytes: code and read-only data the linker kept from the kernel files each op "
                              f"pulls in ({where}); a file several ops use counts at each of them")
    return mem


def format_memory(mem: dict[str, Any]) -> str:
    """Human text of :func:`memory_timeline`: one row per step, then the peak."""
    from tfcompress.console import format_table

    rows = [dict(step=s["step"], op=s["op"] if s["index"] is None else f"#{s['index']} {s['op']}",
                 live=len(s["live_buffers"]), live_bytes=s["live_bytes"], high_water=s["high_water"],
                 flash=s["flash_bytes"]) for s in mem["steps"]]
    code = {f["position"] + 1: f["code_bytes"] for f in mem["flash"] if f.get("code_bytes") is not None}
    if code:
        for row, s in zip(rows, mem["steps"], strict=True):
            row["code"] = code.get(s["step"], "")
    lines = [format_table(rows), ""]
    peak = mem["peak"]
    if peak:
        where = peak["op"] if peak["index"] is None else f"op #{peak['index']} {peak['op']} (step {peak['step']})"
        lines.append(f"peak live RAM {peak['live_bytes']} B at {where}; arena {mem['arena_bytes']} B "
                     f"(+ stack scratch {mem['scratch_bytes']} B + state {mem['state_bytes']} B)")
        for b in peak["buffers"]:
            lines.append(f"  {b['bytes']:>8} B at offset {b['offset']:>7}  {', '.join(n[:60] for n in b['names'])}")
    lines.append(f"flash: {mem['weights_bytes']} B of constants; {mem['code_bytes_note']}")
    return "\n".join(lines)
