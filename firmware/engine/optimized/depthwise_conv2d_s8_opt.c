/* DEPTHWISE_CONV_2D, int8, optimised for Cortex-M4/M7 (DSP): drop-in for depthwise_conv2d_s8.c.
 *
 * 3x3, stride 1 or 2, depth multiplier 1, channels in multiples of four (every MobileNet /
 * DS-CNN layer; host flag TFC_RQ_PLANAR, entry tfc_depthwise_conv2d_s8_planar): the channel-planar path below (band of input rows as
 * int16 planes in the scratch, SMLAD over pairs of taps, four outputs per strip in assembly;
 * rows of five or six outputs in one six-output strip, -O2 builds). Its 4-bit / sparse layers
 * (entries _planar_w4 / _planar_sp) decode each group of four channels into the same pairs.
 * Other shapes with depth multiplier 1, channels in multiples of four and a window of at most
 * TFC_DW_MAX_WINDOW bytes (engine/optimized/depthwise.py word_path): four channels per word; SXTB16 splits a
 * word into (c0, c2) and (c1, c3) halfword pairs and SMLABB / SMLATT accumulate each channel
 * separately. The host re-lays the weights out per group of four channels ([c/4][kh*kw][4]) so
 * they stream from one pointer. Interior pixels read the input in place; border pixels first
 * copy their window into the scratch with the input zero point in the padding taps (what the
 * reference reads there, so the host-folded bias stays exact). Anything else takes a plain loop
 * with the same arithmetic on the original weights. Scratch (engine/optimized: conv.im2col_scratch, depthwise.scratch): in
 * the arena when the planner placed it there (p->scratch), else on the stack.
 */
#include "tfc_dsp.h"
#include "../tfc_kernels.h"

/* Original 1HWO weights: depth multiplier != 1, channels not a multiple of four, or a window
 * above TFC_DW_MAX_WINDOW bytes. */
static void depthwise_generic(const tfc_conv_params *p, const int8_t *in, int8_t *out, int fast) {
    const int32_t ic_n = p->in_c;
    const int32_t oc_n = p->out_c;
    int32_t b, oy, ox, ic, m, ky, kx;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * p->in_w * ic_n;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                for (ic = 0; ic < ic_n; ++ic) {
                    for (m = 0; m < p->depth_mult; ++m) {
                        const int32_t oc = ic * p->depth_mult + m;
                        int32_t acc = p->rq[TFC_RQ_HEADER + 4 * oc + 3]; /* folded bias */
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int32_t y = y0 + ky * p->dil_h;
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const int32_t x = x0 + kx * p->dil_w;
                                int32_t v = p->pad_value;
                                if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
                                    v = in_b[(y * p->in_w + x) * ic_n + ic];
                                }
                                acc += p->weights[(ky * p->k_w + kx) * oc_n + oc] * v;
                            }
                        }
                        *out++ = tfc_conv_requant(acc, p, p->rq + TFC_RQ_HEADER + 4 * oc, oc, fast);
                    }
                }
            }
        }
    }
}

/* One tap for four channels: x and w words split into (c0, c2) / (c1, c3) halfword pairs. */
#define TFC_DW_TAP(xv, wv)                                             \
    do {                                                               \
        const uint32_t x_ = (xv), w_ = (wv);                           \
        int32_t xs_ = tfc_sxtb16(x_), ws_ = tfc_sxtb16(w_);            \
        a0 = tfc_smlabb(xs_, ws_, a0);                                 \
        a2 = tfc_smlatt(xs_, ws_, a2);                                 \
        xs_ = tfc_sxtb16_ror8(x_);                                     \
        ws_ = tfc_sxtb16_ror8(w_);                                     \
        a1 = tfc_smlabb(xs_, ws_, a1);                                 \
        a3 = tfc_smlatt(xs_, ws_, a3);                                 \
    } while (0)


typedef struct {
    const int8_t *weights; /* [c/4][taps][4] */
    const int32_t *rq, *mult, *shift;
    int32_t groups, k_h, k_w, fast;
    tfc_out_stage os;
} dw_layer;

/* All channels of one output pixel; s = top-left tap of channel 0, tx / ty = tap strides. */
static void __attribute__((noinline)) dw_pixel(const dw_layer *L, const int8_t *s, int32_t tx, int32_t ty,
                                               int8_t *out) {
    const int32_t *q = L->rq + TFC_RQ_HEADER;
    const uint32_t *w = (const uint32_t *)L->weights;
    const tfc_out_stage os = L->os;
    const int32_t groups = L->groups;
    const int32_t k_h = L->k_h, k_w = L->k_w;
    int32_t g;
    for (g = 0; g < groups; ++g) {
        int32_t a0 = q[3], a1 = q[7], a2 = q[11], a3 = q[15]; /* folded biases */
        {
            int32_t ky, kx;
            for (ky = 0; ky < k_h; ++ky) {
                const int8_t *r = s + ky * ty;
                for (kx = 0; kx < k_w; ++kx) {
                    TFC_DW_TAP(tfc_ld32(r), *w++);
                    r += tx;
                }
            }
        }
        if (L->fast) {
            const int32_t zp = 0; /* carried by the rounding constant */
            const uint32_t v = tfc_pack4(tfc_rq_fast8(a0, q[0], q[1], q[2], zp), tfc_rq_fast8(a1, q[4], q[5], q[6], zp),
                                         tfc_rq_fast8(a2, q[8], q[9], q[10], zp),
                                         tfc_rq_fast8(a3, q[12], q[13], q[14], zp));
            const uint32_t c = tfc_clamp4(v, os.lo4, os.hi4);
            __builtin_memcpy(out, &c, 4);
        } else {
            const int32_t c = 4 * g;
            out[0] = tfc_out8(tfc_mbqm(a0, L->mult[c], L->shift[c]), &os);
            out[1] = tfc_out8(tfc_mbqm(a1, L->mult[c + 1], L->shift[c + 1]), &os);
            out[2] = tfc_out8(tfc_mbqm(a2, L->mult[c + 2], L->shift[c + 2]), &os);
            out[3] = tfc_out8(tfc_mbqm(a3, L->mult[c + 3], L->shift[c + 3]), &os);
        }
        out += 4;
        q += 16;
        s += 4;
    }
}

/* ---- Channel-planar path (host flag TFC_RQ_PLANAR: 3x3, stride 1 or 2, no dilation) ----
 *
 * For four channels at a time, a band of input rows is copied into the scratch as int16 rows,
 * one per channel ([4][rows][wb]), with the input zero point in the padding columns and rows
 * (what the reference reads there, so the host-folded bias stays exact). A word of such a row
 * holds two horizontally adjacent pixels of one channel, so SMLAD multiplies two taps at once
 * with the host's int16 weight pairs; each channel then runs over the band two outputs at a
 * time: stride 1, words (x0, x1), (x2, x3) and weights (w0, w1), (w1, w2):
 *   o0 = SMLAD((x0, x1), (w0, w1)) + SMLABT((x2, x3), (w1, w2))
 *   o1 = SMLATB((x0, x1), (w0, w1)) + SMLAD((x2, x3), (w1, w2))
 * stride 2, words (x0, x1), (x2, x3), (x4, x5):
 *   o0 = SMLAD((x0, x1), (w0, w1)) + SMLABT((x2, x3), (w1, w2))
 *   o1 = SMLAD((x2, x3), (w0, w1)) + SMLABT((x4, x5), (w1, w2))
 * (the assembly takes two such pairs per strip: four outputs, three input words per kernel row).
 * Weights per channel: {(w0, w1), (w1, w2)} for each kernel row (doubled when TFC_RQ_FAST, with
 * doubled biases: no shift before SMMLAR). Requantisation (SMMLAR(acc2, m, rnd) + (acc2 >> 31))
 * >> rs: the accumulator's sign stands for the product's, which the host guarantees (every
 * m >= 0, all-zero channels with bias 0 and their output in the rounding constant).
 * Order of work: per band of output rows, per group of four channels: fill, then every output
 * of the group in the band. The planner may overlap output and input (streamed raster order, at
 * an offset that is a multiple of the channel count): a group's outputs then only land on that
 * group's input bytes, already in the buffer, and a band's last output ends below the first
 * input byte the next band reads (the raster offset guarantees that for pixel (next band, 0)).
 * The band geometry (dwp_geometry) is engine/optimized/depthwise.py planar_geometry, with the budgets of
 * tfc_limits.h (TFC_DW_PLANAR_BUDGET, TFC_DW_PLANAR_BUDGET_MAX): small layers stay within what
 * the planner finds free next to their tensors, large ones get up to a quarter of their input
 * (fewer refilled rows). */

typedef struct {
    int32_t wb, rows_cap;
} dwp_geom;

static dwp_geom dwp_geometry(const tfc_conv_params *p) {
    dwp_geom g;
    const int32_t s = p->stride_w;
    const int32_t rows_full = (p->out_h - 1) * p->stride_h + 3;
    int32_t cap;
    g.wb = s * ((p->out_w + 1) & ~1) + 2;
    int32_t budget = p->in_h * p->in_w * p->in_c / 4;
    budget = budget < TFC_DW_PLANAR_BUDGET * 2 ? TFC_DW_PLANAR_BUDGET
                                               : (budget > TFC_DW_PLANAR_BUDGET_MAX ? TFC_DW_PLANAR_BUDGET_MAX : budget);
    cap = p->rq[1] > 0 ? p->rq[1] : budget / (8 * g.wb); /* rq[1]: rows the host chose (row banding) */
    cap = cap < 3 ? 3 : cap;
    g.rows_cap = cap < rows_full ? cap : rows_full;
    return g;
}

/* Band fill of the data rows: n_rows input rows of four channels into the four int16 planes;
 * per row an optional leading pair (padding, pixel 0), n_pairs pairs of pixels, an optional
 * trailing pair (last pixel, padding). Columns that are padding on both sides hold the padding
 * from dwp_pad_all and are not touched. The DSP builds pick the routine once per band
 * (dwp_fill_kind): the row shapes of MobileNet / DS-CNN maps have routines without per-row tests
 * (dwp_fill_narrow, dwp_fill_wide), others the general dwp_fill_rows. */
typedef struct {
    const int8_t *src;  /* 0: first pixel read in the first row, channel c0 */
    int32_t c_n;        /* 4: pixel stride */
    uint32_t *d0;       /* 8: plane 0 word of the first pair written in the first row */
    int32_t plane;      /* 12: plane bytes */
    int32_t n_pairs;    /* 16 */
    int32_t n_rows;     /* 20: >= 1 */
    int32_t src_fix;    /* 24: input bytes from the last pixel read (+ its step) to the next row
                         * (dwp_fill_narrow: from the row's last base, DWP_NARROW_END) */
    int32_t d_fix;      /* 28: buffer bytes from the last pair written (+ 4) to the next row */
    int32_t left, right; /* 32, 36 */
    uint32_t pad16;     /* 40: the padding in both halfwords (sign-extended) */
    int32_t kind;       /* 44: the routine (dwp_fill_kind) */
} dwp_fill_args;

#if TFC_DSP_ASM
/* pixel words r6, r7 -> plane words (pairs of int16 per channel) stored at r2, r4, r5, r3:
 * halfword packs (p0, p1, q0, q1), (p2, p3, q2, q3), then SXTB16 / SXTB16 ROR 8 of each (no
 * flags set: the fill loop's Z survives it) */
#define DWP_PAIR                                                                \
    "pkhbt r8, r6, r7, lsl #16\n"                                              \
    "pkhtb r9, r7, r6, asr #16\n"                                              \
    "sxtb16 r10, r8\n"                                                         \
    "sxtb16 r11, r8, ror #8\n"                                                 \
    "str r10, [r2], #4\n"                                                      \
    "str r11, [r4], #4\n"                                                      \
    "sxtb16 r10, r9\n"                                                         \
    "sxtb16 r11, r9, ror #8\n"                                                 \
    "str r10, [r5], #4\n"                                                      \
    "str r11, [r3], #4\n"

/* four pixels from r0 (stride r1) -> two plane words per channel, one STRD each */
#define DWP_QUAD                                                                \
    "ldr r6, [r0]\n"                                                           \
    "ldr r7, [r0, r1]\n"                                                       \
    "add r0, r0, r1, lsl #1\n"                                                 \
    "ldr r8, [r0]\n"                                                           \
    "ldr r9, [r0, r1]\n"                                                       \
    "add r0, r0, r1, lsl #1\n"                                                 \
    "pkhbt r10, r6, r7, lsl #16\n"                                             \
    "pkhtb r11, r7, r6, asr #16\n"                                             \
    "pkhbt r6, r8, r9, lsl #16\n"                                              \
    "pkhtb r7, r9, r8, asr #16\n"                                              \
    "sxtb16 r8, r10\n"                                                         \
    "sxtb16 r9, r6\n"                                                          \
    "strd r8, r9, [r2], #8\n"                                                  \
    "sxtb16 r8, r10, ror #8\n"                                                 \
    "sxtb16 r9, r6, ror #8\n"                                                  \
    "strd r8, r9, [r4], #8\n"                                                  \
    "sxtb16 r8, r11\n"                                                         \
    "sxtb16 r9, r7\n"                                                          \
    "strd r8, r9, [r5], #8\n"                                                  \
    "sxtb16 r8, r11, ror #8\n"                                                 \
    "sxtb16 r9, r7, ror #8\n"                                                  \
    "strd r8, r9, [r3], #8\n"

static void __attribute__((naked, noinline, unused)) dwp_fill_rows(const dwp_fill_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "mov lr, r0\n"
        "ldm lr, {r0, r1, r2, r3}\n"
        "add r4, r2, r3\n"
        "add r5, r4, r3\n"
        "add r3, r5, r3\n"
        "2:\n"
        "ldr r6, [lr, #32]\n"
        "cbz r6, 3f\n"
        "ldr r6, [lr, #40]\n" /* (padding, pixel 0) */
        "ldr r7, [r0]\n"
        "add r0, r0, r1\n"
        "sxtb16 r9, r7\n"
        "sxtb16 r7, r7, ror #8\n"
        "pkhbt r10, r6, r9, lsl #16\n"
        "pkhtb r11, r9, r6, asr #16\n"
        "str r10, [r2], #4\n"
        "str r11, [r5], #4\n"
        "pkhbt r10, r6, r7, lsl #16\n"
        "pkhtb r11, r7, r6, asr #16\n"
        "str r10, [r4], #4\n"
        "str r11, [r3], #4\n"
        "3:\n"
        "ldr r12, [lr, #16]\n"
        "lsrs r12, r12, #1\n" /* C: an odd pair first; Z: no quad */
        "bcc 5f\n"
        "ldr r6, [r0]\n"
        "ldr r7, [r0, r1]\n"
        "add r0, r0, r1, lsl #1\n"
        DWP_PAIR
        "5:\n"
        "beq 6f\n"
        "1:\n"
        DWP_QUAD
        "subs r12, r12, #1\n"
        "bne 1b\n"
        "6:\n"
        "ldr r6, [lr, #36]\n"
        "cbz r6, 4f\n"
        "ldr r6, [r0]\n" /* (last pixel, padding) */
        "ldr r7, [lr, #40]\n"
        "sxtb16 r8, r6\n"
        "sxtb16 r6, r6, ror #8\n"
        "pkhbt r10, r8, r7, lsl #16\n"
        "pkhtb r11, r7, r8, asr #16\n"
        "str r10, [r2], #4\n"
        "str r11, [r5], #4\n"
        "pkhbt r10, r6, r7, lsl #16\n"
        "pkhtb r11, r7, r6, asr #16\n"
        "str r10, [r4], #4\n"
        "str r11, [r3], #4\n"
        "4:\n"
        "ldrd r6, r7, [lr, #24]\n"
        "add r0, r0, r6\n"
        "add r2, r2, r7\n"
        "add r4, r4, r7\n"
        "add r5, r5, r7\n"
        "add r3, r3, r7\n"
        "ldr r6, [lr, #20]\n"
        "subs r6, r6, #1\n"
        "str r6, [lr, #20]\n"
        "bne 2b\n"
        "pop {r4-r11, pc}\n"
    );
}

/* Narrow rows with a leading pair (DS-CNN's 5-wide maps, MobileNet's 6- and 3-wide ones: left = 1,
 * n_pairs 1 or 2): one routine per row shape with no per-row tests, each channel's first two
 * words in one STRD. r0 source, r1 c_n, r2-r5 planes of channels 0-3, r12 the padding pair,
 * lr rows; frame [sp] = source bytes from the row's last base to the next row, [sp, #4] d_fix. */
/* pixels 0, 1, 2 at r0 -> (padding, p0), (p1, p2) of each channel */
#define DWP_N_LEFT3                                                             \
    "ldr r6, [r0]\n"                                                           \
    "ldr r7, [r0, r1]\n"                                                       \
    "ldr r8, [r0, r1, lsl #1]\n"                                               \
    "sxtb16 r9, r6\n"                                                          \
    "sxtb16 r6, r6, ror #8\n"                                                  \
    "pkhbt r10, r7, r8, lsl #16\n"                                             \
    "pkhtb r11, r8, r7, asr #16\n"                                             \
    "pkhbt r7, r12, r9, lsl #16\n"                                             \
    "sxtb16 r8, r10\n"                                                         \
    "strd r7, r8, [r2], #8\n"                                                  \
    "pkhbt r7, r12, r6, lsl #16\n"                                             \
    "sxtb16 r8, r10, ror #8\n"                                                 \
    "strd r7, r8, [r3], #8\n"                                                  \
    "pkhtb r7, r9, r12, asr #16\n"                                             \
    "sxtb16 r8, r11\n"                                                         \
    "strd r7, r8, [r4], #8\n"                                                  \
    "pkhtb r7, r6, r12, asr #16\n"                                             \
    "sxtb16 r8, r11, ror #8\n"                                                 \
    "strd r7, r8, [r5], #8\n"

/* pixel words r6, r7 -> one word per channel */
#define DWP_N_PAIR_CVT                                                          \
    "pkhbt r8, r6, r7, lsl #16\n"                                              \
    "pkhtb r9, r7, r6, asr #16\n"                                              \
    "sxtb16 r10, r8\n"                                                         \
    "sxtb16 r11, r8, ror #8\n"                                                 \
    "str r10, [r2], #4\n"                                                      \
    "str r11, [r3], #4\n"                                                      \
    "sxtb16 r10, r9\n"                                                         \
    "sxtb16 r11, r9, ror #8\n"                                                 \
    "str r10, [r4], #4\n"                                                      \
    "str r11, [r5], #4\n"

/* r0 at pixel 2: pixels 3, 4 -> one word per channel */
#define DWP_N_PAIR                                                              \
    "ldr r6, [r0, r1]\n"                                                       \
    "ldr r7, [r0, r1, lsl #1]\n"                                               \
    DWP_N_PAIR_CVT

/* pixels 0 .. 3 at r0 -> two words per channel; r0 ends at pixel 2 */
#define DWP_N_QUAD                                                              \
    "ldr r6, [r0]\n"                                                           \
    "ldr r7, [r0, r1]\n"                                                       \
    "add r0, r0, r1, lsl #1\n"                                                 \
    "ldr r8, [r0]\n"                                                           \
    "ldr r9, [r0, r1]\n"                                                       \
    "pkhbt r10, r6, r7, lsl #16\n"                                             \
    "pkhtb r11, r7, r6, asr #16\n"                                             \
    "pkhbt r6, r8, r9, lsl #16\n"                                              \
    "pkhtb r7, r9, r8, asr #16\n"                                              \
    "sxtb16 r8, r10\n"                                                         \
    "sxtb16 r9, r6\n"                                                          \
    "strd r8, r9, [r2], #8\n"                                                  \
    "sxtb16 r8, r10, ror #8\n"                                                 \
    "sxtb16 r9, r6, ror #8\n"                                                  \
    "strd r8, r9, [r3], #8\n"                                                  \
    "sxtb16 r8, r11\n"                                                         \
    "sxtb16 r9, r7\n"                                                          \
    "strd r8, r9, [r4], #8\n"                                                  \
    "sxtb16 r8, r11, ror #8\n"                                                 \
    "sxtb16 r9, r7, ror #8\n"                                                  \
    "strd r8, r9, [r5], #8\n"

/* pixel at ADDR -> (pixel, padding) per channel */
#define DWP_N_RIGHT1(ADDR)                                                      \
    "ldr r6, " ADDR "\n"                                                       \
    "sxtb16 r7, r6\n"                                                          \
    "sxtb16 r6, r6, ror #8\n"                                                  \
    "pkhbt r8, r7, r12, lsl #16\n"                                             \
    "pkhbt r9, r6, r12, lsl #16\n"                                             \
    "str r8, [r2], #4\n"                                                       \
    "str r9, [r3], #4\n"                                                       \
    "pkhtb r8, r12, r7, asr #16\n"                                             \
    "pkhtb r9, r12, r6, asr #16\n"                                             \
    "str r8, [r4], #4\n"                                                       \
    "str r9, [r5], #4\n"

/* r0 at pixel 2: pixels 3, 4, 5 -> (p3, p4), (p5, padding) per channel; r0 ends at pixel 4 */
#define DWP_N_RIGHT3                                                            \
    "ldr r6, [r0, r1]\n"                                                       \
    "ldr r7, [r0, r1, lsl #1]\n"                                               \
    "add r0, r0, r1, lsl #1\n"                                                 \
    "ldr r8, [r0, r1]\n"                                                       \
    "pkhbt r9, r6, r7, lsl #16\n"                                              \
    "pkhtb r10, r7, r6, asr #16\n"                                             \
    "sxtb16 r11, r8\n"                                                         \
    "sxtb16 r8, r8, ror #8\n"                                                  \
    "sxtb16 r6, r9\n"                                                          \
    "pkhbt r7, r11, r12, lsl #16\n"                                            \
    "strd r6, r7, [r2], #8\n"                                                  \
    "sxtb16 r6, r9, ror #8\n"                                                  \
    "pkhbt r7, r8, r12, lsl #16\n"                                             \
    "strd r6, r7, [r3], #8\n"                                                  \
    "sxtb16 r6, r10\n"                                                         \
    "pkhtb r7, r12, r11, asr #16\n"                                            \
    "strd r6, r7, [r4], #8\n"                                                  \
    "sxtb16 r6, r10, ror #8\n"                                                 \
    "pkhtb r7, r12, r8, asr #16\n"                                             \
    "strd r6, r7, [r5], #8\n"

#define DWP_N_NEXT(LOOP)                                                        \
    "ldrd r6, r7, [sp]\n"                                                      \
    "add r0, r0, r6\n"                                                         \
    "add r2, r2, r7\n"                                                         \
    "add r3, r3, r7\n"                                                         \
    "add r4, r4, r7\n"                                                         \
    "add r5, r5, r7\n"                                                         \
    "subs lr, lr, #1\n"                                                        \
    "bne " LOOP "\n"                                                           \
    "b 9f\n"

#if defined(__OPTIMIZE_SIZE__)
/* -Os: one loop for every narrow shape, the row's prefix and suffix tested per row (a third of
 * the code); frame [sp, #8] = 1 when the prefix is four pixels (no leading pair), [sp, #12] the
 * suffix: 0 none, 1 a pair, 2 (pixel, padding), 3 a pair and (pixel, padding). Rows end with
 * r0 at pixel 2 (leading pair; 4 with suffix 3) or 3 (four-pixel prefix). */
#define DWP_NARROW_END(a) ((a)->left ? ((a)->right && (a)->n_pairs == 2 ? 4 : 2) : 3)
static void __attribute__((naked, noinline, unused)) dwp_fill_narrow(const dwp_fill_args *a __attribute__((unused)),
                                                             int32_t c0 __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "sub sp, sp, #16\n"
        "ldr r6, [r0, #24]\n"
        "ldr r7, [r0, #28]\n"
        "ldr r8, [r0, #32]\n" /* left */
        "ldr r11, [r0, #16]\n" /* n_pairs */
        "ldr r10, [r0, #36]\n" /* right */
        "eor r8, r8, #1\n"
        "lsl r9, r10, #1\n" /* one pair: 2 right */
        "cmp r11, #2\n"
        "it eq\n"
        "addeq r9, r9, #1\n" /* two pairs: 1 + 2 right */
        "cmp r8, #0\n"
        "it ne\n"
        "movne r9, #1\n" /* four-pixel prefix: a pair */
        "stm sp, {r6-r9}\n"
        "ldr lr, [r0, #20]\n"
        "ldr r12, [r0, #40]\n"
        "mov r8, r1\n"
        "ldm r0, {r0, r1, r2, r9}\n"
        "add r0, r0, r8\n"
        "add r3, r2, r9\n"
        "add r4, r3, r9\n"
        "add r5, r4, r9\n"
        "1:\n"
        "ldrd r6, r7, [sp, #8]\n"
        "cbnz r6, 2f\n"
        DWP_N_LEFT3
        "add r0, r0, r1, lsl #1\n"
        "b 3f\n"
        "2:\n"
        DWP_N_QUAD
        "add r0, r0, r1\n"
        "3:\n"
        "ldr r7, [sp, #12]\n"
        "cmp r7, #2\n"
        "beq 4f\n"
        "bhi 5f\n"
        "cmp r7, #0\n"
        "beq 6f\n"
        DWP_N_PAIR
        "b 6f\n"
        "4:\n"
        DWP_N_RIGHT1("[r0, r1]")
        "b 6f\n"
        "5:\n"
        DWP_N_RIGHT3
        "6:\n"
        "ldrd r6, r7, [sp]\n"
        "add r0, r0, r6\n"
        "add r2, r2, r7\n"
        "add r3, r3, r7\n"
        "add r4, r4, r7\n"
        "add r5, r5, r7\n"
        "subs lr, lr, #1\n"
        "bne 1b\n"
        "add sp, sp, #16\n"
        "pop {r4-r11, pc}\n"
    );
}
#else
#define DWP_NARROW_END(a) ((a)->left ? ((a)->n_pairs == 1 ? 2 * (a)->right : 2 + 2 * (a)->right) : 4)
/* the band's rows of channels c0 .. c0 + 3 (a->src_fix: bytes from the row's last base, pixel
 * 0, 2 or 4, to the next row) */
static void __attribute__((naked, noinline, unused)) dwp_fill_narrow(const dwp_fill_args *a __attribute__((unused)),
                                                             int32_t c0 __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "ldr r6, [r0, #24]\n"
        "ldr r7, [r0, #28]\n"
        "push {r6, r7}\n"
        "ldr lr, [r0, #20]\n"
        "ldr r12, [r0, #40]\n"
        "ldr r6, [r0, #16]\n"
        "ldr r7, [r0, #36]\n"
        "mov r8, r1\n"
        "ldm r0, {r0, r1, r2, r9}\n"
        "add r0, r0, r8\n"
        "add r3, r2, r9\n"
        "add r4, r3, r9\n"
        "add r5, r4, r9\n"
        "cmp r6, #3\n"
        "beq 7f\n"
        "cmp r6, #2\n"
        "beq 2f\n"
        "cbnz r7, 4f\n"
        "1:\n" /* (padding, p0), (p1, p2) */
        DWP_N_LEFT3
        DWP_N_NEXT("1b")
        "4:\n" /* + (p3, padding) */
        DWP_N_LEFT3
        "add r0, r0, r1, lsl #1\n"
        DWP_N_RIGHT1("[r0, r1]")
        DWP_N_NEXT("4b")
        "2:\n"
        "cmp r7, #0\n"
        "bne 3f\n"
        "5:\n" /* + (p3, p4) */
        DWP_N_LEFT3
        "add r0, r0, r1, lsl #1\n"
        DWP_N_PAIR
        DWP_N_NEXT("5b")
        "3:\n" /* + (p3, p4), (p5, padding) */
        DWP_N_LEFT3
        "add r0, r0, r1, lsl #1\n"
        DWP_N_RIGHT3
        DWP_N_NEXT("3b")
        "7:\n" /* (p0, p1), (p2, p3), (p4, p5) */
        DWP_N_QUAD
        "ldr r6, [r0, r1, lsl #1]\n"
        "add r0, r0, r1, lsl #1\n"
        "ldr r7, [r0, r1]\n"
        DWP_N_PAIR_CVT
        DWP_N_NEXT("7b")
        "9:\n"
        "add sp, sp, #8\n"
        "pop {r4-r11, pc}\n"
    );
}
#endif

/* four pixels at r0 (lr = 3 c_n) -> two words per channel (r12 counts the quads) */
#define DWP_W_QUADS(LOOP)                                                       \
    LOOP ":\n"                                                                  \
    "ldr r6, [r0]\n"                                                           \
    "ldr r7, [r0, r1]\n"                                                       \
    "ldr r8, [r0, r1, lsl #1]\n"                                               \
    "ldr r9, [r0, lr]\n"                                                       \
    "add r0, r0, r1, lsl #2\n"                                                 \
    "pkhbt r10, r6, r7, lsl #16\n"                                             \
    "pkhtb r11, r7, r6, asr #16\n"                                             \
    "pkhbt r6, r8, r9, lsl #16\n"                                              \
    "pkhtb r7, r9, r8, asr #16\n"                                              \
    "sxtb16 r8, r10\n"                                                         \
    "sxtb16 r9, r6\n"                                                          \
    "strd r8, r9, [r2], #8\n"                                                  \
    "sxtb16 r8, r10, ror #8\n"                                                 \
    "sxtb16 r9, r6, ror #8\n"                                                  \
    "strd r8, r9, [r3], #8\n"                                                  \
    "sxtb16 r8, r11\n"                                                         \
    "sxtb16 r9, r7\n"                                                          \
    "strd r8, r9, [r4], #8\n"                                                  \
    "sxtb16 r8, r11, ror #8\n"                                                 \
    "sxtb16 r9, r7, ror #8\n"                                                  \
    "strd r8, r9, [r5], #8\n"                                                  \
    "subs r12, r12, #1\n"                                                      \
    "bne " LOOP "b\n"

#define DWP_W_NEXT(LOOP)                                                        \
    "ldrd r6, r7, [sp]\n"                                                      \
    "add r0, r0, r6\n"                                                         \
    "add r2, r2, r7\n"                                                         \
    "add r3, r3, r7\n"                                                         \
    "add r4, r4, r7\n"                                                         \
    "add r5, r5, r7\n"                                                         \
    "ldr r6, [sp, #8]\n"                                                       \
    "subs r6, r6, #1\n"                                                        \
    "str r6, [sp, #8]\n"                                                       \
    "bne " LOOP "\n"

/* Wide rows of two shapes without per-row tests: (padding, p0), an odd number >= 3 of pairs,
 * (last pixel, padding) (stride 1, padding 1 on both sides, even widths), or an even number of
 * pairs alone (stride 2 without left padding, even widths). r0 source, r1 c_n, r2-r5 planes of
 * channels 0-3, lr 3 c_n, r12 quads (the padding pair around them); frame [sp] src_fix, d_fix,
 * rows, quads, the padding pair. */
static void __attribute__((naked, noinline, unused)) dwp_fill_wide(const dwp_fill_args *a __attribute__((unused)),
                                                           int32_t c0 __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "sub sp, sp, #20\n"
        "mov r12, r1\n"
        "ldrd r6, r7, [r0, #24]\n"
        "ldr r8, [r0, #20]\n"
        "ldr r9, [r0, #16]\n"
        "ldr r10, [r0, #40]\n"
        "lsr r9, r9, #1\n"
        "stm sp, {r6-r10}\n"
        "ldr r11, [r0, #32]\n"
        "ldm r0, {r0, r1, r2, r9}\n"
        "add r0, r0, r12\n"
        "add r3, r2, r9\n"
        "add r4, r3, r9\n"
        "add r5, r4, r9\n"
        "add lr, r1, r1, lsl #1\n"
        "cmp r11, #0\n"
        "bne 1f\n"
        "2:\n" /* pairs only */
        "ldr r12, [sp, #12]\n"
        DWP_W_QUADS("3")
        DWP_W_NEXT("2b")
        "b 9f\n"
        "1:\n" /* (padding, p0), (p1, p2), quads, (last pixel, padding) */
        "ldr r12, [sp, #16]\n"
        DWP_N_LEFT3
        "add r0, r0, lr\n"
        "ldr r12, [sp, #12]\n"
        DWP_W_QUADS("4")
        "ldr r12, [sp, #16]\n"
        DWP_N_RIGHT1("[r0]")
        DWP_W_NEXT("1b")
        "9:\n"
        "add sp, sp, #20\n"
        "pop {r4-r11, pc}\n"
    );
}
#endif

static inline void dwp_pair(uint32_t a, uint32_t b, uint32_t *d0, int32_t plane_w) {
    const uint32_t e0 = (uint32_t)tfc_sxtb16(a), e1 = (uint32_t)tfc_sxtb16(b);
    const uint32_t o0 = (uint32_t)tfc_sxtb16_ror8(a), o1 = (uint32_t)tfc_sxtb16_ror8(b);
    d0[0] = tfc_pkhbt16(e0, e1);
    d0[plane_w] = tfc_pkhbt16(o0, o1);
    d0[2 * plane_w] = tfc_pkhtb16(e1, e0);
    d0[3 * plane_w] = tfc_pkhtb16(o1, o0);
}

/* C form of dwp_fill_rows (host builds, and rows without an interior pair) */
static void dwp_fill_rows_c(const dwp_fill_args *a) {
    const uint32_t pad4 = (a->pad16 & 0xffu) * 0x01010101u; /* the padding byte in every byte */
    const int32_t plane_w = a->plane / 4;
    const int8_t *src = a->src;
    uint32_t *d = a->d0;
    int32_t r, i;
    for (r = 0; r < a->n_rows; ++r) {
        if (a->left) {
            dwp_pair(pad4, tfc_ld32(src), d++, plane_w);
            src += a->c_n;
        }
        for (i = 0; i < a->n_pairs; ++i) {
            dwp_pair(tfc_ld32(src), tfc_ld32(src + a->c_n), d++, plane_w);
            src += 2 * a->c_n;
        }
        if (a->right) {
            dwp_pair(tfc_ld32(src), pad4, d++, plane_w);
        }
        src += a->src_fix;
        d = (uint32_t *)((int8_t *)d + a->d_fix);
    }
}


/* The columns every data row of a band writes (dwp_band): an optional leading pair (padding,
 * pixel 0), n_pairs pairs, an optional trailing pair; all counts in the returned block, the
 * buffer columns [lo, hi) they cover (even: whole words; lo = hi when no input column is inside) */
typedef struct {
    int32_t lo, hi, left, n_pairs, right;
} dwp_cols;

static dwp_cols dwp_columns(const tfc_conv_params *p, const dwp_geom *g) {
    const int32_t pl = p->pad_left, in_w = p->in_w, wb = g->wb;
    dwp_cols c;
    int32_t col = pl & 1 ? pl - 1 : pl, x;
    c.lo = col;
    c.left = (pl & 1) && col + 1 < wb;
    c.n_pairs = 0;
    c.right = 0;
    if (!c.left && col >= wb) {
        c.lo = c.hi = 0; /* no input column inside the buffer */
        return c;
    }
    x = c.left ? 1 : 0;
    col += c.left ? 2 : 0;
    c.n_pairs = (in_w - x) / 2 < (wb - col) / 2 ? (in_w - x) / 2 : (wb - col) / 2;
    c.n_pairs = c.n_pairs < 0 ? 0 : c.n_pairs;
    x += 2 * c.n_pairs;
    col += 2 * c.n_pairs;
    c.right = x == in_w - 1 && col + 1 < wb;
    c.hi = col + (c.right ? 2 : 0);
    return c;
}

/* the padding in every column of the band buffer that no data row writes (rows outside the input
 * get it whole, per band, in dwp_band; the data columns are written by every fill), or in the
 * whole buffer when its rows are narrow */
static void dwp_pad_all(const tfc_conv_params *p, const dwp_geom *g, int16_t *buf) {
    const uint32_t pad16 = ((uint32_t)(uint16_t)(int16_t)p->pad_value) * 0x00010001u;
    const dwp_cols c = dwp_columns(p, g);
    const int32_t wb2 = g->wb / 2, lo = c.lo / 2, hi = c.hi / 2, rows = 4 * g->rows_cap;
    uint32_t *d = (uint32_t *)buf;
    int32_t r, i;
    if (lo == 0 && hi == wb2) {
        return; /* every column is written */
    }
    if (2 * (lo + wb2 - hi) + 3 > wb2) { /* narrow rows: the whole buffer costs less than a row loop */
        for (i = 0; i < rows * wb2; ++i) {
            d[i] = pad16;
        }
        return;
    }
    for (r = 0; r < rows; ++r) {
        for (i = 0; i < lo; ++i) {
            d[i] = pad16;
        }
        for (i = hi; i < wb2; ++i) {
            d[i] = pad16;
        }
        d += wb2;
    }
}

/* the fill routine of a band's rows (the assembly ones: no per-row tests): narrow rows with a
 * leading pair and one or two pairs (3- to 6-wide stride-1 maps) or three pairs alone (6-wide
 * stride-2 maps); wide rows with both edges and an odd number >= 3 of pairs (even stride-1 maps)
 * or an even number of pairs alone (even stride-2 maps); else the general routine */
enum { DWP_FILL_ROWS, DWP_FILL_NARROW, DWP_FILL_WIDE };

#if TFC_DSP_ASM
static int32_t dwp_fill_kind(const dwp_fill_args *a) {
    const int32_t n = a->n_pairs;
    if (TFC_LINK_DWP_NARROW && (a->left ? n == 1 || n == 2 : n == 3 && !a->right)) {
        return DWP_FILL_NARROW;
    }
    if (TFC_LINK_DWP_WIDE && (a->left ? a->right && (n & 1) && n >= 3 : !a->right && !(n & 1) && n >= 2)) {
        return DWP_FILL_WIDE;
    }
    return DWP_FILL_ROWS;
}
#endif

/* A band's input rows y0 .. y0 + n - 1: the rows outside the input get the padding (in every
 * plane, once per band: the four channels of every group share them); *a = the fill of the data
 * rows for channel 0 (the caller offsets src per group); returns 0 when there are none. */
static int dwp_band(const tfc_conv_params *p, const dwp_geom *g, const int8_t *in_b, int32_t y0, int32_t n,
                    int16_t *buf, dwp_fill_args *a) {
    const int32_t c_n = p->in_c, wb = g->wb, plane = g->rows_cap * wb;
    const uint32_t pad16 = ((uint32_t)(uint16_t)(int16_t)p->pad_value) * 0x00010001u;
    const int32_t in_w = p->in_w;
    const int32_t ya = y0 < 0 ? 0 : y0, yb = y0 + n < p->in_h ? y0 + n : p->in_h; /* data rows */
    const dwp_cols c = dwp_columns(p, g);
    int32_t r, i;
    for (r = 0; r < n; ++r) { /* rows outside the input */
        const int32_t y = y0 + r;
        if (y < 0 || y >= p->in_h) {
            uint32_t *d0 = (uint32_t *)(buf + r * wb);
            for (i = 0; i < wb / 2; ++i) {
                d0[i] = d0[i + plane / 2] = d0[i + plane] = d0[i + 3 * plane / 2] = pad16;
            }
        }
    }
    if (ya >= yb || c.lo == c.hi) {
        return 0; /* no data row, or no input column inside the buffer */
    }
    a->left = c.left;
    a->n_pairs = c.n_pairs;
    a->right = c.right;
    a->src = in_b + (ya * in_w) * c_n;
    a->d0 = (uint32_t *)(buf + (ya - y0) * wb + c.lo);
    a->c_n = c_n;
    a->plane = plane * 2;
    a->n_rows = yb - ya;
    a->src_fix = in_w * c_n - (a->left + 2 * a->n_pairs) * c_n;
    a->d_fix = wb * 2 - 4 * (a->left + a->n_pairs + a->right);
    a->pad16 = pad16;
#if TFC_DSP_ASM
    a->kind = dwp_fill_kind(a);
    if (a->kind == DWP_FILL_NARROW) { /* the pixel its rows end at: DWP_NARROW_END */
        a->src_fix += (a->left + 2 * a->n_pairs - DWP_NARROW_END(a)) * c_n;
    }
#else
    a->kind = DWP_FILL_ROWS;
#endif
    return 1;
}

/* the band's data rows of channels c0 .. c0 + 3 (the assembly fill modifies its block); the
 * DSP builds link the assembly rows and the C rows only where a layer of the model takes them
 * (engine/optimized/variants.py TFC_LINK_DWP_ROWS, DWP_ROWS_C) */
static void __attribute__((noinline)) dwp_fill_general(const dwp_fill_args *band, int32_t c0) {
    dwp_fill_args a = *band;
    a.src += c0;
#if TFC_DSP_ASM && TFC_LINK_DWP_ROWS
    if (a.n_pairs > 0) {
        dwp_fill_rows(&a);
        return;
    }
#endif
#if TFC_DSP_ASM && !TFC_LINK_DWP_ROWS_C
    return; /* not reached: the host links the C rows for rows without an interior pair */
#endif
    dwp_fill_rows_c(&a);
}

/* the narrow and wide routines read the band block itself (tail calls: no frame of this one on
 * the stack with theirs); each linked where a layer takes it (TFC_LINK_DWP_NARROW, DWP_WIDE; else
 * dwp_fill_kind leaves those rows to the general fill, which is exact for any row) */
static void dwp_fill(const dwp_fill_args *band, int32_t c0) {
#if TFC_DSP_ASM
    if (TFC_LINK_DWP_NARROW && band->kind == DWP_FILL_NARROW) {
        dwp_fill_narrow(band, c0);
        return;
    }
    if (TFC_LINK_DWP_WIDE && band->kind == DWP_FILL_WIDE) {
        dwp_fill_wide(band, c0);
        return;
    }
#if !(TFC_LINK_DWP_ROWS || TFC_LINK_DWP_ROWS_C)
    return; /* not reached: the host links the general fill for every other band */
#endif
#endif
    dwp_fill_general(band, c0);
}

#if TFC_DSP_ASM
/* Assembly form of dwp_row (no activation clamp) for every output row of one channel in a band.
 * The argument block is copied to the stack frame (offsets below) so that constants are one
 * SP-relative load away; r0-r2 row pointers, r3 output, r4/r5 weights of a kernel row (then m,
 * rnd), r6/r7 input words (then rs, c_n), r8-r11 accumulators, r12 bias / result, lr strips. */
typedef struct {
    int32_t m, rnd, rs;   /* 0, 4, 8 (copied per channel; one LDM with c_n for the requantisation) */
    int32_t c_n;          /* 12: output pixel stride */
    uint32_t w[6];        /* 16: {(w0, w1), (w1, w2)} per kernel row (copied per channel) */
    int32_t bias;         /* 40 (copied per channel) */
    int32_t n_full;       /* 44: strips of four outputs per row */
    int32_t tail;         /* 48: outputs left (0..3) */
    int32_t rb;           /* 52: buffer row bytes */
    int32_t in_fix;       /* 56: buffer bytes from the end of a row's reads to the next row */
    int32_t out_fix;      /* 60: output bytes from the end of a row's writes to the next row */
    int32_t out_end;      /* 64: end of the channel's output rows (set per channel) */
    const uint32_t *row;  /* 68: first buffer row of the first output row, channel plane */
    int8_t *out;          /* 72: first output of the channel */
    const uint32_t *wp;   /* 76: host weights of the channel (6 words) */
    const int32_t *qp;    /* 80: rq entry of the channel {m, rs, rnd, bias} */
    int32_t out_span;     /* 84: output bytes of the band's rows */
    int32_t plane;        /* 88: plane bytes */
    int32_t n_ch;         /* 92: >= 1 channels (consecutive) */
    int32_t stride;       /* 96: 1 or 2 (then the strip loop's address) */
} dwp_args;

/* frame = the argument block; per channel: weights and rq entry into the frame, pointers
 * r0-r2 (kernel rows), r3 (output) */
#define DWP_ENTER                                                               \
    "push {r4-r11, lr}\n"                                                       \
    "sub sp, sp, #100\n"                                                        \
    "ldm r0!, {r1-r12}\n"                                                       \
    "stm sp, {r1-r12}\n"                                                        \
    "ldm r0!, {r1-r12}\n"                                                       \
    "add lr, sp, #48\n"                                                         \
    "stm lr, {r1-r12}\n"                                                        \
    "ldr r1, [r0]\n"                                                            \
    "ldr r2, [sp, #44]\n"                                                       \
    "cmp r1, #1\n"                                                              \
    "bne 8f\n"                                                                  \
    "adr r1, 31f\n"                                                             \
    "cbnz r2, 7f\n"                                                             \
    "adr r1, 33f\n"                                                             \
    "b 7f\n"                                                                    \
    "8:\n"                                                                      \
    "adr r1, 32f\n"                                                             \
    "cbnz r2, 7f\n"                                                             \
    "adr r1, 34f\n"                                                             \
    "7:\n"                                                                      \
    "orr r1, r1, #1\n"                                                          \
    "str r1, [sp, #96]\n"                                                       \
    "6:\n"                                                                      \
    "ldrd r11, r12, [sp, #76]\n"                                                \
    "ldm r11!, {r4-r9}\n"                                                       \
    "add r10, sp, #16\n"                                                        \
    "stm r10, {r4-r9}\n"                                                        \
    "ldm r12!, {r4-r7}\n"                                                       \
    "strd r11, r12, [sp, #76]\n"                                                \
    "str r7, [sp, #40]\n"                                                       \
    "strd r4, r6, [sp, #0]\n"                                                   \
    "str r5, [sp, #8]\n"                                                        \
    "ldrd r0, r3, [sp, #68]\n"                                                  \
    "ldrd r4, r5, [sp, #84]\n"                                                  \
    "add r4, r3, r4\n"                                                          \
    "str r4, [sp, #64]\n"                                                       \
    "add r6, r0, r5\n"                                                          \
    "add r7, r3, #1\n"                                                          \
    "strd r6, r7, [sp, #68]\n"                                                  \
    "ldr r12, [sp, #52]\n"                                                      \
    "add r1, r0, r12\n"                                                         \
    "add r2, r1, r12\n"                                                         \
    "5:\n"                                                                      \
    "ldr lr, [sp, #44]\n"                                                       \
    "ldr pc, [sp, #96]\n"

/* after the strips: flags C = bit 1 (two more outputs), N = bit 0 (one more) of the tail */
#define DWP_TAIL_FLAGS                                                          \
    "ldr r12, [sp, #48]\n"                                                      \
    "lsls r12, r12, #31\n"

/* requantise accumulator A (r4 = m, r5 = rnd, r6 = rs) and store it at [ADDR] */
#define DWP_RQ(A, ADDR)                                                         \
    "smmlar r12, " A ", r4, r5\n"                                               \
    "add r12, r12, " A ", asr #31\n"                                            \
    "asr r12, r12, r6\n"                                                        \
    "ssat r12, #8, r12\n"                                                       \
    "strb r12, " ADDR "\n"

#define DWP_RQ4                                                                 \
    "ldm sp, {r4-r7}\n"                                                         \
    DWP_RQ("r8", "[r3]")                                                        \
    DWP_RQ("r9", "[r3, r7]")                                                    \
    "add r3, r3, r7, lsl #1\n"                                                  \
    DWP_RQ("r10", "[r3]")                                                       \
    DWP_RQ("r11", "[r3, r7]")                                                   \
    "add r3, r3, r7, lsl #1\n"

/* the tails: r4-r7 still hold m, rnd, rs, c_n from the row's strips; accumulators r8, r9
 * (r8 = bias first), weights r10, r11, input words r12, lr */
#define DWP_RQ2                                                                 \
    DWP_RQ("r8", "[r3]")                                                        \
    DWP_RQ("r9", "[r3, r7]")                                                    \
    "add r3, r3, r7, lsl #1\n"

/* one output from words (x0, x1), (x2, x3) of each row (tail of both strides), then the next
 * row, channel or the end */
#define DWP_TAIL1_ROW(P, WOFF)                                                  \
    "ldrd r10, r11, [sp, #" WOFF "]\n"                                          \
    "ldrd r12, lr, [" P "]\n"                                                   \
    "smlad r8, r12, r10, r8\n"                                                  \
    "smlabt r8, lr, r11, r8\n"

#define DWP_TAIL1_AND_NEXT                                                      \
    "1:\n"                                                                      \
    "bpl 4f\n"                                                                  \
    "ldr r8, [sp, #40]\n"                                                       \
    DWP_TAIL1_ROW("r0", "16")                                                   \
    DWP_TAIL1_ROW("r1", "24")                                                   \
    DWP_TAIL1_ROW("r2", "32")                                                   \
    DWP_RQ("r8", "[r3]")                                                        \
    "4:\n"                                                                      \
    "ldrd r4, r5, [sp, #56]\n"                                                  \
    "add r0, r0, r4\n"                                                          \
    "add r1, r1, r4\n"                                                          \
    "add r2, r2, r4\n"                                                          \
    "add r3, r3, r5\n"                                                          \
    "ldr r4, [sp, #64]\n"                                                       \
    "cmp r3, r4\n"                                                              \
    "bne 5b\n"                                                                  \
    "ldr r4, [sp, #92]\n"                                                       \
    "subs r4, r4, #1\n"                                                         \
    "str r4, [sp, #92]\n"                                                       \
    "bne 6b\n"                                                                  \
    "add sp, sp, #100\n"                                                        \
    "pop {r4-r11, pc}\n"

/* stride 1, four outputs: one kernel row from pointer P (weights at [sp, #WOFF]); FIRST: the
 * accumulators start from the bias in r12 */
#define DWP_S1_ROW4(P, WOFF, R0, R1, R2, R3)                                    \
    "ldrd r4, r5, [sp, #" WOFF "]\n"                                            \
    "ldrd r6, r7, [" P "], #8\n"                                                \
    "smlad r8, r6, r4, " R0 "\n"                                                \
    "smlatb r9, r6, r4, " R1 "\n"                                               \
    "smlabt r8, r7, r5, r8\n"                                                   \
    "smlad r9, r7, r5, r9\n"                                                    \
    "smlad r10, r7, r4, " R2 "\n"                                               \
    "smlatb r11, r7, r4, " R3 "\n"                                              \
    "ldr r6, [" P "]\n"                                                         \
    "smlabt r10, r6, r5, r10\n"                                                 \
    "smlad r11, r6, r5, r11\n"

/* stride 1, two outputs (tail); FIRST: r8 holds the bias */
#define DWP_S1_ROW2(P, WOFF, FIRST)                                             \
    "ldrd r10, r11, [sp, #" WOFF "]\n"                                          \
    "ldrd r12, lr, [" P "], #4\n"                                               \
    "smlatb r9, r12, r10, " FIRST "\n"                                          \
    "smlad r8, r12, r10, r8\n"                                                  \
    "smlabt r8, lr, r11, r8\n"                                                  \
    "smlad r9, lr, r11, r9\n"

/* stride 2, four outputs: words (x0, x1) .. (x8, x9) of one kernel row */
#define DWP_S2_ROW4(P, WOFF, R0, R1, R2, R3)                                    \
    "ldrd r4, r5, [sp, #" WOFF "]\n"                                            \
    "ldrd r6, r7, [" P "], #16\n"                                               \
    "smlad r8, r6, r4, " R0 "\n"                                                \
    "smlabt r8, r7, r5, r8\n"                                                   \
    "smlad r9, r7, r4, " R1 "\n"                                                \
    "ldrd r6, r7, [" P ", #-8]\n"                                               \
    "smlabt r9, r6, r5, r9\n"                                                   \
    "smlad r10, r6, r4, " R2 "\n"                                               \
    "smlabt r10, r7, r5, r10\n"                                                 \
    "smlad r11, r7, r4, " R3 "\n"                                               \
    "ldr r6, [" P "]\n"                                                         \
    "smlabt r11, r6, r5, r11\n"

/* stride 2, two outputs (tail); FIRST: r8 holds the bias */
#define DWP_S2_ROW2(P, WOFF, FIRST)                                             \
    "ldrd r10, r11, [sp, #" WOFF "]\n"                                          \
    "ldrd r12, lr, [" P "], #8\n"                                               \
    "smlad r9, lr, r10, " FIRST "\n"                                            \
    "smlad r8, r12, r10, r8\n"                                                  \
    "smlabt r8, lr, r11, r8\n"                                                  \
    "ldr r12, [" P "]\n"                                                        \
    "smlabt r9, r12, r11, r9\n"

/* both strides in one routine (the row start jumps to the strip loop chosen on entry; ADR needs
 * the routine word-aligned: -Os aligns functions to halfwords only) */
static void __attribute__((naked, noinline, aligned(4), unused)) dwp_asm(const dwp_args *a __attribute__((unused))) {
    __asm volatile(
        DWP_ENTER
        "31:\n" /* stride 1 */
        "ldr r12, [sp, #40]\n"
        DWP_S1_ROW4("r0", "16", "r12", "r12", "r12", "r12")
        DWP_S1_ROW4("r1", "24", "r8", "r9", "r10", "r11")
        DWP_S1_ROW4("r2", "32", "r8", "r9", "r10", "r11")
        DWP_RQ4
        "subs lr, lr, #1\n"
        "bne 31b\n"
        "35:\n"
        DWP_TAIL_FLAGS
        "bcc 1f\n"
        "ldr r8, [sp, #40]\n"
        DWP_S1_ROW2("r0", "16", "r8")
        DWP_S1_ROW2("r1", "24", "r9")
        DWP_S1_ROW2("r2", "32", "r9")
        DWP_RQ2
        DWP_TAIL1_AND_NEXT
        "32:\n" /* stride 2 */
        "ldr r12, [sp, #40]\n"
        DWP_S2_ROW4("r0", "16", "r12", "r12", "r12", "r12")
        DWP_S2_ROW4("r1", "24", "r8", "r9", "r10", "r11")
        DWP_S2_ROW4("r2", "32", "r8", "r9", "r10", "r11")
        DWP_RQ4
        "subs lr, lr, #1\n"
        "bne 32b\n"
        "36:\n"
        DWP_TAIL_FLAGS
        "bcc 1b\n"
        "ldr r8, [sp, #40]\n"
        DWP_S2_ROW2("r0", "16", "r8")
        DWP_S2_ROW2("r1", "24", "r9")
        DWP_S2_ROW2("r2", "32", "r9")
        DWP_RQ2
        "b 1b\n"
        /* rows of fewer than four outputs: the tails' constants, then the tails */
        "33:\n"
        "ldm sp, {r4-r7}\n"
        "b 35b\n"
        "34:\n"
        "ldm sp, {r4-r7}\n"
        "b 36b\n"
    );
}

#if !defined(__OPTIMIZE_SIZE__) /* -Os builds keep the strips of four and the tails */
#define TFC_DWP_ROW6 1
/* Rows of five or six outputs (DS-CNN's 5-wide maps, MobileNet's 6x6 layers): the whole row in
 * one strip of six accumulators (r8-r12, lr; no strip loop), so a row pays neither a tail nor a
 * strip counter; five-wide rows skip the sixth output's work. Same frame and channel loop as
 * dwp_asm (DWP_ENTER; n_full = 1: six outputs, 0: five); a channel's rows loop straight to
 * their strip; the requantisation temporary is lr (five) or r7, then r8 (six: DWP_RQ6_STORE),
 * so the row pointers advance like the strips left them. The host sets out_fix = 0. Buffer columns read: 0 .. 7 (stride 1), 0 .. 13 (stride 2),
 * all inside wb. */

/* stride 1, one kernel row (weights at [sp, #WOFF]) into r8-r12 (+ lr: O5A / O5B, the sixth
 * output's instructions or nothing); B0-B4: addends (the bias in r12 for the first row) */
#define DWP_S1_ROW6(P, WOFF, B0, B1, B2, B3, O5A, O5B, INC, OFF)                \
    "ldrd r4, r5, [sp, #" WOFF "]\n"                                            \
    "ldrd r6, r7, [" P "], #" INC "\n"                                          \
    "smlad r8, r6, r4, " B0 "\n"                                                \
    "smlatb r9, r6, r4, " B1 "\n"                                               \
    "smlabt r8, r7, r5, r8\n"                                                   \
    "smlad r9, r7, r5, r9\n"                                                    \
    "smlad r10, r7, r4, " B2 "\n"                                               \
    "smlatb r11, r7, r4, " B3 "\n"                                              \
    "ldrd r6, r7, [" P ", #" OFF "]\n"                                          \
    "smlabt r10, r6, r5, r10\n"                                                 \
    "smlad r11, r6, r5, r11\n"                                                  \
    O5A                                                                         \
    "smlad r12, r6, r4, r12\n"                                                  \
    "smlabt r12, r7, r5, r12\n"                                                 \
    O5B

/* stride 2: words W0 .. W6 of one kernel row; output k = SMLAD(Wk, w01) + SMLABT(Wk+1, w12) */
#define DWP_S2_ROW6(P, WOFF, B0, B1, B2, B3, O5A, O5B, INC, OFF1, OFF2)         \
    "ldrd r4, r5, [sp, #" WOFF "]\n"                                            \
    "ldrd r6, r7, [" P "], #" INC "\n"                                          \
    "smlad r8, r6, r4, " B0 "\n"                                                \
    "smlabt r8, r7, r5, r8\n"                                                   \
    "smlad r9, r7, r4, " B1 "\n"                                                \
    "ldrd r6, r7, [" P ", #" OFF1 "]\n"                                         \
    "smlabt r9, r6, r5, r9\n"                                                   \
    "smlad r10, r6, r4, " B2 "\n"                                               \
    "smlabt r10, r7, r5, r10\n"                                                 \
    "smlad r11, r7, r4, " B3 "\n"                                               \
    "ldrd r6, r7, [" P ", #" OFF2 "]\n"                                         \
    "smlabt r11, r6, r5, r11\n"                                                 \
    O5A                                                                         \
    "smlad r12, r6, r4, r12\n"                                                  \
    "smlabt r12, r7, r5, r12\n"                                                 \
    O5B

#define DWP_S1_O5A(B5) "smlatb lr, r6, r4, " B5 "\n"
#define DWP_S1_O5B "smlad lr, r7, r5, lr\n"
#define DWP_S2_O5A(B5) "smlad lr, r7, r4, " B5 "\n"

/* requantise A with temporary T (r4 = m, r5 = rnd, r6 = rs) and store it at [ADDR] */
#define DWP_RQT(T, A, ADDR)                                                     \
    "smmlar " T ", " A ", r4, r5\n"                                             \
    "add " T ", " T ", " A ", asr #31\n"                                        \
    "asr " T ", " T ", r6\n"                                                    \
    "ssat " T ", #8, " T "\n"                                                   \
    "strb " T ", " ADDR "\n"

#define DWP_RQ5(T)                                                              \
    "ldm sp, {r4-r7}\n"                                                         \
    DWP_RQT(T, "r8", "[r3]")                                                    \
    DWP_RQT(T, "r9", "[r3, r7]")                                                \
    "add r3, r3, r7, lsl #1\n"                                                  \
    DWP_RQT(T, "r10", "[r3]")                                                   \
    DWP_RQT(T, "r11", "[r3, r7]")                                               \
    "add r3, r3, r7, lsl #1\n"                                                  \
    DWP_RQT(T, "r12", "[r3]")

/* six outputs: the first with temporary r7 before c_n is loaded, the others with r8 (free once
 * the first is stored), so the row pointers r0-r2 survive the strip */
#define DWP_RQ6_STORE                                                           \
    "ldm sp, {r4-r6}\n"                                                         \
    DWP_RQT("r7", "r8", "[r3]")                                                 \
    "ldr r7, [sp, #12]\n"                                                       \
    DWP_RQT("r8", "r9", "[r3, r7]")                                             \
    "add r3, r3, r7, lsl #1\n"                                                  \
    DWP_RQT("r8", "r10", "[r3]")                                                \
    DWP_RQT("r8", "r11", "[r3, r7]")                                            \
    "add r3, r3, r7, lsl #1\n"                                                  \
    DWP_RQT("r8", "r12", "[r3]")                                                \
    DWP_RQT("r8", "lr", "[r3, r7]")                                             \
    "add r3, r3, r7, lsl #1\n"
/* five outputs (temporary lr) */
#define DWP_RQ5_STORE                                                           \
    DWP_RQ5("lr")                                                               \
    "add r3, r3, r7\n"
/* rows of three, five or six outputs (dwp_asm3, dwp_asm6): the strips advance the row pointers
 * by s buffer rows themselves (their post-increments: the row bytes 2 wb are fixed by the
 * width, 12 / 20 bytes for three outputs, 16 / 28 for five or six), so a row end is the output
 * test alone; output end at OUT_END (64: DWP_ENTER, 60: DWP_ENTER_V) */
#define DWP_ROW_END_AT(OUT_END, LOOP)                                           \
    "ldr r5, [sp, #" OUT_END "]\n"                                              \
    "cmp r3, r5\n"                                                              \
    "bne " LOOP "\n"                                                            \
    "b 9f\n"
#define DWP_ROW3_END(LOOP) DWP_ROW_END_AT("64", LOOP)
#define DWP_ROW6A_END(LOOP) DWP_ROW_END_AT("60", LOOP)

/* next row of a dwp_asm6n channel straight to its strip LOOP (in_fix and the output end in one
 * LDRD; a row is written whole: no output fix), else the channel end (9) */
#define DWP_ROW6V_END(LOOP)                                                     \
    "ldrd r4, r5, [sp, #56]\n"                                                  \
    "add r0, r0, r4\n"                                                          \
    "add r2, r2, r4\n"                                                          \
    "add r1, r1, r4\n"                                                          \
    "cmp r3, r5\n"                                                              \
    "bne " LOOP "\n"                                                            \
    "b 9f\n"

/* Requantisation with the shift as an immediate (SSAT #8, ASR #rs: four instructions per output
 * instead of five) for rs in DWP_RS_LO .. DWP_RS_LO + 7, else the register-shift form: per routine
 * a table of 128-byte slots (five outputs: slots 0-8, six: 9-17 in dwp_asm6; six only in
 * dwp_asm6n; .org pads each slot and fails the build if one overflows), slot 8 / 17 the register form. The strip jumps to its channel's slot (frame word
 * 108, set per channel) and the slot returns through frame word 104 (set on entry for the strip
 * variant taken). Same arithmetic as DWP_RQT: an immediate shift equals the register shift. */
#define DWP_RS_LO 3
#define DWP_RQI(SH, A, ADDR)                                                    \
    "smmlar r6, " A ", r4, r5\n"                                                \
    "add r6, r6, " A ", asr #31\n"                                              \
    "ssat r6, #8, r6" SH "\n"                                                   \
    "strb r6, " ADDR "\n"
/* five outputs at 0, 1, 2, 4 c_n from r3, then 3 c_n from r3 + c_n: two pointer steps */
#define DWP_V5(SH)                                                              \
    "ldm sp, {r4-r7}\n"                                                         \
    DWP_RQI(SH, "r8", "[r3]")                                                   \
    DWP_RQI(SH, "r9", "[r3, r7]")                                               \
    DWP_RQI(SH, "r10", "[r3, r7, lsl #1]")                                      \
    DWP_RQI(SH, "r12", "[r3, r7, lsl #2]")                                      \
    "add r3, r3, r7\n"                                                          \
    DWP_RQI(SH, "r11", "[r3, r7, lsl #1]")                                      \
    "add r3, r3, r7, lsl #2\n"                                                  \
    "ldr pc, [sp, #104]\n"
#define DWP_V6(SH)                                                              \
    "ldm sp, {r4-r7}\n"                                                         \
    DWP_RQI(SH, "r8", "[r3]")                                                   \
    DWP_RQI(SH, "r9", "[r3, r7]")                                               \
    "add r3, r3, r7, lsl #1\n"                                                  \
    DWP_RQI(SH, "r10", "[r3]")                                                  \
    DWP_RQI(SH, "r11", "[r3, r7]")                                              \
    "add r3, r3, r7, lsl #1\n"                                                  \
    DWP_RQI(SH, "r12", "[r3]")                                                  \
    DWP_RQI(SH, "lr", "[r3, r7]")                                               \
    "add r3, r3, r7, lsl #1\n"                                                  \
    "ldr pc, [sp, #104]\n"
#define DWP_VTABLE(V, GENERIC)                                                  \
    ".p2align 7\n"                                                              \
    "63:\n"                                                                     \
    V(", asr #3") ".org 63b + 128\n" V(", asr #4") ".org 63b + 256\n"          \
    V(", asr #5") ".org 63b + 384\n" V(", asr #6") ".org 63b + 512\n"          \
    V(", asr #7") ".org 63b + 640\n" V(", asr #8") ".org 63b + 768\n"          \
    V(", asr #9") ".org 63b + 896\n" V(", asr #10") ".org 63b + 1024\n"        \
    GENERIC                                                                     \
    "ldr pc, [sp, #104]\n"

/* DWP_ENTER with the slot machinery: frame 116 bytes (100: table, 104: return, 108: slot; the
 * channel's output end at 60, next to in_fix: one LDRD per row end, DWP_ROW6V_END);
 * SIX: byte offset of the six-output table from label 60 */
#define DWP_ENTER_V(SIX)                                                        \
    "push {r4-r11, lr}\n"                                                       \
    "sub sp, sp, #116\n"                                                        \
    "ldm r0!, {r1-r12}\n"                                                       \
    "stm sp, {r1-r12}\n"                                                        \
    "ldm r0!, {r1-r12}\n"                                                       \
    "add lr, sp, #48\n"                                                         \
    "stm lr, {r1-r12}\n"                                                        \
    "ldr r1, [r0]\n"                                                            \
    "ldr r2, [sp, #44]\n"                                                       \
    "cmp r1, #1\n"                                                              \
    "bne 68f\n"                                                                 \
    "adr.w r1, 31f\n"                                                           \
    "adr.w r3, 51f\n"                                                           \
    "cbnz r2, 67f\n"                                                            \
    "adr.w r1, 33f\n"                                                           \
    "adr.w r3, 53f\n"                                                           \
    "b 67f\n"                                                                   \
    "68:\n"                                                                     \
    "adr.w r1, 32f\n"                                                           \
    "adr.w r3, 52f\n"                                                           \
    "cbnz r2, 67f\n"                                                            \
    "adr.w r1, 34f\n"                                                           \
    "adr.w r3, 54f\n"                                                           \
    "67:\n"                                                                     \
    "adr.w r4, 60f\n"                                                           \
    "cbz r2, 69f\n"                                                             \
    "add r4, r4, #" SIX "\n"                                                    \
    "69:\n"                                                                     \
    "orr r1, r1, #1\n"                                                          \
    "orr r3, r3, #1\n"                                                          \
    "orr r4, r4, #1\n"                                                          \
    "str r1, [sp, #96]\n"                                                       \
    "strd r4, r3, [sp, #100]\n"                                                 \
    "6:\n"                                                                      \
    "ldrd r11, r12, [sp, #76]\n"                                                \
    "ldm r11!, {r4-r9}\n"                                                       \
    "add r10, sp, #16\n"                                                        \
    "stm r10, {r4-r9}\n"                                                        \
    "ldm r12!, {r4-r7}\n"                                                       \
    "strd r11, r12, [sp, #76]\n"                                                \
    "str r7, [sp, #40]\n"                                                       \
    "strd r4, r6, [sp, #0]\n"                                                   \
    "str r5, [sp, #8]\n"                                                        \
    "sub r5, r5, #" TFC_DWP_STR(DWP_RS_LO) "\n"                                 \
    "cmp r5, #8\n"                                                              \
    "it hs\n"                                                                   \
    "movhs r5, #8\n"                                                            \
    "ldr r8, [sp, #100]\n"                                                      \
    "add r8, r8, r5, lsl #7\n"                                                  \
    "str r8, [sp, #108]\n"                                                      \
    "ldrd r0, r3, [sp, #68]\n"                                                  \
    "ldrd r4, r5, [sp, #84]\n"                                                  \
    "add r4, r3, r4\n"                                                          \
    "str r4, [sp, #60]\n"                                                       \
    "add r6, r0, r5\n"                                                          \
    "add r7, r3, #1\n"                                                          \
    "strd r6, r7, [sp, #68]\n"                                                  \
    "ldr r12, [sp, #52]\n"                                                      \
    "add r1, r0, r12\n"                                                         \
    "add r2, r1, r12\n"                                                         \
    "ldr pc, [sp, #96]\n" /* (the strips' lr is an accumulator: no strip count) */
#define TFC_DWP_STR2(x) #x
#define TFC_DWP_STR(x) TFC_DWP_STR2(x)

static void __attribute__((naked, noinline, aligned(4), unused)) dwp_asm6(const dwp_args *a __attribute__((unused))) {
    __asm volatile(
        DWP_ENTER_V("1152")
        "31:\n" /* stride 1, six outputs */
        "ldr r12, [sp, #40]\n"
        DWP_S1_ROW6("r0", "16", "r12", "r12", "r12", "r12", DWP_S1_O5A("r12"), DWP_S1_O5B, "16", "-8")
        DWP_S1_ROW6("r1", "24", "r8", "r9", "r10", "r11", DWP_S1_O5A("lr"), DWP_S1_O5B, "16", "-8")
        DWP_S1_ROW6("r2", "32", "r8", "r9", "r10", "r11", DWP_S1_O5A("lr"), DWP_S1_O5B, "16", "-8")
        "ldr pc, [sp, #108]\n51:\n"
        DWP_ROW6A_END("31b")
        "33:\n" /* stride 1, five outputs */
        "ldr r12, [sp, #40]\n"
        DWP_S1_ROW6("r0", "16", "r12", "r12", "r12", "r12", "", "", "16", "-8")
        DWP_S1_ROW6("r1", "24", "r8", "r9", "r10", "r11", "", "", "16", "-8")
        DWP_S1_ROW6("r2", "32", "r8", "r9", "r10", "r11", "", "", "16", "-8")
        "ldr pc, [sp, #108]\n53:\n"
        DWP_ROW6A_END("33b")
        "32:\n" /* stride 2, six outputs */
        "ldr r12, [sp, #40]\n"
        DWP_S2_ROW6("r0", "16", "r12", "r12", "r12", "r12", DWP_S2_O5A("r12"), "ldr r6, [r0, #-32]\nsmlabt lr, r6, r5, lr\n", "56", "-48", "-40")
        DWP_S2_ROW6("r1", "24", "r8", "r9", "r10", "r11", DWP_S2_O5A("lr"), "ldr r6, [r1, #-32]\nsmlabt lr, r6, r5, lr\n", "56", "-48", "-40")
        DWP_S2_ROW6("r2", "32", "r8", "r9", "r10", "r11", DWP_S2_O5A("lr"), "ldr r6, [r2, #-32]\nsmlabt lr, r6, r5, lr\n", "56", "-48", "-40")
        "ldr pc, [sp, #108]\n52:\n"
        DWP_ROW6A_END("32b")
        "34:\n" /* stride 2, five outputs */
        "ldr r12, [sp, #40]\n"
        DWP_S2_ROW6("r0", "16", "r12", "r12", "r12", "r12", "", "", "56", "-48", "-40")
        DWP_S2_ROW6("r1", "24", "r8", "r9", "r10", "r11", "", "", "56", "-48", "-40")
        DWP_S2_ROW6("r2", "32", "r8", "r9", "r10", "r11", "", "", "56", "-48", "-40")
        "ldr pc, [sp, #108]\n54:\n"
        DWP_ROW6A_END("34b")
        "9:\n" /* next channel or the end */
        "ldr r4, [sp, #92]\n"
        "subs r4, r4, #1\n"
        "str r4, [sp, #92]\n"
        "bne 6b\n"
        "add sp, sp, #116\n"
        "pop {r4-r11, pc}\n"
        ".p2align 7\n"
        "60:\n"
        DWP_VTABLE(DWP_V5, DWP_RQ5_STORE)
        ".org 60b + 1152\n" /* the six-output table (SIX of DWP_ENTER_V): .org fails if slots overflow */
        DWP_VTABLE(DWP_V6, DWP_RQ6_STORE)
    );
}

/* Rows of three outputs (MobileNet's 3x3 maps): one three-accumulator strip per row (r8-r10,
 * requantisation temporary lr); the strip moves the row pointers on by s buffer rows. */
#define DWP_S1_ROW3(P, WOFF, B0, B1, B2)                                                 \
    "ldrd r4, r5, [sp, #" WOFF "]\n"                                            \
    "ldrd r6, r7, [" P "], #12\n"                                               \
    "smlad r8, r6, r4, " B0 "\n"                                               \
    "smlatb r9, r6, r4, " B1 "\n"                                              \
    "smlabt r8, r7, r5, r8\n"                                                   \
    "smlad r9, r7, r5, r9\n"                                                    \
    "smlad r10, r7, r4, " B2 "\n"                                             \
    "ldr r6, [" P ", #-4]\n"                                                    \
    "smlabt r10, r6, r5, r10\n"

#define DWP_S2_ROW3(P, WOFF, B0, B1, B2)                                                 \
    "ldrd r4, r5, [sp, #" WOFF "]\n"                                            \
    "ldrd r6, r7, [" P "], #40\n"                                               \
    "smlad r8, r6, r4, " B0 "\n"                                               \
    "smlabt r8, r7, r5, r8\n"                                                   \
    "smlad r9, r7, r4, " B1 "\n"                                               \
    "ldrd r6, r7, [" P ", #-32]\n"                                              \
    "smlabt r9, r6, r5, r9\n"                                                   \
    "smlad r10, r6, r4, " B2 "\n"                                             \
    "smlabt r10, r7, r5, r10\n"

#define DWP_RQ3_STORE                                                           \
    "ldm sp, {r4-r7}\n"                                                         \
    DWP_RQT("lr", "r8", "[r3]")                                                 \
    DWP_RQT("lr", "r9", "[r3, r7]")                                             \
    DWP_RQT("lr", "r10", "[r3, r7, lsl #1]")                                    \
    "add r3, r3, r7, lsl #1\n"                                                  \
    "add r3, r3, r7\n"

static void __attribute__((naked, noinline, aligned(4), unused)) dwp_asm3(const dwp_args *a __attribute__((unused))) {
    __asm volatile(
        DWP_ENTER
        "31:\n" /* stride 1 (33: the entry's label for n_full = 0, never taken) */
        "33:\n"
        "ldr r12, [sp, #40]\n"
        DWP_S1_ROW3("r0", "16", "r12", "r12", "r12")
        DWP_S1_ROW3("r1", "24", "r8", "r9", "r10")
        DWP_S1_ROW3("r2", "32", "r8", "r9", "r10")
        DWP_RQ3_STORE
        DWP_ROW3_END("31b")
        "32:\n" /* stride 2 */
        "34:\n"
        "ldr r12, [sp, #40]\n"
        DWP_S2_ROW3("r0", "16", "r12", "r12", "r12")
        DWP_S2_ROW3("r1", "24", "r8", "r9", "r10")
        DWP_S2_ROW3("r2", "32", "r8", "r9", "r10")
        DWP_RQ3_STORE
        DWP_ROW3_END("32b")
        "9:\n"
        "ldr r4, [sp, #92]\n"
        "subs r4, r4, #1\n"
        "str r4, [sp, #92]\n"
        "bne 6b\n"
        "add sp, sp, #100\n"
        "pop {r4-r11, pc}\n"
    );
}

/* Rows of 6k outputs, k >= 2 (MobileNet's 48, 24 and 12-wide maps): k six-output strips per row,
 * until the output pointer reaches the row's end (set per row in the frame's tail word, 48, from
 * the row's output bytes in n_full, 44); the strips advance r0-r2 themselves. The host sets
 * n_full = out_w c_n and in_fix = the row bytes less 12 s k. */
#define DWP_STRIP6_ROW                                                          \
    "ldr r4, [sp, #44]\n"                                                       \
    "add r4, r3, r4\n"                                                          \
    "str r4, [sp, #48]\n"
#define DWP_STRIP6_NEXT(LOOP)                                                   \
    "ldr r4, [sp, #48]\n"                                                       \
    "cmp r3, r4\n"                                                              \
    "bne " LOOP "\n"

static void __attribute__((naked, noinline, aligned(4), unused)) dwp_asm6n(const dwp_args *a __attribute__((unused))) {
    __asm volatile(
        DWP_ENTER_V("0")
        "31:\n" /* stride 1 (33: the entry's label for n_full = 0, never taken) */
        "33:\n"
        DWP_STRIP6_ROW
        "41:\n"
        "ldr r12, [sp, #40]\n"
        DWP_S1_ROW6("r0", "16", "r12", "r12", "r12", "r12", DWP_S1_O5A("r12"), DWP_S1_O5B, "12", "-4")
        DWP_S1_ROW6("r1", "24", "r8", "r9", "r10", "r11", DWP_S1_O5A("lr"), DWP_S1_O5B, "12", "-4")
        DWP_S1_ROW6("r2", "32", "r8", "r9", "r10", "r11", DWP_S1_O5A("lr"), DWP_S1_O5B, "12", "-4")
        "ldr pc, [sp, #108]\n51:\n53:\n"
        DWP_STRIP6_NEXT("41b")
        DWP_ROW6V_END("31b")
        "32:\n" /* stride 2 */
        "34:\n"
        DWP_STRIP6_ROW
        "42:\n"
        "ldr r12, [sp, #40]\n"
        DWP_S2_ROW6("r0", "16", "r12", "r12", "r12", "r12", DWP_S2_O5A("r12"), "ldr r6, [r0]\nsmlabt lr, r6, r5, lr\n", "24", "-16", "-8")
        DWP_S2_ROW6("r1", "24", "r8", "r9", "r10", "r11", DWP_S2_O5A("lr"), "ldr r6, [r1]\nsmlabt lr, r6, r5, lr\n", "24", "-16", "-8")
        DWP_S2_ROW6("r2", "32", "r8", "r9", "r10", "r11", DWP_S2_O5A("lr"), "ldr r6, [r2]\nsmlabt lr, r6, r5, lr\n", "24", "-16", "-8")
        "ldr pc, [sp, #108]\n52:\n54:\n"
        DWP_STRIP6_NEXT("42b")
        DWP_ROW6V_END("32b")
        "9:\n"
        "ldr r4, [sp, #92]\n"
        "subs r4, r4, #1\n"
        "str r4, [sp, #92]\n"
        "bne 6b\n"
        "add sp, sp, #116\n"
        "pop {r4-r11, pc}\n"
        ".p2align 7\n"
        "60:\n"
        DWP_VTABLE(DWP_V6, DWP_RQ6_STORE)
    );
}
#else
#define TFC_DWP_ROW6 0
#endif

#endif

/* One output row of one channel in C (host builds; activation clamps and layers without the
 * proven fast requantisation on the target): the assembly's arithmetic, output by output. */
static void __attribute__((noinline)) dwp_row_c(const tfc_conv_params *p, const uint32_t *r0, int32_t wb2,
                                                const uint32_t *w, int32_t c, int8_t *o, int fast) {
    const int32_t *q = p->rq + TFC_RQ_HEADER + 4 * c;
    const int32_t s = p->stride_w;
    int32_t ox;
    for (ox = 0; ox < p->out_w; ++ox) {
        int32_t acc = q[3], ky;
        for (ky = 0; ky < 3; ++ky) {
            const int16_t *row = (const int16_t *)(r0 + ky * wb2) + ox * s;
            const int16_t *wk = (const int16_t *)(w + 2 * ky); /* w0, w1, w1, w2 */
            acc += wk[0] * row[0] + wk[1] * row[1] + wk[3] * row[2];
        }
        /* fast: the zero point is in the rounding constant; the activation range lies in int8 */
        acc = fast ? (tfc_smmlar(acc, q[0], q[2]) + (acc >> 31)) >> q[1]
                   : tfc_mbqm(acc, p->mult[c], p->shift[c]) + p->out_zp;
        *o = (int8_t)tfc_clamp_i32(acc, p->act_min, p->act_max);
        o += p->in_c;
    }
}

/* Compressed planar layers: the weights of channels c0 .. c0 + 3 decoded into the dense layer's
 * planar pairs {(w0, w1), (w1, w2)} per kernel row (6 words per channel at d, weights << sh) */
typedef void (*dwp_decoder)(const tfc_conv_params *p, int32_t c0, tfc_sp_cursor *cur, uint32_t *d, int32_t sh);

static void dwp_pairs(const int32_t *w, int32_t sh, uint32_t *d) {
    const int32_t m = 1 << sh;
    int32_t ky;
    for (ky = 0; ky < 3; ++ky) {
        const uint32_t a = (uint16_t)(w[3 * ky] * m), b = (uint16_t)(w[3 * ky + 1] * m);
        const uint32_t c = (uint16_t)(w[3 * ky + 2] * m);
        d[2 * ky] = a | (b << 16);
        d[2 * ky + 1] = b | (c << 16);
    }
}

/* 4-bit: tap t of channel c is element t * out_c + c of the packed indices; the four channels of
 * a group (c0 and out_c multiples of four) are the four nibbles of one halfword per tap */
static void dwp_decode_w4(const tfc_conv_params *p, int32_t c0, tfc_sp_cursor *cur, uint32_t *d, int32_t sh) {
    const uint8_t *pk = (const uint8_t *)p->weights + (c0 >> 1);
    const int8_t *cb0 = TFC_W4_CODEBOOK(p, c0), *cb1 = TFC_W4_CODEBOOK(p, c0 + 1);
    const int8_t *cb2 = TFC_W4_CODEBOOK(p, c0 + 2), *cb3 = TFC_W4_CODEBOOK(p, c0 + 3);
    const int32_t step = p->out_c >> 1;
    int32_t t, w[4][9];
    (void)cur;
    for (t = 0; t < 9; ++t) {
        const uint32_t h = pk[0] | ((uint32_t)pk[1] << 8);
        w[0][t] = cb0[h & 15];
        w[1][t] = cb1[(h >> 4) & 15];
        w[2][t] = cb2[(h >> 8) & 15];
        w[3][t] = cb3[h >> 12];
        pk += step;
    }
    for (t = 0; t < 4; ++t) {
        dwp_pairs(w[t], sh, d + 6 * t);
    }
}

/* sparse: per channel a 9-bit tap bitmap (2 bytes), the non-zero values in channel order (the
 * cursor's value pointer carries over from the previous group of the band) */
static void dwp_decode_sp(const tfc_conv_params *p, int32_t c0, tfc_sp_cursor *cur, uint32_t *d, int32_t sh) {
    const uint8_t *bm = p->sp_bitmap + 2 * c0;
    const int8_t *v = cur->v;
    int32_t k, t, w[9];
    for (k = 0; k < 4; ++k) {
        uint32_t bits = bm[2 * k] | ((uint32_t)bm[2 * k + 1] << 8);
        for (t = 0; t < 9; ++t) {
            w[t] = 0;
        }
        while (bits) {
            w[__builtin_ctz(bits)] = *v++;
            bits &= bits - 1;
        }
        dwp_pairs(w, sh, d + 6 * k);
    }
    cur->v = v;
}

/* a compressed layer's decoder, its sparse cursor and one group's decoded pairs (in the
 * compressed entries' frames only: the dense entry's stack does not grow) */
typedef struct {
    dwp_decoder fn;
    tfc_sp_cursor cur;
    uint32_t w[24];
} dwp_decode_state;

/* inlined into each entry (one frame, as before the compressed entries; unused entries drop out) */
static inline __attribute__((always_inline)) void depthwise_planar(const tfc_conv_params *p, const int8_t *in,
                                                                   int8_t *out, int16_t *buf, const dwp_geom *g,
                                                                   dwp_decode_state *ds) {
    const int32_t c_n = p->in_c, s = p->stride_h, wb2 = g->wb / 2;
    const int fast = p->rq[0] & TFC_RQ_FAST;
#if TFC_DSP_ASM
    const int clamp = p->act_min > -128 || p->act_max < 127; /* the assembly has no activation clamp */
#endif
    const int32_t band = (g->rows_cap - 3) / s + 1; /* output rows per band */
    int32_t b, c0, oy0;
    dwp_pad_all(p, g, buf);
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * p->in_w * c_n;
        int8_t *out_b = out + b * p->out_h * p->out_w * c_n;
        for (oy0 = 0; oy0 < p->out_h; oy0 += band) {
            const int32_t n_oy = p->out_h - oy0 < band ? p->out_h - oy0 : band;
            const int32_t y0 = oy0 * s - p->pad_top;
            dwp_fill_args fill;
            const int data = dwp_band(p, g, in_b, y0, (n_oy - 1) * s + 3, buf, &fill);
            if (ds) {
                ds->cur.v = p->weights; /* sparse values from the first channel on */
            }
#if TFC_DSP_ASM
            dwp_args a;
            /* the strip routine, chosen once per band; each linked only where a layer of the model
             * takes it (engine/optimized/variants.py TFC_LINK_DWP_ASM*: dwp_asm, exact for any
             * width, stands in for the -O2 width-specific ones the model does not link) */
#if !TFC_DWP_ROW6 || TFC_LINK_DWP_ASM || !(TFC_LINK_DWP_ASM6 || TFC_LINK_DWP_ASM6N || TFC_LINK_DWP_ASM3)
            void (*run)(const dwp_args *) = dwp_asm;
#else
            void (*run)(const dwp_args *) = 0; /* the host links dwp_asm for every other width */
#endif
            if (fast && !clamp) {
                a.c_n = c_n;
                a.n_full = p->out_w >> 2;
                a.tail = p->out_w & 3;
                a.rb = 2 * g->wb;
                /* strips advance the row pointers by 8 s bytes per 4 outputs, 4 s per 2 */
                a.in_fix = 2 * s * g->wb - s * (8 * a.n_full + 4 * (a.tail >> 1));
                a.out_fix = (a.tail & 1) * c_n;
#if TFC_DWP_ROW6
                if (TFC_LINK_DWP_ASM6 && (p->out_w == 5 || p->out_w == 6)) { /* dwp_asm6: the strips move s rows on */
                    a.n_full = p->out_w - 5; /* 1: six outputs, 0: five (in_fix unused) */
                    a.tail = 0;
                    a.out_fix = 0;
                    run = dwp_asm6;
                } else if (TFC_LINK_DWP_ASM6N && p->out_w % 6 == 0) { /* dwp_asm6n: out_w / 6 strips of 12 s bytes */
                    a.n_full = p->out_w * c_n; /* a row's output bytes */
                    a.tail = 0;
                    a.in_fix = 2 * s * g->wb - 2 * s * p->out_w;
                    a.out_fix = 0;
                    run = dwp_asm6n;
                } else if (TFC_LINK_DWP_ASM3 && p->out_w == 3) { /* dwp_asm3: the strips move s rows on */
                    a.n_full = 1; /* in_fix unused */
                    a.tail = 0;
                    a.out_fix = 0;
                    run = dwp_asm3;
                }
#endif
                a.row = (const uint32_t *)buf;
                a.out_span = n_oy * p->out_w * c_n;
                a.plane = 2 * g->rows_cap * g->wb;
                a.n_ch = 4;
                a.stride = s;
            }
#endif
            for (c0 = 0; c0 < c_n; c0 += 4) {
                const uint32_t *wg; /* the group's pairs */
                int32_t k;
                if (ds) {
                    ds->fn(p, c0, &ds->cur, ds->w, fast ? 1 : 0);
                    wg = ds->w;
                } else {
                    wg = (const uint32_t *)p->weights + 6 * c0;
                }
                if (data) {
                    dwp_fill(&fill, c0);
                }
#if TFC_DSP_ASM
                if (fast && !clamp) { /* the group's four channels in one assembly call */
                    a.out = out_b + oy0 * p->out_w * c_n + c0;
                    a.wp = wg;
                    a.qp = p->rq + TFC_RQ_HEADER + 4 * c0;
                    run(&a);
                    continue;
                }
#if !TFC_LINK_DWP_ROW_C && !defined(__OPTIMIZE_SIZE__) /* -Os keeps them: without, GCC allocates this
                                                          * loop's registers worse (+0.03% instructions) */
                continue; /* not reached: the host links the C rows for layers off the assembly */
#endif
#endif
                for (k = 0; k < 4; ++k) {
                    const int32_t c = c0 + k;
                    const uint32_t *w = wg + 6 * k;
                    const uint32_t *plane = (const uint32_t *)(buf + k * g->rows_cap * g->wb);
                    int32_t oy;
                    for (oy = 0; oy < n_oy; ++oy) {
                        dwp_row_c(p, plane + oy * s * wb2, wb2, w, c, out_b + (oy0 + oy) * p->out_w * c_n + c, fast);
                    }
                }
            }
        }
    }
}

/* The planar path's own entry (the host names it for layers with TFC_RQ_PLANAR), so that models
 * without other depthwise layers link none of the code below. */
static inline __attribute__((always_inline)) void planar_entry(const tfc_conv_params *p, const int8_t *in,
                                                               int8_t *out, dwp_decode_state *ds) {
    const dwp_geom g = dwp_geometry(p);
    uint32_t buf_stack[p->scratch ? 1 : 2 * g.rows_cap * g.wb];
    depthwise_planar(p, in, out, p->scratch ? (int16_t *)p->scratch : (int16_t *)buf_stack, &g, ds);
}

void tfc_depthwise_conv2d_s8_planar(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    planar_entry(p, in, out, 0);
}

/* Planar layers with 4-bit / sparse weights (engine/optimized/depthwise.py prepare_compressed):
 * compressed in flash, decoded per group of four channels and band. */
void tfc_depthwise_conv2d_s8_planar_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    dwp_decode_state ds;
    ds.fn = dwp_decode_w4;
    planar_entry(p, in, out, &ds);
}

void tfc_depthwise_conv2d_s8_planar_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    dwp_decode_state ds;
    ds.fn = dwp_decode_sp;
    planar_entry(p, in, out, &ds);
}

void tfc_depthwise_conv2d_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    const int32_t c_n = p->in_c;
    const int fast = p->rq[0] & TFC_RQ_FAST;
    const int32_t in_h = p->in_h, in_w = p->in_w, k_h = p->k_h, k_w = p->k_w;
    const int32_t dil_h = p->dil_h, dil_w = p->dil_w;
    const int32_t row = in_w * c_n;
    const int32_t win_n = k_h * k_w * c_n;
    int32_t b, oy, ox;
    dw_layer L;
    if (p->depth_mult != 1 || (c_n & 3) != 0 || win_n > TFC_DW_MAX_WINDOW) {
        depthwise_generic(p, in, out, fast);
        return;
    }
    L.weights = p->weights;
    L.rq = p->rq;
    L.mult = p->mult;
    L.shift = p->shift;
    L.groups = c_n >> 2;
    L.k_h = k_h;
    L.k_w = k_w;
    L.fast = fast;
    L.os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    {
        /* border window: [kh][kw][c], padding taps = zero point (in the arena when p->scratch) */
        uint32_t win_stack[p->scratch ? 1 : win_n >> 2];
        uint32_t *const win = p->scratch ? (uint32_t *)p->scratch : win_stack;
        const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
        for (b = 0; b < p->batches; ++b) {
            const int8_t *in_b = in + b * in_h * row;
            for (oy = 0; oy < p->out_h; ++oy) {
                const int32_t y0 = oy * p->stride_h - p->pad_top;
                const int y_in = y0 >= 0 && y0 + (k_h - 1) * dil_h < in_h;
                for (ox = 0; ox < p->out_w; ++ox) {
                    const int32_t x0 = ox * p->stride_w - p->pad_left;
                    if (y_in && x0 >= 0 && x0 + (k_w - 1) * dil_w < in_w) {
                        dw_pixel(&L, in_b + y0 * row + x0 * c_n, dil_w * c_n, dil_h * row, out);
                    } else {
                        uint32_t *d = win;
                        int32_t ky, kx, i;
                        for (ky = 0; ky < k_h; ++ky) {
                            const int32_t y = y0 + ky * dil_h;
                            for (kx = 0; kx < k_w; ++kx) {
                                const int32_t x = x0 + kx * dil_w;
                                if (y >= 0 && y < in_h && x >= 0 && x < in_w) {
                                    const int8_t *src = in_b + y * row + x * c_n;
                                    for (i = 0; i < c_n; i += 4) {
                                        *d++ = tfc_ld32(src + i);
                                    }
                                } else {
                                    for (i = 0; i < c_n; i += 4) {
                                        *d++ = pad4;
                                    }
                                }
                            }
                        }
                        dw_pixel(&L, (const int8_t *)win, c_n, k_w * c_n, out);
                    }
                    out += c_n;
                }
            }
        }
    }
}
