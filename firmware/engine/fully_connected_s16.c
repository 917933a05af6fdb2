/* FULLY_CONNECTED int16x8: int16 activations (zero point 0), int8 weights, int64 bias (or, as TFLM
 * does for an int32 bias, 32-bit sums and requantisation). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_fully_connected_s16(const tfc_fc16_params *q, const int16_t *in, int16_t *out) {
    const tfc_fc_params *p = &q->f;
    int32_t b, o, i;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *x = in + b * p->in_depth;
        for (o = 0; o < p->out_depth; ++o) {
            const int8_t *w = p->weights + o * p->in_depth;
            const int32_t qi = o * p->per_channel;
            int64_t acc = 0;
            int32_t v;
            for (i = 0; i < p->in_depth; ++i) {
                acc += (int64_t)((int32_t)w[i] * (int32_t)x[i]);
            }
            if (q->acc32) { /* TFLM's int32-bias variant: the same sum in 32 bits (wrapping) */
                uint32_t a = (uint32_t)(uint64_t)acc + (p->bias != 0 ? (uint32_t)p->bias[o] : 0u);
                v = tfc_mbqm((int32_t)a, p->mult[qi], p->shift[qi]);
            } else {
                if (q->bias64 != 0) {
                    acc += q->bias64[o];
                }
                v = tfc_mbqm64(acc, p->mult[qi], p->shift[qi]);
            }
            *out++ = (int16_t)tfc_clamp_i32(v, p->act_min, p->act_max);
        }
    }
}
