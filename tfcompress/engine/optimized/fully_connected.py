"""FULLY_CONNECTED for the optimised kernels: weights in blocks of four rows per group of four
inputs, zero-padded (bias likewise); pair codes (``RQ_PAIR``) when exact: rows (0, 1) and (2, 3)
of a block share each int16 half as ``256 * a + b``; otherwise ``[out/4][in/4][4][4]`` bytes.
Layers on the kernel's fast path (:func:`fast_path`) keep their bias per block as
``(b1, b3, 2 b0, 2 b2)``: the accumulators' start values, then row A's doubled bias; after
planning, those whose widened input (``2 * in_depth`` bytes of scratch) does not raise the peak
RAM read it from there (:func:`widen_inputs`)."""

from __future__ import annotations

import numpy as np

from tfcompress.engine.ir import Graph
from tfcompress.engine.kernel_limits import RQ_FAST, RQ_PAIR, RQ_WIDE
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.optimized.requant import acc_bound, add_rq, pad_to, rq_shared, rq_table, trim
from tfcompress.engine.planner import Plan, best_plan, ram_with_stack


def prepare(lo: LoweredOp) -> LoweredOp:
    f = lo.fields
    n_out, n_in = f["out_depth"], f["in_depth"]
    w = lo.array("weights").data.reshape(n_out, n_in)
    bias = lo.array("bias").data
    bound = acc_bound(w, bias)
    ip, op = (n_in + 3) // 4 * 4, (n_out + 3) // 4 * 4
    wp = pad_to(pad_to(w, ip, 1), op, 0)
    pair = pairs_ok(wp)
    layout = pair_words(wp) if pair else wp.reshape(op // 4, 4, ip // 4, 4).transpose(0, 2, 1, 3).astype(np.int8)
    lo.replace_array("weights", np.ascontiguousarray(layout).reshape(-1).view(np.int8))
    lo.replace_array("bias", pad_to(bias, op).astype(np.int32))
    mult, shift = lo.array("mult").data, lo.array("shift").data
    if f["per_channel"]:
        rq = rq_table(mult, shift, bound, bias, ~w.any(axis=1), op, f["out_zp"])
    else:
        rq = rq_shared(int(mult[0]), int(shift[0]), bound, f["out_zp"])
    rq[0] |= RQ_PAIR if pair else 0
    add_rq(lo, rq)
    trim(lo, keep_bias=True)
    if fast_path(lo):
        lo.replace_array("bias", block_bias(lo.array("bias").data))
    return lo


def fast_path(lo: LoweredOp) -> bool:
    """Whether the prepared layer takes the kernel's hot path (pair codes, fast requantisation,
    inputs and outputs in multiples of four): the condition ``tfc_fully_connected_s8`` tests."""
    if lo.kernel != "tfc_fully_connected_s8":
        return False
    f, rq = lo.fields, int(lo.array("rq").data[0])
    return (bool(rq & RQ_PAIR) and bool(rq & RQ_FAST)
            and f["in_depth"] % 4 == 0 and f["in_depth"] > 0 and f["out_depth"] % 4 == 0)


def block_bias(bias: np.ndarray) -> np.ndarray:
    """Per block of four rows ``(b1, b3, 2 b0, 2 b2)`` (the fast path's order; 2 b fits: RQ_FAST)."""
    b = bias.astype(np.int64).reshape(-1, 4)
    return np.stack([b[:, 1], b[:, 3], 2 * b[:, 0], 2 * b[:, 2]], axis=1).reshape(-1).astype(np.int32)


def plain_bias(bias: np.ndarray) -> np.ndarray:
    """The inverse of :func:`block_bias`."""
    b = bias.astype(np.int64).reshape(-1, 4)
    return np.stack([b[:, 2] // 2, b[:, 0], b[:, 3] // 2, b[:, 1]], axis=1).reshape(-1).astype(np.int32)


#: kernels that always take the fast path and read p->scratch as the widened input when given
WIDENED_INPUT = ("tfc_fully_connected_s8_wide", "tfc_fully_connected_s8_lut_w4", "tfc_fully_connected_s8_nib_sp",
                 "tfc_fully_connected_s8_cb_w4")
#: kernels that pass over their input once per output row (the others: per block of four rows)
ROW_PASSES = ("tfc_fully_connected_s8_nib_sp", "tfc_fully_connected_s8_cb_w4")


#: instructions per group of four inputs the widening costs (and must be beaten by 2 per pass)
MIN_WIDEN_GAIN = 6


def input_scratch(lo: LoweredOp) -> LoweredOp | None:
    """The fast-path layer reading its input widened once into int16 scratch (14 instructions per
    16 MACs instead of 16; int16 weights: 11 instead of 13); None when the layer is not on that path
    or has too few passes over its input to repay the widening (~6 instructions per group of four
    inputs against 2 saved per group and pass: blocks of four rows, or rows for the sparse kernel)."""
    if not (fast_path(lo) or lo.kernel in WIDENED_INPUT) or lo.scratch:
        return None
    passes = lo.fields["out_depth"] // (1 if lo.kernel in ROW_PASSES else 4)
    if 2 * passes <= MIN_WIDEN_GAIN:
        return None
    new = lo.copy()
    new.scratch = 2 * lo.fields["in_depth"]
    return new


def widen_inputs(g: Graph, lowered: list[LoweredOp], plan: Plan, overlap: bool) -> tuple[list[LoweredOp], Plan]:
    """Widened inputs (:func:`input_scratch`) for the FULLY_CONNECTED layers whose scratch does not
    raise the peak RAM: all at once when that holds, else layer by layer."""
    cand = {k: t for k, t in ((k, input_scratch(lo)) for k, lo in enumerate(lowered)) if t is not None}
    if not cand:
        return lowered, plan
    base = ram_with_stack(plan, lowered)
    every = [cand.get(k, lo) for k, lo in enumerate(lowered)]
    trial = best_plan(g, every, overlap)[0]
    if ram_with_stack(trial, every) <= base and all(k in trial.scratch_offsets for k in cand):
        return every, trial
    cur = list(lowered)
    for k, lo in cand.items():
        attempt = list(cur)
        attempt[k] = lo
        p = best_plan(g, attempt, overlap)[0]
        if ram_with_stack(p, attempt) <= base and k in p.scratch_offsets:
            cur, plan = attempt, p
    return cur, plan


def pairs_ok(w: np.ndarray) -> bool:
    """Whether the pair-code layout is exact for ``w`` ([rows, inputs], rows a multiple of four):
    rows 0 and 2 of each block (the ``a`` rows) need ``256 * a + b`` to fit int16 (``a > -128``
    where ``b < 0``) and ``|dot(a, x)| < 2^23`` for every int8 input."""
    w = w.astype(np.int64)
    a, b = w[0::2], w[1::2]
    return bool(np.all((a > -128) | (b >= 0)) and np.all(128 * np.abs(a).sum(axis=1) < 2**23))


def pair_words(w: np.ndarray) -> np.ndarray:
    """[rows/4][inputs/4][4] int16x2 words: per block and group of inputs (i0..i3), for the row
    pairs (0, 1) and (2, 3): ``(h(i0), h(i2)), (h(i1), h(i3))`` with ``h = 256 * a + b`` (the halves
    SMLAD meets after SXTB16 splits the input word into (x0, x2) and (x1, x3))."""
    rows, n = w.shape
    h = (256 * w[0::2].astype(np.int64) + w[1::2]).reshape(rows // 4, 2, n // 4, 4)  # [blk][pair][g][i]
    halves = h[..., [0, 2, 1, 3]].reshape(rows // 4, 2, n // 4, 2, 2)             # [blk][pair][g][xl/xh][lo/hi]
    words = halves.transpose(0, 2, 1, 3, 4)                                          # [blk][g][pair][xl/xh][lo/hi]
    return np.ascontiguousarray(words).astype("<i2")


def unpack(lo: LoweredOp) -> np.ndarray:
    """The padded weights [rows, inputs] of a prepared FULLY_CONNECTED (either layout)."""
    f = lo.fields
    ip, op = (f["in_depth"] + 3) // 4 * 4, (f["out_depth"] + 3) // 4 * 4
    data = lo.array("weights").data
    if not int(lo.array("rq").data[0]) & RQ_PAIR:
        return data.reshape(op // 4, ip // 4, 4, 4).transpose(0, 2, 1, 3).reshape(op, ip).astype(np.int64)
    h = data.view("<i2").reshape(op // 4, ip // 4, 2, 2, 2).astype(np.int64)  # [blk][g][pair][xl/xh][lo/hi]
    h = h.transpose(0, 2, 1, 3, 4).reshape(op // 4, 2, ip // 4, 4)[..., [0, 2, 1, 3]]  # [blk][pair][g][i]
    b = ((h & 0xFF) ^ 0x80) - 0x80
    a = (h - b) >> 8
    w = np.stack([a, b], axis=2).reshape(op // 4, 2, 2, ip)  # [blk][pair][a/b][inputs]
    return w.reshape(op, ip)


def widen(lo: LoweredOp) -> LoweredOp | None:
    """The int16-weight variant of a prepared FULLY_CONNECTED on the fast path (``RQ_WIDE``, for
    ``optimize = "speed"``): per block of four rows and group of four inputs, per row the words
    ``(w0, w2), (w1, w3)`` SMLAD meets after SXTB16 splits the input word: 13 instructions per 16
    MACs instead of 16, twice the weight flash (kernel ``tfc_fully_connected_s8_wide``, linked only
    into models that use it). None when the layer is not on that path."""
    f = lo.fields
    rq = lo.array("rq").data
    if lo.kernel != "tfc_fully_connected_s8" or not rq[0] & RQ_FAST or f["in_depth"] % 4 or f["out_depth"] % 4:
        return None
    w = unpack(lo)
    op, ip = w.shape
    words = w.reshape(op // 4, 4, ip // 4, 4)[..., [0, 2, 1, 3]].transpose(0, 2, 1, 3)  # [blk][g][row][w0 w2 w1 w3]
    new = lo.copy()
    new.kernel = "tfc_fully_connected_s8_wide"
    new.replace_array("bias", plain_bias(lo.array("bias").data))
    new.replace_array("weights", np.ascontiguousarray(words).astype("<i2").reshape(-1).view(np.int8))
    table = rq.copy()
    table[0] = (table[0] & ~RQ_PAIR) | RQ_WIDE
    new.replace_array("rq", table)
    return new
