/* AVERAGE_POOL_2D and MAX_POOL_2D, int8, optimised: drop-in for pool2d_s8.c (both entry points).
 *
 * Average pooling over a channel count divisible by four sums four channels per word: SXTB16
 * splits the word into (c0, c2) / (c1, c3) halfword pairs and SADD16 accumulates them, exact
 * while the window has at most 255 taps (|sum| <= 255 * 128 < 2^15). The division rounds half
 * away from zero as the reference does. Other shapes and max pooling: plain loops.
 */
#include "tfc_dsp.h"
#include "../tfc_kernels.h"

static inline int8_t avg_round(int32_t acc, int32_t count, int32_t lo, int32_t hi) {
    int32_t avg;
    if (count == 0) {
        avg = 0;
    } else {
        avg = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    }
    return (int8_t)tfc_clamp_i32(avg, lo, hi);
}

void tfc_avg_pool2d_s8(const tfc_pool_params *p, const int8_t *in, int8_t *out) {
    const int32_t cn = p->channels;
    const int32_t row = p->in_w * cn;
    int32_t b, oy, ox, c, y, x;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * row;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ys = tfc_max_i32(0, y0), ye = tfc_min_i32(p->in_h, y0 + p->k_h);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t xs = tfc_max_i32(0, x0), xe = tfc_min_i32(p->in_w, x0 + p->k_w);
                const int32_t count = (ye - ys) * (xe - xs);
                c = 0;
                if ((cn & 3) == 0 && count <= 255) {
                    for (; c < cn; c += 4) {
                        int32_t s02 = 0, s13 = 0;
                        for (y = ys; y < ye; ++y) {
                            const int8_t *src = in_b + y * row + xs * cn + c;
                            for (x = xs; x < xe; ++x) {
                                const uint32_t v = tfc_ld32(src);
                                s02 = tfc_sadd16(s02, tfc_sxtb16(v));
                                s13 = tfc_sadd16(s13, tfc_sxtb16_ror8(v));
                                src += cn;
                            }
                        }
                        out[0] = avg_round((int16_t)(s02 & 0xFFFF), count, p->act_min, p->act_max);
                        out[1] = avg_round((int16_t)(s13 & 0xFFFF), count, p->act_min, p->act_max);
                        out[2] = avg_round((int16_t)((uint32_t)s02 >> 16), count, p->act_min, p->act_max);
                        out[3] = avg_round((int16_t)((uint32_t)s13 >> 16), count, p->act_min, p->act_max);
                        out += 4;
                    }
                }
                for (; c < cn; ++c) {
                    int32_t acc = 0;
                    for (y = ys; y < ye; ++y) {
                        for (x = xs; x < xe; ++x) {
                            acc += in_b[y * row + x * cn + c];
                        }
                    }
                    *out++ = avg_round(acc, count, p->act_min, p->act_max);
                }
            }
        }
    }
}

void tfc_max_pool2d_s8(const tfc_pool_params *p, const int8_t *in, int8_t *out) {
    const int32_t cn = p->channels;
    const int32_t row = p->in_w * cn;
    int32_t b, oy, ox, c, y, x;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * row;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ys = tfc_max_i32(0, y0), ye = tfc_min_i32(p->in_h, y0 + p->k_h);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t xs = tfc_max_i32(0, x0), xe = tfc_min_i32(p->in_w, x0 + p->k_w);
                for (c = 0; c < cn; ++c) {
                    int32_t m = -128;
                    for (y = ys; y < ye; ++y) {
                        for (x = xs; x < xe; ++x) {
                            m = tfc_max_i32(m, in_b[y * row + x * cn + c]);
                        }
                    }
                    *out++ = (int8_t)tfc_clamp_i32(m, p->act_min, p->act_max);
                }
            }
        }
    }
}
