/* FULLY_CONNECTED with 4-bit weights (packed indices into int8 codebooks). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_fully_connected_s8_w4(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    int32_t b, o, i;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = in + b * p->in_depth;
        for (o = 0; o < p->out_depth; ++o) {
            const int8_t *cb = TFC_W4_CODEBOOK(p, o);
            const int32_t e0 = o * p->in_depth;
            const int32_t q = o * p->per_channel;
            int32_t acc = p->bias[o];
            for (i = 0; i < p->in_depth; ++i) {
                acc += tfc_w4(p->weights, cb, e0 + i) * (int32_t)x[i];
            }
            acc = tfc_mbqm(acc, p->mult[q], p->shift[q]) + p->out_zp;
            *out++ = (int8_t)tfc_clamp_i32(acc, p->act_min, p->act_max);
        }
    }
}
