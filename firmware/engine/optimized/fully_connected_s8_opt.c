/* FULLY_CONNECTED, int8, optimised for Cortex-M4/M7 (DSP): drop-in for fully_connected_s8.c.
 *
 * Four output rows at a time. The host re-lays the weights out in blocks of four rows,
 * interleaved per group of four inputs (row r, inputs 4g..4g+3 is word 4g + r of the block),
 * zero-padded to a multiple of four rows and inputs. Per group: one input word split by SXTB16
 * into (x0, x2) and (x1, x3), four weight words, eight SMLAD for 16 MACs. An input length that
 * is not a multiple of four finishes with scalar MACs on the padded tail.
 */
#include "tfc_dsp.h"
#include "../tfc_kernels.h"

static inline int8_t requant(int32_t acc, const tfc_fc_params *p, const int32_t *q, int32_t o, int fast,
                             const tfc_out_stage *os) {
    int32_t r;
    if (fast) {
        r = tfc_rq_fast(acc, q[0], q[1], q[2]);
    } else {
        const int32_t k = o * p->per_channel;
        r = tfc_mbqm(acc, p->mult[k], p->shift[k]);
    }
    return tfc_out8(r, os);
}

void tfc_fully_connected_s8(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    const int32_t n_in = p->in_depth;
    const int32_t groups = n_in >> 2;
    const int32_t tail = n_in & 3;
    const int32_t stride = (groups + (tail ? 1 : 0)) * 4; /* words per block of four rows */
    const int fast = p->rq[0] & TFC_RQ_FAST;
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    const int32_t n_out = p->out_depth;
    int32_t b, o;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *xb = in + b * n_in;
        const int32_t *w = (const int32_t *)p->weights;
        const int32_t *q = p->rq + TFC_RQ_HEADER;
        for (o = 0; o < n_out; o += 4) {
            int32_t a0 = p->bias[o], a1 = p->bias[o + 1], a2 = p->bias[o + 2], a3 = p->bias[o + 3];
            const int8_t *x = xb;
            const int32_t *wg = w;
            int32_t g;
            for (g = 0; g < groups; ++g) {
                const uint32_t xv = tfc_ld32(x);
                const int32_t xl = tfc_sxtb16(xv), xh = tfc_sxtb16_ror8(xv);
                const uint32_t w0 = (uint32_t)wg[0], w1 = (uint32_t)wg[1], w2 = (uint32_t)wg[2],
                               w3 = (uint32_t)wg[3];
                a0 = tfc_smlad(xl, tfc_sxtb16(w0), a0);
                a0 = tfc_smlad(xh, tfc_sxtb16_ror8(w0), a0);
                a1 = tfc_smlad(xl, tfc_sxtb16(w1), a1);
                a1 = tfc_smlad(xh, tfc_sxtb16_ror8(w1), a1);
                a2 = tfc_smlad(xl, tfc_sxtb16(w2), a2);
                a2 = tfc_smlad(xh, tfc_sxtb16_ror8(w2), a2);
                a3 = tfc_smlad(xl, tfc_sxtb16(w3), a3);
                a3 = tfc_smlad(xh, tfc_sxtb16_ror8(w3), a3);
                x += 4;
                wg += 4;
            }
            if (tail) {
                const int8_t *wt = (const int8_t *)wg;
                int32_t i;
                for (i = 0; i < tail; ++i) {
                    const int32_t xi = x[i];
                    a0 += xi * wt[i];
                    a1 += xi * wt[4 + i];
                    a2 += xi * wt[8 + i];
                    a3 += xi * wt[12 + i];
                }
            }
            out[o] = requant(a0, p, q, o, fast, &os);
            if (o + 1 < n_out) {
                out[o + 1] = requant(a1, p, q + 4, o + 1, fast, &os);
            }
            if (o + 2 < n_out) {
                out[o + 2] = requant(a2, p, q + 8, o + 2, fast, &os);
            }
            if (o + 3 < n_out) {
                out[o + 3] = requant(a3, p, q + 12, o + 3, fast, &os);
            }
            w += stride;
            q += 16;
        }
        out += n_out;
    }
}
