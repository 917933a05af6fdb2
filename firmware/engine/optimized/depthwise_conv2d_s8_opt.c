/* DEPTHWISE_CONV_2D, int8, optimised for Cortex-M4/M7 (DSP): drop-in for depthwise_conv2d_s8.c.
 *
 * Depth multiplier 1 and a channel count divisible by four (every MobileNet / DS-CNN layer):
 * four channels per word, SXTB16 splits them into (c0, c2) and (c1, c3) halfword pairs and
 * SMLABB / SMLATT accumulate each channel separately, with the weights in their natural 1HWO
 * order (four neighbouring channels per tap are one word). Padding taps read the input zero
 * point, as in the reference, so the host-folded bias stays exact. Other shapes take a plain
 * loop with the same requantisation.
 */
#include "tfc_dsp.h"
#include "../tfc_kernels.h"

static inline int8_t requant(int32_t acc, const tfc_conv_params *p, const int32_t *q, int32_t oc, int fast) {
    int32_t r;
    if (fast) {
        r = tfc_rq_fast(acc, q);
    } else {
        r = tfc_mbqm(acc, p->mult[oc], p->shift[oc]);
    }
    r = tfc_ssat8(r + p->out_zp);
    if (r < p->act_min) {
        r = p->act_min;
    }
    if (r > p->act_max) {
        r = p->act_max;
    }
    return (int8_t)r;
}

static void depthwise_generic(const tfc_conv_params *p, const int8_t *in, int8_t *out, int fast) {
    const int32_t ic_n = p->in_c;
    const int32_t oc_n = p->out_c;
    int32_t b, oy, ox, ic, m, ky, kx;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * p->in_w * ic_n;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                for (ic = 0; ic < ic_n; ++ic) {
                    for (m = 0; m < p->depth_mult; ++m) {
                        const int32_t oc = ic * p->depth_mult + m;
                        int32_t acc = p->bias[oc];
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int32_t y = y0 + ky * p->dil_h;
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const int32_t x = x0 + kx * p->dil_w;
                                int32_t v = p->pad_value;
                                if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
                                    v = in_b[(y * p->in_w + x) * ic_n + ic];
                                }
                                acc += p->weights[(ky * p->k_w + kx) * oc_n + oc] * v;
                            }
                        }
                        *out++ = requant(acc, p, p->rq + TFC_RQ_HEADER + 4 * oc, oc, fast);
                    }
                }
            }
        }
    }
}

void tfc_depthwise_conv2d_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    const int32_t c_n = p->in_c;
    const int fast = p->rq[0] & TFC_RQ_FAST;
    const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
    const int32_t row = p->in_w * c_n;
    const int32_t tap_x = p->dil_w * c_n;
    const int32_t tap_y = p->dil_h * row;
    int32_t b, oy, ox, c, ky, kx;
    if (p->depth_mult != 1 || (c_n & 3) != 0) {
        depthwise_generic(p, in, out, fast);
        return;
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * row;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int y_in = y0 >= 0 && y0 + (p->k_h - 1) * p->dil_h < p->in_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int inside = y_in && x0 >= 0 && x0 + (p->k_w - 1) * p->dil_w < p->in_w;
                const int8_t *src = in_b + y0 * row + x0 * c_n;
                const int8_t *wp = p->weights;
                const int32_t *q = p->rq + TFC_RQ_HEADER;
                for (c = 0; c < c_n; c += 4) {
                    int32_t a0 = p->bias[c], a1 = p->bias[c + 1], a2 = p->bias[c + 2], a3 = p->bias[c + 3];
                    const int8_t *w = wp + c;
                    if (inside) {
                        const int8_t *s = src + c;
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int8_t *sx = s;
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const uint32_t xv = tfc_ld32(sx), wv = tfc_ld32(w);
                                const int32_t xl = tfc_sxtb16(xv), xh = tfc_sxtb16_ror8(xv);
                                const int32_t wl = tfc_sxtb16(wv), wh = tfc_sxtb16_ror8(wv);
                                a0 = tfc_smlabb(xl, wl, a0);
                                a2 = tfc_smlatt(xl, wl, a2);
                                a1 = tfc_smlabb(xh, wh, a1);
                                a3 = tfc_smlatt(xh, wh, a3);
                                sx += tap_x;
                                w += c_n;
                            }
                            s += tap_y;
                        }
                    } else {
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int32_t y = y0 + ky * p->dil_h;
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const int32_t x = x0 + kx * p->dil_w;
                                const int ok = y >= 0 && y < p->in_h && x >= 0 && x < p->in_w;
                                const uint32_t xv = ok ? tfc_ld32(in_b + y * row + x * c_n + c) : pad4;
                                const uint32_t wv = tfc_ld32(w);
                                const int32_t xl = tfc_sxtb16(xv), xh = tfc_sxtb16_ror8(xv);
                                const int32_t wl = tfc_sxtb16(wv), wh = tfc_sxtb16_ror8(wv);
                                a0 = tfc_smlabb(xl, wl, a0);
                                a2 = tfc_smlatt(xl, wl, a2);
                                a1 = tfc_smlabb(xh, wh, a1);
                                a3 = tfc_smlatt(xh, wh, a3);
                                w += c_n;
                            }
                        }
                    }
                    out[0] = requant(a0, p, q, c, fast);
                    out[1] = requant(a1, p, q + 4, c + 1, fast);
                    out[2] = requant(a2, p, q + 8, c + 2, fast);
                    out[3] = requant(a3, p, q + 12, c + 3, fast);
                    out += 4;
                    q += 16;
                }
            }
        }
    }
}
