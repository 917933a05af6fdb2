/* REDUCE_PROD over any set of axes, int8 and int16 (TFLite's reference QuantizedReduceProd; TFLM has
 * no kernel): the first value offset by the zero point, each further product rescaled by
 * mult/shift with the 64-bit MultiplyByQuantizedMultiplier, the result rescaled once more. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

#define TFC_REDUCE_PROD(name, type, lo, hi)                                                        \
    void name(const tfc_mean_params *p, const type *in, type *out) {                               \
        int32_t kidx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};                                              \
        int32_t n_out = 1, n, base = 0, d;                                                         \
        for (d = 0; d < p->k_ndim; ++d) {                                                          \
            n_out *= p->k_shape[d];                                                                \
        }                                                                                          \
        for (n = 0; n < n_out; ++n) {                                                              \
            int32_t ridx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};                                          \
            int32_t off = tfc_nd_next(p->r_ndim, p->r_shape, p->r_stride, ridx, base), r;          \
            int32_t prod = in[base] - p->in_zp;                                                    \
            for (r = 1; r < p->count; ++r) {                                                       \
                prod = tfc_mbqm64((int64_t)prod * (in[off] - p->in_zp), p->mult, p->shift);        \
                off = tfc_nd_next(p->r_ndim, p->r_shape, p->r_stride, ridx, off);                  \
            }                                                                                      \
            out[n] = (type)tfc_clamp_i32(tfc_mbqm64(prod, p->mult, p->shift) + p->out_zp, lo, hi); \
            base = tfc_nd_next(p->k_ndim, p->k_shape, p->k_stride, kidx, base);                    \
        }                                                                                          \
    }

TFC_REDUCE_PROD(tfc_reduce_prod_s8, int8_t, -128, 127)
TFC_REDUCE_PROD(tfc_reduce_prod_s16, int16_t, -32768, 32767)
