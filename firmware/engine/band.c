/* Row banding of a 1x1 stride-1 CONV_2D and the windowed conv that consumes its output
 * (engine/banding.py decides where it lowers the peak RAM; MCUNetV2-style patches, rows only).
 *
 * Per band of the second op's output rows: the intermediate rows it reads (its window rows,
 * clipped to the tensor) are in the scratch; rows the previous band already computed are moved
 * to the front, the others are computed by the first op from the same rows of its input (a 1x1
 * stride-1 conv maps input row y to output row y), then the second op runs on those rows with its
 * top padding shifted: rows outside the tensor are still padding, rows inside are the same
 * values, so every output is the unbanded one. Both kernels are called through their usual
 * entry points with copies of their parameter blocks (in_h, out_h, pad_top changed).
 * All reads of a band's input happen before its outputs are written, and later bands read
 * input rows at or after the previous band's last: the planner's overlap of this op's output
 * with its input (banding.py) relies on that. */
#include "tfc_kernels.h"

void tfc_band_s8(const tfc_band_params *p, const int8_t *in, int8_t *out) {
    tfc_conv_params a = *p->p1, b = *p->p2;
    const int32_t row_in = a.in_w * a.in_c, row_mid = b.in_w * b.in_c, row_out = b.out_w * b.out_c;
    const int32_t mid_bytes = (p->rows * row_mid + 3) & ~3;
    const int32_t h = b.in_h, out_h = b.out_h, s = b.stride_h, pt = b.pad_top, reach = (b.k_h - 1) * b.dil_h + 1;
    uint32_t stack[p->scratch ? 1 : (mid_bytes >> 2) + 1];
    int8_t *const t = p->scratch ? (int8_t *)p->scratch : (int8_t *)stack;
    int32_t have_lo = 0, have_hi = 0, oy0;
    a.scratch = p->scratch && p->kscratch ? t + mid_bytes : 0;
    b.scratch = a.scratch;
    for (oy0 = 0; oy0 < out_h; oy0 += p->band) {
        const int32_t n = out_h - oy0 < p->band ? out_h - oy0 : p->band;
        const int32_t top = oy0 * s - pt;
        const int32_t lo = top < 0 ? 0 : top;
        const int32_t hi = top + (n - 1) * s + reach < h ? top + (n - 1) * s + reach : h;
        const int32_t keep = have_hi > lo ? have_hi - lo : 0;
        if (keep > 0 && lo > have_lo) { /* rows lo .. have_hi - 1 to the front (forward copy) */
            const int32_t from = (lo - have_lo) * row_mid, nb = keep * row_mid;
            int32_t i;
            if (((from | nb) & 3) == 0) {
                uint32_t *d = (uint32_t *)t;
                const uint32_t *src = (const uint32_t *)(t + from);
                for (i = 0; i < nb >> 2; ++i) {
                    d[i] = src[i];
                }
            } else {
                for (i = 0; i < nb; ++i) {
                    t[i] = t[from + i];
                }
            }
        }
        if (hi > lo + keep) {
            a.in_h = a.out_h = hi - lo - keep;
            p->first(&a, in + (lo + keep) * row_in, t + keep * row_mid);
        }
        have_lo = lo;
        have_hi = hi;
        b.in_h = hi - lo;
        b.out_h = n;
        b.pad_top = lo - top;
        p->second(&b, t, out + oy0 * row_out);
    }
}
