/* DEPTHWISE_CONV_2D, int8, per-channel weights, any depth multiplier and dilation. */
#include "tfc_depthwise_core.h"

void tfc_depthwise_conv2d_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    tfc_depthwise_core(p, in, out, 0);
}
