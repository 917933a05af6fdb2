/* DEPTHWISE_CONV_2D with 4-bit weights (packed indices into per-channel int8 codebooks). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_depthwise_conv2d_s8_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    const int32_t ic_n = p->in_c;
    const int32_t oc_n = p->out_c;
    int32_t b, oy, ox, ic, m, ky, kx;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->in_h * p->in_w * ic_n;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                for (ic = 0; ic < ic_n; ++ic) {
                    for (m = 0; m < p->depth_mult; ++m) {
                        const int32_t oc = ic * p->depth_mult + m;
                        const int8_t *cb = TFC_W4_CODEBOOK(p, oc);
                        int32_t acc = p->bias[oc];
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int32_t y = y0 + ky * p->dil_h;
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const int32_t x = x0 + kx * p->dil_w;
                                const int32_t w = tfc_w4(p->weights, cb, (ky * p->k_w + kx) * oc_n + oc);
                                int32_t v = p->pad_value;
                                if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
                                    v = in_b[(y * p->in_w + x) * ic_n + ic];
                                }
                                acc += w * v;
                            }
                        }
                        acc = tfc_mbqm(acc, p->mult[oc * p->q_step], p->shift[oc * p->q_step]) + p->out_zp;
                        *out++ = (int8_t)tfc_clamp_i32(acc, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
