/* FLOOR_DIV and FLOOR_MOD, int32 (TFLite's reference kernels; TFLM's type, float32, is in the float
 * kernels), with broadcasting. */
#include "tfc_add.h"
#include "tfc_kernels.h"

/* floor(a / b) (TFLite: the floor of the double quotient, exact for int32); b == 0 gives 0. */
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

/* The remainder with the divisor's sign. */
static inline int32_t floor_mod_s32(int32_t a, int32_t b) {
    const int32_t m = (b == 0 || b == -1) ? 0 : a % b;
    return m != 0 && ((b < 0) != (m < 0)) ? m + b : m;
}

void tfc_floor_div_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out) {
    TFC_BCAST_LOOP(p, out[n] = floor_div_s32(in1[o1], in2[o2]));
}

void tfc_floor_mod_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out) {
    TFC_BCAST_LOOP(p, out[n] = floor_mod_s32(in1[o1], in2[o2]));
}
