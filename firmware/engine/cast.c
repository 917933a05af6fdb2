/* CAST: C conversions between the integer types, bool and float32 (TFLM's static_cast). */
#include "tfc_kernels.h"

enum { T_INT8 = 1, T_INT16 = 2, T_FLOAT32 = 3, T_UINT8 = 4, T_INT32 = 5, T_INT64 = 6, T_BOOL = 7, T_UINT32 = 8 };

static int64_t cast_read_int(const void *in, int32_t type, int32_t i) {
    switch (type) {
    case T_INT8: return ((const int8_t *)in)[i];
    case T_INT16: return ((const int16_t *)in)[i];
    case T_UINT8: return ((const uint8_t *)in)[i];
    case T_BOOL: return ((const uint8_t *)in)[i] != 0;
    case T_INT32: return ((const int32_t *)in)[i];
    case T_UINT32: return ((const uint32_t *)in)[i];
    default: return ((const int64_t *)in)[i];
    }
}

void tfc_cast(const tfc_cast_params *p, const void *in, void *out) {
    int32_t i;
    for (i = 0; i < p->n; ++i) {
        if (p->in_type == T_FLOAT32) {
            const float f = ((const float *)in)[i];
            switch (p->out_type) {
            case T_INT8: ((int8_t *)out)[i] = (int8_t)f; break;
            case T_INT16: ((int16_t *)out)[i] = (int16_t)f; break;
            case T_UINT8: ((uint8_t *)out)[i] = (uint8_t)f; break;
            case T_BOOL: ((uint8_t *)out)[i] = f != 0.0f; break;
            case T_INT32: ((int32_t *)out)[i] = (int32_t)f; break;
            case T_UINT32: ((uint32_t *)out)[i] = (uint32_t)f; break;
            case T_INT64: ((int64_t *)out)[i] = (int64_t)f; break;
            default: ((float *)out)[i] = f; break;
            }
        } else {
            const int64_t v = cast_read_int(in, p->in_type, i);
            switch (p->out_type) {
            case T_INT8: ((int8_t *)out)[i] = (int8_t)v; break;
            case T_INT16: ((int16_t *)out)[i] = (int16_t)v; break;
            case T_UINT8: ((uint8_t *)out)[i] = (uint8_t)v; break;
            case T_BOOL: ((uint8_t *)out)[i] = v != 0; break;
            case T_INT32: ((int32_t *)out)[i] = (int32_t)v; break;
            case T_UINT32: ((uint32_t *)out)[i] = (uint32_t)v; break;
            case T_INT64: ((int64_t *)out)[i] = v; break;
            default: ((float *)out)[i] = (float)v; break;
            }
        }
    }
}
