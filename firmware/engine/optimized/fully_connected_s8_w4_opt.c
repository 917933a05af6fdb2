/* FULLY_CONNECTED with 4-bit weights, optimised for Cortex-M4/M7 (DSP): tfc_fully_connected_s8_lut_w4,
 * (engine/optimized/fc_compressed.py) on the exact fast requantisation with rows and inputs in
 * multiples of four.
 *
 * Four output rows at a time. Per block of four rows and group of four inputs the host stores
 * per row two index bytes, (i0 | i2 << 4) and (i1 | i3 << 4); a 256-word table in flash per
 * codebook maps an index byte to its two weights as int16 halves (cb[lo], cb[hi]), which SMLAD
 * meets with SXTB16's split of the input word (x0, x2), (x1, x3). Per group: LDRB, LDR, SMLAD per
 * weight pair (27 instructions per 16 MACs; 25 when the input was widened once into scratch).
 * p->codebook: per output row a byte offset to its table, counted from its block's first entry,
 * then the tables. The layer loop is tfc_fc_opt.h's; the bias is plain, per row.
 */
#include "tfc_dsp.h"
#include "tfc_fc_opt.h"
#include "../tfc_kernels.h"

#if TFC_DSP_ASM
/* One row of a group after the input words xl = (x0, x2), xv = (x1, x3): two index bytes through
 * the row's table T (w1, w2, w3, end for rows 0..3), two SMLAD. */
#define TFC_FC_W4_ROW(acc, T)                      \
    "ldrb %[w0], [%[wp]], #1\n\t"                  \
    "ldr %[w0], [%[" T "], %[w0], lsl #2]\n\t"     \
    "smlad %[" acc "], %[w0], %[xl], %[" acc "]\n\t" \
    "ldrb %[w0], [%[wp]], #1\n\t"                  \
    "ldr %[w0], [%[" T "], %[w0], lsl #2]\n\t"     \
    "smlad %[" acc "], %[w0], %[xv], %[" acc "]\n\t"
#define TFC_FC_W4_W \
    TFC_FC_W4_ROW("s0", "w1") TFC_FC_W4_ROW("l0", "w2") TFC_FC_W4_ROW("s1", "w3") TFC_FC_W4_ROW("l1", "end")
#define TFC_FC_W4_GROUP            \
    "ldr %[xv], [%[x]], #4\n\t"    \
    "sxtb16 %[xl], %[xv]\n\t"      \
    "sxtb16 %[xv], %[xv], ror #8\n\t" TFC_FC_W4_W
#define TFC_FC_W4_GROUP_XW "ldrd %[xl], %[xv], [%[x]], #8\n\t" TFC_FC_W4_W
/* rows 0..3 accumulate in s0, l0, s1, l1 from the plain bias; the block's four table offsets
 * (from the block's entry, aux) become the rows' table addresses */
#define TFC_FC_W4_INIT                                  \
    "ldrd %[s0], %[l0], [lr], #8\n\t"                   \
    "ldrd %[s1], %[l1], [lr], #8\n\t"                   \
    "ldr %[w0], %[auxm]\n\t"                            \
    "ldmia %[w0], {%[w1], %[w2], %[w3], %[end]}\n\t"    \
    "add %[w1], %[w1], %[w0]\n\t"                       \
    "add %[w2], %[w2], %[w0]\n\t"                       \
    "add %[w3], %[w3], %[w0]\n\t"                       \
    "add %[end], %[end], %[w0]\n\t"                     \
    "add %[w0], %[w0], #16\n\t"                         \
    "str %[w0], %[auxm]\n\t"
#define TFC_FC_W4_FINISH           \
    "lsl %[s0], %[s0], #1\n\t"     \
    "lsl %[l0], %[l0], #1\n\t"     \
    "lsl %[s1], %[s1], #1\n\t"     \
    "lsl %[l1], %[l1], #1\n\t"
/* the groups, the loop end compared in memory (end holds row 3's table) */
#if defined(__OPTIMIZE_SIZE__)
#define TFC_FC_W4_LOOP(G)           \
    "1:\n\t" G                      \
    "ldr %[w0], %[xendm]\n\t"       \
    "cmp %[x], %[w0]\n\t"           \
    "bne 1b\n\t"
#else
#define TFC_FC_W4_LOOP(G)                                                                         \
    "ldr %[xv], %[remm]\n\t"                                                                      \
    "tbh [pc, %[xv], lsl #1]\n"                                                                   \
    "5:\n\t"                                                                                      \
    ".hword (10f-5b)/2, (17f-5b)/2, (16f-5b)/2, (15f-5b)/2, (14f-5b)/2, (13f-5b)/2, (12f-5b)/2, (11f-5b)/2\n" \
    "10:\n\t" G "11:\n\t" G "12:\n\t" G "13:\n\t" G "14:\n\t" G "15:\n\t" G "16:\n\t" G "17:\n\t" G \
    "ldr %[w0], %[xendm]\n\t"                                                                     \
    "cmp %[x], %[w0]\n\t"                                                                         \
    "bne 10b\n\t"
#endif
#define TFC_FC_W4_LAYER(G, RQ) TFC_FC_LAYER_LOOP(TFC_FC_W4_INIT, TFC_FC_W4_LOOP(G), TFC_FC_W4_FINISH, RQ)
#endif

/* Row r's table: the per-row byte offsets, counted from each block's first entry, precede the tables. */
static inline const uint32_t *w4_table(const tfc_fc_params *p, int32_t r) {
    const int32_t *offs = (const int32_t *)(const void *)p->codebook;
    return (const uint32_t *)(const void *)((const int8_t *)(offs + (r & ~3)) + offs[r]);
}

/* Blocks [blk0, blk1) of the row whose output starts at out; x0: the int8 input, or (xw) its
 * widened words. */
static inline __attribute__((always_inline)) void fc_w4(const tfc_fc_params *p, const int8_t *x0, int32_t blk0,
                                                        int32_t blk1, int8_t *out, const int shared, const int xw) {
    const int32_t groups = p->in_depth >> 2;
    const uint8_t *w = (const uint8_t *)p->weights + 8 * groups * blk0;
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
        const int8_t *aux = p->codebook + 16 * blk0; /* the first block's table offsets */
        (void)rem;
        if (xw) {
            if (shared) {
                TFC_FC_W4_LAYER(TFC_FC_W4_GROUP_XW, TFC_FC_RQ_SHARED);
            } else {
                TFC_FC_W4_LAYER(TFC_FC_W4_GROUP_XW, TFC_FC_RQ_CHANNEL);
            }
        } else {
            if (shared) {
                TFC_FC_W4_LAYER(TFC_FC_W4_GROUP, TFC_FC_RQ_SHARED);
            } else {
                TFC_FC_W4_LAYER(TFC_FC_W4_GROUP, TFC_FC_RQ_CHANNEL);
            }
        }
    }
#else
    const int32_t qs = shared ? 0 : 4;
    int32_t o;
    for (o = 4 * blk0; out < out_end; out += 4, bias += 4, q += 4 * qs, o += 4) {
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
                const uint32_t *t = w4_table(p, o + r);
                a[r] = tfc_smlad((int32_t)t[w[2 * r]], xl, tfc_smlad((int32_t)t[w[2 * r + 1]], xh, a[r]));
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
static void __attribute__((noinline)) fc_w4_range(const tfc_fc_params *p, const int8_t *x, int32_t b0, int32_t b1,
                                                  int8_t *out, int xw) {
    const int shared = (p->rq[0] & TFC_RQ_SHARED) != 0;
    if (xw) {
        fc_w4(p, x, b0, b1, out, shared, 1);
    } else {
        fc_w4(p, x, b0, b1, out, shared, 0);
    }
}
#else
static void fc_w4_range(const tfc_fc_params *p, const int8_t *x, int32_t b0, int32_t b1, int8_t *out, int xw) {
    const int shared = (p->rq[0] & TFC_RQ_SHARED) != 0;
    if (xw) {
        if (shared) {
            fc_w4(p, x, b0, b1, out, 1, 1);
        } else {
            fc_w4(p, x, b0, b1, out, 0, 1);
        }
    } else if (shared) {
        fc_w4(p, x, b0, b1, out, 1, 0);
    } else {
        fc_w4(p, x, b0, b1, out, 0, 0);
    }
}
#endif

void tfc_fully_connected_s8_lut_w4(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    const int32_t blocks = p->out_depth >> 2;
    int32_t b;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *const xb = in + b * p->in_depth;
        int8_t *const ob = out + b * p->out_depth;
        uint32_t *wx = 0;
        const int32_t n_xw = tfc_fc_input_words(p, ob, &wx); /* planned scratch, else the output's tail */
        if (n_xw) {
            tfc_fc_widen_input(xb, p->in_depth >> 2, wx);
            fc_w4_range(p, (const int8_t *)wx, 0, n_xw, ob, 1);
        }
        if (n_xw < blocks) {
            fc_w4_range(p, xb, n_xw, blocks, ob, 0);
        }
    }
}
