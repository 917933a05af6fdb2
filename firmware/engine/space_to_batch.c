/* SPACE_TO_BATCH_ND (TFLM's loop order: output batch, row, column; one pixel of depth bytes). */
#include "tfc_kernels.h"

void tfc_space_to_batch(const tfc_space_to_batch_params *p, const void *in, void *out) {
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    int32_t ob, oh, ow, k;
    for (ob = 0; ob < p->out_b; ++ob) {
        const int32_t b = ob % p->in_b, shift = ob / p->in_b;
        const int32_t sh = shift / p->block_w, sw = shift % p->block_w;
        for (oh = 0; oh < p->out_h; ++oh) {
            const int32_t ih = oh * p->block_h + sh - p->pad_top;
            for (ow = 0; ow < p->out_w; ++ow) {
                const int32_t iw = ow * p->block_w + sw - p->pad_left;
                if (ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w) {
                    const uint8_t *s = src + ((b * p->in_h + ih) * p->in_w + iw) * p->depth;
                    for (k = 0; k < p->depth; ++k) {
                        dst[k] = s[k];
                    }
                } else {
                    for (k = 0; k < p->depth; ++k) {
                        dst[k] = p->pad[k & 7];
                    }
                }
                dst += p->depth;
            }
        }
    }
}
