/* CONV_2D (+ADD) with direct windows, int8, optimised for Cortex-M4/M7 (DSP):
 * tfc_conv2d_s8_direct and tfc_conv2d_add_s8_direct (engine/optimized/conv.py direct), linked only into
 * models that have such layers.
 *
 * For layers where the im2col scratch would raise the model's peak RAM: channels in whole words,
 * no dilation, so each kernel row of a window is one contiguous run of k_w * in_c input bytes.
 * Per channel pair, the dot products walk the two windows of a pixel pair row by row straight
 * from the input, widening four bytes with two SXTB16 (x0 x2 / x1 x3); the weights are stored
 * widened (int16, per group of four positions (w0, w2), (w1, w3) of channel c, then of c + 1), so
 * one SMLAD per pair of products and nothing else to unpack. Windows that leave the input are
 * first copied, padded with the input zero point, into a small buffer: a same-row pair's two
 * windows (k_h rows of k_w + stride_w pixels), or one window.
 */
#include <stddef.h>

#include "tfc_conv_opt.h"

/* Dot products of two windows with one channel pair's widened weights: rows of seg bytes, the
 * next row adv bytes after the end of one; a[0..3] += {px0.c, px1.c, px0.c+1, px1.c+1}. */
static void direct_dot(const int8_t *x0, const int8_t *x1, int32_t seg, int32_t adv, int32_t rows,
                       const int8_t *w, int32_t a[4]) {
    int32_t a00 = a[0], a10 = a[1], a01 = a[2], a11 = a[3], r, i;
    for (r = 0; r < rows; ++r) {
        for (i = 0; i < seg; i += 4) {
            const uint32_t v0 = tfc_ld32(x0 + i), v1 = tfc_ld32(x1 + i);
            const int32_t x0a = tfc_sxtb16(v0), x0b = tfc_sxtb16_ror8(v0);
            const int32_t x1a = tfc_sxtb16(v1), x1b = tfc_sxtb16_ror8(v1);
            int32_t wa = (int32_t)tfc_ld32(w), wb = (int32_t)tfc_ld32(w + 4);
            a00 = tfc_smlad(x0b, wb, tfc_smlad(x0a, wa, a00));
            a10 = tfc_smlad(x1b, wb, tfc_smlad(x1a, wa, a10));
            wa = (int32_t)tfc_ld32(w + 8);
            wb = (int32_t)tfc_ld32(w + 12);
            a01 = tfc_smlad(x0b, wb, tfc_smlad(x0a, wa, a01));
            a11 = tfc_smlad(x1b, wb, tfc_smlad(x1a, wa, a11));
            w += 16;
        }
        x0 += seg + adv;
        x1 += seg + adv;
    }
    a[0] = a00;
    a[1] = a10;
    a[2] = a01;
    a[3] = a11;
}

/* One pass of the direct kernels: all channel pairs of one or two pixels. The per-op fields are
 * set once; the assembly routine reads this layout (the same as conv_pairs_args from w on, for
 * CONV_RQ_STORE_NEXT) and updates q, o0, pairs and w_end. */
typedef struct {
    const int8_t *x0;  /* 0: first row of pixel 0's window */
    const int8_t *x1;  /* 4: of pixel 1's (= x0 for one pixel) */
    const int8_t *w;   /* 8: widened weights */
    const int32_t *q;  /* 12 */
    int8_t *o0;        /* 16 */
    int32_t o1_off;    /* 20: 0 = one pixel */
    int32_t pairs;     /* 24 */
    uint32_t lo4, hi4; /* 28, 32 */
    int32_t seg;       /* 36: bytes per kernel row, a multiple of 4 */
    int32_t adv;       /* 40: from the end of one row to the start of the next */
    int32_t kb;        /* 44: weight bytes per channel pair (4 * rows * seg) */
    const int8_t *w_end; /* 48: working: end of the channel pair's weights */
    int32_t rows;      /* 52: kernel rows */
} conv_direct_args;

#if TFC_DSP_ASM
/* direct_pairs_asm and CONV_RQ_STORE_NEXT read the block with conv_pairs_args' offsets from w on */
typedef char conv_direct_args_layout_check[(offsetof(conv_direct_args, w) == offsetof(conv_pairs_args, w) &&
                                            offsetof(conv_direct_args, q) == offsetof(conv_pairs_args, q) &&
                                            offsetof(conv_direct_args, o0) == offsetof(conv_pairs_args, o0) &&
                                            offsetof(conv_direct_args, o1_off) == offsetof(conv_pairs_args, o1_off) &&
                                            offsetof(conv_direct_args, pairs) == offsetof(conv_pairs_args, pairs) &&
                                            offsetof(conv_direct_args, lo4) == offsetof(conv_pairs_args, lo4) &&
                                            offsetof(conv_direct_args, hi4) == offsetof(conv_pairs_args, hi4))
                                               ? 1 : -1];

/* One group of four window positions of both pixels (x: ldr + two SXTB16 each) against one
 * channel pair's widened weights (two LDRD): 16 MACs in 16 instructions. direct_pairs_asm, per
 * channel pair: accumulators from the folded biases, per kernel row four groups per iteration
 * (entered part-way for the remainder), then CONV_RQ_STORE_NEXT. */
#define CONV_DIRECT_GROUP \
    "ldr r5, [r10], #4\n" \
    "ldr r7, [r11], #4\n" \
    "sxtb16 r6, r5, ror #8\n" \
    "sxtb16 r5, r5\n" \
    "sxtb16 r8, r7, ror #8\n" \
    "sxtb16 r7, r7\n" \
    "ldrd r12, r0, [r9], #8\n" \
    "smlad r1, r5, r12, r1\n" \
    "smlad r1, r6, r0, r1\n" \
    "smlad r2, r7, r12, r2\n" \
    "smlad r2, r8, r0, r2\n" \
    "ldrd r12, r0, [r9], #8\n" \
    "smlad r3, r5, r12, r3\n" \
    "smlad r3, r6, r0, r3\n" \
    "smlad r4, r7, r12, r4\n" \
    "smlad r4, r8, r0, r4\n"

static void __attribute__((naked, noinline)) direct_pairs_asm(conv_direct_args *d __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "push {r0}\n"
        "ldr r9, [r0, #8]\n"
        "1:\n"
        "ldr r0, [sp]\n"
        "ldr r12, [r0, #12]\n"
        "ldrd r10, r11, [r0]\n"
        "ldr r1, [r12, #12]\n"
        "ldr r3, [r12, #28]\n"
        "mov r2, r1\n"
        "mov r4, r3\n"
        "ldr r5, [r0, #44]\n"
        "add r5, r9, r5\n"
        "str r5, [r0, #48]\n"
        "5:\n" /* r0: args */
        "ldr r5, [r0, #36]\n"
        "add lr, r10, r5\n"
        "ands r5, r5, #12\n" /* 4 x (groups of four positions mod 4): where to enter */
        "beq 2f\n"
        "cmp r5, #8\n"
        "beq 7f\n"
        "bhi 6f\n"
        "b 8f\n"
        "2:\n"
        CONV_DIRECT_GROUP
        "6:\n"
        CONV_DIRECT_GROUP
        "7:\n"
        CONV_DIRECT_GROUP
        "8:\n"
        CONV_DIRECT_GROUP
        "cmp r10, lr\n"
        "bne 2b\n"
        "ldr r0, [sp]\n"
        "ldr r5, [r0, #40]\n"
        "add r10, r10, r5\n"
        "add r11, r11, r5\n"
        "ldr r5, [r0, #48]\n"
        "cmp r9, r5\n"
        "bne 5b\n"
        CONV_RQ_STORE_NEXT
        "add sp, sp, #4\n"
        "pop {r4-r11, pc}\n"
    );
}
#endif

/* Output channels oc.. of a pass in C: layers without TFC_RQ_FAST, the last channel of an odd
 * count (paired with zero weights), builds without the assembly. */
static void __attribute__((noinline)) direct_channels_c(const tfc_conv_params *p, const conv_direct_args *d, int32_t oc) {
    const int fast = p->rq[0] & TFC_RQ_FAST;
    const int8_t *w = d->w + (oc >> 1) * d->kb;
    const int32_t *q = p->rq + TFC_RQ_HEADER + 4 * oc;
    for (; oc < p->out_c; oc += 2) {
        int32_t a[4], i;
        a[0] = a[1] = q[3];
        a[2] = a[3] = q[7];
        direct_dot(d->x0, d->x1, d->seg, d->adv, d->rows, w, a);
        for (i = 0; i < 4; ++i) { /* {px0.c, px1.c, px0.c+1, px1.c+1} */
            const int32_t c = oc + (i >> 1);
            if (c < p->out_c && (d->o1_off || !(i & 1))) {
                d->o0[(i & 1) * d->o1_off + c] = tfc_conv_requant(a[i], p, q + 4 * (i >> 1), c, fast);
            }
        }
        w += d->kb;
        q += 8;
    }
}

/* All output channels of a pass (d: x0, x1, adv, o0, o1_off set; w, lo4, hi4, seg, kb, rows per op). */
static inline void direct_channels(const tfc_conv_params *p, conv_direct_args *d) {
    int32_t oc = 0;
#if TFC_DSP_ASM
    if ((p->rq[0] & TFC_RQ_FAST) && p->out_c >= 2) { /* channel pairs in assembly */
        d->q = p->rq + TFC_RQ_HEADER;
        d->pairs = p->out_c >> 1;
        direct_pairs_asm(d);
        oc = p->out_c & ~1;
        d->o0 -= oc; /* advanced by the routine */
    }
#endif
    if (oc < p->out_c) {
        direct_channels_c(p, d, oc);
    }
}

/* Copy the window rows y .. y + k_h - 1, columns x .. x + cols - 1 into buf, padded. */
static void direct_fill(const tfc_conv_params *p, const int8_t *in_b, int32_t y, int32_t x, int32_t cols, int8_t *buf) {
    const int32_t ic_n = p->in_c;
    const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
    uint32_t *dst = (uint32_t *)buf;
    int32_t r, c, i;
    for (r = y; r < y + p->k_h; ++r) {
        for (c = x; c < x + cols; ++c) {
            const int ok = r >= 0 && r < p->in_h && c >= 0 && c < p->in_w;
            const int8_t *src = in_b + (r * p->in_w + c) * ic_n;
            for (i = 0; i < ic_n; i += 4) {
                *dst++ = ok ? tfc_ld32(src + i) : pad4;
            }
        }
    }
}

/* The pixel pairs of the direct-window kernels: two pixels of one output row in one pass (from
 * the input, or from one padded copy of both windows when either leaves it), a pair across two
 * rows (odd out_w) or a last single pixel one window at a time. mem: the border buffer
 * (buf_words), then a pair's conv results (fused ADD; its tables are in flash, add->tables). */
static void __attribute__((noinline)) conv_direct_run(const tfc_conv_params *p, const tfc_binary_params *add,
                                                      const int8_t *in, const int8_t *residual, int8_t *out,
                                                      int32_t *mem, int32_t buf_words) {
    const int32_t ic_n = p->in_c, oc_n = p->out_c, ow = p->out_w, npix = p->out_h * ow;
    const int32_t seg = p->k_w * ic_n, row = p->in_w * ic_n;
    int8_t *const buf = (int8_t *)mem;
    int8_t *const pair_out = (int8_t *)(mem + buf_words);
    const int32_t *const lut1 = add ? add->tables : 0;
    const int add_fast = add ? add->tables_fast : 0;
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    conv_direct_args d;
    int32_t b, pix, j;
    d.w = p->weights;
    d.lo4 = os.lo4;
    d.hi4 = os.hi4;
    d.seg = seg;
    d.rows = p->k_h;
    d.kb = 4 * p->k_h * seg;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + b * p->in_h * row;
        int32_t oy = 0, ox = 0; /* of pixel pix */
        for (pix = 0; pix < npix; pix += 2) {
            const int32_t n = pix + 1 < npix ? 2 : 1;
            const int32_t per = n == 2 && ox + 1 < ow ? 2 : 1;     /* pixels per pass */
            const int32_t cols = p->k_w + (per - 1) * p->stride_w; /* the pass's windows span */
            const int32_t at = (b * npix + pix) * oc_n;
            int8_t *const o = add ? pair_out : out + at;
            for (j = 0; j < n; j += per) {
                const int32_t y = oy * p->stride_h - p->pad_top, x = ox * p->stride_w - p->pad_left;
                const int8_t *s = buf;
                d.adv = (cols - p->k_w) * ic_n;
                if (y >= 0 && x >= 0 && y + p->k_h <= p->in_h && x + cols <= p->in_w) {
                    s = in_b + (y * p->in_w + x) * ic_n;
                    d.adv = row - seg;
                } else {
                    direct_fill(p, in_b, y, x, cols, buf);
                }
                d.x0 = s;
                d.x1 = s + (per - 1) * p->stride_w * ic_n;
                d.o0 = o + j * oc_n;
                d.o1_off = (per - 1) * oc_n;
                direct_channels(p, &d);
                ox += per;
                if (ox >= ow) {
                    ox = 0;
                    ++oy;
                }
            }
            if (add) {
                tfc_add_dense(add, pair_out, residual + at, out + at, n * oc_n, lut1, lut1 + 256, add_fast);
            }
        }
    }
}

/* Scratch (engine/optimized/conv.py direct_scratch): the border buffer (k_h rows of k_w + stride_w
 * pixels) when some window leaves the input, with a fused ADD a pair's conv results; in the
 * arena when the planner placed it there (p->scratch), else on the stack. */
static void __attribute__((noinline)) conv_direct(const tfc_conv_params *p, const tfc_binary_params *add,
                                                  const int8_t *in, const int8_t *residual, int8_t *out) {
    const int border = p->pad_top > 0 || p->pad_left > 0 ||
                       (p->out_h - 1) * p->stride_h - p->pad_top + p->k_h > p->in_h ||
                       (p->out_w - 1) * p->stride_w - p->pad_left + p->k_w > p->in_w;
    const int32_t buf_words = border ? (p->k_h * (p->k_w + p->stride_w) * p->in_c) >> 2 : 0;
    if (p->scratch) {
        conv_direct_run(p, add, in, residual, out, (int32_t *)p->scratch, buf_words);
    } else {
        int32_t stack[1 + buf_words + (add ? (2 * p->out_c + 3) >> 2 : 0)];
        conv_direct_run(p, add, in, residual, out, stack, buf_words);
    }
}

void tfc_conv2d_s8_direct(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    conv_direct(p, 0, in, 0, out);
}

void tfc_conv2d_add_s8_direct(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                              const int8_t *residual, int8_t *out) {
    conv_direct(p, add, in, residual, out);
}
