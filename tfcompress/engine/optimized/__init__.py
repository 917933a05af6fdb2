"""The optimised (Cortex-M4/M7 DSP) kernel set: its kernels as data, and the host-side preparation
of the constant data they read (``firmware/engine/optimized/``).

The optimised kernels have the same C entry points and parameter blocks as the reference ones;
what differs is the constant data the generator emits for them, prepared per kernel after
lowering (``conv``, ``depthwise``, ``fully_connected``, ``add``; the shared requantisation table
in ``requant``), and their working memory, which the planner places in the arena. Where a
CONV_2D's im2col scratch still raises the peak RAM after planning, :func:`after_plan` switches
that layer to the direct-window kernels when the layouts asked for (engine/optimize.py) allow it. Constants shared with the C sources live in
``engine/kernel_limits.py``. Bit-exactness with the reference kernels is the contract
(tests/test_perf_kernels.py).
"""

from __future__ import annotations

from tfcompress.engine.ir import Graph
from tfcompress.engine.kernel_set import KernelSet, KernelVariant
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.optimize import LOWEST, Layouts
from tfcompress.engine.optimized import (
    add,
    block_fit,
    conv,
    decoded,
    depthwise,
    fc_compressed,
    first,
    fully_connected,
    pointwise,
    variants,
)
from tfcompress.engine.planner import Plan, best_plan, plan_arena, ram_with_stack

_CONV = "optimized/conv2d_s8_opt.c"
_DIRECT = "optimized/conv2d_s8_direct_opt.c"
_DEC = "optimized/conv2d_s8_dec_opt.c"
_FIRST = "optimized/conv2d_s8_first_opt.c"

#: C kernel -> its optimised replacement: source, host preparation, scratch bytes
VARIANTS: dict[str, KernelVariant] = {
    "tfc_conv2d_s8": KernelVariant(_CONV, first.prepare_conv, conv.im2col_scratch),
    "tfc_conv2d_s8_first": KernelVariant(_FIRST, None, first.scratch),  # 1-3 in_c
    **{k: KernelVariant(_FIRST, None, first.scratch) for k in first.COMPRESSED.values()},  # (decoded.prepare)
    "tfc_conv2d_add_s8": KernelVariant(_CONV, conv.prepare_add, conv.im2col_scratch),
    # compressed weights (4-bit, sparse): decoded per channel block, then the dense pair loop
    **{k: KernelVariant(_DEC, decoded.prepare, decoded.scratch) for k in decoded.DEC_KERNELS},
    **{k: KernelVariant(_DEC, None, decoded.scratch) for k in decoded.DEC_KERNELS.values()
       if k not in decoded.DEC_KERNELS},
    "tfc_conv2d_s8_direct": KernelVariant(_DIRECT, None, conv.direct_scratch),  # chosen by after_plan
    "tfc_conv2d_s8_pw": KernelVariant("optimized/conv2d_s8_pw_opt.c", None, pointwise.scratch),  # after_plan
    pointwise.WIDE: KernelVariant("optimized/conv2d_s8_pw_opt.c", None, pointwise.scratch),  # after_plan, speed
    "tfc_conv2d_add_s8_direct": KernelVariant(_DIRECT, None, conv.direct_scratch),
    "tfc_depthwise_conv2d_s8": KernelVariant("optimized/depthwise_conv2d_s8_opt.c", depthwise.prepare,
                                             depthwise.scratch),
    "tfc_depthwise_conv2d_s8_planar": KernelVariant("optimized/depthwise_conv2d_s8_opt.c", None,
                                                    depthwise.scratch),  # named by depthwise.prepare
    # compressed planar depthwise: decoded per group of four channels (else the portable kernel)
    **{k: KernelVariant(f"depthwise_conv2d_s8_{k.rsplit('_', 1)[1]}.c", depthwise.prepare_compressed,
                        depthwise.scratch_compressed) for k in depthwise.PLANAR_COMPRESSED},
    **{k: KernelVariant("optimized/depthwise_conv2d_s8_opt.c", None, depthwise.scratch)
       for k in depthwise.PLANAR_COMPRESSED.values()},
    "tfc_fully_connected_s8": KernelVariant("optimized/fully_connected_s8_opt.c", fully_connected.prepare),
    "tfc_fully_connected_s8_wide": KernelVariant("optimized/fully_connected_s8_wide_opt.c"),  # after_plan, speed
    # 4-bit FULLY_CONNECTED: the index-byte table kernel where its tables pay, else the row kernel
    "tfc_fully_connected_s8_w4": KernelVariant("fully_connected_s8_w4.c", fc_compressed.prepare_w4),
    fc_compressed.W4_LUT: KernelVariant("optimized/fully_connected_s8_w4_opt.c"),
    fc_compressed.W4_ROW: KernelVariant("optimized/fully_connected_s8_cb_w4_opt.c"),  # small layers
    # sparse FULLY_CONNECTED: the nibble-dispatch kernel (else the portable one)
    "tfc_fully_connected_s8_sp": KernelVariant("fully_connected_s8_sp.c", fc_compressed.prepare_sp),
    fc_compressed.SP_NIB: KernelVariant("optimized/fully_connected_s8_sp_opt.c"),
    "tfc_add_s8": KernelVariant("optimized/binary_s8_opt.c", None, add.add_scratch),
    "tfc_mul_s8": KernelVariant("optimized/binary_s8_opt.c"),
    "tfc_avg_pool2d_s8": KernelVariant("optimized/pool2d_s8_opt.c"),
    "tfc_max_pool2d_s8": KernelVariant("optimized/pool2d_s8_opt.c"),
}


def after_plan(g: Graph, lowered: list[LoweredOp], plan: Plan, bare: Plan, in_arena: Plan | None,
               overlap: bool, layouts: Layouts = LOWEST, kset: KernelSet | None = None) -> tuple[list[LoweredOp], Plan]:
    """Direct windows where they lower the peak RAM (``layouts.direct_windows``: they cost flash and
    instructions), then pair codes (same data sizes: the plan stands), int16 FULLY_CONNECTED weights
    (``layouts.wide_fc``), then pixel triples where they do not raise the peak (``all_triples``:
    wherever they apply), and 1x1 triple layers on the pointwise kernel (:mod:`pointwise`; int16
    weights where ``layouts.wide_pw`` picks them). The
    preference's candidate layouts are in engine/optimize.py."""
    fitted, plan = block_fit.fit_blocks(g, lowered, plan, bare, overlap, kset)  # compressed convs: blocks, bands
    if fitted is not lowered:  # other ops' plans for the fitted list (banding may have merged pairs)
        lowered = fitted
        _, bare, in_arena = best_plan(g, lowered, overlap)
    if layouts.direct_windows:  # direct windows trade flash and instructions for RAM
        lowered, plan = direct_windows(g, lowered, plan, bare, in_arena, overlap)
    lowered = [conv.pair_codes(lo) for lo in lowered]
    if layouts.wide_fc:  # int16 FULLY_CONNECTED weights: flash for instructions (no RAM)
        lowered = [fully_connected.widen(lo) or lo if lo.kernel == "tfc_fully_connected_s8" else lo
                   for lo in lowered]
    lowered, plan = pixel_triples(g, lowered, plan, overlap, layouts.all_triples)
    # 1x1 triple layers: same sizes, the plan stands; int16 weights where layouts.wide_pw says (no RAM)
    lowered = pointwise.apply(lowered, layouts.wide_pw)
    return fully_connected.widen_inputs(g, lowered, plan, overlap)  # FC inputs widened where RAM allows


def same_layouts(lowered: list[LoweredOp], layouts: Layouts) -> bool:
    """Whether planning with ``layouts`` would give ``lowered`` (planned with the lowest layouts)
    again: no direct-window layer to keep on im2col, no layer (or banded part) left that pixel
    triples could take, no FULLY_CONNECTED to widen; then the compiler skips that candidate."""
    ops = [x for lo in lowered for x in (lo, *lo.parts)]
    return not ((not layouts.direct_windows and any(lo.kernel.endswith("_direct") for lo in ops))
                or (layouts.all_triples and any(conv.triples(lo) is not None for lo in ops))
                or (layouts.wide_fc and any(lo.kernel == "tfc_fully_connected_s8" for lo in ops))
                or (layouts.wide_pw is not None and bool(pointwise.pick(ops, layouts.wide_pw))))


def trim_triples(g: Graph, lowered: list[LoweredOp], plan: Plan,
                 overlap: bool) -> tuple[list[LoweredOp], Plan]:
    """After a pass that lowered the peak RAM (row banding), return pixel-triple layers to two
    pixels where their third window now sets the peak, largest scratch first, while that lowers it."""
    best = ram_with_stack(plan, lowered)
    cur = list(lowered)
    def pairs(lo: LoweredOp) -> LoweredOp | None:
        return conv.pairs_again(pointwise.undo(lo) or lo)

    order = sorted((k for k, lo in enumerate(cur) if pairs(lo) is not None), key=lambda k: -cur[k].scratch)
    for k in order:
        attempt = list(cur)
        attempt[k] = pairs(cur[k])
        p = best_plan(g, attempt, overlap)[0]
        if (ram := ram_with_stack(p, attempt)) < best:
            cur, plan, best = attempt, p, ram
    return cur, plan


def pixel_triples(g: Graph, lowered: list[LoweredOp], plan: Plan, overlap: bool,
                  everywhere: bool) -> tuple[list[LoweredOp], Plan]:
    """Pair-code convs three output pixels at a time (:func:`conv.triples`, a third window of
    scratch): all of them when ``everywhere``, else those whose scratch does not raise the peak RAM
    (all at once when that holds, else layer by layer)."""
    cand = {k: t for k, t in ((k, conv.triples(lo)) for k, lo in enumerate(lowered)) if t is not None}
    if not cand:
        return lowered, plan
    every = [cand.get(k, lo) for k, lo in enumerate(lowered)]
    trial = best_plan(g, every, overlap)[0]
    if everywhere:
        return every, trial
    base = ram_with_stack(plan, lowered)
    if ram_with_stack(trial, every) <= base:
        return every, trial
    cur = list(lowered)
    for k, lo in cand.items():
        attempt = list(cur)
        attempt[k] = lo
        p = best_plan(g, attempt, overlap)[0]
        if ram_with_stack(p, attempt) <= base:
            cur, plan = attempt, p
    return cur, plan


def taller_bands(g: Graph, lowered: list[LoweredOp], plan: Plan,
                 overlap: bool) -> tuple[list[LoweredOp], Plan]:
    """Planar depthwise layers in fewer, taller bands (:func:`depthwise.taller`) where that does not
    raise the peak RAM: all in one band when that holds, else layer by layer the fewest bands that
    fit."""
    cand = {k: t for k, t in ((k, depthwise.taller(lo)) for k, lo in enumerate(lowered)) if t}
    if not cand:
        return lowered, plan
    base = ram_with_stack(plan, lowered)
    every = [cand[k][0] if k in cand else lo for k, lo in enumerate(lowered)]
    trial = best_plan(g, every, overlap)[0]
    if ram_with_stack(trial, every) <= base:
        return every, trial
    cur = list(lowered)
    for k, options in cand.items():
        for lo in options:
            attempt = list(cur)
            attempt[k] = lo
            p = best_plan(g, attempt, overlap)[0]
            if ram_with_stack(p, attempt) <= base:
                cur, plan = attempt, p
                break
    return cur, plan


def direct_windows(g: Graph, lowered: list[LoweredOp], plan: Plan, bare: Plan, in_arena: Plan | None,
                   overlap: bool) -> tuple[list[LoweredOp], Plan]:
    """CONV_2D layers whose im2col scratch lies above the tensors' peak (the ``bare`` plan) read their
    windows straight from the input instead (:func:`conv.direct`: small scratch, wider weights in
    flash), when that lowers the peak RAM; switches that do not matter are undone."""
    best = ram_with_stack(plan, lowered)
    if best <= bare.arena_bytes or in_arena is None:
        return lowered, plan
    cur, switched, placed = list(lowered), set(), in_arena
    for _ in range(len(lowered)):  # switch the layers whose scratch sits above the tensors, re-plan
        new = {k: conv.direct(cur[k]) for k, off in placed.scratch_offsets.items()
               if k not in switched and off + cur[k].scratch > bare.arena_bytes}
        new = {k: lo for k, lo in new.items() if lo is not None}
        if not new and not switched:  # the scratch pushed tensors up instead: try every layer
            new = {k: lo for k, lo in ((k, conv.direct(lo)) for k, lo in enumerate(cur)) if lo is not None}
        if not new:
            break
        for k, lo in new.items():
            cur[k] = lo
        switched |= set(new)
        placed = plan_arena(g, cur, use_overlap=overlap, scratch=True)
    if not switched:
        return lowered, plan
    trial = best_plan(g, cur, overlap)[0]
    if ram_with_stack(trial, cur) >= best:
        return lowered, plan
    for k in sorted(switched):  # keep only the switches the peak needs
        back = list(cur)
        back[k] = lowered[k]
        p = best_plan(g, back, overlap)[0]
        if ram_with_stack(p, back) <= ram_with_stack(trial, cur):
            cur, trial = back, p
    return cur, trial


KERNEL_SET = KernelSet("optimized", VARIANTS,
                       headers=("optimized/tfc_dsp.h", "optimized/tfc_add_opt.h", "optimized/tfc_conv_opt.h",
                                "optimized/tfc_fc_opt.h"),
                       after_plan=after_plan, bands=True, model_headers=variants.model_headers)
