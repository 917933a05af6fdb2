"""The layouts chosen after planning: each candidate of the build's preference
(:data:`tfcompress.engine.optimize.LAYOUTS`, fastest first) is planned in full (the kernel set's
``after_plan`` choices, then row banding), and the first whose peak RAM (arena + stack scratch) is
within the preference's RAM slack of the lowest candidate's wins (:func:`place`)."""

from __future__ import annotations

from tfcompress.engine import banding, optimized, weight_policy
from tfcompress.engine import optimize as optimize_pref
from tfcompress.engine.ir import Graph
from tfcompress.engine.kernel_set import KernelSet
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.optimize import Layouts
from tfcompress.engine.planner import Plan, best_plan, ram_with_stack


def plan_layouts(g: Graph, lowered: list[LoweredOp], kset: KernelSet, overlap: bool, band: bool,
                 layouts: Layouts) -> tuple[list[LoweredOp], Plan]:
    """``lowered`` planned with ``layouts``: the kernel set's choices after planning, then row
    banding where it lowers the peak (and, unless triples go everywhere, pixel triples returned to
    pairs where banding left their third window at the peak)."""
    plan, bare, in_arena = best_plan(g, lowered, overlap)
    if kset.after_plan is not None:
        lowered, plan = kset.after_plan(g, lowered, plan, bare, in_arena, overlap, layouts=layouts, kset=kset)
    if band and kset.bands:
        lowered, plan = banding.band_pairs(g, lowered, plan, kset, overlap)
        if not layouts.all_triples:  # banding moved the peak: pixel triples only where free
            lowered, plan = optimized.trim_triples(g, lowered, plan, overlap)
    if kset.after_plan is not None:  # planar depthwise bands as tall as the peak allows
        lowered, plan = optimized.taller_bands(g, lowered, plan, overlap)
    return lowered, plan


def place(g: Graph, lowered: list[LoweredOp], kset: KernelSet, overlap: bool, band: bool, optimize: str,
          kernels: str, compressed: bool) -> tuple[list[LoweredOp], Plan]:
    """The fastest candidate layouts of preference ``optimize`` whose peak RAM is within its slack of
    the lowest candidate's (the lowest's own when none is). With compressed weights the lowest is
    planned with no decoding slack either (weight_policy "size"), so the two slacks do not add up.
    Runs inside ``weight_policy.active(optimize, kernels)``."""
    cands = optimize_pref.LAYOUTS[optimize] if kset.after_plan is not None else optimize_pref.LAYOUTS[optimize][-1:]
    lowest = plan_layouts(g, lowered, kset, overlap, band, cands[-1])
    limit = None
    for layouts in cands[:-1]:
        if optimized.same_layouts(lowest[0], layouts):  # nothing to gain: the lowest layouts are these
            continue
        if limit is None:
            ref = lowest
            if compressed:
                with weight_policy.active("size", kernels):
                    ref = plan_layouts(g, lowered, kset, overlap, band, cands[-1])
            limit = optimize_pref.ram_limit(optimize, ram_with_stack(ref[1], ref[0]))
        out = plan_layouts(g, lowered, kset, overlap, band, layouts)
        if ram_with_stack(out[1], out[0]) <= limit:
            return out
    return lowest
