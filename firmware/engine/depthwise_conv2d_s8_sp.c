/* DEPTHWISE_CONV_2D with sparse weights: per output channel a bitmap of its k_h * k_w taps and
 * the non-zero values channel after channel (weights_sparse.py). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_depthwise_conv2d_s8_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    const int32_t ic_n = p->in_c;
    const int32_t row_bytes = (p->k_h * p->k_w + 7) >> 3;
    int32_t b, oy, ox, ic, m, ky, kx;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->in_h * p->in_w * ic_n;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                tfc_sp_cursor cur = {0, p->weights, 0};
                for (ic = 0; ic < ic_n; ++ic) {
                    for (m = 0; m < p->depth_mult; ++m) {
                        const int32_t oc = ic * p->depth_mult + m;
                        int32_t acc = p->bias[oc];
                        cur.bm = p->sp_bitmap + oc * row_bytes;
                        cur.e = 0;
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int32_t y = y0 + ky * p->dil_h;
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const int32_t x = x0 + kx * p->dil_w;
                                const int32_t w = tfc_sp_next(&cur);
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
