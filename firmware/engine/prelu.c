/* PRELU int8 and int16 with int8 alpha (TFLM's arithmetic: two output multipliers, one for the
 * identity side, one for input x alpha). */
#include "tfc_add.h"
#include "tfc_kernels.h"

static inline int32_t prelu_elem(const tfc_binary_params *p, int32_t x, int32_t alpha) {
    const int32_t v = x + p->in1_offset;
    const int32_t r = v >= 0 ? tfc_mbqm(v, p->in1_mult, p->in1_shift)
                             : tfc_mbqm(v * (alpha + p->in2_offset), p->in2_mult, p->in2_shift);
    return tfc_clamp_i32(r + p->out_zp, p->act_min, p->act_max);
}

void tfc_prelu_s8(const tfc_binary_params *p, const int8_t *in, const int8_t *alpha, int8_t *out) {
    TFC_BCAST_LOOP(p, out[n] = (int8_t)prelu_elem(p, in[o1], alpha[o2]));
}

void tfc_prelu_s16(const tfc_binary_params *p, const int16_t *in, const int8_t *alpha, int16_t *out) {
    TFC_BCAST_LOOP(p, out[n] = (int16_t)prelu_elem(p, in[o1], alpha[o2]));
}
