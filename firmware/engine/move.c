/* The strided N-D copy behind most data-movement ops (see tfc_move_params in tfc_kernels.h). */
#include "tfc_kernels.h"

static int32_t move_part(const tfc_move_params *p, int32_t d, int32_t i) {
    return p->table[d] >= 0 ? p->tables[p->table[d] + i] : i * p->stride[d];
}

void tfc_move(const tfc_move_params *p, const void *in, void *out) {
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    int32_t idx[TFC_MOVE_DIMS], part[TFC_MOVE_DIMS];
    int32_t total = 1, pos = p->offset, n, d, k;
    const int32_t nd = p->ndim, es = p->esize;
    for (d = 0; d < nd; ++d) {
        idx[d] = 0;
        part[d] = move_part(p, d, 0);
        pos += part[d];
        total *= p->shape[d];
    }
    for (n = 0; n < total; ++n) {
        if (pos >= 0) {
            const uint8_t *s = src + pos;
            for (k = 0; k < es; ++k) {
                dst[k] = s[k];
            }
        } else {
            for (k = 0; k < es; ++k) {
                dst[k] = p->pad[k & 7];
            }
        }
        dst += es;
        for (d = nd - 1; d >= 0; --d) {
            pos -= part[d];
            if (++idx[d] >= p->shape[d]) {
                idx[d] = 0;
            }
            part[d] = move_part(p, d, idx[d]);
            pos += part[d];
            if (idx[d]) {
                break;
            }
        }
    }
}
