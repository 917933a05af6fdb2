/* DEPTHWISE_CONV_2D with 4-bit weights (packed indices into per-channel int8 codebooks). */
#include "tfc_depthwise_core.h"

void tfc_depthwise_conv2d_s8_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    tfc_depthwise_core(p, in, out, TFC_W_4BIT);
}
