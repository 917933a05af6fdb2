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
    if (fast) {
        return tfc_clamp8(tfc_rq_fast(acc, q[0], q[1], q[2]), os); /* q[2] carries the zero point */
    }
    return tfc_out8(tfc_mbqm(acc, p->mult[o * p->per_channel], p->shift[o * p->per_channel]), os);
}

void tfc_fully_connected_s8(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    const int32_t n_in = p->in_depth;
    const int32_t groups = n_in >> 2;
    const int32_t tail = n_in & 3;
    const int32_t stride = (groups + (tail ? 1 : 0)) * 4; /* words per block of four rows */
    const int fast = p->rq[0] & TFC_RQ_FAST;
    const int32_t qs = (p->rq[0] & TFC_RQ_SHARED) ? 0 : 4; /* one shared entry for per-tensor layers */
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
#if TFC_DSP_ASM
            if (groups > 0) { /* two groups per iteration; an odd count enters at the second half */
                const int8_t *const x_end = x + 4 * groups;
                uint32_t xv, xl, w0, w1, t;
                __asm volatile(
                    "sub %[t], %[end], %[x]\n\t"
                    "tst %[t], #4\n\t"
                    "bne 2f\n\t"
                    "1:\n\t"
                    "ldr %[xv], [%[x]], #4\n\t"
                    "sxtb16 %[xl], %[xv]\n\t"
                    "sxtb16 %[xv], %[xv], ror #8\n\t"
                    "ldrd %[w0], %[w1], [%[wp]], #8\n\t"
                    "sxtb16 %[t], %[w0]\n\t"
                    "sxtb16 %[w0], %[w0], ror #8\n\t"
                    "smlad %[a0], %[xl], %[t], %[a0]\n\t"
                    "smlad %[a0], %[xv], %[w0], %[a0]\n\t"
                    "sxtb16 %[t], %[w1]\n\t"
                    "sxtb16 %[w1], %[w1], ror #8\n\t"
                    "smlad %[a1], %[xl], %[t], %[a1]\n\t"
                    "smlad %[a1], %[xv], %[w1], %[a1]\n\t"
                    "ldrd %[w0], %[w1], [%[wp]], #8\n\t"
                    "sxtb16 %[t], %[w0]\n\t"
                    "sxtb16 %[w0], %[w0], ror #8\n\t"
                    "smlad %[a2], %[xl], %[t], %[a2]\n\t"
                    "smlad %[a2], %[xv], %[w0], %[a2]\n\t"
                    "sxtb16 %[t], %[w1]\n\t"
                    "sxtb16 %[w1], %[w1], ror #8\n\t"
                    "smlad %[a3], %[xl], %[t], %[a3]\n\t"
                    "smlad %[a3], %[xv], %[w1], %[a3]\n\t"
                    "2:\n\t"
                    "ldr %[xv], [%[x]], #4\n\t"
                    "sxtb16 %[xl], %[xv]\n\t"
                    "sxtb16 %[xv], %[xv], ror #8\n\t"
                    "ldrd %[w0], %[w1], [%[wp]], #8\n\t"
                    "sxtb16 %[t], %[w0]\n\t"
                    "sxtb16 %[w0], %[w0], ror #8\n\t"
                    "smlad %[a0], %[xl], %[t], %[a0]\n\t"
                    "smlad %[a0], %[xv], %[w0], %[a0]\n\t"
                    "sxtb16 %[t], %[w1]\n\t"
                    "sxtb16 %[w1], %[w1], ror #8\n\t"
                    "smlad %[a1], %[xl], %[t], %[a1]\n\t"
                    "smlad %[a1], %[xv], %[w1], %[a1]\n\t"
                    "ldrd %[w0], %[w1], [%[wp]], #8\n\t"
                    "sxtb16 %[t], %[w0]\n\t"
                    "sxtb16 %[w0], %[w0], ror #8\n\t"
                    "smlad %[a2], %[xl], %[t], %[a2]\n\t"
                    "smlad %[a2], %[xv], %[w0], %[a2]\n\t"
                    "sxtb16 %[t], %[w1]\n\t"
                    "sxtb16 %[w1], %[w1], ror #8\n\t"
                    "smlad %[a3], %[xl], %[t], %[a3]\n\t"
                    "smlad %[a3], %[xv], %[w1], %[a3]\n\t"
                    "cmp %[x], %[end]\n\t"
                    "bne 1b\n\t"
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [wp] "+r"(wg),
                      [xv] "=&r"(xv), [xl] "=&r"(xl), [w0] "=&r"(w0), [w1] "=&r"(w1), [t] "=&r"(t)
                    : [end] "r"(x_end)
                    : "cc", "memory");
            }
            (void)g;
#else
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
#endif
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
            if (fast && o + 4 <= n_out) {
                const int32_t zp = 0; /* carried by the rounding constant */
                const int32_t *q1 = q + qs, *q2 = q1 + qs, *q3 = q2 + qs;
                const uint32_t v = tfc_pack4(tfc_rq_fast8(a0, q[0], q[1], q[2], zp), tfc_rq_fast8(a1, q1[0], q1[1], q1[2], zp),
                                             tfc_rq_fast8(a2, q2[0], q2[1], q2[2], zp),
                                             tfc_rq_fast8(a3, q3[0], q3[1], q3[2], zp));
                const uint32_t c = tfc_clamp4(v, os.lo4, os.hi4);
                __builtin_memcpy(out + o, &c, 4);
                w += stride;
                q += 4 * qs;
                continue;
            }
            out[o] = requant(a0, p, q, o, fast, &os);
            if (o + 1 < n_out) {
                out[o + 1] = requant(a1, p, q + qs, o + 1, fast, &os);
            }
            if (o + 2 < n_out) {
                out[o + 2] = requant(a2, p, q + 2 * qs, o + 2, fast, &os);
            }
            if (o + 3 < n_out) {
                out[o + 3] = requant(a3, p, q + 3 * qs, o + 3, fast, &os);
            }
            w += stride;
            q += 4 * qs;
        }
        out += n_out;
    }
}
