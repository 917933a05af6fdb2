/* EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL -> bool. The host encodes the
 * operation as its result for each ordering of a and b (p->op: bit 0 a < b, bit 1 a == b,
 * bit 2 a > b), so one kernel per input type serves all six (float32: the float kernels). */
#include "tfc_add.h"
#include "tfc_kernels.h"

static inline uint8_t cmp_bit(int32_t op, int32_t a, int32_t b) {
    return (uint8_t)((op >> ((a > b) - (a < b) + 1)) & 1);
}

/* TFLM rescales quantised inputs before comparing them ((v + offset) << left_shift, times the
 * input's scale as a multiplier below one); the host gives the identity where TFLM compares raw. */
static inline uint8_t cmp_scaled(const tfc_binary_params *p, int32_t a, int32_t b) {
    return cmp_bit(p->op, tfc_rescale_in(a, p->in1_offset, p->left_shift, p->in1_mult, p->in1_shift),
                   tfc_rescale_in(b, p->in2_offset, p->left_shift, p->in2_mult, p->in2_shift));
}

void tfc_compare_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, uint8_t *out) {
    TFC_BCAST_LOOP(p, out[n] = cmp_scaled(p, in1[o1], in2[o2]));
}

void tfc_compare_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, uint8_t *out) {
    TFC_BCAST_LOOP(p, out[n] = cmp_scaled(p, in1[o1], in2[o2]));
}

void tfc_compare_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, uint8_t *out) {
    TFC_BCAST_LOOP(p, out[n] = cmp_bit(p->op, in1[o1], in2[o2]));
}

void tfc_compare_b(const tfc_binary_params *p, const uint8_t *in1, const uint8_t *in2, uint8_t *out) {
    TFC_BCAST_LOOP(p, out[n] = cmp_bit(p->op, in1[o1] != 0, in2[o2] != 0));
}
