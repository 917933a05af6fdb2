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
#include "tfc_fc_opt.h"
#include "../tfc_kernels.h"

static inline int8_t requant(int32_t acc, const tfc_fc_params *p, const int32_t *q, int32_t o, int fast,
                             const tfc_out_stage *os) {
    if (fast) {
        return tfc_clamp8(tfc_rq_fast(acc, q[0], q[1], q[2]), os); /* q[2] carries the zero point */
    }
    return tfc_out8(tfc_mbqm(acc, p->mult[o * p->per_channel], p->shift[o * p->per_channel]), os);
}

/* One group of four inputs, split into xl = (x0, x2), xh = (x1, x3), for the four rows of a block
 * (w: four words). */
static inline void group_pair_words(int32_t xl, int32_t xh, const uint32_t *w, int32_t *acc) {
    acc[0] = tfc_smlad((int32_t)w[0], xl, acc[0]);
    acc[1] = tfc_smlad(tfc_sxtb16(w[0]), xl, acc[1]);
    acc[0] = tfc_smlad((int32_t)w[1], xh, acc[0]);
    acc[1] = tfc_smlad(tfc_sxtb16(w[1]), xh, acc[1]);
    acc[2] = tfc_smlad((int32_t)w[2], xl, acc[2]);
    acc[3] = tfc_smlad(tfc_sxtb16(w[2]), xl, acc[3]);
    acc[2] = tfc_smlad((int32_t)w[3], xh, acc[2]);
    acc[3] = tfc_smlad(tfc_sxtb16(w[3]), xh, acc[3]);
}

/* ... of the input word xv */
static inline void group_pair(uint32_t xv, const uint32_t *w, int32_t *acc) {
    group_pair_words(tfc_sxtb16(xv), tfc_sxtb16_ror8(xv), w, acc);
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
/* One pair-code group after the input words xl = (x0, x2), xv = (x1, x3): the four weight words by
 * one LDM (ascending registers w0..w3), eight SMLAD, four SXTB16. */
#define TFC_FC_PAIR_W                              \
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

/* ... from the int8 input (one word, split by SXTB16: 16 instructions per 16 MACs) */
#define TFC_FC_PAIR_GROUP                          \
    "ldr %[xv], [%[x]], #4\n\t"                    \
    "sxtb16 %[xl], %[xv]\n\t"                      \
    "sxtb16 %[xv], %[xv], ror #8\n\t" TFC_FC_PAIR_W

/* ... from the input widened once into scratch (two words per group: 14 instructions per 16 MACs) */
#define TFC_FC_PAIR_GROUP_XW "ldrd %[xl], %[xv], [%[x]], #8\n\t" TFC_FC_PAIR_W

/* Pair-code blocks: accumulators from row B's bias (the block's bias {b1, b3, 2 b0, 2 b2});
 * after the groups a0 = (S0 - L0) >> 7 + 2 b0 and 2 L0 (the doubled accumulators), likewise a2, 2 L1. */
#define TFC_FC_PAIR_INIT                 \
    "ldrd %[s0], %[s1], [lr], #8\n\t"    \
    "mov %[l0], %[s0]\n\t"               \
    "mov %[l1], %[s1]\n\t"
#define TFC_FC_PAIR_FINISH                     \
    "ldrd %[xv], %[xl], [lr], #8\n\t"          \
    "sub %[s0], %[s0], %[l0]\n\t"              \
    "add %[s0], %[xv], %[s0], asr #7\n\t"      \
    "sub %[s1], %[s1], %[l1]\n\t"              \
    "add %[s1], %[xl], %[s1], asr #7\n\t"      \
    "lsl %[l0], %[l0], #1\n\t"                 \
    "lsl %[l1], %[l1], #1\n\t"
#endif

/* byte b into bits pos .. pos + 7 of v (BFI) */
#define TFC_FC_BFI8(v, b, pos) ((v) = ((v) & ~(0xFFu << (pos))) | (((uint32_t)(b) & 0xFFu) << (pos)))

/* The hot case: pair codes, exact fast requantisation, rows and inputs multiples of four. Each
 * accumulator starts at row B's bias, so L = dot(B) + bias(B) and S - L = 256 * dot(A); the
 * fast requantisation wants the doubled accumulator: (S - L) >> 7 plus twice bias(A). Blocks
 * [blk0, blk1) of the row whose output starts at out; x0: the int8 input, or (xw) its widened
 * words (tfc_fc_widen_input). */
static inline __attribute__((always_inline)) void fc_pair_fast(const tfc_fc_params *p, const int8_t *x0,
                                                               int32_t blk0, int32_t blk1, int8_t *out,
                                                               const int shared, const int xw) {
    const int32_t groups = p->in_depth >> 2;
    const uint32_t *w = (const uint32_t *)p->weights + 4 * groups * blk0;
    const int32_t *bias = p->bias + 4 * blk0;
    const int32_t *q = p->rq + TFC_RQ_HEADER + (shared ? 0 : 16 * blk0);
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    int8_t *const out_end = out + 4 * blk1;
    const int32_t gb = xw ? 8 : 4; /* bytes per group of the input read */
    out += 4 * blk0;
#if TFC_DSP_ASM
    {
        const int8_t *const x_end = x0 + gb * groups;
        const uint32_t clamp[2] = {os.lo4, os.hi4}; /* -128 / 127 in every byte: no clamp */
        const uint32_t rem = (uint32_t)groups & 7;
        uint32_t aux = 0;
        (void)rem;
        TFC_FC_LAYERS(TFC_FC_PAIR_INIT, TFC_FC_PAIR_GROUP, TFC_FC_PAIR_GROUP_XW, TFC_FC_PAIR_FINISH);
    }
#else
    const int32_t qs = shared ? 0 : 4;
    for (; out < out_end; out += 4, bias += 4, q += 4 * qs) {
        int32_t acc[4] = {bias[0], bias[0], bias[1], bias[1]}, g; /* the block's {b1, b3, 2 b0, 2 b2} */
        const int8_t *x = x0;
        for (g = 0; g < groups; ++g, x += gb, w += 4) {
            if (xw) {
                group_pair_words((int32_t)tfc_ld32(x), (int32_t)tfc_ld32(x + 4), w, acc);
            } else {
                group_pair(tfc_ld32(x), w, acc);
            }
        }
        {
            const int32_t a0 = ((int32_t)((uint32_t)acc[0] - (uint32_t)acc[1]) >> 7) + bias[2];
            const int32_t a2 = ((int32_t)((uint32_t)acc[2] - (uint32_t)acc[3]) >> 7) + bias[3];
            uint32_t v = (uint32_t)tfc_ssat8(tfc_rq_x2s(a0, q[0], q[1], q[2]));
            TFC_FC_BFI8(v, tfc_ssat8(tfc_rq_x2s(2 * acc[1], q[qs], q[qs + 1], q[qs + 2])), 8);
            TFC_FC_BFI8(v, tfc_ssat8(tfc_rq_x2s(a2, q[2 * qs], q[2 * qs + 1], q[2 * qs + 2])), 16);
            TFC_FC_BFI8(v, tfc_ssat8(tfc_rq_x2s(2 * acc[3], q[3 * qs], q[3 * qs + 1], q[3 * qs + 2])), 24);
            v = tfc_clamp4(v, os.lo4, os.hi4);
            __builtin_memcpy(out, &v, 4);
        }
    }
#endif
}

/* Out of line, one copy per requantisation layout and input form (the shared one keeps its entry
 * in registers); -Os builds keep one copy per input form that reads the layout at run time. Each
 * copy is compiled only where a layer of the model takes it (engine/optimized/variants.py:
 * TFC_LINK_FC_SHARED / _CHANNEL for the layout, _X8 / _XW for the input form); the host links
 * fc_generic for the layers off the hot path (TFC_LINK_FC_GENERIC). */
#define FC_PAIR (TFC_LINK_FC_SHARED || TFC_LINK_FC_CHANNEL)
#define FC_X8 (FC_PAIR && TFC_LINK_FC_X8)
#define FC_XW (FC_PAIR && TFC_LINK_FC_XW)
#if defined(__OPTIMIZE_SIZE__)
#if FC_X8
static void __attribute__((noinline)) fc_pair_x8(const tfc_fc_params *p, const int8_t *x, int32_t b0, int32_t b1,
                                                 int8_t *out) {
    fc_pair_fast(p, x, b0, b1, out, (p->rq[0] & TFC_RQ_SHARED) != 0, 0);
}
#endif
#if FC_XW
static void __attribute__((noinline)) fc_pair_xw(const tfc_fc_params *p, const int8_t *x, int32_t b0, int32_t b1,
                                                 int8_t *out) {
    fc_pair_fast(p, x, b0, b1, out, (p->rq[0] & TFC_RQ_SHARED) != 0, 1);
}
#endif
#define FC_PAIR_RANGE(shared, xw) ((xw) ? FC_PAIR_XW_OS : FC_PAIR_X8_OS)
#if FC_X8
#define FC_PAIR_X8_OS fc_pair_x8
#else
#define FC_PAIR_X8_OS fc_pair_xw /* not reached */
#endif
#if FC_XW
#define FC_PAIR_XW_OS fc_pair_xw
#else
#define FC_PAIR_XW_OS fc_pair_x8 /* not reached */
#endif
#else
#define FC_PAIR_COPY(name, shared, xw)                                                                        \
    static void name(const tfc_fc_params *p, const int8_t *x, int32_t b0, int32_t b1, int8_t *out) {          \
        fc_pair_fast(p, x, b0, b1, out, shared, xw);                                                         \
    }
/* the copies the model links; an unlinked one's name is a linked one (not reached) */
#if FC_X8 && TFC_LINK_FC_SHARED
FC_PAIR_COPY(fc_pair_shared_x8, 1, 0)
#endif
#if FC_X8 && TFC_LINK_FC_CHANNEL
FC_PAIR_COPY(fc_pair_channel_x8, 0, 0)
#endif
#if FC_XW && TFC_LINK_FC_SHARED
FC_PAIR_COPY(fc_pair_shared_xw, 1, 1)
#endif
#if FC_XW && TFC_LINK_FC_CHANNEL
FC_PAIR_COPY(fc_pair_channel_xw, 0, 1)
#endif
#if !TFC_LINK_FC_SHARED
#define fc_pair_shared_x8 fc_pair_channel_x8
#define fc_pair_shared_xw fc_pair_channel_xw
#endif
#if !TFC_LINK_FC_CHANNEL
#define fc_pair_channel_x8 fc_pair_shared_x8
#define fc_pair_channel_xw fc_pair_shared_xw
#endif
#if FC_XW && FC_X8
#define FC_PAIR_RANGE(shared, xw) \
    ((xw) ? ((shared) ? fc_pair_shared_xw : fc_pair_channel_xw) : ((shared) ? fc_pair_shared_x8 : fc_pair_channel_x8))
#elif FC_XW
#define FC_PAIR_RANGE(shared, xw) ((shared) ? fc_pair_shared_xw : fc_pair_channel_xw)
#else
#define FC_PAIR_RANGE(shared, xw) ((shared) ? fc_pair_shared_x8 : fc_pair_channel_x8)
#endif
#endif

/* One batch row on the hot path: the blocks that can read a widened input (the planned scratch,
 * else the output's tail) from it, the rest from the int8 input. */
#if FC_PAIR
static void fc_pair_row(const tfc_fc_params *p, const int8_t *xb, int8_t *out, const int shared) {
    uint32_t *wx = 0;
    const int32_t blocks = p->out_depth >> 2;
    const int32_t n_xw = FC_XW ? tfc_fc_input_words(p, out, &wx) : 0;
    if (FC_XW && n_xw) {
        tfc_fc_widen_input(xb, p->in_depth >> 2, wx);
        FC_PAIR_RANGE(shared, 1)(p, (const int8_t *)wx, 0, n_xw, out);
    }
    if (FC_X8 && n_xw < blocks) {
        FC_PAIR_RANGE(shared, 0)(p, xb, n_xw, blocks, out);
    }
}
#endif

/* Everything off the hot path (input tails, odd row counts, the plain layout, reference
 * requantisation): one group at a time, per-output stores. Out of line, so its frame is not on the
 * stack under the hot path's. */
#if TFC_LINK_FC_GENERIC || !FC_PAIR
static void __attribute__((noinline)) fc_generic(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
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
#endif

void tfc_fully_connected_s8(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    const int32_t flags = p->rq[0];
    int32_t b;
#if TFC_LINK_FC_GENERIC || !FC_PAIR
    if (!FC_PAIR || !(flags & TFC_RQ_PAIR) || !(flags & TFC_RQ_FAST) || (p->in_depth & 3) || p->in_depth == 0 ||
        (p->out_depth & 3)) {
        fc_generic(p, in, out);
        return;
    }
#endif
#if FC_PAIR
    for (b = 0; b < p->batches; ++b) { /* the hot path */
        fc_pair_row(p, in + b * p->in_depth, out + b * p->out_depth, (flags & TFC_RQ_SHARED) != 0);
    }
#else
    (void)flags, (void)b;
#endif
}
