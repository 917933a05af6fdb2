/* PAD / PADV2 with a constant value, up to five dimensions, 1-byte elements. */
#include "tfc_kernels.h"

void tfc_pad_s8(const tfc_pad_params *p, const int8_t *in, int8_t *out) {
    int32_t out_shape[5], idx[5] = {0, 0, 0, 0, 0};
    int32_t total = 1, n, d;
    for (d = 0; d < p->ndim; ++d) {
        out_shape[d] = p->before[d] + p->in_shape[d] + p->after[d];
        total *= out_shape[d];
    }
    for (n = 0; n < total; ++n) {
        int inside = 1;
        int32_t src = 0;
        for (d = 0; d < p->ndim; ++d) {
            const int32_t i = idx[d] - p->before[d];
            if (i < 0 || i >= p->in_shape[d]) {
                inside = 0;
                break;
            }
            src = src * p->in_shape[d] + i;
        }
        out[n] = inside ? in[src] : (int8_t)p->pad_value;
        for (d = p->ndim - 1; d >= 0; --d) {
            if (++idx[d] < out_shape[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
