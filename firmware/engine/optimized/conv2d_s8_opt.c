/* CONV_2D (+ADD), int8, optimised for Cortex-M4/M7 (DSP): drop-in for conv2d_s8.c and
 * conv2d_add_s8.c (compressed weights: conv2d_s8_dec_opt.c). Layers whose
 * im2col scratch would raise the peak RAM use the direct-window kernels instead
 * (conv2d_s8_direct_opt.c).
 *
 * Two output pixels at a time: their receptive windows are copied once into a small int16
 * scratch (kernel scratch: in the arena when the planner placed it there, p->scratch, else on
 * the stack; padding taps get the input zero point, so the folded bias stays exact),
 * interleaved per group of four so one pointer walks both. Then every pair of output channels
 * is a pure int8 x int8 dot product with SMLAD: per four window positions, two weight words
 * (host-interleaved: channel c, channel c + 1) give 16 MACs in 14 instructions. The 1x1
 * pointwise case is the same GEMM with a trivial window copy. Requantisation uses the
 * per-channel table precomputed on the host (tfc_dsp.h).
 *
 * Scratch layout, per group g of four window positions k = 4g..4g+3, int16:
 *   [g*8 + 0..3] pixel 0: x[4g], x[4g+2], x[4g+1], x[4g+3]   (the order SXTB16 produces)
 *   [g*8 + 4..7] pixel 1: likewise
 * so SMLAD(word0, SXTB16(w)) + SMLAD(word1, SXTB16(w ror 8)) is the dot product with the
 * weight word w = {w[4g], w[4g+1], w[4g+2], w[4g+3]} in natural order.
 */
#include "tfc_conv_opt.h"

/* -Os: byte windows gathered tap by tap only (no whole-row copy: smaller code); -O2: no memset
 * calls for the few bytes of a window's zero tail */
#if defined(__OPTIMIZE_SIZE__)
#define TFC_CONV_BYTE_ROWS 1
#define TFC_NO_MEMSET
#else
#define TFC_CONV_BYTE_ROWS 0
#define TFC_NO_MEMSET __attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif

/* Window of output pixel (oy, ox) into the scratch at col (pixel slot already applied): per group
 * of four positions the SXTB16 word at col, the SXTB16 ror 8 word `off1` words further, the next
 * group `step` words further (pixel pairs: 4 and 1, pixel triples: 6 and 3). */
static void TFC_NO_MEMSET load_window(const tfc_conv_params *p, const int8_t *in_b, int32_t oy, int32_t ox,
                        int16_t *col, int32_t kp, int8_t *tmp, int32_t step, int32_t off1) {
    const int32_t ic_n = p->in_c;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    const int32_t seg = p->k_w * ic_n;
    int32_t ky, k = 0;
    if ((ic_n & 3) == 0 && p->dil_w == 1) { /* whole words: 4 channels per load */
        const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
        const int32_t pad2 = tfc_sxtb16(pad4);
        const int x_in = x0 >= 0 && x0 + p->k_w <= p->in_w;
        for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            int32_t *dst = (int32_t *)col + (k >> 2) * step;
            int32_t i;
            if (y >= 0 && y < p->in_h && x_in) {
                const int8_t *src = in_b + (y * p->in_w + x0) * ic_n;
                for (i = 0; i < seg; i += 4) {
                    const uint32_t w = tfc_ld32(src + i);
                    dst[0] = tfc_sxtb16(w);
                    dst[off1] = tfc_sxtb16_ror8(w);
                    dst += step;
                }
            } else {
                int32_t kx;
                for (kx = 0; kx < p->k_w; ++kx) {
                    const int32_t x = x0 + kx;
                    const int ok = y >= 0 && y < p->in_h && x >= 0 && x < p->in_w;
                    const int8_t *src = in_b + (y * p->in_w + x) * ic_n;
                    for (i = 0; i < ic_n; i += 4) {
                        if (ok) {
                            const uint32_t w = tfc_ld32(src + i);
                            dst[0] = tfc_sxtb16(w);
                            dst[off1] = tfc_sxtb16_ror8(w);
                        } else {
                            dst[0] = pad2;
                            dst[off1] = pad2;
                        }
                        dst += step;
                    }
                }
            }
            k += seg;
        }
    } else { /* any channel count / dilation: gather the window bytes, then convert by words
              * (TFC_RQ_ROWS: each row padded to whole words, where the weights are zero) */
        const int32_t seg_t = (p->rq[0] & TFC_RQ_ROWS) ? (seg + 3) & ~3 : seg; /* a row's bytes in tmp */
        int8_t *t = tmp;
        int32_t kx, c, i;
        const int x_in = p->dil_w == 1 && x0 >= 0 && x0 + p->k_w <= p->in_w;
        for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            int8_t *const next = t + seg_t;
            if (!TFC_CONV_BYTE_ROWS && x_in && y >= 0 && y < p->in_h) { /* the row is contiguous input */
                const int8_t *src = in_b + (y * p->in_w + x0) * ic_n;
                for (i = 0; i + 4 <= seg; i += 4) {
                    const uint32_t v = tfc_ld32(src + i);
                    __builtin_memcpy(t + i, &v, 4);
                }
                for (; i < seg; ++i) {
                    t[i] = src[i];
                }
            } else {
                for (kx = 0; kx < p->k_w; ++kx) {
                    const int32_t x = x0 + kx * p->dil_w;
                    if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
                        const int8_t *src = in_b + (y * p->in_w + x) * ic_n;
                        for (c = 0; c < ic_n; ++c) {
                            *t++ = src[c];
                        }
                    } else {
                        for (c = 0; c < ic_n; ++c) {
                            *t++ = (int8_t)p->pad_value;
                        }
                    }
                }
            }
            t = next; /* past the row padding (TFC_RQ_ROWS): its weights are zero, whatever the bytes hold */
        }
        for (k = kp - 1; k >= (int32_t)(t - tmp); --k) { /* zero tail (weights are zero there) */
            tmp[k] = 0;
        }
        {
            int32_t *dst = (int32_t *)col;
            for (i = 0; i < kp; i += 4) {
                const uint32_t w = tfc_ld32(tmp + i);
                dst[0] = tfc_sxtb16(w);
                dst[off1] = tfc_sxtb16_ror8(w);
                dst += step;
            }
        }
    }
}

/* Dot products of two windows (interleaved in col, kp positions) with two channels' weights
 * (w, interleaved per group of four): a[0..3] += {px0.ch0, px1.ch0, px0.ch1, px1.ch1}. */
static inline void dot_2x2(const int16_t *col, const int8_t *w, int32_t kp, int32_t a[4]) {
    const int32_t *x = (const int32_t *)col;
    const int32_t *const x_end = x + kp;
    const int32_t *wp = (const int32_t *)w;
    int32_t a00 = a[0], a10 = a[1], a01 = a[2], a11 = a[3];
#if TFC_DSP_ASM
    int32_t wa, wb, x0, x1, x2, x3, t;
    /* two groups of four positions per iteration; an odd group count enters at the second half */
    __asm volatile(
        "sub %[t], %[end], %[x]\n\t"
        "tst %[t], #16\n\t" /* 16 bytes of window per group */
        "bne 2f\n\t"
        "1:\n\t"
        "ldrd %[wa], %[wb], [%[wp]], #8\n\t"
        "ldrd %[x0], %[x1], [%[x]], #8\n\t"
        "ldrd %[x2], %[x3], [%[x]], #8\n\t"
        "sxtb16 %[t], %[wa]\n\t"
        "sxtb16 %[wa], %[wa], ror #8\n\t"
        "smlad %[a00], %[x0], %[t], %[a00]\n\t"
        "smlad %[a10], %[x2], %[t], %[a10]\n\t"
        "smlad %[a00], %[x1], %[wa], %[a00]\n\t"
        "smlad %[a10], %[x3], %[wa], %[a10]\n\t"
        "sxtb16 %[t], %[wb]\n\t"
        "sxtb16 %[wb], %[wb], ror #8\n\t"
        "smlad %[a01], %[x0], %[t], %[a01]\n\t"
        "smlad %[a11], %[x2], %[t], %[a11]\n\t"
        "smlad %[a01], %[x1], %[wb], %[a01]\n\t"
        "smlad %[a11], %[x3], %[wb], %[a11]\n\t"
        "2:\n\t"
        "ldrd %[wa], %[wb], [%[wp]], #8\n\t"
        "ldrd %[x0], %[x1], [%[x]], #8\n\t"
        "ldrd %[x2], %[x3], [%[x]], #8\n\t"
        "sxtb16 %[t], %[wa]\n\t"
        "sxtb16 %[wa], %[wa], ror #8\n\t"
        "smlad %[a00], %[x0], %[t], %[a00]\n\t"
        "smlad %[a10], %[x2], %[t], %[a10]\n\t"
        "smlad %[a00], %[x1], %[wa], %[a00]\n\t"
        "smlad %[a10], %[x3], %[wa], %[a10]\n\t"
        "sxtb16 %[t], %[wb]\n\t"
        "sxtb16 %[wb], %[wb], ror #8\n\t"
        "smlad %[a01], %[x0], %[t], %[a01]\n\t"
        "smlad %[a11], %[x2], %[t], %[a11]\n\t"
        "smlad %[a01], %[x1], %[wb], %[a01]\n\t"
        "smlad %[a11], %[x3], %[wb], %[a11]\n\t"
        "cmp %[x], %[end]\n\t"
        "bne 1b\n\t"
        : [a00] "+r"(a00), [a10] "+r"(a10), [a01] "+r"(a01), [a11] "+r"(a11), [wp] "+r"(wp), [x] "+r"(x),
          [wa] "=&r"(wa), [wb] "=&r"(wb), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3),
          [t] "=&r"(t)
        : [end] "r"(x_end)
        : "cc", "memory");
#else
    do {
        const int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        int32_t wl = tfc_sxtb16((uint32_t)wp[0]), wh = tfc_sxtb16_ror8((uint32_t)wp[0]);
        a00 = tfc_smlad(x0, wl, a00);
        a10 = tfc_smlad(x2, wl, a10);
        a00 = tfc_smlad(x1, wh, a00);
        a10 = tfc_smlad(x3, wh, a10);
        wl = tfc_sxtb16((uint32_t)wp[1]);
        wh = tfc_sxtb16_ror8((uint32_t)wp[1]);
        a01 = tfc_smlad(x0, wl, a01);
        a11 = tfc_smlad(x2, wl, a11);
        a01 = tfc_smlad(x1, wh, a01);
        a11 = tfc_smlad(x3, wh, a11);
        wp += 2;
        x += 4;
    } while (x < x_end);
#endif
    a[0] = a00;
    a[1] = a10;
    a[2] = a01;
    a[3] = a11;
}

/* dot_2x2 for pair-code weights (TFC_RQ_PAIR, see CONV_GROUP_PC): a[0..3] += {S px0, S px1,
 * L px0, L px1}; channel c is (S - L) >> 8, channel c + 1 is L. */
static inline void dot_2x2_pc(const int16_t *col, const int8_t *w, int32_t kp, int32_t a[4]) {
    const int32_t *x = (const int32_t *)col;
    const int32_t *const x_end = x + kp;
    const int32_t *wp = (const int32_t *)w;
    do {
        const int32_t wa = wp[0], wb = wp[1], la = tfc_sxtb16((uint32_t)wa), lb = tfc_sxtb16((uint32_t)wb);
        a[0] = tfc_smlad(x[0], wa, tfc_smlad(x[1], wb, a[0]));
        a[1] = tfc_smlad(x[2], wa, tfc_smlad(x[3], wb, a[1]));
        a[2] = tfc_smlad(x[0], la, tfc_smlad(x[1], lb, a[2]));
        a[3] = tfc_smlad(x[2], la, tfc_smlad(x[3], lb, a[3]));
        wp += 2;
        x += 4;
    } while (x < x_end);
}

#if TFC_DSP_ASM
/* One group of four window positions for a channel pair and a pixel pair (r9: weights, r10: the
 * interleaved windows, r1..r4 accumulators). Plain int8 weights: the words of channels c and c + 1
 * split by SXTB16, eight SMLAD (16 MACs in 14 instructions; the window words by one LDM). */
#define CONV_GROUP_PLAIN \
    "ldrd r5, r6, [r9], #8\n" \
    "ldm r10!, {r0, r7, r8, r12}\n" \
    "sxtb16 lr, r5\n" \
    "sxtb16 r5, r5, ror #8\n" \
    "smlad r1, r0, lr, r1\n" \
    "smlad r2, r8, lr, r2\n" \
    "smlad r1, r7, r5, r1\n" \
    "smlad r2, r12, r5, r2\n" \
    "sxtb16 lr, r6\n" \
    "sxtb16 r6, r6, ror #8\n" \
    "smlad r3, r0, lr, r3\n" \
    "smlad r4, r8, lr, r4\n" \
    "smlad r3, r7, r6, r3\n" \
    "smlad r4, r12, r6, r4\n"

/* Pair codes (TFC_RQ_PAIR): each halfword of the two weight words is h = 256 * w[c] + w[c + 1]
 * for positions (4g, 4g + 2) and (4g + 1, 4g + 3); SMLAD of the raw word accumulates
 * S = 256 * dot(c) + dot(c + 1) (r1, r2), SMLAD of its SXTB16 L = dot(c + 1) (r3, r4):
 * 16 MACs in 12 instructions (the four window words by one LDM: r0, r7 pixel 0, r8, r12 pixel 1). */
#define CONV_GROUP_PC \
    "ldrd r5, r6, [r9], #8\n" \
    "ldm r10!, {r0, r7, r8, r12}\n" \
    "smlad r1, r0, r5, r1\n" \
    "smlad r2, r8, r5, r2\n" \
    "sxtb16 r5, r5\n" \
    "smlad r3, r0, r5, r3\n" \
    "smlad r4, r8, r5, r4\n" \
    "smlad r1, r7, r6, r1\n" \
    "smlad r2, r12, r6, r2\n" \
    "sxtb16 r6, r6\n" \
    "smlad r3, r7, r6, r3\n" \
    "smlad r4, r12, r6, r4\n"

/* The body of the channel-pair routines: per pair, accumulators from the rq table's bias (INIT),
 * four GROUPs per iteration entered part-way for the remainder, then FINISH and the shared
 * requantisation / store tail. */
#if defined(__OPTIMIZE_SIZE__) /* -Os: one group per iteration */
#define CONV_PAIRS_GROUPS(GROUP) "2:\n" GROUP
#else
#define CONV_PAIRS_GROUPS(GROUP) \
    "sub lr, r11, r10\n" \
    "ands lr, lr, #48\n" /* 16 x (groups mod 4): a whole number of iterations first */ \
    "beq 2f\n" \
    "cmp lr, #32\n" \
    "beq 7f\n" \
    "bhi 6f\n" \
    "b 8f\n" \
    "2:\n" GROUP "6:\n" GROUP "7:\n" GROUP "8:\n" GROUP
#endif

#define CONV_PAIRS_BODY(INIT, GROUP, FINISH) \
    "push {r4-r11, lr}\n" \
    "push {r0}\n" \
    "ldr r9, [r0, #8]\n" \
    "ldr r12, [r0, #12]\n" \
    "ldr r11, [r0, #4]\n" \
    "1:\n" /* r0 = args, r12 = q, r11 = window end */ \
    "ldr r10, [r0, #0]\n" \
    INIT \
    CONV_PAIRS_GROUPS(GROUP) \
    "cmp r10, r11\n" \
    "bne 2b\n" \
    "ldr r0, [sp]\n" \
    "ldr r12, [r0, #12]\n" \
    FINISH \
    CONV_RQ_STORE_REST \
    "add sp, sp, #4\n" \
    "pop {r4-r11, pc}\n"

static void __attribute__((naked, noinline, unused)) pairs_fast_asm(conv_pairs_args *a __attribute__((unused))) {
    __asm volatile(CONV_PAIRS_BODY("ldr r1, [r12, #12]\n"
                                   "ldr r3, [r12, #28]\n"
                                   "mov r2, r1\n"
                                   "mov r4, r3\n",
                                   CONV_GROUP_PLAIN, ""));
}

/* Pair codes: every accumulator starts at bias(c + 1), so r3/r4 end as dot(c + 1) + bias(c + 1)
 * and S - L = 256 * dot(c): channel c's accumulator is ((S - L) >> 8) + bias(c). */
static void __attribute__((naked, noinline)) pairs_pc_asm(conv_pairs_args *a __attribute__((unused))) {
    __asm volatile(CONV_PAIRS_BODY("ldr r3, [r12, #28]\n"
                                   "mov r1, r3\n"
                                   "mov r2, r3\n"
                                   "mov r4, r3\n",
                                   CONV_GROUP_PC,
                                   "ldr r5, [r12, #12]\n"
                                   "sub r1, r1, r3\n"
                                   "add r1, r5, r1, asr #8\n"
                                   "sub r2, r2, r4\n"
                                   "add r2, r5, r2, asr #8\n"));
}

#if !defined(__OPTIMIZE_SIZE__)
/* CONV_GROUP_PC for pixel 0 alone (the pixel-pair window layout, pixel 1's words skipped): 8 MACs in
 * 8 instructions instead of 16 in 12 for two pixels, one of them a dummy */
#define CONV_GROUP_PC1 \
    "ldrd r5, r6, [r9], #8\n" \
    "ldrd r0, r7, [r10], #16\n" \
    "smlad r1, r0, r5, r1\n" \
    "sxtb16 r5, r5\n" \
    "smlad r3, r0, r5, r3\n" \
    "smlad r1, r7, r6, r1\n" \
    "sxtb16 r6, r6\n" \
    "smlad r3, r7, r6, r3\n"

/* pairs_pc_asm for one pixel (o1_off = 0: pixel 1's accumulators r2 / r4 keep their start and are not stored) */
static void __attribute__((naked, noinline)) pairs_pc1_asm(conv_pairs_args *a __attribute__((unused))) {
    __asm volatile(CONV_PAIRS_BODY("ldr r3, [r12, #28]\n"
                                   "mov r1, r3\n"
                                   "mov r2, r3\n"
                                   "mov r4, r3\n",
                                   CONV_GROUP_PC1,
                                   "ldr r5, [r12, #12]\n"
                                   "sub r1, r1, r3\n"
                                   "add r1, r5, r1, asr #8\n"
                                   "mov r2, r1\n"));
}
#define TFC_CONV_PC1 1
#else
#define TFC_CONV_PC1 0
#endif
#endif

/* Pixel triples (TFC_RQ_TRIPLE: pair-code weights, fast requantisation, even channel count, scratch
 * for three windows): the windows of three output pixels p = 0..2 interleaved per group g of four
 * positions as six words [x02(p0), x02(p1), x02(p2), x13(p0), x13(p1), x13(p2)] (x02: SXTB16 of
 * the input word, positions 4g and 4g + 2; x13: positions 4g + 1 and 4g + 3). Per channel pair and
 * group: one LDRD of the two pair-code words, two SXTB16, three LDRD of windows, twelve SMLAD:
 * 24 MACs in 17 instructions with LDM window loads (a pixel pair takes 12 for 16), and the requantisation's parameter
 * loads and loop overhead are shared by six outputs instead of four. -Os builds keep pairs. */
#if !defined(__OPTIMIZE_SIZE__)
#define TFC_CONV_TRIPLES 1
#else
#define TFC_CONV_TRIPLES 0
#endif

#if TFC_CONV_TRIPLES && TFC_DSP_ASM
/* each linked where a layer of the model takes it (engine/optimized/variants.py TFC_LINK_TRIPLES,
 * TRIPLES_C); the clamped one is exact without a clamp too, so it stands in for the other */
#define CONV_TRIPLES_CLAMPED(clamp) (TFC_LINK_TRIPLES_C && ((clamp) || !TFC_LINK_TRIPLES))
static void __attribute__((naked, noinline, aligned(4), unused)) triples_pc_asm(const triple_args *a
                                                                               __attribute__((unused))) {
    __asm volatile(CONV_TRIPLES_BODY(CONV_TRIPLES_STORE, CONV_PC3_X16, "16"));
}

static void __attribute__((naked, noinline, aligned(4), unused)) triples_pc_clamp_asm(const triple_args *a
                                                                             __attribute__((unused))) {
    __asm volatile(CONV_TRIPLES_BODY(CONV_TRIPLES_STORE_CLAMP, CONV_PC3_X16, "16"));
}
#endif

#if TFC_CONV_TRIPLES
/* Per call constants of triple_windows (triple_ctx_of): ok = 0 where rows are not whole-word runs. */
typedef struct {
    int32_t row, seg4, last, ok;
    int32_t y_lo, y_hi, x_lo, x_hi; /* the window of (oy, ox) is inside the input for oy, ox in these */
    int32_t ox_hi, tail;            /* ox <= ox_hi: x_hi as a column; tail: rows end in word padding */
} triple_ctx;

static triple_ctx triple_ctx_of(const tfc_conv_params *p) {
    triple_ctx c;
    const int32_t reach = (p->k_h - 1) * p->dil_h;
    c.row = p->in_w * p->in_c;
    c.seg4 = (p->k_w * p->in_c + 3) & ~3;
    c.last = p->in_h * c.row - c.seg4;
    c.ok = p->dil_w == 1 && ((p->in_c & 3) == 0 || (p->rq[0] & TFC_RQ_ROWS));
    c.y_lo = (p->pad_top + p->stride_h - 1) / p->stride_h; /* y0 = oy * stride - pad >= 0 */
    c.y_hi = p->in_h - 1 - reach + p->pad_top; /* y0 + reach < in_h: oy * stride <= y_hi */
    c.x_lo = (p->pad_left + p->stride_w - 1) / p->stride_w;
    c.x_hi = p->in_w - p->k_w + p->pad_left; /* x0 + k_w <= in_w: ox * stride <= x_hi */
    c.ox_hi = c.x_hi < 0 ? -1 : c.x_hi / p->stride_w;
    c.tail = c.seg4 != p->k_w * p->in_c;
    return c;
}

/* The windows of output pixels (oy, ox) and the next two into the triple layout when every kernel
 * row of all three is a whole-word run of input bytes (channels in words, or TFC_RQ_ROWS; no
 * column dilation; windows inside the input): read in place, three words at a time. 0: not so
 * (the caller loads them one by one). */
static int __attribute__((noinline)) triple_windows(const tfc_conv_params *p, const triple_ctx *c, const int8_t *in_b,
                                                    int32_t oy, int32_t ox, int32_t *colw) {
    const int32_t row = c->row, seg4 = c->seg4;
    const int8_t *s[3];
    int32_t j;
    if (!c->ok) {
        return 0;
    }
    if (ox + 2 < p->out_w && !c->tail) { /* one output row: windows stride_w pixels apart */
        if (oy < c->y_lo || oy * p->stride_h > c->y_hi || ox < c->x_lo || ox + 2 > c->ox_hi) {
            return 0;
        }
        s[0] = in_b + (oy * p->stride_h - p->pad_top) * row + (ox * p->stride_w - p->pad_left) * p->in_c;
        s[1] = s[0] + p->stride_w * p->in_c;
        s[2] = s[1] + p->stride_w * p->in_c;
    } else {
        for (j = 0; j < 3; ++j) {
            const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
            if (oy < c->y_lo || oy * p->stride_h > c->y_hi || ox < c->x_lo || ox * p->stride_w > c->x_hi) {
                return 0;
            }
            s[j] = in_b + y0 * row + x0 * p->in_c;
            if (s[j] + (p->k_h - 1) * p->dil_h * row > in_b + c->last) { /* the last row's word run ends past the input */
                return 0;
            }
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
        }
    }
    widen3_rows(s, colw, seg4 >> 2, p->k_h, p->dil_h * row);
    return 1;
}

/* All channel pairs of a pixel triple (the windows at col as above), pair-code weights, fast
 * requantisation; outputs of pixel p at o + p * oc_n. */
#if TFC_DSP_ASM
/* The arguments of triples_pc_asm for every triple of a call (only o changes) */
static triple_args triple_args_of(const int32_t *col, int32_t kp, const tfc_conv_params *p, const tfc_out_stage *os) {
    triple_args a;
    a.end = col + kp + (kp >> 1);
    a.col = col;
    a.q = p->rq + TFC_RQ_HEADER;
    a.o = 0;
    a.ostride = p->out_c - 2;
    a.q_end = a.q + 4 * p->out_c;
    a.lo4 = os->lo4;
    a.hi4 = os->hi4;
    a.w = p->weights;
    a.groups = kp >> 2;
    return a;
}
#endif

#if !TFC_DSP_ASM
static void __attribute__((noinline)) triples_pc(const int32_t *col, int32_t kp, const tfc_conv_params *p, int8_t *o,
                                                 const tfc_out_stage *os) {
    const int32_t oc_n = p->out_c;
    const int32_t *wp = (const int32_t *)p->weights;
    const int32_t *q = p->rq + TFC_RQ_HEADER;
    int32_t oc, g, j;
    for (oc = 0; oc < oc_n; oc += 2, q += 8) {
        int32_t s[3], l[3];
        const int32_t *x = col;
        s[0] = s[1] = s[2] = l[0] = l[1] = l[2] = q[7];
        for (g = 0; g < kp; g += 4, x += 6, wp += 2) {
            const int32_t h0 = wp[0], h1 = wp[1], l0 = tfc_sxtb16((uint32_t)h0), l1 = tfc_sxtb16((uint32_t)h1);
            for (j = 0; j < 3; ++j) {
                s[j] = tfc_smlad(x[j], h0, tfc_smlad(x[3 + j], h1, s[j]));
                l[j] = tfc_smlad(x[j], l0, tfc_smlad(x[3 + j], l1, l[j]));
            }
        }
        for (j = 0; j < 3; ++j) {
            const int32_t c0 = (int32_t)((uint32_t)s[j] - (uint32_t)l[j]) / 256 + q[3]; /* exact: a multiple of 256 */
            const uint32_t v = tfc_clamp4((uint32_t)(tfc_rq_fast8s(c0, q[0], q[1], q[2], 0) & 0xFF) |
                                              ((uint32_t)(tfc_rq_fast8s(l[j], q[4], q[5], q[6], 0) & 0xFF) << 8),
                                          os->lo4, os->hi4);
            o[j * oc_n + oc] = (int8_t)v;
            o[j * oc_n + oc + 1] = (int8_t)(v >> 8);
        }
    }
}
#endif
#endif

/* TFC_RQ_FAST layers: `pairs` channel pairs of one pixel pair; o1_off = 0 when only the first
 * pixel is real (else the second pixel's outputs are at o0 + o1_off). Bias comes from q[3].
 * pc: pair-code weights (TFC_RQ_PAIR), which only C builds bring here (in assembly builds every
 * pair-code layer has an even channel count and goes from conv_run to pairs_pc_asm). */
static void __attribute__((noinline)) pairs_fast(const int16_t *col, int32_t kp, const int8_t *w, const int32_t *q,
                                                 int32_t pairs, int8_t *o0, int32_t o1_off, const tfc_out_stage *osp,
                                                 int pc) {
    const int32_t zp = 0; /* carried by the rounding constant */
    const uint32_t lo4 = osp->lo4, hi4 = osp->hi4;
#if TFC_DSP_ASM && TFC_LINK_CONV_PAIRS_FAST /* (else the C loop below) */
    if (pairs > 0) {
        conv_pairs_args a;
        a.col = (const int32_t *)col;
        a.end = (const int32_t *)col + kp;
        a.w = w;
        a.q = q;
        a.o0 = o0;
        a.o1_off = o1_off;
        a.pairs = pairs;
        a.lo4 = lo4;
        a.hi4 = hi4;
        pairs_fast_asm(&a); /* pair codes never get here: conv_run sends them to pairs_pc_asm */
        return;
    }
#endif
    for (; pairs > 0; --pairs) {
        int32_t a[4];
        uint32_t v;
        if (pc) {
            a[0] = a[1] = a[2] = a[3] = q[7];
            dot_2x2_pc(col, w, kp, a);
            a[0] = (int32_t)((uint32_t)a[0] - (uint32_t)a[2]) / 256 + q[3]; /* exact: a multiple of 256 */
            a[1] = (int32_t)((uint32_t)a[1] - (uint32_t)a[3]) / 256 + q[3];
        } else {
            a[0] = a[1] = q[3];
            a[2] = a[3] = q[7];
            dot_2x2(col, w, kp, a);
        }
        w += 2 * kp;
        /* bytes {px0.oc, px0.oc+1, px1.oc, px1.oc+1}, clamped together, two halfword stores */
        v = tfc_clamp4(tfc_pack4(tfc_rq_fast8s(a[0], q[0], q[1], q[2], zp), tfc_rq_fast8s(a[2], q[4], q[5], q[6], zp),
                                 tfc_rq_fast8s(a[1], q[0], q[1], q[2], zp), tfc_rq_fast8s(a[3], q[4], q[5], q[6], zp)),
                       lo4, hi4);
        {
            const uint16_t h0 = (uint16_t)v, h1 = (uint16_t)(v >> 16);
            __builtin_memcpy(o0, &h0, 2);
            if (o1_off) {
                __builtin_memcpy(o0 + o1_off, &h1, 2);
            }
        }
        o0 += 2;
        q += 8;
    }
}

/* All output channels of one pixel pair (o1 == NULL: only the first pixel is real); the DSP builds
 * link it where a layer is off the channel-pair assembly (engine/optimized/variants.py
 * TFC_LINK_CONV_GENERIC). */
static void __attribute__((noinline, unused)) pair_all_channels(const tfc_conv_params *p, const int16_t *col, int32_t kp,
                                                        int8_t *o0, int8_t *o1) {
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    const int fast = p->rq[0] & TFC_RQ_FAST;
    const int32_t oc_n = p->out_c;
    const int8_t *w = p->weights;
    const int32_t *q = p->rq + TFC_RQ_HEADER;
    int32_t oc;
    if (fast) {
        const int32_t pairs = oc_n >> 1;
        pairs_fast(col, kp, w, q, pairs, o0, o1 ? (int32_t)(o1 - o0) : 0, &os, p->rq[0] & TFC_RQ_PAIR);
        if ((oc_n & 1) == 0) {
            return;
        }
        oc = 2 * pairs; /* the last channel of an odd count (paired with zero weights) */
        w += oc * kp;
        q += 4 * oc;
    } else {
        oc = 0;
    }
    for (; oc < oc_n; oc += 2) {
        int32_t a[4];
        a[0] = a[1] = q[3]; /* folded bias */
        a[2] = a[3] = q[7];
        dot_2x2(col, w, kp, a);
        w += 2 * kp;
        if (fast) { /* the last channel of an odd count (pairs_fast did the others) */
            o0[oc] = tfc_clamp8(tfc_rq_fast(a[0], q[0], q[1], q[2]), &os);
            if (o1) {
                o1[oc] = tfc_clamp8(tfc_rq_fast(a[1], q[0], q[1], q[2]), &os);
            }
        } else {
            o0[oc] = tfc_out8(tfc_mbqm(a[0], p->mult[oc], p->shift[oc]), &os);
            if (o1) {
                o1[oc] = tfc_out8(tfc_mbqm(a[1], p->mult[oc], p->shift[oc]), &os);
            }
            if (oc + 1 < oc_n) {
                o0[oc + 1] = tfc_out8(tfc_mbqm(a[2], p->mult[oc + 1], p->shift[oc + 1]), &os);
                if (o1) {
                    o1[oc + 1] = tfc_out8(tfc_mbqm(a[3], p->mult[oc + 1], p->shift[oc + 1]), &os);
                }
            }
        }
        q += 8;
    }
}

/* Any window size: one output at a time, reading the re-laid-out weights (add: the fused ADD,
 * reference arithmetic, with the residual). */
static inline __attribute__((always_inline)) void conv_plain(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                       const int8_t *residual, int8_t *out, int32_t kp, int fast) {
    const int32_t ic_n = p->in_c;
    int32_t b, oy, ox, oc, ky, kx, ic, n = 0;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * p->in_w * ic_n;
        for (oy = 0; oy < p->out_h; ++oy) {
            for (ox = 0; ox < p->out_w; ++ox) {
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int32_t e0 = (oc >> 1) * kp * 2 + (oc & 1) * 4;
                    int32_t acc = p->rq[TFC_RQ_HEADER + 4 * oc + 3], k = 0;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        const int32_t y = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                        for (kx = 0; kx < p->k_w; ++kx) {
                            const int32_t x = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                            const int ok = y >= 0 && y < p->in_h && x >= 0 && x < p->in_w;
                            for (ic = 0; ic < ic_n; ++ic, ++k) {
                                const int32_t v = ok ? in_b[(y * p->in_w + x) * ic_n + ic] : p->pad_value;
                                const int32_t e = e0 + (k >> 2) * 8 + (k & 3);
                                acc += v * p->weights[e];
                            }
                        }
                    }
                    acc = tfc_conv_requant(acc, p, p->rq + TFC_RQ_HEADER + 4 * oc, oc, fast);
                    out[n] = (int8_t)(add ? tfc_add_elem(add, acc, residual[n]) : acc);
                    ++n;
                }
            }
        }
    }
}

/* CONV_2D, or CONV_2D+ADD when add is not NULL: the results of a pixel pair go to a small buffer,
 * then through the tabulated ADD with the residual into out (in place on the residual is fine:
 * each element of it is read before the same element of out is written). Inlined into both entry
 * points, so the plain conv carries none of the ADD code (add is a constant NULL there). */
static inline __attribute__((always_inline)) void conv_run(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                     const int8_t *residual, int8_t *out) {
    const int32_t k_n = p->k_h * p->k_w * p->in_c;
    const int32_t kp = (p->rq[0] & TFC_RQ_ROWS) ? p->k_h * ((p->k_w * p->in_c + 3) & ~3) : (k_n + 3) & ~3;
    const int32_t oc_n = p->out_c;
    const int32_t npix = p->out_h * p->out_w;
    int32_t b, pix;
#if TFC_LINK_CONV_PLAIN || defined(__OPTIMIZE_SIZE__) /* -O2: linked where a layer's window exceeds the
                                                       * scratch (variants.py); -Os keeps it: without, GCC
                                                       * allocates conv_run's registers worse */
    if (kp > TFC_CONV_MAX_K) {
        conv_plain(p, add, in, residual, out, kp, p->rq[0] & TFC_RQ_FAST);
        return;
    }
#endif
    {
    /* scratch (engine/optimized: conv.im2col_scratch, depthwise.scratch): two int16 windows (4 * kp bytes) + a byte window
     * (kp) when the window is gathered bytewise; with a fused ADD also the pair's conv results
     * (2 * out_c bytes, word-rounded). In the arena when the planner placed it there (p->scratch), else on the
     * stack. The fused ADD's two tables are always precomputed by the generator, in flash
     * (engine/optimized/add.py add_tables: add->tables, add->tables_fast). */
#if TFC_CONV_TRIPLES
    const int32_t win_words = (p->rq[0] & TFC_RQ_TRIPLE) ? kp + (kp >> 1) : kp; /* two or three windows */
#else
    const int32_t win_words = kp; /* -Os: pixel pairs in the (larger) scratch of a triple layer */
#endif
    const int32_t col_words = win_words + (((p->in_c & 3) != 0 || p->dil_w != 1) ? kp >> 2 : 0);
#if TFC_CONV_TRIPLES
    const int32_t pair_words = add ? (((p->rq[0] & TFC_RQ_TRIPLE) ? 3 : 2) * oc_n + 3) >> 2 : 0; /* a group's results */
#else
    const int32_t pair_words = add ? (2 * oc_n + 3) >> 2 : 0;
#endif
    int32_t colw_stack[p->scratch ? 1 : col_words + pair_words];
    int32_t *const colw = p->scratch ? (int32_t *)p->scratch : colw_stack;
    int16_t *const col = (int16_t *)colw;
    int8_t *const tmp = (int8_t *)(colw + win_words);
    int8_t *const pair_out = (int8_t *)(colw + col_words);
    const int32_t *const lut1 = add ? add->tables : 0;
    const int add_fast = add ? add->tables_fast : 0;
    /* 1x1, stride 1, no padding, channels in whole words: the window of pixel n is input pixel n */
    const int pointwise = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                          p->pad_top == 0 && p->pad_left == 0 && (p->in_c & 3) == 0;
#if TFC_DSP_ASM
    const int direct = (p->rq[0] & TFC_RQ_FAST) && (oc_n & 1) == 0; /* channel pairs straight to assembly */
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
#endif
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * p->in_w * p->in_c;
        int8_t *out_b = out + b * npix * oc_n;
        pix = 0;
#if TFC_CONV_TRIPLES
        if (p->rq[0] & TFC_RQ_TRIPLE) { /* pixel triples, then the last one or two as a pair */
            const tfc_out_stage os3 = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
            const triple_ctx tc = triple_ctx_of(p);
            int32_t oy = 0, ox = 0; /* pixel pix */
#if TFC_DSP_ASM
            /* the fused ADD of a triple straight to tfc_add4_asm / tfc_add4c_asm (activation clamp) where
             * tfc_add_dense_fast would take it for every element (m >= 0, rs <= 22, whole quads): its
             * arguments set up once */
            triple_args ta = triple_args_of(colw, kp, p, &os3);
            tfc_add4_args aa;
            int add4 = 0, add4c = 0;
            if (add && add_fast && ((3 * oc_n) & 3) == 0) {
                const tfc_out_stage aos = tfc_out_stage_of(add->out_zp, add->act_min, add->act_max);
                const int32_t rs = -add->out_shift;
                add4c = TFC_LINK_ADD4C && (aos.clamp || !TFC_LINK_ADD4); /* as tfc_add_dense_fast */
                add4 = add->out_mult >= 0 && rs <= 22 && (add4c || (TFC_LINK_ADD4 && !aos.clamp));
                aa.lo4 = aos.lo4;
                aa.hi4 = aos.hi4;
                aa.quads = (3 * oc_n) >> 2;
                aa.l1 = lut1;
                aa.l2 = lut1 + 256;
                aa.m = add->out_mult;
                aa.rs = rs;
                aa.rnd = (int32_t)((1u << (rs - 1)) + ((uint32_t)aos.zp << rs));
            }
#endif
            for (; pix + 3 <= npix; pix += 3) {
                if (pointwise) {
                    const int8_t *s0 = in_b + pix * kp;
                    int32_t *dst = colw;
                    int32_t i;
                    for (i = 0; i < kp; i += 4) {
                        const uint32_t w0 = tfc_ld32(s0 + i), w1 = tfc_ld32(s0 + kp + i), w2 = tfc_ld32(s0 + 2 * kp + i);
                        dst = tfc_widen3_group(dst, w0, w1, w2);
                    }
                } else if (!triple_windows(p, &tc, in_b, oy, ox, colw) && !triple_border(p, in_b, oy, ox, colw)) {
                    int32_t j;
                    for (j = 0; j < 3; ++j) {
                        load_window(p, in_b, (pix + j) / p->out_w, (pix + j) % p->out_w, col + 2 * j, kp, tmp, 6, 3);
                    }
                }
                for (ox += 3; ox >= p->out_w; ox -= p->out_w) {
                    ++oy;
                }
#if TFC_DSP_ASM
                ta.o = add ? pair_out : out_b + pix * oc_n;
                if (CONV_TRIPLES_CLAMPED(os3.clamp)) {
                    triples_pc_clamp_asm(&ta);
                } else {
                    triples_pc_asm(&ta);
                }
#else
                triples_pc(colw, kp, p, add ? pair_out : out_b + pix * oc_n, &os3);
#endif
                if (add) {
                    const int32_t at = (b * npix + pix) * oc_n;
#if TFC_DSP_ASM
                    if (add4) {
                        aa.in1 = pair_out;
                        aa.in2 = residual + at;
                        aa.out = out + at;
                        if (add4c) {
                            tfc_add4c_asm(&aa);
                        } else {
                            tfc_add4_asm(&aa);
                        }
                    } else
#endif
                    {
                        tfc_add_dense(add, pair_out, residual + at, out + at, 3 * oc_n, lut1, lut1 + 256, add_fast);
                    }
                }
            }
        }
#endif
        for (; pix < npix; pix += 2) {
            const int two = pix + 1 < npix;
            int8_t *o0 = add ? pair_out : out_b + pix * oc_n;
            if (pointwise) {
                tfc_widen_pointwise_pair(in_b + pix * kp, kp, two, colw);
            } else {
                load_window(p, in_b, pix / p->out_w, pix % p->out_w, col, kp, tmp, 4, 1);
                if (two) {
                    load_window(p, in_b, (pix + 1) / p->out_w, (pix + 1) % p->out_w, col + 4, kp, tmp, 4, 1);
                } else {
                    int32_t i;
                    for (i = 0; i < kp; i += 4) { /* defined values in the unused slot */
                        col[2 * i + 4] = col[2 * i + 5] = col[2 * i + 6] = col[2 * i + 7] = 0;
                    }
                }
            }
#if TFC_DSP_ASM
            if (direct) {
                conv_pairs_args a;
                a.col = colw;
                a.end = colw + kp;
                a.w = p->weights;
                a.q = p->rq + TFC_RQ_HEADER;
                a.o0 = o0;
                a.o1_off = two ? oc_n : 0;
                a.pairs = oc_n >> 1;
                a.lo4 = os.lo4;
                a.hi4 = os.hi4;
#if TFC_CONV_PC1
                if ((p->rq[0] & TFC_RQ_PAIR) && !two) {
                    pairs_pc1_asm(&a);
                } else
#endif
                if (p->rq[0] & TFC_RQ_PAIR) {
                    pairs_pc_asm(&a);
                } else {
#if TFC_LINK_CONV_PAIRS_FAST
                    pairs_fast_asm(&a);
#endif
                }
            } else
#endif
            {
#if TFC_LINK_CONV_GENERIC || !TFC_DSP_ASM
                pair_all_channels(p, col, kp, o0, two ? o0 + oc_n : (int8_t *)0);
#endif
            }
            if (add) {
                const int32_t at = (b * npix + pix) * oc_n;
                tfc_add_dense(add, pair_out, residual + at, out + at, (two ? 2 : 1) * oc_n, lut1, lut1 + 256, add_fast);
            }
        }
    }
    }
}

void tfc_conv2d_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    conv_run(p, 0, in, 0, out);
}

void tfc_conv2d_add_s8(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                       const int8_t *residual, int8_t *out) {
    conv_run(p, add, in, residual, out);
}
