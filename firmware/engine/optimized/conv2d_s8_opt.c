/* CONV_2D, int8, optimised for Cortex-M4/M7 (DSP): drop-in for conv2d_s8.c.
 *
 * Two output pixels at a time: their receptive windows are copied once into a small int16
 * scratch on the stack (padding taps get the input zero point, so the folded bias stays exact),
 * interleaved per group of four so one pointer walks both. Then every pair of output channels
 * is a pure int8 x int8 dot product with SMLAD: per four window positions, two weight words
 * (host-interleaved: channel c, channel c + 1) give 16 MACs in 15 instructions. The 1x1
 * pointwise case is the same GEMM with a trivial window copy. Requantisation uses the
 * per-channel table precomputed on the host (tfc_dsp.h).
 *
 * Scratch layout, per group g of four window positions k = 4g..4g+3, int16:
 *   [g*8 + 0..3] pixel 0: x[4g], x[4g+2], x[4g+1], x[4g+3]   (the order SXTB16 produces)
 *   [g*8 + 4..7] pixel 1: likewise
 * so SMLAD(word0, SXTB16(w)) + SMLAD(word1, SXTB16(w ror 8)) is the dot product with the
 * weight word w = {w[4g], w[4g+1], w[4g+2], w[4g+3]} in natural order.
 */
#include "tfc_dsp.h"
#include "../tfc_kernels.h"

/* Largest padded window (kh * kw * in_c rounded up to 4) the stack scratch may hold (2 windows,
 * int16: 4 * K bytes); larger layers take the plain loop. Keep in sync with kernels_opt.CONV_MAX_K. */
#define TFC_CONV_MAX_K 640

/* Window of output pixel (oy, ox) into the scratch at col (pixel slot already applied). */
static void load_window(const tfc_conv_params *p, const int8_t *in_b, int32_t oy, int32_t ox,
                        int16_t *col, int32_t kp) {
    const int32_t ic_n = p->in_c;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    const int32_t seg = p->k_w * ic_n;
    int32_t ky, k = 0;
    if ((ic_n & 3) == 0 && p->dil_w == 1) { /* whole words: 4 channels per load */
        const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
        const int32_t pad2 = tfc_sxtb16(pad4);
        const int x_in = x0 >= 0 && x0 + p->k_w <= p->in_w;
        for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            int32_t *dst = (int32_t *)(col + 2 * k);
            int32_t i;
            if (y >= 0 && y < p->in_h && x_in) {
                const int8_t *src = in_b + (y * p->in_w + x0) * ic_n;
                for (i = 0; i < seg; i += 4) {
                    const uint32_t w = tfc_ld32(src + i);
                    dst[0] = tfc_sxtb16(w);
                    dst[1] = tfc_sxtb16_ror8(w);
                    dst += 4;
                }
            } else {
                int32_t kx;
                for (kx = 0; kx < p->k_w; ++kx) {
                    const int32_t x = x0 + kx;
                    const int ok = y >= 0 && y < p->in_h && x >= 0 && x < p->in_w;
                    const int8_t *src = in_b + (y * p->in_w + x) * ic_n;
                    for (i = 0; i < ic_n; i += 4) {
                        if (ok) {
                            const uint32_t w = tfc_ld32(src + i);
                            dst[0] = tfc_sxtb16(w);
                            dst[1] = tfc_sxtb16_ror8(w);
                        } else {
                            dst[0] = pad2;
                            dst[1] = pad2;
                        }
                        dst += 4;
                    }
                }
            }
            k += seg;
        }
    } else { /* any channel count / dilation: element by element, permuted within groups */
        int32_t kx, c;
        for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            for (kx = 0; kx < p->k_w; ++kx) {
                const int32_t x = x0 + kx * p->dil_w;
                const int ok = y >= 0 && y < p->in_h && x >= 0 && x < p->in_w;
                const int8_t *src = in_b + (y * p->in_w + x) * ic_n;
                for (c = 0; c < ic_n; ++c, ++k) {
                    /* position of k: group k/4 (8 int16 per group), slot {0, 2, 1, 3}[k % 4] */
                    const int32_t slot = ((k & 1) << 1) | ((k >> 1) & 1);
                    col[(k >> 2) * 8 + slot] = (int16_t)(ok ? src[c] : p->pad_value);
                }
            }
        }
        for (; k < kp; ++k) { /* zero padding up to a multiple of 4 (weights are zero there) */
            const int32_t slot = ((k & 1) << 1) | ((k >> 1) & 1);
            col[(k >> 2) * 8 + slot] = 0;
        }
    }
}

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

/* Any window size: one output at a time, reading the re-laid-out weights. */
static void conv_plain(const tfc_conv_params *p, const int8_t *in, int8_t *out, int32_t kp, int fast) {
    const int32_t ic_n = p->in_c;
    int32_t b, oy, ox, oc, ky, kx, ic;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * p->in_w * ic_n;
        for (oy = 0; oy < p->out_h; ++oy) {
            for (ox = 0; ox < p->out_w; ++ox) {
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int8_t *w = p->weights + (oc >> 1) * kp * 2 + (oc & 1) * 4;
                    int32_t acc = p->bias[oc], k = 0;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        const int32_t y = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                        for (kx = 0; kx < p->k_w; ++kx) {
                            const int32_t x = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                            const int ok = y >= 0 && y < p->in_h && x >= 0 && x < p->in_w;
                            for (ic = 0; ic < ic_n; ++ic, ++k) {
                                const int32_t v = ok ? in_b[(y * p->in_w + x) * ic_n + ic] : p->pad_value;
                                acc += v * w[(k >> 2) * 8 + (k & 3)];
                            }
                        }
                    }
                    *out++ = requant(acc, p, p->rq + TFC_RQ_HEADER + 4 * oc, oc, fast);
                }
            }
        }
    }
}

void tfc_conv2d_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    const int32_t k_n = p->k_h * p->k_w * p->in_c;
    const int32_t kp = (k_n + 3) & ~3;
    const int32_t oc_n = p->out_c;
    const int32_t npix = p->out_h * p->out_w;
    const int fast = p->rq[0] & TFC_RQ_FAST;
    int32_t b, pix;
    if (kp > TFC_CONV_MAX_K) {
        conv_plain(p, in, out, kp, fast);
        return;
    }
    {
    int32_t colw[kp]; /* two int16 windows: 4 * kp bytes */
    int16_t *const col = (int16_t *)colw;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * p->in_w * p->in_c;
        int8_t *out_b = out + b * npix * oc_n;
        for (pix = 0; pix < npix; pix += 2) {
            const int two = pix + 1 < npix;
            const int32_t *w = (const int32_t *)p->weights;
            const int32_t *q = p->rq + TFC_RQ_HEADER;
            int8_t *o0 = out_b + pix * oc_n;
            int8_t *o1 = o0 + oc_n;
            int32_t oc;
            load_window(p, in_b, pix / p->out_w, pix % p->out_w, col, kp);
            if (two) {
                load_window(p, in_b, (pix + 1) / p->out_w, (pix + 1) % p->out_w, col + 4, kp);
            } else {
                int32_t i;
                for (i = 0; i < kp; i += 4) { /* defined values in the unused slot */
                    col[2 * i + 4] = col[2 * i + 5] = col[2 * i + 6] = col[2 * i + 7] = 0;
                }
            }
            for (oc = 0; oc < oc_n; oc += 2) {
                const int32_t *x = (const int32_t *)col;
                const int32_t *const x_end = x + 4 * (kp >> 2);
                int32_t a00 = p->bias[oc], a01 = p->bias[oc + 1];
                int32_t a10 = a00, a11 = a01;
                do {
                    const int32_t x0a = x[0], x0b = x[1], x1a = x[2], x1b = x[3];
                    int32_t wl = tfc_sxtb16((uint32_t)w[0]), wh = tfc_sxtb16_ror8((uint32_t)w[0]);
                    a00 = tfc_smlad(x0a, wl, a00);
                    a00 = tfc_smlad(x0b, wh, a00);
                    a10 = tfc_smlad(x1a, wl, a10);
                    a10 = tfc_smlad(x1b, wh, a10);
                    wl = tfc_sxtb16((uint32_t)w[1]);
                    wh = tfc_sxtb16_ror8((uint32_t)w[1]);
                    a01 = tfc_smlad(x0a, wl, a01);
                    a01 = tfc_smlad(x0b, wh, a01);
                    a11 = tfc_smlad(x1a, wl, a11);
                    a11 = tfc_smlad(x1b, wh, a11);
                    w += 2;
                    x += 4;
                } while (x < x_end);
                o0[oc] = requant(a00, p, q, oc, fast);
                if (two) {
                    o1[oc] = requant(a10, p, q, oc, fast);
                }
                if (oc + 1 < oc_n) {
                    o0[oc + 1] = requant(a01, p, q + 4, oc + 1, fast);
                    if (two) {
                        o1[oc + 1] = requant(a11, p, q + 4, oc + 1, fast);
                    }
                }
                q += 8;
            }
        }
    }
    }
}
