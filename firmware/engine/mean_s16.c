/* MEAN and SUM over any set of axes, int16 (int32 sums, as TFLM's QuantizedMeanOrSum). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_mean_s16(const tfc_mean_params *p, const int16_t *in, int16_t *out) {
    int32_t kidx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
    int32_t n_out = 1, n, base = 0, d;
    const int32_t offset = p->in_zp * p->count;
    for (d = 0; d < p->k_ndim; ++d) {
        n_out *= p->k_shape[d];
    }
    for (n = 0; n < n_out; ++n) {
        int32_t ridx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
        int32_t sum = 0, off = base, r;
        for (r = 0; r < p->count; ++r) {
            sum += in[off];
            off = tfc_nd_next(p->r_ndim, p->r_shape, p->r_stride, ridx, off);
        }
        out[n] = (int16_t)tfc_clamp_i32(tfc_mbqm(sum - offset, p->mult, p->shift) + p->out_zp, -32768, 32767);
        base = tfc_nd_next(p->k_ndim, p->k_shape, p->k_stride, kidx, base);
    }
}
