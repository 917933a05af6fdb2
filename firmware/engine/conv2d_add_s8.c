/* CONV_2D fused with the ADD that consumes it (the conv result never reaches memory). */
#include "tfc_conv_core.h"

void tfc_conv2d_add_s8(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                       const int8_t *residual, int8_t *out) {
    tfc_conv_core(p, add, in, residual, out, 0);
}
