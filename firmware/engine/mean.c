/* MEAN and SUM over any set of axes (up to five dimensions after merging), int8 and int16, no
 * scratch buffer: TFLM's QuantizedMeanOrSum (int32 sums; the host folds MEAN's division by the
 * count into mult/shift). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

#define TFC_MEAN(name, type, lowest, highest)                                                   \
    void name(const tfc_mean_params *p, const type *in, type *out) {                            \
        int32_t kidx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};                                           \
        int32_t n_out = 1, n, base = 0, d;                                                      \
        const int32_t offset = p->in_zp * p->count;                                             \
        for (d = 0; d < p->k_ndim; ++d) {                                                       \
            n_out *= p->k_shape[d];                                                             \
        }                                                                                       \
        for (n = 0; n < n_out; ++n) {                                                           \
            int32_t ridx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};                                       \
            int32_t sum = 0, off = base, r;                                                     \
            for (r = 0; r < p->count; ++r) {                                                    \
                sum += in[off];                                                                 \
                off = tfc_nd_next(p->r_ndim, p->r_shape, p->r_stride, ridx, off);               \
            }                                                                                   \
            out[n] = (type)tfc_clamp_i32(tfc_mbqm(sum - offset, p->mult, p->shift) + p->out_zp, \
                                         lowest, highest);                                      \
            base = tfc_nd_next(p->k_ndim, p->k_shape, p->k_stride, kidx, base);                 \
        }                                                                                       \
    }

TFC_MEAN(tfc_mean_s8, int8_t, -128, 127)
TFC_MEAN(tfc_mean_s16, int16_t, -32768, 32767)
