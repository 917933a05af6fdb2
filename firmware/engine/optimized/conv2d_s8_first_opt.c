/* CONV_2D with 1-3 input channels (first layers), optimised for Cortex-M4/M7 (DSP):
 * tfc_conv2d_s8_first, chosen by the host (tfcompress/engine/optimized/first.py) for the layers
 * where the im2col kernel's byte gather and per-output requantisation dominate (27 MACs per
 * output for a 3x3x3 window).
 *
 * Per pair of output pixels: each kernel row of both windows is read a word at a time straight
 * from the input (a row is seg = k_w * in_c bytes, nl = ceil(seg / 4) words; a window that
 * leaves the input, or whose last word would read past it, is first gathered into a small
 * zero-point-padded buffer) and widened by SXTB16 into the scratch, the two pixels' words
 * interleaved. Window layout (first.py window_taps): per row and input word j the halfword pairs
 * of taps (4j, 4j + 2), (4j + 1, 4j + 3); when seg % 4 == 1 ("paired" rows: 3x3x3) the last word
 * of a row holds one tap, so the last taps of two consecutive rows share one word (PKHBT) after
 * the second row's words (an odd last row keeps its own). Taps past a row read whatever follows
 * it: their weights are zero.
 *
 * Then per block of four output channels a 2-pixel x 4-channel SMLAD block (one LDRD of windows,
 * two of weights, eight SMLAD: 16 MACs in 11 instructions) on int16 weights the host doubled, so
 * the accumulators are the doubled sums the fast requantisation (tfc_rq_x2s) takes; the rq table
 * is regrouped per block of four channels (first.py block_rq: the four doubled biases, then per
 * channel m, rs, rnd). The four channels of a pixel are packed (BFI), clamped together and
 * stored as one word. -O2: a 14-word window (3x3x3: VWW, IC) takes its own copy of the block
 * loop, chosen once per pair: the 14 words straight through, the first SMLADs starting the
 * accumulators from the biases (no copies, no loop test); other windows the general loop.
 *
 * Weights: [out_c / 4][steps][4 channels] int16x2 words. Only layers with TFC_RQ_FAST and
 * out_c % 4 == 0 come here. Scratch (first.py scratch): 2 * steps words of windows + two
 * gathered windows (k_h rows of 4 * nl bytes each); in the arena when p->scratch, else on the stack.
 *
 * Reads: the windows of pixels P and P + 1 (and bytes after their rows) before any output of
 * either is written, so the planner's per-pixel overlap of output and input holds. Rows are
 * sliced by the band driver (band.c) like any conv: only in_h / out_h / pad_top change.
 */
#include "tfc_dsp.h"

/* window words per iteration of the inner loop (-O2: a 3x3x3 window is one iteration, entered
 * part-way through a TBH table for other sizes); -Os: one word per iteration */
#if defined(__OPTIMIZE_SIZE__)
#define FIRST_UNROLL 1
#else
#define FIRST_UNROLL 14
#endif

/* -O2 block loops the model links (engine/optimized/variants.py): the straight 14-word copy where a
 * layer has a 3x3x3 window (TFC_LINK_FIRST14), the general loop unrolled 14 words where a layer has
 * another window (TFC_LINK_FIRST_LOOP; else one word per iteration, as at -Os: exact, never run) */
#define FIRST_STRAIGHT (FIRST_UNROLL == 14 && TFC_LINK_FIRST14)
#define FIRST_LOOP14 (FIRST_UNROLL == 14 && TFC_LINK_FIRST_LOOP)

/* Argument block of the assembly routine (offsets used there). */
typedef struct {
    const int32_t *col; /* 0: interleaved windows */
    const int32_t *end; /* 4: col + 2 * steps */
    const int32_t *w;   /* 8: weights of the first block */
    const int32_t *q;   /* 12: rq entries of the first block, advanced */
    int8_t *o0;         /* 16: outputs of pixel 0, advanced */
    int32_t o1_off;     /* 20: pixel 1's outputs at o0 + o1_off; 0: one pixel */
    int32_t blocks;     /* 24: >= 1 */
    uint32_t lo4, hi4;  /* 28, 32: activation range in every byte */
    int32_t clamp;      /* 36: the range is narrower than int8 */
    int32_t skip;       /* 40: FIRST_UNROLL 14: 0 for exactly 14 steps, else 1 + the steps the first
                         * iteration leaves out ((-steps) mod 14); unused otherwise */
} first_args;

/* The rows of the window at input (y0, x0), k_h rows of 4 * nl bytes from the returned pointer,
 * *stride bytes apart: in place when every row (and its last word) is inside the input, else
 * gathered into buf (the input zero point outside the input, zeros after each row). */
static const int8_t *__attribute__((noinline)) gather_rows(const tfc_conv_params *p, const int8_t *in_b, int32_t y0,
                                                           int32_t x0, int8_t *buf, int32_t nl, int32_t *stride) {
    const int32_t ic_n = p->in_c, in_w = p->in_w, in_h = p->in_h, row = in_w * ic_n, seg = p->k_w * ic_n;
    const int32_t rb = 4 * nl;
    const int32_t lo = (x0 < 0 ? -x0 : 0) * ic_n;                        /* first byte inside */
    const int32_t hi = (x0 + p->k_w > in_w ? in_w - x0 : p->k_w) * ic_n; /* past the last */
    const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
    int32_t ky, i;
    (void)seg;
    for (ky = 0; ky < p->k_h; ++ky) { /* the zero point everywhere (taps past seg: zero weights) */
        const int32_t y = y0 + ky;
        int8_t *d = buf + ky * rb;
        for (i = 0; i < rb; i += 4) {
            __builtin_memcpy(d + i, &pad4, 4);
        }
        if (y >= 0 && y < in_h) { /* then the bytes inside the input */
            const int8_t *src = in_b + y * row + x0 * ic_n;
            for (i = lo; i < hi; ++i) {
                d[i] = src[i];
            }
        }
    }
    *stride = rb;
    return buf;
}

/* Both windows of a pixel pair (rows at s0 / s1, st0 / st1 bytes apart) widened into the
 * interleaved layout; nl and paired constant where inlined, so the loops unroll. */
static inline __attribute__((always_inline)) void pair_rows(const int8_t *s0, int32_t st0, const int8_t *s1, int32_t st1,
                                                            int32_t k_h, int32_t *dst, const int32_t nl,
                                                            const int paired) {
    const int32_t full = paired ? nl - 1 : nl;
    int32_t ky, j, l0 = 0, l1 = 0;
    for (ky = 0; ky < k_h; ++ky) {
        for (j = 0; j < full; ++j) {
            const uint32_t v0 = tfc_ld32(s0 + 4 * j), v1 = tfc_ld32(s1 + 4 * j);
            dst[0] = tfc_sxtb16(v0);
            dst[1] = tfc_sxtb16(v1);
            dst[2] = tfc_sxtb16_ror8(v0);
            dst[3] = tfc_sxtb16_ror8(v1);
            dst += 4;
        }
        if (paired) { /* the row's last tap: low halfword of SXTB16 of its last word */
            const int32_t c0 = tfc_sxtb16(tfc_ld32(s0 + 4 * full)), c1 = tfc_sxtb16(tfc_ld32(s1 + 4 * full));
            if (ky & 1) {
                dst[0] = (int32_t)tfc_pkhbt16((uint32_t)l0, (uint32_t)c0);
                dst[1] = (int32_t)tfc_pkhbt16((uint32_t)l1, (uint32_t)c1);
                dst += 2;
            } else {
                l0 = c0;
                l1 = c1;
            }
        }
        s0 += st0;
        s1 += st1;
    }
    if (paired && (k_h & 1)) {
        dst[0] = l0;
        dst[1] = l1;
    }
}

#if !defined(__OPTIMIZE_SIZE__)
/* 3x3x3 (nl 3, paired, k_h 3) spelled out: per pixel and row two words' SXTB16 pairs and the last
 * tap; rows 0 and 1 share a word for their last taps, row 2 keeps its own. */
#if TFC_DSP_ASM /* a pair of words in one STRD (GCC stores them one by one), PKHBT */
#define FIRST_ST2(d, off, a, b) __asm volatile("strd %1, %2, [%0, %3]" : : "r"(d), "r"(a), "r"(b), "i"(4 * (off)) : "memory")
static inline int32_t first_pkhbt(int32_t a, int32_t b) {
    int32_t r;
    __asm("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#else
#define FIRST_ST2(d, off, a, b) ((d)[off] = (a), (d)[(off) + 1] = (b))
static inline int32_t first_pkhbt(int32_t a, int32_t b) { return (int32_t)tfc_pkhbt16((uint32_t)a, (uint32_t)b); }
#endif

static inline __attribute__((always_inline)) void row3(const int8_t *s0, const int8_t *s1, int32_t *dst, int32_t *l0,
                                                       int32_t *l1) {
    const uint32_t a0 = tfc_ld32(s0), a1 = tfc_ld32(s1), b0 = tfc_ld32(s0 + 4), b1 = tfc_ld32(s1 + 4);
    FIRST_ST2(dst, 0, tfc_sxtb16(a0), tfc_sxtb16(a1));
    FIRST_ST2(dst, 2, tfc_sxtb16_ror8(a0), tfc_sxtb16_ror8(a1));
    FIRST_ST2(dst, 4, tfc_sxtb16(b0), tfc_sxtb16(b1));
    FIRST_ST2(dst, 6, tfc_sxtb16_ror8(b0), tfc_sxtb16_ror8(b1));
    *l0 = tfc_sxtb16(tfc_ld32(s0 + 8));
    *l1 = tfc_sxtb16(tfc_ld32(s1 + 8));
}

static inline __attribute__((always_inline)) void pair_windows_333(const int8_t *s0, int32_t st0, const int8_t *s1,
                                                                   int32_t st1, int32_t *dst) {
    int32_t a0, a1, b0, b1;
    row3(s0, s1, dst, &a0, &a1);
    row3(s0 + st0, s1 + st1, dst + 8, &b0, &b1);
    FIRST_ST2(dst, 16, first_pkhbt(a0, b0), first_pkhbt(a1, b1));
    row3(s0 + 2 * st0, s1 + 2 * st1, dst + 18, &a0, &a1);
    FIRST_ST2(dst, 26, a0, a1);
}

#endif

/* The widening of a pixel pair's windows, chosen once per layer (pick_widen), into g->col. */
typedef struct {
    int32_t *col;
    int32_t k_h, nl, paired;
} first_geom;

typedef void (*widen_fn)(const int8_t *s0, int32_t st0, const int8_t *s1, int32_t st1, const first_geom *g);

static void __attribute__((unused)) widen_any(const int8_t *s0, int32_t st0, const int8_t *s1, int32_t st1, const first_geom *g) {
    pair_rows(s0, st0, s1, st1, g->k_h, g->col, g->nl, g->paired);
}

#if !defined(__OPTIMIZE_SIZE__)
static void __attribute__((unused)) widen_333(const int8_t *s0, int32_t st0, const int8_t *s1, int32_t st1, const first_geom *g) {
    pair_windows_333(s0, st0, s1, st1, g->col);
}

static void __attribute__((unused)) widen_3p(const int8_t *s0, int32_t st0, const int8_t *s1, int32_t st1, const first_geom *g) {
    pair_rows(s0, st0, s1, st1, g->k_h, g->col, 3, 1);
}

static void __attribute__((unused)) widen_1(const int8_t *s0, int32_t st0, const int8_t *s1, int32_t st1, const first_geom *g) {
    pair_rows(s0, st0, s1, st1, g->k_h, g->col, 1, 0);
}
#endif

/* -O2: loops unrolled for 3x3x3 (nl 3, paired rows), any k_h x 3 channels, rows of one word
 * (k_w 4 x 1 channel: KWS), each linked only where a layer of the model takes it
 * (engine/optimized/variants.py TFC_LINK_WIDEN_*; the generic loop too); -Os: the generic loop only. */
static widen_fn pick_widen(int32_t k_h, int32_t nl, int32_t paired) {
#if !defined(__OPTIMIZE_SIZE__)
#if TFC_LINK_WIDEN_333
    if (nl == 3 && paired && k_h == 3) {
        return widen_333;
    }
#endif
#if TFC_LINK_WIDEN_3P
    if (nl == 3 && paired) {
        return widen_3p;
    }
#endif
#if TFC_LINK_WIDEN_1
    if (nl == 1 && !paired) {
        return widen_1;
    }
#endif
#if !TFC_LINK_WIDEN_ANY && (TFC_LINK_WIDEN_333 || TFC_LINK_WIDEN_3P || TFC_LINK_WIDEN_1)
#define FIRST_WIDEN_ANY 0 /* the host links widen_any for every other window */
#endif
#endif
    (void)k_h, (void)nl, (void)paired;
#ifdef FIRST_WIDEN_ANY
    return 0;
#else
    return widen_any;
#endif
}

#if TFC_DSP_ASM
/* One window word for a pixel pair (r2, r3) and four channels (r4, r5 twice): r6..r12, lr =
 * {px0.c0, px1.c0, px0.c1, px1.c1, px0.c2, px1.c2, px0.c3, px1.c3}; r0 windows, r1 weights. */
#define FIRST_STEP \
    "ldrd r2, r3, [r0], #8\n" \
    "ldrd r4, r5, [r1], #8\n" \
    "smlad r6, r2, r4, r6\n" \
    "smlad r7, r3, r4, r7\n" \
    "smlad r8, r2, r5, r8\n" \
    "smlad r9, r3, r5, r9\n" \
    "ldrd r4, r5, [r1], #8\n" \
    "smlad r10, r2, r4, r10\n" \
    "smlad r11, r3, r4, r11\n" \
    "smlad r12, r2, r5, r12\n" \
    "smlad lr, r3, r5, lr\n"

/* requantise the accumulators of one channel (params m r2, rs r3, rnd r4; r5 temporary) */
#define FIRST_RQ(a, b) \
    "ldm r0!, {r2, r3, r4}\n" \
    "smmlar r5, " a ", r2, r4\n" \
    "add " a ", r5, " a ", asr #31\n" \
    "asr " a ", " a ", r3\n" \
    "ssat " a ", #8, " a "\n" \
    "smmlar r5, " b ", r2, r4\n" \
    "add " b ", r5, " b ", asr #31\n" \
    "asr " b ", " b ", r3\n" \
    "ssat " b ", #8, " b "\n"

/* the first window word, the accumulators started from the doubled biases in r6, r8, r10, r12
 * (no copies: each pixel-1 accumulator is written from its channel's bias before pixel 0's) */
#define FIRST_STEP0 \
    "ldrd r2, r3, [r0], #8\n" \
    "ldrd r4, r5, [r1], #8\n" \
    "smlad r7, r3, r4, r6\n" \
    "smlad r6, r2, r4, r6\n" \
    "smlad r9, r3, r5, r8\n" \
    "smlad r8, r2, r5, r8\n" \
    "ldrd r4, r5, [r1], #8\n" \
    "smlad r11, r3, r4, r10\n" \
    "smlad r10, r2, r4, r10\n" \
    "smlad lr, r3, r5, r12\n" \
    "smlad r12, r2, r5, r12\n"

/* the block's biases (pixel 0's accumulators; r3: their address) and the first window word's
 * address (r0: a pointer to it); pixel 1's accumulators start from the same biases; the block loop's
 * test (r0 against the window end at sp + 4) */
#define FIRST_BIASES \
    "ldm r3, {r6, r8, r10, r12}\n" \
    "ldr r0, [r0, #0]\n"
#define FIRST_BIAS_COPIES \
    "mov r7, r6\n" \
    "mov r9, r8\n" \
    "mov r11, r10\n" \
    "mov lr, r12\n"
#define FIRST_LOOP_TEST \
    "ldr r2, [sp, #4]\n" \
    "cmp r0, r2\n" \
    "bne 2b\n"

#if FIRST_UNROLL == 14
/* -O2: two copies of the block loop, chosen per call by args skip. 0: exactly 14 window words
 * (3x3x3), straight through from FIRST_STEP0 (the accumulators started from the biases) */
#define FIRST_STEPS14 \
    "ldr r3, [sp, #8]\n" \
    FIRST_BIASES \
    FIRST_STEP0 FIRST_STEP FIRST_STEP FIRST_STEP FIRST_STEP FIRST_STEP FIRST_STEP FIRST_STEP FIRST_STEP \
    FIRST_STEP FIRST_STEP FIRST_STEP FIRST_STEP FIRST_STEP
#endif
#if FIRST_LOOP14
/* else the general loop, its first iteration entered part-way (skip - 1 words left out) through
 * a TBH table */
#define FIRST_STEPS \
    "ldrd r3, r2, [sp, #8]\n" \
    FIRST_BIASES FIRST_BIAS_COPIES \
    "tbh [pc, r2, lsl #1]\n" \
    "0:\n" \
    ".hword 0, (2f - 0b) / 2, (31f - 0b) / 2, (32f - 0b) / 2, (33f - 0b) / 2, (34f - 0b) / 2, (35f - 0b) / 2, (36f - 0b) / 2, (37f - 0b) / 2, (38f - 0b) / 2, (39f - 0b) / 2, (40f - 0b) / 2, (41f - 0b) / 2, (42f - 0b) / 2, (43f - 0b) / 2\n" \
    "2:\n" FIRST_STEP \
    "31:\n" FIRST_STEP \
    "32:\n" FIRST_STEP \
    "33:\n" FIRST_STEP \
    "34:\n" FIRST_STEP \
    "35:\n" FIRST_STEP \
    "36:\n" FIRST_STEP \
    "37:\n" FIRST_STEP \
    "38:\n" FIRST_STEP \
    "39:\n" FIRST_STEP \
    "40:\n" FIRST_STEP \
    "41:\n" FIRST_STEP \
    "42:\n" FIRST_STEP \
    "43:\n" FIRST_STEP \
    FIRST_LOOP_TEST
#else
#define FIRST_STEPS \
    "ldr r3, [sp, #8]\n" \
    FIRST_BIASES FIRST_BIAS_COPIES \
    "2:\n" FIRST_STEP \
    FIRST_LOOP_TEST
#endif

/* requantise, pack, clamp and store the block; the next block, else return */
#define FIRST_BLOCK_END \
    "ldr r0, [sp, #8]\n" \
    "adds r0, r0, #16\n" \
    FIRST_RQ("r6", "r7") FIRST_RQ("r8", "r9") FIRST_RQ("r10", "r11") FIRST_RQ("r12", "lr") \
    "str r0, [sp, #8]\n" \
    "ldr r2, [sp]\n" \
    "bfi r6, r8, #8, #8\n" \
    "bfi r6, r10, #16, #8\n" \
    "bfi r6, r12, #24, #8\n" \
    "bfi r7, r9, #8, #8\n" \
    "bfi r7, r11, #16, #8\n" \
    "bfi r7, lr, #24, #8\n" \
    "ldr r3, [r2, #36]\n" \
    "cbz r3, 3f\n" \
    "ldrd r3, r4, [r2, #28]\n" \
    "ssub8 r5, r6, r3\n" \
    "sel r6, r6, r3\n" \
    "ssub8 r5, r6, r4\n" \
    "sel r6, r4, r6\n" \
    "ssub8 r5, r7, r3\n" \
    "sel r7, r7, r3\n" \
    "ssub8 r5, r7, r4\n" \
    "sel r7, r4, r7\n" \
    "3:\n" \
    "ldrd r3, r4, [r2, #16]\n" \
    "cbz r4, 4f\n" \
    "str r7, [r3, r4]\n" \
    "4:\n" \
    "str r6, [r3], #4\n" \
    "str r3, [r2, #16]\n" \
    "ldr r3, [sp, #16]\n" \
    "cmp r0, r3\n" \
    "mov r0, r2\n" \
    "bne 1b\n" \
    "add sp, sp, #20\n" \
    "pop {r4-r11, pc}\n"

/* All channel blocks of a pixel pair: accumulators from the doubled biases, the window in
 * FIRST_UNROLL words per iteration, requantise eight, pack, clamp, one word store per pixel.
 * Stack: [sp] args, [sp, #4] window end, [sp, #8] rq entries of the block (per block of four
 * channels: the four doubled biases, then per channel m, rs, rnd), [sp, #12] skip, [sp, #16] the
 * end of the rq entries (the last block's). */
static void __attribute__((naked, noinline)) first_blocks_asm(first_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "ldr r2, [r0, #4]\n"
        "ldr r3, [r0, #12]\n"
        "ldr r4, [r0, #40]\n"
        "ldr r5, [r0, #24]\n"
        "add r5, r3, r5, lsl #6\n"
        "push {r0, r2, r3, r4, r5}\n"
        "ldr r1, [r0, #8]\n"
#if FIRST_STRAIGHT
        "cmp r4, #0\n"
        "bne 10f\n"
        "1:\n" /* r0 = args, r1 = weights of this block */
        FIRST_STEPS14
        FIRST_BLOCK_END
        "10:\n"
#endif
        "1:\n"
        FIRST_STEPS
        FIRST_BLOCK_END);
}
#endif

/* All channel blocks of a pixel pair (the assembly routine, or the same arithmetic in C). */
static void first_blocks(first_args *a) {
#if TFC_DSP_ASM
    first_blocks_asm(a);
#else
    const int32_t steps = (int32_t)(a->end - a->col) >> 1;
    const int32_t *w = a->w, *q = a->q;
    int8_t *o0 = a->o0;
    int32_t blk, t, c;
    for (blk = 0; blk < a->blocks; ++blk, q += 16, o0 += 4) {
        int32_t acc[8];
        uint32_t v0 = 0, v1 = 0;
        for (c = 0; c < 4; ++c) {
            acc[2 * c] = acc[2 * c + 1] = q[c];
        }
        for (t = 0; t < steps; ++t, w += 4) {
            const int32_t x0 = a->col[2 * t], x1 = a->col[2 * t + 1];
            for (c = 0; c < 4; ++c) {
                acc[2 * c] = tfc_smlad(x0, w[c], acc[2 * c]);
                acc[2 * c + 1] = tfc_smlad(x1, w[c], acc[2 * c + 1]);
            }
        }
        for (c = 0; c < 4; ++c) {
            const int32_t *e = q + 4 + 3 * c;
            v0 |= (uint32_t)(tfc_ssat8(tfc_rq_x2s(acc[2 * c], e[0], e[1], e[2])) & 0xFF) << (8 * c);
            v1 |= (uint32_t)(tfc_ssat8(tfc_rq_x2s(acc[2 * c + 1], e[0], e[1], e[2])) & 0xFF) << (8 * c);
        }
        if (a->clamp) {
            v0 = tfc_clamp4(v0, a->lo4, a->hi4);
            v1 = tfc_clamp4(v1, a->lo4, a->hi4);
        }
        __builtin_memcpy(o0, &v0, 4);
        if (a->o1_off) {
            __builtin_memcpy(o0 + a->o1_off, &v1, 4);
        }
    }
#endif
}

/* The layer with its scratch at col (2 * steps window words, then the two gather buffers): output
 * pixels in order, two at a time (a pair may span two output rows), each pixel's window rows in
 * place or gathered. */
static void __attribute__((noinline)) first_run(const tfc_conv_params *p, const int8_t *in, int8_t *out, int32_t *col,
                                                int32_t steps) {
    const int32_t seg = p->k_w * p->in_c, nl = (seg + 3) >> 2, k_h = p->k_h;
    const int32_t paired = (seg & 3) == 1;
    const int32_t oc_n = p->out_c, out_w = p->out_w, out_h = p->out_h;
    const int32_t ic_n = p->in_c, row = p->in_w * ic_n, ylim = p->in_h - k_h, xlim = p->in_w - p->k_w;
    const int32_t lim = (p->in_h - k_h + 1) * row - 4 * nl; /* a row read of 4 * nl bytes stays inside */
    const int32_t dx = p->stride_w * ic_n;
    int8_t *const buf = (int8_t *)(col + 2 * steps);
    const int32_t gsize = 4 * k_h * nl;
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    const widen_fn widen = pick_widen(k_h, nl, paired);
    first_geom g;
    first_args a;
    int32_t b, oy, ox;
    g.col = col;
    g.k_h = k_h;
    g.nl = nl;
    g.paired = paired;
    a.col = col;
    a.end = col + 2 * steps;
    a.w = (const int32_t *)(const void *)p->weights;
    a.q = p->rq + TFC_RQ_HEADER;
    a.lo4 = os.lo4;
    a.hi4 = os.hi4;
    a.clamp = os.clamp;
#if FIRST_LOOP14
    a.skip = 1 + (FIRST_UNROLL - steps % FIRST_UNROLL) % FIRST_UNROLL;
#elif FIRST_STRAIGHT
    a.skip = 1; /* the one-word loop (not the straight copy) */
#else
    a.skip = 0; /* unused */
#endif
#if FIRST_STRAIGHT
    if (steps == FIRST_UNROLL) {
        a.skip = 0;
    }
#endif
    a.o1_off = oc_n;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * row;
        int8_t *o = out + b * out_h * out_w * oc_n;
        const int8_t *s0 = 0;
        int32_t st0 = row, half = 0, left = out_h * out_w; /* half: the pair's first pixel is s0 */
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int yok = y0 >= 0 && y0 <= ylim;
            int32_t x0 = -p->pad_left, at = y0 * row + x0 * ic_n;
#if !defined(__OPTIMIZE_SIZE__) && TFC_LINK_FIRST_EVEN /* (variants.py: a layer with even rows) */
            if (!(out_w & 1)) { /* -O2, an even row: its pixel pairs, both windows checked at once */
                const int32_t sw = p->stride_w;
                for (ox = 0; ox < out_w; ox += 2, x0 += 2 * sw, at += 2 * dx) {
                    const int8_t *sa = in_b + at, *sb = sa + dx;
                    int32_t ta = row, tb = row;
                    if (!(yok && x0 >= 0 && x0 + sw <= xlim && at + dx <= lim)) {
                        if (!(yok && x0 >= 0 && x0 <= xlim && at <= lim)) {
                            sa = gather_rows(p, in_b, y0, x0, buf, nl, &ta);
                        }
                        if (!(yok && x0 + sw >= 0 && x0 + sw <= xlim && at + dx <= lim)) {
                            sb = gather_rows(p, in_b, y0, x0 + sw, buf + gsize, nl, &tb);
                        }
                    }
                    widen(sa, ta, sb, tb, &g);
                    a.o0 = o;
                    a.blocks = oc_n >> 2;
                    first_blocks(&a);
                    o += 2 * oc_n;
                }
                continue;
            }
#endif
#if !defined(__OPTIMIZE_SIZE__) && !TFC_LINK_FIRST_PIXELS
            continue; /* not reached: the host links the pixel loop for layers with odd rows (-Os: always) */
#endif
            for (ox = 0; ox < out_w; ++ox, x0 += p->stride_w, at += dx) {
                const int8_t *s = in_b + at;
                int32_t st = row;
                if (!(yok && x0 >= 0 && x0 <= xlim && at <= lim)) {
                    s = gather_rows(p, in_b, y0, x0, buf + half * gsize, nl, &st);
                }
                if (!half) {
                    s0 = s;
                    st0 = st;
                    half = 1;
                    if (--left > 0) {
                        continue;
                    }
                    a.o1_off = 0; /* an odd pixel count: the last pixel alone (its window in both slots) */
                } else {
                    --left;
                }
                widen(s0, st0, s, st, &g);
                a.o0 = o;
                a.blocks = oc_n >> 2;
                first_blocks(&a);
                o += 2 * oc_n;
                half = 0;
            }
        }
        a.o1_off = oc_n;
    }
}

/* window words of the layer (first.py steps) */
static inline int32_t first_steps(const tfc_conv_params *p) {
    const int32_t seg = p->k_w * p->in_c, nl = (seg + 3) >> 2, k_h = p->k_h;
    return (seg & 3) == 1 ? k_h * 2 * (nl - 1) + ((k_h + 1) >> 1) : k_h * 2 * nl;
}

/* int32 words of the dense kernel's scratch: windows and gather buffers */
static inline int32_t first_scratch_words(const tfc_conv_params *p, int32_t steps) {
    return 2 * steps + 2 * p->k_h * ((p->k_w * p->in_c + 3) >> 2);
}

void tfc_conv2d_s8_first(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    const int32_t steps = first_steps(p);
    int32_t stack_buf[p->scratch ? 1 : first_scratch_words(p, steps)];
    first_run(p, in, out, p->scratch ? (int32_t *)p->scratch : stack_buf, steps);
}

/* Compressed first layers (first.py prepare_compressed): the weights decoded once per inference
 * into the dense layout after the dense scratch, channel by channel: the channel's row of
 * K = k_h * k_w * in_c weights (4-bit: through its codebook; sparse: the bitmap row and the next
 * values) into row[0 .. K) with row[K] = 0, then per window word the doubled taps of the tap table
 * (after the rq blocks: the two tap indices as halfwords, K for a zero weight). */
#define FIRST_W4 0
#define FIRST_SP 1

static void __attribute__((noinline)) first_decode(const tfc_conv_params *p, int32_t steps, int32_t *wdst,
                                                   int8_t *row, const int kind) {
    const int32_t k_n = p->k_h * p->k_w * p->in_c, oc_n = p->out_c;
    const uint32_t *taps = (const uint32_t *)(p->rq + TFC_RQ_HEADER + 4 * oc_n);
    const int8_t *v = p->weights;
    int32_t c, k, s;
    row[k_n] = 0;
    for (c = 0; c < oc_n; ++c) {
        int32_t *d = wdst + (c >> 2) * 4 * steps + (c & 3);
        if (kind == FIRST_W4) {
            const int8_t *cb = TFC_W4_CODEBOOK(p, c);
            for (k = 0; k < k_n; ++k) {
                row[k] = (int8_t)tfc_w4(p->weights, cb, c * k_n + k);
            }
        } else {
            const uint8_t *bm = p->sp_bitmap + c * ((k_n + 7) >> 3);
            for (k = 0; k < k_n; ++k) {
                row[k] = (bm[k >> 3] >> (k & 7)) & 1 ? *v++ : 0;
            }
        }
        for (s = 0; s < steps; ++s, d += 4) {
            const uint32_t t = taps[s];
            *d = (int32_t)(((uint32_t)(2 * row[t & 0xFFFFu]) & 0xFFFFu) | (uint32_t)(2 * row[t >> 16]) << 16);
        }
    }
}

static void first_compressed(const tfc_conv_params *p, const int8_t *in, int8_t *out, const int kind) {
    const int32_t steps = first_steps(p), dense = first_scratch_words(p, steps);
    const int32_t words = dense + p->out_c * steps + ((p->k_h * p->k_w * p->in_c + 4) >> 2);
    int32_t stack_buf[p->scratch ? 1 : words];
    int32_t *const col = p->scratch ? (int32_t *)p->scratch : stack_buf;
    tfc_conv_params d = *p;
    d.weights = (const int8_t *)(col + dense);
    first_decode(p, steps, col + dense, (int8_t *)(col + dense + p->out_c * steps), kind);
    first_run(&d, in, out, col, steps);
}

void tfc_conv2d_s8_first_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    first_compressed(p, in, out, FIRST_W4);
}

void tfc_conv2d_s8_first_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    first_compressed(p, in, out, FIRST_SP);
}
