/* DYNAMIC_UPDATE_SLICE: copy the operand, then write the update at the clamped start indices. */
#include "tfc_kernels.h"

void tfc_dynamic_update_slice(const tfc_update_slice_params *p, const void *operand, const void *update,
                              const void *start, void *out) {
    const uint8_t *u = (const uint8_t *)update;
    uint8_t *o = (uint8_t *)out;
    int32_t stride[TFC_MOVE_DIMS], idx[TFC_MOVE_DIMS];
    int32_t d, n, k, total = 1, full = 1, base = 0, acc = p->esize;
    for (d = p->ndim - 1; d >= 0; --d) {
        stride[d] = acc;
        acc *= p->shape[d];
        total *= p->update[d];
        full = full && p->update[d] == p->shape[d];
    }
    if (full) {
        tfc_copy_bytes(update, out, acc);
        return;
    }
    tfc_copy_bytes(operand, out, acc);
    for (d = 0; d < p->ndim; ++d) {
        int64_t s = p->idx_size == 8 ? ((const int64_t *)start)[d] : (int64_t)((const int32_t *)start)[d];
        const int64_t hi = p->shape[d] - p->update[d];
        s = s < 0 ? 0 : (s > hi ? hi : s);
        base += (int32_t)s * stride[d];
        idx[d] = 0;
    }
    for (n = 0; n < total; ++n) {
        int32_t pos = base;
        for (d = 0; d < p->ndim; ++d) {
            pos += idx[d] * stride[d];
        }
        for (k = 0; k < p->esize; ++k) {
            o[pos + k] = *u++;
        }
        for (d = p->ndim - 1; d >= 0; --d) {
            if (++idx[d] < p->update[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
