/* tfc_conv_core.h — the reference CONV_2D loop, with an optional fused ADD epilogue and optional
 * compressed weights (wmode, a compile-time constant at every call site, so each variant is a
 * plain loop): TFC_W_4BIT packed 4-bit indices; TFC_W_SPARSE bitmap + non-zero values, where each
 * pixel's window is gathered once (int16, the zero point in the padding) and every channel
 * visits only its non-zero weights. */
#ifndef TFC_CONV_CORE_H
#define TFC_CONV_CORE_H

#include "tfc_add.h"
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

#define TFC_W_4BIT 1
#define TFC_W_SPARSE 2

/* The window of output pixel (y0, x0) in kernel order, padded taps holding the zero point. */
static inline void tfc_gather_window(const tfc_conv_params *p, const int8_t *in_b, int32_t y0, int32_t x0,
                                     int16_t *win) {
    int32_t ky, kx, ic;
    for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t y = y0 + ky * p->dil_h;
        for (kx = 0; kx < p->k_w; ++kx) {
            const int32_t x = x0 + kx * p->dil_w;
            if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
                const int8_t *px = in_b + (y * p->in_w + x) * p->in_c;
                for (ic = 0; ic < p->in_c; ++ic) {
                    *win++ = px[ic];
                }
            } else {
                for (ic = 0; ic < p->in_c; ++ic) {
                    *win++ = (int16_t)p->pad_value;
                }
            }
        }
    }
}

static inline void tfc_conv_core(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                             const int8_t *residual, int8_t *out, const int wmode) {
    const int w4 = wmode == TFC_W_4BIT, sp = wmode == TFC_W_SPARSE;
    const int32_t ic_n = p->in_c;
    const int32_t k_n = p->k_h * p->k_w * ic_n;
    const int32_t row_bytes = (k_n + 7) >> 3; /* sparse bitmap bytes per channel */
    int16_t stack_win[sp && !p->scratch ? k_n : 1];
    int16_t *const win = sp && p->scratch ? (int16_t *)p->scratch : stack_win;
    int32_t b, oy, ox, oc, ky, kx, ic;
    int32_t n = 0;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->in_h * p->in_w * ic_n;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int8_t *v = p->weights; /* sparse: the next non-zero value */
                if (sp) {
                    tfc_gather_window(p, in_b, y0, x0, win);
                }
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int8_t *w = p->weights + oc * p->k_h * p->k_w * ic_n;
                    const int8_t *cb = w4 ? TFC_W4_CODEBOOK(p, oc) : 0;
                    const int32_t e0 = w4 ? oc * p->k_h * p->k_w * ic_n : 0;
                    int32_t acc = p->bias[oc];
                    for (ky = 0; ky < (sp ? 0 : p->k_h); ++ky) {
                        const int32_t y = y0 + ky * p->dil_h;
                        const int y_in = y >= 0 && y < p->in_h;
                        for (kx = 0; kx < p->k_w; ++kx) {
                            const int32_t x = x0 + kx * p->dil_w;
                            const int8_t *wk = w + (ky * p->k_w + kx) * ic_n;
                            const int32_t ek = w4 ? e0 + (ky * p->k_w + kx) * ic_n : 0;
                            if (y_in && x >= 0 && x < p->in_w) {
                                const int8_t *px = in_b + (y * p->in_w + x) * ic_n;
                                for (ic = 0; ic < ic_n; ++ic) {
                                    const int32_t wv = w4 ? tfc_w4(p->weights, cb, ek + ic) : (int32_t)wk[ic];
                                    acc += wv * (int32_t)px[ic];
                                }
                            } else {
                                for (ic = 0; ic < ic_n; ++ic) {
                                    const int32_t wv = w4 ? tfc_w4(p->weights, cb, ek + ic) : (int32_t)wk[ic];
                                    acc += wv * p->pad_value;
                                }
                            }
                        }
                    }
                    if (sp) {
                        acc += tfc_sp_dot16(p->sp_bitmap + oc * row_bytes, &v, win, k_n);
                    }
                    acc = tfc_mbqm(acc, p->mult[wmode ? oc * p->q_step : oc], p->shift[wmode ? oc * p->q_step : oc]) + p->out_zp;
                    acc = tfc_clamp_i32(acc, p->act_min, p->act_max);
                    if (add != 0) {
                        acc = tfc_add_elem(add, acc, residual[n]);
                    }
                    out[n++] = (int8_t)acc;
                }
            }
        }
    }
}

#endif /* TFC_CONV_CORE_H */
