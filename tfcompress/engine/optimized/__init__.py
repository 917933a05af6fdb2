"""The optimised (Cortex-M4/M7 DSP) kernel set: its kernels as data, and the host-side preparation
of the constant data they read (``firmware/engine/optimized/``).

The optimised kernels have the same C entry points and parameter blocks as the reference ones;
what differs is the constant data the generator emits for them, prepared per kernel after
lowering (``conv``, ``depthwise``, ``fully_connected``, ``add``; the shared requantisation table
in ``requant``), and their working memory, which the planner places in the arena. Where a
CONV_2D's im2col scratch still raises the peak RAM after planning, :func:`after_plan` switches
that layer to the direct-window kernels. Constants shared with the C sources live in
``engine/kernel_limits.py``. Bit-exactness with the reference kernels is the contract
(tests/test_perf_kernels.py).
"""

from __future__ import annotations

from tfcompress.engine.ir import Graph
from tfcompress.engine.kernel_set import KernelSet, KernelVariant
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.optimized import add, conv, decoded, depthwise, fully_connected
from tfcompress.engine.planner import Plan, best_plan, plan_arena, ram_with_stack

_CONV = "optimized/conv2d_s8_opt.c"
_DIRECT = "optimized/conv2d_s8_direct_opt.c"
_DEC = "optimized/conv2d_s8_dec_opt.c"

#: C kernel -> its optimised replacement: source, host preparation, scratch bytes
VARIANTS: dict[str, KernelVariant] = {
    "tfc_conv2d_s8": KernelVariant(_CONV, conv.prepare, conv.im2col_scratch),
    "tfc_conv2d_add_s8": KernelVariant(_CONV, conv.prepare_add, conv.im2col_scratch),
    # compressed weights (4-bit, sparse): decoded per channel block, then the dense pair loop
    **{k: KernelVariant(_DEC, decoded.prepare, decoded.scratch) for k in decoded.DEC_KERNELS},
    **{k: KernelVariant(_DEC, None, decoded.scratch) for k in decoded.DEC_KERNELS.values()
       if k not in decoded.DEC_KERNELS},
    "tfc_conv2d_s8_direct": KernelVariant(_DIRECT, None, conv.direct_scratch),  # chosen by after_plan
    "tfc_conv2d_add_s8_direct": KernelVariant(_DIRECT, None, conv.direct_scratch),
    "tfc_depthwise_conv2d_s8": KernelVariant("optimized/depthwise_conv2d_s8_opt.c", depthwise.prepare,
                                             depthwise.scratch),
    "tfc_fully_connected_s8": KernelVariant("optimized/fully_connected_s8_opt.c", fully_connected.prepare),
    "tfc_add_s8": KernelVariant("optimized/binary_s8_opt.c", None, add.add_scratch),
    "tfc_mul_s8": KernelVariant("optimized/binary_s8_opt.c"),
    "tfc_avg_pool2d_s8": KernelVariant("optimized/pool2d_s8_opt.c"),
    "tfc_max_pool2d_s8": KernelVariant("optimized/pool2d_s8_opt.c"),
}


def after_plan(g: Graph, lowered: list[LoweredOp], plan: Plan, bare: Plan, in_arena: Plan | None,
               overlap: bool) -> tuple[list[LoweredOp], Plan]:
    """Direct windows where they lower the peak RAM, then pair codes (same data sizes: the plan stands)."""
    lowered, plan = decoded.fit_blocks(g, lowered, plan, bare, overlap)  # compressed convs: blocks within the peak
    lowered, plan = direct_windows(g, lowered, plan, bare, in_arena, overlap)
    return [conv.pair_codes(lo) for lo in lowered], plan


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
                       headers=("optimized/tfc_dsp.h", "optimized/tfc_add_opt.h", "optimized/tfc_conv_opt.h"),
                       after_plan=after_plan)
