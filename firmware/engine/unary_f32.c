/* Float32 element-wise unary ops, each the float32 expression of TFLM's reference kernel
 * (elementwise.cc, ceil/floor/round/neg/exp/elu, activations, logistic, tanh, leaky_relu,
 * hard_swish) with the same libm call (std::sin(float) is sinf, ...). Every element is read
 * before it is written, so out may equal in. Device libm caveat: see tfc_kernels.h. */
#include <math.h>

#include "tfc_kernels.h"

#define TFC_UNARY_F32(name, expr)                                   \
    void name(const float *in, float *out, int32_t n) {             \
        int32_t i;                                                  \
        for (i = 0; i < n; ++i) {                                   \
            const float x = in[i];                                  \
            out[i] = (expr);                                        \
        }                                                           \
    }

/* TFLM's RoundToNearest: half to even through floor (tf.round). */
static inline float tfc_round_half_even(float x) {
    const float f = floorf(x);
    const float diff = x - f;
    if (diff < 0.5f || (diff == 0.5f && (int32_t)f % 2 == 0)) {
        return f;
    }
    return f + 1.0f;
}

/* TFLM's float logistic: 1 above 16.619..., exp(x) below -9, else 1 / (1 + exp(-x)). */
static inline float tfc_logistic(float x) {
    if (x > 16.619047164916992188f) {
        return 1.0f;
    }
    if (x < -9.0f) {
        return expf(x);
    }
    return 1.0f / (1.0f + expf(-x));
}

/* in * min(6, max(0, in + 3)) / 6 with std::min / std::max semantics. */
static inline float tfc_hard_swish(float x) {
    float r = x + 3.0f;
    r = 0.0f < r ? r : 0.0f;
    r = r < 6.0f ? r : 6.0f;
    return x * r / 6.0f;
}

TFC_UNARY_F32(tfc_abs_f32, fabsf(x))
TFC_UNARY_F32(tfc_neg_f32, -x)
TFC_UNARY_F32(tfc_ceil_f32, ceilf(x))
TFC_UNARY_F32(tfc_floor_f32, floorf(x))
TFC_UNARY_F32(tfc_round_f32, tfc_round_half_even(x))
TFC_UNARY_F32(tfc_sqrt_f32, sqrtf(x))
TFC_UNARY_F32(tfc_rsqrt_f32, 1.0f / sqrtf(x))
TFC_UNARY_F32(tfc_square_f32, x * x)
TFC_UNARY_F32(tfc_sin_f32, sinf(x))
TFC_UNARY_F32(tfc_cos_f32, cosf(x))
TFC_UNARY_F32(tfc_exp_f32, expf(x))
TFC_UNARY_F32(tfc_log_f32, logf(x))
TFC_UNARY_F32(tfc_logistic_f32, tfc_logistic(x))
TFC_UNARY_F32(tfc_tanh_f32, tanhf(x))
TFC_UNARY_F32(tfc_relu_f32, x < 0.0f ? 0.0f : x)
TFC_UNARY_F32(tfc_relu6_f32, x > 6.0f ? 6.0f : (x < 0.0f ? 0.0f : x))
TFC_UNARY_F32(tfc_elu_f32, x < 0.0f ? expm1f(x) : x)
TFC_UNARY_F32(tfc_hard_swish_f32, tfc_hard_swish(x))

void tfc_leaky_relu_f32(const float *in, float *out, int32_t n, float alpha) {
    int32_t i;
    for (i = 0; i < n; ++i) {
        const float x = in[i];
        out[i] = x > 0.0f ? x : x * alpha;
    }
}
