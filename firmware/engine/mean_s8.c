/* MEAN over any set of axes (up to five dimensions), int8, no scratch buffer. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

static int32_t next_index(int32_t ndim, const int32_t *shape, const int32_t *stride, int32_t *idx,
                          int32_t offset) {
    int32_t d;
    for (d = ndim - 1; d >= 0; --d) {
        idx[d]++;
        offset += stride[d];
        if (idx[d] < shape[d]) {
            return offset;
        }
        offset -= stride[d] * idx[d];
        idx[d] = 0;
    }
    return offset;
}

void tfc_mean_s8(const tfc_mean_params *p, const int8_t *in, int8_t *out) {
    int32_t kidx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
    int32_t n_out = 1, n, base = 0, d;
    for (d = 0; d < p->k_ndim; ++d) {
        n_out *= p->k_shape[d];
    }
    for (n = 0; n < n_out; ++n) {
        int32_t ridx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
        int32_t sum = 0, off = base, r, v;
        for (r = 0; r < p->count; ++r) {
            sum += in[off];
            off = next_index(p->r_ndim, p->r_shape, p->r_stride, ridx, off);
        }
        if (p->requantize) {
            v = tfc_mbqm(sum - p->in_zp * p->count, p->mult, p->shift) + p->out_zp;
            v = tfc_clamp_i32(v, -128, 127);
        } else {
            v = sum / p->count;
        }
        out[n] = (int8_t)v;
        base = next_index(p->k_ndim, p->k_shape, p->k_stride, kidx, base);
    }
}
