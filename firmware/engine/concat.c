/* CONCATENATION / PACK: interleave the inputs' chunks along the axis (byte copies);
 * SPLIT / SPLIT_V / UNPACK: the inverse. */
#include "tfc_kernels.h"

void tfc_concat(const tfc_concat_params *p, const int8_t *const *inputs, int8_t *out) {
    int32_t o, k, i;
    for (o = 0; o < p->outer; ++o) {
        int8_t *dst = out + o * p->out_chunk;
        for (k = 0; k < p->n_inputs; ++k) {
            const int32_t c = p->chunks[k];
            const int8_t *src = inputs[k] + o * c;
            for (i = 0; i < c; ++i) {
                *dst++ = src[i];
            }
        }
    }
}

void tfc_split(const tfc_concat_params *p, const int8_t *in, int8_t *const *outputs) {
    int32_t o, k, i;
    for (o = 0; o < p->outer; ++o) {
        const int8_t *src = in + o * p->out_chunk;
        for (k = 0; k < p->n_inputs; ++k) {
            const int32_t c = p->chunks[k];
            int8_t *dst = outputs[k] + o * c;
            for (i = 0; i < c; ++i) {
                dst[i] = *src++;
            }
        }
    }
}
