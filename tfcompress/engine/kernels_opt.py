"""Host-side preparation for the optimised (Cortex-M4/M7 DSP) kernels in ``firmware/engine/optimized/``.

The optimised kernels have the same C entry points and parameter blocks as the reference ones;
what differs is the constant data the generator emits for them (done here, after lowering):

* CONV_2D: weights re-laid out for two output channels at a time, interleaved per group of four
  window positions (``[oc/2][K/4][2][4]``, K = kh*kw*in_c zero-padded to a multiple of four),
  output channels padded to an even count (zero weights, zero bias).
* CONV_2D pair codes (``conv_pair_codes``, fast layers with K >= ``PAIR_MIN_K``): per channel pair
  and group of four positions two int16x2 words of ``h = 256 w[c] + w[c + 1]`` (``RQ_PAIR``).
* FULLY_CONNECTED: weights in blocks of four rows per group of four inputs, zero-padded; bias
  padded likewise. Pair codes (``RQ_PAIR``) when exact: rows (0, 1) and (2, 3) of a block share
  each int16 half as ``256 * a + b`` (``_fc_pair_words``); otherwise ``[out/4][in/4][4][4]`` bytes.
* DEPTHWISE_CONV_2D 3x3 stride 1/2 (``dw_planar``): per channel and kernel row the int16 weight
  pairs ``(w0, w1), (w1, w2)`` for the channel-planar path (SMLAD over two adjacent pixels of one
  channel), doubled with doubled biases when the fast requantisation holds (flag ``RQ_PLANAR``);
  the band buffer's size is ``dw_planar_geometry``. Other depthwise layers with channels in
  multiples of four: weights per group of four channels and tap (``[c/4][taps][4]``).
* CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED: a per-channel requantisation table ``rq``
  (see ``tfc_dsp.h``): header ``[flags, 0, 0, 0]`` then ``[multiplier, right shift,
  (1 << (right shift - 1)) + (output zero point << right shift), folded bias]`` per channel. ``TFC_RQ_FAST`` is set only when it is proven on
  the host that SMMULR reproduces TFLM's rounding for every possible accumulator (bound from
  the weights and bias); otherwise the kernels use the reference arithmetic.

* CONV_2D+ADD (fused): the conv's data as for CONV_2D, plus the ADD's two 256-entry tables
  (``add_tables``) in flash, so the fused kernel needs no table scratch.

Kernel scratch (``op_scratch_bytes``) is recorded in ``LoweredOp.scratch``; the compiler lets the
planner place it in the arena (live during its op only) when that does not cost more RAM than
the stack. Where a CONV_2D's scratch (two int16 windows) still raises the peak RAM, the compiler
switches that layer to the direct-window kernels (``conv_direct``: windows read straight from
the input, int16 weights, a small border buffer).

Bit-exactness with the reference kernels is the contract; tests/test_perf_kernels.py checks it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from tfcompress.engine.ir import Graph
from tfcompress.engine.kernel_limits import (
    ADD_FAST_BOUND,
    ADD_TABLES_BYTES,
    CONV_MAX_K,
    DW_MAX_WINDOW,
    DW_PLANAR_BUDGET,
    DW_PLANAR_BUDGET_MAX,
    RQ_FAST,
    RQ_HEADER,
    RQ_PAIR,
    RQ_PLANAR,
    RQ_SHARED,
)
from tfcompress.engine.lowered import ConstArray, LoweredOp
from tfcompress.engine.quant import wrap_i32

#: cores with the DSP extension (SXTB16, SMLAD, SMMULR): the optimised kernels run there
DSP_CORES = frozenset({"cortex-m4", "cortex-m7", "cortex-m33", "cortex-m35p", "cortex-m55"})


def kernel_set_for_core(core: str, requested: str = "optimized") -> str:
    """The kernel set to generate for a core: optimised kernels only where the DSP extension exists."""
    if requested == "optimized" and core.lower() not in DSP_CORES:
        return "reference"
    return requested


def mbqm(x: int, m: int, shift: int) -> int:
    """TFLM's MultiplyByQuantizedMultiplier on Python ints (the reference kernels' arithmetic)."""
    left, right = max(shift, 0), max(-shift, 0)
    a = ((x << left) + 2**31) % 2**32 - 2**31
    if a == m == -(2**31):
        r = 2**31 - 1
    else:
        r = (a * m + (1 << 30)) >> 31  # == the nudged truncating division, for every sign
    mask = (1 << right) - 1
    threshold = (mask >> 1) + (1 if r < 0 else 0)
    return (r >> right) + (1 if (r & mask) > threshold else 0)


def _rnd_zp(rs: int, zp: int) -> tuple[int, bool]:
    """Rounding constant with the zero point folded in, and whether the sum stays in int32."""
    rnd = (1 << (rs - 1)) + (zp << rs)
    return rnd, abs(zp) * 2**rs + 2 ** (rs - 1) < 2**30  # |r| < 2^30 on the fast path


def _rq_table(mult: np.ndarray, shift: np.ndarray, bound: np.ndarray, bias: np.ndarray, zero: np.ndarray,
              channels: int, zp: int) -> np.ndarray:
    """Header + per-channel [m, rs, rnd + (zp << rs), bias] for ``channels`` (padded entries are zero).

    The fast requantisation is ``(r + (r >> 31) + rnd) >> rs`` with ``r = SMMULR(acc << 1, m)``;
    it equals TFLM's arithmetic when ``|2 * acc| < 2^31`` and ``rs >= 1``. A channel whose weights
    are all zero has the constant accumulator ``bias``: its output is precomputed (m = 0, rs = 1,
    rnd = 2 * output) so dead channels (bias +-2^30 after pruning) keep the layer on the fast path.
    """
    n = len(bound)
    mult = np.broadcast_to(np.asarray(mult, np.int64), (n,))
    shift = np.broadcast_to(np.asarray(shift, np.int64), (n,))
    table = np.zeros((channels, 4), np.int64)
    fast = True
    for c in range(n):
        if zero[c]:  # constant output v + zp: (0 + 0 + 2 (v + zp)) >> 1
            v = mbqm(int(bias[c]), int(mult[c]), int(shift[c])) + zp
            fast = fast and abs(2 * v) < 2**30
            table[c] = (0, 1, 2 * v if abs(2 * v) < 2**30 else 0, bias[c])
            continue
        rs = -int(shift[c])
        rnd, ok = _rnd_zp(rs, zp) if rs >= 1 else (0, False)
        fast = fast and ok and 2 * int(bound[c]) < 2**31
        table[c] = (mult[c], max(rs, 0), rnd if ok else 0, bias[c])
    header = np.array([RQ_FAST if fast else 0, 0, 0, 0], np.int64)
    return np.concatenate([header, table.reshape(-1)]).astype(np.int32)


def _rq_shared(mult: int, shift: int, bound: np.ndarray, zp: int) -> np.ndarray:
    """Header + one [m, rs, rnd, 0] entry shared by every output (per-tensor quantisation)."""
    rs = -int(shift)
    rnd, ok = _rnd_zp(rs, zp) if rs >= 1 else (0, False)
    fast = ok and bool(np.all(2 * bound.astype(np.int64) < 2**31))
    entry = [int(mult), max(rs, 0), rnd if ok else 0, 0]
    return np.array([RQ_SHARED | (RQ_FAST if fast else 0), 0, 0, 0, *entry], np.int64).astype(np.int32)


def _drop(lo: LoweredOp, field: str) -> None:
    """Leave a constant array out of the optimised build (the field becomes NULL)."""
    old = _array(lo, field)
    lo.arrays = [a for a in lo.arrays if a is not old]
    lo.fields[field] = 0


def _trim(lo: LoweredOp, keep_bias: bool = False) -> None:
    """The bias lives in the rq table; multipliers/shifts are only read when the layer is not fast."""
    if not keep_bias:
        _drop(lo, "bias")
    if int(lo.fields["rq"].data[0]) & RQ_FAST:
        _drop(lo, "mult")
        _drop(lo, "shift")


def _acc_bound(w2d: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Largest |accumulator| per output channel: |bias| + 128 * sum |w| (inputs and pad in [-128, 127])."""
    return np.abs(bias.astype(np.int64)) + 128 * np.abs(w2d.astype(np.int64)).sum(axis=1)


def _pad_to(a: np.ndarray, n: int, axis: int = 0) -> np.ndarray:
    pad = [(0, 0)] * a.ndim
    pad[axis] = (0, n - a.shape[axis])
    return np.pad(a, pad)


def _array(lo: LoweredOp, field: str) -> ConstArray:
    arr = lo.fields[field]
    assert isinstance(arr, ConstArray)
    return arr


def _replace(lo: LoweredOp, field: str, data: np.ndarray) -> ConstArray:
    old = _array(lo, field)
    new = ConstArray(old.name, data)
    lo.arrays = [new if a is old else a for a in lo.arrays]
    lo.fields[field] = new
    return new


def _add_rq(lo: LoweredOp, table: np.ndarray) -> None:
    rq = ConstArray(f"op{lo.op.index}_rq", table)
    lo.arrays.append(rq)
    lo.fields["rq"] = rq


def _conv(lo: LoweredOp) -> LoweredOp:
    f = lo.fields
    oc, k = f["out_c"], f["k_h"] * f["k_w"] * f["in_c"]
    w = _array(lo, "weights").data.reshape(oc, k)
    bias = _array(lo, "bias").data
    bound = _acc_bound(w, bias)
    kp, ocp = (k + 3) // 4 * 4, (oc + 1) // 2 * 2
    wl = _pad_to(_pad_to(w, kp, 1), ocp, 0).reshape(ocp // 2, 2, kp // 4, 4).transpose(0, 2, 1, 3)
    _replace(lo, "weights", np.ascontiguousarray(wl).reshape(-1).astype(np.int8))
    _add_rq(lo, _rq_table(_array(lo, "mult").data, _array(lo, "shift").data, bound, bias, ~w.any(axis=1), ocp, f["out_zp"]))
    _trim(lo)
    return lo


#: pair-code convolutions need this many window positions (the pair tail costs 5 instructions, a group saves 2)
PAIR_MIN_K = 12


def conv_pair_codes(lo: LoweredOp) -> LoweredOp:
    """A specialised CONV_2D (or CONV_2D+ADD) with pair-code weights when that is exact and pays.

    Like FULLY_CONNECTED (:func:`fc_pairs_ok`): per channel pair (c, c + 1) and group of four window
    positions, the two int16x2 words ``(h(k0), h(k2)), (h(k1), h(k3))`` with ``h = 256 w[c] +
    w[c + 1]``; SMLAD of a raw word gives ``256 dot(c) + dot(c + 1)``, of its SXTB16 ``dot(c + 1)``
    (13 instructions per 16 MACs instead of 15; same flash). Only for layers on the fast assembly
    path (exact SMMULR requantisation, even channel count, window within ``CONV_MAX_K``)."""
    f = lo.fields
    if lo.kernel not in ("tfc_conv2d_s8", "tfc_conv2d_add_s8") or "rq" not in f:
        return lo
    rq = f["rq"].data
    kp = (f["k_h"] * f["k_w"] * f["in_c"] + 3) // 4 * 4
    if not rq[0] & RQ_FAST or rq[0] & RQ_PAIR or f["out_c"] % 2 or kp > CONV_MAX_K or kp < PAIR_MIN_K:
        return lo
    w = f["weights"].data.reshape(-1, kp // 4, 2, 4)  # [oc/2][K/4][channel][4]
    a = w[:, :, 0, :].reshape(len(w), -1)
    b = w[:, :, 1, :].reshape(len(w), -1)
    if not fc_pairs_ok(np.stack([a, b], axis=1).reshape(-1, kp)):
        return lo
    h = 256 * w[:, :, 0, :].astype(np.int64) + w[:, :, 1, :]  # [oc/2][K/4][4]
    words = h[:, :, [0, 2, 1, 3]].astype("<i2")
    new = dataclasses.replace(lo, fields=dict(f), arrays=list(lo.arrays))
    _replace(new, "weights", np.ascontiguousarray(words).reshape(-1).view(np.int8))
    table = rq.copy()
    table[0] |= RQ_PAIR
    _replace(new, "rq", table)
    return new


def conv_direct_ok(f: dict[str, Any]) -> bool:
    """Whether a CONV_2D can read its windows straight from the input (``conv_direct``): every
    kernel row is one contiguous run of ``k_w * in_c`` bytes, in whole words."""
    return f["in_c"] % 4 == 0 and f["dil_h"] == 1 and f["dil_w"] == 1


def _conv_border(f: dict[str, Any]) -> bool:
    """Whether some window of the conv reaches outside the input (padding); as in conv2d_s8_direct_opt.c."""
    return bool(f["pad_top"] > 0 or f["pad_left"] > 0
                or (f["out_h"] - 1) * f["stride_h"] - f["pad_top"] + f["k_h"] > f["in_h"]
                or (f["out_w"] - 1) * f["stride_w"] - f["pad_left"] + f["k_w"] > f["in_w"])


def _conv_direct_scratch(f: dict[str, Any], fused_add: bool) -> int:
    """Scratch of the direct path: the border buffer (a same-row pixel pair's two padded windows,
    ``k_h`` rows of ``k_w + stride_w`` pixels) when some window leaves the input, and with a fused
    ADD a pixel pair's conv results."""
    n = f["k_h"] * (f["k_w"] + f["stride_w"]) * f["in_c"] if _conv_border(f) else 0
    if fused_add:
        n += (2 * f["out_c"] + 3) // 4 * 4
    return n


def conv_direct(lo: LoweredOp, force: bool = False) -> LoweredOp | None:
    """The direct-window variant of a specialised (``_conv`` / ``_conv_add``) CONV_2D, or None when
    the op cannot take it or (unless ``force``) it would not need less scratch.

    Instead of copying each pixel pair's windows into an int16 scratch (``4 * kp`` bytes), the
    kernel reads them straight from the input, kernel row by kernel row, widening four input bytes
    with two SXTB16; to keep the inner loop as short, the weights are stored widened: int16,
    per channel pair and group of four positions ``(w0, w2), (w1, w3)`` of channel c, then of
    c + 1 (twice the flash of the int8 layout). Windows that leave the input are first copied,
    padded with the input zero point, into a small border buffer. The compiler picks this only
    for layers whose im2col scratch raises the model's peak RAM (kernels ``tfc_conv2d_s8_direct``,
    ``tfc_conv2d_add_s8_direct``, linked only into models that use them).
    The plain conv writes a pixel pair's outputs while it still reads both windows, so its
    overlap with the input is computed per pair of pixels.
    """
    f = lo.fields
    if lo.kernel not in ("tfc_conv2d_s8", "tfc_conv2d_add_s8") or not conv_direct_ok(f):
        return None
    fused = lo.kernel == "tfc_conv2d_add_s8"
    scratch = _conv_direct_scratch(f, fused)
    if scratch >= lo.scratch and not force:
        return None
    new = dataclasses.replace(lo, kernel=lo.kernel + "_direct", fields=dict(f), arrays=list(lo.arrays),
                              overlap=dict(lo.overlap), scratch=scratch)
    w = _array(new, "weights").data.reshape(-1, 2, 4)[:, :, [0, 2, 1, 3]]  # [oc/2][K/4][2][4] int8
    _replace(new, "weights", np.ascontiguousarray(w).astype("<i2").reshape(-1).view(np.int8))
    x = lo.inputs[0]
    if not fused and x in new.overlap:
        from tfcompress.engine.overlap import window_overlap

        d = window_overlap((f["in_h"], f["in_w"]), f["in_c"], (f["out_h"], f["out_w"]), f["out_c"],
                           (f["k_h"], f["k_w"]), (f["stride_h"], f["stride_w"]), (1, 1),
                           (f["pad_top"], f["pad_left"]), group=2)
        new.overlap[x] = min(d, new.overlap[x])
    return new


def _conv_w4(lo: LoweredOp) -> LoweredOp:
    """4-bit CONV_2D (weights4.py): the indices re-laid out like the int8 weights of ``_conv`` (two
    per byte, in that order), per-channel multipliers/shifts restored, the rq table from the
    decoded weights. The kernel decodes one channel pair at a time into its scratch."""
    from tfcompress.engine.weights4 import codebooks, indices

    f = lo.fields
    oc, k = f["out_c"], f["k_h"] * f["k_w"] * f["in_c"]
    idx = indices(lo)[:oc * k].reshape(oc, k)
    w = np.take_along_axis(codebooks(lo, oc), idx.astype(np.int64), axis=1)
    bias = _array(lo, "bias").data
    bound = _acc_bound(w, bias)
    kp, ocp = (k + 3) // 4 * 4, (oc + 1) // 2 * 2
    il = _pad_to(_pad_to(idx, kp, 1), ocp, 0).reshape(ocp // 2, 2, kp // 4, 4).transpose(0, 2, 1, 3).reshape(-1)
    _replace(lo, "weights", (il[0::2] | (il[1::2] << 4)).astype(np.uint8).view(np.int8))
    for name in ("mult", "shift"):  # weights4 may have kept one shared pair
        arr = _array(lo, name).data
        if arr.size != oc:
            _replace(lo, name, np.repeat(arr[:1], oc).astype(np.int32))
    lo.fields["q_step"] = 1
    _add_rq(lo, _rq_table(_array(lo, "mult").data, _array(lo, "shift").data, bound, bias, ~w.any(axis=1), ocp,
                          f["out_zp"]))
    _trim(lo)
    return lo


def _conv_add_w4(lo: LoweredOp) -> LoweredOp:
    _conv_w4(lo)
    return _add_tables_to(lo)


def add_tables(f: dict[str, Any]) -> tuple[np.ndarray, bool]:
    """The optimised ADD's two 256-entry tables (input byte as unsigned -> rescaled input, TFLM
    arithmetic) and whether the SMMULR output requantisation is exact for every sum of them."""
    tables = np.zeros((2, 256), np.int64)
    for v in range(-128, 128):
        for i, (off, m, sh) in enumerate(((f["in1_offset"], f["in1_mult"], f["in1_shift"]),
                                          (f["in2_offset"], f["in2_mult"], f["in2_shift"]))):
            x = int(wrap_i32(np.int64((v + off) << f["left_shift"])))
            tables[i, v & 0xFF] = mbqm(x, int(m), int(sh))
    fast = int(f["out_shift"]) <= -1 and int(np.abs(tables).max()) < ADD_FAST_BOUND
    return tables.reshape(-1).astype(np.int32), fast


def _conv_add(lo: LoweredOp) -> LoweredOp:
    """CONV_2D+ADD: the conv's data as for CONV_2D, the ADD's tables precomputed into flash."""
    _conv(lo)
    return _add_tables_to(lo)


def _add_tables_to(lo: LoweredOp) -> LoweredOp:
    struct, name, fields = lo.extra_structs[0]
    tables, fast = add_tables(fields)
    arr = ConstArray(f"{name}_tables", tables)
    lo.arrays.append(arr)
    lo.extra_structs = [(struct, name, dict(fields, tables=arr, tables_fast=int(fast)))] + lo.extra_structs[1:]
    return lo


def _depthwise(lo: LoweredOp) -> LoweredOp:
    f = lo.fields
    oc, taps = f["out_c"], f["k_h"] * f["k_w"]
    w = _array(lo, "weights").data.reshape(taps, oc).T
    bias = _array(lo, "bias").data
    bound = _acc_bound(w, bias)
    rq = _rq_table(_array(lo, "mult").data, _array(lo, "shift").data, bound, bias, ~w.any(axis=1), oc, f["out_zp"])
    if dw_planar(f):
        return _depthwise_planar(lo, w, rq)
    if dw_fast_path(f):  # [c/4][taps][4]: four channels per tap, one group after the other
        wl = w.reshape(oc // 4, 4, taps).transpose(0, 2, 1)
        _replace(lo, "weights", np.ascontiguousarray(wl).reshape(-1).astype(np.int8))
    _add_rq(lo, rq)
    _trim(lo)
    return lo


def _depthwise_planar(lo: LoweredOp, w: np.ndarray, rq: np.ndarray) -> LoweredOp:
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
    k = w.astype(np.int64).reshape(-1, 3, 3) * (2 if fast else 1)
    pairs = np.stack([k[:, :, 0], k[:, :, 1], k[:, :, 1], k[:, :, 2]], axis=-1)  # [c][ky][4] int16
    _replace(lo, "weights", np.ascontiguousarray(pairs).astype("<i2").reshape(-1).view(np.int8))
    if fast:
        entries[:, 3] = np.where(entries[:, 0] == 0, 0, 2 * entries[:, 3])
    table = np.concatenate([[flags | RQ_PLANAR, 0, 0, 0], entries.reshape(-1)]).astype(np.int64)
    assert np.all(np.abs(table) < 2**31)
    _add_rq(lo, table.astype(np.int32))
    _trim(lo)
    return lo


def dw_planar(f: dict[str, Any]) -> bool:
    """Whether the optimised depthwise kernel takes its channel-planar path (3x3, stride 1 or 2)."""
    return (f["depth_mult"] == 1 and f["in_c"] % 4 == 0 and f["k_h"] == 3 and f["k_w"] == 3
            and f["dil_h"] == 1 and f["dil_w"] == 1 and f["stride_h"] == f["stride_w"]
            and f["stride_w"] in (1, 2))


def dw_planar_geometry(f: dict[str, Any]) -> tuple[int, int]:
    """(row width in int16, rows held) of the planar path's band buffer (the kernel's dwp_geometry)."""
    s = f["stride_w"]
    wb = s * ((f["out_w"] + 1) & ~1) + 2
    rows_full = (f["out_h"] - 1) * f["stride_h"] + 3
    budget = f["in_h"] * f["in_w"] * f["in_c"] // 4
    budget = DW_PLANAR_BUDGET if budget < 2 * DW_PLANAR_BUDGET else min(budget, DW_PLANAR_BUDGET_MAX)
    return wb, min(rows_full, max(3, budget // (8 * wb)))


def _fully_connected(lo: LoweredOp) -> LoweredOp:
    f = lo.fields
    n_out, n_in = f["out_depth"], f["in_depth"]
    w = _array(lo, "weights").data.reshape(n_out, n_in)
    bias = _array(lo, "bias").data
    bound = _acc_bound(w, bias)
    ip, op = (n_in + 3) // 4 * 4, (n_out + 3) // 4 * 4
    wp = _pad_to(_pad_to(w, ip, 1), op, 0)
    pair = fc_pairs_ok(wp)
    layout = _fc_pair_words(wp) if pair else wp.reshape(op // 4, 4, ip // 4, 4).transpose(0, 2, 1, 3).astype(np.int8)
    _replace(lo, "weights", np.ascontiguousarray(layout).reshape(-1).view(np.int8))
    _replace(lo, "bias", _pad_to(bias, op).astype(np.int32))
    mult, shift = _array(lo, "mult").data, _array(lo, "shift").data
    if f["per_channel"]:
        rq = _rq_table(mult, shift, bound, bias, ~w.any(axis=1), op, f["out_zp"])
    else:
        rq = _rq_shared(int(mult[0]), int(shift[0]), bound, f["out_zp"])
    rq[0] |= RQ_PAIR if pair else 0
    _add_rq(lo, rq)
    _trim(lo, keep_bias=True)
    return lo


def fc_pairs_ok(w: np.ndarray) -> bool:
    """Whether the pair-code FULLY_CONNECTED layout is exact for ``w`` ([rows, inputs], rows a
    multiple of four): rows 0 and 2 of each block (the ``a`` rows) need ``256 * a + b`` to fit int16
    (``a > -128`` where ``b < 0``) and ``|dot(a, x)| < 2^23`` for every int8 input."""
    w = w.astype(np.int64)
    a, b = w[0::2], w[1::2]
    return bool(np.all((a > -128) | (b >= 0)) and np.all(128 * np.abs(a).sum(axis=1) < 2**23))


def _fc_pair_words(w: np.ndarray) -> np.ndarray:
    """[rows/4][inputs/4][4] int16x2 words: per block and group of inputs (i0..i3), for the row
    pairs (0, 1) and (2, 3): ``(h(i0), h(i2)), (h(i1), h(i3))`` with ``h = 256 * a + b`` (the halves
    SMLAD meets after SXTB16 splits the input word into (x0, x2) and (x1, x3))."""
    rows, n = w.shape
    h = (256 * w[0::2].astype(np.int64) + w[1::2]).reshape(rows // 4, 2, n // 4, 4)  # [blk][pair][g][i]
    halves = h[..., [0, 2, 1, 3]].reshape(rows // 4, 2, n // 4, 2, 2)             # [blk][pair][g][xl/xh][lo/hi]
    words = halves.transpose(0, 2, 1, 3, 4)                                          # [blk][g][pair][xl/xh][lo/hi]
    return np.ascontiguousarray(words).astype("<i2")


def dw_fast_path(f: dict[str, Any]) -> bool:
    """Whether the optimised depthwise kernel takes its SIMD path (else the plain loop)."""
    return (f["depth_mult"] == 1 and f["in_c"] % 4 == 0
            and f["k_h"] * f["k_w"] * f["in_c"] <= DW_MAX_WINDOW)


#: kernel -> preparation of its LoweredOp for the optimised kernel set
PREPARE = {
    "tfc_conv2d_s8": _conv,
    "tfc_conv2d_add_s8": _conv_add,
    "tfc_conv2d_s8_w4": _conv_w4,
    "tfc_conv2d_add_s8_w4": _conv_add_w4,
    "tfc_depthwise_conv2d_s8": _depthwise,
    "tfc_fully_connected_s8": _fully_connected,
}


def specialize(g: Graph, lowered: list[LoweredOp]) -> list[LoweredOp]:
    """Copies of ``lowered`` with the constant data the optimised kernels expect."""
    out = []
    for lo in lowered:
        prep = PREPARE.get(lo.kernel)
        scratch = op_scratch_bytes(lo)
        if prep is None and not scratch:
            out.append(lo)
            continue
        copy = dataclasses.replace(lo, fields=dict(lo.fields), arrays=list(lo.arrays), scratch=scratch)
        out.append(prep(copy) if prep else copy)
    return out


def op_scratch_bytes(lo: LoweredOp) -> int:
    """Scratch the optimised kernel of ``lo`` uses (bytes): in the arena when the planner places it
    there (``LoweredOp.scratch``, the parameter block's ``scratch``), else on the stack."""
    f: dict[str, Any] = lo.fields
    if lo.kernel in ("tfc_conv2d_s8_direct", "tfc_conv2d_add_s8_direct"):  # windows straight from the input
        return _conv_direct_scratch(f, lo.kernel == "tfc_conv2d_add_s8_direct")
    if lo.kernel in ("tfc_conv2d_s8", "tfc_conv2d_add_s8", "tfc_conv2d_s8_w4", "tfc_conv2d_add_s8_w4") and lo.struct:
        kp = (f["k_h"] * f["k_w"] * f["in_c"] + 3) // 4 * 4
        if kp > CONV_MAX_K:
            return 0
        bytewise = f["in_c"] % 4 != 0 or f["dil_w"] != 1
        col = 2 * 2 * kp + (kp if bytewise else 0)  # two int16 windows (+ the gathered byte window)
        if lo.kernel.startswith("tfc_conv2d_add_s8"):  # + a pixel pair's conv results (tables in flash)
            col += (2 * f["out_c"] + 3) // 4 * 4
        if lo.kernel.endswith("_w4"):  # + one channel pair's decoded weights
            col += 2 * kp
        return col
    if lo.kernel == "tfc_depthwise_conv2d_s8" and dw_planar(f):
        wb, rows = dw_planar_geometry(f)
        return 4 * rows * wb * 2
    if lo.kernel == "tfc_depthwise_conv2d_s8" and dw_fast_path(f):
        return f["k_h"] * f["k_w"] * f["in_c"]
    if lo.kernel == "tfc_add_s8":
        return ADD_TABLES_BYTES
    return 0


def model_scratch_bytes(model: Any) -> int:
    """Peak kernel scratch of a compiled model (0 for the reference kernels)."""
    if model.kernels != "optimized":
        return 0
    return max((op_scratch_bytes(lo) for lo in model.lowered), default=0)
