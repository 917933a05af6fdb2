/* ADD int16 (zero points 0): the int8 ADD arithmetic with a 15-bit left shift, broadcasting. */
#include "tfc_add.h"
#include "tfc_kernels.h"

void tfc_add_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, int16_t *out) {
    int32_t idx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
    int32_t o1 = 0, o2 = 0, d, n, total = 1;
    for (d = 0; d < p->ndim; ++d) {
        total *= p->shape[d];
    }
    for (n = 0; n < total; ++n) {
        out[n] = (int16_t)tfc_add_elem(p, in1[o1], in2[o2]);
        for (d = p->ndim - 1; d >= 0; --d) {
            idx[d]++;
            o1 += p->stride1[d];
            o2 += p->stride2[d];
            if (idx[d] < p->shape[d]) {
                break;
            }
            o1 -= p->stride1[d] * idx[d];
            o2 -= p->stride2[d] * idx[d];
            idx[d] = 0;
        }
    }
}
