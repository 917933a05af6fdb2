/* CONV_2D with 4-bit weights (packed indices into per-channel int8 codebooks). */
#include "tfc_conv_core.h"

void tfc_conv2d_s8_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    tfc_conv_core(p, 0, in, 0, out, 1);
}
