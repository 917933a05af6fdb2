/* Element-wise int8 -> int8 through a 256-entry table (RELU, RELU6, LEAKY_RELU, LOGISTIC,
 * TANH, requantisation): the table is computed on the host with the reference arithmetic. */
#include "tfc_kernels.h"

void tfc_lut_s8(const int8_t *lut, const int8_t *in, int8_t *out, int32_t n) {
    int32_t i;
    for (i = 0; i < n; ++i) {
        out[i] = lut[(int32_t)in[i] + 128];
    }
}
