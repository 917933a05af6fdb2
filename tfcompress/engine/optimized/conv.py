"""CONV_2D (and CONV_2D+ADD) for the optimised kernels: weight layouts, pair codes, direct windows.

* Weights re-laid out for two output channels at a time, interleaved per group of four window
  positions (``[oc/2][K/4][2][4]``, K = kh*kw*in_c zero-padded to a multiple of four), output
  channels padded to an even count (zero weights, zero bias); the rq table (``requant.py``).
* Pair codes (:func:`pair_codes`, fast layers with K >= ``PAIR_MIN_K``): per channel pair and
  group of four positions two int16x2 words of ``h = 256 w[c] + w[c + 1]`` (``RQ_PAIR``).
* CONV_2D+ADD: the conv's data, plus the ADD's two tables in flash (``add.tables_into_flash``).
* Direct windows (:func:`direct`): windows read straight from the input (int16 weights, a small
  border buffer), chosen after planning for the layers whose im2col scratch raises the peak RAM.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.engine.kernel_limits import CONV_MAX_K, RQ_FAST, RQ_PAIR, RQ_ROWS, RQ_TRIPLE
from tfcompress.engine.lowered import LoweredOp
from tfcompress.engine.optimized import fully_connected
from tfcompress.engine.optimized.add import tables_into_flash
from tfcompress.engine.optimized.requant import acc_bound, add_rq, pad_to, rq_table, trim
from tfcompress.engine.overlap import window_overlap

#: pair-code convolutions need this many window positions (the pair tail costs 5 instructions, a group saves 2)
PAIR_MIN_K = 12


def _window(f: dict[str, Any]) -> int:
    return f["k_h"] * f["k_w"] * f["in_c"]


def _rows(f: dict[str, Any]) -> bool:
    """Whether the layer takes the row-padded layout (``RQ_ROWS``): channels not in whole words, no
    column dilation, a window within ``CONV_MAX_K``, and the zero weights it adds cheaper than
    gathering the windows byte by byte (padding bytes per row x output channels <= 4 x row bytes)."""
    seg = f["k_w"] * f["in_c"]
    seg4 = (seg + 3) // 4 * 4
    return (f["in_c"] % 4 != 0 and f["dil_w"] == 1 and f["k_h"] * seg4 <= CONV_MAX_K
            and (seg4 - seg) * f["out_c"] <= 4 * seg)


def padded_k(f: dict[str, Any]) -> int:
    """Window positions of the kernels' weight layout: k_h rows of k_w * in_c rounded up to whole
    words (``RQ_ROWS``), else the whole window rounded up to whole words."""
    if _rows(f):
        return f["k_h"] * ((f["k_w"] * f["in_c"] + 3) // 4 * 4)
    return (_window(f) + 3) // 4 * 4


def prepare(lo: LoweredOp) -> LoweredOp:
    """CONV_2D: channel-pair weight layout (rows padded to words for ``RQ_ROWS``) and the rq table."""
    f = lo.fields
    oc, k = f["out_c"], _window(f)
    w = lo.array("weights").data.reshape(oc, k)
    bias = lo.array("bias").data
    kp, ocp = padded_k(f), (oc + 1) // 2 * 2
    rows = _rows(f)
    wk = w
    if rows:  # [oc][k_h][k_w * in_c] -> each row padded to whole words
        seg = f["k_w"] * f["in_c"]
        wk = pad_to(w.reshape(oc, f["k_h"], seg), kp // f["k_h"], 2).reshape(oc, kp)
    wl = pad_to(pad_to(wk, kp, 1), ocp, 0).reshape(ocp // 2, 2, kp // 4, 4).transpose(0, 2, 1, 3)
    lo.replace_array("weights", np.ascontiguousarray(wl).reshape(-1).astype(np.int8))
    rq = rq_table(lo.array("mult").data, lo.array("shift").data, acc_bound(w, bias), bias,
                  ~w.any(axis=1), ocp, f["out_zp"])
    rq[0] |= RQ_ROWS if rows else 0
    add_rq(lo, rq)
    trim(lo)
    return lo


def prepare_add(lo: LoweredOp) -> LoweredOp:
    """CONV_2D+ADD: the conv's data as for CONV_2D, the ADD's tables precomputed into flash."""
    return tables_into_flash(prepare(lo))


def im2col_scratch(lo: LoweredOp) -> int:
    """Two int16 windows (three with ``RQ_TRIPLE``; + the gathered byte window when rows are not
    whole words), + a pixel pair's conv results with a fused ADD; 0 above ``CONV_MAX_K`` (the plain path needs none)."""
    f = lo.fields
    if not lo.struct:
        return 0
    kp = padded_k(f) if lo.kernel in ("tfc_conv2d_s8", "tfc_conv2d_add_s8") else (_window(f) + 3) // 4 * 4
    if kp > CONV_MAX_K:
        return 0
    bytewise = f["in_c"] % 4 != 0 or f["dil_w"] != 1
    windows = 3 if "rq" in f and int(f["rq"].data[0]) & RQ_TRIPLE else 2
    col = 2 * windows * kp + (kp if bytewise else 0)
    if lo.kernel.startswith("tfc_conv2d_add_s8"):  # a pixel group's conv results
        col += (windows * f["out_c"] + 3) // 4 * 4
    return col


def pair_codes(lo: LoweredOp, min_k: int = PAIR_MIN_K) -> LoweredOp:
    """A specialised CONV_2D (or CONV_2D+ADD) with pair-code weights when that is exact and pays.

    Like FULLY_CONNECTED (:func:`fully_connected.pairs_ok`): per channel pair (c, c + 1) and group
    of four window positions, the two int16x2 words ``(h(k0), h(k2)), (h(k1), h(k3))`` with
    ``h = 256 w[c] + w[c + 1]``; SMLAD of a raw word gives ``256 dot(c) + dot(c + 1)``, of its
    SXTB16 ``dot(c + 1)`` (12 instructions per 16 MACs instead of 14; same flash). Only for layers
    on the fast assembly path (exact SMMULR requantisation, even channel count, window within
    ``CONV_MAX_K``)."""
    f = lo.fields
    if lo.kernel not in ("tfc_conv2d_s8", "tfc_conv2d_add_s8") or "rq" not in f:
        return lo
    rq = f["rq"].data
    kp = padded_k(f) if rq[0] & RQ_ROWS else (_window(f) + 3) // 4 * 4
    if not rq[0] & RQ_FAST or rq[0] & RQ_PAIR or f["out_c"] % 2 or kp > CONV_MAX_K or kp < min_k:
        return lo
    w = f["weights"].data.reshape(-1, kp // 4, 2, 4)  # [oc/2][K/4][channel][4]
    a = w[:, :, 0, :].reshape(len(w), -1)
    b = w[:, :, 1, :].reshape(len(w), -1)
    if not fully_connected.pairs_ok(np.stack([a, b], axis=1).reshape(-1, kp)):
        return lo
    h = 256 * w[:, :, 0, :].astype(np.int64) + w[:, :, 1, :]  # [oc/2][K/4][4]
    words = h[:, :, [0, 2, 1, 3]].astype("<i2")
    new = lo.copy()
    new.replace_array("weights", np.ascontiguousarray(words).reshape(-1).view(np.int8))
    table = rq.copy()
    table[0] |= RQ_PAIR
    new.replace_array("rq", table)
    return new


def direct_ok(f: dict[str, Any]) -> bool:
    """Whether a CONV_2D can read its windows straight from the input (:func:`direct`): every
    kernel row is one contiguous run of ``k_w * in_c`` bytes, in whole words."""
    return f["in_c"] % 4 == 0 and f["dil_h"] == 1 and f["dil_w"] == 1


def _border(f: dict[str, Any]) -> bool:
    """Whether some window of the conv reaches outside the input (padding); as in conv2d_s8_direct_opt.c."""
    return bool(f["pad_top"] > 0 or f["pad_left"] > 0
                or (f["out_h"] - 1) * f["stride_h"] - f["pad_top"] + f["k_h"] > f["in_h"]
                or (f["out_w"] - 1) * f["stride_w"] - f["pad_left"] + f["k_w"] > f["in_w"])


def direct_scratch(lo: LoweredOp) -> int:
    """Scratch of the direct path: the border buffer (a same-row pixel pair's two padded windows,
    ``k_h`` rows of ``k_w + stride_w`` pixels) when some window leaves the input, and with a fused
    ADD a pixel pair's conv results."""
    f = lo.fields
    n = f["k_h"] * (f["k_w"] + f["stride_w"]) * f["in_c"] if _border(f) else 0
    if lo.kernel.startswith("tfc_conv2d_add_s8"):
        n += (2 * f["out_c"] + 3) // 4 * 4
    return n


def direct(lo: LoweredOp, force: bool = False) -> LoweredOp | None:
    """The direct-window variant of a specialised (:func:`prepare` / :func:`prepare_add`) CONV_2D, or
    None when the op cannot take it or (unless ``force``) it would not need less scratch.

    Instead of copying each pixel pair's windows into an int16 scratch (``4 * kp`` bytes), the
    kernel reads them straight from the input, kernel row by kernel row, widening four input bytes
    with two SXTB16; to keep the inner loop as short, the weights are stored widened: int16,
    per channel pair and group of four positions ``(w0, w2), (w1, w3)`` of channel c, then of
    c + 1 (twice the flash of the int8 layout). Windows that leave the input are first copied,
    padded with the input zero point, into a small border buffer (kernels ``tfc_conv2d_s8_direct``,
    ``tfc_conv2d_add_s8_direct``, linked only into models that use them). The plain conv writes a
    pixel pair's outputs while it still reads both windows, so its overlap with the input is
    computed per pair of pixels.
    """
    f = lo.fields
    if lo.kernel not in ("tfc_conv2d_s8", "tfc_conv2d_add_s8") or not direct_ok(f):
        return None
    new = lo.copy()
    new.kernel = lo.kernel + "_direct"
    new.scratch = direct_scratch(new)
    if new.scratch >= lo.scratch and not force:
        return None
    w = new.array("weights").data.reshape(-1, 2, 4)[:, :, [0, 2, 1, 3]]  # [oc/2][K/4][2][4] int8
    new.replace_array("weights", np.ascontiguousarray(w).astype("<i2").reshape(-1).view(np.int8))
    x = lo.inputs[0]
    if lo.kernel == "tfc_conv2d_s8" and x in new.overlap:
        d = window_overlap((f["in_h"], f["in_w"]), f["in_c"], (f["out_h"], f["out_w"]), f["out_c"],
                           (f["k_h"], f["k_w"]), (f["stride_h"], f["stride_w"]), (1, 1),
                           (f["pad_top"], f["pad_left"]), group=2)
        new.overlap[x] = min(d, new.overlap[x])
    return new


def pairs_again(lo: LoweredOp) -> LoweredOp | None:
    """The two-pixel variant of a pixel-triple layer (undoes :func:`triples`; its scratch holds two
    windows again), or None when ``lo`` is not a pixel-triple layer."""
    rq = lo.fields.get("rq")
    if lo.kernel not in ("tfc_conv2d_s8", "tfc_conv2d_add_s8") or rq is None or not rq.data[0] & RQ_TRIPLE:
        return None
    new = lo.copy()
    table = rq.data.copy()
    table[0] &= ~RQ_TRIPLE
    new.replace_array("rq", table)
    new.scratch = im2col_scratch(new)
    return new


def triples(lo: LoweredOp) -> LoweredOp | None:
    """The pixel-triple variant of a pair-code CONV_2D or CONV_2D+ADD (``RQ_TRIPLE``: three output
    pixels per pass, 17 instructions per 24 MACs instead of 12 per 16, requantisation shared by six
    outputs), or None when the layer is not on the pair-code path. Its scratch holds three windows
    (and, with a fused ADD, three pixels' conv results)."""
    f = lo.fields
    if lo.kernel not in ("tfc_conv2d_s8", "tfc_conv2d_add_s8") or "rq" not in f or f["out_h"] * f["out_w"] < 3:
        return None
    if not f["rq"].data[0] & RQ_PAIR:  # small windows: pair codes pay when six outputs share the tail
        lo = pair_codes(lo, min_k=4)
    rq = lo.fields["rq"].data
    if not rq[0] & RQ_PAIR or rq[0] & RQ_TRIPLE:
        return None
    new = lo.copy()
    table = rq.copy()
    table[0] |= RQ_TRIPLE
    new.replace_array("rq", table)
    new.scratch = im2col_scratch(new)
    return new
