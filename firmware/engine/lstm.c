/* UNIDIRECTIONAL_SEQUENCE_LSTM, integer, as TFLM's lstm_eval computes it: int8 (or int16)
 * activations, int8 weights, int16 cell state, gates in Q3.12 -> Q0.15 (sigmoid / tanh through the
 * 256-entry table), no peephole, projection or layer norm.
 *
 * Every step is element-wise per cell unit once the gate dot products are formed, so each unit's
 * four gates, its cell update and its new hidden value are computed in one pass; the new hidden
 * values go straight into the output slot of the step and are copied into the hidden state once
 * the step's units are done (the gates read the previous hidden state). No scratch buffers.
 * Batch rows are independent, so time-major and batch-major layouts only differ in the row index. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

static inline int32_t tfc_sat16(int32_t v) { return tfc_clamp_i32(v, -32768, 32767); }

#define TFC_LSTM_BODY(ACT_T, ACC_T, BIAS, REC_BIAS, REQUANT)                                     \
    const int32_t n_cell = p->n_cell, n_in = p->n_input;                                         \
    int16_t *cs = (int16_t *)c;                                                                  \
    int32_t b, t, j, k, g;                                                                       \
    for (b = 0; b < p->batches; ++b) {                                                           \
        ACT_T *hb = (ACT_T *)h + b * n_cell;                                                     \
        int16_t *cb = cs + b * n_cell;                                                           \
        for (t = 0; t < p->steps; ++t) {                                                         \
            const int32_t row = p->time_major ? t * p->batches + b : b * p->steps + t;           \
            const ACT_T *x = in + row * n_in;                                                    \
            ACT_T *y = out + row * n_cell;                                                       \
            for (j = 0; j < n_cell; ++j) {                                                       \
                int32_t gate[4], cell, hid;                                                      \
                for (g = 0; g < 4; ++g) {                                                        \
                    const int32_t u = g * n_cell + j;                                            \
                    const int8_t *wi = p->w_in + u * n_in;                                       \
                    const int8_t *wr = p->w_rec + u * n_cell;                                    \
                    ACC_T ai = BIAS[u], ar = REC_BIAS[u];                                        \
                    int32_t s;                                                                   \
                    for (k = 0; k < n_in; ++k) {                                                 \
                        ai += (ACC_T)((int32_t)wi[k] * (int32_t)x[k]);                           \
                    }                                                                            \
                    for (k = 0; k < n_cell; ++k) {                                               \
                        ar += (ACC_T)((int32_t)wr[k] * (int32_t)hb[k]);                          \
                    }                                                                            \
                    s = tfc_sat16(tfc_sat16(REQUANT(ai, p->in_mult[g], p->in_shift[g])) +       \
                                  tfc_sat16(REQUANT(ar, p->rec_mult[g], p->rec_shift[g])));     \
                    gate[g] = g == 2 ? tfc_tanh_s16(s * 3, p->table)                             \
                                     : tfc_logistic_s16(s * 3, p->table);                        \
                }                                                                                \
                /* gates: 0 input, 1 forget, 2 cell, 3 output */                                 \
                cell = tfc_sat16(tfc_sat16(tfc_mbqm(gate[1] * cb[j], p->fc_mult, p->fc_shift)) +  \
                                 tfc_sat16(tfc_mbqm(gate[0] * gate[2], p->ic_mult, p->ic_shift)));\
                if (p->cell_clip >= 0) {                                                         \
                    cell = tfc_clamp_i32(cell, -p->cell_clip, p->cell_clip);                     \
                }                                                                                \
                cb[j] = (int16_t)cell;                                                           \
                hid = tfc_tanh_s16((cell * p->tanh_mult + p->tanh_round) >> p->tanh_shift, p->table); \
                hid = tfc_mbqm(hid * gate[3], p->h_mult, p->h_shift) + p->h_zp;                  \
                y[j] = (ACT_T)tfc_clamp_i32(hid, p->h_min, p->h_max);                            \
            }                                                                                    \
            for (j = 0; j < n_cell; ++j) {                                                       \
                hb[j] = y[j];                                                                    \
            }                                                                                    \
        }                                                                                        \
    }

void tfc_lstm_s8(const tfc_lstm_params *p, const int8_t *in, const int8_t *h, const int16_t *c, int8_t *out) {
    TFC_LSTM_BODY(int8_t, int32_t, p->bias, p->rec_bias, tfc_mbqm)
}

void tfc_lstm_s16(const tfc_lstm_params *p, const int16_t *in, const int16_t *h, const int16_t *c,
                  int16_t *out) {
    TFC_LSTM_BODY(int16_t, int64_t, p->bias64, p->rec_bias64, tfc_mbqm64)
}
