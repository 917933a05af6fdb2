/* FULLY_CONNECTED with 4-bit weights, optimised for Cortex-M4/M7 (DSP), for layers too small to
 * repay the index-byte tables of tfc_fully_connected_s8_lut_w4: tfc_fully_connected_s8_cb_w4
 * (engine/optimized/fc_compressed.py), on the exact fast requantisation, any shape.
 *
 * Straight from each row's 16-entry int8 codebook: per row ceil(in / 8) index words, nibble k of
 * word j the index of input 8 j + k (padding nibbles 0). Per nibble UBFX + LDRSB + SMLABB/SMLABT
 * against the input's int16 halves (x0, x2), (x1, x3) of a group of four (SXTB16 of the input
 * word, or the input widened once into the planned scratch: tfc_fc_widen_input). Two rows at a
 * time share the input (29 instructions per 8 MACs, 27 widened; -Os: one copy of the loop, on the
 * int8 input); the last in % 8 inputs one by one from the int8 input; an odd last row on its own (C).
 *
 * p->rq: header, then per row {m, rs | codebook byte offset << 8, rnd, bias} (ASR by register
 * reads the low byte: the offset rides along); p->codebook the codebooks; p->bias unused.
 */
#include "tfc_dsp.h"
#include "tfc_fc_opt.h"
#include "../tfc_kernels.h"

/* One row o in C (the odd last row, and every row of non-DSP builds): per full index word eight
 * lookups against the input's int16 halves, then the tail input by input. */
static int8_t cb_row_c(const tfc_fc_params *p, const int8_t *x, int32_t o, const tfc_out_stage *os) {
    const int32_t n_in = p->in_depth, n8 = n_in >> 3, words = (n_in + 7) >> 3;
    const uint32_t *w = (const uint32_t *)(const void *)p->weights + o * words;
    const uint32_t *const w_end = w + n8;
    const int32_t *e = p->rq + TFC_RQ_HEADER + 4 * o;
    const int8_t *cb = p->codebook + ((uint32_t)e[1] >> 8);
    int32_t acc = e[3], i;
    for (; w < w_end; ++w, x += 8) {
        const uint32_t wd = *w, v0 = tfc_ld32(x), v1 = tfc_ld32(x + 4);
        const int32_t xl0 = tfc_sxtb16(v0), xh0 = tfc_sxtb16_ror8(v0), xl1 = tfc_sxtb16(v1), xh1 = tfc_sxtb16_ror8(v1);
        acc = tfc_smlabb(cb[wd & 15u], xl0, acc);
        acc = tfc_smlabb(cb[(wd >> 4) & 15u], xh0, acc);
        acc = tfc_smlabt(cb[(wd >> 8) & 15u], xl0, acc);
        acc = tfc_smlabt(cb[(wd >> 12) & 15u], xh0, acc);
        acc = tfc_smlabb(cb[(wd >> 16) & 15u], xl1, acc);
        acc = tfc_smlabb(cb[(wd >> 20) & 15u], xh1, acc);
        acc = tfc_smlabt(cb[(wd >> 24) & 15u], xl1, acc);
        acc = tfc_smlabt(cb[wd >> 28], xh1, acc);
    }
    for (i = 0; i < (n_in & 7); ++i) {
        acc += (int32_t)cb[(*w >> (4 * i)) & 15u] * (int32_t)x[i];
    }
    return tfc_clamp8(tfc_rq_x2s((int32_t)((uint32_t)acc << 1), e[0], e[1] & 0xFF, e[2]), os);
}

#if TFC_DSP_ASM
/* Four nibbles (from bit s) of row r's word against the group xl = (x0, x2), xh = (x1, x3). */
#define CB_NIB(acc, cb, wd, s, x, top)                   \
    "ubfx %[t], %[" wd "], #" s ", #4\n\t"               \
    "ldrsb %[t], [%[" cb "], %[t]]\n\t"                  \
    "smlab" top " %[" acc "], %[t], %[" x "], %[" acc "]\n\t"
#define CB_ROWS4(s0, s1, s2, s3)                                                                     \
    CB_NIB("aa", "ca", "wa", s0, "xl", "b") CB_NIB("aa", "ca", "wa", s1, "xh", "b")               \
    CB_NIB("aa", "ca", "wa", s2, "xl", "t") CB_NIB("aa", "ca", "wa", s3, "xh", "t")               \
    CB_NIB("ab", "cb", "wb", s0, "xl", "b") CB_NIB("ab", "cb", "wb", s1, "xh", "b")               \
    CB_NIB("ab", "cb", "wb", s2, "xl", "t") CB_NIB("ab", "cb", "wb", s3, "xh", "t")
#define CB_X8 "ldr %[xh], [%[x]], #4\n\t" "sxtb16 %[xl], %[xh]\n\t" "sxtb16 %[xh], %[xh], ror #8\n\t"
#define CB_XW "ldrd %[xl], %[xh], [%[x]], #8\n\t"
/* One index word of both rows (eight inputs), the input read by X. */
#define CB_WORD(X)                                                                                   \
    "ldr %[wa], [%[pa]], #4\n\t"                                                                     \
    "ldr %[wb], [%[pb]], #4\n\t" X CB_ROWS4("0", "4", "8", "12") X CB_ROWS4("16", "20", "24", "28")
/* Requantise accumulator acc with the entry at lr (advanced; LDM into r8..r11), clamp to
 * [ca, cb] = [act_min, act_max] (within int8: no SSAT needed), store through xend (out). */
#define CB_OUT(acc)                                       \
    "ldmia lr!, {%[wa], %[wb], %[xl], %[t]}\n\t"          \
    "lsl %[" acc "], %[" acc "], #1\n\t"                  \
    "smmlar %[xh], %[" acc "], %[wa], %[xl]\n\t"          \
    "add %[xh], %[xh], %[" acc "], asr #31\n\t"           \
    "asr %[xh], %[xh], %[wb]\n\t"                         \
    "cmp %[xh], %[ca]\n\t"                                \
    "it lt\n\t"                                           \
    "movlt %[xh], %[ca]\n\t"                              \
    "cmp %[xh], %[cb]\n\t"                                \
    "it gt\n\t"                                           \
    "movgt %[xh], %[cb]\n\t"                              \
    "strb %[xh], [%[xend]], #1\n\t"

/* Row pairs [0, pairs) of one batch row; x0 the full words' input (int8 or widened: X), xt the
 * int8 input of the tail. Per pair: codebooks and biases from the two entries, the words, the
 * tail, both outputs; lr walks the entries, everything else lives in memory between pairs. */
#define CB_PAIRS(X)                                                                                   \
    do {                                                                                              \
        register uint32_t wa __asm("r8"), wb __asm("r9"), xl __asm("r10"), t __asm("r11");        \
        const uint32_t *pa, *pb;                                                                      \
        const int8_t *ca, *cbk, *x, *xend;                                                            \
        int32_t aa, ab;                                                                               \
        uint32_t xh;                                                                                  \
        __asm volatile("ldr lr, %[qm]\n\t"                                                            \
                       "ldr %[pa], %[wm]\n\t"                                                         \
                       "ldr %[pb], %[rowm]\n\t"                                                       \
                       "add %[pb], %[pa], %[pb]\n"                                                    \
                       "0:\n\t"                                                                       \
                       "ldr %[cb], %[cbm]\n\t"                                                        \
                       "ldr %[t], [lr, #4]\n\t"                                                       \
                       "add %[ca], %[cb], %[t], lsr #8\n\t"                                           \
                       "ldr %[t], [lr, #20]\n\t"                                                      \
                       "add %[cb], %[cb], %[t], lsr #8\n\t"                                           \
                       "ldr %[aa], [lr, #12]\n\t"                                                     \
                       "ldr %[ab], [lr, #28]\n\t"                                                     \
                       "ldr %[x], %[x0m]\n\t"                                                         \
                       "ldr %[xend], %[x0endm]\n\t"                                                   \
                       "cmp %[x], %[xend]\n\t"                                                        \
                       "beq 2f\n"                                                                     \
                       "1:\n\t" CB_WORD(X)                                                            \
                       "cmp %[x], %[xend]\n\t"                                                        \
                       "bne 1b\n"                                                                     \
                       "2:\n\t"                                                                       \
                       "ldr %[x], %[xtm]\n\t"                                                         \
                       "ldr %[xend], %[xtendm]\n\t"                                                   \
                       "cmp %[x], %[xend]\n\t"                                                        \
                       "beq 4f\n\t"                                                                   \
                       "ldr %[wa], [%[pa]]\n\t"                                                       \
                       "ldr %[wb], [%[pb]]\n"                                                         \
                       "3:\n\t"                                                                       \
                       "ldrsb %[xh], [%[x]], #1\n\t"                                                  \
                       "and %[t], %[wa], #15\n\t"                                                     \
                       "ldrsb %[t], [%[ca], %[t]]\n\t"                                                \
                       "smlabb %[aa], %[t], %[xh], %[aa]\n\t"                                         \
                       "and %[t], %[wb], #15\n\t"                                                     \
                       "ldrsb %[t], [%[cb], %[t]]\n\t"                                                \
                       "smlabb %[ab], %[t], %[xh], %[ab]\n\t"                                         \
                       "lsr %[wa], %[wa], #4\n\t"                                                     \
                       "lsr %[wb], %[wb], #4\n\t"                                                     \
                       "cmp %[x], %[xend]\n\t"                                                        \
                       "bne 3b\n"                                                                     \
                       "4:\n\t"                                                                       \
                       "ldrd %[pa], %[x], %[stepm]\n\t"                                               \
                       "add %[pa], %[pb], %[pa]\n\t"                                                  \
                       "add %[pb], %[pa], %[x]\n\t"                                                   \
                       "ldrd %[ca], %[cb], %[clampm]\n\t"                                             \
                       "ldr %[xend], %[outm]\n\t" CB_OUT("aa") CB_OUT("ab")                           \
                       "str %[xend], %[outm]\n\t"                                                     \
                       "ldr %[x], %[outendm]\n\t"                                                     \
                       "cmp %[xend], %[x]\n\t"                                                        \
                       "bne 0b\n\t"                                                                   \
                       : [pa] "=&r"(pa), [pb] "=&r"(pb), [ca] "=&r"(ca), [cb] "=&r"(cbk), [x] "=&r"(x),  \
                         [xend] "=&r"(xend), [aa] "=&r"(aa), [ab] "=&r"(ab), [wa] "=&r"(wa),            \
                         [wb] "=&r"(wb), [xl] "=&r"(xl), [xh] "=&r"(xh), [t] "=&r"(t), [outm] "+m"(out)   \
                       : [qm] "m"(q), [wm] "m"(w), [rowm] "m"(row_bytes), [cbm] "m"(books),       \
                         [x0m] "m"(x0), [x0endm] "m"(x0_end), [xtm] "m"(xt), [xtendm] "m"(xt_end),      \
                         [stepm] "m"(step), [clampm] "m"(clamp), [outendm] "m"(out_end)                \
                       : "lr", "cc", "memory");                                                       \
    } while (0)

static void __attribute__((noinline)) cb_pairs(const tfc_fc_params *p, const int8_t *x0, const int8_t *xt,
                                               int8_t *out, int32_t xw) {
    const int32_t n_in = p->in_depth, n8 = n_in >> 3, words = (n_in + 7) >> 3;
    const int32_t row_bytes = 4 * words;
    /* after a pair's full words: to the next pair's row A from row B's tail, then row B */
    const int32_t step[2] = {4 * (words - n8), row_bytes};
    const int32_t clamp[2] = {p->act_min, p->act_max};
    const int32_t *q = p->rq + TFC_RQ_HEADER;
    const int8_t *w = p->weights;
    const int8_t *books = p->codebook;
    const int8_t *const x0_end = x0 + (xw ? 16 : 8) * n8;
    const int8_t *const xt_end = xt + (n_in & 7);
    int8_t *const out_end = out + (p->out_depth & ~1);
#if defined(__OPTIMIZE_SIZE__)
    (void)xw; /* -Os: one copy, the int8 input */
    CB_PAIRS(CB_X8);
#else
    if (xw) {
        CB_PAIRS(CB_XW);
    } else {
        CB_PAIRS(CB_X8);
    }
#endif
}
#endif

void tfc_fully_connected_s8_cb_w4(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    int32_t b;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *const xb = in + b * p->in_depth;
        int8_t *const ob = out + b * p->out_depth;
        int32_t o = 0;
#if TFC_DSP_ASM
        if (p->out_depth >= 2) {
            const int32_t n8 = p->in_depth >> 3;
#if defined(__OPTIMIZE_SIZE__)
            const int xw = 0;
#else
            const int xw = p->scratch != 0 && n8 > 0;
#endif
            if (xw) {
                tfc_fc_widen_input(xb, p->in_depth >> 2, (uint32_t *)p->scratch);
            }
            cb_pairs(p, xw ? (const int8_t *)p->scratch : xb, xb + 8 * n8, ob, xw);
        }
        o = p->out_depth & ~1;
#endif
        for (; o < p->out_depth; ++o) {
            ob[o] = cb_row_c(p, xb, o, &os);
        }
    }
}
