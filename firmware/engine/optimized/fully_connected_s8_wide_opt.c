/* FULLY_CONNECTED, int8, optimised for Cortex-M4/M7 (DSP), int16 weights: tfc_fully_connected_s8_wide,
 * chosen by the host for optimize = "speed" (engine/optimized/fully_connected.py widen) on layers
 * with the exact fast requantisation (TFC_RQ_FAST) and rows and inputs in multiples of four.
 *
 * Four output rows at a time. Weights per block of four rows and group of four inputs: per row the
 * int16 words (w0, w2), (w1, w3), which SMLAD meets with SXTB16's split of the input word
 * (x0, x2), (x1, x3): per group one LDR, two SXTB16, two LDM of four words, eight SMLAD
 * (16 MACs in 13 instructions); 11 when the input was widened once into scratch (p->scratch, where
 * the plan has room). Twice the weights' flash. The layer loop is tfc_fc_opt.h's.
 */
#include "tfc_dsp.h"
#include "tfc_fc_opt.h"
#include "../tfc_kernels.h"

#if TFC_DSP_ASM
/* the int16 weights of a group after the input words xl = (x0, x2), xv = (x1, x3) */
#define TFC_FC_WIDE_W                                \
    "ldmia %[wp]!, {%[w0], %[w1], %[w2], %[w3]}\n\t" \
    "smlad %[s0], %[w0], %[xl], %[s0]\n\t"           \
    "smlad %[s0], %[w1], %[xv], %[s0]\n\t"           \
    "smlad %[l0], %[w2], %[xl], %[l0]\n\t"           \
    "smlad %[l0], %[w3], %[xv], %[l0]\n\t"           \
    "ldmia %[wp]!, {%[w0], %[w1], %[w2], %[w3]}\n\t" \
    "smlad %[s1], %[w0], %[xl], %[s1]\n\t"           \
    "smlad %[s1], %[w1], %[xv], %[s1]\n\t"           \
    "smlad %[l1], %[w2], %[xl], %[l1]\n\t"           \
    "smlad %[l1], %[w3], %[xv], %[l1]\n\t"
#define TFC_FC_WIDE_GROUP          \
    "ldr %[xv], [%[x]], #4\n\t"    \
    "sxtb16 %[xl], %[xv]\n\t"      \
    "sxtb16 %[xv], %[xv], ror #8\n\t" TFC_FC_WIDE_W
#define TFC_FC_WIDE_GROUP_XW "ldrd %[xl], %[xv], [%[x]], #8\n\t" TFC_FC_WIDE_W
/* rows 0..3 accumulate in s0, l0, s1, l1 from the plain bias */
#define TFC_FC_WIDE_INIT                 \
    "ldrd %[s0], %[l0], [lr], #8\n\t"    \
    "ldrd %[s1], %[l1], [lr], #8\n\t"
#define TFC_FC_WIDE_FINISH         \
    "lsl %[s0], %[s0], #1\n\t"     \
    "lsl %[l0], %[l0], #1\n\t"     \
    "lsl %[s1], %[s1], #1\n\t"     \
    "lsl %[l1], %[l1], #1\n\t"
#endif

/* Blocks [blk0, blk1) of the row whose output starts at out; x0: the int8 input, or (xw) its
 * widened words. */
static inline __attribute__((always_inline)) void fc_wide(const tfc_fc_params *p, const int8_t *x0, int32_t blk0,
                                                          int32_t blk1, int8_t *out, const int shared,
                                                          const int xw) {
    const int32_t groups = p->in_depth >> 2;
    const uint32_t *w = (const uint32_t *)p->weights + 8 * groups * blk0;
    const int32_t *bias = p->bias + 4 * blk0;
    const int32_t *q = p->rq + TFC_RQ_HEADER + (shared ? 0 : 16 * blk0);
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    int8_t *const out_end = out + 4 * blk1;
    const int32_t gb = xw ? 8 : 4; /* bytes per group of the input read */
    out += 4 * blk0;
#if TFC_DSP_ASM
    {
        const int8_t *const x_end = x0 + gb * groups;
        const uint32_t clamp[2] = {os.lo4, os.hi4};
        const uint32_t rem = (uint32_t)groups & 7;
        uint32_t aux = 0;
        (void)rem;
        TFC_FC_LAYERS(TFC_FC_WIDE_INIT, TFC_FC_WIDE_GROUP, TFC_FC_WIDE_GROUP_XW, TFC_FC_WIDE_FINISH);
    }
#else
    const int32_t qs = shared ? 0 : 4;
    for (; out < out_end; out += 4, bias += 4, q += 4 * qs) {
        int32_t a[4] = {bias[0], bias[1], bias[2], bias[3]}, g, r;
        const int8_t *x = x0;
        uint32_t v = 0;
        for (g = 0; g < groups; ++g, x += gb, w += 8) {
            int32_t xl, xh;
            if (xw) {
                xl = (int32_t)tfc_ld32(x), xh = (int32_t)tfc_ld32(x + 4);
            } else {
                const uint32_t xv = tfc_ld32(x);
                xl = tfc_sxtb16(xv), xh = tfc_sxtb16_ror8(xv);
            }
            for (r = 0; r < 4; ++r) {
                a[r] = tfc_smlad((int32_t)w[2 * r], xl, tfc_smlad((int32_t)w[2 * r + 1], xh, a[r]));
            }
        }
        for (r = 0; r < 4; ++r) {
            const int32_t *e = q + r * qs;
            v |= ((uint32_t)tfc_ssat8(tfc_rq_x2s(2 * a[r], e[0], e[1], e[2])) & 0xFFu) << (8 * r);
        }
        v = tfc_clamp4(v, os.lo4, os.hi4);
        __builtin_memcpy(out, &v, 4);
    }
#endif
}

#if defined(__OPTIMIZE_SIZE__)
static void __attribute__((noinline)) fc_wide_x8(const tfc_fc_params *p, const int8_t *x, int32_t b0, int32_t b1,
                                                 int8_t *out) {
    fc_wide(p, x, b0, b1, out, (p->rq[0] & TFC_RQ_SHARED) != 0, 0);
}
static void __attribute__((noinline)) fc_wide_xw(const tfc_fc_params *p, const int8_t *x, int32_t b0, int32_t b1,
                                                 int8_t *out) {
    fc_wide(p, x, b0, b1, out, (p->rq[0] & TFC_RQ_SHARED) != 0, 1);
}
#define FC_WIDE_RANGE(shared, xw) ((xw) ? fc_wide_xw : fc_wide_x8)
#else
#define FC_WIDE_COPY(name, shared, xw)                                                                        \
    static void name(const tfc_fc_params *p, const int8_t *x, int32_t b0, int32_t b1, int8_t *out) {          \
        fc_wide(p, x, b0, b1, out, shared, xw);                                                              \
    }
FC_WIDE_COPY(fc_wide_shared_x8, 1, 0)
FC_WIDE_COPY(fc_wide_channel_x8, 0, 0)
FC_WIDE_COPY(fc_wide_shared_xw, 1, 1)
FC_WIDE_COPY(fc_wide_channel_xw, 0, 1)
#define FC_WIDE_RANGE(shared, xw) \
    ((xw) ? ((shared) ? fc_wide_shared_xw : fc_wide_channel_xw) : ((shared) ? fc_wide_shared_x8 : fc_wide_channel_x8))
#endif

void tfc_fully_connected_s8_wide(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    const int shared = (p->rq[0] & TFC_RQ_SHARED) != 0;
    const int32_t blocks = p->out_depth >> 2;
    int32_t b;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *const xb = in + b * p->in_depth;
        int8_t *const ob = out + b * p->out_depth;
        uint32_t *wx = 0;
        const int32_t n_xw = tfc_fc_input_words(p, ob, &wx); /* planned scratch, else the output's tail */
        if (n_xw) {
            tfc_fc_widen_input(xb, p->in_depth >> 2, wx);
            FC_WIDE_RANGE(shared, 1)(p, (const int8_t *)wx, 0, n_xw, ob);
        }
        if (n_xw < blocks) {
            FC_WIDE_RANGE(shared, 0)(p, xb, n_xw, blocks, ob);
        }
    }
}
