/* CUMSUM int8 along one axis (TFLM's quantised path): each input offset, shifted left by 20 and
 * rescaled (in_mult, in_shift <= 0), accumulated in int32 from the rescaled -zero point (as TFLM
 * starts its accumulator); every partial sum (exclusive: the one before the element) rescaled to
 * the output. reverse walks the axis backwards. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_cumsum_s8(const tfc_cumsum_params *p, const int8_t *in, int8_t *out) {
    const int32_t start = tfc_mbqm((int32_t)((uint32_t)p->in_offset << 20), p->in_mult, p->in_shift);
    const int32_t step = p->reverse ? -p->inner : p->inner;
    int32_t o, i, k;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->inner; ++i) {
            int32_t at = o * p->depth * p->inner + i + (p->reverse ? (p->depth - 1) * p->inner : 0);
            uint32_t acc = (uint32_t)start;  /* int32 arithmetic that wraps like TFLM's */
            for (k = 0; k < p->depth; ++k, at += step) {
                const int32_t y = tfc_mbqm((int32_t)((uint32_t)(p->in_offset + in[at]) << 20), p->in_mult,
                                           p->in_shift);
                int32_t v;
                if (p->exclusive) {
                    v = (int32_t)acc;
                    acc += (uint32_t)y;
                } else {
                    acc += (uint32_t)y;
                    v = (int32_t)acc;
                }
                out[at] = (int8_t)tfc_clamp_i32(tfc_mbqm(v, p->out_mult, p->out_shift) + p->out_zp, -128, 127);
            }
        }
    }
}
