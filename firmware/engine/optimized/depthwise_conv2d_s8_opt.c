/* DEPTHWISE_CONV_2D, int8, optimised for Cortex-M4/M7 (DSP): drop-in for depthwise_conv2d_s8.c.
 *
 * Depth multiplier 1 and a channel count divisible by four (every MobileNet / DS-CNN layer):
 * four channels per word; SXTB16 splits a word into (c0, c2) and (c1, c3) halfword pairs and
 * SMLABB / SMLATT accumulate each channel separately. The host re-lays the weights out per group
 * of four channels ([c/4][kh*kw][4]) so they stream from one pointer. Interior pixels read the
 * input in place; border pixels first copy their window into a small stack buffer with the
 * input zero point in the padding taps (what the reference reads there, so the host-folded
 * bias stays exact). Other shapes take a plain loop with the same arithmetic.
 */
#include "tfc_dsp.h"
#include "../tfc_kernels.h"

/* Largest kh * kw * channels the border window buffer holds; larger layers use the plain loop.
 * Keep in sync with kernels_opt.DW_MAX_WINDOW. */
#define TFC_DW_MAX_WINDOW 2304

static inline int8_t requant(int32_t acc, const tfc_conv_params *p, const int32_t *q, int32_t oc, int fast) {
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    return fast ? tfc_clamp8(tfc_rq_fast(acc, q[0], q[1], q[2]), &os) : tfc_out8(tfc_mbqm(acc, p->mult[oc], p->shift[oc]), &os);
}

/* Original 1HWO weights: depth multiplier != 1 or channels not a multiple of four. */
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
                        *out++ = requant(acc, p, p->rq + TFC_RQ_HEADER + 4 * oc, oc, fast);
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

#if TFC_DSP_ASM
/* TFC_RQ_WIDE 3x3 layers: every channel group of a run of output pixels in one assembly routine
 * (taps with the host-widened, doubled weights: no weight unpacking and no shift before SMMULR;
 * requantisation with the zero point in the rounding constant, packed clamp, one word store per
 * group). Same arithmetic as the C path in dw_pixel. */
typedef struct {
    const int8_t *s;    /* 0: top-left tap of channel 0 */
    int32_t tx, ty;     /* 4, 8: tap strides */
    const uint32_t *w;  /* 12: [groups][9] x {(2w0, 2w2), (2w1, 2w3)} int16 weight pairs */
    const int32_t *q;   /* 16: rq entries of channel 0 */
    int8_t *out;        /* 20 */
    int32_t groups;     /* 24: >= 1 */
    uint32_t lo4, hi4;  /* 28, 32: activation range in every byte */
    int32_t npix;       /* 36: >= 1 output pixels in a row (s advances by sx, out by groups * 4) */
    int32_t sx;         /* 40 */
} dw3x3_args;

static void __attribute__((naked, noinline)) dw3x3_fast(const dw3x3_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "ldr r11, [r0, #4]\n"
        "ldr r12, [r0, #8]\n"
        "ldr r1, [r0, #20]\n"
        "ldrd r3, r4, [r0, #28]\n"
        "push {r0, r1, r2, r3, r4}\n"
        "5:\n"
        "ldr r0, [sp]\n"
        "ldr r10, [r0, #0]\n"
        "ldr r9, [r0, #12]\n"
        "ldr lr, [r0, #16]\n"
        "ldr r1, [r0, #24]\n"
        "str r1, [sp, #8]\n"
        "1:\n"
        "ldr r0, [lr, #12]\n"
        "ldr r1, [lr, #28]\n"
        "ldr r2, [lr, #44]\n"
        "ldr r3, [lr, #60]\n"
        "ldr r4, [r10]\n"
        "ldrd r5, r7, [r9], #8\n"
        "sxtb16 r6, r4\n"
        "smlabb r0, r6, r5, r0\n"
        "smlatt r2, r6, r5, r2\n"
        "sxtb16 r6, r4, ror #8\n"
        "smlabb r1, r6, r7, r1\n"
        "smlatt r3, r6, r7, r3\n"
        "ldr r4, [r10, r11]\n"
        "ldrd r5, r7, [r9], #8\n"
        "sxtb16 r6, r4\n"
        "smlabb r0, r6, r5, r0\n"
        "smlatt r2, r6, r5, r2\n"
        "sxtb16 r6, r4, ror #8\n"
        "smlabb r1, r6, r7, r1\n"
        "smlatt r3, r6, r7, r3\n"
        "ldr r4, [r10, r11, lsl #1]\n"
        "ldrd r5, r7, [r9], #8\n"
        "sxtb16 r6, r4\n"
        "smlabb r0, r6, r5, r0\n"
        "smlatt r2, r6, r5, r2\n"
        "sxtb16 r6, r4, ror #8\n"
        "smlabb r1, r6, r7, r1\n"
        "smlatt r3, r6, r7, r3\n"
        "add r10, r10, r12\n"
        "ldr r4, [r10]\n"
        "ldrd r5, r7, [r9], #8\n"
        "sxtb16 r6, r4\n"
        "smlabb r0, r6, r5, r0\n"
        "smlatt r2, r6, r5, r2\n"
        "sxtb16 r6, r4, ror #8\n"
        "smlabb r1, r6, r7, r1\n"
        "smlatt r3, r6, r7, r3\n"
        "ldr r4, [r10, r11]\n"
        "ldrd r5, r7, [r9], #8\n"
        "sxtb16 r6, r4\n"
        "smlabb r0, r6, r5, r0\n"
        "smlatt r2, r6, r5, r2\n"
        "sxtb16 r6, r4, ror #8\n"
        "smlabb r1, r6, r7, r1\n"
        "smlatt r3, r6, r7, r3\n"
        "ldr r4, [r10, r11, lsl #1]\n"
        "ldrd r5, r7, [r9], #8\n"
        "sxtb16 r6, r4\n"
        "smlabb r0, r6, r5, r0\n"
        "smlatt r2, r6, r5, r2\n"
        "sxtb16 r6, r4, ror #8\n"
        "smlabb r1, r6, r7, r1\n"
        "smlatt r3, r6, r7, r3\n"
        "add r10, r10, r12\n"
        "ldr r4, [r10]\n"
        "ldrd r5, r7, [r9], #8\n"
        "sxtb16 r6, r4\n"
        "smlabb r0, r6, r5, r0\n"
        "smlatt r2, r6, r5, r2\n"
        "sxtb16 r6, r4, ror #8\n"
        "smlabb r1, r6, r7, r1\n"
        "smlatt r3, r6, r7, r3\n"
        "ldr r4, [r10, r11]\n"
        "ldrd r5, r7, [r9], #8\n"
        "sxtb16 r6, r4\n"
        "smlabb r0, r6, r5, r0\n"
        "smlatt r2, r6, r5, r2\n"
        "sxtb16 r6, r4, ror #8\n"
        "smlabb r1, r6, r7, r1\n"
        "smlatt r3, r6, r7, r3\n"
        "ldr r4, [r10, r11, lsl #1]\n"
        "ldrd r5, r7, [r9], #8\n"
        "sxtb16 r6, r4\n"
        "smlabb r0, r6, r5, r0\n"
        "smlatt r2, r6, r5, r2\n"
        "sxtb16 r6, r4, ror #8\n"
        "smlabb r1, r6, r7, r1\n"
        "smlatt r3, r6, r7, r3\n"
        "ldrd r4, r5, [lr, #0]\n"
        "ldr r6, [lr, #8]\n"
        "smmulr r0, r0, r4\n"
        "add r0, r0, r0, asr #31\n"
        "add r0, r0, r6\n"
        "asr r0, r0, r5\n"
        "ssat r0, #8, r0\n"
        "ldrd r4, r5, [lr, #16]\n"
        "ldr r6, [lr, #24]\n"
        "smmulr r1, r1, r4\n"
        "add r1, r1, r1, asr #31\n"
        "add r1, r1, r6\n"
        "asr r1, r1, r5\n"
        "ssat r1, #8, r1\n"
        "ldrd r4, r5, [lr, #32]\n"
        "ldr r6, [lr, #40]\n"
        "smmulr r2, r2, r4\n"
        "add r2, r2, r2, asr #31\n"
        "add r2, r2, r6\n"
        "asr r2, r2, r5\n"
        "ssat r2, #8, r2\n"
        "ldrd r4, r5, [lr, #48]\n"
        "ldr r6, [lr, #56]\n"
        "smmulr r3, r3, r4\n"
        "add r3, r3, r3, asr #31\n"
        "add r3, r3, r6\n"
        "asr r3, r3, r5\n"
        "ssat r3, #8, r3\n"
        "add lr, lr, #64\n"
        "pkhbt r0, r0, r2, lsl #16\n"
        "uxtb16 r0, r0\n"
        "pkhbt r1, r1, r3, lsl #16\n"
        "uxtb16 r1, r1\n"
        "orr r0, r0, r1, lsl #8\n"
        "ldrd r4, r5, [sp, #12]\n"
        "ssub8 r6, r0, r4\n"
        "sel r0, r0, r4\n"
        "ssub8 r6, r0, r5\n"
        "sel r0, r5, r0\n"
        "ldr r4, [sp, #4]\n"
        "str r0, [r4], #4\n"
        "str r4, [sp, #4]\n"
        "sub r10, r10, r12, lsl #1\n"
        "add r10, r10, #4\n"
        "ldr r4, [sp, #8]\n"
        "subs r4, r4, #1\n"
        "str r4, [sp, #8]\n"
        "bne 1b\n"
        "ldr r0, [sp]\n"
        "ldr r1, [r0, #0]\n"
        "ldr r2, [r0, #40]\n"
        "add r1, r1, r2\n"
        "str r1, [r0, #0]\n"
        "ldr r2, [r0, #36]\n"
        "subs r2, r2, #1\n"
        "str r2, [r0, #36]\n"
        "bne 5b\n"
        "add sp, sp, #20\n"
        "pop {r4-r11, pc}\n"
    );
}
#endif

typedef struct {
    const int8_t *weights; /* [c/4][taps][4] */
    const int32_t *rq, *mult, *shift;
    int32_t groups, k_h, k_w, fast, wide; /* wide: TFC_RQ_WIDE (3x3, int16 doubled weights) */
    tfc_out_stage os;
} dw_layer;

/* One tap for four channels: sign-extend the input word x and weight word wv into int16 pairs
 * and accumulate channels 0/2 (even bytes) and 1/3 (odd bytes) into a0..a3. */
#define TFC_DW_TAP4                                   \
    "sxtb16 %[t1], %[x]\n\t"                         \
    "sxtb16 %[t2], %[wv]\n\t"                        \
    "smlabb %[a0], %[t1], %[t2], %[a0]\n\t"          \
    "smlatt %[a2], %[t1], %[t2], %[a2]\n\t"          \
    "sxtb16 %[t1], %[x], ror #8\n\t"                 \
    "sxtb16 %[t2], %[wv], ror #8\n\t"                \
    "smlabb %[a1], %[t1], %[t2], %[a1]\n\t"          \
    "smlatt %[a3], %[t1], %[t2], %[a3]\n\t"

/* All channels of one output pixel; s = top-left tap of channel 0, tx / ty = tap strides. */
static void __attribute__((noinline)) dw_pixel(const dw_layer *L, const int8_t *s, int32_t tx, int32_t ty,
                                               int8_t *out) {
    const int32_t *q = L->rq + TFC_RQ_HEADER;
    const uint32_t *w = (const uint32_t *)L->weights;
    const tfc_out_stage os = L->os;
    const int32_t groups = L->groups;
    const int32_t k_h = L->k_h, k_w = L->k_w;
    int32_t g;
#if TFC_DSP_ASM
    if (L->wide && groups > 0) {
        dw3x3_args a;
        a.s = s;
        a.tx = tx;
        a.ty = ty;
        a.w = w;
        a.q = q;
        a.out = out;
        a.groups = groups;
        a.lo4 = os.lo4;
        a.hi4 = os.hi4;
        a.npix = 1;
        a.sx = 0;
        dw3x3_fast(&a);
        return;
    }
#endif
    if (L->wide) { /* the assembly routine's arithmetic in C */
        const int32_t *w2 = (const int32_t *)L->weights;
        for (g = 0; g < groups; ++g) {
            int32_t a0 = q[3], a1 = q[7], a2 = q[11], a3 = q[15]; /* doubled folded biases */
            int32_t ky, kx;
            uint32_t v;
            for (ky = 0; ky < 3; ++ky) {
                for (kx = 0; kx < 3; ++kx) {
                    const uint32_t x = tfc_ld32(s + ky * ty + kx * tx);
                    const int32_t xs = tfc_sxtb16(x), xr = tfc_sxtb16_ror8(x);
                    a0 = tfc_smlabb(xs, w2[0], a0);
                    a2 = tfc_smlatt(xs, w2[0], a2);
                    a1 = tfc_smlabb(xr, w2[1], a1);
                    a3 = tfc_smlatt(xr, w2[1], a3);
                    w2 += 2;
                }
            }
            v = tfc_pack4(tfc_ssat8(tfc_rq_x2(a0, q[0], q[1], q[2])), tfc_ssat8(tfc_rq_x2(a1, q[4], q[5], q[6])),
                          tfc_ssat8(tfc_rq_x2(a2, q[8], q[9], q[10])), tfc_ssat8(tfc_rq_x2(a3, q[12], q[13], q[14])));
            v = tfc_clamp4(v, os.lo4, os.hi4);
            __builtin_memcpy(out, &v, 4);
            out += 4;
            q += 16;
            s += 4;
        }
        return;
    }
    for (g = 0; g < groups; ++g) {
        int32_t a0 = q[3], a1 = q[7], a2 = q[11], a3 = q[15]; /* folded biases */
#if TFC_DSP_ASM
        if (k_h == 3 && k_w == 3) {
            const int8_t *r = s;
            uint32_t x, wv, t1, t2;
            __asm volatile(
            "ldr %[x], [%[r]]\n\t"
            "ldr %[wv], [%[w]], #4\n\t"
            TFC_DW_TAP4
            "ldr %[x], [%[r], %[tx]]\n\t"
            "ldr %[wv], [%[w]], #4\n\t"
            TFC_DW_TAP4
            "ldr %[x], [%[r], %[tx], lsl #1]\n\t"
            "ldr %[wv], [%[w]], #4\n\t"
            TFC_DW_TAP4
            "add %[r], %[r], %[ty]\n\t"
            "ldr %[x], [%[r]]\n\t"
            "ldr %[wv], [%[w]], #4\n\t"
            TFC_DW_TAP4
            "ldr %[x], [%[r], %[tx]]\n\t"
            "ldr %[wv], [%[w]], #4\n\t"
            TFC_DW_TAP4
            "ldr %[x], [%[r], %[tx], lsl #1]\n\t"
            "ldr %[wv], [%[w]], #4\n\t"
            TFC_DW_TAP4
            "add %[r], %[r], %[ty]\n\t"
            "ldr %[x], [%[r]]\n\t"
            "ldr %[wv], [%[w]], #4\n\t"
            TFC_DW_TAP4
            "ldr %[x], [%[r], %[tx]]\n\t"
            "ldr %[wv], [%[w]], #4\n\t"
            TFC_DW_TAP4
            "ldr %[x], [%[r], %[tx], lsl #1]\n\t"
            "ldr %[wv], [%[w]], #4\n\t"
            TFC_DW_TAP4
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [r] "+r"(r), [w] "+r"(w),
              [x] "=&r"(x), [wv] "=&r"(wv), [t1] "=&r"(t1), [t2] "=&r"(t2)
            : [tx] "r"(tx), [ty] "r"(ty)
            : "memory");
        } else
#endif
        if (k_h == 3 && k_w == 3) {
            const int8_t *r = s;
            TFC_DW_TAP(tfc_ld32(r), w[0]);
            TFC_DW_TAP(tfc_ld32(r + tx), w[1]);
            TFC_DW_TAP(tfc_ld32(r + 2 * tx), w[2]);
            r += ty;
            TFC_DW_TAP(tfc_ld32(r), w[3]);
            TFC_DW_TAP(tfc_ld32(r + tx), w[4]);
            TFC_DW_TAP(tfc_ld32(r + 2 * tx), w[5]);
            r += ty;
            TFC_DW_TAP(tfc_ld32(r), w[6]);
            TFC_DW_TAP(tfc_ld32(r + tx), w[7]);
            TFC_DW_TAP(tfc_ld32(r + 2 * tx), w[8]);
            w += 9;
        } else {
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
    L.wide = (p->rq[0] & TFC_RQ_WIDE) != 0;
    L.os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    {
        /* border window: [kh][kw][c], padding taps = zero point (in the arena when p->scratch) */
        uint32_t win_stack[p->scratch ? 1 : win_n >> 2];
        uint32_t *const win = p->scratch ? (uint32_t *)p->scratch : win_stack;
        const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
#if TFC_DSP_ASM
        const int run_ok = L.wide;
#endif
        for (b = 0; b < p->batches; ++b) {
            const int8_t *in_b = in + b * in_h * row;
            for (oy = 0; oy < p->out_h; ++oy) {
                const int32_t y0 = oy * p->stride_h - p->pad_top;
                const int y_in = y0 >= 0 && y0 + (k_h - 1) * dil_h < in_h;
                for (ox = 0; ox < p->out_w; ++ox) {
                    const int32_t x0 = ox * p->stride_w - p->pad_left;
#if TFC_DSP_ASM
                    if (run_ok && y_in && x0 >= 0 && x0 + (k_w - 1) * dil_w < in_w) {
                        int32_t n = 1; /* interior run: one assembly call for the whole run */
                        dw3x3_args a;
                        while (ox + n < p->out_w && (ox + n) * p->stride_w - p->pad_left + (k_w - 1) * dil_w < in_w) {
                            ++n;
                        }
                        a.s = in_b + y0 * row + x0 * c_n;
                        a.tx = dil_w * c_n;
                        a.ty = dil_h * row;
                        a.w = (const uint32_t *)L.weights;
                        a.q = L.rq + TFC_RQ_HEADER;
                        a.out = out;
                        a.groups = L.groups;
                        a.lo4 = L.os.lo4;
                        a.hi4 = L.os.hi4;
                        a.npix = n;
                        a.sx = p->stride_w * c_n;
                        dw3x3_fast(&a);
                        out += n * c_n;
                        ox += n - 1;
                        continue;
                    }
#endif
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
