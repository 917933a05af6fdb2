/* FULLY_CONNECTED whose weights are a run-time tensor (an activation or a model input): zero points
 * subtracted on the fly (nothing can be folded on the host), per-tensor requantisation.
 * int8 x int8: 32-bit sums, int32 bias; int16 x int8: 64-bit sums, int64 bias. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

#define TFC_FC_RW_BODY(IN_T, ACC_T, BIAS, REQUANT)                                               \
    int32_t b, o, i;                                                                             \
    for (b = 0; b < p->batches; ++b) {                                                           \
        const IN_T *x = in + b * p->in_depth;                                                    \
        for (o = 0; o < p->out_depth; ++o) {                                                     \
            const int8_t *wo = w + o * p->in_depth;                                              \
            ACC_T acc = 0;                                                                       \
            int32_t v;                                                                           \
            for (i = 0; i < p->in_depth; ++i) {                                                  \
                acc += (ACC_T)(((int32_t)wo[i] - p->w_zp) * ((int32_t)x[i] - p->in_zp));         \
            }                                                                                    \
            if (BIAS != 0) {                                                                     \
                acc += BIAS[o];                                                                  \
            }                                                                                    \
            v = REQUANT(acc, p->mult, p->shift) + p->out_zp;                                     \
            *out++ = (IN_T)tfc_clamp_i32(v, p->act_min, p->act_max);                             \
        }                                                                                        \
    }

void tfc_fully_connected_rw_s8(const tfc_fc_rw_params *p, const int8_t *in, const int8_t *w, int8_t *out) {
    TFC_FC_RW_BODY(int8_t, int32_t, p->bias, tfc_mbqm)
}

void tfc_fully_connected_rw_s16(const tfc_fc_rw_params *p, const int16_t *in, const int8_t *w, int16_t *out) {
    TFC_FC_RW_BODY(int16_t, int64_t, p->bias64, tfc_mbqm64)
}
