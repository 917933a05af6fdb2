/* LOG_SOFTMAX int8 -> int8 (output scale 16/256, zero point 127): TFLM's reference arithmetic,
 * the fixed-point exp of the int8 softmax summed in Q12.19, its log in Q5.26 (a rational
 * approximation after a power-of-two range reduction), and the input difference minus that log. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

static int32_t wrap_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }

static int32_t sat_add(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a + b;
    return s > TFC_INT32_MAX ? TFC_INT32_MAX : (s < TFC_INT32_MIN ? TFC_INT32_MIN : (int32_t)s);
}

/* log(z) for z >= 1 in Q12.19 -> Q5.26 (accumulated in Q6.25). Constants are round(c * 2^31). */
static int32_t log_q12_to_q5(int32_t z) {
    const int32_t log_2 = 1488522236;          /* log(2) */
    const int32_t sqrt_sqrt_half = 1805811301; /* 2^-1/4 */
    const int32_t sqrt_half = 1518500250;      /* 2^-1/2 */
    const int32_t alpha_n = 117049297;         /* 11/240 * 2^1/4 */
    const int32_t alpha_d = 127690142;         /* 1/20 * 2^1/4 */
    const int32_t alpha_i = 1057819769;        /* 2 / 2^1/4 - 2^1/4 */
    const int32_t alpha_f = 638450708;         /* 1/4 * 2^1/4 */
    const int32_t quarter = tfc_rdbpot(1 << 29, 6);  /* 1/4 in Q6.25 */
    const int za_head_plus_one = tfc_clz32((uint32_t)z);
    const int32_t r_a = tfc_sat_shl(tfc_srdhm(tfc_sat_shl(z, za_head_plus_one - 1), sqrt_half), 1);
    const int32_t za_pow2 = sat_add(tfc_sat_shl(12 - za_head_plus_one, 25), quarter);
    const int zb_head = tfc_clz32((uint32_t)tfc_srdhm(z, sqrt_half)) - 1;
    const int32_t r_b = tfc_sat_shl(z, zb_head);
    const int32_t zb_pow2 = sat_add(tfc_sat_shl(12 - zb_head, 25), -quarter);
    const int32_t r = tfc_min_i32(r_a, r_b);
    const int32_t pow2 = tfc_max_i32(za_pow2, zb_pow2);
    const int64_t half_sum = (int64_t)r + sqrt_sqrt_half;
    const int32_t p = (int32_t)((half_sum + (half_sum >= 0 ? 1 : -1)) / 2);
    int32_t q = wrap_add(r, -sqrt_sqrt_half);
    int32_t sq, num, den;
    q = wrap_add(q, q);
    sq = tfc_srdhm(q, q);
    num = wrap_add(tfc_srdhm(q, r), tfc_srdhm(tfc_srdhm(q, sq), alpha_n));
    den = wrap_add(tfc_srdhm(p, wrap_add(wrap_add(alpha_i, q), tfc_srdhm(alpha_d, sq))), tfc_srdhm(alpha_f, q));
    return tfc_sat_shl(wrap_add(tfc_srdhm(pow2, log_2),
                                tfc_srdhm(tfc_rdbpot(num, 6), tfc_one_over_one_plus_x_q31(den))), 1);
}

void tfc_log_softmax_s8(const tfc_log_softmax_params *p, const int8_t *in, int8_t *out) {
    int32_t i, c;
    for (i = 0; i < p->outer; ++i) {
        const int8_t *x = in + i * p->depth;
        int8_t *y = out + i * p->depth;
        int32_t max_v = -128, sum = 0, log_sum, min_diff;
        for (c = 0; c < p->depth; ++c) {
            max_v = tfc_max_i32(max_v, x[c]);
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_v;
            if (diff >= p->diff_min) {
                const int32_t scaled = tfc_mbqm(diff, p->input_mult, p->input_left_shift);
                sum = wrap_add(sum, tfc_rdbpot(tfc_exp_neg_q5_26(scaled), 12));
            }
        }
        log_sum = log_q12_to_q5(sum);
        min_diff = tfc_max_i32(p->diff_min - 1,
                               tfc_mbqm(wrap_add(log_sum, TFC_INT32_MIN), p->reverse_mult, p->reverse_shift));
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_v;
            int32_t v = -128;
            if (diff > min_diff) {
                const int32_t scaled = tfc_mbqm(diff, p->input_mult, p->input_left_shift);
                v = tfc_clamp_i32(tfc_rdbpot(wrap_add(scaled, -log_sum), 31 - 5 - 4) + 127, -128, 127);
            }
            y[c] = (int8_t)v;
        }
    }
}
