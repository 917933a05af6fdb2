/* MAXIMUM / MINIMUM of the raw values (TFLM does not rescale: both inputs share the output's
 * quantisation), int8 / int16 / int32 (float32: the float kernels, binary_f32.c). */
#include "tfc_add.h"
#include "tfc_kernels.h"

#define TFC_MINMAX(name, T, CMP)                                                      \
    void name(const tfc_binary_params *p, const T *in1, const T *in2, T *out) {       \
        TFC_BCAST_LOOP(p, {                                                           \
            const T a = in1[o1];                                                      \
            const T b = in2[o2];                                                      \
            out[n] = a CMP b ? a : b;                                                 \
        });                                                                           \
    }

TFC_MINMAX(tfc_maximum_s8, int8_t, >)
TFC_MINMAX(tfc_maximum_s16, int16_t, >)
TFC_MINMAX(tfc_maximum_s32, int32_t, >)
TFC_MINMAX(tfc_minimum_s8, int8_t, <)
TFC_MINMAX(tfc_minimum_s16, int16_t, <)
TFC_MINMAX(tfc_minimum_s32, int32_t, <)
