/* CONV_2D, int8 activations, int8 per-channel weights, int32 bias. */
#include "tfc_conv_core.h"

void tfc_conv2d_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    tfc_conv_core(p, 0, in, 0, out, 0);
}
