/* tfc_conv_opt.h - private to the optimised CONV_2D kernels: what the im2col kernels
 * (conv2d_s8_opt.c: tfc_conv2d_s8, tfc_conv2d_add_s8 and their 4-bit variants) and the
 * direct-window kernels (conv2d_s8_direct_opt.c: tfc_conv2d_s8_direct, tfc_conv2d_add_s8_direct)
 * share: the includes of the fused ADD, and the assembly channel-pair routines' argument layout
 * and requantise-and-store tail. Requantisation helpers are in tfc_dsp.h, the tabulated ADD in
 * tfc_add_opt.h.
 */
#ifndef TFC_CONV_OPT_H
#define TFC_CONV_OPT_H

#include "tfc_add_opt.h"
#include "../tfc_add.h"

/* Two 1x1-conv pixels' input rows (s0, and s0 + kp when two; kp a multiple of 4) widened into the
 * interleaved layout the channel-pair loops read: per 4 inputs {px0 even, px0 odd, px1 even,
 * px1 odd} halfword pairs. Without a second pixel its slots read as zeros. */
static inline __attribute__((always_inline)) void tfc_widen_pointwise_pair(const int8_t *s0, int32_t kp,
                                                                           int two, int32_t *dst)
{
    int32_t i;
    for (i = 0; i < kp; i += 4) {
        const uint32_t w0 = tfc_ld32(s0 + i);
        const uint32_t w1 = two ? tfc_ld32(s0 + kp + i) : 0u;
        dst[0] = tfc_sxtb16(w0);
        dst[1] = tfc_sxtb16_ror8(w0);
        dst[2] = tfc_sxtb16(w1);
        dst[3] = tfc_sxtb16_ror8(w1);
        dst += 4;
    }
}

#if TFC_DSP_ASM
/* Argument block of the im2col channel-pair routines (conv2d_s8_opt.c: pairs_fast_asm,
 * pairs_pc_asm: per channel pair the 2x2 SMLAD loop, requantisation, packed clamp and two
 * halfword stores). CONV_RQ_STORE_NEXT / CONV_RQ_STORE_REST read it by offset from q on, so the
 * direct routine's conv_direct_args repeats that part of the layout (checked where it is defined). */
typedef struct {
    const int32_t *col; /* 0: interleaved windows */
    const int32_t *end; /* 4: col + kp words */
    const int8_t *w;    /* 8 */
    const int32_t *q;   /* 12: updated */
    int8_t *o0;         /* 16: updated */
    int32_t o1_off;     /* 20: 0 = one pixel */
    int32_t pairs;      /* 24: >= 1, updated */
    uint32_t lo4, hi4;  /* 28, 32 */
} conv_pairs_args;

/* Tail of the per-channel-pair loop of the assembly routines (args pointer at [sp], r1..r4 =
 * {px0.c, px1.c, px0.c+1, px1.c+1}, the args layout of conv_pairs_args from q on; r8 is a
 * temporary): requantise (tfc_rq_x2s: SMMLAR adds the rounding constant, which carries the zero
 * point), packed clamp, two halfword stores, advance q and o0,
 * count the pairs down and branch back to 1. */
#define CONV_RQ_STORE_NEXT \
    "ldr r0, [sp]\n" \
    "ldr r12, [r0, #12]\n" \
    CONV_RQ_STORE_REST

/* CONV_RQ_STORE_NEXT with r0 = args and r12 = q already loaded; on the branch back both still
 * hold them (r12 advanced to the next pair's q), as does r11. */
#define CONV_RQ_STORE_REST \
    "ldrd r5, r6, [r12]\n" \
    "ldr r7, [r12, #8]\n" \
    "lsl r1, r1, #1\n" \
    "smmlar r8, r1, r5, r7\n" \
    "add r1, r8, r1, asr #31\n" \
    "asr r1, r1, r6\n" \
    "ssat r1, #8, r1\n" \
    "lsl r2, r2, #1\n" \
    "smmlar r8, r2, r5, r7\n" \
    "add r2, r8, r2, asr #31\n" \
    "asr r2, r2, r6\n" \
    "ssat r2, #8, r2\n" \
    "ldrd r5, r6, [r12, #16]\n" \
    "ldr r7, [r12, #24]\n" \
    "lsl r3, r3, #1\n" \
    "smmlar r8, r3, r5, r7\n" \
    "add r3, r8, r3, asr #31\n" \
    "asr r3, r3, r6\n" \
    "ssat r3, #8, r3\n" \
    "lsl r4, r4, #1\n" \
    "smmlar r8, r4, r5, r7\n" \
    "add r4, r8, r4, asr #31\n" \
    "asr r4, r4, r6\n" \
    "ssat r4, #8, r4\n" \
    "add r12, r12, #32\n" \
    "str r12, [r0, #12]\n" \
    "pkhbt r1, r1, r2, lsl #16\n" \
    "uxtb16 r1, r1\n" \
    "pkhbt r3, r3, r4, lsl #16\n" \
    "uxtb16 r3, r3\n" \
    "orr r1, r1, r3, lsl #8\n" \
    "ldrd r5, r6, [r0, #28]\n" \
    "ssub8 r7, r1, r5\n" \
    "sel r1, r1, r5\n" \
    "ssub8 r7, r1, r6\n" \
    "sel r1, r6, r1\n" \
    "ldr r2, [r0, #16]\n" \
    "ldr r3, [r0, #20]\n" \
    "strh r1, [r2]\n" \
    "cbz r3, 4f\n" \
    "lsr r1, r1, #16\n" \
    "strh r1, [r2, r3]\n" \
    "4:\n" \
    "add r2, r2, #2\n" \
    "str r2, [r0, #16]\n" \
    "ldr r3, [r0, #24]\n" \
    "subs r3, r3, #1\n" \
    "str r3, [r0, #24]\n" \
    "bne 1b\n"

#endif /* TFC_DSP_ASM */

#endif /* TFC_CONV_OPT_H */
