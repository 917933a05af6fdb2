/* SOFTMAX and LOG_SOFTMAX float32 over the last dim, as TFLM's reference kernels: the row max
 * (std::max from -FLT_MAX), expf of the differences (times beta for SOFTMAX) summed in order,
 * then a division by the sum (SOFTMAX) or x - max - logf(sum) (LOG_SOFTMAX). */
#include <float.h>
#include <math.h>

#include "tfc_kernels.h"

static float tfc_row_max(const float *x, int32_t depth) {
    float m = -FLT_MAX;
    int32_t c;
    for (c = 0; c < depth; ++c) {
        m = m < x[c] ? x[c] : m;
    }
    return m;
}

void tfc_softmax_f32(const tfc_softmax_f32_params *p, const float *in, float *out) {
    int32_t i, c;
    for (i = 0; i < p->outer; ++i) {
        const float *x = in + i * p->depth;
        float *y = out + i * p->depth;
        const float max = tfc_row_max(x, p->depth);
        float sum = 0.0f;
        for (c = 0; c < p->depth; ++c) {
            const float e = expf((x[c] - max) * p->beta);
            y[c] = e;
            sum += e;
        }
        for (c = 0; c < p->depth; ++c) {
            y[c] = y[c] / sum;
        }
    }
}

void tfc_log_softmax_f32(const tfc_softmax_f32_params *p, const float *in, float *out) {
    int32_t i, c;
    for (i = 0; i < p->outer; ++i) {
        const float *x = in + i * p->depth;
        float *y = out + i * p->depth;
        const float max = tfc_row_max(x, p->depth);
        float sum = 0.0f, log_sum;
        for (c = 0; c < p->depth; ++c) {
            sum += expf(x[c] - max);
        }
        log_sum = logf(sum);
        for (c = 0; c < p->depth; ++c) {
            y[c] = x[c] - max - log_sum;
        }
    }
}
