/* Pointwise (1x1, stride 1, no padding) CONV_2D, int8, optimised for Cortex-M4/M7 (DSP): tfc_conv2d_s8_pw,
 * chosen by the host (tfcompress/engine/optimized/pointwise.py) for pixel-triple pair-code layers
 * with channels in whole words, an even output channel count and no activation clamp narrower
 * than int8. Same arithmetic as conv2d_s8_opt.c's pixel triples, leaner:
 *
 * - one weight stream per channel pair (c, c + 1), walked by one pointer: {bias(c + 1)}, the
 *   pair-code words of every group of four inputs (as TFC_RQ_PAIR), then {2 bias(c), m(c), rs(c),
 *   rnd(c), m(c + 1), rs(c + 1), rnd(c + 1)} - the requantisation parameters come with LDM, no
 *   rq-table pointer is kept (the rq field holds only the header);
 * - per group the three pixels' window words come with one LDM each (x02 of pixels 0..2, then
 *   x13): 24 MACs in 17 instructions; the accumulators start at the bias inside the first group
 *   (its SMLADs accumulate from the bias register), the group loop is entered at a place computed
 *   once per call (no per-pair remainder dispatch);
 * - channel c = ((S - L) >> 7) + 2 bias(c) is already doubled for SMMLAR; all loop state lives in
 *   registers or in a stack frame read with LDM; outputs stored as halfwords (pixel 2, 1, then 0:
 *   a missing pixel's store is redirected to a real one that is written after it).
 *
 * tfc_conv2d_s8_pw16 (optimize = "speed": twice the weight flash) runs the same windows on int16
 * weights, doubled: per channel pair {2 bias(c), 2 bias(c + 1)}, per window word {2 w(c), 2 w(c + 1)}
 * (int16 pairs of the word's two inputs), then {m, rs, rnd} of c and of c + 1. The accumulators are
 * the doubled ones SMMLAR takes (no S - L, no doubling, no SXTB16): 24 MACs in 16 instructions.
 *
 * Windows (scratch: 3 x kp int16, as the pixel-triple im2col layout of conv2d_s8_opt.c), per
 * group g of four inputs: [x02(p0), x02(p1), x02(p2), x13(p0), x13(p1), x13(p2)] (x02: SXTB16 of
 * the input word, inputs 4g and 4g + 2; x13: SXTB16 ror 8).
 */
#include "tfc_conv_opt.h"

#if TFC_DSP_ASM
typedef struct {
    int8_t *o;          /* 0: outputs of pixel 0 at the current channel pair (advanced by 2) */
    int32_t off1, off2; /* 4, 8: pixels 1 and 2 at o + off (a missing pixel: the offset of a real one) */
    int8_t *o_end;      /* 12: o after the last pair */
    const int32_t *col; /* 16: windows */
    const int32_t *end; /* 20: where the group loop ends (col + 6 * (groups - PW_UNROLL)) */
    int32_t sel;        /* 24: group entry (< 0: none; < PW_UNROLL: the loop's group sel, else the last
                         * pass's group sel - PW_UNROLL); becomes its address */
    const int32_t *w;   /* 28: the weight stream */
    const int8_t *src;  /* 32: input of the first triple's pixel 0 (pixels contiguous), NULL: col is filled */
    int32_t ntrip;      /* 36: pixel triples (>= 1; 1 when src is NULL) */
    int32_t kp;         /* 40: input bytes per pixel */
    const int32_t *wend; /* 44: col + 6 * groups */
} pw_args;

/* one group of four inputs (A1..A5: what the first five SMLADs accumulate onto - r1..r5, or the
 * bias in r6 for the first group): r7/r8 the pair-code words, r10..r12 windows, r1..r3 S(p0..p2), r4..r6 L(p0..p2) */
#define PW_GROUP(A1, A2, A3, A4, A5) \
    "ldrd r7, r8, [r9], #8\n" \
    "ldm r0!, {r10, r11, r12}\n" \
    "smlad r1, r10, r7, " A1 "\n" \
    "smlad r2, r11, r7, " A2 "\n" \
    "smlad r3, r12, r7, " A3 "\n" \
    "sxtb16 r7, r7\n" \
    "smlad r4, r10, r7, " A4 "\n" \
    "smlad r5, r11, r7, " A5 "\n" \
    "smlad r6, r12, r7, r6\n" \
    "ldm r0!, {r10, r11, r12}\n" \
    "smlad r1, r10, r8, r1\n" \
    "smlad r2, r11, r8, r2\n" \
    "smlad r3, r12, r8, r3\n" \
    "sxtb16 r8, r8\n" \
    "smlad r4, r10, r8, r4\n" \
    "smlad r5, r11, r8, r5\n" \
    "smlad r6, r12, r8, r6\n"

#define PW_GROUP_NEXT PW_GROUP("r1", "r2", "r3", "r4", "r5")

/* The groups after the first: a loop of PW_UNROLL groups per iteration (68 bytes each: all 32-bit
 * encodings) while more than PW_UNROLL remain, then one straight pass of PW_UNROLL groups that
 * falls into the tail (no loop test), each entered at the group that leaves whole passes; -Os: one
 * group per iteration. */
#if defined(__OPTIMIZE_SIZE__)
#define PW_UNROLL 1
#define PW_UNROLL_S "1"
#define PW_LOOP_GROUPS PW_GROUP_NEXT
#else
#define PW_UNROLL 16
#define PW_UNROLL_S "16"
#define PW_GROUPS2 PW_GROUP_NEXT PW_GROUP_NEXT
#define PW_GROUPS8 PW_GROUPS2 PW_GROUPS2 PW_GROUPS2 PW_GROUPS2
#define PW_LOOP_GROUPS PW_GROUPS8 PW_GROUPS8
#endif

/* requantise r (doubled accumulator), parameters m r8, rs r10, rnd r11, temporary r12 */
#define PW_RQ(r) \
    "smmlar r12, " r ", r8, r11\n" \
    "add " r ", r12, " r ", asr #31\n" \
    "asr " r ", " r ", r10\n" \
    "ssat " r ", #8, " r "\n"

/* One group of four inputs on int16 weights (tfc_conv2d_s8_pw16): per window word r7/r8 the
 * doubled weights of channels c and c + 1, r10..r12 windows, r1..r3 the doubled accumulators of
 * channel c (pixels 0..2), r4..r6 of channel c + 1; 64 bytes (all 32-bit encodings). */
#define PW16_HALF \
    "ldm r0!, {r10, r11, r12}\n" \
    "ldrd r7, r8, [r9], #8\n" \
    "smlad r1, r10, r7, r1\n" \
    "smlad r2, r11, r7, r2\n" \
    "smlad r3, r12, r7, r3\n" \
    "smlad r4, r10, r8, r4\n" \
    "smlad r5, r11, r8, r5\n" \
    "smlad r6, r12, r8, r6\n"
#define PW16_GROUP PW16_HALF PW16_HALF
#if defined(__OPTIMIZE_SIZE__)
#define PW16_LOOP_GROUPS PW16_GROUP
#else
#define PW16_GROUPS2 PW16_GROUP PW16_GROUP
#define PW16_GROUPS8 PW16_GROUPS2 PW16_GROUPS2 PW16_GROUPS2 PW16_GROUPS2
#define PW16_LOOP_GROUPS PW16_GROUPS8 PW16_GROUPS8
#endif

/* The per-channel-pair code of the two streams: the first group (accumulating from the bias) and
 * the tail (requantisation of both channels from the stream's parameters). Pair codes: the bias
 * of channel c + 1 starts all six accumulators, the tail forms 2 dot(c) = (S - L) >> 7 + 2 bias(c)
 * and doubles L. int16 weights: the doubled biases of c (r1) and c + 1 (r4) start their channel's
 * accumulators, which are already doubled. */
#define PW_FIRST "ldr r6, [r9], #4\n" PW_GROUP("r6", "r6", "r6", "r6", "r6")
#define PW_TAIL_CODE \
    "ldm r9!, {r7, r8, r10, r11}\n" /* 2 bias(c), m, rs, rnd of channel c */ \
    "sub r1, r1, r4\n" \
    "add r1, r7, r1, asr #7\n" \
    "sub r2, r2, r5\n" \
    "add r2, r7, r2, asr #7\n" \
    "sub r3, r3, r6\n" \
    "add r3, r7, r3, asr #7\n" \
    PW_RQ("r1") PW_RQ("r2") PW_RQ("r3") \
    "ldm r9!, {r8, r10, r11}\n" /* channel c + 1 */ \
    "lsl r4, r4, #1\n" \
    "lsl r5, r5, #1\n" \
    "lsl r6, r6, #1\n" \
    PW_RQ("r4") PW_RQ("r5") PW_RQ("r6")
#define PW16_FIRST \
    "ldrd r1, r4, [r9], #8\n" \
    "ldm r0!, {r10, r11, r12}\n" \
    "ldrd r7, r8, [r9], #8\n" \
    "smlad r2, r11, r7, r1\n" \
    "smlad r3, r12, r7, r1\n" \
    "smlad r1, r10, r7, r1\n" \
    "smlad r5, r11, r8, r4\n" \
    "smlad r6, r12, r8, r4\n" \
    "smlad r4, r10, r8, r4\n" \
    PW16_HALF
#define PW16_TAIL_CODE \
    "ldm r9!, {r8, r10, r11}\n" /* m, rs, rnd of channel c */ \
    PW_RQ("r1") PW_RQ("r2") PW_RQ("r3") \
    "ldm r9!, {r8, r10, r11}\n" /* channel c + 1 */ \
    PW_RQ("r4") PW_RQ("r5") PW_RQ("r6")

/* The routine (one per weight form): GBYTES the code bytes of one loop group. ADR (the group-loop
 * entry) is resolved by the assembler against the word-aligned PC as placed in the function's own
 * section: the routine must start word-aligned, or the linker may put it at a halfword (-Os aligns
 * functions to halfwords only) and every computed entry lands 2 bytes off */
#define PW_ROUTINE(NAME, FIRST, LOOP, GBYTES, TAIL) \
static void __attribute__((naked, noinline, aligned(4))) NAME(const pw_args *a __attribute__((unused))) { \
    __asm volatile( \
        "push {r4-r11, lr}\n" \
        "sub sp, sp, #48\n" \
        "ldm r0, {r1-r12}\n" \
        "stm sp, {r1-r12}\n" \
        "adr.w r2, 30f\n" /* the group entry from sel: the tail, a group of the loop or of the last pass */ \
        "cmp r7, #0\n" \
        "blt 9f\n" \
        "adr.w r2, 20f\n" \
        "cmp r7, #" PW_UNROLL_S "\n" \
        "blt 8f\n" \
        "adr.w r2, 21f\n" \
        "sub r7, r7, #" PW_UNROLL_S "\n" \
        "8:\n" \
        "movs r3, #" #GBYTES "\n" \
        "mla r2, r7, r3, r2\n" \
        "9:\n" \
        "orr r2, r2, #1\n" \
        "str r2, [sp, #24]\n" \
        "40:\n" /* per pixel triple: widen its three input pixels into the windows */ \
        "ldr r8, [sp, #32]\n" \
        "cmp r8, #0\n" \
        "beq 41f\n" \
        "ldr r7, [sp, #40]\n" \
        "add r10, r8, r7\n" \
        "add r11, r10, r7\n" \
        "ldr r0, [sp, #16]\n" \
        "ldr lr, [sp, #44]\n" \
        "5:\n" \
        "ldr r7, [r8], #4\n" \
        "ldr r9, [r10], #4\n" \
        "ldr r12, [r11], #4\n" \
        "sxtb16 r1, r7\n" \
        "sxtb16 r2, r9\n" \
        "sxtb16 r3, r12\n" \
        "sxtb16 r4, r7, ror #8\n" \
        "sxtb16 r5, r9, ror #8\n" \
        "sxtb16 r6, r12, ror #8\n" \
        "stm r0!, {r1-r6}\n" \
        "cmp r0, lr\n" \
        "bne 5b\n" \
        "str r11, [sp, #32]\n" /* the next triple's first pixel */ \
        "41:\n" \
        "ldr r9, [sp, #28]\n" \
        "1:\n" /* per channel pair */ \
        "ldrd r0, lr, [sp, #16]\n" \
        FIRST \
        "ldr pc, [sp, #24]\n" \
        "20:\n" LOOP \
        "cmp r0, lr\n" \
        "bne 20b\n" \
        "21:\n" LOOP \
        "30:\n" \
        TAIL \
        "bfi r1, r4, #8, #8\n" \
        "bfi r2, r5, #8, #8\n" \
        "bfi r3, r6, #8, #8\n" \
        "ldm sp, {r0, r7, r8, r10}\n" /* o, off1, off2, o_end */ \
        "strh r3, [r0, r8]\n" \
        "strh r2, [r0, r7]\n" \
        "strh r1, [r0], #2\n" \
        "str r0, [sp]\n" \
        "cmp r0, r10\n" \
        "bne 1b\n" \
        "ldr r1, [sp, #36]\n" /* next triple: o and o_end 3 pixels on */ \
        "subs r1, r1, #1\n" \
        "beq 50f\n" \
        "str r1, [sp, #36]\n" \
        "add r0, r0, r8\n" \
        "add r10, r10, r8\n" \
        "add r10, r10, r7\n" \
        "str r0, [sp]\n" \
        "str r10, [sp, #12]\n" \
        "b 40b\n" \
        "50:\n" \
        "add sp, sp, #48\n" \
        "pop {r4-r11, pc}\n"); \
}

PW_ROUTINE(pw_triple_asm, PW_FIRST, PW_LOOP_GROUPS, 68, PW_TAIL_CODE)
PW_ROUTINE(pw16_triple_asm, PW16_FIRST, PW16_LOOP_GROUPS, 64, PW16_TAIL_CODE)

/* the weight form of a layer: its routine (only the ones a model calls are linked) */
typedef void (*pw_kind)(const pw_args *);
#define PW_PAIR pw_triple_asm
#define PW_WIDE pw16_triple_asm
#else
typedef int32_t pw_kind; /* 1: int16 weights */
#define PW_PAIR 0
#define PW_WIDE 1
#endif

/* three input pixels' kp bytes widened into the window layout */
static void widen3(int32_t *dst, int32_t kp, const int8_t *s0, const int8_t *s1, const int8_t *s2) {
    int32_t i;
    for (i = 0; i < kp; i += 4) {
        const uint32_t w0 = tfc_ld32(s0 + i), w1 = tfc_ld32(s1 + i), w2 = tfc_ld32(s2 + i);
        dst = tfc_widen3_group(dst, w0, w1, w2);
    }
}

#if !TFC_DSP_ASM
/* The C form of both streams (the assembly's arithmetic): accumulators of one channel pair
 * (s: channel c, l: c + 1) for the three pixels of col, doubled; wp moves past the weight words. */
static const int32_t *pw_dot(const int32_t *col, int32_t groups, const int32_t *wp, int32_t wide, int32_t s[3],
                             int32_t l[3]) {
    int32_t g, j;
    if (wide) { /* {2 bias(c), 2 bias(c + 1)}, per window word {w(c), w(c + 1)} (doubled int16 pairs) */
        for (j = 0; j < 3; ++j) {
            s[j] = wp[0];
            l[j] = wp[1];
        }
        for (wp += 2, g = 0; g < 2 * groups; ++g, wp += 2) {
            const int32_t *x = col + 3 * g;
            for (j = 0; j < 3; ++j) {
                s[j] = tfc_smlad(x[j], wp[0], s[j]);
                l[j] = tfc_smlad(x[j], wp[1], l[j]);
            }
        }
        return wp;
    }
    s[0] = s[1] = s[2] = l[0] = l[1] = l[2] = *wp++;
    for (g = 0; g < groups; ++g, wp += 2) {
        const int32_t *x = col + 6 * g;
        const int32_t h0 = wp[0], h1 = wp[1], l0 = tfc_sxtb16((uint32_t)h0), l1 = tfc_sxtb16((uint32_t)h1);
        for (j = 0; j < 3; ++j) {
            s[j] = tfc_smlad(x[j], h0, tfc_smlad(x[3 + j], h1, s[j]));
            l[j] = tfc_smlad(x[j], l0, tfc_smlad(x[3 + j], l1, l[j]));
        }
    }
    for (j = 0; j < 3; ++j) { /* S - L = 256 dot(c), exactly (wrapping) */
        s[j] = (int32_t)((uint32_t)s[j] - (uint32_t)l[j]) / 128 + wp[0];
        l[j] = (int32_t)((uint32_t)l[j] << 1);
    }
    return wp + 1;
}
#endif

/* All channel pairs of pixel triples: with src, ntrip full triples of contiguous input pixels
 * (src, src + kp, ...; outputs from o on), widened here; without, the one triple already in col,
 * n <= 3 real pixels at o, o + oc, o + 2 oc. */
static void __attribute__((noinline)) pw_triples(int32_t *col, int32_t kp, const int32_t *w, int32_t oc, int8_t *o,
                                                 int32_t n, const int8_t *src, int32_t ntrip, pw_kind kind) {
    const int32_t groups = kp >> 2;
#if TFC_DSP_ASM
    const int32_t rest = groups - 1, loop = rest - PW_UNROLL; /* groups after the first; of them in the loop */
    pw_args a;
    a.o = o;
    a.off1 = n > 1 ? oc : 0;
    a.off2 = n > 2 ? 2 * oc : a.off1;
    a.o_end = o + oc;
    a.col = col;
    a.end = col + 6 * (groups - PW_UNROLL);
    a.wend = col + 6 * groups;
    a.sel = rest == 0 ? -1 : loop <= 0 ? 2 * PW_UNROLL - rest : (PW_UNROLL - loop % PW_UNROLL) % PW_UNROLL;
    a.w = w;
    a.src = src;
    a.ntrip = src ? ntrip : 1;
    a.kp = kp;
    kind(&a);
#else
    int32_t t;
    for (t = 0; t < (src ? ntrip : 1); ++t) {
        const int32_t *wp = w;
        int32_t c, j;
        if (src) {
            widen3(col, kp, src, src + kp, src + 2 * kp);
            src += 3 * kp;
        }
        for (c = 0; c < oc; c += 2) {
            int32_t s[3], l[3];
            wp = pw_dot(col, groups, wp, kind, s, l);
            for (j = 0; j < n; ++j) {
                o[j * oc + c] = (int8_t)tfc_ssat8(tfc_rq_x2s(s[j], wp[0], wp[1], wp[2]));
                o[j * oc + c + 1] = (int8_t)tfc_ssat8(tfc_rq_x2s(l[j], wp[3], wp[4], wp[5]));
            }
            wp += 6;
        }
        o += 3 * oc;
    }
#endif
}

static void pw_layer(const tfc_conv_params *p, const int8_t *in, int8_t *out, pw_kind kind) {
    const int32_t kp = p->in_c; /* a multiple of 4; stride 1: output pixel n reads input pixel n */
    const int32_t oc = p->out_c;
    const int32_t npix = p->out_h * p->out_w, full = npix - npix % 3;
    int32_t colw_stack[p->scratch ? 1 : (3 * kp) >> 1];
    int32_t *const col = p->scratch ? (int32_t *)p->scratch : colw_stack;
    const int32_t *const w = (const int32_t *)p->weights;
    int32_t b;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *const in_b = in + b * npix * kp;
        int8_t *const out_b = out + b * npix * oc;
        if (full > 0) {
            pw_triples(col, kp, w, oc, out_b, 3, in_b, full / 3, kind);
        }
        if (full < npix) { /* the last one or two pixels; a missing one reads the last real one again */
            const int8_t *const s = in_b + full * kp;
            widen3(col, kp, s, s + (npix - full - 1) * kp, s + (npix - full - 1) * kp);
            pw_triples(col, kp, w, oc, out_b + full * oc, npix - full, (const int8_t *)0, 1, kind);
        }
    }
}

void tfc_conv2d_s8_pw(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    pw_layer(p, in, out, PW_PAIR);
}

void tfc_conv2d_s8_pw16(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    pw_layer(p, in, out, PW_WIDE);
}
