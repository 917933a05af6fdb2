/* tfc_add_opt.h — the optimised int8 ADD arithmetic, shared by ADD (binary_s8_opt.c) and the
 * fused CONV_2D+ADD (conv2d_s8_opt.c, conv2d_s8_direct_opt.c).
 *
 * Each input's rescaling only depends on its int8 value, so it is tabulated (2 x 256 entries,
 * the reference arithmetic): by ADD once per call (tfc_add_tables in binary_s8_opt.c), for the
 * fused op on the host (engine/optimized/add.py add_tables, in flash). Per element there is one sum and one
 * output requantisation, done with SMMULR when the sum provably fits (TFC_ADD_FAST_BOUND).
 */
#ifndef TFC_ADD_OPT_H
#define TFC_ADD_OPT_H

#include <stddef.h>

#include "tfc_dsp.h"
#include "../tfc_kernels.h"

#if TFC_DSP_ASM
/* Arguments of tfc_add4_asm (read with one LDM, in this order). */
typedef struct {
    const int8_t *in1, *in2;
    int8_t *out;
    int32_t quads;       /* elements / 4, >= 1 */
    const int32_t *l1, *l2;
    int32_t m, rs;       /* m >= 0, 1 <= rs <= 22 */
    int32_t rnd;         /* 2^(rs-1) + (zp << rs): the tfc_rq_x2s form, the zero point folded in */
    uint32_t lo4, hi4;   /* tfc_add4c_asm only: act_min / act_max in every byte */
} tfc_add4_args;

/* tfc_add4c_asm reads lo4 / hi4 at byte 36 */
typedef char tfc_add4_args_layout_check[offsetof(tfc_add4_args, lo4) == 36 ? 1 : -1];

/* One element of tfc_add4_asm: the input bytes ext1 / ext2 pick from r10 / r11 through the tables (r5, r6),
 * summed, doubled, requantised (tfc_rq_x2s: m r7, rs r8, rnd r9) and saturated into `dst`. */
#define TFC_ADD4_ELEM(ext1, ext2, dst) \
    ext1 \
    ext2 \
    "ldr r12, [r5, r12, lsl #2]\n" \
    "ldr lr, [r6, lr, lsl #2]\n" \
    "add r12, r12, lr\n" \
    "lsl r12, r12, #1\n" \
    "smmlar lr, r12, r7, r9\n" \
    "add lr, lr, r12, asr #31\n" \
    "asr lr, lr, r8\n" \
    "ssat " dst ", #8, lr\n"

/* The loop of tfc_add4_asm / tfc_add4c_asm: 2 word loads, 4 x 10 instructions, three BFI, `clamp`
 * (on the packed word r0; r10 - r12 are free there), one word store. */
#define TFC_ADD4_LOOP(clamp) \
    "1:\n" \
    "ldr r10, [r1], #4\n" \
    "ldr r11, [r2], #4\n" \
    TFC_ADD4_ELEM("uxtb r12, r10\n", "uxtb lr, r11\n", "r0") \
    TFC_ADD4_ELEM("ubfx r12, r10, #8, #8\n", "ubfx lr, r11, #8, #8\n", "lr") \
    "bfi r0, lr, #8, #8\n" \
    TFC_ADD4_ELEM("ubfx r12, r10, #16, #8\n", "ubfx lr, r11, #16, #8\n", "lr") \
    "bfi r0, lr, #16, #8\n" \
    TFC_ADD4_ELEM("lsr r12, r10, #24\n", "lsr lr, r11, #24\n", "lr") \
    "bfi r0, lr, #24, #8\n" \
    clamp \
    "str r0, [r3], #4\n" \
    "subs r4, r4, #1\n" \
    "bne 1b\n"

/* Four elements per iteration, int8 saturation only (no activation clamp): 12 instructions per
 * element (the C: ~19). */
static void __attribute__((naked, noinline, unused)) tfc_add4_asm(const tfc_add4_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "ldm r0, {r1, r2, r3, r4, r5, r6, r7, r8, r9}\n"
        TFC_ADD4_LOOP("")
        "pop {r4-r11, pc}\n");
}

/* tfc_add4_asm and the activation clamp (a ReLU after the ADD): the bounds lo4 / hi4 kept on the
 * stack, per quad one LDRD and a signed per-byte max / min (SSUB8 sets GE, SEL picks; as tfc_clamp4),
 * 13.25 instructions per element. */
static void __attribute__((naked, noinline, unused)) tfc_add4c_asm(const tfc_add4_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "ldrd r10, r11, [r0, #36]\n"
        "strd r10, r11, [sp, #-8]!\n"
        "ldm r0, {r1, r2, r3, r4, r5, r6, r7, r8, r9}\n"
        TFC_ADD4_LOOP("ldrd r10, r11, [sp]\n"
                      "ssub8 r12, r0, r10\n"
                      "sel r0, r0, r10\n"
                      "ssub8 r12, r0, r11\n"
                      "sel r0, r11, r0\n")
        "add sp, sp, #8\n"
        "pop {r4-r11, pc}\n");
}
#endif

/* Dense fast path: four elements per iteration (word loads, packed clamp, one word store).
 * l1 / l2 are indexed by the input byte as unsigned. Safe in place (out == in1 or in2). */
static void __attribute__((noinline, unused)) tfc_add_dense_fast(const int8_t *in1, const int8_t *in2, int8_t *out,
                                                                 int32_t count, const int32_t *l1, const int32_t *l2,
                                                                 int32_t m, int32_t rs, int32_t rnd, tfc_out_stage os) {
    const int32_t zp = os.zp;
    int32_t n = 0;
#if TFC_DSP_ASM
    /* the clamped routine where the model links it (it is exact without a clamp too), else the
     * full-range one where the range allows; else the C loops (TFC_LINK_ADD4 / ADD4C) */
    const int c4 = TFC_LINK_ADD4C && (os.clamp || !TFC_LINK_ADD4);
    if (count >= 4 && m >= 0 && rs <= 22 && (c4 || (TFC_LINK_ADD4 && !os.clamp))) { /* tfc_rq_x2s equals tfc_rq_x2 here (tfc_dsp.h) */
        tfc_add4_args a;
        a.in1 = in1;
        a.in2 = in2;
        a.out = out;
        a.quads = count >> 2;
        a.l1 = l1;
        a.l2 = l2;
        a.m = m;
        a.rs = rs;
        a.rnd = rnd + (int32_t)((uint32_t)zp << rs);
        if (c4) {
            a.lo4 = os.lo4;
            a.hi4 = os.hi4;
            tfc_add4c_asm(&a);
        } else {
            tfc_add4_asm(&a);
        }
        n = count & ~3;
    }
#endif
    for (; n + 4 <= count; n += 4) {
        const uint32_t a = tfc_ld32(in1 + n), b = tfc_ld32(in2 + n);
        const int32_t r0 = tfc_rq_fast8(l1[a & 0xFFu] + l2[b & 0xFFu], m, rs, rnd, zp);
        const int32_t r1 = tfc_rq_fast8(l1[(a >> 8) & 0xFFu] + l2[(b >> 8) & 0xFFu], m, rs, rnd, zp);
        const int32_t r2 = tfc_rq_fast8(l1[(a >> 16) & 0xFFu] + l2[(b >> 16) & 0xFFu], m, rs, rnd, zp);
        const int32_t r3 = tfc_rq_fast8(l1[a >> 24] + l2[b >> 24], m, rs, rnd, zp);
        const uint32_t v = tfc_clamp4(tfc_pack4(r0, r1, r2, r3), os.lo4, os.hi4);
        __builtin_memcpy(out + n, &v, 4);
    }
    for (; n < count; ++n) {
        const int32_t s = l1[(uint8_t)in1[n]] + l2[(uint8_t)in2[n]];
        out[n] = tfc_out8(tfc_rq_fast(s, m, rs, rnd), &os);
    }
}

/* out[0..count) = ADD(in1, in2), both dense, through the tables (fast: tfc_add_tables' result). */
static inline void tfc_add_dense(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out,
                                 int32_t count, const int32_t *lut1, const int32_t *lut2, int fast) {
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    int32_t n;
    if (fast) {
        tfc_add_dense_fast(in1, in2, out, count, lut1, lut2, p->out_mult, -p->out_shift, 1 << (-p->out_shift - 1), os);
        return;
    }
    for (n = 0; n < count; ++n) {
        const int32_t s = lut1[(uint8_t)in1[n]] + lut2[(uint8_t)in2[n]];
        out[n] = tfc_out8(tfc_mbqm(s, p->out_mult, p->out_shift), &os);
    }
}

#endif /* TFC_ADD_OPT_H */
