/* CAST to or from float32 as TFLM casts: integers (and bool 0/1) convert to the nearest float;
 * float converts to an integer type by truncation toward zero, saturating at the type's limits,
 * NaN giving 0 (what TFLM's host interpreter does; a plain C cast is undefined there). */
#include "tfc_kernels.h"

#define TFC_CAST_TO_F32(name, from_t)                               \
    void name(const from_t *in, float *out, int32_t n) {            \
        int32_t i;                                                  \
        for (i = 0; i < n; ++i) {                                   \
            out[i] = (float)in[i];                                  \
        }                                                           \
    }

/* hi: the least float above the type's range; lo: the greatest float whose truncation is below it. */
#define TFC_CAST_FROM_F32(name, to_t, hi, lo, max, min)             \
    void name(const float *in, to_t *out, int32_t n) {              \
        int32_t i;                                                  \
        for (i = 0; i < n; ++i) {                                   \
            const float x = in[i];                                  \
            out[i] = x != x ? (to_t)0 : x >= (hi) ? (to_t)(max) : x <= (lo) ? (to_t)(min) : (to_t)x; \
        }                                                           \
    }

TFC_CAST_TO_F32(tfc_cast_s8_f32, int8_t)
TFC_CAST_TO_F32(tfc_cast_s16_f32, int16_t)
TFC_CAST_TO_F32(tfc_cast_s32_f32, int32_t)
TFC_CAST_TO_F32(tfc_cast_u32_f32, uint32_t)
TFC_CAST_TO_F32(tfc_cast_b_f32, uint8_t)
TFC_CAST_FROM_F32(tfc_cast_f32_s8, int8_t, 128.0f, -129.0f, INT8_MAX, INT8_MIN)
TFC_CAST_FROM_F32(tfc_cast_f32_s16, int16_t, 32768.0f, -32769.0f, INT16_MAX, INT16_MIN)
TFC_CAST_FROM_F32(tfc_cast_f32_s32, int32_t, 2147483648.0f, -2147483904.0f, INT32_MAX, INT32_MIN)
TFC_CAST_FROM_F32(tfc_cast_f32_u32, uint32_t, 4294967296.0f, -1.0f, UINT32_MAX, 0)
