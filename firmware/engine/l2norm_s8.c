/* L2_NORMALIZATION int8 along the last axis: TFLM's reference arithmetic, (x - zp) times the
 * integer inverse square root of the row's sum of squares, in 1/128 units. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_l2norm_s8(const tfc_l2norm_params *p, const int8_t *in, int8_t *out) {
    int32_t i, c;
    for (i = 0; i < p->outer; ++i) {
        const int8_t *x = in + i * p->depth;
        int8_t *y = out + i * p->depth;
        int32_t acc = 0, inv;
        int shift;
        for (c = 0; c < p->depth; ++c) {
            const int32_t d = (int32_t)x[c] - p->in_zp;
            acc += d * d;
        }
        inv = tfc_inv_sqrt(acc, &shift);
        for (c = 0; c < p->depth; ++c) {
            const int32_t v = tfc_mbqm((int32_t)x[c] - p->in_zp, inv, shift + 7);
            y[c] = (int8_t)tfc_clamp_i32(v, -128, 127);
        }
    }
}
