"""Static arena planning: lifetimes, aliasing, overlapping streamed buffers, greedy placement.

Buffers (tensors, with RESHAPE outputs aliased onto their input) get a lifetime in op steps.
A streaming op whose input dies there may write its output over the input at a fixed relative
offset (``LoweredOp.overlap``): such buffers form a rigid *block*. Blocks are placed greedily by
size at the lowest offset that does not collide with any buffer alive at the same time (like
TFLM's greedy planner). Which overlaps to use is chosen by trying each and keeping it when the
arena does not grow. With ``scratch``, an op's kernel scratch (``LoweredOp.scratch``) is one more
buffer, live during that op only, so it lands in a gap of the arena instead of on the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tfcompress.engine.ir import Graph
from tfcompress.engine.lowered import LoweredOp, walk

ALIGN = 4


@dataclass
class Buffer:
    """Storage shared by one or more tensors (aliases)."""

    id: int
    tensors: list[int]
    size: int
    start: int
    end: int


@dataclass
class Plan:
    """Byte offset of every activation tensor in the arena, and the arena size."""

    offsets: dict[int, int]
    arena_bytes: int
    buffers: list[Buffer]
    buffer_of: dict[int, int]
    overlaps: list[tuple[int, int, int]] = field(default_factory=list)  # (in buf, out buf, delta)
    greedy_bytes: int = 0  # arena without any overlap (plain greedy-by-size, aliases only)
    scratch_offsets: dict[int, int] = field(default_factory=dict)  # op position -> kernel scratch offset


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _buffers(g: Graph, lowered: list[LoweredOp]) -> tuple[list[Buffer], dict[int, int]]:
    parent: dict[int, int] = {}

    def find(t: int) -> int:
        while parent.get(t, t) != t:
            t = parent[t]
        return t

    for lo in walk(lowered):
        if lo.alias and g.t(lo.inputs[0]).in_arena:
            parent[find(lo.outputs[0])] = find(lo.inputs[0])
    n_steps = len(lowered)
    start: dict[int, int] = {}
    end: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    size: dict[int, int] = {}

    def touch(t: int, when: int) -> None:
        if t < 0 or not g.t(t).in_arena:
            return
        root = find(t)
        members.setdefault(root, [])
        if t not in members[root]:
            members[root].append(t)
        size[root] = max(size.get(root, 0), g.t(t).nbytes)
        start[root] = min(start.get(root, when), when)
        end[root] = max(end.get(root, when), when)

    for t in g.inputs:
        touch(t, 0)
    for k, lo in enumerate(lowered, start=1):
        for sub in lo.walk():  # the ops of control-flow bodies run within their op's step
            for t in sub.inputs + sub.outputs + sub.touches:
                touch(t, k)
    for t in g.outputs:
        touch(t, n_steps + 1)
    buffers, buffer_of = [], {}
    for i, root in enumerate(sorted(members)):
        buffers.append(Buffer(i, members[root], _align(size[root]), start[root], end[root]))
        for t in members[root]:
            buffer_of[t] = i
    return buffers, buffer_of


def _relations(g: Graph, lowered: list[LoweredOp], buffers: list[Buffer],
               buffer_of: dict[int, int]) -> list[tuple[int, int, int]]:
    outs = {buffer_of[t] for t in g.outputs if t in buffer_of}
    rels = []
    for k, lo in enumerate(lowered, start=1):
        if lo.alias:
            continue
        if lo.outputs[0] not in buffer_of:
            continue
        bo = buffer_of[lo.outputs[0]]
        for t, delta in lo.overlap.items():
            if t not in buffer_of:
                continue
            bi = buffer_of[t]
            if bi == bo or bi in outs or buffers[bi].end != k or lo.inputs.count(t) > 1:
                continue
            if sum(buffer_of.get(i) == bi for i in lo.inputs) > 1:
                continue
            rels.append((bi, bo, delta // ALIGN * ALIGN))
    return rels


def _live_together(buffers: list[Buffer]) -> list[list[int]]:
    """Per buffer id, the other buffers alive at some common step (the only ones it may collide with)."""
    return [[b.id for b in buffers if b.start <= a.end and a.start <= b.end and b.id != a.id] for a in buffers]


def _blocks(buffers: list[Buffer], rels: list[tuple[int, int, int]],
            live: list[list[int]] | None = None) -> list[dict[int, int]] | None:
    """Group buffers linked by relations into blocks of {buffer: relative offset}; None if inconsistent."""
    block_of = {b.id: {b.id: 0} for b in buffers}
    for bi, bo, delta in rels:
        a, b = block_of[bi], block_of[bo]
        if a is b:
            return None
        shift = a[bi] + delta - b[bo]
        for m, r in b.items():
            a[m] = r + shift
            block_of[m] = a
    pairs = {(bi, bo) for bi, bo, _ in rels} | {(bo, bi) for bi, bo, _ in rels}
    unique = list({id(b): b for b in block_of.values()}.values())
    if rels and live is None:
        live = _live_together(buffers)
    for blk in unique:
        if len(blk) < 2:
            continue
        for x, ox in blk.items():
            for y in live[x]:
                if y > x and y in blk and (x, y) not in pairs and _collide(buffers[x], ox, buffers[y], blk[y]):
                    return None
    return unique


def _collide(a: Buffer, oa: int, b: Buffer, ob: int) -> bool:
    return a.start <= b.end and b.start <= a.end and oa < ob + b.size and ob < oa + a.size


#: block orders of the placement: the local search uses the first (largest first, ties earliest),
#: the final placement of the chosen overlaps keeps the smallest arena of all (the tensors before
#: kernel scratch, the longest-lived or the earliest first: ResNet-8 2:4, 40,736 -> 37,344 B)
ORDERS = (
    lambda bs, blk: (-max(bs[m].size for m in blk), min(bs[m].start for m in blk)),
    lambda bs, blk: (-sum(bs[m].size for m in blk if bs[m].tensors), -max(bs[m].size for m in blk)),
    lambda bs, blk: (-max(bs[m].size * (bs[m].end - bs[m].start + 1) for m in blk),),
    lambda bs, blk: (not any(bs[m].tensors for m in blk), -max(bs[m].size for m in blk)),
    lambda bs, blk: (min(bs[m].start for m in blk), -max(bs[m].size for m in blk)),
)


def _lowest_base(blk: dict[int, int], buffers: list[Buffer], live: list[list[int]], offsets: dict[int, int],
                 low: int) -> int:
    """The lowest base >= ``low`` at which no member m of ``blk`` (at base + its offset r) collides
    with a placed buffer p (at ``offsets[p]``) alive at the same time. They collide exactly when
    o - r - m.size < base < o + p.size - r: the answer is ``low`` or the end of one such interval
    (the first free point of their union, found by one sweep in start order)."""
    spans = sorted((offsets[p] - r - buffers[m].size + 1, offsets[p] + buffers[p].size - r)
                   for m, r in blk.items() for p in live[m] if p in offsets)
    base = low
    for lo, hi in spans:
        if lo > base:
            break
        if hi > base:
            base = hi
    return base


def _place(buffers: list[Buffer], blocks: list[dict[int, int]], live: list[list[int]] | None = None,
           order_key=ORDERS[0]) -> tuple[dict[int, int], int]:
    """Greedy: each block at its lowest collision-free base, in ``order_key``'s order (default:
    largest, then earliest, first). ``live``: _live_together(buffers), when the caller has it."""
    if live is None:
        live = _live_together(buffers)
    order = sorted(blocks, key=lambda blk: order_key(buffers, blk))
    offsets: dict[int, int] = {}
    for blk in order:
        base = _lowest_base(blk, buffers, live, offsets, -min(blk.values()))
        for m, r in blk.items():
            offsets[m] = base + r
    arena = max((offsets[b.id] + b.size for b in buffers), default=0)
    return offsets, arena


def plan_arena(g: Graph, lowered: list[LoweredOp], use_overlap: bool = True, scratch: bool = False) -> Plan:
    """Plan the arena; with ``use_overlap`` keep every streamed overlap that does not grow it, with
    ``scratch`` place every op's kernel scratch in the arena too (live at its op only)."""
    buffers, buffer_of = _buffers(g, lowered)
    scratch_buf: dict[int, int] = {}
    if scratch:
        for k, lo in enumerate(lowered):
            if lo.scratch > 0:
                scratch_buf[k] = len(buffers)
                buffers.append(Buffer(len(buffers), [], _align(lo.scratch), k + 1, k + 1))
    live = _live_together(buffers)
    base_blocks = _blocks(buffers, [], live)
    offsets, arena = _place(buffers, base_blocks, live)
    greedy = arena
    chosen: list[tuple[int, int, int]] = []
    if use_overlap:
        rels = _relations(g, lowered, buffers, buffer_of)
        for start_all in (False, True):
            trial = list(rels) if start_all else []
            blocks = _blocks(buffers, trial, live)
            if blocks is None:
                continue
            best_off, best = _place(buffers, blocks, live)
            for _ in range(3):  # local search: toggle / swap in each overlap until nothing improves
                before = (best, len(trial))
                for rel in rels:
                    if rel in trial:
                        cand = [r for r in trial if r != rel]
                    else:  # an output (or input) takes part in one overlap: swap out competitors
                        cand = [r for r in trial if r[1] != rel[1] and r[0] != rel[0]] + [rel]
                    blocks = _blocks(buffers, cand, live)
                    if blocks is None:
                        continue
                    off, size = _place(buffers, blocks, live)
                    if size < best or (size == best and len(cand) > len(trial)):
                        trial, best, best_off = cand, size, off
                if (best, len(trial)) == before:
                    break
            if best < arena:
                offsets, arena, chosen = best_off, best, trial
    final = _blocks(buffers, chosen) if use_overlap else None
    if final is not None:  # the chosen overlaps in the other placement orders (not: plain greedy)
        for key in ORDERS[1:]:
            off, size = _place(buffers, final, live, key)
            if size < arena:
                offsets, arena = off, size
    tensor_offsets = {t: offsets[buffer_of[t]] for t in buffer_of}
    return Plan(tensor_offsets, _align(arena), buffers, buffer_of, chosen, greedy,
                {k: offsets[b] for k, b in scratch_buf.items()})


def best_plan(g: Graph, lowered: list[LoweredOp], overlap: bool = True) -> tuple[Plan, Plan, Plan | None]:
    """The arena plan (kernel scratch in the arena when that beats arena + scratch on the stack),
    the plan of the tensors alone, and the one with the scratch in the arena (None: no scratch)."""
    bare = plan_arena(g, lowered, use_overlap=overlap)
    stack = max((lo.scratch for lo in lowered), default=0)
    in_arena = plan_arena(g, lowered, use_overlap=overlap, scratch=True) if stack else None
    if in_arena is not None and in_arena.arena_bytes <= bare.arena_bytes + stack:
        return in_arena, bare, in_arena
    return bare, bare, in_arena


def stack_scratch(plan: Plan, lowered: list[LoweredOp]) -> int:
    """Kernel scratch left on the stack by ``plan``: every op's whose scratch the plan did not place
    in the arena (ops inside control-flow bodies always use the stack)."""
    top = 0 if plan.scratch_offsets else max((lo.scratch for lo in lowered), default=0)
    nested = max((sub.scratch for lo in lowered for sub in lo.walk()[1:]), default=0)
    return max(top, nested)


def ram_with_stack(plan: Plan, lowered: list[LoweredOp]) -> int:
    """Arena + the stack scratch of a plan."""
    return plan.arena_bytes + stack_scratch(plan, lowered)
