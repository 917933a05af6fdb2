/* DEPTHWISE_CONV_2D with sparse weights: per output channel a bitmap of its k_h * k_w taps and
 * the non-zero values channel after channel (weights_sparse.py). */
#include "tfc_depthwise_core.h"

void tfc_depthwise_conv2d_s8_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    tfc_depthwise_core(p, in, out, TFC_W_SPARSE);
}
