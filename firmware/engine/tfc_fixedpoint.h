/* tfc_fixedpoint.h — integer arithmetic shared by every tfcompress kernel.
 *
 * Reproduces the rounding of TensorFlow Lite Micro's reference kernels bit for bit:
 * the "double rounding" MultiplyByQuantizedMultiplier (a saturating rounding doubling
 * high multiply followed by a rounding right shift) and the Q-format helpers used by
 * the int8 softmax (exp on negative values, 1/(1+x) by Newton-Raphson).
 * Written for tfcompress from the published arithmetic definitions. C99, no libc.
 */
#ifndef TFC_FIXEDPOINT_H
#define TFC_FIXEDPOINT_H

#include <stdint.h>

#define TFC_INT32_MIN ((int32_t)(-2147483647 - 1))
#define TFC_INT32_MAX ((int32_t)2147483647)

static inline int32_t tfc_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t tfc_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t tfc_clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* round(a * b / 2^31) with ties away from zero; saturates the single overflow case. */
static inline int32_t tfc_srdhm(int32_t a, int32_t b) {
    int64_t ab;
    int64_t nudge;
    if (a == TFC_INT32_MIN && b == TFC_INT32_MIN) {
        return TFC_INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero (exponent in [0, 31]). */
static inline int32_t tfc_rdbpot(int32_t x, int exponent) {
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift (multiplier is Q31, shift > 0 shifts left). */
static inline int32_t tfc_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    return tfc_rdbpot(tfc_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

/* 64-bit accumulator variant (int16x8 kernels): the multiplier reduced to 16 bits, one
 * rounding shift. */
static inline int32_t tfc_mbqm64(int64_t x, int32_t multiplier, int32_t shift) {
    const int64_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
    const int total_shift = 15 - shift;
    const int64_t round = (int64_t)1 << (total_shift - 1);
    return (int32_t)((x * reduced + round) >> total_shift);
}

/* Saturating x * 2^exponent for exponent > 0. */
static inline int32_t tfc_sat_shl(int32_t x, int exponent) {
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return TFC_INT32_MAX;
    }
    if (x < -threshold) {
        return TFC_INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(x) for x in [-1/4, 0) — x and result in Q0.31. */
static inline int32_t tfc_exp_quarter_q31(int32_t a) {
    const int32_t c_term = 1895147668;      /* exp(-1/8) in Q0.31 */
    const int32_t c_1_over_3 = 715827883;   /* 1/3 in Q0.31 */
    const int32_t x = a + (1 << 28);        /* a + 1/8 */
    const int32_t x2 = tfc_srdhm(x, x);
    const int32_t x3 = tfc_srdhm(x2, x);
    const int32_t x4 = tfc_srdhm(x2, x2);
    const int32_t x4_over_4 = tfc_rdbpot(x4, 2);
    const int32_t poly = tfc_rdbpot(tfc_srdhm(x4_over_4 + x3, c_1_over_3) + x2, 1);
    return c_term + tfc_srdhm(c_term, x + poly);
}

/* exp(a) for a <= 0; a in Q5.26, result in Q0.31. */
static inline int32_t tfc_exp_neg_q5_26(int32_t a) {
    static const int32_t mult[7] = {1672461947, 1302514674, 790015084, 290630308,
                                    39332535, 720401, 242};
    const int32_t one_quarter = 1 << 24;
    const int32_t a_mod = (a & (one_quarter - 1)) - one_quarter;
    int32_t result = tfc_exp_quarter_q31(tfc_sat_shl(a_mod, 5));
    const int32_t remainder = a_mod - a;
    int k;
    for (k = 0; k < 7; ++k) {          /* exponents -2 .. +4: bits 24 .. 30 */
        if (remainder & (1 << (24 + k))) {
            result = tfc_srdhm(result, mult[k]);
        }
    }
    if (a == 0) {
        result = TFC_INT32_MAX;
    }
    return result;
}

/* 1 / (1 + a) for a in [0, 1) in Q0.31 (Newton-Raphson, three iterations). */
static inline int32_t tfc_one_over_one_plus_x_q31(int32_t a) {
    const int64_t sum = (int64_t)a + (int64_t)TFC_INT32_MAX;
    const int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t c_48_17 = 1515870810;     /* 48/17 in Q2.29 */
    const int32_t c_neg_32_17 = -1010580540;
    int32_t x = c_48_17 + tfc_srdhm(half_den, c_neg_32_17);
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t hdx = tfc_srdhm(half_den, x);
        const int32_t one_minus = (1 << 29) - hdx;
        x = x + tfc_sat_shl(tfc_srdhm(x, one_minus), 2);
    }
    return tfc_sat_shl(x, 1);
}

static inline int tfc_clz32(uint32_t x) {
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* Reciprocal of a Q(int_bits) value: returns Q0.31 scale and the extra shift. */
static inline int32_t tfc_reciprocal(int32_t x, int int_bits, int *bits_over_unit) {
    const int headroom = tfc_clz32((uint32_t)x);
    const int32_t shifted_minus_one =
        (int32_t)(((uint32_t)x << headroom) - ((uint32_t)1 << 31));
    *bits_over_unit = int_bits - headroom;
    return tfc_one_over_one_plus_x_q31(shifted_minus_one);
}

/* Saturating rounding x * 2^exponent of gemmlowp: exponent > 0 saturating left shift, < 0 a
 * rounding right shift. */
static inline int32_t tfc_rescale_pot(int32_t x, int exponent) {
    if (exponent > 0) {
        return tfc_sat_shl(x, exponent);
    }
    return exponent < 0 ? tfc_rdbpot(x, -exponent) : x;
}

/* 1 / sqrt(x) for an int32 x >= 0 as a Q31 multiplier and a left shift (TFLite's
 * GetInvSqrtQuantizedMultiplierExp with reverse_shift -1: Newton-Raphson in Q3.28, five
 * iterations from 1; 0 and 1 give (INT32_MAX, 0)). Used by RSQRT and L2_NORMALIZATION. */
static inline int32_t tfc_inv_sqrt(int32_t x, int *shift) {
    const int32_t half_three = (1 << 28) + (1 << 27);
    int32_t half_x, y;
    int s = 11, pairs, i;
    if (x <= 1) {
        *shift = 0;
        return TFC_INT32_MAX;
    }
    while (x >= (1 << 29)) {
        x /= 4;
        ++s;
    }
    pairs = (tfc_clz32((uint32_t)x) - 1) / 2 - 1;
    s -= pairs;
    x = (int32_t)((uint32_t)x << (2 * pairs));
    half_x = tfc_rdbpot(x >> 1, 1);
    y = 1 << 28;
    for (i = 0; i < 5; ++i) {
        const int32_t y3 = tfc_sat_shl(tfc_srdhm(tfc_srdhm(y, y), y), 6);
        y = tfc_sat_shl((int32_t)((uint32_t)tfc_srdhm(half_three, y) - (uint32_t)tfc_srdhm(half_x, y3)), 3);
    }
    y = tfc_srdhm(y, 1518500250); /* sqrt(2) / 2 in Q0.31 */
    if (s < 0) {
        y = (int32_t)((uint32_t)y << -s);
        s = 0;
    }
    *shift = -s;
    return y;
}

/* int16 -> int16 through a 513-entry table with linear interpolation (TFLite's LUTLookup): the
 * top 9 bits of the input pick an entry, the low 7 interpolate towards the next one. */
static inline int16_t tfc_lut_interp_s16(int16_t v, const int16_t *lut) {
    const int32_t index = 256 + (v >> 7);
    const int32_t offset = v & 0x7F;
    const int16_t base = lut[index];
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    return (int16_t)(base + ((slope * offset + 64) >> 7));
}

/* TFLM's int16 logistic and tanh of an input already scaled to the table's range (x * 3 for a
 * Q3.12 x; tfcompress/engine/fixedpoint.py logistic_s16 / tanh_s16), by linear interpolation in the
 * 256-entry sigmoid table (Q0.16, fixedpoint.SIGMOID_TABLE_U16, passed from flash). Q0.15 out. */
static inline int16_t tfc_logistic_s16(int32_t v, const uint16_t *table) {
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 9;
    uint32_t r;
    if (uh >= 255) {
        r = (uint32_t)0x7FFF << 10;
    } else {
        r = ((uint32_t)table[uh] << 9) + (a & 0x1FF) * (uint32_t)(table[uh + 1] - table[uh]);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
    return (int16_t)(r >> 10);
}

static inline int16_t tfc_tanh_s16(int32_t v, const uint16_t *table) {
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255) {
        r = 0xFFFF << 8;
    } else {
        r = (int32_t)(((uint32_t)table[uh] << 8) + (a & 0xFF) * (uint32_t)(table[uh + 1] - table[uh]));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

#endif /* TFC_FIXEDPOINT_H */
