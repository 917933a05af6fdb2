/* tfc_depthwise_core.h — the reference DEPTHWISE_CONV_2D loop (any depth multiplier and dilation)
 * with optional compressed weights (wmode, a compile-time constant at every call site, so each
 * variant is a plain loop): 0 int8 1HWO weights, TFC_W_4BIT packed 4-bit indices into codebooks,
 * TFC_W_SPARSE per-channel tap bitmaps + non-zero values (one cursor, channels in order). */
#ifndef TFC_DEPTHWISE_CORE_H
#define TFC_DEPTHWISE_CORE_H

#include "tfc_conv_core.h"

static inline void tfc_depthwise_core(const tfc_conv_params *p, const int8_t *in, int8_t *out, const int wmode) {
    const int32_t ic_n = p->in_c;
    const int32_t oc_n = p->out_c;
    const int32_t row_bytes = (p->k_h * p->k_w + 7) >> 3; /* sparse: tap bitmap bytes per channel */
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
                        const int8_t *cb = wmode == TFC_W_4BIT ? TFC_W4_CODEBOOK(p, oc) : 0;
                        const int32_t q = wmode ? oc * p->q_step : oc;
                        int32_t acc = p->bias[oc];
                        if (wmode == TFC_W_SPARSE) {
                            cur.bm = p->sp_bitmap + oc * row_bytes;
                            cur.e = 0;
                        }
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int32_t y = y0 + ky * p->dil_h;
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const int32_t x = x0 + kx * p->dil_w;
                                const int32_t e = (ky * p->k_w + kx) * oc_n + oc;
                                const int32_t w = wmode == TFC_W_SPARSE ? tfc_sp_next(&cur)
                                                  : wmode == TFC_W_4BIT ? tfc_w4(p->weights, cb, e)
                                                                        : (int32_t)p->weights[e];
                                int32_t v = p->pad_value;
                                if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
                                    v = in_b[(y * p->in_w + x) * ic_n + ic];
                                }
                                acc += w * v;
                            }
                        }
                        acc = tfc_mbqm(acc, p->mult[q], p->shift[q]) + p->out_zp;
                        *out++ = (int8_t)tfc_clamp_i32(acc, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

#endif /* TFC_DEPTHWISE_CORE_H */
