/* SOFTMAX int8 -> int8 (scale 1/256, zero point -128) and int8 -> int16 (scale 1/65536, zero
 * point -32768) with the fixed-point exp of the TFLM reference kernel. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

static void softmax_s8(const tfc_softmax_params *p, const int8_t *in, void *out, int out_bits) {
    const int32_t out_min = out_bits == 8 ? -128 : -32768;
    const int32_t out_max = out_bits == 8 ? 127 : 32767;
    int32_t i, c;
    for (i = 0; i < p->outer; ++i) {
        const int8_t *x = in + i * p->depth;
        int32_t max_v = -128;
        int32_t sum = 0;  /* Q12.19 */
        int32_t scale;
        int bits_over_unit;
        for (c = 0; c < p->depth; ++c) {
            max_v = tfc_max_i32(max_v, x[c]);
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_v;
            if (diff >= p->diff_min) {
                const int32_t scaled = tfc_srdhm((int32_t)((uint32_t)diff << p->input_left_shift),
                                                 p->input_mult);
                sum += tfc_rdbpot(tfc_exp_neg_q5_26(scaled), 12);
            }
        }
        scale = tfc_reciprocal(sum, 12, &bits_over_unit);
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_v;
            int32_t v = out_min;
            if (diff >= p->diff_min) {
                const int32_t scaled = tfc_srdhm((int32_t)((uint32_t)diff << p->input_left_shift),
                                                 p->input_mult);
                const int32_t e = tfc_exp_neg_q5_26(scaled);
                v = tfc_rdbpot(tfc_srdhm(scale, e), bits_over_unit + 31 - out_bits) + out_min;
                v = tfc_clamp_i32(v, out_min, out_max);
            }
            if (out_bits == 8) {
                ((int8_t *)out)[i * p->depth + c] = (int8_t)v;
            } else {
                ((int16_t *)out)[i * p->depth + c] = (int16_t)v;
            }
        }
    }
}

void tfc_softmax_s8(const tfc_softmax_params *p, const int8_t *in, int8_t *out) {
    softmax_s8(p, in, out, 8);
}

void tfc_softmax_s8_s16(const tfc_softmax_params *p, const int8_t *in, int16_t *out) {
    softmax_s8(p, in, out, 16);
}
