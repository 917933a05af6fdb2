/* Float32 binary ops with up to 5-D broadcasting: the element expressions of TFLM's reference
 * kernels (add/sub/mul/div with ActivationFunctionWithMinMax, maximum_minimum, squared_difference,
 * floor_div in double, floor_mod through fmodf, comparisons). Device libm caveat: tfc_kernels.h. */
#include <math.h>

#include "tfc_kernels.h"

/* std::min(std::max(x, lo), hi): NaN passes through, +inf becomes hi. */
static inline float tfc_clamp_f32(float x, float lo, float hi) {
    x = x < lo ? lo : x;
    return hi < x ? hi : x;
}

static inline float tfc_floor_mod(float a, float b) {
    const float m = fmodf(a, b);
    return (m != 0.0f && ((b < 0.0f) != (m < 0.0f))) ? m + b : m;
}

/* One function per op: walk the output in order, inputs through their (broadcast) strides. */
#define TFC_BINARY_F32(name, otype, expr)                                                         \
    void name(const tfc_binary_f32_params *p, const float *in1, const float *in2, otype *out) {  \
        const float lo = p->act_min, hi = p->act_max;                                             \
        int32_t i0, i1, i2, i3, i4;                                                               \
        (void)lo;                                                                                 \
        (void)hi;                                                                                 \
        for (i0 = 0; i0 < p->shape[0]; ++i0) {                                                    \
            for (i1 = 0; i1 < p->shape[1]; ++i1) {                                                \
                for (i2 = 0; i2 < p->shape[2]; ++i2) {                                            \
                    for (i3 = 0; i3 < p->shape[3]; ++i3) {                                        \
                        const float *pa = in1 + i0 * p->stride1[0] + i1 * p->stride1[1] +         \
                                          i2 * p->stride1[2] + i3 * p->stride1[3];                \
                        const float *pb = in2 + i0 * p->stride2[0] + i1 * p->stride2[1] +         \
                                          i2 * p->stride2[2] + i3 * p->stride2[3];                \
                        for (i4 = 0; i4 < p->shape[4]; ++i4) {                                    \
                            const float a = pa[i4 * p->stride1[4]];                               \
                            const float b = pb[i4 * p->stride2[4]];                               \
                            *out++ = (otype)(expr);                                               \
                        }                                                                         \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

TFC_BINARY_F32(tfc_add_f32, float, tfc_clamp_f32(a + b, lo, hi))
TFC_BINARY_F32(tfc_sub_f32, float, tfc_clamp_f32(a - b, lo, hi))
TFC_BINARY_F32(tfc_mul_f32, float, tfc_clamp_f32(a * b, lo, hi))
TFC_BINARY_F32(tfc_div_f32, float, tfc_clamp_f32(a / b, lo, hi))
TFC_BINARY_F32(tfc_maximum_f32, float, a > b ? a : b)
TFC_BINARY_F32(tfc_minimum_f32, float, a < b ? a : b)
TFC_BINARY_F32(tfc_squared_difference_f32, float, (a - b) * (a - b))
TFC_BINARY_F32(tfc_floor_div_f32, float, floor((double)a / (double)b))
TFC_BINARY_F32(tfc_floor_mod_f32, float, tfc_floor_mod(a, b))
TFC_BINARY_F32(tfc_equal_f32, uint8_t, a == b)
TFC_BINARY_F32(tfc_not_equal_f32, uint8_t, a != b)
TFC_BINARY_F32(tfc_greater_f32, uint8_t, a > b)
TFC_BINARY_F32(tfc_greater_equal_f32, uint8_t, a >= b)
TFC_BINARY_F32(tfc_less_f32, uint8_t, a < b)
TFC_BINARY_F32(tfc_less_equal_f32, uint8_t, a <= b)
