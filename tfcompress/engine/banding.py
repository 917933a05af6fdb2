"""Row banding: a CONV_2D and the windowed conv reading its output, run band by band.

MobileNet's pointwise convs widen the tensor (VWW: 48x48x8 -> 48x48x16) right before a depthwise
layer reads it; a ResNet block's first conv output lives next to the block input until the
second conv adds that input back: such intermediate tensors set the peak RAM. Banded
(``firmware/engine/band.c``, kernel ``tfc_band_s8``), the pair computes ``band`` output rows of
the second op at a time from the intermediate rows they need, held in the op's scratch (rows the
previous band computed are kept, so nothing is computed twice); the intermediate tensor never
exists. Second ops: DEPTHWISE_CONV_2D, or CONV_2D+ADD whose residual is the first op's input
(then written over it). The arithmetic is the unbanded kernels' own (same entry points,
parameter blocks with fewer rows and shifted top padding), so results are identical. Pairs are
banded only where that lowers the peak RAM, with the band height that lowers it most (ties: the
fewest bands).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfcompress.engine.ir import Graph
from tfcompress.engine.kernel_limits import RQ_PLANAR
from tfcompress.engine.kernel_set import KernelSet
from tfcompress.engine.lowered import ConstArray, LoweredOp, readers
from tfcompress.engine.planner import ALIGN, Buffer, Plan, best_plan, plan_arena, ram_with_stack

#: the banding driver's kernel (firmware/engine/band.c)
KERNEL = "tfc_band_s8"
#: the decoding convs (optimized/decoded.py): banded like the dense ones, each band decoding its
#: blocks again (optimized/block_fit.py weighs that)
DEC_FIRST = ("tfc_conv2d_s8_dec_w4", "tfc_conv2d_s8_dec_sp", "tfc_conv2d_s8_dec_2of4")
DEC_SECOND_ADD = ("tfc_conv2d_add_s8_dec_w4", "tfc_conv2d_add_s8_dec_sp", "tfc_conv2d_add_s8_dec_2of4")
#: kernels of the first op, of a windowed second op, and of a CONV_2D+ADD second op (residual =
#: the first op's input); all (params, in, out) / (params, add, in, residual, out) entry points
FIRST = ("tfc_conv2d_s8", "tfc_conv2d_s8_direct", "tfc_conv2d_s8_pw", "tfc_conv2d_s8_pw16", "tfc_conv2d_s8_first",
         *DEC_FIRST)
SECOND = ("tfc_depthwise_conv2d_s8", "tfc_depthwise_conv2d_s8_planar")
SECOND_ADD = ("tfc_conv2d_add_s8", "tfc_conv2d_add_s8_direct", *DEC_SECOND_ADD)
#: band heights (output rows of the second op) tried per pair
HEIGHTS = (1, 2, 3, 4, 6, 8, 12)


@dataclass(frozen=True)
class Band:
    """One band: output rows ``oy0 .. oy0 + n - 1``, intermediate rows ``lo .. hi - 1`` of which
    the first ``keep`` come from the previous band."""

    oy0: int
    n: int
    lo: int
    hi: int
    keep: int


def slice_rows(f: dict[str, Any], oy: int, n: int) -> dict[str, int]:
    """Fields of the op with fields ``f`` run for output rows ``oy .. oy + n - 1`` only, and
    ``first``: the first input row they read (band.c's band_rows)."""
    top = oy * f["stride_h"] - f["pad_top"]
    lo = max(top, 0)
    end = min(top + (n - 1) * f["stride_h"] + (f["k_h"] - 1) * f["dil_h"] + 1, f["in_h"])
    return dict(in_h=end - lo, out_h=n, pad_top=lo - top, first=lo)


def bands(f: dict[str, Any], height: int) -> list[Band]:
    """The bands of a second op with fields ``f`` (band.c's loop, step by step)."""
    out: list[Band] = []
    have_hi = 0
    for oy0 in range(0, f["out_h"], height):
        n = min(height, f["out_h"] - oy0)
        s = slice_rows(f, oy0, n)
        lo, hi = s["first"], s["first"] + s["in_h"]
        out.append(Band(oy0, n, lo, hi, max(have_hi - lo, 0)))
        have_hi = hi
    return out


def _conv_ok(lo: LoweredOp) -> bool:
    return (lo.struct == "tfc_conv_params" and not lo.bodies and lo.fields["batches"] == 1
            and lo.fields["in_w"] * lo.fields["in_c"] % 4 == 0)


def _pair_ok(g: Graph, a: LoweredOp, b: LoweredOp, users: dict[int, list[LoweredOp]]) -> bool:
    if a.kernel not in FIRST or not _conv_ok(a) or a.extra_structs or a.pre_args or a.fused:
        return False
    if len(a.outputs) != 1 or not _conv_ok(b) or len(users.get(a.outputs[0], [])) != 1 or a.outputs[0] in g.outputs:
        return False
    t = a.outputs[0]
    if b.kernel in SECOND:
        return b.inputs == [t] and not b.extra_structs and not b.pre_args and not b.fused
    return (b.kernel in SECOND_ADD and b.inputs == [t, a.inputs[0]] and len(b.extra_structs) == 1
            and b.pre_args == (f"&{b.extra_structs[0][1]}",) and g.t(a.inputs[0]).shape == g.t(b.outputs[0]).shape)


def _sliced(lo: LoweredOp, fields: dict[str, int]) -> LoweredOp:
    copy = lo.copy()
    copy.fields.update({k: v for k, v in fields.items() if k != "first"})
    return copy


def banded(a: LoweredOp, b: LoweredOp, height: int, kset: KernelSet) -> LoweredOp | None:
    """The banded op of the pair (``a`` conv, ``b`` its consumer), or None when a band would read
    no intermediate row."""
    fa, fb = a.fields, b.fields
    parts = bands(fb, height)
    if any(p.hi <= p.lo for p in parts):
        return None
    rq = fb.get("rq")
    if isinstance(rq, ConstArray) and int(rq.data[0]) & RQ_PLANAR:  # one planar band per call (rq[1])
        b = b.copy()
        data = rq.data.copy()
        data[1] = (height - 1) * fb["stride_h"] + 3
        b.replace_array("rq", data)
        fb = b.fields
    residual = b.kernel in SECOND_ADD
    row_in, row_mid = fa["in_w"] * fa["in_c"], fb["in_w"] * fb["in_c"]
    row_out = fb["out_w"] * fb["out_c"]
    rows = max(p.hi - p.lo for p in parts)
    kscratch, reads = 0, []
    for p in parts:
        first = slice_rows(fa, p.lo + p.keep, p.hi - p.lo - p.keep) if p.hi > p.lo + p.keep else None
        second = slice_rows(fb, p.oy0, p.n)
        kscratch = max(kscratch, kset.scratch_bytes(_sliced(b, second)),
                       kset.scratch_bytes(_sliced(a, first)) if first else 0)
        # the lowest input row this band reads (its first op's windows, its residual rows)
        low = ([first["first"]] if first else []) + ([p.oy0] if residual else [])
        reads.append(min(low, default=fa["in_h"]))
    kscratch = (kscratch + ALIGN - 1) // ALIGN * ALIGN
    mid = (rows * row_mid + 3) // 4 * 4
    x = a.inputs[0]
    # a band writes its outputs after its reads; later bands read at or after their lowest rows:
    # the output may start this far above the input (at most on it when it is also the residual)
    later = [min(reads[i + 1:]) for i in range(len(parts) - 1)]
    delta = min((r * row_in - (p.oy0 + p.n) * row_out for r, p in zip(later, parts, strict=False)),
                default=fa["in_h"] * row_in)
    delta = min(delta, 0 if residual else fa["in_h"] * row_in)
    n1, n2 = f"op{a.op.index}_first", f"op{b.op.index}_p"
    fields = dict(first=a.kernel, second=0 if residual else b.kernel, second_add=b.kernel if residual else 0,
                  p1=f"&{n1}", p2=f"&{n2}", add=b.pre_args[0] if residual else 0, band=height, rows=rows,
                  kscratch=kscratch)
    return LoweredOp(a.op, KERNEL, "tfc_band_params", fields, [x], list(b.outputs), a.arrays + b.arrays,
                     overlap={x: delta},
                     extra_structs=[(a.struct or "", n1, a.fields), (b.struct or "", n2, b.fields), *b.extra_structs],
                     fused=[b.op, *b.fused], scratch=mid + kscratch, parts=[a, b])


def _offset(plan: Plan, buf: Buffer) -> int:
    return plan.offsets[buf.tensors[0]] if buf.tensors else plan.scratch_offsets.get(buf.start - 1, 0)


def _peak_tensors(plan: Plan) -> set[int]:
    """Tensors whose buffer is live at a step where the arena's top is reached."""
    live: dict[int, list] = {}
    for buf in plan.buffers:
        for step in range(buf.start, buf.end + 1):
            live.setdefault(step, []).append(buf)
    out: set[int] = set()
    for bufs in live.values():
        top = max(_offset(plan, x) + x.size for x in bufs)
        if top >= plan.arena_bytes:
            for x in bufs:
                out.update(x.tensors)
    return out


def band_pairs(g: Graph, lowered: list[LoweredOp], plan: Plan, kset: KernelSet,
               overlap: bool = True) -> tuple[list[LoweredOp], Plan]:
    """Band the first pair whose intermediate tensor is live at the peak, then the next one, while
    that lowers the peak RAM (arena + stack scratch; each candidate is planned, so rounds are few)."""
    best = ram_with_stack(plan, lowered)
    tried: set[int] = set()
    while True:
        users = readers(lowered)
        peak = _peak_tensors(plan)
        found = None
        for k in range(len(lowered) - 1):
            a, b = lowered[k], lowered[k + 1]
            if id(a) in tried or not a.outputs or a.outputs[0] not in peak or not _pair_ok(g, a, b, users):
                continue
            tried.add(id(a))
            last, rises = None, 0
            for h in HEIGHTS:  # the peak falls, then rises with the band height (placement adds
                # noise): stop after two rises in a row
                if h >= b.fields["out_h"]:
                    break
                op = banded(a, b, h, kset)
                if op is None:
                    continue
                cand = lowered[:k] + [op] + lowered[k + 2:]
                p = plan_arena(g, cand, use_overlap=overlap, scratch=True)  # scored with the scratch placed
                ram = ram_with_stack(p, cand)
                if ram < best or (found is not None and ram == best):
                    found, best = (cand, p), ram
                rises = rises + 1 if last is not None and ram > last else 0
                if rises == 2:
                    break
                last = ram
            break  # one pair per round: when banding the first pair at the peak does not lower it, stop
        if found is None:
            return lowered, plan
        lowered = found[0]
        plan = best_plan(g, lowered, overlap)[0]
