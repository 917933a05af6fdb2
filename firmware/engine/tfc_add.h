/* tfc_add.h — one element of the int8 ADD (shared by ADD and CONV_2D+ADD fusion) and the
 * broadcasting walk every element-wise binary kernel uses. */
#ifndef TFC_ADD_H
#define TFC_ADD_H

#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

/* Both inputs offset, shifted left by p->left_shift, rescaled to a shared scale, summed,
 * rescaled to the output, offset and clamped (the TFLM reference ADD arithmetic). */
static inline int32_t tfc_add_elem(const tfc_binary_params *p, int32_t a, int32_t b) {
    const int32_t x1 = (int32_t)((uint32_t)(a + p->in1_offset) << p->left_shift);
    const int32_t x2 = (int32_t)((uint32_t)(b + p->in2_offset) << p->left_shift);
    const int32_t s = tfc_mbqm(x1, p->in1_mult, p->in1_shift) + tfc_mbqm(x2, p->in2_mult, p->in2_shift);
    return tfc_clamp_i32(tfc_mbqm(s, p->out_mult, p->out_shift) + p->out_zp, p->act_min, p->act_max);
}

/* Broadcasting walk of element-wise binary ops: the number of output elements, ... */
static inline int32_t tfc_bcast_total(const tfc_binary_params *p) {
    int32_t d, total = 1;
    for (d = 0; d < p->ndim; ++d) {
        total *= p->shape[d];
    }
    return total;
}

/* ... and the step to the next output element: advances the index and both input offsets
 * (strides are 0 on broadcast dimensions). */
static inline void tfc_bcast_step(const tfc_binary_params *p, int32_t idx[TFC_BCAST_DIMS], int32_t *o1,
                                  int32_t *o2) {
    int32_t d;
    for (d = p->ndim - 1; d >= 0; --d) {
        idx[d]++;
        *o1 += p->stride1[d];
        *o2 += p->stride2[d];
        if (idx[d] < p->shape[d]) {
            return;
        }
        *o1 -= p->stride1[d] * idx[d];
        *o2 -= p->stride2[d] * idx[d];
        idx[d] = 0;
    }
}

/* The loop of every broadcasting binary kernel: runs the statement given after p once per output
 * element n (in output order), with o1 / o2 the element offsets of input 1 / input 2. */
#define TFC_BCAST_LOOP(p, ...)                                     \
    do {                                                           \
        int32_t tfc_idx_[TFC_BCAST_DIMS] = {0};                    \
        int32_t o1 = 0, o2 = 0, n;                                 \
        const int32_t tfc_total_ = tfc_bcast_total(p);             \
        for (n = 0; n < tfc_total_; ++n) {                         \
            __VA_ARGS__;                                           \
            tfc_bcast_step((p), tfc_idx_, &o1, &o2);               \
        }                                                          \
    } while (0)

/* One element of the quantised SUB / SQUARED_DIFFERENCE / comparison input stage: (v + offset)
 * shifted left, times a multiplier below one (TFLM's MultiplyByQuantizedMultiplierSmallerThanOneExp). */
static inline int32_t tfc_rescale_in(int32_t v, int32_t offset, int32_t left_shift, int32_t mult, int32_t shift) {
    return tfc_mbqm((int32_t)((uint32_t)(v + offset) << left_shift), mult, shift);
}

#endif /* TFC_ADD_H */
