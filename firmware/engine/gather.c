/* GATHER / GATHER_ND / EMBEDDING_LOOKUP: slices selected by int32 or int64 indices. */
#include "tfc_kernels.h"

void tfc_gather(const tfc_gather_params *p, const void *in, const void *indices, void *out) {
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    const int32_t out_slice = p->dequant ? 4 * p->slice : p->slice;
    int32_t b, c, j, k;
    for (b = 0; b < p->batches * p->outer; ++b) {
        for (c = 0; c < p->coords; ++c) {
            const int32_t e = ((b / p->outer) * p->coords + c) * p->nd;
            int32_t pos = b * p->block, ok = 1;
            for (j = 0; j < p->nd; ++j) {
                const int64_t v = p->idx_size == 8 ? ((const int64_t *)indices)[e + j]
                                                   : (int64_t)((const int32_t *)indices)[e + j];
                if (v < 0 || v >= p->limit[j]) {
                    ok = 0;
                    break;
                }
                pos += (int32_t)v * p->step[j];
            }
            if (!ok) {
                for (k = 0; k < out_slice; ++k) {
                    dst[k] = 0;
                }
            } else if (p->dequant) {
                const int8_t *s = (const int8_t *)(src + pos);
                float *f = (float *)dst;
                for (k = 0; k < p->slice; ++k) {
                    f[k] = (float)s[k] * p->scale;
                }
            } else {
                for (k = 0; k < p->slice; ++k) {
                    dst[k] = src[pos + k];
                }
            }
            dst += out_slice;
        }
    }
}
