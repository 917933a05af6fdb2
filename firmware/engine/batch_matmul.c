/* BATCH_MATMUL int8 and int16: out[b][r][c] = requant(sum_k (A[b][r][k] - a_zp) (B[b][k][c] - b_zp)),
 * A and B read through strides (adj_x / adj_y and broadcast batch dimensions are stride choices
 * made on the host). int8: 32-bit sums; int16: 64-bit sums and the 64-bit requantisation. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

#define TFC_BMM_LOOP(ACC_T, IN_T, REQUANT)                                                        \
    int32_t b0, b1, b2, r, c, k;                                                                 \
    for (b0 = 0; b0 < p->batch[0]; ++b0) {                                                       \
        for (b1 = 0; b1 < p->batch[1]; ++b1) {                                                   \
            for (b2 = 0; b2 < p->batch[2]; ++b2) {                                               \
                const IN_T *ab = a + b0 * p->a_batch[0] + b1 * p->a_batch[1] + b2 * p->a_batch[2]; \
                const IN_T *bb = b + b0 * p->b_batch[0] + b1 * p->b_batch[1] + b2 * p->b_batch[2]; \
                for (r = 0; r < p->rows; ++r) {                                                  \
                    for (c = 0; c < p->cols; ++c) {                                              \
                        const IN_T *ar = ab + r * p->a_row;                                      \
                        const IN_T *bc = bb + c * p->b_col;                                      \
                        ACC_T acc = 0;                                                           \
                        int32_t v;                                                               \
                        for (k = 0; k < p->depth; ++k) {                                         \
                            acc += (ACC_T)(((int32_t)ar[k * p->a_depth] - p->a_zp) *             \
                                           ((int32_t)bc[k * p->b_depth] - p->b_zp));             \
                        }                                                                        \
                        v = REQUANT(acc, p->mult, p->shift) + p->out_zp;                         \
                        *out++ = (IN_T)tfc_clamp_i32(v, p->act_min, p->act_max);                 \
                    }                                                                            \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }

void tfc_batch_matmul_s8(const tfc_batch_matmul_params *p, const int8_t *a, const int8_t *b, int8_t *out) {
    TFC_BMM_LOOP(int32_t, int8_t, tfc_mbqm)
}

void tfc_batch_matmul_s16(const tfc_batch_matmul_params *p, const int16_t *a, const int16_t *b, int16_t *out) {
    TFC_BMM_LOOP(int64_t, int16_t, tfc_mbqm64)
}
