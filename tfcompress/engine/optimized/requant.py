"""The optimised kernels' per-channel requantisation table ``rq`` (read by ``tfc_dsp.h``).

Layout: header ``[flags, 0, 0, 0]`` then per output channel ``[multiplier, right shift,
(1 << (right shift - 1)) + (output zero point << right shift), folded bias]``. ``RQ_FAST`` is set
only when it is proven on the host that SMMULR reproduces TFLM's rounding for every possible
accumulator of the layer (bound from the weights and bias); otherwise the kernels use the
reference arithmetic.
"""

from __future__ import annotations

import numpy as np

from tfcompress.engine.fixedpoint import mbqm
from tfcompress.engine.kernel_limits import RQ_FAST, RQ_SHARED
from tfcompress.engine.lowered import LoweredOp


def acc_bound(w2d: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Largest |accumulator| per output channel: |bias| + 128 * sum |w| (inputs and pad in [-128, 127])."""
    return np.abs(bias.astype(np.int64)) + 128 * np.abs(w2d.astype(np.int64)).sum(axis=1)


def _rnd_zp(rs: int, zp: int) -> tuple[int, bool]:
    """Rounding constant with the zero point folded in, and whether the sum stays in int32."""
    rnd = (1 << (rs - 1)) + (zp << rs)
    return rnd, abs(zp) * 2**rs + 2 ** (rs - 1) < 2**30  # |r| < 2^30 on the fast path


def rq_table(mult: np.ndarray, shift: np.ndarray, bound: np.ndarray, bias: np.ndarray, zero: np.ndarray,
             channels: int, zp: int) -> np.ndarray:
    """Header + per-channel [m, rs, rnd + (zp << rs), bias] for ``channels`` (padded entries are zero).

    The fast requantisation is ``(r + (r >> 31) + rnd) >> rs`` with ``r = SMMULR(acc << 1, m)``;
    it equals TFLM's arithmetic when ``|2 * acc| < 2^31`` and ``rs >= 1``; with ``m >= 0`` also
    ``(SMMLAR(acc << 1, m, rnd) + (acc >> 31)) >> rs`` (``tfc_rq_x2s``, the conv and FC kernels). A channel whose weights
    are all zero has the constant accumulator ``bias``: its output is precomputed (m = 0, rs = 1,
    rnd = 2 * output + 1, right for either sign correction: the doubled bias wraps for bias >= 2^30)
    so dead channels (bias +-2^30 after pruning) keep the layer on the fast path.
    """
    n = len(bound)
    mult = np.broadcast_to(np.asarray(mult, np.int64), (n,))
    shift = np.broadcast_to(np.asarray(shift, np.int64), (n,))
    table = np.zeros((channels, 4), np.int64)
    fast = True
    for c in range(n):
        if zero[c]:  # constant output v + zp: (2 (v + zp) + 1 + s) >> 1 == v + zp for s in {0, -1}
            v = mbqm(int(bias[c]), int(mult[c]), int(shift[c])) + zp
            rnd = 2 * v + 1  # s: tfc_rq_x2s's sign of the doubled accumulator, which may wrap
            fast = fast and abs(rnd) < 2**30
            table[c] = (0, 1, rnd if abs(rnd) < 2**30 else 0, bias[c])
            continue
        rs = -int(shift[c])
        rnd, ok = _rnd_zp(rs, zp) if rs >= 1 else (0, False)
        fast = fast and ok and 2 * int(bound[c]) < 2**31 and int(mult[c]) >= 0
        table[c] = (mult[c], max(rs, 0), rnd if ok else 0, bias[c])
    header = np.array([RQ_FAST if fast else 0, 0, 0, 0], np.int64)
    return np.concatenate([header, table.reshape(-1)]).astype(np.int32)


def rq_shared(mult: int, shift: int, bound: np.ndarray, zp: int) -> np.ndarray:
    """Header + one [m, rs, rnd, 0] entry shared by every output (per-tensor quantisation)."""
    rs = -int(shift)
    rnd, ok = _rnd_zp(rs, zp) if rs >= 1 else (0, False)
    fast = ok and mult >= 0 and bool(np.all(2 * bound.astype(np.int64) < 2**31))
    entry = [int(mult), max(rs, 0), rnd if ok else 0, 0]
    return np.array([RQ_SHARED | (RQ_FAST if fast else 0), 0, 0, 0, *entry], np.int64).astype(np.int32)


def add_rq(lo: LoweredOp, table: np.ndarray) -> None:
    """Attach the rq table to ``lo`` (field ``rq``)."""
    lo.add_array("rq", f"op{lo.op.index}_rq", table)


def trim(lo: LoweredOp, keep_bias: bool = False) -> None:
    """The bias lives in the rq table; multipliers/shifts are only read when the layer is not fast."""
    if not keep_bias:
        lo.drop_array("bias")
    if int(lo.array("rq").data[0]) & RQ_FAST:
        lo.drop_array("mult")
        lo.drop_array("shift")


def pad_to(a: np.ndarray, n: int, axis: int = 0) -> np.ndarray:
    """``a`` zero-padded to ``n`` along ``axis``."""
    pad = [(0, 0)] * a.ndim
    pad[axis] = (0, n - a.shape[axis])
    return np.pad(a, pad)
