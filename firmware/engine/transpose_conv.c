/* TRANSPOSE_CONV, int8 and int16x8, per-channel OHWI weights.
 *
 * TFLM scatters every input pixel into an int32 (int64) accumulator image of the output size;
 * here each output pixel gathers the input pixels that reach it (oy = iy * stride - pad + ky),
 * which adds the same integer terms, so the results are identical without the scratch image.
 * int8: (in - pad_value) * w summed, + bias (unfolded: border pixels see fewer taps);
 * int16x8: in * w in 64 bits, + bias64, 64-bit requantisation. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

/* First kernel tap and input index reaching output coordinate o along one axis. */
static int32_t tfc_tconv_first(int32_t o, int32_t pad, int32_t stride, int32_t *i0) {
    const int32_t t = o + pad;  /* = i * stride + k */
    int32_t k = t % stride;
    if (k < 0) {
        k += stride;
    }
    *i0 = (t - k) / stride;
    return k;
}

#define TFC_TCONV_LOOP(ACC_T, IN_T, OFFSET, BODY_END)                                            \
    const int32_t ic_n = p->in_c;                                                                \
    int32_t b, oy, ox, oc, ky, kx, ic;                                                           \
    for (b = 0; b < p->batches; ++b) {                                                           \
        const IN_T *in_b = in + b * p->in_h * p->in_w * ic_n;                                    \
        for (oy = 0; oy < p->out_h; ++oy) {                                                      \
            int32_t iy0;                                                                         \
            const int32_t ky0 = tfc_tconv_first(oy, p->pad_top, p->stride_h, &iy0);             \
            for (ox = 0; ox < p->out_w; ++ox) {                                                  \
                int32_t ix0;                                                                     \
                const int32_t kx0 = tfc_tconv_first(ox, p->pad_left, p->stride_w, &ix0);        \
                for (oc = 0; oc < p->out_c; ++oc) {                                              \
                    const int8_t *w_oc = p->weights + oc * p->k_h * p->k_w * ic_n;               \
                    ACC_T acc = 0;                                                               \
                    int32_t iy = iy0;                                                            \
                    for (ky = ky0; ky < p->k_h; ky += p->stride_h, --iy) {                       \
                        int32_t ix = ix0;                                                        \
                        if (iy < 0) {                                                            \
                            break;                                                               \
                        }                                                                        \
                        if (iy >= p->in_h) {                                                     \
                            continue;                                                            \
                        }                                                                        \
                        for (kx = kx0; kx < p->k_w; kx += p->stride_w, --ix) {                   \
                            const IN_T *px;                                                      \
                            const int8_t *wk;                                                    \
                            if (ix < 0) {                                                        \
                                break;                                                           \
                            }                                                                    \
                            if (ix >= p->in_w) {                                                 \
                                continue;                                                        \
                            }                                                                    \
                            px = in_b + (iy * p->in_w + ix) * ic_n;                              \
                            wk = w_oc + (ky * p->k_w + kx) * ic_n;                               \
                            for (ic = 0; ic < ic_n; ++ic) {                                      \
                                acc += (ACC_T)(((int32_t)px[ic] - (OFFSET)) * (int32_t)wk[ic]);  \
                            }                                                                    \
                        }                                                                        \
                    }                                                                            \
                    BODY_END                                                                     \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }

void tfc_transpose_conv_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    TFC_TCONV_LOOP(int32_t, int8_t, p->pad_value, {
        acc = tfc_mbqm(acc + p->bias[oc], p->mult[oc], p->shift[oc]) + p->out_zp;
        *out++ = (int8_t)tfc_clamp_i32(acc, p->act_min, p->act_max);
    })
}

void tfc_transpose_conv_s16(const tfc_conv16_params *q, const int16_t *in, int16_t *out) {
    const tfc_conv_params *p = &q->c;
    TFC_TCONV_LOOP(int64_t, int16_t, 0, {
        int32_t v;
        if (q->bias64 != 0) {
            acc += q->bias64[oc];
        }
        v = tfc_mbqm64(acc, p->mult[oc], p->shift[oc]);
        *out++ = (int16_t)tfc_clamp_i32(v, p->act_min, p->act_max);
    })
}
