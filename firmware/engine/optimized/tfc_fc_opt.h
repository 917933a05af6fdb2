/* tfc_fc_opt.h — private to the optimised FULLY_CONNECTED kernels (fully_connected_s8_opt.c,
 * fully_connected_s8_wide_opt.c): the layer loop in one assembly statement, its requantisation and
 * the input widening. Blocks of four output rows; per block the host lays out the weights group
 * by group of four inputs, the bias as the kernel's INIT / FINISH read it. */
#ifndef TFC_FC_OPT_H
#define TFC_FC_OPT_H

#include "tfc_dsp.h"

/* The input words of a layer's groups, widened once per inference: per group (x0, x2), (x1, x3)
 * (what SXTB16 and SXTB16 ROR 8 make of the word). */
static inline void tfc_fc_widen_input(const int8_t *x, int32_t groups, uint32_t *dst) {
    const int8_t *const end = x + 4 * groups;
    for (; x < end; x += 4, dst += 2) {
        const uint32_t v = tfc_ld32(x);
        dst[0] = (uint32_t)tfc_sxtb16(v);
        dst[1] = (uint32_t)tfc_sxtb16_ror8(v);
    }
}

/* Where the plan gave no scratch, the output row's tail (out_depth >= 2 * in_depth + 4 * TFC_FC_TAIL_MIN)
 * holds the widened input while the blocks below it are computed (the kernel owns its output and
 * FULLY_CONNECTED declares no input overlap); returns those blocks (0: none) and the words in *wx. */
#define TFC_FC_TAIL_MIN 4
static inline int32_t tfc_fc_input_words(const tfc_fc_params *p, int8_t *out, uint32_t **wx) {
    const int32_t free_bytes = p->out_depth - 2 * p->in_depth;
    int8_t *const tail = out + free_bytes;
    if (p->scratch) {
        *wx = (uint32_t *)p->scratch;
        return p->out_depth >> 2;
    }
    if (free_bytes < 4 * TFC_FC_TAIL_MIN || ((uintptr_t)tail & 3u)) {
        return 0;
    }
    *wx = (uint32_t *)(void *)tail;
    return free_bytes >> 2;
}

#if TFC_DSP_ASM
/* One output of a block after the loop: the doubled accumulator acc2 (a register operand name)
 * requantised with m = w0, rs = w1, rnd = w2 (tfc_rq_x2s) and saturated into dst. */
#define TFC_FC_RQ(acc2, dst)                           \
    "smmlar %[xv], %[" acc2 "], %[w0], %[w2]\n\t"     \
    "add %[xv], %[xv], %[" acc2 "], asr #31\n\t"      \
    "asr %[xv], %[xv], %[w1]\n\t"                     \
    "ssat %[" dst "], #8, %[xv]\n\t"

/* The four outputs of a block into s0's bytes: per-tensor (one entry, loaded once) or per channel
 * (LDM of each row's four-word entry, the pointer kept in memory). */
#define TFC_FC_RQ_SHARED                                                                    \
    "ldr %[x], %[qm]\n\t"                                                                   \
    "ldmia %[x], {%[w0], %[w1], %[w2]}\n\t" TFC_FC_RQ("s0", "s0") TFC_FC_RQ("l0", "xv")     \
    "bfi %[s0], %[xv], #8, #8\n\t" TFC_FC_RQ("s1", "xv") "bfi %[s0], %[xv], #16, #8\n\t"    \
    TFC_FC_RQ("l1", "xv") "bfi %[s0], %[xv], #24, #8\n\t"
#define TFC_FC_RQ_CHANNEL                                                                  \
    "ldr %[x], %[qm]\n\t"                                                                  \
    "ldmia %[x]!, {%[w0], %[w1], %[w2], %[w3]}\n\t" TFC_FC_RQ("s0", "s0")                  \
    "ldmia %[x]!, {%[w0], %[w1], %[w2], %[w3]}\n\t" TFC_FC_RQ("l0", "xv")                  \
    "bfi %[s0], %[xv], #8, #8\n\t"                                                         \
    "ldmia %[x]!, {%[w0], %[w1], %[w2], %[w3]}\n\t" TFC_FC_RQ("s1", "xv")                  \
    "bfi %[s0], %[xv], #16, #8\n\t"                                                        \
    "ldmia %[x]!, {%[w0], %[w1], %[w2], %[w3]}\n\t" TFC_FC_RQ("l1", "xv")                  \
    "bfi %[s0], %[xv], #24, #8\n\t"                                                        \
    "str %[x], %[qm]\n\t"

/* -Os: either layout in one copy, the entry stride (0: per-tensor, 16: per channel) in aux */
#define TFC_FC_RQ_ANY_ROW "ldmia %[x], {%[w0], %[w1], %[w2]}\n\t" "add %[x], %[x], %[end]\n\t"
#define TFC_FC_RQ_ANY                                                                      \
    "ldr %[x], %[qm]\n\t"                                                                  \
    "ldr %[end], %[auxm]\n\t" TFC_FC_RQ_ANY_ROW TFC_FC_RQ("s0", "s0")                      \
    TFC_FC_RQ_ANY_ROW TFC_FC_RQ("l0", "xv") "bfi %[s0], %[xv], #8, #8\n\t"                 \
    TFC_FC_RQ_ANY_ROW TFC_FC_RQ("s1", "xv") "bfi %[s0], %[xv], #16, #8\n\t"                \
    TFC_FC_RQ_ANY_ROW TFC_FC_RQ("l1", "xv") "bfi %[s0], %[xv], #24, #8\n\t"                \
    "str %[x], %[qm]\n\t"

#if defined(__OPTIMIZE_SIZE__)
#define TFC_FC_GROUPS(G) /* -Os: one group per iteration */ \
    "ldr %[end], %[xendm]\n\t"                             \
    "1:\n\t" G "cmp %[x], %[end]\n\t"                       \
    "bne 1b\n\t"
#else
/* -O2: eight groups per iteration; the first pass enters the loop (TBH on rem = groups % 8) where
 * just the remaining groups are left in it. */
#define TFC_FC_GROUPS(G)                                                                          \
    "ldr %[end], %[xendm]\n\t"                                                                    \
    "ldr %[xv], %[remm]\n\t"                                                                      \
    "tbh [pc, %[xv], lsl #1]\n"                                                                   \
    "5:\n\t"                                                                                      \
    ".hword (10f-5b)/2, (17f-5b)/2, (16f-5b)/2, (15f-5b)/2, (14f-5b)/2, (13f-5b)/2, (12f-5b)/2, (11f-5b)/2\n" \
    "10:\n\t" G "11:\n\t" G "12:\n\t" G "13:\n\t" G "14:\n\t" G "15:\n\t" G "16:\n\t" G "17:\n\t" G \
    "cmp %[x], %[end]\n\t"                                                                        \
    "bne 10b\n\t"
#endif

/* The whole layer (one batch row) in one statement: lr walks the bias, every other pointer lives
 * in memory, so the loop has all thirteen other registers. Per block of four rows: INIT (the
 * accumulators s0, l0, s1, l1 from the bias), the groups G, FINISH (the doubled accumulators of
 * rows 0..3 in s0, l0, s1, l1), requantisation RQ, the activation clamp (SSUB8 / SEL per byte)
 * and one word stored. Expects in scope: w (weights, advanced), bias, x0, x_end (the input words
 * read), rem (groups % 8), q (rq entries), out, out_end, clamp[2] ({lo4, hi4}), aux (a word
 * INIT may read and write, e.g. a table pointer). end is r12 (after w0..w3 in LDM lists). */
#define TFC_FC_LAYER(INIT, G, FINISH, RQ) TFC_FC_LAYER_LOOP(INIT, TFC_FC_GROUPS(G), FINISH, RQ)

/* TFC_FC_LAYER specialised for the layer's input form (xw: widened int16 input, groups G_XW, else
 * G) and, at -O2, its requantisation (shared: one rq entry); -Os keeps one copy per input form,
 * the rq stride in aux. Expects shared and xw in scope besides what TFC_FC_LAYER expects. */
#if defined(__OPTIMIZE_SIZE__)
#define TFC_FC_LAYERS(INIT, G, G_XW, FINISH)                                                         \
    do {                                                                                            \
        aux = shared ? 0 : 16;                                                                      \
        if (xw) {                                                                                   \
            TFC_FC_LAYER(INIT, G_XW, FINISH, TFC_FC_RQ_ANY);                                        \
        } else {                                                                                    \
            TFC_FC_LAYER(INIT, G, FINISH, TFC_FC_RQ_ANY);                                           \
        }                                                                                           \
    } while (0)
#else
#define TFC_FC_LAYERS(INIT, G, G_XW, FINISH)                                                         \
    do {                                                                                            \
        if (xw) {                                                                                   \
            if (shared) {                                                                           \
                TFC_FC_LAYER(INIT, G_XW, FINISH, TFC_FC_RQ_SHARED);                                 \
            } else {                                                                                \
                TFC_FC_LAYER(INIT, G_XW, FINISH, TFC_FC_RQ_CHANNEL);                                \
            }                                                                                       \
        } else {                                                                                    \
            if (shared) {                                                                           \
                TFC_FC_LAYER(INIT, G, FINISH, TFC_FC_RQ_SHARED);                                    \
            } else {                                                                                \
                TFC_FC_LAYER(INIT, G, FINISH, TFC_FC_RQ_CHANNEL);                                   \
            }                                                                                       \
        }                                                                                           \
    } while (0)
#endif

/* ... with the loop over the groups as given (LOOP: x .. x_end, at least one group) */
#define TFC_FC_LAYER_LOOP(INIT, LOOP, FINISH, RQ)                                                    \
    do {                                                                                            \
        register uint32_t w0 __asm("r8"), w1 __asm("r9"), w2 __asm("r10"), w3 __asm("r11");         \
        register const int8_t *end __asm("r12");                                                    \
        int32_t s0, l0, s1, l1;                                                                     \
        uint32_t xv, xl;                                                                            \
        const int8_t *x;                                                                            \
        __asm volatile("ldr lr, %[biasm]\n"                                                         \
                       "0:\n\t" INIT "ldr %[x], %[x0m]\n\t" LOOP FINISH RQ                          \
                       "ldrd %[w0], %[w1], %[clampm]\n\t"                                           \
                       "ssub8 %[xv], %[s0], %[w0]\n\t"                                              \
                       "sel %[s0], %[s0], %[w0]\n\t"                                                \
                       "ssub8 %[xv], %[s0], %[w1]\n\t"                                              \
                       "sel %[s0], %[w1], %[s0]\n\t"                                                \
                       "ldr %[x], %[outm]\n\t"                                                      \
                       "str %[s0], [%[x]], #4\n\t"                                                  \
                       "str %[x], %[outm]\n\t"                                                      \
                       "ldr %[end], %[outendm]\n\t"                                                 \
                       "cmp %[x], %[end]\n\t"                                                       \
                       "bne 0b\n\t"                                                                 \
                       : [s0] "=&r"(s0), [l0] "=&r"(l0), [s1] "=&r"(s1), [l1] "=&r"(l1), [x] "=&r"(x), \
                         [end] "=&r"(end), [wp] "+r"(w), [xv] "=&r"(xv), [xl] "=&r"(xl), [w0] "=&r"(w0), \
                         [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [outm] "+m"(out), [qm] "+m"(q),  \
                         [auxm] "+m"(aux)                                                           \
                       : [biasm] "m"(bias), [x0m] "m"(x0), [xendm] "m"(x_end),                      \
                         [outendm] "m"(out_end), [clampm] "m"(clamp), [remm] "m"(rem)              \
                       : "lr", "cc", "memory");                                                     \
    } while (0)
#endif /* TFC_DSP_ASM */

#endif /* TFC_FC_OPT_H */
