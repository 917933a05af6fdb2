/* SVDF, int8 input/output with int8 or int16 time weights and activation state (TFLM's integer
 * SVDF). The state (a variable tensor in the state area, [batches][filters][memory]) is shifted
 * left by one, each filter's newest entry is the requantised feature dot product, then each
 * output unit sums its rank filters' time dot products. The sums are formed per unit directly
 * (same integer terms as TFLM's scratch buffers). TFLM's integer SVDF applies no fused activation. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

#define TFC_SVDF_BODY(ST_T)                                                                      \
    ST_T *st = (ST_T *)state;                                                                    \
    const ST_T *w_time = (const ST_T *)wt;                                                       \
    const int32_t fm = p->filters * p->memory;                                                   \
    int32_t b, f, j, u, r;                                                                       \
    for (j = 1; j < p->batches * fm; ++j) { /* shift the whole state left by one */             \
        st[j - 1] = st[j];                                                                       \
    }                                                                                            \
    for (b = 0; b < p->batches; ++b) {                                                           \
        const int8_t *x = in + b * p->input_size;                                                \
        ST_T *sb = st + b * fm;                                                                  \
        for (f = 0; f < p->filters; ++f) {                                                       \
            const int8_t *w = wf + f * p->input_size;                                            \
            int32_t acc = 0;                                                                     \
            for (j = 0; j < p->input_size; ++j) {                                                \
                acc += (int32_t)w[j] * ((int32_t)x[j] - p->in_zp);                               \
            }                                                                                    \
            acc = tfc_clamp_i32(tfc_mbqm(acc, p->mult1, p->shift1), p->state_min, p->state_max); \
            sb[f * p->memory + p->memory - 1] = (ST_T)(p->state_zp + acc);                       \
        }                                                                                        \
        for (u = 0; u < p->units; ++u) {                                                         \
            int32_t acc = bias ? bias[u] : 0;                                                    \
            for (r = 0; r < p->rank; ++r) {                                                      \
                const int32_t fi = u * p->rank + r;                                              \
                const ST_T *s = sb + fi * p->memory;                                             \
                const ST_T *w = w_time + fi * p->memory;                                         \
                for (j = 0; j < p->memory; ++j) {                                                \
                    acc += (int32_t)w[j] * ((int32_t)s[j] - p->state_zp);                        \
                }                                                                                \
            }                                                                                    \
            acc = tfc_mbqm(acc, p->mult2, p->shift2) + p->out_zp;                                \
            *out++ = (int8_t)tfc_clamp_i32(acc, -128, 127);                                      \
        }                                                                                        \
    }

void tfc_svdf_s8_s8(const tfc_svdf_params *p, const int8_t *in, const int8_t *wf, const int8_t *wt,
                    const int32_t *bias, const int8_t *state, int8_t *out) {
    TFC_SVDF_BODY(int8_t)
}

void tfc_svdf_s8_s16(const tfc_svdf_params *p, const int8_t *in, const int8_t *wf, const int16_t *wt,
                     const int32_t *bias, const int16_t *state, int8_t *out) {
    TFC_SVDF_BODY(int16_t)
}
