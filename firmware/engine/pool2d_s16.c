/* AVERAGE_POOL_2D and MAX_POOL_2D, int16 (padding taps are excluded from the window; int32 sums,
 * the average rounded half away from zero, as TFLM's int16 reference kernels). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_avg_pool2d_s16(const tfc_pool_params *p, const int16_t *in, int16_t *out) {
    int32_t b, oy, ox, c, y, x;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *in_b = in + b * p->in_h * p->in_w * p->channels;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ys = tfc_max_i32(0, y0), ye = tfc_min_i32(p->in_h, y0 + p->k_h);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t xs = tfc_max_i32(0, x0), xe = tfc_min_i32(p->in_w, x0 + p->k_w);
                const int32_t count = (ye - ys) * (xe - xs);
                for (c = 0; c < p->channels; ++c) {
                    int32_t acc = 0, avg;
                    for (y = ys; y < ye; ++y) {
                        for (x = xs; x < xe; ++x) {
                            acc += in_b[(y * p->in_w + x) * p->channels + c];
                        }
                    }
                    if (count == 0) {
                        avg = 0;
                    } else {
                        avg = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    *out++ = (int16_t)tfc_clamp_i32(avg, p->act_min, p->act_max);
                }
            }
        }
    }
}

void tfc_max_pool2d_s16(const tfc_pool_params *p, const int16_t *in, int16_t *out) {
    int32_t b, oy, ox, c, y, x;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *in_b = in + b * p->in_h * p->in_w * p->channels;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ys = tfc_max_i32(0, y0), ye = tfc_min_i32(p->in_h, y0 + p->k_h);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t xs = tfc_max_i32(0, x0), xe = tfc_min_i32(p->in_w, x0 + p->k_w);
                for (c = 0; c < p->channels; ++c) {
                    int32_t m = -32768;
                    for (y = ys; y < ye; ++y) {
                        for (x = xs; x < xe; ++x) {
                            m = tfc_max_i32(m, in_b[(y * p->in_w + x) * p->channels + c]);
                        }
                    }
                    *out++ = (int16_t)tfc_clamp_i32(m, p->act_min, p->act_max);
                }
            }
        }
    }
}
