"""Pointwise CONV_2D (``tfc_conv2d_s8_pw``, firmware/engine/optimized/conv2d_s8_pw_opt.c).

Chosen after planning (:func:`apply`) for 1x1 convolutions (stride 1, no padding) already on the
pixel-triple pair-code path (``conv.triples``: ``RQ_FAST | RQ_PAIR | RQ_TRIPLE``), with input
channels in whole words, an even output channel count and an activation range that is all of int8
(the kernel stores SSAT results without a further clamp). The weights and the per-channel
requantisation table become one stream per channel pair, read by a single pointer:
``[bias(c + 1)] + pair-code words + [2 bias(c), m(c), rs(c), rnd(c), m(c + 1), rs(c + 1), rnd(c + 1)]``;
the ``rq`` array keeps only its header. Same flash, same scratch (three int16 windows) as the
triple layer it replaces, so the plan stands; :func:`undo` restores that layer.

Where the preference's rule says (``Layouts.wide_pw``, engine/optimize.py: every layer under
``speed``, the cheap ones in flash under ``balanced``; :func:`pick`) :func:`widen` puts a pointwise layer on int16
weights (``tfc_conv2d_s8_pw16``, twice the weight flash, same scratch): per channel pair
``[2 bias(c), 2 bias(c + 1)]``, per window word (inputs ``4g, 4g + 2``, then ``4g + 1, 4g + 3``) the
doubled int16 weight pairs of ``c`` and ``c + 1``, then ``[m, rs, rnd]`` of ``c`` and of ``c + 1``:
the accumulators come out doubled, with no pair-code separation (24 MACs in 16 instructions).
"""

from __future__ import annotations

import math

import numpy as np

from tfcompress.engine.kernel_limits import RQ_FAST, RQ_PAIR, RQ_ROWS, RQ_TRIPLE
from tfcompress.engine.lowered import LoweredOp, walk
from tfcompress.engine.optimize import WidePw
from tfcompress.engine.optimized import conv

KERNEL = "tfc_conv2d_s8_pw"
WIDE = "tfc_conv2d_s8_pw16"
_FLAGS = RQ_FAST | RQ_PAIR | RQ_TRIPLE
_HEADER = 4  # rq header words (TFC_RQ_HEADER)
_HEAD, _TAIL = 1, 7  # stream words before / after a pair's weight words
#: instructions int16 weights save per channel pair and pixel triple (a pair or single pixel left
#: counts as one): one per group of four inputs (24 MACs in 16 instead of 17) plus the shorter tail
#: (no pair-code separation); measured on QEMU mps2-an500 -O2, exact on VWW's and KWS's layers
_GAIN_PER_GROUP, _GAIN_PER_TRIPLE = 1, 9


def ok(lo: LoweredOp) -> bool:
    """Whether ``lo`` (a prepared optimised CONV_2D) can take the pointwise kernel."""
    f = lo.fields
    rq = f.get("rq")
    if lo.kernel != "tfc_conv2d_s8" or rq is None or "weights" not in f:
        return False
    flags = int(rq.data[0])
    one = (f["k_h"], f["k_w"], f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"]) == (1, 1, 1, 1, 0, 0)
    return (flags & _FLAGS == _FLAGS and not flags & RQ_ROWS and one and f["in_c"] % 4 == 0
            and f["out_c"] % 2 == 0 and f["act_min"] <= -128 and f["act_max"] >= 127)


def scratch(lo: LoweredOp) -> int:
    """Three int16 windows of ``in_c`` inputs."""
    return 6 * lo.fields["in_c"]


def _dead_channels(table: np.ndarray, dead0: np.ndarray, dead1: np.ndarray) -> np.ndarray:
    """A channel with all-zero weights has the constant accumulator ``bias`` and a constant rq entry
    (requant.rq_table: m = 0, rs = 1, rnd = 2 v + (bias < 0)); its bias (up to 2^30 in pruned
    models, which would wrap once doubled) becomes 0 and rnd 2 v, the same output."""
    table = table.copy()
    for c, dead in ((0, dead0), (1, dead1)):
        e = table[:, c]
        fix = dead & (e[:, 0] == 0)
        e[fix, 2] -= (e[fix, 3] < 0).astype(np.int64)
        e[fix, 3] = 0
    return table


def _halves(words: np.ndarray) -> np.ndarray:
    """(rows, 2 n) signed int16 halves, low half first, of (rows, n) words (int64 holding int32)."""
    return np.stack([((words & 0xFFFF) ^ 0x8000) - 0x8000, words >> 16], axis=2).reshape(words.shape[0], -1)


def convert(lo: LoweredOp) -> LoweredOp | None:
    """The pointwise-kernel variant of ``lo``, or None when it does not qualify (:func:`ok`)."""
    if not ok(lo):
        return None
    f = lo.fields
    pairs, groups = f["out_c"] // 2, f["in_c"] // 4
    rq = f["rq"].data
    table = rq[_HEADER:].astype(np.int64).reshape(-1, 2, 4)[:pairs]  # [pair][channel][m, rs, rnd, bias]
    words = np.frombuffer(f["weights"].data.tobytes(), "<i4").astype(np.int64).reshape(pairs, 2 * groups)
    halves = _halves(words)  # h = 256 a + b
    b = ((halves & 0xFF) ^ 0x80) - 0x80
    a = (halves - b) // 256
    table = _dead_channels(table, ~a.any(axis=1), ~b.any(axis=1))
    head = table[:, 1, 3:4]
    tail = np.concatenate([2 * table[:, 0, 3:4], table[:, 0, :3], table[:, 1, :3]], axis=1)
    stream = np.concatenate([head, words, tail], axis=1).reshape(-1)
    if np.abs(stream).max(initial=0) >= 2**31:
        return None
    new = lo.copy()
    new.kernel = KERNEL
    new.replace_array("weights", stream.astype("<i4").view(np.int8))
    new.replace_array("rq", rq[:_HEADER].copy())
    new.scratch = scratch(new)
    return new


def _pack(lo16: np.ndarray, hi16: np.ndarray) -> np.ndarray:
    """Words of two int16 halves."""
    return (lo16 & 0xFFFF) | ((hi16 & 0xFFFF) << 16)


def _stream(lo: LoweredOp) -> tuple[int, int, np.ndarray]:
    """A pointwise layer's channel pairs, groups of four inputs and weight stream (one row of int32
    words, as int64, per channel pair)."""
    f = lo.fields
    pairs = f["out_c"] // 2
    stream = np.frombuffer(f["weights"].data.tobytes(), "<i4").astype(np.int64).reshape(pairs, -1)
    return pairs, f["in_c"] // 4, stream


def widen(lo: LoweredOp) -> LoweredOp | None:
    """The int16-weight variant (:data:`WIDE`) of pointwise layer ``lo`` (None: ``lo`` is not one)."""
    if lo.kernel != KERNEL:
        return None
    pairs, groups, stream = _stream(lo)
    words, tail = stream[:, _HEAD:_HEAD + 2 * groups], stream[:, _HEAD + 2 * groups:]
    halves = _halves(words)
    b = ((halves & 0xFF) ^ 0x80) - 0x80
    a = (halves - b) // 256  # halves [word][half]: channel c weights a, c + 1 weights b
    wa, wb = _pack(2 * a[:, 0::2], 2 * a[:, 1::2]), _pack(2 * b[:, 0::2], 2 * b[:, 1::2])
    body = np.stack([wa, wb], axis=2).reshape(pairs, -1)
    bias2 = np.stack([tail[:, 0], 2 * stream[:, 0]], axis=1)
    if np.abs(bias2).max(initial=0) >= 2**31:
        return None
    out = np.concatenate([bias2, body, tail[:, 1:]], axis=1).reshape(-1)
    new = lo.copy()
    new.kernel = WIDE
    new.replace_array("weights", (out & 0xFFFFFFFF).astype("<u4").view(np.int8))
    return new


def narrow(lo: LoweredOp) -> LoweredOp | None:
    """The pair-code pointwise layer an int16-weight one (:func:`widen`) was made from (else None)."""
    if lo.kernel != WIDE:
        return None
    pairs, groups, stream = _stream(lo)
    body = stream[:, 2:2 + 4 * groups].reshape(pairs, -1, 2)
    halves = [_halves(w) // 2 for w in (body[:, :, 0], body[:, :, 1])]
    h = 256 * halves[0] + halves[1]
    words = ((h[:, 0::2] & 0xFFFF) | (h[:, 1::2] << 16)) & 0xFFFFFFFF
    words = words - (words >= 2**31) * 2**32
    tail = np.concatenate([stream[:, 0:1], stream[:, 2 + 4 * groups:]], axis=1)
    out = np.concatenate([stream[:, 1:2] // 2, words, tail], axis=1).reshape(-1)
    new = lo.copy()
    new.kernel = KERNEL
    new.replace_array("weights", out.astype("<i4").view(np.int8))
    return new


def undo(lo: LoweredOp) -> LoweredOp | None:
    """The pixel-triple ``tfc_conv2d_s8`` layer ``lo`` was made from (None: ``lo`` is not pointwise)."""
    lo = narrow(lo) or lo
    if lo.kernel != KERNEL:
        return None
    pairs, groups, stream = _stream(lo)
    words, tail = stream[:, _HEAD:_HEAD + 2 * groups], stream[:, _HEAD + 2 * groups:]
    c0 = np.concatenate([tail[:, 1:4], tail[:, 0:1] // 2], axis=1)
    c1 = np.concatenate([tail[:, 4:7], stream[:, 0:1]], axis=1)
    table = np.stack([c0, c1], axis=1).reshape(-1)
    new = lo.copy()
    new.kernel = "tfc_conv2d_s8"
    new.replace_array("weights", words.astype("<i4").reshape(-1).view(np.int8))
    new.replace_array("rq", np.concatenate([lo.fields["rq"].data[:_HEADER], table]).astype(np.int32))
    new.scratch = conv.im2col_scratch(new)
    return new


def apply(lowered: list[LoweredOp], wide: WidePw | None = None) -> list[LoweredOp]:
    """Every qualifying layer on the pointwise kernel (same data and scratch sizes: the plan stands),
    on int16 weights those the rule ``wide`` picks (:func:`pick`; None: none)."""
    lowered = [convert(lo) or lo for lo in lowered]
    chosen = pick(lowered, wide) if wide is not None else set()
    return [widen(lo) or lo if k in chosen else lo for k, lo in enumerate(lowered)]


def gain(lo: LoweredOp) -> int:
    """Estimated instructions a pointwise layer saves on int16 weights (:data:`_GAIN_PER_TRIPLE`)."""
    f = lo.fields
    triples = -(-f["out_h"] * f["out_w"] * f["batches"] // 3)
    return f["out_c"] // 2 * triples * (_GAIN_PER_GROUP * f["in_c"] // 4 + _GAIN_PER_TRIPLE)


def extra_bytes(lo: LoweredOp) -> int:
    """Flash int16 weights add to a pointwise layer: one byte per weight (``in_c`` x ``out_c``)."""
    return lo.fields["in_c"] * lo.fields["out_c"]


def pick(lowered: list[LoweredOp], rule: WidePw) -> set[int]:
    """Indices of the pointwise layers of ``lowered`` that ``rule`` widens: best :func:`gain` per
    :func:`extra_bytes` first (ties: lower index), each saving at least ``rule.min_gain`` per byte,
    while the extra bytes fit within ``rule.share`` of all constant bytes (a layer that does not
    fit is skipped); layers whose doubled biases would wrap are left out."""
    arrays = {id(a): a.nbytes for x in walk(lowered) for a in x.arrays}  # a band driver holds its parts'
    budget = math.inf if math.isinf(rule.share) else rule.share * sum(arrays.values())
    cands = [(gain(lo) / extra_bytes(lo), k) for k, lo in enumerate(lowered)
             if lo.kernel == KERNEL and gain(lo) >= rule.min_gain * extra_bytes(lo)]
    chosen: set[int] = set()
    spent = 0
    for _, k in sorted(cands, key=lambda c: (-c[0], c[1])):
        cost = extra_bytes(lowered[k])
        if spent + cost <= budget and widen(lowered[k]) is not None:
            chosen.add(k)
            spent += cost
    return chosen
