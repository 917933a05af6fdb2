/* CONV_2D (+ADD) with compressed weights, optimised for Cortex-M4/M7 (DSP): 4-bit indices into
 * codebooks (weights4.py) and bitmap + non-zero values (weights_sparse.py). Kernels
 * tfc_conv2d_s8_dec_w4, tfc_conv2d_add_s8_dec_w4, tfc_conv2d_s8_dec_sp, tfc_conv2d_add_s8_dec_sp
 * (host side: tfcompress/engine/optimized/decoded.py).
 *
 * No per-weight table walk in the inner loop: the output channels are taken in blocks
 * (rq[1] channels, even; the whole layer when its decoded weights fit the budget chosen on the
 * host, else blocks of equal size). A block's weights are decoded once per inference into the
 * scratch, in one of two layouts:
 * - pair codes (TFC_RQ_PAIR, set by the host where exact: fast requantisation, even channel count,
 *   |dot(c)| < 2^23): per channel pair and group of four window positions the int16x2 words
 *   (h0, h2), (h1, h3), h = 256 w(c) + w(c + 1), kp bytes per channel. Three pixels' windows are
 *   widened per group as {(x0, x2) of px0..px2, (x1, x3) of px0..px2}; a group is 17 instructions
 *   per 24 MACs (the dense kernel's triple routine and widening, tfc_conv_opt.h), requantisation
 *   shared by six outputs (run_pc). 4-bit layers of at least TFC_DEC_LUT_MIN_K positions decode
 *   through a 256-entry table per channel pair (decode_w4);
 * - else widened int16: per channel pair and group the pairs (w0, w2), (w1, w3) of channel c, then
 *   of c + 1 (2 kp bytes per channel), two pixels' windows widened alike, so a group of 16 MACs is
 *   four LDRD and eight SMLAD (12 instructions).
 * Windows are rebuilt once per block (one block: the dense kernel's order, so its input overlap
 * stands; more: the host drops the overlap, or runs rq[2] output rows at a time over all blocks,
 * decoding them again per band, which keeps part of it: decoded.py band_overlap). Scratch: the widened windows + a byte window (kp)
 * when gathered bytewise, + the block results of a pixel group (fused ADD; pair codes: always),
 * + the block's decoded weights. 2:4 layers (tfc_conv2d_s8_dec_2of4, tfc_conv2d_add_s8_dec_2of4,
 * weights_24.py): run_24 below.
 */
#include "tfc_conv_opt.h"

#define DEC_W4 1
#define DEC_SP 2
#define DEC_24 3 /* 2:4 structured (weights_24.py): per channel and group two values + positions */

/* 2:4 layers address the expanded windows absolutely on the target (32-bit pointers), by offset
 * from them in 64-bit host builds. */
#if UINTPTR_MAX == 0xFFFFFFFFu
#define DEC_ABS 1
#else
#define DEC_ABS 0
#endif

#define WIN_PAIR 0   /* two pixels: per group {px0 (x0, x2), px0 (x1, x3), px1 ..., px1 ...} */
#define WIN_TRIPLE 1 /* three pixels: per group {(x0, x2) of px0, px1, px2, (x1, x3) of px0, px1, px2} */
#define WIN_EXPAND 2 /* 2:4 layers, four pixels: per group the six pairs (x_a, x_b) of each pixel */

/* One group of four input bytes w widened into the pixel's slot at dst, and the next group's slot:
 * (x0, x2), (x1, x3) every fourth word (WIN_PAIR) or three words apart, every sixth (WIN_TRIPLE);
 * WIN_EXPAND (2:4 layers): the six pairs (x_a, x_b), a < b, in pattern order (0,1) (0,2) (0,3)
 * (1,2) (1,3) (2,3), every fourth word (four pixels). */
static inline __attribute__((always_inline)) int32_t *dec_put(int32_t *dst, uint32_t w, const int expand) {
    const uint32_t lo = (uint32_t)tfc_sxtb16(w), hi = (uint32_t)tfc_sxtb16_ror8(w);
    if (expand == WIN_PAIR) {
        dst[0] = (int32_t)lo;
        dst[1] = (int32_t)hi;
        return dst + 4;
    }
    if (expand == WIN_TRIPLE) {
        dst[0] = (int32_t)lo;
        dst[3] = (int32_t)hi;
        return dst + 6;
    }
#if TFC_DSP_ASM /* one PKHBT / PKHTB each (the compiler spells them as two or three instructions) */
    {
        uint32_t p01, p03, p12, p23;
        __asm("pkhbt %0, %1, %2, lsl #16" : "=r"(p01) : "r"(lo), "r"(hi));
        __asm("pkhbt %0, %1, %2" : "=r"(p03) : "r"(lo), "r"(hi));
        __asm("pkhbt %0, %1, %2" : "=r"(p12) : "r"(hi), "r"(lo));
        __asm("pkhtb %0, %1, %2, asr #16" : "=r"(p23) : "r"(hi), "r"(lo));
        dst[0] = (int32_t)p01;
        dst[8] = (int32_t)p03;
        dst[12] = (int32_t)p12;
        dst[20] = (int32_t)p23;
    }
#else
    dst[0] = (int32_t)((lo & 0xFFFFu) | hi << 16);
    dst[8] = (int32_t)((lo & 0xFFFFu) | (hi & 0xFFFF0000u));
    dst[12] = (int32_t)((hi & 0xFFFFu) | (lo & 0xFFFF0000u));
    dst[20] = (int32_t)((hi & 0xFFFF0000u) | lo >> 16);
#endif
    dst[4] = (int32_t)lo;
    dst[16] = (int32_t)hi;
    return dst + 24;
}

/* Window of output pixel (oy, ox), group after group through dec_put from dst (the pixel's slot);
 * padding taps get the input zero point. */
static inline __attribute__((always_inline)) void dec_window(const tfc_conv_params *p, const int8_t *in_b,
                                                             int32_t oy, int32_t ox, int32_t *dst, int32_t kp,
                                                             int8_t *tmp, const int expand) {
    const int32_t ic_n = p->in_c;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    const int32_t seg = p->k_w * ic_n;
    const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
    int32_t ky, kx, i;
    if ((ic_n & 3) == 0 && p->dil_w == 1) { /* every tap starts a group: convert input words directly */
        const int row_in = x0 >= 0 && x0 + p->k_w <= p->in_w;
        for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            const int y_in = y >= 0 && y < p->in_h;
            if (y_in && row_in) {
                const int8_t *src = in_b + (y * p->in_w + x0) * ic_n;
                for (i = 0; i < seg; i += 4) {
                    const uint32_t w = tfc_ld32(src + i);
                    dst = dec_put(dst, w, expand);
                }
                continue;
            }
            for (kx = 0; kx < p->k_w; ++kx) {
                const int32_t x = x0 + kx;
                const int ok = y_in && x >= 0 && x < p->in_w;
                const int8_t *src = in_b + (y * p->in_w + x) * ic_n;
                for (i = 0; i < ic_n; i += 4) {
                    const uint32_t w = ok ? tfc_ld32(src + i) : pad4;
                    dst = dec_put(dst, w, expand);
                }
            }
        }
        return;
    }
    { /* any channel count / dilation: gather the window's bytes, then convert by words */
        int8_t *t = tmp;
        int32_t c;
        const int row_in = p->dil_w == 1 && x0 >= 0 && x0 + p->k_w <= p->in_w;
        for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            if (row_in && y >= 0 && y < p->in_h) { /* the row's taps are one contiguous run */
                const int8_t *src = in_b + (y * p->in_w + x0) * ic_n;
                for (i = 0; i + 4 <= seg; i += 4) {
                    const uint32_t w = tfc_ld32(src + i);
                    __builtin_memcpy(t + i, &w, 4);
                }
                for (; i < seg; ++i) {
                    t[i] = src[i];
                }
                t += seg;
                continue;
            }
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
        while (t < tmp + kp) { /* zero tail: the weights are zero there */
            *t++ = 0;
        }
        for (i = 0; i < kp; i += 4) {
            const uint32_t w = tfc_ld32(tmp + i);
            dst = dec_put(dst, w, expand);
        }
    }
}

/* int16 pair of two int8 weights (lo, hi) */
static inline uint32_t dec_pair(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xFFFFu) | (uint32_t)hi << 16; }

static void __attribute__((noinline)) dec_window_plain(const tfc_conv_params *p, const int8_t *in_b, int32_t oy,
                                                       int32_t ox, int32_t *dst, int32_t kp, int8_t *tmp) {
    dec_window(p, in_b, oy, ox, dst, kp, tmp, WIN_PAIR);
}

static void __attribute__((noinline)) dec_window_triple(const tfc_conv_params *p, const int8_t *in_b, int32_t oy,
                                                        int32_t ox, int32_t *dst, int32_t kp, int8_t *tmp) {
    dec_window(p, in_b, oy, ox, dst, kp, tmp, WIN_TRIPLE);
}

static void __attribute__((noinline)) dec_window_24(const tfc_conv_params *p, const int8_t *in_b, int32_t oy,
                                                    int32_t ox, int32_t *dst, int32_t kp, int8_t *tmp) {
    dec_window(p, in_b, oy, ox, dst, kp, tmp, WIN_EXPAND);
}

/* The pair table of channels (c, c + 1) at t: entry i | j << 4 = 256 cb0[i] + cb1[j] (int16; mod
 * 2^16 for pairs no weight uses), row 0 built, rows j by SADD16 of cb1[j] - cb1[0] in both halves. */
static void dec_pair_table(const int8_t *cb0, const int8_t *cb1, uint32_t *t) {
    uint32_t r0[8];
    int32_t i, j;
    for (i = 0; i < 8; ++i) {
        r0[i] = dec_pair(256 * cb0[2 * i] + cb1[0], 256 * cb0[2 * i + 1] + cb1[0]);
    }
    for (j = 0; j < 16; ++j, t += 8) {
        const int32_t d = (int32_t)(((uint32_t)(cb1[j] - cb1[0]) & 0xFFFFu) * 0x10001u);
        for (i = 0; i < 8; ++i) {
            t[i] = (uint32_t)tfc_sadd16((int32_t)r0[i], d);
        }
    }
}

/* Channels [c0, c0 + nb) of a 4-bit layer decoded into wbuf (layout: the file comment; pc: pair
 * codes, per channel pair and group (h0, h2), (h1, h3) with h = 256 w(c) + w(c + 1)). The
 * indices are laid out like the dense int8 weights ([oc/2][kp/4][2][4] nibbles, low first), so one
 * word holds a channel pair's indices of a group; pair codes of at least TFC_DEC_LUT_MIN_K
 * positions: one byte per position (c | c + 1 << 4), looked up in the pair's table (512 bytes at
 * tmp, the windows' scratch). */
static void decode_w4(const tfc_conv_params *p, int32_t c0, int32_t nb, int32_t kp, int8_t *wbuf,
                      const int8_t **vals __attribute__((unused)), const int pc, void *tmp) {
    const uint8_t *ix = (const uint8_t *)p->weights + (c0 >> 1) * kp;
    uint32_t *dst = (uint32_t *)wbuf;
    int32_t c, i;
    if (TFC_LINK_DEC_LUT && pc && kp >= TFC_DEC_LUT_MIN_K) { /* else the loop below (exact) */
        const uint16_t *t = (const uint16_t *)tmp;
        for (c = c0; c < c0 + nb; c += 2) {
            dec_pair_table(TFC_W4_CODEBOOK(p, c), TFC_W4_CODEBOOK(p, c + 1), (uint32_t *)tmp);
            for (i = 0; i < kp; i += 4) {
                const uint32_t x = tfc_ld32(ix);
                ix += 4;
                dst[0] = t[x & 0xFFu] | (uint32_t)t[(x >> 16) & 0xFFu] << 16;
                dst[1] = t[(x >> 8) & 0xFFu] | (uint32_t)t[x >> 24] << 16;
                dst += 2;
            }
        }
        return;
    }
    for (c = c0; c < c0 + nb; c += 2) {
        const int8_t *cb0 = TFC_W4_CODEBOOK(p, c);
        const int8_t *cb1 = c + 1 < p->out_c ? TFC_W4_CODEBOOK(p, c + 1) : cb0;
        for (i = 0; i < kp; i += 4) {
            const uint32_t x = tfc_ld32(ix);
            ix += 4;
            if (pc) {
                dst[0] = dec_pair(256 * cb0[x & 15u] + cb1[(x >> 16) & 15u],
                                  256 * cb0[(x >> 8) & 15u] + cb1[(x >> 24) & 15u]);
                dst[1] = dec_pair(256 * cb0[(x >> 4) & 15u] + cb1[(x >> 20) & 15u],
                                  256 * cb0[(x >> 12) & 15u] + cb1[x >> 28]);
                dst += 2;
                continue;
            }
            dst[0] = dec_pair(cb0[x & 15u], cb0[(x >> 8) & 15u]);
            dst[1] = dec_pair(cb0[(x >> 4) & 15u], cb0[(x >> 12) & 15u]);
            dst[2] = dec_pair(cb1[(x >> 16) & 15u], cb1[(x >> 24) & 15u]);
            dst[3] = dec_pair(cb1[(x >> 20) & 15u], cb1[x >> 28]);
            dst += 4;
        }
    }
}

/* Channels [c0, c0 + nb) of a sparse layer decoded into wbuf (same layouts as decode_w4): the block
 * is cleared, then each channel's bitmap row scatters the next non-zero values (*vals); pair codes
 * add 256 v (channel c) and v (c + 1) into the shared halves. */
static void decode_sp(const tfc_conv_params *p, int32_t c0, int32_t nb, int32_t kp, int8_t *wbuf,
                      const int8_t **vals, const int pc, void *tmp __attribute__((unused))) {
    static const uint8_t slot_of[4] = {0, 2, 1, 3}; /* halves per channel and group: (w0, w2), (w1, w3) */
    const int32_t k_n = p->k_h * p->k_w * p->in_c;
    const int32_t row_bytes = (k_n + 7) >> 3;
    const int8_t *v = *vals;
    uint32_t *z = (uint32_t *)wbuf;
    const int32_t words = ((nb + 1) >> 1) * (pc ? kp >> 1 : kp);
    int32_t c, i;
    for (i = 0; i < words; ++i) {
        z[i] = 0;
    }
    for (c = c0; c < c0 + nb; ++c) {
        const uint8_t *bm = p->sp_bitmap + c * row_bytes;
        const int32_t scale = pc && ((c - c0) & 1) == 0 ? 256 : 1, step = pc ? 4 : 8;
        int16_t *base = (int16_t *)wbuf + ((c - c0) >> 1) * (pc ? kp : 2 * kp) + (pc ? 0 : (c & 1) * 4);
        for (i = 0; i < row_bytes; ++i) {
            uint32_t bits = bm[i];
            while (bits) {
                const int32_t k = 8 * i + __builtin_ctz(bits);
                int16_t *h = base + (k >> 2) * step + slot_of[k & 3];
                bits &= bits - 1u;
                *h = (int16_t)(*h + scale * *v++);
            }
        }
    }
    *vals = v;
}

#if TFC_DSP_ASM
/* One group of four window positions, channel pair x pixel pair (r9: widened weights, r10: widened
 * windows, r1..r4: accumulators px0.c, px1.c, px0.c+1, px1.c+1): 16 MACs in 12 instructions. */
#define DEC_GROUP \
    "ldrd r5, r6, [r9], #8\n" \
    "ldrd r7, r8, [r10], #8\n" \
    "ldrd r12, r0, [r10], #8\n" \
    "smlad r1, r7, r5, r1\n" \
    "smlad r2, r12, r5, r2\n" \
    "smlad r1, r8, r6, r1\n" \
    "smlad r2, r0, r6, r2\n" \
    "ldrd r5, r6, [r9], #8\n" \
    "smlad r3, r7, r5, r3\n" \
    "smlad r4, r12, r5, r4\n" \
    "smlad r3, r8, r6, r3\n" \
    "smlad r4, r0, r6, r4\n"

/* Per channel pair: accumulators from the rq table's folded biases, the groups four per iteration
 * (an iteration entered part-way for the remainder: 16 window bytes per group), then the shared
 * requantise / clamp / store tail of tfc_conv_opt.h, which loops back to 1. */
static void __attribute__((naked, noinline)) dec_pairs_asm(conv_pairs_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "push {r0}\n"
        "ldr r9, [r0, #8]\n"
        "ldr r12, [r0, #12]\n"
        "ldr r11, [r0, #4]\n"
        "1:\n"
        "ldr r10, [r0, #0]\n"
        "ldr r1, [r12, #12]\n"
        "ldr r3, [r12, #28]\n"
        "mov r2, r1\n"
        "mov r4, r3\n"
        "sub lr, r11, r10\n"
        "ands lr, lr, #48\n"
        "beq 2f\n"
        "cmp lr, #32\n"
        "beq 7f\n"
        "bhi 6f\n"
        "b 8f\n"
        "2:\n" DEC_GROUP "6:\n" DEC_GROUP "7:\n" DEC_GROUP "8:\n" DEC_GROUP
        "cmp r10, r11\n"
        "bne 2b\n"
        "ldr r0, [sp]\n"
        "ldr r12, [r0, #12]\n"
        CONV_RQ_STORE_REST
        "add sp, sp, #4\n"
        "pop {r4-r11, pc}\n");
}
#endif

/* Pair-code blocks (TFC_RQ_PAIR, host: decoded.py), three pixels per pass: the dense kernel's
 * pixel-triple routine (tfc_conv_opt.h CONV_TRIPLES_BODY) on the decoded block, one routine for
 * layers with and without an activation clamp; -Os: 8 groups per loop iteration. */
#if TFC_DSP_ASM
#if defined(__OPTIMIZE_SIZE__)
#define DEC_TRIPLES_BODY CONV_TRIPLES_BODY(CONV_TRIPLES_STORE_ANY, CONV_PC3_X8, "8")
#else
#define DEC_TRIPLES_BODY CONV_TRIPLES_BODY(CONV_TRIPLES_STORE_ANY, CONV_PC3_X16, "16")
#endif
static void __attribute__((naked, noinline, aligned(4))) dec_triples_asm(const triple_args *a __attribute__((unused))) {
    __asm volatile(DEC_TRIPLES_BODY);
}
#endif

/* Channels c0 .. c0 + nb - 1 (nb even) of three pixels (windows at col, WIN_TRIPLE) from the
 * pair-code block w (q: channel c0's rq entry); outputs of pixel j at o + j * step. */
static void __attribute__((noinline)) dec_triples(const int32_t *col, int32_t kp, const int8_t *w, const int32_t *q,
                                                  int32_t nb, int8_t *o, int32_t step, const tfc_out_stage *os) {
#if TFC_DSP_ASM
    triple_args a;
    a.end = col + kp + (kp >> 1);
    a.col = col;
    a.q = q;
    a.o = o;
    a.ostride = step - 2;
    a.q_end = q + 4 * nb;
    a.lo4 = os->clamp ? os->lo4 : 0x80808080u;
    a.hi4 = os->clamp ? os->hi4 : 0x7f7f7f7fu;
    a.w = w;
    a.groups = kp >> 2;
    dec_triples_asm(&a);
#else
    const int32_t *wp = (const int32_t *)w;
    int32_t c, g, j;
    for (c = 0; c < nb; c += 2, q += 8) {
        int32_t sa[3], la[3];
        const int32_t *x = col;
        sa[0] = sa[1] = sa[2] = la[0] = la[1] = la[2] = q[7];
        for (g = 0; g < kp; g += 4, x += 6, wp += 2) {
            const int32_t h0 = wp[0], h1 = wp[1], l0 = tfc_sxtb16((uint32_t)h0), l1 = tfc_sxtb16((uint32_t)h1);
            for (j = 0; j < 3; ++j) {
                sa[j] = tfc_smlad(x[j], h0, tfc_smlad(x[3 + j], h1, sa[j]));
                la[j] = tfc_smlad(x[j], l0, tfc_smlad(x[3 + j], l1, la[j]));
            }
        }
        for (j = 0; j < 3; ++j) { /* S - L = 256 dot(c) exactly (mod 2^32) */
            const int32_t a0 = (int32_t)((uint32_t)sa[j] - (uint32_t)la[j]) / 256 + q[3];
            const uint32_t v = tfc_clamp4((uint32_t)(tfc_rq_fast8s(a0, q[0], q[1], q[2], 0) & 0xFF) |
                                              ((uint32_t)(tfc_rq_fast8s(la[j], q[4], q[5], q[6], 0) & 0xFF) << 8),
                                          os->lo4, os->hi4);
            o[j * step + c] = (int8_t)v;
            o[j * step + c + 1] = (int8_t)(v >> 8);
        }
    }
#endif
}

/* The windows of output pixels pix .. pix + 2 in the WIN_TRIPLE layout when channels come in words,
 * columns are not dilated and all three windows lie inside the input: each kernel row read in
 * place, three words at a time (six SXTB16, six stores per group of four positions; assembly: the
 * dense kernel's widen3_asm, tfc_conv_opt.h). 0: not so. */
static int __attribute__((noinline)) dec_triple_inside(const tfc_conv_params *p, const int8_t *in_b, int32_t pix,
                                                       int32_t *colw) {
    const int32_t row = p->in_w * p->in_c, seg = p->k_w * p->in_c;
    const int32_t reach = (p->k_h - 1) * p->dil_h;
    const int8_t *s[3];
    int32_t j;
    if ((p->in_c & 3) != 0 || p->dil_w != 1) {
        return 0;
    }
    for (j = 0; j < 3; ++j) {
        const int32_t y0 = ((pix + j) / p->out_w) * p->stride_h - p->pad_top;
        const int32_t x0 = ((pix + j) % p->out_w) * p->stride_w - p->pad_left;
        if (y0 < 0 || y0 + reach >= p->in_h || x0 < 0 || x0 + p->k_w > p->in_w) {
            return 0;
        }
        s[j] = in_b + y0 * row + x0 * p->in_c;
    }
    widen3_rows(s, colw, seg >> 2, p->k_h, p->dil_h * row);
    return 1;
}

/* A block decoder (decode_w4, decode_sp) and the fused ADD of count results, passed to run_pc as
 * pointers so that a model links only the ones its layers use. */
typedef void (*dec_block_fn)(const tfc_conv_params *p, int32_t c0, int32_t nb, int32_t kp, int8_t *wbuf,
                             const int8_t **vals, const int pc, void *tmp);
typedef void (*dec_add_fn)(const tfc_binary_params *add, const int8_t *res, const int8_t *residual, int8_t *out,
                           int32_t count);

static void dec_add(const tfc_binary_params *add, const int8_t *res, const int8_t *residual, int8_t *out,
                    int32_t count) {
    tfc_add_dense(add, res, residual, out, count, add->tables, add->tables + 256, add->tables_fast);
}

/* Border window triples (some taps in the padding): the dense kernel's triple_border at -O2; -Os
 * (smaller code): window by window (dec_window_triple). */
#if defined(__OPTIMIZE_SIZE__)
#define DEC_TRIPLE_BORDER(p, in_b, pix, colw) 0
#else
#define DEC_TRIPLE_BORDER(p, in_b, pix, colw) \
    (TFC_LINK_DEC_BORDER && triple_border(p, in_b, (pix) / (p)->out_w, (pix) % (p)->out_w, colw))
#endif

/* The pair-code layers: blocks of channels decoded into pair codes, three pixels at a time
 * (scratch: three windows, the gathered byte window, three pixels' block results, the block). */
static void run_pc(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in, const int8_t *residual,
                   int8_t *out, int32_t *scratch, int32_t kp, int32_t blk, dec_block_fn decode, dec_add_fn add_of) {
    const int32_t oc_n = p->out_c;
    const int32_t npix = p->out_h * p->out_w;
    const int32_t win_words = kp + (kp >> 1);
    const int32_t tmp_words = ((p->in_c & 3) != 0 || p->dil_w != 1) ? kp >> 2 : 0;
    int32_t *const colw = scratch;
    int8_t *const tmp = (int8_t *)(scratch + win_words);
    int8_t *const res = (int8_t *)(scratch + win_words + tmp_words);
    int8_t *const wbuf = (int8_t *)(scratch + win_words + tmp_words + ((3 * blk + 3) >> 2));
    const int pointwise = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                          p->pad_left == 0 && (p->in_c & 3) == 0;
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    const int32_t rows = p->rq[2] > 0 ? p->rq[2] : p->out_h; /* output rows per pass over the blocks */
    const int32_t blocks = (oc_n + blk - 1) / blk;
    const int zigzag = decode == decode_w4; /* 4-bit blocks decode by position, sparse ones in order */
    const int8_t *vals;
    int32_t oy0, b, pix, i, j, k;
    for (oy0 = 0; oy0 < p->out_h; oy0 += rows) {
      const int32_t pend = (p->out_h - oy0 < rows ? p->out_h : oy0 + rows) * p->out_w; /* the band's pixels */
      const int back = zigzag && ((oy0 / rows) & 1); /* every other band backwards: it starts with the
                                                        block the one before ended with, still decoded */
      vals = p->weights;
      for (k = 0; k < blocks; ++k) {
        const int32_t c0 = (back ? blocks - 1 - k : k) * blk;
        const int32_t nb = oc_n - c0 < blk ? oc_n - c0 : blk;
        const int32_t *q = p->rq + TFC_RQ_HEADER + 4 * c0;
        if (oy0 == 0 || k > 0 || !zigzag) {
            decode(p, c0, nb, kp, wbuf, &vals, 1, colw); /* the windows are rebuilt after it */
        }
        for (b = 0; b < p->batches; ++b) {
            const int8_t *in_b = in + b * p->in_h * p->in_w * p->in_c;
            for (pix = oy0 * p->out_w; pix < pend; pix += 3) {
                const int32_t n = pend - pix < 3 ? pend - pix : 3;
                const int32_t at = (b * npix + pix) * oc_n + c0;
                const int whole = n == 3 && (dec_triple_inside(p, in_b, pix, colw) || DEC_TRIPLE_BORDER(p, in_b, pix, colw));
                for (j = whole ? 3 : 0; j < 3; ++j) {
                    if (j >= n) { /* defined values in the unused slots */
                        for (i = 0; i < win_words; i += 6) {
                            colw[i + j] = colw[i + 3 + j] = 0;
                        }
                    } else if (pointwise) {
                        const int8_t *src = in_b + (pix + j) * kp;
                        int32_t *e = colw + j;
                        for (i = 0; i < kp; i += 4) {
                            e = dec_put(e, tfc_ld32(src + i), WIN_TRIPLE);
                        }
                    } else {
                        dec_window_triple(p, in_b, (pix + j) / p->out_w, (pix + j) % p->out_w, colw + j, kp, tmp);
                    }
                }
                if (add_of && nb == oc_n) { /* one block: the pixels' results are contiguous, so is their ADD */
                    dec_triples(colw, kp, wbuf, q, nb, res, nb, &os);
                    add_of(add, res, residual + at, out + at, n * nb);
                } else if (add_of || n < 3) { /* results of the block, then the ADD or a copy of the real pixels */
                    dec_triples(colw, kp, wbuf, q, nb, res, nb, &os);
                    for (j = 0; j < n; ++j) {
                        if (add_of) {
                            add_of(add, res + j * nb, residual + at + j * oc_n, out + at + j * oc_n, nb);
                        } else {
                            for (i = 0; i < nb; ++i) {
                                out[at + j * oc_n + i] = res[j * nb + i];
                            }
                        }
                    }
                } else {
                    dec_triples(colw, kp, wbuf, q, nb, out + at, oc_n, &os);
                }
            }
        }
      }
    }
}

/* 2:4 layers. Host format (weights_24.py): per channel and group of four window positions two
 * int8 values (weights) and a nibble a | b << 2 of their positions a < b (sp_bitmap, two groups per
 * byte, low nibble first). Four output pixels of a row at a time: their windows are expanded into
 * the six int16 pairs (x_a, x_b) of every position pair, each pattern's four pixel words contiguous
 * (exp; lay24: per input column once per kernel row where channels come in words, else per pixel
 * and group); the decoded block holds per channel and group {(v_a, v_b), address of its pattern's
 * four pixel words}, so a group of one channel and four pixels (16 MACs of the dense layer) is
 * LDRD, LDM and four SMLAD. Per block of channels the decoding (decode24_asm: 8 instructions per
 * group), per quad the expansion (exp24_row_ns*: 10 instructions per column and group) and every
 * channel of the block (chans24_asm). Blocks smaller than the layer expand the windows again; the
 * host may then run rq[2] output rows at a time over all blocks (decoding once per band and block)
 * so that the output still overlaps the input (decoded.py band_overlap). */
static const uint8_t pattern_of[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 2, 4, 5, 0}; /* a | b << 2 */

/* Decoded groups per channel: a multiple of four (the assembly's unrolled loop), the extra groups
 * weigh zero and point at the first pattern. */
static inline int32_t groups_24(int32_t kp) { return ((kp >> 2) + 3) & ~3; }

#define LAY24_SLOTS 16 /* most slots per pattern row of the column layout */

/* Where the expanded windows of four pixels of one output row lie (exp). Column layout (channels
 * in words, columns not dilated, at most LAY24_SLOTS slots): per kernel row, group of four input
 * channels and pattern a row of ns words, one per input column the four pixels read, grouped by
 * column mod stride, so that tap kx of pixels 0..3 are the four words from slot[kx] (each input
 * column is expanded once per kernel row, not once per tap). Else (bytewise windows) per pixel:
 * per group of the window [pattern][pixel] (WIN_EXPAND). */
typedef struct {
    int32_t cols;                /* 1: the column layout */
    int32_t ns;                  /* slots per pattern row (even) */
    int32_t rw;                  /* words per kernel row: in_c / 4 x 6 x ns */
    int8_t col[LAY24_SLOTS];     /* input column of each slot relative to pixel 0's first (-1: unused) */
    int8_t slot[LAY24_SLOTS];    /* slot of tap kx of pixel 0 */
    int32_t cmax;                /* the last column read */
    int32_t coff[LAY24_SLOTS];   /* byte offset of each slot's column (unused slots: column 0) */
    void (*row)(const int8_t *, const int32_t *, int32_t *, int32_t); /* exp24_row_ns*, or 0 */
} lay24;

static void lay24_of(const tfc_conv_params *p, lay24 *l) {
    const int32_t s = p->stride_w, kw = p->k_w;
    int32_t n = 0, r, m, kx;
    l->cols = 0;
    if ((p->in_c & 3) != 0 || p->dil_w != 1 || kw > LAY24_SLOTS) {
        return;
    }
    for (r = 0; r < s && r < kw; ++r) {
        const int32_t nr = 4 + (kw - 1 - r) / s;
        for (kx = r; kx < kw; kx += s) {
            l->slot[kx] = (int8_t)(n + kx / s);
        }
        for (m = 0; m < nr; ++m) {
            if (n >= LAY24_SLOTS) {
                return;
            }
            l->col[n++] = (int8_t)(r + s * m);
        }
    }
    if (n & 1) {
        if (n >= LAY24_SLOTS) {
            return;
        }
        l->col[n++] = -1;
    }
    l->ns = n;
    l->rw = (p->in_c >> 2) * 6 * n;
    l->cmax = 0;
    for (m = 0; m < n; ++m) {
        l->coff[m] = l->col[m] > 0 ? l->col[m] * p->in_c : 0;
        l->cmax = l->col[m] > l->cmax ? l->col[m] : l->cmax;
    }
    l->cols = 1;
}

/* Channels [c0, c0 + nb) decoded into dst: per channel and group (padded to groups_24) the value
 * pair and the address of its pattern's four pixel words in exp (offsets off exp on 64-bit hosts;
 * chans24_asm's: decode_24_asm). */
static void decode_24(const tfc_conv_params *p, int32_t c0, int32_t nb, int32_t kp, uint32_t *dst,
                      const int32_t *exp, const lay24 *l) {
    const int32_t groups = kp >> 2, padded = groups_24(kp);
    const int32_t pos_bytes = (groups + 1) >> 1;
    const int32_t icw = p->in_c >> 2;
    int32_t c, g;
    for (c = c0; c < c0 + nb; ++c) {
        const int8_t *v = p->weights + c * (kp >> 1);
        const uint8_t *pos = p->sp_bitmap + c * pos_bytes;
        int32_t ky = 0, kx = 0, gi = 0;
        for (g = 0; g < padded; ++g) {
            int32_t off = 0;
            if (g < groups) {
                const int32_t pat = pattern_of[(pos[g >> 1] >> ((g & 1) << 2)) & 15u];
                off = l->cols ? ky * l->rw + (gi * 6 + pat) * l->ns + l->slot[kx] : 24 * g + 4 * pat;
                dst[0] = dec_pair(v[2 * g], v[2 * g + 1]);
                if (l->cols && ++gi == icw) {
                    gi = 0;
                    if (++kx == p->k_w) {
                        kx = 0;
                        ++ky;
                    }
                }
            } else {
                dst[0] = 0u;
            }
#if DEC_ABS
            dst[1] = (uint32_t)(uintptr_t)(exp + off);
#else
            dst[1] = (uint32_t)off;
            (void)exp;
#endif
            dst += 2;
        }
    }
}

#if TFC_DSP_ASM
/* Arguments of decode24_asm (offsets used by the assembly). */
typedef struct {
    const int8_t *v;      /* 0: the channel's values, two per group */
    const uint8_t *pos;   /* 4: its position nibbles, two groups per byte */
    const uint32_t *pat;  /* 8: byte offset of each nibble's pattern row */
    const uint32_t *base; /* 12: address of each group's first pattern row, slot of pixel 0 */
    uint32_t *dst;        /* 16: decoded groups */
    int32_t pairs;        /* 20: group pairs, >= 1 */
} decode24_args;

/* Group pairs of one channel: four values (one word) widened and doubled (SADD16) into the value
 * pairs, the position byte's two nibbles to pattern offsets, plus the groups' bases; one STM of
 * {pair, address, pair, address}: 16 instructions per two groups. Returns past the last word read
 * or written in args (v, pos, dst updated). */
static void __attribute__((naked, noinline)) decode24_asm(decode24_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "push {r0}\n"
        "ldm r0, {r0, r1, r2, r3, r12, lr}\n"
        "1:\n"
        "ldr r4, [r0], #4\n"
        "ldrb r5, [r1], #1\n"
        "sxtb16 r6, r4\n"
        "sxtb16 r7, r4, ror #8\n"
        "sadd16 r6, r6, r6\n"
        "sadd16 r7, r7, r7\n"
        "pkhbt r4, r6, r7, lsl #16\n"
        "pkhtb r6, r7, r6, asr #16\n"
        "and r8, r5, #15\n"
        "lsr r9, r5, #4\n"
        "ldr r8, [r2, r8, lsl #2]\n"
        "ldr r9, [r2, r9, lsl #2]\n"
        "ldm r3!, {r10, r11}\n"
        "add r5, r8, r10\n"
        "add r7, r9, r11\n"
        "stm r12!, {r4-r7}\n"
        "subs lr, lr, #1\n"
        "bne 1b\n"
        "pop {r4}\n"
        "str r0, [r4, #0]\n"
        "str r1, [r4, #4]\n"
        "str r12, [r4, #16]\n"
        "pop {r4-r11, pc}\n");
}

/* decode_24 for chans24_asm (values doubled, absolute addresses): the groups' base addresses are
 * tabulated first in exp (not yet in use: it holds at least one word per group), then each channel's
 * group pairs by decode24_asm and an odd last group and the padding in C. */
static void decode_24_asm(const tfc_conv_params *p, int32_t c0, int32_t nb, int32_t kp, uint32_t *dst, int32_t *exp,
                          const lay24 *l) {
    const int32_t groups = kp >> 2, padded = groups_24(kp);
    const int32_t pos_bytes = (groups + 1) >> 1;
    const int32_t icw = p->in_c >> 2;
    uint32_t pat[16];
    uint32_t *const base = (uint32_t *)exp;
    int32_t c, g, ky = 0, kx = 0, gi = 0;
    decode24_args a;
    for (g = 0; g < 16; ++g) {
        pat[g] = 4u * (uint32_t)(pattern_of[g] * (l->cols ? l->ns : 4));
    }
    for (g = 0; g < groups; ++g) { /* increasing: the bases never overtake their reads */
        base[g] = (uint32_t)(uintptr_t)(exp + (l->cols ? ky * l->rw + gi * 6 * l->ns + l->slot[kx] : 24 * g));
        if (l->cols && ++gi == icw) {
            gi = 0;
            if (++kx == p->k_w) {
                kx = 0;
                ++ky;
            }
        }
    }
    a.v = p->weights + c0 * (kp >> 1);
    a.pat = pat;
    a.dst = dst;
    for (c = c0; c < c0 + nb; ++c) {
        a.pos = p->sp_bitmap + c * pos_bytes;
        a.base = base;
        a.pairs = groups >> 1;
        if (a.pairs > 0) {
            decode24_asm(&a);
        }
        for (g = groups & ~1; g < padded; ++g) { /* the odd last group, the padding */
            const int32_t last = g < groups;
            a.dst[0] = last ? dec_pair(2 * a.v[0], 2 * a.v[1]) : 0u;
            a.dst[1] = last ? base[g] + pat[(a.pos[0] & 15u)] : (uint32_t)(uintptr_t)exp;
            a.dst += 2;
            a.v += last ? 2 : 0;
        }
    }
}
#endif

/* The six patterns of one group of four input bytes w at dst, dst + ns, ... dst + 5 ns */
static inline void put6(int32_t *dst, uint32_t w, int32_t ns) {
    const uint32_t lo = (uint32_t)tfc_sxtb16(w), hi = (uint32_t)tfc_sxtb16_ror8(w);
    dst[0] = (int32_t)((lo & 0xFFFFu) | hi << 16);
    dst[ns] = (int32_t)lo;
    dst[2 * ns] = (int32_t)((lo & 0xFFFFu) | (hi & 0xFFFF0000u));
    dst[3 * ns] = (int32_t)((hi & 0xFFFFu) | (lo & 0xFFFF0000u));
    dst[4 * ns] = (int32_t)hi;
    dst[5 * ns] = (int32_t)((hi & 0xFFFF0000u) | lo >> 16);
}

/* Two slots' expansion (dst, dst + 1), `words` groups of four input bytes read from s0 and s1,
 * pattern rows ns words apart, groups 6 ns; returns dst advanced by `words` groups. */
static int32_t *__attribute__((noinline)) exp24_c(const int8_t *s0, const int8_t *s1, int32_t *dst, int32_t words,
                                                 int32_t ns) {
    int32_t i;
    for (i = 0; i < words; ++i) {
        put6(dst, tfc_ld32(s0 + 4 * i), ns);
        put6(dst + 1, tfc_ld32(s1 + 4 * i), ns);
        dst += 6 * ns;
    }
    return dst;
}

#if TFC_DSP_ASM
/* One group of exp24_c in assembly for pattern rows PS bytes apart: two words widened (SXTB16)
 * into (x0, x2), (x1, x3), the four other patterns by PKHBT / PKHTB, each pattern's two slots by
 * one STRD (pattern (0, 1) last, post-indexed to the next group): 20 instructions. */
#define EXP24_GROUP(PS) \
    "ldr r4, [r0], #4\n" \
    "ldr r5, [r1], #4\n" \
    "sxtb16 r6, r4\n" \
    "sxtb16 r4, r4, ror #8\n" \
    "sxtb16 r7, r5\n" \
    "sxtb16 r5, r5, ror #8\n" \
    "strd r6, r7, [r2, #(" PS ")]\n" \
    "strd r4, r5, [r2, #(4*" PS ")]\n" \
    "pkhbt r8, r6, r4\n" \
    "pkhbt r9, r7, r5\n" \
    "strd r8, r9, [r2, #(2*" PS ")]\n" \
    "pkhbt r8, r4, r6\n" \
    "pkhbt r9, r5, r7\n" \
    "strd r8, r9, [r2, #(3*" PS ")]\n" \
    "pkhtb r8, r4, r6, asr #16\n" \
    "pkhtb r9, r5, r7, asr #16\n" \
    "strd r8, r9, [r2, #(5*" PS ")]\n" \
    "pkhbt r8, r6, r4, lsl #16\n" \
    "pkhbt r9, r7, r5, lsl #16\n" \
    "strd r8, r9, [r2], #(6*" PS ")\n"

/* r3 groups (>= 1) of EXP24_GROUP, two per pass after an odd first one; ends at local label 3 */
#define EXP24_GROUPS(PS) \
    "tst r3, #1\n" \
    "beq 2f\n" EXP24_GROUP(PS) "subs r3, r3, #1\n" \
    "beq 3f\n" \
    "2:\n" EXP24_GROUP(PS) EXP24_GROUP(PS) "subs r3, r3, #2\n" \
    "bne 2b\n" \
    "3:\n"

/* exp24_c for ns = PS / 4 (words >= 1), two groups per iteration */
#define EXP24_FN(name, PS) \
    static int32_t *__attribute__((naked, noinline)) name(const int8_t *s0 __attribute__((unused)), \
                                                          const int8_t *s1 __attribute__((unused)), \
                                                          int32_t *dst __attribute__((unused)), \
                                                          int32_t words __attribute__((unused))) { \
        __asm volatile("push {r4-r9}\n" \
                       EXP24_GROUPS(PS) \
                       "mov r0, r2\n" \
                       "pop {r4-r9}\n" \
                       "bx lr\n"); \
    }
EXP24_FN(exp24_ns4, "16")
EXP24_FN(exp24_ns6, "24")
EXP24_FN(exp24_ns10, "40")

/* A whole pattern row set of one kernel row, ns = PS / 4: the slot pairs' columns at rp + coff[i],
 * rp + coff[i + 1] (rp 0: coff holds their addresses), icw groups each (r10 rp, r11 coff, r12 icw, lr pairs left,
 * [sp] the bytes from one pair's end back to the next pair's start). */
#define EXP24_ROW_FN(name, PS) \
    static void __attribute__((naked, noinline)) name(const int8_t *rp __attribute__((unused)), \
                                                      const int32_t *coff __attribute__((unused)), \
                                                      int32_t *dst __attribute__((unused)), \
                                                      int32_t icw __attribute__((unused))) { \
        __asm volatile("push {r4-r11, lr}\n" \
                       "mov r10, r0\n" \
                       "mov r11, r1\n" \
                       "mov r12, r3\n" \
                       "mov lr, #(6*" PS ")\n" \
                       "mul r4, r3, lr\n" \
                       "sub r4, r4, #8\n" \
                       "push {r4}\n" \
                       "mov lr, #(" PS "/8)\n" \
                       "1:\n" \
                       "ldm r11!, {r0, r1}\n" \
                       "add r0, r0, r10\n" \
                       "add r1, r1, r10\n" \
                       "mov r3, r12\n" \
                       EXP24_GROUPS(PS) \
                       "ldr r4, [sp]\n" \
                       "sub r2, r2, r4\n" \
                       "subs lr, lr, #1\n" \
                       "bne 1b\n" \
                       "add sp, sp, #4\n" \
                       "pop {r4-r11, pc}\n"); \
    }
EXP24_ROW_FN(exp24_row_ns4, "16")
EXP24_ROW_FN(exp24_row_ns6, "24")
EXP24_ROW_FN(exp24_row_ns10, "40")
#endif

static inline int32_t *exp24_run(const int8_t *s0, const int8_t *s1, int32_t *dst, int32_t words, int32_t ns) {
#if TFC_DSP_ASM
    switch (ns) { /* the routines of the model's slot counts (TFC_LINK_DEC24_NS*), else in C */
    case 4:
        if (TFC_LINK_DEC24_NS4) {
            return exp24_ns4(s0, s1, dst, words);
        }
        break;
    case 6:
        if (TFC_LINK_DEC24_NS6) {
            return exp24_ns6(s0, s1, dst, words);
        }
        break;
    case 10:
        if (TFC_LINK_DEC24_NS10) {
            return exp24_ns10(s0, s1, dst, words);
        }
        break;
    default:
        break;
    }
#endif
    return exp24_c(s0, s1, dst, words, ns);
}

#define PAD24_WORDS 16 /* padding words on the stack: padding columns are expanded this many at a time */

/* The column layout of the four pixels ox0 .. ox0 + 3 of output row oy (columns outside the input
 * read the padding value, pad). */
/* exp24_cols' columns of kernel row rp (0: padding) pair by pair in C, padding from pad */
static void __attribute__((noinline)) exp24_pairs(const tfc_conv_params *p, const int8_t *rp, int32_t xb, int32_t *d,
                                                  const lay24 *l, const int8_t *pad) {
    const int32_t icw = p->in_c >> 2, ns = l->ns;
    int32_t i, w;
    for (i = 0; i < ns; i += 2, d += 2) {
        const int32_t xa = xb + l->col[i], xc = xb + l->col[i + 1];
        const int ia = rp != 0 && l->col[i] >= 0 && xa >= 0 && xa < p->in_w;
        const int ic = rp != 0 && l->col[i + 1] >= 0 && xc >= 0 && xc < p->in_w;
        const int8_t *sa = ia ? rp + xa * p->in_c : pad, *sc = ic ? rp + xc * p->in_c : pad;
        if ((ia && ic) || icw <= PAD24_WORDS) {
            exp24_run(sa, sc, d, icw, ns);
            continue;
        }
        for (w = 0; w < icw; w += PAD24_WORDS) {
            exp24_run(ia ? sa + 4 * w : pad, ic ? sc + 4 * w : pad, d + w * 6 * ns,
                      icw - w < PAD24_WORDS ? icw - w : PAD24_WORDS, ns);
        }
    }
}

/* The column layout of the four pixels ox0 .. ox0 + 3 of output row oy (columns outside the input
 * read the padding value, pad): per kernel row one l->row call (the columns at fixed offsets from
 * the row's first, or at the addresses of a table when some are padding), else exp24_pairs. */
static void __attribute__((noinline)) exp24_cols(const tfc_conv_params *p, const int8_t *in_b, int32_t oy,
                                                 int32_t ox0, int32_t *exp, const lay24 *l, const int8_t *pad) {
    const int32_t xb = ox0 * p->stride_w - p->pad_left;
    const int inside = xb >= 0 && xb + l->cmax < p->in_w; /* every column of the four pixels */
    const int32_t row_bytes = p->in_w * p->in_c;
    int32_t y = oy * p->stride_h - p->pad_top;
    int32_t *d = exp;
    int32_t ky, i;
    for (ky = 0; ky < p->k_h; ++ky, y += p->dil_h, d += l->rw) {
        const int8_t *rp = y >= 0 && y < p->in_h ? in_b + y * row_bytes : 0;
        if (l->row != 0 && rp != 0 && inside) {
            l->row(rp + xb * p->in_c, l->coff, d, p->in_c >> 2);
        } else if (l->row != 0 && (p->in_c >> 2) <= PAD24_WORDS) {
            int32_t at[LAY24_SLOTS];
            for (i = 0; i < l->ns; ++i) {
                const int32_t x = xb + l->col[i];
                at[i] = (int32_t)(uintptr_t)(rp != 0 && l->col[i] >= 0 && x >= 0 && x < p->in_w ? rp + x * p->in_c
                                                                                               : pad);
            }
            l->row(0, at, d, p->in_c >> 2);
        } else {
            exp24_pairs(p, rp, xb, d, l, pad);
        }
    }
}

#if TFC_DSP_ASM
/* One group of one channel against four pixels' expanded windows (r0: decoded groups, r1..r4:
 * accumulators): the value pair and the address of the pattern's four input pairs, LDM, 4 SMLAD. */
#define DEC24_GROUP \
    "ldrd r9, r10, [r0], #8\n" \
    "ldm r10, {r5-r8}\n" \
    "smlad r1, r5, r9, r1\n" \
    "smlad r2, r6, r9, r2\n" \
    "smlad r3, r7, r9, r3\n" \
    "smlad r4, r8, r9, r4\n"

/* requantise r (already doubled: the decoded weights and the bias are), parameters m r5, rs r6,
 * rnd r7, r8 a temporary (tfc_rq_x2s) */
#define DEC24_RQ(r) \
    "smmlar r8, " r ", r5, r7\n" \
    "add " r ", r8, " r ", asr #31\n" \
    "asr " r ", " r ", r6\n" \
    "ssat " r ", #8, " r "\n"

/* Arguments of chans24_asm (offsets used by the assembly). */
typedef struct {
    const uint32_t *wp;   /* 0: the first channel's decoded groups (values doubled) */
    const uint32_t *wend; /* 4: the end of the last channel's */
    const int32_t *q;     /* 8: rq entry of the first channel */
    int8_t *o;            /* 12: output of the first channel, pixel 0; updated */
    int32_t step;         /* 16: pixel stride of the outputs */
    uint32_t lo4, hi4;    /* 20, 24: packed clamp bounds */
    int32_t ch_bytes;     /* 28: decoded bytes per channel (8 x groups_24) */
    int32_t clamp;        /* 32: 0: the range is all of int8 (SSAT alone), the clamp skipped */
} chans24_args;

/* The activation clamp of CHANS24_BODY's packed word r1 (r10: the arguments; r2 - r4 free) */
#define CHANS24_CLAMP \
    "ldrd r2, r3, [r10, #20]\n" \
    "ssub8 r4, r1, r2\n" \
    "sel r1, r1, r2\n" \
    "ssub8 r4, r1, r3\n" \
    "sel r1, r3, r1\n"

/* One channel after another (ENTRY: into the middle of the eight-group loop when the groups are
 * 4 mod 8): accumulators from the doubled bias, the groups, requantisation, CLAMP (CHANS24_CLAMP
 * or nothing), four stores. */
#define CHANS24_BODY(ENTRY, CLAMP) \
    "1:\n" \
    "ldr r1, [r11, #12]\n" \
    "lsl r1, r1, #1\n" \
    "mov r2, r1\n" \
    "mov r3, r1\n" \
    "mov r4, r1\n" ENTRY \
    "2:\n" DEC24_GROUP DEC24_GROUP DEC24_GROUP DEC24_GROUP \
    "4:\n" DEC24_GROUP DEC24_GROUP DEC24_GROUP DEC24_GROUP \
    "cmp r0, r12\n" \
    "bne 2b\n" \
    "ldm r11!, {r5-r8}\n" \
    DEC24_RQ("r1") DEC24_RQ("r2") DEC24_RQ("r3") DEC24_RQ("r4") \
    "bfi r1, r2, #8, #8\n" \
    "bfi r1, r3, #16, #8\n" \
    "bfi r1, r4, #24, #8\n" /* bytes: pixels 0, 1, 2, 3 */ \
    "ldr r10, [sp]\n" CLAMP \
    "ldrd r2, r3, [r10, #12]\n" \
    "lsr r4, r1, #8\n" \
    "strb r4, [r2, r3]\n" \
    "add r5, r2, r3, lsl #1\n" \
    "lsr r4, r1, #16\n" \
    "strb r4, [r5]\n" \
    "lsr r4, r1, #24\n" \
    "strb r4, [r5, r3]\n" \
    "strb r1, [r2], #1\n" \
    "str r2, [r10, #12]\n" \
    "ldr r2, [r10, #4]\n" \
    "add r12, r12, lr\n" \
    "cmp r0, r2\n" \
    "bne 1b\n" \
    "add sp, sp, #4\n" \
    "pop {r4-r11, pc}\n"

/* Every channel of a block against four pixels' expanded windows, fast requantisation (tfc_rq_x2s),
 * the four results clamped as one word (the clamp skipped when the range is all of int8) and stored
 * at o, o + step, o + 2 step, o + 3 step.
 * r0: groups, r12: the channel's end, r11: rq entries, lr: bytes per channel. */
static void __attribute__((naked, noinline)) chans24_asm(chans24_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "push {r0}\n"
        "ldr r1, [r0, #32]\n"
        "ldr lr, [r0, #28]\n"
        "ldr r11, [r0, #8]\n"
        "ldr r0, [r0, #0]\n"
        "add r12, r0, lr\n"
        "cmp r1, #0\n"
        "bne 7f\n"
        "tst lr, #32\n"
        "bne 9f\n"
        CHANS24_BODY("", "")
        "9:\n"
        CHANS24_BODY("b 4f\n", "")
        "7:\n"
        "tst lr, #32\n"
        "bne 8f\n"
        CHANS24_BODY("", CHANS24_CLAMP)
        "8:\n"
        CHANS24_BODY("b 4f\n", CHANS24_CLAMP));
}

#if TFC_LINK_DEC24S
/* The first group of a channel (CHANS24S_BODY): the accumulators start from the doubled bias r1 */
#define DEC24_GROUP_BIAS \
    "ldrd r9, r10, [r0], #8\n" \
    "ldm r10, {r5-r8}\n" \
    "smlad r2, r6, r9, r1\n" \
    "smlad r3, r7, r9, r1\n" \
    "smlad r4, r8, r9, r1\n" \
    "smlad r1, r5, r9, r1\n"

/* One channel after another of a small window (GROUPS: the decoded groups after the first, straight,
 * no group loop), full-range outputs (no clamp): the bias as the first group's addend, four
 * requantised bytes stored straight from their registers.
 * r0: groups, r11: rq entries, lr: output, r12: pixel step, [sp]: the end of the groups. */
#define CHANS24S_BODY(GROUPS) \
    "1:\n" \
    "ldr r1, [r11, #12]\n" \
    "lsl r1, r1, #1\n" DEC24_GROUP_BIAS GROUPS \
    "ldm r11!, {r5-r8}\n" \
    DEC24_RQ("r1") DEC24_RQ("r2") DEC24_RQ("r3") DEC24_RQ("r4") \
    "strb r2, [lr, r12]\n" \
    "add r5, lr, r12, lsl #1\n" \
    "strb r3, [r5]\n" \
    "strb r4, [r5, r12]\n" \
    "strb r1, [lr], #1\n" \
    "ldr r10, [sp]\n" \
    "cmp r0, r10\n" \
    "bne 1b\n" \
    "add sp, sp, #4\n" \
    "pop {r4-r11, pc}\n"

/* chans24_asm for windows of four or eight decoded groups (1x1 convolutions of up to 32 input
 * channels) and full-range outputs: no group loop, so the channel's end and its register are not
 * needed and the output pointer and step stay in registers (51 instructions per channel of four
 * groups and four pixels, chans24_asm 67). a->o is not updated. */
static void __attribute__((naked, noinline)) chans24s_asm(chans24_args *a __attribute__((unused))) {
    __asm volatile(
        "push {r4-r11, lr}\n"
        "ldr r1, [r0, #4]\n"
        "push {r1}\n"
        "ldr r12, [r0, #16]\n"
        "ldr lr, [r0, #12]\n"
        "ldr r11, [r0, #8]\n"
        "ldr r1, [r0, #28]\n"
        "ldr r0, [r0, #0]\n"
        "cmp r1, #32\n"
        "bne 8f\n"
        CHANS24S_BODY(DEC24_GROUP DEC24_GROUP DEC24_GROUP)
        "8:\n"
        CHANS24S_BODY(DEC24_GROUP DEC24_GROUP DEC24_GROUP DEC24_GROUP DEC24_GROUP DEC24_GROUP DEC24_GROUP));
}
#endif
#endif

/* The 2:4 layer: bands of rq[2] output rows (0: all), in each the blocks of rq[1] channels, four
 * pixels of a row at a time (scratch: the gathered byte window of the per-pixel layout, the four
 * pixels' block results (fused ADD, a row's last pixels), the decoded block, the expanded windows).
 * Pixels past a row's end read further columns or padding (their results are dropped). */
static void run_24(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                   const int8_t *residual, int8_t *out, int32_t *scratch, int32_t kp, int32_t blk) {
    const int32_t oc_n = p->out_c;
    const int32_t npix = p->out_h * p->out_w;
    const int32_t gp = groups_24(kp);
    const int fast = p->rq[0] & TFC_RQ_FAST;
    lay24 l;
    int32_t tmp_words, quad_words = blk; /* four pixels' block results (ADD, last pixels) */
    int8_t *tmp, *quad_out;
    uint32_t *wbuf;
    int32_t *exp;
    const int32_t *const lut1 = add ? add->tables : 0;
    const int add_fast = add ? add->tables_fast : 0;
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
    uint32_t pad[PAD24_WORDS];
    const int32_t rows = p->rq[2] > 0 ? p->rq[2] : p->out_h; /* output rows per pass over the blocks */
    const int32_t bands = (p->out_h + rows - 1) / rows, blocks = (oc_n + blk - 1) / blk;
    const int32_t quads = (p->out_w + 3) >> 2; /* per output row */
    int32_t pass, b, qi, i, px, c;
    lay24_of(p, &l);
    l.row = 0;
#if TFC_DSP_ASM
    /* windows of at most eight groups, full-range outputs: the straight routine */
#if TFC_LINK_DEC24S
    void (*const chans)(chans24_args *) = gp <= 8 && !os.clamp ? chans24s_asm : chans24_asm;
#else
    void (*const chans)(chans24_args *) = chans24_asm;
#endif
    chans24_args a;
    l.row = TFC_LINK_DEC24_NS4 && l.ns == 4    ? exp24_row_ns4
            : TFC_LINK_DEC24_NS6 && l.ns == 6  ? exp24_row_ns6
            : TFC_LINK_DEC24_NS10 && l.ns == 10 ? exp24_row_ns10
                                               : 0;
#endif
    tmp_words = l.cols ? 0 : kp >> 2;
    tmp = (int8_t *)scratch;
    quad_out = (int8_t *)(scratch + tmp_words);
    wbuf = (uint32_t *)(scratch + tmp_words + quad_words);
    exp = scratch + tmp_words + quad_words + 2 * blk * gp;
    for (i = 0; i < PAD24_WORDS; ++i) {
        pad[i] = pad4;
    }
    for (pass = 0; pass < bands * blocks; ++pass) {
        /* band by band, in each block by block, every other band backwards: a band starts with the
         * block the one before ended with, still decoded */
        const int32_t band = pass / blocks, j = pass - band * blocks;
        const int32_t oy0 = band * rows, c0 = ((band & 1) ? blocks - 1 - j : j) * blk;
        const int32_t q1 = (p->out_h - oy0 < rows ? p->out_h : oy0 + rows) * quads;
        const int32_t nb = oc_n - c0 < blk ? oc_n - c0 : blk;
        if (band == 0 || j > 0) {
#if TFC_DSP_ASM
            if (fast || !TFC_LINK_DEC24_C) { /* TFC_LINK_DEC24_C: some 2:4 layer requantises slowly */
                decode_24_asm(p, c0, nb, kp, wbuf, exp, &l);
            } else
#endif
            decode_24(p, c0, nb, kp, wbuf, exp, &l);
        }
#if TFC_DSP_ASM
        a.wp = wbuf; /* the block's arguments; per quad the output */
        a.wend = wbuf + 2 * gp * nb;
        a.ch_bytes = 8 * gp;
        a.q = p->rq + TFC_RQ_HEADER + 4 * c0;
        a.lo4 = os.lo4;
        a.hi4 = os.hi4;
        a.clamp = os.clamp;
#endif
        for (b = 0; b < p->batches; ++b) {
            const int8_t *in_b = in + b * p->in_h * p->in_w * p->in_c;
            for (qi = oy0 * quads; qi < q1; ++qi) { /* four pixels of a row */
                const int32_t oy = qi / quads, ox = 4 * (qi - oy * quads);
                const int32_t n = p->out_w - ox < 4 ? p->out_w - ox : 4;
                const int32_t pix = oy * p->out_w + ox;
                if (l.cols) {
                    exp24_cols(p, in_b, oy, ox, exp, &l, (const int8_t *)pad);
                } else {
                    for (px = 0; px < 4; ++px) {
                        dec_window_24(p, in_b, oy, ox + (px < n ? px : n - 1), exp + px, kp, tmp);
                    }
                }
#if TFC_DSP_ASM
                if (fast || !TFC_LINK_DEC24_C) {
                    const int direct = !add && n == 4;
                    a.o = direct ? out + (b * npix + pix) * oc_n + c0 : quad_out;
                    a.step = direct ? oc_n : nb;
                    chans(&a);
                    if (!add && !direct) {
                        for (px = 0; px < n; ++px) {
                            for (c = 0; c < nb; ++c) {
                                out[(b * npix + pix + px) * oc_n + c0 + c] = quad_out[px * nb + c];
                            }
                        }
                    }
                } else
#endif
                for (c = 0; c < nb; ++c) {
                    const int32_t *q = p->rq + TFC_RQ_HEADER + 4 * (c0 + c);
                    const uint32_t *wp = wbuf + c * 2 * gp;
                    int32_t acc[4];
                    acc[0] = acc[1] = acc[2] = acc[3] = q[3];
                    for (i = 0; i < gp; ++i, wp += 2) {
#if DEC_ABS
                        const int32_t *x = (const int32_t *)(uintptr_t)wp[1];
#else
                        const int32_t *x = exp + wp[1];
#endif
                        acc[0] = tfc_smlad(x[0], (int32_t)wp[0], acc[0]);
                        acc[1] = tfc_smlad(x[1], (int32_t)wp[0], acc[1]);
                        acc[2] = tfc_smlad(x[2], (int32_t)wp[0], acc[2]);
                        acc[3] = tfc_smlad(x[3], (int32_t)wp[0], acc[3]);
                    }
                    {
                        int8_t *o = add ? quad_out + c : out + (b * npix + pix) * oc_n + c0 + c;
                        const int32_t step = add ? nb : oc_n;
                        if (fast && n == 4) { /* four pixels requantised and clamped together */
                            const int32_t m = q[0], rs = q[1], rnd = q[2];
                            const uint32_t v = tfc_clamp4(tfc_pack4(tfc_rq_fast8(acc[0], m, rs, rnd, 0),
                                                                    tfc_rq_fast8(acc[1], m, rs, rnd, 0),
                                                                    tfc_rq_fast8(acc[2], m, rs, rnd, 0),
                                                                    tfc_rq_fast8(acc[3], m, rs, rnd, 0)),
                                                          os.lo4, os.hi4);
                            o[0] = (int8_t)v;
                            o[step] = (int8_t)(v >> 8);
                            o[2 * step] = (int8_t)(v >> 16);
                            o[3 * step] = (int8_t)(v >> 24);
                        } else {
                            for (px = 0; px < n; ++px) {
                                o[px * step] = fast ? tfc_clamp8(tfc_rq_fast(acc[px], q[0], q[1], q[2]), &os)
                                                    : tfc_out8(tfc_mbqm(acc[px], p->mult[c0 + c], p->shift[c0 + c]),
                                                               &os);
                            }
                        }
                    }
                }
                if (add) { /* the pixels' outputs are contiguous when the block is the layer: one call */
                    const int32_t each = nb == oc_n ? n * nb : nb;
                    for (px = 0; px < n; px += each / nb) {
                        const int32_t at = (b * npix + pix + px) * oc_n + c0;
                        tfc_add_dense(add, quad_out + px * nb, residual + at, out + at, each, lut1, lut1 + 256,
                                      add_fast);
                    }
                }
            }
        }
    }
}

/* Channels c0 .. c0 + nb - 1 of one pixel pair from the decoded block w (q: channel c0's rq
 * entry): outputs of channel c0 + j at o0[j] and, when o1_off, o0[o1_off + j]. */
static void __attribute__((noinline)) dec_pairs(const tfc_conv_params *p, const int32_t *colw, int32_t kp,
                                                const int8_t *w, const int32_t *q, int32_t c0, int32_t nb,
                                                int8_t *o0, int32_t o1_off, const tfc_out_stage *os) {
    /* TFC_LINK_DEC_SLOW: some layer requantises slowly (multipliers and shifts) */
    const int fast = !TFC_LINK_DEC_SLOW || (p->rq[0] & TFC_RQ_FAST);
    int32_t j = 0;
    (void)os; /* the assembly tail's clamp bytes */
#if TFC_DSP_ASM
    if (TFC_LINK_DEC_PAIRS && fast && nb >= 2) { /* else the loop below (exact) */
        conv_pairs_args a;
        a.col = colw;
        a.end = colw + kp;
        a.w = w;
        a.q = q;
        a.o0 = o0;
        a.o1_off = o1_off;
        a.pairs = nb >> 1;
        a.lo4 = os->lo4;
        a.hi4 = os->hi4;
        dec_pairs_asm(&a);
        j = nb & ~1;
        w += 2 * j * kp;
        q += 4 * j;
    }
#endif
    for (; j < nb; j += 2) {
        const int32_t *x = colw;
        const int32_t *wp = (const int32_t *)w;
        int32_t a0 = q[3], a1 = q[3], a2 = q[7], a3 = q[7], g;
        for (g = 0; g < kp; g += 4, x += 4, wp += 4) {
            a0 = tfc_smlad(x[1], wp[1], tfc_smlad(x[0], wp[0], a0));
            a1 = tfc_smlad(x[3], wp[1], tfc_smlad(x[2], wp[0], a1));
            a2 = tfc_smlad(x[1], wp[3], tfc_smlad(x[0], wp[2], a2));
            a3 = tfc_smlad(x[3], wp[3], tfc_smlad(x[2], wp[2], a3));
        }
        o0[j] = tfc_conv_requant(a0, p, q, c0 + j, fast);
        if (o1_off) {
            o0[o1_off + j] = tfc_conv_requant(a1, p, q, c0 + j, fast);
        }
        if (j + 1 < nb) {
            o0[j + 1] = tfc_conv_requant(a2, p, q + 4, c0 + j + 1, fast);
            if (o1_off) {
                o0[o1_off + j + 1] = tfc_conv_requant(a3, p, q + 4, c0 + j + 1, fast);
            }
        }
        w += 4 * kp;
        q += 8;
    }
}

/* Scratch words of run_24 (decoded.py's scratch()). */
static int32_t words24(const tfc_conv_params *p, int32_t kp, int32_t blk) {
    lay24 l;
    lay24_of(p, &l);
    return blk + 2 * blk * groups_24(kp) + (l.cols ? p->k_h * l.rw : (kp >> 2) + 6 * kp);
}

/* Which of dec_run's paths a storage links (tfc_variants.h: TFC_LINK_DEC_{W4,SP}_{PC,PLAIN}) */
#define DEC_LINK_PC(kind) ((kind) == DEC_W4 ? TFC_LINK_DEC_W4_PC : TFC_LINK_DEC_SP_PC)
#define DEC_LINK_PLAIN(kind) ((kind) == DEC_W4 ? TFC_LINK_DEC_W4_PLAIN : TFC_LINK_DEC_SP_PLAIN)

static inline __attribute__((always_inline)) void dec_run(const tfc_conv_params *p, const tfc_binary_params *add,
                                                          const int8_t *in, const int8_t *residual, int8_t *out,
                                                          const int kind) {
    const int32_t kp = (p->k_h * p->k_w * p->in_c + 3) & ~3;
    const int32_t oc_n = p->out_c;
    const int32_t npix = p->out_h * p->out_w;
    const int32_t blk = p->rq[1]; /* channels per block, even */
    const int32_t col_words = kp + (((p->in_c & 3) != 0 || p->dil_w != 1) ? kp >> 2 : 0);
    const int32_t pair_words = add ? (2 * blk + 3) >> 2 : 0;
    const int32_t w_words = (blk * kp) >> 1;
    const int32_t words_24 = kind == DEC_24 && TFC_LINK_DEC24 ? words24(p, kp, blk) : 0; /* run_24's */
    const int32_t words_pc = (col_words - kp) + kp + (kp >> 1) + ((3 * blk + 3) >> 2) + (w_words >> 1); /* run_pc */
    int32_t stack[p->scratch ? 1
                             : (kind == DEC_24                   ? words_24
                                : (p->rq[0] & TFC_RQ_PAIR) != 0 ? words_pc
                                                                : col_words + pair_words + w_words)];
    int32_t *const colw = p->scratch ? (int32_t *)p->scratch : stack;
    int8_t *const tmp = (int8_t *)(colw + kp);
    int8_t *const pair_out = (int8_t *)(colw + col_words);
    int8_t *const wbuf = (int8_t *)(colw + col_words + pair_words);
    const int32_t *const lut1 = add ? add->tables : 0;
    const int add_fast = add ? add->tables_fast : 0;
    const int pointwise = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                          p->pad_left == 0 && (p->in_c & 3) == 0;
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    const int32_t rows = p->rq[2] > 0 ? p->rq[2] : p->out_h; /* output rows per pass over the blocks */
    const int32_t blocks = (oc_n + blk - 1) / blk;
    const int8_t *vals;
    int32_t oy0, b, pix, i, k;
    if (kind == DEC_24) {
        if (TFC_LINK_DEC24) {
            run_24(p, add, in, residual, out, colw, kp, blk);
        }
        return;
    }
    if (!DEC_LINK_PC(kind) && !DEC_LINK_PLAIN(kind)) { /* a storage the model has no layer of */
        return;
    }
    /* pair-code layers (run_pc) and the others (below): compiled per storage as the model's layers need */
    if (DEC_LINK_PC(kind) && (!DEC_LINK_PLAIN(kind) || (p->rq[0] & TFC_RQ_PAIR))) {
        run_pc(p, add, in, residual, out, colw, kp, blk, kind == DEC_W4 ? decode_w4 : decode_sp, add ? dec_add : 0);
        return;
    }
    for (oy0 = 0; oy0 < p->out_h; oy0 += rows) {
      const int32_t pend = (p->out_h - oy0 < rows ? p->out_h : oy0 + rows) * p->out_w; /* the band's pixels */
      const int back = kind == DEC_W4 && ((oy0 / rows) & 1); /* as run_pc: 4-bit bands zigzag */
      vals = p->weights;
      for (k = 0; k < blocks; ++k) {
        const int32_t c0 = (back ? blocks - 1 - k : k) * blk;
        const int32_t nb = oc_n - c0 < blk ? oc_n - c0 : blk;
        const int32_t *q = p->rq + TFC_RQ_HEADER + 4 * c0;
        if (kind == DEC_W4) {
            if (oy0 == 0 || k > 0) {
                decode_w4(p, c0, nb, kp, wbuf, &vals, 0, 0);
            }
        } else {
            decode_sp(p, c0, nb, kp, wbuf, &vals, 0, 0);
        }
        for (b = 0; b < p->batches; ++b) {
            const int8_t *in_b = in + b * p->in_h * p->in_w * p->in_c;
            for (pix = oy0 * p->out_w; pix < pend; pix += 2) {
                const int two = pix + 1 < pend;
                const int32_t at = (b * npix + pix) * oc_n + c0;
                if (pointwise || !TFC_LINK_DEC_PLAIN_WIN) { /* TFC_LINK_DEC_PLAIN_WIN: some layer is not 1x1 */
                    tfc_widen_pointwise_pair(in_b + pix * kp, kp, two, colw);
                } else {
                    dec_window_plain(p, in_b, pix / p->out_w, pix % p->out_w, colw, kp, tmp);
                    if (two) {
                        dec_window_plain(p, in_b, (pix + 1) / p->out_w, (pix + 1) % p->out_w, colw + 2, kp, tmp);
                    } else {
                        for (i = 0; i < kp; i += 4) { /* defined values in the unused slot */
                            colw[i + 2] = colw[i + 3] = 0;
                        }
                    }
                }
                if (add) {
                    dec_pairs(p, colw, kp, wbuf, q, c0, nb, pair_out, two ? nb : 0, &os);
                    tfc_add_dense(add, pair_out, residual + at, out + at, nb, lut1, lut1 + 256, add_fast);
                    if (two) {
                        tfc_add_dense(add, pair_out + nb, residual + at + oc_n, out + at + oc_n, nb, lut1, lut1 + 256,
                                      add_fast);
                    }
                } else {
                    dec_pairs(p, colw, kp, wbuf, q, c0, nb, out + at, two ? oc_n : 0, &os);
                }
            }
        }
      }
    }
}

void tfc_conv2d_s8_dec_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    dec_run(p, 0, in, 0, out, DEC_W4);
}

void tfc_conv2d_add_s8_dec_w4(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                              const int8_t *residual, int8_t *out) {
    dec_run(p, add, in, residual, out, DEC_W4);
}

void tfc_conv2d_s8_dec_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    dec_run(p, 0, in, 0, out, DEC_SP);
}

void tfc_conv2d_add_s8_dec_sp(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                              const int8_t *residual, int8_t *out) {
    dec_run(p, add, in, residual, out, DEC_SP);
}

void tfc_conv2d_s8_dec_2of4(const tfc_conv_params *p, const int8_t *in, int8_t *out) {
    dec_run(p, 0, in, 0, out, DEC_24);
}

void tfc_conv2d_add_s8_dec_2of4(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                                const int8_t *residual, int8_t *out) {
    dec_run(p, add, in, residual, out, DEC_24);
}
