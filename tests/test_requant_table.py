"""The optimised kernels' requantisation table (engine/optimized/requant.py): a dead channel's
constant entry gives TFLM's value under both fast forms of tfc_dsp.h, whatever its bias."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tfcompress.engine.fixedpoint import mbqm
from tfcompress.engine.optimized.requant import rq_table


def _wrap32(v: int) -> int:
    return (v + 2**31) % 2**32 - 2**31


def _rq_x2s(acc2: int, m: int, rs: int, rnd: int) -> int:
    """tfc_rq_x2s: (SMMLAR(acc2, m, rnd) + (acc2 >> 31)) >> rs."""
    return ((((rnd << 32) + acc2 * m + 2**31) >> 32) + (-1 if acc2 < 0 else 0)) >> rs


def _rq_x2(acc2: int, m: int, rs: int, rnd: int) -> int:
    """tfc_rq_x2: r = SMMULR(acc2, m); (r + (r >> 31) + rnd) >> rs."""
    r = (acc2 * m + 2**31) >> 32
    return (r + (-1 if r < 0 else 0) + rnd) >> rs


@settings(max_examples=300, deadline=None)
@given(bias=st.one_of(st.integers(-(2**31), 2**31 - 1), st.integers(2**30 - 4, 2**30 + 4),
                      st.integers(-(2**30) - 4, -(2**30) + 4)),
       mult=st.integers(2**30, 2**31 - 1), shift=st.integers(-20, -1), zp=st.integers(-128, 127))
def test_dead_channel_entry_is_exact_in_both_fast_forms(bias: int, mult: int, shift: int, zp: int) -> None:
    table = rq_table(np.array([mult]), np.array([shift]), np.array([abs(bias)]), np.array([bias]),
                     np.array([True]), 1, zp)
    m, rs, rnd, folded = (int(v) for v in table[4:8])
    want = mbqm(bias, mult, shift) + zp
    if abs(2 * want + 1) >= 2**30:  # not representable: the entry must not claim the fast path
        assert rnd == 0
        return
    acc2 = _wrap32(2 * folded)  # the kernels double the accumulator in int32
    assert _rq_x2s(acc2, m, rs, rnd) == want
    assert _rq_x2(acc2, m, rs, rnd) == want
