/* REDUCE_MAX and REDUCE_MIN over any set of axes, int8 and int16 (input and output share their
 * quantisation, so the extreme raw value is the result, as TFLM's ReduceGeneric); REDUCE_ALL and
 * REDUCE_ANY of bool tensors (bytes 0/1) are the minimum and the maximum. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

#define TFC_REDUCE_EXTREME(name, type, better)                                               \
    void name(const tfc_mean_params *p, const type *in, type *out) {                         \
        int32_t kidx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};                                        \
        int32_t n_out = 1, n, base = 0, d;                                                   \
        for (d = 0; d < p->k_ndim; ++d) {                                                    \
            n_out *= p->k_shape[d];                                                          \
        }                                                                                    \
        for (n = 0; n < n_out; ++n) {                                                        \
            int32_t ridx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};                                    \
            int32_t off = base, r;                                                           \
            type m = in[base];                                                               \
            for (r = 0; r < p->count; ++r) {                                                 \
                if (in[off] better m) {                                                      \
                    m = in[off];                                                             \
                }                                                                            \
                off = tfc_nd_next(p->r_ndim, p->r_shape, p->r_stride, ridx, off);            \
            }                                                                                \
            out[n] = m;                                                                      \
            base = tfc_nd_next(p->k_ndim, p->k_shape, p->k_stride, kidx, base);              \
        }                                                                                    \
    }

TFC_REDUCE_EXTREME(tfc_reduce_max_s8, int8_t, >)
TFC_REDUCE_EXTREME(tfc_reduce_min_s8, int8_t, <)
TFC_REDUCE_EXTREME(tfc_reduce_max_s16, int16_t, >)
TFC_REDUCE_EXTREME(tfc_reduce_min_s16, int16_t, <)
TFC_REDUCE_EXTREME(tfc_reduce_all_b, uint8_t, <)
TFC_REDUCE_EXTREME(tfc_reduce_any_b, uint8_t, >)
