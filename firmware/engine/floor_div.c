/* FLOOR_DIV and FLOOR_MOD: float (TFLM's types) and int32 (TFLite's reference kernels), with
 * broadcasting. Exact without libm: floor of the double quotient, and an exact float remainder. */
#include "tfc_add.h"
#include "tfc_kernels.h"

/* floor(q) for a double (NaN and infinities unchanged). */
static double floor_f64(double q) {
    double t;
    if (!(q > -4503599627370496.0 && q < 4503599627370496.0)) { /* |q| >= 2^52: already an integer */
        return q;
    }
    t = (double)(int64_t)q; /* truncated toward zero */
    return t > q ? t - 1.0 : t;
}

/* C's fmodf(x, y): x - trunc(x / y) * y, exactly. Binary long division in double: each partial
 * remainder has at most 25 significant bits, so every subtraction is exact. */
static float fmod_f32(float x, float y) {
    const double ay = y < 0.0f ? -(double)y : (double)y;
    double r = x < 0.0f ? -(double)x : (double)x, d = ay;
    if (x != x || y != y || ay == 0.0 || r - r != 0.0) { /* NaN operand, y == 0, x infinite */
        return (x - x) / (x - x) + y * 0.0f;
    }
    if (ay - ay != 0.0 || r < ay) { /* y infinite or |x| < |y| */
        return x;
    }
    while (d * 2.0 <= r) {
        d *= 2.0;
    }
    for (; d >= ay; d *= 0.5) {
        if (r >= d) {
            r -= d;
        }
    }
    return x < 0.0f ? -(float)r : (float)r;
}

static inline float floor_mod_f32(float a, float b) {
    const float m = fmod_f32(a, b);
    return m != 0.0f && ((b < 0.0f) != (m < 0.0f)) ? m + b : m;
}

static inline int32_t floor_div_s32(int32_t a, int32_t b) {
    int32_t q;
    if (b == 0) {
        return 0;
    }
    if (b == -1) {
        return (int32_t)(0u - (uint32_t)a);
    }
    q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline int32_t floor_mod_s32(int32_t a, int32_t b) {
    const int32_t m = (b == 0 || b == -1) ? 0 : a % b;
    return m != 0 && ((b < 0) != (m < 0)) ? m + b : m;
}

void tfc_floor_div_f32(const tfc_binary_params *p, const float *in1, const float *in2, float *out) {
    TFC_BCAST_LOOP(p, out[n] = (float)floor_f64((double)in1[o1] / (double)in2[o2]));
}

void tfc_floor_div_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out) {
    TFC_BCAST_LOOP(p, out[n] = floor_div_s32(in1[o1], in2[o2]));
}

void tfc_floor_mod_f32(const tfc_binary_params *p, const float *in1, const float *in2, float *out) {
    TFC_BCAST_LOOP(p, out[n] = floor_mod_f32(in1[o1], in2[o2]));
}

void tfc_floor_mod_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out) {
    TFC_BCAST_LOOP(p, out[n] = floor_mod_s32(in1[o1], in2[o2]));
}
