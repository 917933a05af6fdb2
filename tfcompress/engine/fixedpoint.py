"""Python twin of firmware/engine/tfc_fixedpoint.h, used to precompute 256-entry LUTs on the host.

Integers follow C int32 semantics (wrap-around where the C code casts through uint32).
"""

from __future__ import annotations

import math

I32_MIN, I32_MAX = -(2**31), 2**31 - 1


def wrap32(x: int) -> int:
    """Two's-complement wrap to int32."""
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >= (1 << 31) else x


def srdhm(a: int, b: int) -> int:
    """Saturating rounding doubling high multiply."""
    if a == I32_MIN and b == I32_MIN:
        return I32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return _tdiv(ab + nudge, 1 << 31)


def _tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def rdbpot(x: int, exponent: int) -> int:
    """Rounding divide by 2^exponent (ties away from zero)."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def mbqm(x: int, multiplier: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier (double rounding)."""
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    return rdbpot(srdhm(wrap32(x << left), multiplier), right)


def sat_shl(x: int, exponent: int) -> int:
    """Saturating x * 2^exponent (exponent > 0)."""
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return I32_MAX
    if x < -threshold:
        return I32_MIN
    return wrap32(x << exponent)


def _exp_quarter(a: int) -> int:
    c_term, c_third = 1895147668, 715827883
    x = a + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    poly = rdbpot(srdhm(rdbpot(x4, 2) + x3, c_third) + x2, 1)
    return c_term + srdhm(c_term, x + poly)


_EXP_MULT = {-2: 1672461947, -1: 1302514674, 0: 790015084, 1: 290630308, 2: 39332535, 3: 720401, 4: 242}


def exp_on_negative(a: int, int_bits: int) -> int:
    """exp(a) for a <= 0 given in Q(int_bits).(31-int_bits); result Q0.31."""
    frac = 31 - int_bits
    quarter = 1 << (frac - 2)
    a_mod = (a & (quarter - 1)) - quarter
    result = _exp_quarter(sat_shl(a_mod, int_bits) if int_bits else a_mod)
    remainder = a_mod - a
    for e, m in _EXP_MULT.items():
        if int_bits > e and remainder & (1 << (frac + e)):
            result = srdhm(result, m)
    if int_bits > 5:
        clamp = -(1 << (36 - int_bits))
        if a < clamp:
            result = 0
    return I32_MAX if a == 0 else result


def _newton_reciprocal_half(a: int) -> tuple[int, int]:
    s = a + I32_MAX
    half_den = int((s + (1 if s >= 0 else -1)) / 2)
    x = 1515870810 + srdhm(half_den, -1010580540)
    for _ in range(3):
        x = x + sat_shl(srdhm(x, (1 << 29) - srdhm(half_den, x)), 2)
    return x, half_den


def one_over_one_plus_x(a: int) -> int:
    """1/(1+a), a in [0, 1) Q0.31."""
    x, _ = _newton_reciprocal_half(a)
    return sat_shl(x, 1)


def one_minus_x_over_one_plus_x(a: int) -> int:
    """(1-a)/(1+a), a in [0, 1) Q0.31."""
    x, _ = _newton_reciprocal_half(a)
    return sat_shl(x - (1 << 29), 2)


def logistic_q4(a: int) -> int:
    """gemmlowp logistic of a Q4.27 value, result Q0.31."""
    if a == 0:
        return 1 << 30
    pos = one_over_one_plus_x(exp_on_negative(-abs(a), 4))
    return pos if a > 0 else I32_MAX - pos


def tanh_q4(a: int) -> int:
    """gemmlowp tanh of a Q4.27 value, result Q0.31."""
    if a == 0:
        return 0
    n = a if a < 0 else -a
    t = one_minus_x_over_one_plus_x(exp_on_negative(n, 5))
    return -t if a < 0 else t


def frexp_multiplier(m: float) -> tuple[int, int]:
    """(round(q * 2^31), exponent) from frexp, without the 2^31 correction (TFLM logistic/tanh)."""
    q, e = math.frexp(m)
    return wrap32(int(math.floor(abs(q) * (1 << 31) + 0.5)) * (1 if q >= 0 else -1)), e


def rounding_half_sum(a: int, b: int) -> int:
    """gemmlowp RoundingHalfSum of two int32 values: (a + b) / 2 rounded half away from zero."""
    s = a + b
    return _tdiv(s + (1 if s >= 0 else -1), 2)


def sat_add(a: int, b: int) -> int:
    """int32 addition saturated to [I32_MIN, I32_MAX]."""
    return max(I32_MIN, min(I32_MAX, a + b))


def sat_sub(a: int, b: int) -> int:
    """int32 subtraction saturated to [I32_MIN, I32_MAX]."""
    return max(I32_MIN, min(I32_MAX, a - b))


def clz32(x: int) -> int:
    """Leading zero bits of x as uint32 (32 for 0)."""
    return 32 - (x & 0xFFFFFFFF).bit_length()


def rescale_pot(x: int, exponent: int) -> int:
    """gemmlowp SaturatingRoundingMultiplyByPOT: saturating x * 2^exponent (exponent > 0) or a
    rounding x / 2^-exponent (exponent < 0)."""
    if exponent > 0:
        return sat_shl(x, exponent)
    if exponent < 0:
        return rdbpot(x, -exponent)
    return x


def inv_sqrt_multiplier(x: int, reverse_shift: int = -1) -> tuple[int, int]:
    """TFLite's GetInvSqrtQuantizedMultiplierExp: (Q31 multiplier, shift) with
    multiplier * 2^shift ~ 1/sqrt(x) for an int32 x >= 0 (0 and 1 give (I32_MAX, 0)).
    Newton-Raphson in Q3.28, five iterations from 1; ``reverse_shift`` -1 returns a left shift."""
    if x <= 1:
        return I32_MAX, 0
    shift = 11
    while x >= (1 << 29):
        x = x // 4
        shift += 1
    pairs = (clz32(x) - 1) // 2 - 1
    shift -= pairs
    x <<= 2 * pairs
    half_x = rdbpot(x >> 1, 1)  # Q3.28 input, halved
    half_three = (1 << 28) + (1 << 27)  # 1.5 in Q3.28
    y = 1 << 28  # 1.0 in Q3.28
    for _ in range(5):
        y3 = sat_shl(srdhm(srdhm(y, y), y), 6)  # Q9 -> Q3
        y = sat_shl(wrap32(srdhm(half_three, y) - srdhm(half_x, y3)), 3)  # Q6 -> Q3
    y = srdhm(y, 1518500250)  # * sqrt(2)/2 in Q0.31
    if shift < 0:
        y = wrap32(y << -shift)
        shift = 0
    return y, shift * reverse_shift


def sigmoid_table_q16() -> tuple[int, ...]:
    """The 256-point table TFLite's int16 LOGISTIC and TANH (and TFLM's integer LSTM gates)
    interpolate linearly: sigmoid(i / 24) in Q0.16 for i = 0..255, each point raised by half the
    error linear interpolation makes at the midpoint to the next one (so the interpolated curve
    straddles the true one), rounded; the last point saturates at 65535. Checked against TFLM's
    int16 LOGISTIC / TANH on every input (tests/test_ops_conv.py)."""
    def sig(x: float) -> float:
        return 65536.0 / (1.0 + math.exp(-x / 24.0))

    table = []
    for i in range(256):
        mid_error = sig(i + 0.5) - (sig(i) + sig(i + 1)) / 2.0
        table.append(min(65535, round(sig(i) + mid_error / 2.0)))
    table[-1] = 65535
    return tuple(table)


#: the table, computed once
SIGMOID_TABLE_U16: tuple[int, ...] = sigmoid_table_q16()


def _scaled_s16(x: int, multiplier: int, shift: int) -> int:
    """An int16 input scaled as TFLM's int16 LOGISTIC/TANH do: multiplier 0 means 3 << shift."""
    if multiplier == 0:
        multiplier, shift = 3 << shift, 0
    rnd = (1 << (shift - 1)) if shift > 0 else 0
    return (x * multiplier + rnd) >> shift


def logistic_s16(x: int, multiplier: int = 0, shift: int = 0) -> int:
    """TFLM's int16 logistic (Q3.12 in when multiplier is 0 and shift 0, Q0.15 out)."""
    v = _scaled_s16(x, multiplier, shift)
    a = abs(v)
    uh = a >> 9
    if uh >= 255:
        r = 0x7FFF << 10
    else:
        ua, ub = SIGMOID_TABLE_U16[uh], SIGMOID_TABLE_U16[uh + 1]
        r = (ua << 9) + (a & 0x1FF) * (ub - ua)
    r = r + (1 << 9) if v >= 0 else (1 << 25) - r + (1 << 9) - 1
    return r >> 10  # r >= 0 on both branches (the C code computes it in uint32)


def tanh_s16(x: int, multiplier: int = 0, shift: int = 0) -> int:
    """TFLM's int16 tanh (Q3.12 in when multiplier is 0 and shift 0, Q0.15 out)."""
    v = _scaled_s16(x, multiplier, shift)
    a = abs(v)
    uh = a >> 8
    if uh >= 255:
        r = 0xFFFF << 8
    else:
        ua, ub = SIGMOID_TABLE_U16[uh], SIGMOID_TABLE_U16[uh + 1]
        r = (ua << 8) + (a & 0xFF) * (ub - ua)
    r = r - (1 << 23) + (1 << 7) if v >= 0 else -r + (1 << 23) + (1 << 7) - 1
    return wrap32(r) >> 8
