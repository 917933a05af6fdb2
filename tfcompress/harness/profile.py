"""On-device profiling over the harness: per-op counter ticks of the last run (PROFILE, 0x07, a
profiling build's), the stack high-water marks (STATS, 0x08, every build), and the tables and RAM
figure made from them.

Per-op counts: a profiling build's model.c reads the counter around every op (harness/tfc_profile.h)
and the firmware keeps the last timed run's ticks per op. The hooks' own instructions between the
two counter reads are in every op's count; the firmware measures them at start-up on empty
BEGIN/END pairs (``calibration``) and the host subtracts that from every op — exact under QEMU's
instruction counting, where the same instructions always count the same. What is left between
the ops' sum and the whole run (copying inputs and outputs, the calls between ops, the hooks'
instructions outside their windows) is reported as ``unattributed``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError
from tfcompress.harness import protocol as p
from tfcompress.harness.client import DeviceError, DeviceFault, HarnessClient

NOT_PROFILING = ("this firmware was built without --profile (it has no per-op counts)",
                 "rebuild with --profile (tfcompress build/validate/evaluate --profile, or [board] profile = true)")


@dataclass(frozen=True)
class DeviceProfile:
    """PROFILE's answer: raw counter ticks per op of the last timed run."""

    ticks: tuple[int, ...]
    calibration_ticks: int  # ticks of ``calibration_pairs`` empty BEGIN/END pairs
    calibration_pairs: int
    valid: bool  # the counts are those of a finished timed run
    pair_cost_ticks: int = 0  # the same pairs timed from outside: all the hooks add to a run

    @property
    def overhead_ticks(self) -> float:
        """Ticks the hooks add to each op's count (subtracted by :func:`layer_rows`)."""
        return self.calibration_ticks / self.calibration_pairs if self.calibration_pairs else 0.0

    @property
    def run_overhead_ticks(self) -> float:
        """Ticks the hooks add to a whole run (about): ops × one pair's whole cost."""
        return len(self.ticks) * self.pair_cost_ticks / self.calibration_pairs if self.calibration_pairs else 0.0


@dataclass(frozen=True)
class StackStats:
    """STATS's answer: the stack measured by painting (bytes)."""

    stack_bytes: int  # the stack region the linker script reserves
    peak_bytes: int  # deepest since start-up, from the stack's top (the firmware's whole stack need)
    harness_bytes: int  # in use by main and the harness when it calls the model
    run_bytes: int  # the last RUN: used below the harness's frame (the model and its kernels)
    measured: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(stack_region_bytes=self.stack_bytes, stack_peak_bytes=self.peak_bytes,
                    stack_harness_bytes=self.harness_bytes, stack_model_bytes=self.run_bytes)


def read_profile(client: HarnessClient) -> DeviceProfile:
    """The per-op ticks of the last timed run (paged); a TfcError naming --profile when the firmware
    is not a profiling build."""
    info = client.info or client.hello()
    if not info.profiling:
        raise TfcError(*NOT_PROFILING)
    ticks: list[int] = []
    total, calib, pairs, cost, valid = None, 0, 0, 0, True
    while total is None or len(ticks) < total:
        try:
            reply = client.request(p.PROFILE, struct.pack("<H", len(ticks)))
        except DeviceError as err:
            if err.code == p.ERR_TYPE:
                raise TfcError(*NOT_PROFILING) from None
            raise
        total, first, count, ok, _zero, calib, pairs, cost = struct.unpack_from("<HHHBBIII", reply)
        if first != len(ticks) or len(reply) < 20 + 4 * count or (count == 0 and len(ticks) < total):
            raise DeviceError(f"PROFILE reply for op {first} ({count} ops) does not follow op {len(ticks)}",
                              "regenerate and reflash the firmware with this tfcompress")
        ticks += struct.unpack_from(f"<{count}I", reply, 20)
        valid = valid and bool(ok)
    return DeviceProfile(tuple(ticks), calib, pairs, valid, cost)


def read_stats(client: HarnessClient) -> StackStats | None:
    """The stack high-water marks; None from firmware that predates STATS."""
    client.info or client.hello()
    try:
        reply = client.request(p.STATS)
    except DeviceError as err:
        if err.code == p.ERR_TYPE:
            return None
        raise
    size, peak, harness, run, flags = struct.unpack_from("<IIIIB", reply)
    return StackStats(size, peak, harness, run, bool(flags & 1))


def op_label(lo: Any) -> str:
    """An op's name; a fused op names every TFLite op it covers (``CONV_2D+ADD``); a banded pair
    (one driver running both ops a band of rows at a time, ``engine/banding.py``) names its ops
    in the order data flows through them (``CONV_2D→DEPTHWISE_CONV_2D (banded)``)."""
    parts = getattr(lo, "parts", None)
    if parts:
        return "→".join(op_label(x) for x in parts) + " (banded)"
    return "+".join([lo.op.name, *(f.name for f in getattr(lo, "fused", []))])


def op_numbers(tflite_ops: Sequence[dict[str, Any]]) -> str:
    """The TFLite op indices a profiled op covers, as ``inspect`` numbers them (``"2+3"``)."""
    return "+".join(str(o["index"]) for o in tflite_ops)


def profiled_ops(model: Any) -> list[dict[str, Any]]:
    """The ops a profiling build times, in slot order: the engine's lowered ops (model.c's calls; a
    fused op or a banded pair covers several TFLite ops), or, for TFLM (no ``lowered``), the main
    subgraph's ops as the interpreter invokes them. Each: ``op`` (:func:`op_label`), ``tflite_ops``,
    ``kernel`` (C function, "" for TFLM), ``output`` tensor or None, ``macs`` (of every op covered)."""
    from tfcompress.engine.macs import graph_op_macs, op_macs

    g = model.graph
    out = []
    if hasattr(model, "lowered"):
        for lo in model.lowered:
            out.append(dict(op=op_label(lo), kernel=lo.kernel, macs=op_macs(lo),
                            tflite_ops=[dict(index=o.index, op=o.name) for o in [lo.op, *getattr(lo, "fused", [])]],
                            output=g.t(lo.outputs[0]) if lo.outputs else None))
        return out
    for op in g.ops:
        out.append(dict(op=op.name, kernel="", macs=graph_op_macs(g, op), tflite_ops=[dict(index=op.index, op=op.name)],
                        output=g.t(op.outputs[0]) if op.outputs else None))
    return out


def layer_rows(model: Any, ticks: Sequence[float], *, ticks_per_unit: float, overhead_ticks: float,
               total_ticks: float, unit: str = "instructions",
               run_overhead_ticks: float | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per profiled op (:func:`profiled_ops`: ``index`` (its profiling slot), ``ops`` (the
    TFLite op indices it covers, ``"2+3"``), op, TFLite ops covered, kernel, output shape,
    MACs, counts in ``unit`` with the hooks' overhead subtracted, per MAC, share of the whole run;
    ``ticks`` may hold more slots than ops, the rest are ignored) and the summary: whole run, the
    ops' sum, what no op holds, the overhead subtracted per op, and (given ``run_overhead_ticks``)
    what the hooks add to the run and the normal build's count without them."""
    per_unit = 1.0 / ticks_per_unit
    whole = total_ticks * per_unit
    rows = []
    ops = profiled_ops(model)
    if len(ticks) < len(ops):
        raise TfcError(f"the firmware timed {len(ticks)} ops, the model has {len(ops)}",
                       "regenerate and reflash the firmware with this tfcompress")
    for i, (o, t) in enumerate(zip(ops, ticks, strict=False)):
        count = max(0.0, t - overhead_ticks) * per_unit
        macs, out = o["macs"], o["output"]
        rows.append({"index": i, "ops": op_numbers(o["tflite_ops"]), "op": o["op"], "tflite_ops": o["tflite_ops"],
                     "kernel": o["kernel"], "output": out.name if out is not None else "",
                     "output_shape": list(out.shape) if out is not None else [],
                     "macs": macs, unit: round(count, 1),
                     f"{unit}_per_mac": round(count / macs, 3) if macs else None,
                     "share": round(count / whole, 4) if whole else 0.0})
    total = sum(r[unit] for r in rows)
    summary = {f"{unit}_whole_run": round(whole, 1), f"{unit}_ops_sum": round(total, 1),
               "unattributed": round(whole - total, 1),
               "unattributed_share": round((whole - total) / whole, 5) if whole else 0.0,
               "overhead_per_op_subtracted": round(overhead_ticks * per_unit, 2), "ops": len(rows),
               "unit": unit}
    if not hasattr(model, "lowered"):  # TFLM: its profiler interface's virtual calls are not calibrated
        summary["note"] = ("TensorFlow Lite Micro's profiler hooks: the harness's counter reads are calibrated and "
                           "subtracted, the interpreter's calls into its profiler (tens of instructions per op) "
                           "stay in the ops' counts")
    elif run_overhead_ticks is not None:
        summary["hooks_per_run"] = round(run_overhead_ticks * per_unit, 1)
        summary[f"{unit}_without_hooks"] = round(whole - run_overhead_ticks * per_unit, 1)
    return rows, summary


def format_layers(rows: Sequence[dict[str, Any]], unit: str = "instructions") -> list[dict[str, Any]]:
    """The terminal table's rows (``console.format_table``)."""
    out = []
    for r in rows:
        per = r.get(f"{unit}_per_mac")
        out.append({"#": r.get("ops", r["index"]), "op": r["op"], "output shape": "x".join(map(str, r["output_shape"])),
                    "MACs": r["macs"], unit: f"{r[unit]:.0f}", f"{unit[:5]}/MAC": f"{per:.2f}" if per else "",
                    "share": f"{100 * r['share']:.1f}%"})
    return out


def ram_figure(*, arena: int, arena_measured: bool, stack: StackStats | None, static_data: int | None,
               stack_planned: int | None = None) -> dict[str, Any]:
    """RAM = arena + stack + static data, saying which parts were measured on the device and which
    come from the plan (arena from the engine's planner; stack from the linker script's reservation
    when the firmware could not measure it) or the linked image (static data)."""
    measured, planned = [], []
    (measured if arena_measured else planned).append("arena")
    if stack is not None and stack.measured:
        stack_bytes, key = stack.peak_bytes, "stack_measured"
        measured.append("stack")
    else:
        stack_bytes, key = stack_planned or 0, "stack_planned"
        planned.append("stack")
    out = {("arena_measured" if arena_measured else "arena_planned"): arena, key: stack_bytes}
    total = arena + stack_bytes
    if static_data is not None:
        out["static_data"] = static_data
        total += static_data
        measured.append("static_data (linked image)")
    out.update(total=total, measured=measured, planned=planned)
    if stack is not None and stack.measured:
        out.update(stack.as_dict())
    return out


def firmware_ram(firmware: Any, model: Any, stack: StackStats | None, arena_used: int | None = None) -> dict[str, Any]:
    """:func:`ram_figure` of a built firmware: the engine's planned arena (arena + scratch + state)
    or TFLM's arena as the device reports it (``arena_used``), the stack measured on the device, and
    the static data of the linked image without the arena (.data + .bss minus the arena's symbols)."""
    from tfcompress.harness.fault_decode import SymbolTable

    tflm = getattr(model, "runtime", "engine") == "tflm"
    sections = firmware.build.sections
    symbols = SymbolTable.from_elf(firmware.elf)
    static = None
    if symbols is not None:
        arena_syms = ("_ZL14tfc_tflm_arena", "tfc_tflm_arena") if tflm else ("tfc_arena", "tfc_state")
        static = sections.get(".data", 0) + sections.get(".bss", 0) - sum(symbols.sizes.get(n, 0) for n in arena_syms)
    arena = int(arena_used or 0) if tflm else int(model.ram_bytes)
    return ram_figure(arena=arena, arena_measured=tflm, stack=stack, static_data=static,
                      stack_planned=sections.get(".stack"))


def located(err: Any, elf: Path | str, model: Any, board: str) -> Any:
    """A :class:`~tfcompress.harness.client.DeviceFault` again, its message naming the function the
    PC (and LR) were in, from ``elf``'s symbols, and the op(s) of ``model`` that were running."""
    from tfcompress.harness.fault_decode import SymbolTable, locate, where_text

    ops = [(o["op"], o["kernel"]) for o in profiled_ops(model)] if model is not None else []
    where = locate(err.fault, SymbolTable.from_elf(elf), ops)
    out = DeviceFault(f"firmware hard fault on {board} ({elf}): {err.fault.describe(where_text(where) or None)}",
                      err.fix, err.fault)
    out.where = where
    return out
