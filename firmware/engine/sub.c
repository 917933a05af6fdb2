/* SUB int8 / int16 (TFLM's quantised arithmetic, ADD's parameters) and int32; ADD int32. */
#include "tfc_add.h"
#include "tfc_kernels.h"

/* Both inputs rescaled to the shared scale, the difference requantised, offset and clamped. */
static inline int32_t sub_elem(const tfc_binary_params *p, int32_t a, int32_t b) {
    const int32_t d = tfc_rescale_in(a, p->in1_offset, p->left_shift, p->in1_mult, p->in1_shift) -
                      tfc_rescale_in(b, p->in2_offset, p->left_shift, p->in2_mult, p->in2_shift);
    return tfc_clamp_i32(tfc_mbqm(d, p->out_mult, p->out_shift) + p->out_zp, p->act_min, p->act_max);
}

void tfc_sub_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    TFC_BCAST_LOOP(p, out[n] = (int8_t)sub_elem(p, in1[o1], in2[o2]));
}

void tfc_sub_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, int16_t *out) {
    TFC_BCAST_LOOP(p, out[n] = (int16_t)sub_elem(p, in1[o1], in2[o2]));
}

void tfc_sub_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out) {
    TFC_BCAST_LOOP(p, out[n] = tfc_clamp_i32((int32_t)((uint32_t)in1[o1] - (uint32_t)in2[o2]), p->act_min,
                                             p->act_max));
}

void tfc_add_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out) {
    TFC_BCAST_LOOP(p, out[n] = (int32_t)((uint32_t)in1[o1] + (uint32_t)in2[o2]));
}
