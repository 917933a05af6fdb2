/* RESIZE_NEAREST_NEIGHBOR (pixels copied byte by byte: any element type) and RESIZE_BILINEAR int8 /
 * int16 (TFLM's ResizeBilinearInteger: 10-bit weights, 20 fractional bits, rounding half away
 * from zero). The source rows/columns and weights come from the host (tfc_resize_params). */
#include "tfc_kernels.h"

void tfc_resize_nearest(const tfc_resize_params *p, const uint8_t *in, uint8_t *out) {
    const int32_t px = p->channels, row = p->in_w * px;
    int32_t b, y, x, c;
    for (b = 0; b < p->batches; ++b) {
        const uint8_t *in_b = in + b * p->in_h * row;
        for (y = 0; y < p->out_h; ++y) {
            const uint8_t *src_row = in_b + p->rows[y] * row;
            for (x = 0; x < p->out_w; ++x) {
                const uint8_t *src = src_row + p->cols[x] * px;
                for (c = 0; c < px; ++c) {
                    *out++ = src[c];
                }
            }
        }
    }
}

/* One interpolated value: the four taps weighted by (1024 - wy, wy) x (1024 - wx, wx). */
#define TFC_BILINEAR(name, type, acc_t)                                                              \
    void name(const tfc_resize_params *p, const type *in, type *out) {                               \
        const int32_t ch = p->channels, row = p->in_w * ch;                                          \
        int32_t b, y, x, c;                                                                          \
        for (b = 0; b < p->batches; ++b) {                                                           \
            const type *in_b = in + b * p->in_h * row;                                               \
            for (y = 0; y < p->out_h; ++y) {                                                         \
                const type *r0 = in_b + p->rows[3 * y] * row, *r1 = in_b + p->rows[3 * y + 1] * row; \
                const acc_t wy1 = p->rows[3 * y + 2], wy0 = 1024 - wy1;                              \
                for (x = 0; x < p->out_w; ++x) {                                                     \
                    const int32_t x0 = p->cols[3 * x] * ch, x1 = p->cols[3 * x + 1] * ch;            \
                    const acc_t wx1 = p->cols[3 * x + 2], wx0 = 1024 - wx1;                          \
                    for (c = 0; c < ch; ++c) {                                                       \
                        const acc_t v = (r0[x0 + c] * wx0 + r0[x1 + c] * wx1) * wy0 +                \
                                        (r1[x0 + c] * wx0 + r1[x1 + c] * wx1) * wy1;                 \
                        *out++ = (type)((v + (v > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));         \
                    }                                                                                \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
    }

TFC_BILINEAR(tfc_resize_bilinear_s8, int8_t, int32_t)
TFC_BILINEAR(tfc_resize_bilinear_s16, int16_t, int64_t)
