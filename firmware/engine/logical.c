/* LOGICAL_AND / LOGICAL_OR (broadcasting) and LOGICAL_NOT on bool (one byte) tensors. */
#include "tfc_add.h"
#include "tfc_kernels.h"

void tfc_logical_and(const tfc_binary_params *p, const uint8_t *in1, const uint8_t *in2, uint8_t *out) {
    TFC_BCAST_LOOP(p, out[n] = (uint8_t)(in1[o1] && in2[o2]));
}

void tfc_logical_or(const tfc_binary_params *p, const uint8_t *in1, const uint8_t *in2, uint8_t *out) {
    TFC_BCAST_LOOP(p, out[n] = (uint8_t)(in1[o1] || in2[o2]));
}

void tfc_logical_not(const uint8_t *in, uint8_t *out, int32_t n) {
    int32_t i;
    for (i = 0; i < n; ++i) {
        out[i] = (uint8_t)!in[i];
    }
}
