/* SUM / MEAN / REDUCE_MAX / REDUCE_MIN float32. TFLM's Reduce walks the input in row-major order
 * and folds each element into its output, so every output sees its inputs in row-major order of
 * the reduced dims: the order kept here (the last reduced dim fastest). Sums start at 0.0f; MEAN
 * divides the sum by the float count; MAX/MIN start at -FLT_MAX/FLT_MAX and keep the current
 * value unless the new one is strictly greater/less. */
#include <float.h>

#include "tfc_kernels.h"

enum { TFC_RED_SUM, TFC_RED_MEAN, TFC_RED_MAX, TFC_RED_MIN };

static void tfc_reduce_f32(const tfc_reduce_f32_params *p, const float *in, float *out, int kind) {
    int32_t k[TFC_MAX_DIMS] = {0}, r[TFC_MAX_DIMS];
    int32_t d;
    for (;;) {
        const float *base = in;
        float acc = kind == TFC_RED_MAX ? -FLT_MAX : (kind == TFC_RED_MIN ? FLT_MAX : 0.0f);
        for (d = 0; d < p->k_ndim; ++d) {
            base += k[d] * p->k_stride[d];
        }
        for (d = 0; d < p->r_ndim; ++d) {
            r[d] = 0;
        }
        for (;;) {
            const float *src = base;
            float x;
            for (d = 0; d < p->r_ndim; ++d) {
                src += r[d] * p->r_stride[d];
            }
            x = *src;
            if (kind == TFC_RED_MAX) {
                acc = x > acc ? x : acc;
            } else if (kind == TFC_RED_MIN) {
                acc = x < acc ? x : acc;
            } else {
                acc = acc + x;
            }
            for (d = p->r_ndim - 1; d >= 0; --d) {
                if (++r[d] < p->r_shape[d]) {
                    break;
                }
                r[d] = 0;
            }
            if (d < 0) {
                break;
            }
        }
        *out++ = kind == TFC_RED_MEAN ? acc / p->count : acc;
        for (d = p->k_ndim - 1; d >= 0; --d) {
            if (++k[d] < p->k_shape[d]) {
                break;
            }
            k[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}

void tfc_sum_f32(const tfc_reduce_f32_params *p, const float *in, float *out) {
    tfc_reduce_f32(p, in, out, TFC_RED_SUM);
}

void tfc_mean_f32(const tfc_reduce_f32_params *p, const float *in, float *out) {
    tfc_reduce_f32(p, in, out, TFC_RED_MEAN);
}

void tfc_reduce_max_f32(const tfc_reduce_f32_params *p, const float *in, float *out) {
    tfc_reduce_f32(p, in, out, TFC_RED_MAX);
}

void tfc_reduce_min_f32(const tfc_reduce_f32_params *p, const float *in, float *out) {
    tfc_reduce_f32(p, in, out, TFC_RED_MIN);
}
