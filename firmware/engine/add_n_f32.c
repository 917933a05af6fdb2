/* ADD_N float32: out[i] = ((0 + ins[0][i]) + ins[1][i]) + ..., in input order as TFLM. */
#include "tfc_kernels.h"

void tfc_add_n_f32(const float *const *ins, float *out, int32_t n_inputs, int32_t n) {
    int32_t i, j;
    for (i = 0; i < n; ++i) {
        float x = 0.0f;
        for (j = 0; j < n_inputs; ++j) {
            x += ins[j][i];
        }
        out[i] = x;
    }
}
