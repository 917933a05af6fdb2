/* ADD_N: the element-wise sum of n_inputs same-shape tensors (int8 with TFLM's rescaling, int32;
 * float32: the float kernels). */
#include "tfc_add.h"
#include "tfc_kernels.h"

void tfc_add_n_s8(const tfc_add_n_params *p, const int8_t *const *inputs, int8_t *out) {
    /* TFLM starts the sum from the rescaled input offset (its "x = 0" is the offset, not 0) */
    const int32_t start = tfc_rescale_in(0, p->in_offset, p->left_shift, p->in_mult, p->in_shift);
    int32_t i, j;
    for (i = 0; i < p->count; ++i) {
        int32_t s = start;
        for (j = 0; j < p->n_inputs; ++j) {
            s += tfc_rescale_in(inputs[j][i], p->in_offset, p->left_shift, p->in_mult, p->in_shift);
        }
        out[i] = (int8_t)tfc_clamp_i32(tfc_mbqm(s, p->out_mult, p->out_shift) + p->out_zp, p->act_min, p->act_max);
    }
}

void tfc_add_n_s32(const tfc_add_n_params *p, const int32_t *const *inputs, int32_t *out) {
    int32_t i, j;
    for (i = 0; i < p->count; ++i) {
        uint32_t s = 0;
        for (j = 0; j < p->n_inputs; ++j) {
            s += (uint32_t)inputs[j][i];
        }
        out[i] = (int32_t)s;
    }
}
