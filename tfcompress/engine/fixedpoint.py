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


#: sigmoid(i / 24) on [0, 10.67] in Q0.16 (65535 at the top), 256 points: the table TFLite's int16
#: LOGISTIC and TANH (and TFLM's integer LSTM gates) interpolate linearly. Numbers of the published
#: arithmetic, needed as they are for bit-exact results.
SIGMOID_TABLE_U16: tuple[int, ...] = (
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432,
    42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475,
    49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485,
    55834, 56174, 56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519,
    59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036,
    62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405,
    64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179,
    65194, 65208, 65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337,
    65345, 65352, 65360, 65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
    65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498, 65500, 65501,
    65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517,
    65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525, 65525,
    65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533,
    65533, 65533, 65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
)


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
