/* ADD int16 (zero points 0): the int8 ADD arithmetic with a 15-bit left shift, broadcasting. */
#include "tfc_add.h"
#include "tfc_kernels.h"

void tfc_add_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, int16_t *out) {
    int32_t idx[TFC_BCAST_DIMS] = {0};
    int32_t o1 = 0, o2 = 0, n;
    const int32_t total = tfc_bcast_total(p);
    for (n = 0; n < total; ++n) {
        out[n] = (int16_t)tfc_add_elem(p, in1[o1], in2[o2]);
        tfc_bcast_step(p, idx, &o1, &o2);
    }
}
