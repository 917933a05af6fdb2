/* RSQRT int16: 1 / sqrt(in - in_zp) by TFLM's integer Newton-Raphson (tfc_inv_sqrt), as a
 * multiplier applied to 1 << 20, then rescaled to the output. An input at (or below, where
 * TFLM stops with an error) the zero point gives the largest output. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_rsqrt_s16(const tfc_rsqrt16_params *p, const int16_t *in, int16_t *out) {
    int32_t i;
    for (i = 0; i < p->n; ++i) {
        const int32_t d = (int32_t)in[i] - p->in_zp;
        int32_t v = 32767;
        if (d > 0) {
            int shift;
            const int32_t inv = tfc_inv_sqrt(d, &shift);
            const int32_t data = tfc_mbqm(1, inv, shift + 20);
            v = tfc_clamp_i32(p->out_zp + tfc_mbqm(data, p->mult, p->shift - 20), -32768, 32767);
        }
        out[i] = (int16_t)v;
    }
}
