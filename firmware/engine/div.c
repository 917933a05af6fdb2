/* DIV int8 (TFLM's arithmetic: the divisor's Q0.31 reciprocal times the dividend scaled up by its
 * headroom, then requantised) and int32 (truncating). */
#include "tfc_add.h"
#include "tfc_kernels.h"

/* Leading redundant sign bits of x (31 for 0 and -1). */
static inline int32_t clrsb32(int32_t x) {
    return tfc_clz32((uint32_t)(x < 0 ? ~x : x)) - 1;
}

/* x / 2^e rounded to nearest as the TFLM host build computes it for any e >= 0: above 31 its mask
 * is all ones and its arithmetic shift takes e modulo 32 (x86), so small quotients of a small
 * dividend by a large divisor round to 1 rather than 0. */
static inline int32_t rdbpot_any(int32_t x, int32_t e) {
    if (e <= 31) {
        return tfc_rdbpot(x, e);
    }
    return (x >> (e & 31)) + (x > (x < 0 ? 0 : -1) ? 1 : 0);
}

static inline int32_t div_elem(const tfc_binary_params *p, int32_t a, int32_t b) {
    int32_t num = a + p->in1_offset, den = b + p->in2_offset, recip, headroom, q;
    int recip_shift;
    if (den < 0) { /* the reciprocal needs a positive divisor */
        num = -num;
        den = -den;
    }
    if (den == 0) { /* TFLM's reciprocal of 0: the leading-zero count is 32, the shifted value 0 */
        recip_shift = -1;
        recip = tfc_one_over_one_plus_x_q31(TFC_INT32_MIN);
    } else {
        recip = tfc_reciprocal(den, 31, &recip_shift);
    }
    headroom = clrsb32(num);
    q = tfc_srdhm((int32_t)((uint32_t)num << headroom), recip);
    q = rdbpot_any(tfc_srdhm(q, p->out_mult), headroom + recip_shift - p->out_shift);
    return tfc_clamp_i32(q + p->out_zp, p->act_min, p->act_max);
}

void tfc_div_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    TFC_BCAST_LOOP(p, out[n] = (int8_t)div_elem(p, in1[o1], in2[o2]));
}

void tfc_div_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out) {
    TFC_BCAST_LOOP(p, {
        const int32_t a = in1[o1];
        const int32_t b = in2[o2];
        const int32_t q = b == 0 ? 0 : b == -1 ? (int32_t)(0u - (uint32_t)a) : a / b;
        out[n] = tfc_clamp_i32(q, p->act_min, p->act_max);
    });
}
