/* MUL int16 (TFLM's quantised arithmetic; int8 is in binary_s8.c) and int32 (wrapping, clamped). */
#include "tfc_add.h"
#include "tfc_kernels.h"

void tfc_mul_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, int16_t *out) {
    TFC_BCAST_LOOP(p, {
        const int32_t prod = (in1[o1] + p->in1_offset) * (in2[o2] + p->in2_offset);
        out[n] = (int16_t)tfc_clamp_i32(tfc_mbqm(prod, p->out_mult, p->out_shift) + p->out_zp, p->act_min,
                                        p->act_max);
    });
}

void tfc_mul_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out) {
    TFC_BCAST_LOOP(p, out[n] = tfc_clamp_i32((int32_t)((uint32_t)in1[o1] * (uint32_t)in2[o2]), p->act_min,
                                             p->act_max));
}
