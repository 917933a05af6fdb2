/* The reference AVERAGE_POOL_2D and MAX_POOL_2D kernels, written once for every element type
 * (pool2d_s8.c and pool2d_s16.c instantiate them; separate files, so that a kernel set can replace
 * one type's entry points). Padding taps are excluded from the window; int32 sums, the average
 * rounded half away from zero, as TFLM's reference kernels. */
#ifndef TFC_POOL2D_REF_H
#define TFC_POOL2D_REF_H

#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

/* Loops over batch, output row and column, then runs the body (the variadic argument: it holds
 * commas); inside, ys..ye and xs..xe are the window clipped to
 * the input and in_b points at the batch. */
#define TFC_POOL2D_WINDOWS(type, ...)                                                           \
    int32_t b, oy, ox, c, y, x;                                                                \
    for (b = 0; b < p->batches; ++b) {                                                         \
        const type *in_b = in + b * p->in_h * p->in_w * p->channels;                           \
        for (oy = 0; oy < p->out_h; ++oy) {                                                    \
            const int32_t y0 = oy * p->stride_h - p->pad_top;                                  \
            const int32_t ys = tfc_max_i32(0, y0), ye = tfc_min_i32(p->in_h, y0 + p->k_h);     \
            for (ox = 0; ox < p->out_w; ++ox) {                                                \
                const int32_t x0 = ox * p->stride_w - p->pad_left;                             \
                const int32_t xs = tfc_max_i32(0, x0), xe = tfc_min_i32(p->in_w, x0 + p->k_w); \
                __VA_ARGS__                                                                    \
            }                                                                                  \
        }                                                                                      \
    }

#define TFC_POOL2D_REF(suffix, type, lowest)                                                        \
    void tfc_avg_pool2d_##suffix(const tfc_pool_params *p, const type *in, type *out) {             \
        TFC_POOL2D_WINDOWS(type, {                                                                  \
            const int32_t count = (ye - ys) * (xe - xs);                                            \
            for (c = 0; c < p->channels; ++c) {                                                     \
                int32_t acc = 0, avg;                                                               \
                for (y = ys; y < ye; ++y) {                                                         \
                    for (x = xs; x < xe; ++x) {                                                     \
                        acc += in_b[(y * p->in_w + x) * p->channels + c];                           \
                    }                                                                               \
                }                                                                                   \
                if (count == 0) {                                                                   \
                    avg = 0;                                                                        \
                } else {                                                                            \
                    avg = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;          \
                }                                                                                   \
                *out++ = (type)tfc_clamp_i32(avg, p->act_min, p->act_max);                          \
            }                                                                                       \
        })                                                                                          \
    }                                                                                               \
                                                                                                    \
    void tfc_max_pool2d_##suffix(const tfc_pool_params *p, const type *in, type *out) {             \
        TFC_POOL2D_WINDOWS(type, {                                                                  \
            for (c = 0; c < p->channels; ++c) {                                                     \
                int32_t m = lowest;                                                                 \
                for (y = ys; y < ye; ++y) {                                                         \
                    for (x = xs; x < xe; ++x) {                                                     \
                        m = tfc_max_i32(m, in_b[(y * p->in_w + x) * p->channels + c]);              \
                    }                                                                               \
                }                                                                                   \
                *out++ = (type)tfc_clamp_i32(m, p->act_min, p->act_max);                            \
            }                                                                                       \
        })                                                                                          \
    }

#endif /* TFC_POOL2D_REF_H */
