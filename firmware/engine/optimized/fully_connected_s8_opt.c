/* FULLY_CONNECTED, int8, optimised for Cortex-M4/M7 (DSP): drop-in for fully_connected_s8.c.
 *
 * Four output rows at a time; the host re-lays the weights out in blocks of four rows, per group
 * of four inputs, zero-padded to a multiple of four rows and inputs. One input word per group is
 * split by SXTB16 into (x0, x2) and (x1, x3). Two layouts (TFC_RQ_PAIR in the rq header):
 *
 * - Pair codes (TFC_RQ_PAIR): rows A and B of a pair share each halfword, h = 256 * a + b (exact
 *   in int16 when a > -128 or b >= 0), so one word holds the weights of two rows for two inputs.
 *   SMLAD of the raw word accumulates S = 256 * dot(A) + dot(B); SXTB16 of the word recovers the
 *   b bytes, whose SMLAD gives L = dot(B); dot(A) = (S - L) >> 8, exact when |dot(A)| < 2^23
 *   (checked on the host). Three instructions per four MACs instead of four.
 * - Plain (otherwise): row r, inputs 4g..4g+3 is word r of the group; SXTB16 of each weight word.
 *
 * An input length that is not a multiple of four finishes with one zero-extended group.
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

/* One group of four inputs (xv) for the four rows of a block (w: four words). */
static inline void group_pair(uint32_t xv, const uint32_t *w, int32_t *acc) {
    const int32_t xl = tfc_sxtb16(xv), xh = tfc_sxtb16_ror8(xv);
    acc[0] = tfc_smlad((int32_t)w[0], xl, acc[0]);
    acc[1] = tfc_smlad(tfc_sxtb16(w[0]), xl, acc[1]);
    acc[0] = tfc_smlad((int32_t)w[1], xh, acc[0]);
    acc[1] = tfc_smlad(tfc_sxtb16(w[1]), xh, acc[1]);
    acc[2] = tfc_smlad((int32_t)w[2], xl, acc[2]);
    acc[3] = tfc_smlad(tfc_sxtb16(w[2]), xl, acc[3]);
    acc[2] = tfc_smlad((int32_t)w[3], xh, acc[2]);
    acc[3] = tfc_smlad(tfc_sxtb16(w[3]), xh, acc[3]);
}

static inline void group_plain(uint32_t xv, const uint32_t *w, int32_t *acc) {
    const int32_t xl = tfc_sxtb16(xv), xh = tfc_sxtb16_ror8(xv);
    int r;
    for (r = 0; r < 4; ++r) {
        acc[r] = tfc_smlad(xl, tfc_sxtb16(w[r]), acc[r]);
        acc[r] = tfc_smlad(xh, tfc_sxtb16_ror8(w[r]), acc[r]);
    }
}

/* The last n (1..3) inputs as a zero-extended word. */
static inline uint32_t tail_word(const int8_t *x, int32_t n) {
    uint32_t v = 0;
    int32_t i;
    for (i = 0; i < n; ++i) {
        v |= (uint32_t)(uint8_t)x[i] << (8 * i);
    }
    return v;
}

#if TFC_DSP_ASM
/* One pair-code group: the four weight words by one LDM (ascending registers w0..w3). */
#define TFC_FC_PAIR_GROUP                          \
    "ldr %[xv], [%[x]], #4\n\t"                    \
    "sxtb16 %[xl], %[xv]\n\t"                      \
    "sxtb16 %[xv], %[xv], ror #8\n\t"              \
    "ldmia %[wp]!, {%[w0], %[w1], %[w2], %[w3]}\n\t" \
    "smlad %[s0], %[w0], %[xl], %[s0]\n\t"         \
    "sxtb16 %[w0], %[w0]\n\t"                      \
    "smlad %[l0], %[w0], %[xl], %[l0]\n\t"         \
    "smlad %[s0], %[w1], %[xv], %[s0]\n\t"         \
    "sxtb16 %[w1], %[w1]\n\t"                      \
    "smlad %[l0], %[w1], %[xv], %[l0]\n\t"         \
    "smlad %[s1], %[w2], %[xl], %[s1]\n\t"         \
    "sxtb16 %[w2], %[w2]\n\t"                      \
    "smlad %[l1], %[w2], %[xl], %[l1]\n\t"         \
    "smlad %[s1], %[w3], %[xv], %[s1]\n\t"         \
    "sxtb16 %[w3], %[w3]\n\t"                      \
    "smlad %[l1], %[w3], %[xv], %[l1]\n\t"

#define TFC_FC_PAIR_OPERANDS                                                                      \
    : [s0] "+r"(s0), [l0] "+r"(l0), [s1] "+r"(s1), [l1] "+r"(l1), [x] "+r"(x), [wp] "+r"(w),      \
      [xv] "=&r"(xv), [xl] "=&r"(xl), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)

#if defined(__OPTIMIZE_SIZE__)
/* groups (>= 1) pair-code groups, one per iteration (-Os: the compact form). */
#define TFC_FC_PAIR_LOOP(odd)                                                                    \
    do {                                                                                         \
        register uint32_t w0 __asm("r8"), w1 __asm("r9"), w2 __asm("r10"), w3 __asm("r11");      \
        uint32_t xv, xl;                                                                         \
        (void)(odd);                                                                             \
        __asm volatile("1:\n\t" TFC_FC_PAIR_GROUP "cmp %[x], %[end]\n\t"                        \
                       "bne 1b\n\t" TFC_FC_PAIR_OPERANDS                                         \
                       : [end] "r"(x_end)                                                        \
                       : "cc", "memory");                                                        \
    } while (0)
#else
/* groups (>= 1) pair-code groups: an odd one first, then two per iteration. */
#define TFC_FC_PAIR_LOOP(odd)                                                                    \
    do {                                                                                         \
        register uint32_t w0 __asm("r8"), w1 __asm("r9"), w2 __asm("r10"), w3 __asm("r11");      \
        uint32_t xv, xl;                                                                         \
        if (odd) {                                                                               \
            __asm volatile(TFC_FC_PAIR_GROUP TFC_FC_PAIR_OPERANDS : : "memory");                 \
        }                                                                                        \
        if (x != x_end) {                                                                        \
            __asm volatile("1:\n\t" TFC_FC_PAIR_GROUP TFC_FC_PAIR_GROUP "cmp %[x], %[end]\n\t"    \
                           "bne 1b\n\t" TFC_FC_PAIR_OPERANDS                                     \
                           : [end] "r"(x_end)                                                    \
                           : "cc", "memory");                                                    \
        }                                                                                        \
    } while (0)
#endif
#endif

/* The hot case: pair codes, exact fast requantisation, rows and inputs multiples of four. Each
 * accumulator starts at row B's bias, so L = dot(B) + bias(B) and S - L = 256 * dot(A); the
 * fast requantisation wants the doubled accumulator: (S - L) >> 7 plus twice bias(A). */
static inline __attribute__((always_inline)) void fc_pair_fast(const tfc_fc_params *p, const int8_t *xb,
                                                               int8_t *out, const int shared) {
    const int32_t groups = p->in_depth >> 2;
    const uint32_t *w = (const uint32_t *)p->weights;
    const int32_t *bias = p->bias;
    const int32_t *q = p->rq + TFC_RQ_HEADER;
    const int32_t qs = shared ? 0 : 4;
    const int32_t m = q[0], rs = q[1], rnd = q[2]; /* the shared entry (per-tensor layers) */
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    int8_t *const out_end = out + p->out_depth;
#if TFC_DSP_ASM
    const int8_t *const x_end = xb + 4 * groups;
    const int32_t odd = groups & 1;
#endif
    for (; out < out_end; out += 4, bias += 4, q += 4 * qs) {
        int32_t s0 = bias[1], l0 = bias[1], s1 = bias[3], l1 = bias[3];
        const int8_t *x = xb;
#if TFC_DSP_ASM
        TFC_FC_PAIR_LOOP(odd);
#else
        int32_t acc[4] = {s0, l0, s1, l1}, g;
        for (g = 0; g < groups; ++g, x += 4, w += 4) {
            group_pair(tfc_ld32(x), w, acc);
        }
        s0 = acc[0], l0 = acc[1], s1 = acc[2], l1 = acc[3];
#endif
        {
            const int32_t a0 = ((int32_t)((uint32_t)s0 - (uint32_t)l0) >> 7) + 2 * bias[0];
            const int32_t a2 = ((int32_t)((uint32_t)s1 - (uint32_t)l1) >> 7) + 2 * bias[2];
            uint32_t v;
            if (shared) {
                v = tfc_pack4(tfc_ssat8(tfc_rq_x2(a0, m, rs, rnd)), tfc_ssat8(tfc_rq_x2(2 * l0, m, rs, rnd)),
                              tfc_ssat8(tfc_rq_x2(a2, m, rs, rnd)), tfc_ssat8(tfc_rq_x2(2 * l1, m, rs, rnd)));
            } else {
                v = tfc_pack4(tfc_ssat8(tfc_rq_x2(a0, q[0], q[1], q[2])),
                              tfc_ssat8(tfc_rq_x2(2 * l0, q[4], q[5], q[6])),
                              tfc_ssat8(tfc_rq_x2(a2, q[8], q[9], q[10])),
                              tfc_ssat8(tfc_rq_x2(2 * l1, q[12], q[13], q[14])));
            }
            v = tfc_clamp4(v, os.lo4, os.hi4);
            __builtin_memcpy(out, &v, 4);
        }
    }
}

/* Out of line, one copy per requantisation layout (the shared one keeps its entry in registers);
 * -Os builds keep one copy that reads the entry stride at run time. */
#if defined(__OPTIMIZE_SIZE__)
static void __attribute__((noinline)) fc_pair_fast_any(const tfc_fc_params *p, const int8_t *xb, int8_t *out) {
    fc_pair_fast(p, xb, out, (p->rq[0] & TFC_RQ_SHARED) != 0);
}
#define fc_pair_fast_shared fc_pair_fast_any
#define fc_pair_fast_channel fc_pair_fast_any
#else
static void fc_pair_fast_shared(const tfc_fc_params *p, const int8_t *xb, int8_t *out) { fc_pair_fast(p, xb, out, 1); }
static void fc_pair_fast_channel(const tfc_fc_params *p, const int8_t *xb, int8_t *out) { fc_pair_fast(p, xb, out, 0); }
#endif

void tfc_fully_connected_s8(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    const int32_t n_in = p->in_depth;
    const int32_t groups = n_in >> 2;
    const int32_t tail = n_in & 3;
    const int pair = p->rq[0] & TFC_RQ_PAIR;
    const int fast = p->rq[0] & TFC_RQ_FAST;
    const int32_t qs = (p->rq[0] & TFC_RQ_SHARED) ? 0 : 4; /* one shared entry for per-tensor layers */
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    const int32_t n_out = p->out_depth;
    int32_t b, o;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *xb = in + b * n_in;
        if (pair && fast && !tail && groups > 0 && !(n_out & 3)) {
            if (qs) {
                fc_pair_fast_channel(p, xb, out);
            } else {
                fc_pair_fast_shared(p, xb, out);
            }
            out += n_out;
            continue;
        }
        /* everything else (tails, reference requantisation): one group at a time, per-output stores */
        const uint32_t *w = (const uint32_t *)p->weights;
        const int32_t *q = p->rq + TFC_RQ_HEADER;
        for (o = 0; o < n_out; o += 4) {
            int32_t acc[4] = {0, 0, 0, 0}, g, r;
            for (g = 0; g < groups + (tail ? 1 : 0); ++g, w += 4) {
                const uint32_t xv = g < groups ? tfc_ld32(xb + 4 * g) : tail_word(xb + 4 * g, tail);
                if (pair) {
                    group_pair(xv, w, acc);
                } else {
                    group_plain(xv, w, acc);
                }
            }
            if (pair) {
                acc[0] = (int32_t)((uint32_t)acc[0] - (uint32_t)acc[1]) >> 8; /* dot(A) = (S - L) >> 8 */
                acc[2] = (int32_t)((uint32_t)acc[2] - (uint32_t)acc[3]) >> 8;
            }
            for (r = 0; r < 4 && o + r < n_out; ++r) {
                out[o + r] = requant(acc[r] + p->bias[o + r], p, q + r * qs, o + r, fast, &os);
            }
            q += 4 * qs;
        }
        out += n_out;
    }
}
