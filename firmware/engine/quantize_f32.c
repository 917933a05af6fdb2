/* QUANTIZE float32 -> int8 (round half away from zero of x / scale, as TFLM) and
 * DEQUANTIZE int8 -> float32 through a host-computed 256-entry table. */
#include <math.h>

#include "tfc_kernels.h"

void tfc_quantize_f32_s8(const tfc_quantize_params *p, const float *in, int8_t *out) {
    int32_t i;
    for (i = 0; i < p->n; ++i) {
        int32_t v = (int32_t)roundf(in[i] / p->scale) + p->zero_point;
        v = v < -128 ? -128 : (v > 127 ? 127 : v);
        out[i] = (int8_t)v;
    }
}

void tfc_dequantize_s8_f32(const float *lut, const int8_t *in, float *out, int32_t n) {
    int32_t i;
    for (i = 0; i < n; ++i) {
        out[i] = lut[(int32_t)in[i] + 128];
    }
}
