/* CONV_2D int16x8: int16 activations (zero point 0), int8 per-channel weights, int64 bias (or, as
 * TFLM does for an int32 bias, 32-bit sums and requantisation). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_conv2d_s16(const tfc_conv16_params *q, const int16_t *in, int16_t *out) {
    const tfc_conv_params *p = &q->c;
    const int32_t ic_n = p->in_c;
    int32_t b, oy, ox, oc, ky, kx, ic;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *in_b = in + (int32_t)b * p->in_h * p->in_w * ic_n;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int8_t *w = p->weights + oc * p->k_h * p->k_w * ic_n;
                    int64_t acc = 0;
                    int32_t v;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        const int32_t y = y0 + ky * p->dil_h;
                        if (y < 0 || y >= p->in_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->k_w; ++kx) {
                            const int32_t x = x0 + kx * p->dil_w;
                            const int8_t *wk = w + (ky * p->k_w + kx) * ic_n;
                            const int16_t *px;
                            if (x < 0 || x >= p->in_w) {
                                continue;
                            }
                            px = in_b + (y * p->in_w + x) * ic_n;
                            for (ic = 0; ic < ic_n; ++ic) {
                                acc += (int64_t)((int32_t)wk[ic] * (int32_t)px[ic]);
                            }
                        }
                    }
                    if (q->acc32) { /* TFLM's int32-bias variant: the same sum in 32 bits (wrapping) */
                        uint32_t a = (uint32_t)(uint64_t)acc + (p->bias != 0 ? (uint32_t)p->bias[oc] : 0u);
                        v = tfc_mbqm((int32_t)a, p->mult[oc], p->shift[oc]);
                    } else {
                        if (q->bias64 != 0) {
                            acc += q->bias64[oc];
                        }
                        v = tfc_mbqm64(acc, p->mult[oc], p->shift[oc]);
                    }
                    *out++ = (int16_t)tfc_clamp_i32(v, p->act_min, p->act_max);
                }
            }
        }
    }
}
