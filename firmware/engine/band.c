/* Row banding of a CONV_2D and the windowed conv that consumes its output (DEPTHWISE_CONV_2D, or
 * CONV_2D+ADD whose residual is the first op's input); engine/banding.py decides where it lowers
 * the peak RAM (MCUNetV2-style patches, rows only).
 *
 * Per band of the second op's output rows: the intermediate rows it reads (its window rows,
 * clipped to the tensor) are in the scratch; rows the previous band already computed are moved
 * to the front, the others are computed by the first op from the input rows their windows read.
 * Each op runs on a slice of rows with its top padding shifted (band_rows): rows outside the
 * tensor are still padding, rows inside are the same values, so every output is the unbanded
 * one. Both kernels are called through their usual entry points with copies of their parameter
 * blocks (in_h, out_h, pad_top changed). All reads of a band happen before its outputs are
 * written, and later bands read rows at or after the ones banding.py's overlap assumes: the
 * planner's overlap of this op's output with its input relies on that. */
#include "tfc_kernels.h"

/* c = full sliced to output rows oy .. oy + n - 1; returns the first input row they read */
static int32_t band_rows(tfc_conv_params *c, const tfc_conv_params *full, int32_t oy, int32_t n) {
    const int32_t top = oy * full->stride_h - full->pad_top;
    const int32_t lo = top < 0 ? 0 : top;
    const int32_t end = top + (n - 1) * full->stride_h + (full->k_h - 1) * full->dil_h + 1;
    c->in_h = (end < full->in_h ? end : full->in_h) - lo;
    c->out_h = n;
    c->pad_top = lo - top;
    return lo;
}

void tfc_band_s8(const tfc_band_params *p, const int8_t *in, int8_t *out) {
    tfc_conv_params a = *p->p1, b = *p->p2;
    const int32_t row_in = a.in_w * a.in_c, row_mid = b.in_w * b.in_c, row_out = b.out_w * b.out_c;
    const int32_t mid_bytes = (p->rows * row_mid + 3) & ~3, out_h = b.out_h;
    uint32_t stack[p->scratch ? 1 : (mid_bytes >> 2) + 1];
    int8_t *const t = p->scratch ? (int8_t *)p->scratch : (int8_t *)stack;
    int32_t have_lo = 0, have_hi = 0, oy0;
    a.scratch = p->scratch && p->kscratch ? t + mid_bytes : 0;
    b.scratch = a.scratch;
    for (oy0 = 0; oy0 < out_h; oy0 += p->band) {
        const int32_t n = out_h - oy0 < p->band ? out_h - oy0 : p->band;
        const int32_t lo = band_rows(&b, p->p2, oy0, n), hi = lo + b.in_h;
        const int32_t keep = have_hi > lo ? have_hi - lo : 0;
        int8_t *const o = out + oy0 * row_out;
        if (keep > 0 && lo > have_lo) { /* rows lo .. have_hi - 1 to the front (forward word copy) */
            uint32_t *d = (uint32_t *)t;
            const uint32_t *src = (const uint32_t *)(t + (lo - have_lo) * row_mid);
            int32_t i;
            for (i = 0; i < (keep * row_mid) >> 2; ++i) {
                d[i] = src[i];
            }
        }
        if (hi > lo + keep) {
            const int32_t y = band_rows(&a, p->p1, lo + keep, hi - lo - keep);
            p->first(&a, in + y * row_in, t + keep * row_mid);
        }
        have_lo = lo;
        have_hi = hi;
        if (p->second_add) {
            p->second_add(&b, p->add, t, in + oy0 * row_out, o);
        } else {
            p->second(&b, t, o);
        }
    }
}
