/* CONV_2D+ADD with sparse weights (bitmap + non-zero values, weights_sparse.py). */
#include "tfc_conv_core.h"

void tfc_conv2d_add_s8_sp(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                          const int8_t *residual, int8_t *out) {
    tfc_conv_core(p, add, in, residual, out, TFC_W_SPARSE);
}
