/* FULLY_CONNECTED with sparse weights (bitmap + non-zero values, weights_sparse.py). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_fully_connected_s8_sp(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    const int32_t row_bytes = (p->in_depth + 7) >> 3;
    int32_t b, o;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = in + b * p->in_depth;
        const int8_t *v = p->weights;
        for (o = 0; o < p->out_depth; ++o) {
            const int32_t q = o * p->per_channel;
            int32_t acc = p->bias[o] + tfc_sp_dot8(p->sp_bitmap + o * row_bytes, &v, x, p->in_depth);
            acc = tfc_mbqm(acc, p->mult[q], p->shift[q]) + p->out_zp;
            *out++ = (int8_t)tfc_clamp_i32(acc, p->act_min, p->act_max);
        }
    }
}
