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
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    const int32_t r = fast ? tfc_rq_fast(acc, q[0], q[1], q[2]) : tfc_mbqm(acc, p->mult[oc], p->shift[oc]);
    return tfc_out8(r, &os);
}

/* One tap for four channels: x and w words split into (c0, c2) / (c1, c3) halfword pairs. */
#define TFC_DW_TAP(xv, wv)                                        \
    do {                                                          \
        const int32_t xl_ = tfc_sxtb16(xv), xh_ = tfc_sxtb16_ror8(xv); \
        const int32_t wl_ = tfc_sxtb16(wv), wh_ = tfc_sxtb16_ror8(wv); \
        a0 = tfc_smlabb(xl_, wl_, a0);                            \
        a2 = tfc_smlatt(xl_, wl_, a2);                            \
        a1 = tfc_smlabb(xh_, wh_, a1);                            \
        a3 = tfc_smlatt(xh_, wh_, a3);                            \
    } while (0)

/* Interior 3x3 window, four channels: s = top-left input, w = first tap's weights. */
static inline void dw3x3(const int8_t *s, const int8_t *w, int32_t tap_x, int32_t tap_y, int32_t cn,
                         int32_t acc[4]) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t ky;
    for (ky = 0; ky < 3; ++ky) {
        TFC_DW_TAP(tfc_ld32(s), tfc_ld32(w));
        TFC_DW_TAP(tfc_ld32(s + tap_x), tfc_ld32(w + cn));
        TFC_DW_TAP(tfc_ld32(s + 2 * tap_x), tfc_ld32(w + 2 * cn));
        s += tap_y;
        w += 3 * cn;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
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
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
    const int32_t in_h = p->in_h, in_w = p->in_w, k_h = p->k_h, k_w = p->k_w;
    const int32_t dil_h = p->dil_h, dil_w = p->dil_w;
    const int32_t row = in_w * c_n;
    const int32_t tap_x = dil_w * c_n;
    const int32_t tap_y = dil_h * row;
    const int is3x3 = k_h == 3 && k_w == 3;
    int32_t b, oy, ox, c, ky, kx;
    if (p->depth_mult != 1 || (c_n & 3) != 0) {
        depthwise_generic(p, in, out, fast);
        return;
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * in_h * row;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int y_in = y0 >= 0 && y0 + (k_h - 1) * dil_h < in_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int inside = y_in && x0 >= 0 && x0 + (k_w - 1) * dil_w < in_w;
                const int32_t *q = p->rq + TFC_RQ_HEADER;
                const int32_t *bias = p->bias;
                for (c = 0; c < c_n; c += 4) {
                    int32_t acc[4];
                    const int8_t *w = p->weights + c;
                    acc[0] = bias[c];
                    acc[1] = bias[c + 1];
                    acc[2] = bias[c + 2];
                    acc[3] = bias[c + 3];
                    if (inside && is3x3) {
                        dw3x3(in_b + y0 * row + x0 * c_n + c, w, tap_x, tap_y, c_n, acc);
                    } else {
                        int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
                        for (ky = 0; ky < k_h; ++ky) {
                            const int32_t y = y0 + ky * dil_h;
                            for (kx = 0; kx < k_w; ++kx) {
                                const int32_t x = x0 + kx * dil_w;
                                const int ok = y >= 0 && y < in_h && x >= 0 && x < in_w;
                                const uint32_t xv = ok ? tfc_ld32(in_b + y * row + x * c_n + c) : pad4;
                                TFC_DW_TAP(xv, tfc_ld32(w));
                                w += c_n;
                            }
                        }
                        acc[0] = a0;
                        acc[1] = a1;
                        acc[2] = a2;
                        acc[3] = a3;
                    }
                    if (fast) {
                        out[0] = tfc_out8(tfc_rq_fast(acc[0], q[0], q[1], q[2]), &os);
                        out[1] = tfc_out8(tfc_rq_fast(acc[1], q[4], q[5], q[6]), &os);
                        out[2] = tfc_out8(tfc_rq_fast(acc[2], q[8], q[9], q[10]), &os);
                        out[3] = tfc_out8(tfc_rq_fast(acc[3], q[12], q[13], q[14]), &os);
                    } else {
                        out[0] = requant(acc[0], p, q, c, 0);
                        out[1] = requant(acc[1], p, q + 4, c + 1, 0);
                        out[2] = requant(acc[2], p, q + 8, c + 2, 0);
                        out[3] = requant(acc[3], p, q + 12, c + 3, 0);
                    }
                    out += 4;
                    q += 16;
                }
            }
        }
    }
}
