"""Block sizes (and row bands) of the decoding convolutions (``decoded.py``), chosen against the
model's peak RAM.

A decoding conv's scratch (its decoded block, windows, 2:4 expansions) counts only where it raises
the peak. :func:`fit_blocks`:

1. the lowest peak: every decoding conv at its least scratch (:func:`least`), then the pairs of
   a conv and the CONV_2D+ADD that reads it banded where that lowers the peak (``banding.py``; the
   decoding kernels run band by band, decoding their blocks again per band). All layers shrink
   at once: shrinking one layer alone does not lower a peak that two layers share (ResNet-8's
   first block: both convs at 32 KB of tensors).
2. under a preference with RAM slack > 0 (``weight_policy.py``: "balanced"), a layer whose choice
   misses its speed rule (:data:`BLOCK_COST`: block-dependent instructions per MAC, from the goals
   of issue 15) takes the choice within the rule that gives the least peak, whatever RAM that
   costs: "balanced" keeps the speed goals.
3. each layer (or banded pair: its band height and its two convs' blocks, or no banding) then
   takes the cheapest choice (``decoded.cost``) that does not raise the peak, nor the most bytes
   live at one op (placement gaps are not room to fill): free.
4. with slack, the cheapest choices that keep the peak within the slack of the lowest (1.), or of
   the speed rule's peak (2.) where that is higher.

"size" (slack 0) keeps the lowest peak; "speed" (slack None) keeps the blocks as prepared.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from tfcompress.engine import banding, weight_policy
from tfcompress.engine.ir import Graph
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.macs import op_macs
from tfcompress.engine.optimized.decoded import DEC_KERNELS, _options, cost, with_block
from tfcompress.engine.planner import Plan, best_plan, ram_with_stack

#: kernel suffix -> most block-dependent instructions per MAC (``decoded.cost``) a choice may take
#: under a preference with RAM slack ("balanced"), so that the layer keeps its speed goal (issue 15).
#: ResNet-8 / eye-gaze, mps2-an500 -O2, compressed / dense instructions per layer ~ a + b x cost per
#: MAC: 2:4 a 0.50, b 1.9 (8x8x64 in 16-channel blocks 0.11: 0.72x; 14-channel 0.14: 0.76x, goal
#: 0.75); 4-bit a 0.94-0.96, b 2.3-2.5 (16x16x32 whole 0.04: 1.03x, 8-channel blocks in 2-row bands
#: 0.20: 1.40x; 8x8x64 in 22-channel blocks 0.08: 1.16x, 16-channel 0.10: 1.19x; goal 1.25);
#: sparse a 0.87, b 2.7-2.8 (16x16x16 whole 0.07-0.08: 1.07-1.09x, 8-channel blocks 0.14: 1.24x,
#: 6-channel blocks in 2-row bands 0.31: 1.74x; goal 1.5)
BLOCK_COST: dict[str, float] = {"_2of4": 0.13, "_w4": 0.11, "_sp": 0.15}

Choice = tuple[int, ...]


@dataclass
class _Unit:
    """A decoding conv (``ops``: one) or a banded pair of them (two): its current choice and how
    it is built. Single: (channels per block, rows per pass); pair: (band height (0: not banded),
    the first conv's block, rows, the second's block, rows)."""

    ops: list[LoweredOp]
    choice: Choice
    built: list[LoweredOp] = field(default_factory=list)

    def choices(self) -> list[Choice]:
        if len(self.ops) == 1:
            return list(_options(self.ops[0], fine=True))
        a, b = self.ops
        oa, ob = _options(a, fine=True), _options(b, fine=True)
        out = [(0, *x, *y) for x, y in itertools.product(oa, ob)]
        heights = [h for h in banding.HEIGHTS if h < int(b.fields["out_h"])]
        flat_a, flat_b = [x for x in oa if x[1] == 0], [y for y in ob if y[1] == 0]
        return out + [(h, *x, *y) for h in heights for x, y in itertools.product(flat_a, flat_b)]

    def cost(self, c: Choice) -> float:
        if len(self.ops) == 1:
            return cost(self.ops[0], c[0], c[1])
        a, b = self.ops
        calls = -(-int(b.fields["out_h"]) // c[0]) if c[0] else 1
        return cost(a, c[1], c[2], calls) + cost(b, c[3], c[4], calls)

    def within_rule(self, c: Choice) -> bool:
        """Whether choice ``c`` keeps every conv within its :data:`BLOCK_COST` (per MAC)."""
        ops = self.ops
        if len(ops) == 1:
            parts = [(ops[0], c[0], c[1], 1)]
        else:
            calls = -(-int(ops[1].fields["out_h"]) // c[0]) if c[0] else 1
            parts = [(ops[0], c[1], c[2], calls), (ops[1], c[3], c[4], calls)]
        for lo, blk, rows, calls in parts:
            rule = next((v for k, v in BLOCK_COST.items() if lo.kernel.endswith(k)), None)
            if rule is not None and cost(lo, blk, rows, calls) > rule * max(op_macs(lo), 1):
                return False
        return True

    def build(self, c: Choice, kset: object) -> list[LoweredOp] | None:
        """The ops of choice ``c`` (also kept in ``built``)."""
        if len(self.ops) == 1:
            self.built = [with_block(self.ops[0], *c)]
            return self.built
        a, b = with_block(self.ops[0], c[1], c[2]), with_block(self.ops[1], c[3], c[4])
        op = banding.banded(a, b, c[0], kset) if c[0] else None  # type: ignore[arg-type]
        self.built = [a, b] if not c[0] else [op] if op is not None else []
        return self.built or None


def _local_peak(plan: Plan, ops: list[LoweredOp], mine: list[LoweredOp]) -> int:
    """Bytes of the arena covered at the steps of ``mine`` (ops of ``ops``) under ``plan``."""
    steps = {k + 1 for k, lo in enumerate(ops) if any(lo is m for m in mine)}
    most = 0
    for step in steps:
        spans = sorted((plan.offsets[b.tensors[0]] if b.tensors else plan.scratch_offsets.get(b.start - 1, 0), b.size)
                       for b in plan.buffers if b.start <= step <= b.end)
        total = end = 0
        for off, size in spans:
            total += max(0, off + size - max(off, end))
            end = max(end, off + size)
        most = max(most, total)
    return most


def _live(plan: Plan, ops: list[LoweredOp]) -> int:
    """The most bytes live at one op of ``ops`` under ``plan``."""
    return max((_local_peak(plan, ops, [lo]) for lo in ops), default=0)


def least(lo: LoweredOp) -> tuple[int, int]:
    """The choice of a decoding conv with the least scratch (ties: rows per pass, which keep part of
    its input overlap, then the cheapest)."""
    return min(_options(lo, fine=True), key=lambda o: (with_block(lo, *o).scratch, -o[1], cost(lo, *o)))


def _lowest(g: Graph, lowered: list[LoweredOp], dec: list[int], kset: object,
            overlap: bool) -> list[_Unit | LoweredOp]:
    """Step 1 of the module docstring, as units (other ops as they are)."""
    low = [with_block(lo, *least(lo)) if k in dec else lo for k, lo in enumerate(lowered)]
    plan = best_plan(g, low, overlap)[0]
    by_id = {id(low[k]): lowered[k] for k in dec}
    if kset is not None:
        low, plan = banding.band_pairs(g, low, plan, kset, overlap)  # type: ignore[arg-type]
    out: list[_Unit | LoweredOp] = []
    for lo in low:
        if id(lo) in by_id:
            out.append(_Unit([by_id[id(lo)]], least(by_id[id(lo)])))
        elif lo.kernel == banding.KERNEL and all(id(p) in by_id for p in lo.parts):
            a, b = (by_id[id(p)] for p in lo.parts)
            out.append(_Unit([a, b], (int(lo.fields["band"]), *least(a), *least(b))))
        else:
            out.append(lo)
    return out


def fit_blocks(g: Graph, lowered: list[LoweredOp], plan: Plan, bare: Plan, overlap: bool = True,
               kset: object = None) -> tuple[list[LoweredOp], Plan]:
    """The decoding convs' blocks (and bands) chosen as the module docstring says; ``kset``: the
    kernel set (banding sizes its scratch; None: no banding). Unchanged when the preference's slack
    is None, or when their scratch does not raise the peak above the tensors' own (``bare``)."""
    dec = [k for k, lo in enumerate(lowered) if lo.kernel in DEC_KERNELS.values()]
    slack = weight_policy.current().ram_slack
    if slack is None or not dec or ram_with_stack(plan, lowered) <= bare.arena_bytes:
        return lowered, plan
    items = _lowest(g, lowered, dec, kset, overlap)
    units = [u for u in items if isinstance(u, _Unit)]

    def build(pick: Callable[[_Unit], Choice]) -> list[LoweredOp] | None:
        out: list[LoweredOp] = []
        for it in items:
            if isinstance(it, _Unit):
                ops = it.build(pick(it), kset)
                if ops is None:
                    return None
                out += ops
            else:
                out.append(it)
        return out

    def ram_of(ops: list[LoweredOp]) -> tuple[int, Plan]:
        p = best_plan(g, ops, overlap)[0]
        return ram_with_stack(p, ops), p

    cur = build(lambda u: u.choice)
    assert cur is not None
    low, plan = ram_of(cur)
    lowest, rule = low, slack > 0
    if rule:  # the speed rule before RAM: a layer outside it takes its least-RAM choice within it
        for u in units:
            if u.within_rule(u.choice):
                continue
            best = None
            for c in sorted((c for c in u.choices() if u.within_rule(c)), key=u.cost):
                trial = build(lambda x, u=u, c=c: c if x is u else x.choice)
                if trial is None:
                    continue
                r, p = ram_of(trial)
                # the least bytes live at this layer's own ops (another layer may set the peak for now)
                key = (_local_peak(p, trial, u.built), r)
                if best is None or key < best[0]:
                    best = (key, c, trial, p)
            if best is not None:
                (_, low), u.choice, cur, plan = best
    for n, limit in enumerate([low] + ([max(low, lowest * (1 + slack))] if rule else [])):
        for _ in range(4):  # again while a layer changes: another one's choice may free its bytes
            changed = False
            for u in sorted(units, key=lambda u: -u.cost(u.choice)):
                now = u.cost(u.choice)
                for c in sorted(u.choices(), key=u.cost):
                    if u.cost(c) >= now:
                        break
                    trial = build(lambda x, u=u, c=c: c if x is u else x.choice)
                    if trial is None:
                        continue
                    r, p = ram_of(trial)
                    # free (n == 0): nor more bytes live at any op (a placement gap is no room to fill)
                    if r <= limit and (n or _live(p, trial) <= _live(plan, cur)):
                        u.choice, cur, plan, changed = c, trial, p, True
                        break
            if not changed:
                break
    return cur, plan
