/* SELECT / SELECT_V2: out = cond ? x : y, three-way broadcasting, elements copied as 1, 2 or 4
 * bytes (any element type: int8, int16, int32, float, bool). */
#include "tfc_kernels.h"

#define TFC_SELECT_LOOP(T)                                                                 \
    do {                                                                                   \
        const T *xs = (const T *)x;                                                        \
        const T *ys = (const T *)y;                                                        \
        T *os = (T *)out;                                                                  \
        for (n = 0; n < total; ++n) {                                                      \
            os[n] = cond[oc] ? xs[ox] : ys[oy];                                            \
            for (d = p->ndim - 1; d >= 0; --d) { /* next element: carry through the dims */ \
                idx[d]++;                                                                  \
                oc += p->stride_c[d];                                                      \
                ox += p->stride_x[d];                                                      \
                oy += p->stride_y[d];                                                      \
                if (idx[d] < p->shape[d]) {                                                \
                    break;                                                                 \
                }                                                                          \
                oc -= p->stride_c[d] * idx[d];                                             \
                ox -= p->stride_x[d] * idx[d];                                             \
                oy -= p->stride_y[d] * idx[d];                                             \
                idx[d] = 0;                                                                \
            }                                                                              \
        }                                                                                  \
    } while (0)

void tfc_select(const tfc_select_params *p, const uint8_t *cond, const void *x, const void *y, void *out) {
    int32_t idx[TFC_BCAST_DIMS] = {0};
    int32_t oc = 0, ox = 0, oy = 0, n, d, total = 1;
    for (d = 0; d < p->ndim; ++d) {
        total *= p->shape[d];
    }
    if (p->elem_size == 4) {
        TFC_SELECT_LOOP(int32_t);
    } else if (p->elem_size == 2) {
        TFC_SELECT_LOOP(int16_t);
    } else {
        TFC_SELECT_LOOP(int8_t);
    }
}
