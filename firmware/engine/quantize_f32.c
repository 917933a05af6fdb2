/* QUANTIZE float32 -> int8 / uint8 / int16 (round half away from zero of x / scale in float32,
 * as TFLM's AffineQuantize), DEQUANTIZE int8 / uint8 -> float32 through a host-computed
 * 256-entry table and int16 -> float32 as a float32 product (the same value as TFLM's
 * double product rounded to float: that product is exact). */
#include <math.h>

#include "tfc_kernels.h"

static inline int32_t quantize_one(const tfc_quantize_params *p, float x) {
    const int32_t v = (int32_t)roundf(x / p->scale) + p->zero_point;
    return v < p->qmin ? p->qmin : (v > p->qmax ? p->qmax : v);
}

void tfc_quantize_f32_s8(const tfc_quantize_params *p, const float *in, int8_t *out) {
    int32_t i;
    for (i = 0; i < p->n; ++i) {
        out[i] = (int8_t)quantize_one(p, in[i]);
    }
}

void tfc_quantize_f32_u8(const tfc_quantize_params *p, const float *in, uint8_t *out) {
    int32_t i;
    for (i = 0; i < p->n; ++i) {
        out[i] = (uint8_t)quantize_one(p, in[i]);
    }
}

void tfc_quantize_f32_s16(const tfc_quantize_params *p, const float *in, int16_t *out) {
    int32_t i;
    for (i = 0; i < p->n; ++i) {
        out[i] = (int16_t)quantize_one(p, in[i]);
    }
}

void tfc_dequantize_s8_f32(const float *lut, const int8_t *in, float *out, int32_t n) {
    int32_t i;
    for (i = 0; i < n; ++i) {
        out[i] = lut[(int32_t)in[i] + 128];
    }
}

void tfc_dequantize_s16_f32(const tfc_quantize_params *p, const int16_t *in, float *out) {
    int32_t i;
    for (i = 0; i < p->n; ++i) {
        out[i] = (float)((int32_t)in[i] - p->zero_point) * p->scale;
    }
}
