/* CONV_2D with sparse weights (bitmap + non-zero values, weights_sparse.py). */
#include "tfc_conv_core.h"

void tfc_conv2d_s8_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    tfc_conv_core(p, 0, in, 0, out, TFC_W_SPARSE);
}
