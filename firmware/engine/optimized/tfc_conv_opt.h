/* tfc_conv_opt.h - private to the optimised CONV_2D kernels: what the im2col kernels
 * (conv2d_s8_opt.c: tfc_conv2d_s8, tfc_conv2d_add_s8 and their 4-bit variants) and the
 * direct-window kernels (conv2d_s8_direct_opt.c: tfc_conv2d_s8_direct, tfc_conv2d_add_s8_direct)
 * share, and the decoding kernels (conv2d_s8_dec_opt.c: compressed weights) with them: the
 * includes of the fused ADD, the assembly channel-pair routines' argument layout and
 * requantise-and-store tail, the pixel-triple pair-code routine (CONV_TRIPLES_BODY) and the
 * triple window widening (widen3_asm, triple_border). Requantisation helpers are in tfc_dsp.h, the tabulated ADD
 * in tfc_add_opt.h.
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


/* The pixel-triple pair-code routine (conv2d_s8_opt.c triples_pc_asm, and the decoding kernels'
 * blocks in conv2d_s8_dec_opt.c): three windows in the triple layout against channel pairs of
 * pair-code weights, fast requantisation. */
/* r1..r3 = S(p0..p2), r4..r6 = L(p0..p2), r7/r8 the pair-code words, r12 their SXTB16, r0/r11/lr
 * the three pixels' window words (one LDM each for x02 and x13): 24 MACs in 17 instructions */
#define CONV_GROUP_PC3 \
    "ldrd r7, r8, [r9], #8\n" \
    "ldm r10!, {r0, r11, lr}\n" \
    "smlad r1, r0, r7, r1\n" \
    "smlad r2, r11, r7, r2\n" \
    "smlad r3, lr, r7, r3\n" \
    "sxtb16 r12, r7\n" \
    "smlad r4, r0, r12, r4\n" \
    "smlad r5, r11, r12, r5\n" \
    "smlad r6, lr, r12, r6\n" \
    "ldm r10!, {r0, r11, lr}\n" \
    "smlad r1, r0, r8, r1\n" \
    "smlad r2, r11, r8, r2\n" \
    "smlad r3, lr, r8, r3\n" \
    "sxtb16 r12, r8\n" \
    "smlad r4, r0, r12, r4\n" \
    "smlad r5, r11, r12, r5\n" \
    "smlad r6, lr, r12, r6\n"

/* requantise r, an accumulator already doubled (parameters m r7, rs r8, rnd r10) */
#define CONV_RQ3D(r) \
    "smmlar lr, " r ", r7, r10\n" \
    "add " r ", lr, " r ", asr #31\n" \
    "asr " r ", " r ", r8\n" \
    "ssat " r ", #8, " r "\n"

/* Arguments of triples_pc_asm, copied into its stack frame in this order (one LDM / STM) */
typedef struct {
    const int32_t *end;   /* [sp, #0]: window end */
    const int32_t *col;   /* [sp, #4]: windows (triple layout) */
    const int32_t *q;     /* [sp, #8]: the rq entry of the current channel pair */
    int8_t *o;            /* [sp, #12]: output of pixel 0, current pair */
    int32_t ostride;      /* [sp, #16]: out_c - 2 (the next pixel's outputs, from o + 2) */
    const int32_t *q_end; /* [sp, #20]: past the last pair's rq entry */
    uint32_t lo4, hi4;    /* [sp, #24], [sp, #28]: activation clamp (clamp variant only) */
    const int8_t *w;      /* pair-code weights (r9 throughout) */
    int32_t groups;       /* groups of four window positions, >= 1 */
} triple_args;

/* The first group of a pair: SMUAD starts the six accumulators (no bias yet) */
#define CONV_GROUP_PC3_FIRST \
    "ldrd r7, r8, [r9], #8\n" \
    "ldm r10!, {r0, r11, lr}\n" \
    "smuad r1, r0, r7\n" \
    "smuad r2, r11, r7\n" \
    "smuad r3, lr, r7\n" \
    "sxtb16 r12, r7\n" \
    "smuad r4, r0, r12\n" \
    "smuad r5, r11, r12\n" \
    "smuad r6, lr, r12\n" \
    "ldm r10!, {r0, r11, lr}\n" \
    "smlad r1, r0, r8, r1\n" \
    "smlad r2, r11, r8, r2\n" \
    "smlad r3, lr, r8, r3\n" \
    "sxtb16 r12, r8\n" \
    "smlad r4, r0, r12, r4\n" \
    "smlad r5, r11, r12, r5\n" \
    "smlad r6, lr, r12, r6\n"

/* N groups of CONV_GROUP_PC3 (N a power of two, as a string) */
#define CONV_PC3_X4 CONV_GROUP_PC3 CONV_GROUP_PC3 CONV_GROUP_PC3 CONV_GROUP_PC3
#define CONV_PC3_X8 CONV_PC3_X4 CONV_PC3_X4
#define CONV_PC3_X16 CONV_PC3_X8 CONV_PC3_X8

/* Per channel pair: the first group by SMUAD, the other groups - 1 by the loop of N unrolled
 * groups (GROUPS: CONV_PC3_XN) entered at the address computed once per call ([sp, #32]; every
 * group is 17 four-byte instructions, 68 bytes), then: channel c doubled = ((S - L) >> 7) + 2 bias(c) (S - L = 256 dot(c) exactly),
 * channel c + 1 doubled = 2 L + 2 bias(c + 1), requantise six (the rq entry by two LDM), per pixel
 * the two bytes by BFI, STORE (three halfwords, with or without the activation clamp), the next
 * pair until q reaches q_end. ADR: the function must be 4-byte aligned. */
#define CONV_TRIPLES_BODY(STORE, GROUPS, N) \
    "push {r4-r11, lr}\n" \
    "sub sp, sp, #36\n" \
    "ldm r0, {r1, r2, r3, r4, r5, r6, r7, r8}\n" \
    "stm sp, {r1, r2, r3, r4, r5, r6, r7, r8}\n" \
    "ldrd r9, r12, [r0, #32]\n" \
    "subs r12, r12, #1\n" \
    "beq 4f\n" \
    "rsb r12, r12, #" N "\n" \
    "and r12, r12, #" N "-1\n" \
    "movs r11, #68\n" \
    "mul r12, r12, r11\n" \
    "adr.w r11, 2f\n" \
    "add r11, r11, r12\n" \
    "b 5f\n" \
    "4:\n" \
    "adr.w r11, 3f\n" \
    "5:\n" \
    "orr r11, r11, #1\n" \
    "str r11, [sp, #32]\n" \
    "1:\n" \
    "ldr r10, [sp, #4]\n" \
    CONV_GROUP_PC3_FIRST \
    "ldr pc, [sp, #32]\n" \
    ".p2align 2\n" \
    "2:\n" GROUPS \
    "ldr r11, [sp]\n" \
    "cmp r10, r11\n" \
    "bne 2b\n" \
    "3:\n" \
    "ldr r12, [sp, #8]\n" \
    "ldm r12!, {r7, r8, r10, r11}\n" \
    "lsl r11, r11, #1\n" \
    "sub r1, r1, r4\n" \
    "add r1, r11, r1, asr #7\n" \
    "sub r2, r2, r5\n" \
    "add r2, r11, r2, asr #7\n" \
    "sub r3, r3, r6\n" \
    "add r3, r11, r3, asr #7\n" \
    CONV_RQ3D("r1") CONV_RQ3D("r2") CONV_RQ3D("r3") \
    "ldm r12!, {r7, r8, r10, r11}\n" \
    "str r12, [sp, #8]\n" \
    "lsl r11, r11, #1\n" \
    "add r4, r11, r4, lsl #1\n" \
    "add r5, r11, r5, lsl #1\n" \
    "add r6, r11, r6, lsl #1\n" \
    CONV_RQ3D("r4") CONV_RQ3D("r5") CONV_RQ3D("r6") \
    "bfi r1, r4, #8, #8\n" \
    "bfi r2, r5, #8, #8\n" \
    "bfi r3, r6, #8, #8\n" \
    STORE \
    "ldr r11, [sp, #20]\n" \
    "cmp r12, r11\n" \
    "bne 1b\n" \
    "add sp, sp, #36\n" \
    "pop {r4-r11, pc}\n"

/* three halfword stores (r8 = out_c - 2: pixel 1 at o + 2 + r8, pixel 2 at o + 4 + 2 r8); o
 * advances by one pair */
#define CONV_TRIPLES_STORE \
    "ldrd r7, r8, [sp, #12]\n" \
    "strh r1, [r7], #2\n" \
    "strh r2, [r7, r8]\n" \
    "add r11, r7, r8, lsl #1\n" \
    "strh r3, [r11, #2]\n" \
    "str r7, [sp, #12]\n"

/* pixels 0 and 1 clamped as one word, pixel 2 alone, then the stores */
#define CONV_TRIPLES_STORE_CLAMP \
    "pkhbt r1, r1, r2, lsl #16\n" \
    "ldrd r7, r8, [sp, #24]\n" \
    "ssub8 r4, r1, r7\n" \
    "sel r1, r1, r7\n" \
    "ssub8 r4, r1, r8\n" \
    "sel r1, r8, r1\n" \
    "ssub8 r4, r3, r7\n" \
    "sel r3, r3, r7\n" \
    "ssub8 r4, r3, r8\n" \
    "sel r3, r8, r3\n" \
    "lsr r2, r1, #16\n" \
    CONV_TRIPLES_STORE

/* CONV_TRIPLES_STORE_CLAMP, the clamp skipped when the range is all of int8 (lo4 0x80808080, hi4
 * 0x7f7f7f7f): one routine for both kinds of layer */
#define CONV_TRIPLES_STORE_ANY \
    "pkhbt r1, r1, r2, lsl #16\n" \
    "ldrd r7, r8, [sp, #24]\n" \
    "cmp r7, #0x80808080\n" \
    "bne 6f\n" \
    "cmp r8, #0x7f7f7f7f\n" \
    "beq 7f\n" \
    "6:\n" \
    "ssub8 r4, r1, r7\n" \
    "sel r1, r1, r7\n" \
    "ssub8 r4, r1, r8\n" \
    "sel r1, r8, r1\n" \
    "ssub8 r4, r3, r7\n" \
    "sel r3, r3, r7\n" \
    "ssub8 r4, r3, r8\n" \
    "sel r3, r8, r3\n" \
    "7:\n" \
    "lsr r2, r1, #16\n" \
    CONV_TRIPLES_STORE

/* Arguments of widen3_asm (one LDM): three windows' rows, pixel 0's at s0, pixels 1 and 2's d1 / d2
 * bytes further; groups words per kernel row, the next row adv bytes after a row's end. */
typedef struct {
    const int8_t *s0;
    int32_t d1, d2;
    int32_t *dst;
    int32_t groups, rows, adv;
} widen3_args;

/* The triple layout of three windows, per group of four positions: three loads, six SXTB16, one
 * STM of the six words (x02 p0..p2, x13 p0..p2); two groups per iteration, 11 instructions per group. */
#define WIDEN3_GROUP \
    "ldr r4, [r6, r7]\n" \
    "ldr r5, [r6, r8]\n" \
    "ldr r3, [r6], #4\n" \
    "sxtb16 r0, r3\n" \
    "sxtb16 r1, r4\n" \
    "sxtb16 r2, r5\n" \
    "sxtb16 r3, r3, ror #8\n" \
    "sxtb16 r4, r4, ror #8\n" \
    "sxtb16 r5, r5, ror #8\n" \
    "stmia r9!, {r0, r1, r2, r3, r4, r5}\n"

static void __attribute__((naked, noinline, unused)) widen3_asm(const widen3_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "ldm r0, {r6, r7, r8, r9, r10, r11, r12}\n"
        "1:\n"
        "mov lr, r10\n"
        "tst lr, #1\n" /* an odd count: one group first */
        "beq 2f\n"
        WIDEN3_GROUP
        "subs lr, lr, #1\n"
        "beq 3f\n"
        "2:\n"
        WIDEN3_GROUP
        WIDEN3_GROUP
        "subs lr, lr, #2\n"
        "bne 2b\n"
        "3:\n"
        "add r6, r6, r12\n"
        "subs r11, r11, #1\n"
        "bne 1b\n"
        "pop {r4-r11, pc}\n");
}

#endif /* TFC_DSP_ASM */

/* The windows of three pixels at s[0..2] into the triple layout at dst: `rows` kernel rows, `rstride`
 * bytes apart, of `groups` groups of four positions each; s advances by the rows read. */
static inline __attribute__((always_inline, unused)) void widen3_rows(const int8_t *s[3], int32_t *dst,
                                                                      int32_t groups, int32_t rows,
                                                                      int32_t rstride) {
#if TFC_DSP_ASM
    widen3_args a;
    a.s0 = s[0];
    a.d1 = (int32_t)(s[1] - s[0]);
    a.d2 = (int32_t)(s[2] - s[0]);
    a.dst = dst;
    a.groups = groups;
    a.rows = rows;
    a.adv = rstride - 4 * groups;
    widen3_asm(&a);
#else
    int32_t r, i;
    for (r = 0; r < rows; ++r) {
        for (i = 0; i < 4 * groups; i += 4) {
            const uint32_t w0 = tfc_ld32(s[0] + i), w1 = tfc_ld32(s[1] + i), w2 = tfc_ld32(s[2] + i);
            dst = tfc_widen3_group(dst, w0, w1, w2);
        }
        s[0] += rstride;
        s[1] += rstride;
        s[2] += rstride;
    }
#endif
}

/* `groups` groups of four positions of three windows into the triple layout at dst, read from s0,
 * s0 + d1, s0 + d2 (widen3_asm for one row) */
static void __attribute__((unused)) widen3_run(const int8_t *s0, int32_t d1, int32_t d2, int32_t *dst, int32_t groups) {
#if TFC_DSP_ASM
    widen3_args a;
    a.s0 = s0;
    a.d1 = d1;
    a.d2 = d2;
    a.dst = dst;
    a.groups = groups;
    a.rows = 1;
    a.adv = 0;
    widen3_asm(&a);
#else
    int32_t i;
    for (i = 0; i < groups; ++i, s0 += 4) {
        const uint32_t w0 = tfc_ld32(s0), w1 = tfc_ld32(s0 + d1), w2 = tfc_ld32(s0 + d2);
        dst = tfc_widen3_group(dst, w0, w1, w2);
    }
#endif
}

/* The windows of output pixels (oy, ox) and the next two into the triple layout where some of them
 * read padding (channels in whole words, no column dilation). Per kernel row: the taps inside the
 * input for all three pixels by widen3_run, the other taps pixel by pixel (padding taps as the
 * widened zero point). 0: not this layout (the caller loads the windows one by one). */
static int __attribute__((noinline, unused)) triple_border(const tfc_conv_params *p, const int8_t *in_b, int32_t oy,
                                                           int32_t ox, int32_t *colw) {
    const int32_t ic_n = p->in_c, nw = ic_n >> 2, row = p->in_w * ic_n, k_w = p->k_w;
    const int32_t pad2 = tfc_sxtb16((uint32_t)(uint8_t)p->pad_value * 0x01010101u);
    int32_t y0[3], x0[3], j, ky, kx, i;
    if ((ic_n & 3) != 0 || p->dil_w != 1) {
        return 0;
    }
    for (j = 0; j < 3; ++j) {
        y0[j] = oy * p->stride_h - p->pad_top;
        x0[j] = ox * p->stride_w - p->pad_left;
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
    }
    for (ky = 0; ky < p->k_h; ++ky, colw += 6 * nw * k_w) {
        int32_t lo[3], hi[3], off[3], a = 0, b = k_w; /* pixel j reads taps lo[j] .. hi[j] - 1; all three a .. b - 1 */
        for (j = 0; j < 3; ++j) {
            const int32_t y = y0[j] + ky * p->dil_h;
            lo[j] = hi[j] = 0;
            off[j] = y * row + x0[j] * ic_n; /* tap 0 of the row (used only for taps inside) */
            if (y >= 0 && y < p->in_h) {
                lo[j] = x0[j] < 0 ? -x0[j] : 0;
                hi[j] = p->in_w - x0[j] < k_w ? p->in_w - x0[j] : k_w;
                hi[j] = hi[j] < lo[j] ? lo[j] : hi[j];
            }
            a = lo[j] > a ? lo[j] : a;
            b = hi[j] < b ? hi[j] : b;
        }
        if (b > a) {
            widen3_run(in_b + off[0] + a * ic_n, off[1] - off[0], off[2] - off[0], colw + 6 * nw * a, nw * (b - a));
        } else {
            a = b = 0;
        }
        for (j = 0; j < 3; ++j) {
            for (kx = 0; kx < k_w; ++kx) {
                int32_t *d = colw + 6 * nw * kx + j;
                if (kx == a && b > a) {
                    kx = b - 1; /* widened above */
                } else if (kx >= lo[j] && kx < hi[j]) {
                    const int8_t *src = in_b + off[j] + kx * ic_n;
                    for (i = 0; i < nw; ++i, d += 6) {
                        const uint32_t w = tfc_ld32(src + 4 * i);
                        d[0] = tfc_sxtb16(w);
                        d[3] = tfc_sxtb16_ror8(w);
                    }
                } else {
                    for (i = 0; i < nw; ++i, d += 6) {
                        d[0] = pad2;
                        d[3] = pad2;
                    }
                }
            }
        }
    }
    return 1;
}

#endif /* TFC_CONV_OPT_H */
