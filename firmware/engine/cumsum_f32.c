/* CUMSUM float32 along the middle dim of [outer, depth, inner]: each line accumulates from 0.0f
 * (from its end when reverse), writing the running sum after (or, exclusive, before) adding. */
#include "tfc_kernels.h"

void tfc_cumsum_f32(const tfc_cumsum_f32_params *p, const float *in, float *out) {
    int32_t o, i, d;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->inner; ++i) {
            float acc = 0.0f;
            for (d = 0; d < p->depth; ++d) {
                const int32_t dd = p->reverse ? p->depth - 1 - d : d;
                const int32_t at = (o * p->depth + dd) * p->inner + i;
                if (p->exclusive) {
                    const float x = in[at];
                    out[at] = acc;
                    acc = acc + x;
                } else {
                    acc = acc + in[at];
                    out[at] = acc;
                }
            }
        }
    }
}
