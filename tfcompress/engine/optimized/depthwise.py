"""DEPTHWISE_CONV_2D for the optimised kernels.

* 3x3 stride 1/2 (:func:`planar`): per channel and kernel row the int16 weight pairs
  ``(w0, w1), (w1, w2)`` for the channel-planar path (SMLAD over two adjacent pixels of one
  channel), doubled with doubled biases when the fast requantisation holds (flag ``RQ_PLANAR``);
  the band buffer's size is :func:`planar_geometry`.
* Other layers with channels in multiples of four: weights per group of four channels and tap
  (``[c/4][taps][4]``).
* Planar layers with 4-bit or sparse weights (:func:`prepare_compressed`): the weights stay
  compressed in flash; the kernel decodes each group of four channels into the planar pairs at
  run time (``tfc_depthwise_conv2d_s8_planar_w4`` / ``_sp``), the rq table is the dense one's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcompress.engine.kernel_limits import (
    DW_MAX_WINDOW,
    DW_PLANAR_BUDGET,
    DW_PLANAR_BUDGET_MAX,
    RQ_FAST,
    RQ_HEADER,
    RQ_PLANAR,
)
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.optimized.requant import acc_bound, add_rq, rq_table, trim
from tfcompress.engine.weights4 import codebooks, indices
from tfcompress.engine.weights_sparse import decode as sparse_rows

#: the planar path's entry point (models without other depthwise layers link only that path)
PLANAR_KERNEL = "tfc_depthwise_conv2d_s8_planar"
#: compressed depthwise kernel -> its planar entry (decoding per group of four channels)
PLANAR_COMPRESSED = {"tfc_depthwise_conv2d_s8_w4": "tfc_depthwise_conv2d_s8_planar_w4",
                     "tfc_depthwise_conv2d_s8_sp": "tfc_depthwise_conv2d_s8_planar_sp"}


def prepare(lo: LoweredOp) -> LoweredOp:
    f = lo.fields
    oc, taps = f["out_c"], f["k_h"] * f["k_w"]
    w = lo.array("weights").data.reshape(taps, oc).T
    bias = lo.array("bias").data
    rq = rq_table(lo.array("mult").data, lo.array("shift").data, acc_bound(w, bias), bias, ~w.any(axis=1),
                  oc, f["out_zp"])
    if planar(f):
        lo.kernel = PLANAR_KERNEL
        return _prepare_planar(lo, w, rq)
    if word_path(f):  # [c/4][taps][4]: four channels per tap, one group after the other
        wl = w.reshape(oc // 4, 4, taps).transpose(0, 2, 1)
        lo.replace_array("weights", np.ascontiguousarray(wl).reshape(-1).astype(np.int8))
    add_rq(lo, rq)
    trim(lo)
    return lo


def prepare_compressed(lo: LoweredOp) -> LoweredOp:
    """A 4-bit / sparse DEPTHWISE_CONV_2D: planar layers switch to the planar kernel that decodes
    their weights at run time (same rq table as the dense layer); others keep the portable kernel."""
    f = lo.fields
    if not planar(f):
        return lo
    oc, taps = f["out_c"], f["k_h"] * f["k_w"]
    if lo.kernel.endswith("_w4"):  # original flat order [tap][channel]
        idx = indices(lo)[:taps * oc].reshape(taps, oc).T.astype(np.int64)
        w = np.take_along_axis(codebooks(lo, oc), idx, axis=1)
    else:
        w = sparse_rows(lo)
    for name in ("mult", "shift"):  # the compressed op may have kept one shared pair
        arr = lo.array(name).data
        if arr.size != oc:
            lo.replace_array(name, np.repeat(arr[:1], oc).astype(np.int32))
    f["q_step"] = 1
    bias = lo.array("bias").data
    rq = rq_table(lo.array("mult").data, lo.array("shift").data, acc_bound(w, bias), bias, ~w.any(axis=1),
                  oc, f["out_zp"])
    lo.kernel = PLANAR_COMPRESSED[lo.kernel]
    return _prepare_planar(lo, w, rq, dense=False)


def scratch_compressed(lo: LoweredOp) -> int:
    """The planar band buffer of a compressed layer the planar kernel takes, else its own scratch."""
    return scratch(lo) if planar(lo.fields) else lo.scratch


def _prepare_planar(lo: LoweredOp, w: np.ndarray, rq: np.ndarray, dense: bool = True) -> LoweredOp:
    """Channel-planar 3x3 layers: per channel and kernel row the int16 pairs (w0, w1), (w1, w2)
    (SMLAD / SMLABT / SMLATB operands against two adjacent pixels of one channel), doubled with
    doubled biases when the fast requantisation holds. The kernel's fast path adds the sign of the
    accumulator for that of the SMMULR product, so it needs every multiplier >= 0 and the bias of
    an all-zero channel (constant output in the rounding constant) set to 0."""
    entries = rq[RQ_HEADER:].reshape(-1, 4).astype(np.int64)
    flags = int(rq[0])
    if np.any(entries[:, 0] < 0):
        flags &= ~RQ_FAST
    fast = bool(flags & RQ_FAST)
    if dense:  # compressed layers: the kernel builds these pairs (doubled when fast) per group
        k = w.astype(np.int64).reshape(-1, 3, 3) * (2 if fast else 1)
        pairs = np.stack([k[:, :, 0], k[:, :, 1], k[:, :, 1], k[:, :, 2]], axis=-1)  # [c][ky][4] int16
        lo.replace_array("weights", np.ascontiguousarray(pairs).astype("<i2").reshape(-1).view(np.int8))
    if fast:
        entries[:, 3] = np.where(entries[:, 0] == 0, 0, 2 * entries[:, 3])
    table = np.concatenate([[flags | RQ_PLANAR, 0, 0, 0], entries.reshape(-1)]).astype(np.int64)
    assert np.all(np.abs(table) < 2**31)
    add_rq(lo, table.astype(np.int32))
    trim(lo)
    return lo


def planar(f: dict[str, Any]) -> bool:
    """Whether the optimised depthwise kernel takes its channel-planar path (3x3, stride 1 or 2)."""
    return (f["depth_mult"] == 1 and f["in_c"] % 4 == 0 and f["k_h"] == 3 and f["k_w"] == 3
            and f["dil_h"] == 1 and f["dil_w"] == 1 and f["stride_h"] == f["stride_w"]
            and f["stride_w"] in (1, 2))


def planar_geometry(f: dict[str, Any], rows: int = 0) -> tuple[int, int]:
    """(row width in int16, rows held) of the planar path's band buffer (the kernel's dwp_geometry);
    ``rows`` > 0: the rows the host chose (rq[1], row banding: one band per call), else the budget's."""
    s = f["stride_w"]
    wb = s * ((f["out_w"] + 1) & ~1) + 2
    rows_full = (f["out_h"] - 1) * f["stride_h"] + 3
    budget = f["in_h"] * f["in_w"] * f["in_c"] // 4
    budget = DW_PLANAR_BUDGET if budget < 2 * DW_PLANAR_BUDGET else min(budget, DW_PLANAR_BUDGET_MAX)
    return wb, min(rows_full, max(3, rows if rows > 0 else budget // (8 * wb)))


def taller(lo: LoweredOp) -> list[LoweredOp]:
    """The planar layer ``lo`` with fewer, taller bands (``rq[1]``, read by dwp_geometry): for each
    band count below today's, fewest first, the rows of that many equal bands (fewer refilled rows
    and channel entries); none when it is not planar, is a banded part (its rows set) or has one
    band already."""
    if lo.kernel != PLANAR_KERNEL and lo.kernel not in PLANAR_COMPRESSED.values():
        return []
    f, rq = lo.fields, lo.fields.get("rq")
    if not isinstance(rq, ConstArray) or int(rq.data[1]) != 0:
        return []
    s, out_h = f["stride_h"], f["out_h"]
    bands = -(-out_h // ((planar_geometry(f)[1] - 3) // s + 1))
    out = []
    for n in range(1, bands):
        new = lo.copy()
        table = rq.data.copy()
        table[1] = (-(-out_h // n) - 1) * s + 3
        new.replace_array("rq", table)
        new.scratch = scratch(new)
        out.append(new)
    return out


def word_path(f: dict[str, Any]) -> bool:
    """Whether the optimised depthwise kernel takes its SIMD word path (else the plain loop)."""
    return (f["depth_mult"] == 1 and f["in_c"] % 4 == 0
            and f["k_h"] * f["k_w"] * f["in_c"] <= DW_MAX_WINDOW)


def scratch(lo: LoweredOp) -> int:
    """The planar path's band buffer (four int16 channel planes), or the word path's border window."""
    f = lo.fields
    if planar(f):
        rq = f.get("rq")
        wb, rows = planar_geometry(f, int(rq.data[1]) if isinstance(rq, ConstArray) else 0)
        return 4 * rows * wb * 2
    if word_path(f):
        return f["k_h"] * f["k_w"] * f["in_c"]
    return 0
