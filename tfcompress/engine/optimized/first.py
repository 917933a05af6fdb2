"""CONV_2D with few input channels (first layers: RGB images, spectrograms) for the optimised kernels.

``tfc_conv2d_s8_first`` (``firmware/engine/optimized/conv2d_s8_first_opt.c``): per pair of output
pixels, each kernel row of the two windows is read a word at a time straight from the input and
widened with SXTB16 into an interleaved int16 window (no byte gather); then every block of four
output channels is a 2-pixel x 4-channel SMLAD block (11 instructions per 16 MACs) on int16
weights doubled on the host, so the accumulator is already ``2 * acc`` for the requantisation,
which is shared by the two pixels and stored a word (four channels) at a time.

Window layout (:func:`window_taps`): per kernel row (``seg = k_w * in_c`` bytes) and input word
j the SXTB16 halfword pairs of taps (4j, 4j + 2), then (4j + 1, 4j + 3); when ``seg % 4 == 1``
(3x3x3) a row's last word holds one tap, so the last taps of two consecutive rows share one word
after the second row's (a 3x3x3 window is 14 words for 27 taps). Taps past a row read whatever
follows it; their weights are zero. Weights per block of four channels: per window word four
int16x2 words (channels c .. c + 3).

The rq table holds ``requant.rq_table``'s entries regrouped per block of four channels (:func:`block_rq`).

Compressed first layers (``tfc_conv2d_s8_first_w4`` / ``_sp``, :func:`prepare_compressed`) keep
their 4-bit indices or bitmap + values as stored; the kernel decodes them once per inference into
its scratch in the layout above (a few hundred weights), through the tap table (:func:`tap_table`)
appended to the rq table, then runs the dense kernel's code on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.engine.kernel_limits import RQ_FAST
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.optimized import conv
from tfcompress.engine.optimized.requant import acc_bound, add_rq, rq_table, trim

KERNEL = "tfc_conv2d_s8_first"
#: compressed CONV_2D -> its first-layer kernel (weights decoded per inference)
COMPRESSED = {"tfc_conv2d_s8_w4": "tfc_conv2d_s8_first_w4", "tfc_conv2d_s8_sp": "tfc_conv2d_s8_first_sp"}
#: largest window (int16x2 words of the layout) the kernel takes
MAX_STEPS = 160
#: input channel counts the kernel is for (channels in whole words take the im2col / direct paths)
IN_CHANNELS = (1, 2, 3)


def window_taps(f: dict[str, Any]) -> list[tuple[int | None, int | None]]:
    """The window layout: per int16x2 word the two taps (indices into ``k_h * k_w * in_c``; None:
    a zero weight) it pairs, in the kernel's order (module docstring)."""
    seg, kh = f["k_w"] * f["in_c"], f["k_h"]
    nl, paired = (seg + 3) // 4, seg % 4 == 1

    def tap(r: int, t: int) -> int | None:
        return r * seg + t if t < seg else None

    words: list[tuple[int | None, int | None]] = []
    for r in range(kh):
        for j in range(nl - 1 if paired else nl):
            words += [(tap(r, 4 * j), tap(r, 4 * j + 2)), (tap(r, 4 * j + 1), tap(r, 4 * j + 3))]
        if paired and r % 2 == 1:
            words.append((tap(r - 1, seg - 1), tap(r, seg - 1)))
    if paired and kh % 2 == 1:
        words.append((tap(kh - 1, seg - 1), None))
    return words


def steps(f: dict[str, Any]) -> int:
    """int16x2 words of one window (the inner loop's trip count)."""
    return len(window_taps(f))


def applies(lo: LoweredOp) -> bool:
    """Whether a (not yet specialised) CONV_2D takes the few-channel kernel: 1-3 input channels, no
    dilation, output channels in whole words, window within :data:`MAX_STEPS` (the fast
    requantisation is checked on the rq table by :func:`prepare`)."""
    f = lo.fields
    return (lo.kernel in ("tfc_conv2d_s8", *COMPRESSED) and bool(lo.struct) and f["in_c"] in IN_CHANNELS
            and f["dil_h"] == 1 and f["dil_w"] == 1 and f["out_c"] % 4 == 0 and steps(f) <= MAX_STEPS)


def scratch(lo: LoweredOp) -> int:
    """Two interleaved int16 windows, and two gathered byte windows (k_h rows of whole words) for
    windows that leave the input; compressed: + the decoded weights and one decoded channel row."""
    f = lo.fields
    n = 8 * steps(f) + 8 * f["k_h"] * ((f["k_w"] * f["in_c"] + 3) // 4)
    if lo.kernel in COMPRESSED.values():
        n += 4 * f["out_c"] * steps(f) + (f["k_h"] * f["k_w"] * f["in_c"] + 4) // 4 * 4
    return n


def tap_table(f: dict[str, Any]) -> np.ndarray:
    """int32 per window word: its two taps (:func:`window_taps`) as the low and high halfword, K =
    k_h * k_w * in_c for a zero weight (the kernel's decoded row ends with a zero)."""
    k = f["k_h"] * f["k_w"] * f["in_c"]
    t = np.array([[k if x is None else x for x in pair] for pair in window_taps(f)], np.int64)
    return (t[:, 0] | t[:, 1] << 16).astype(np.int32)


def layout(w: np.ndarray, f: dict[str, Any]) -> np.ndarray:
    """int16 weights ``[oc/4][steps][4]`` (doubled) from ``w`` = ``[oc][k_h * k_w * in_c]``."""
    oc = len(w)
    wz = np.concatenate([2 * w.astype(np.int64), np.zeros((oc, 1), np.int64)], axis=1)  # column -1: zero
    idx = np.array([[-1 if t is None else t for t in pair] for pair in window_taps(f)])  # [steps][2]
    words = wz[:, idx]  # [oc][steps][2]
    words = words.reshape(oc // 4, 4, len(idx), 2).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(words).astype("<i2").reshape(-1)


def block_rq(table: np.ndarray) -> np.ndarray:
    """The kernel's rq entries from ``rq_table``'s per-channel ``[m, rs, rnd, bias]`` rows: per block
    of four channels the four doubled biases, then per channel ``m, rs, rnd``."""
    t = table.astype(np.int64).reshape(-1, 4, 4)
    return np.concatenate([2 * t[:, :, 3], t[:, :, :3].reshape(-1, 12)], axis=1).reshape(-1).astype(np.int32)


def prepare(lo: LoweredOp) -> LoweredOp | None:
    """The few-channel variant of a CONV_2D (weights and rq table as the module docstring says), or
    None when it does not apply (not :func:`applies`, or the requantisation is not provably fast)."""
    if lo.kernel != "tfc_conv2d_s8" or not applies(lo):
        return None
    return _prepare(lo, lo.array("weights").data.reshape(lo.fields["out_c"], -1))


def prepare_compressed(lo: LoweredOp, w: np.ndarray) -> LoweredOp | None:
    """A 4-bit / sparse CONV_2D (``w``: its decoded ``[oc][K]`` int8 weights) on the few-channel
    kernel, decoding its weights per inference (module docstring), or None when it does not apply.
    ``mult`` / ``shift`` must hold one entry per channel."""
    if lo.kernel not in COMPRESSED or not applies(lo):
        return None
    return _prepare(lo, w)


def _prepare(lo: LoweredOp, w: np.ndarray) -> LoweredOp | None:
    f = lo.fields
    oc = f["out_c"]
    bias = lo.array("bias").data
    rq = rq_table(lo.array("mult").data, lo.array("shift").data, acc_bound(w, bias), bias,
                  ~w.any(axis=1), oc, f["out_zp"])
    if not rq[0] & RQ_FAST:
        return None
    table = rq.reshape(-1, 4)[1:]
    if np.any(np.abs(2 * table[:, 3].astype(np.int64)) >= 2**31):
        return None
    rq = np.concatenate([rq[:4], block_rq(table)])
    if lo.kernel in COMPRESSED:  # weights stay compressed; the tap table follows the blocks
        lo.kernel = COMPRESSED[lo.kernel]
        rq = np.concatenate([rq, tap_table(f)])
    else:
        lo.kernel = KERNEL
        lo.replace_array("weights", layout(w, f).view(np.int8))
    add_rq(lo, rq)
    trim(lo)
    lo.scratch = scratch(lo)
    return lo


def prepare_conv(lo: LoweredOp) -> LoweredOp:
    """CONV_2D: the few-channel kernel where it applies (:func:`prepare`), else the im2col layout."""
    return prepare(lo) or conv.prepare(lo)
