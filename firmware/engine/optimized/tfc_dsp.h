/* tfc_dsp.h — Cortex-M4/M7 DSP helpers of the optimised tfcompress kernels.
 *
 * ACLE intrinsics (arm_acle.h) and a few instructions GCC 12's arm_acle.h lacks (SXTB16 with
 * rotation, SMMULR), with portable C equivalents when __ARM_FEATURE_DSP is absent, so host
 * builds run exactly the same algorithm. Requantisation helpers reproduce TFLite Micro's
 * MultiplyByQuantizedMultiplier bit for bit (see tfc_fixedpoint.h for the reference form).
 */
#ifndef TFC_DSP_H
#define TFC_DSP_H

#include <stdint.h>

#include "../tfc_fixedpoint.h"
#include "../tfc_kernels.h"
#include "tfc_limits.h" /* generated from tfcompress/engine/kernel_limits.py: TFC_RQ_*, buffer limits */

/* The kernel variants the model runs (generated per model by tfcompress/engine/optimized/variants.py:
 * TFC_LINK_<name> 0 compiles a variant out); sources built without it get every variant. */
#if defined(__has_include)
#if __has_include("tfc_variants.h")
#include "tfc_variants.h"
#endif
#endif
#ifndef TFC_LINK_ADD4
#define TFC_LINK_ADD4 1
#endif
#ifndef TFC_LINK_ADD4C
#define TFC_LINK_ADD4C 1
#endif
#ifndef TFC_LINK_FIRST14
#define TFC_LINK_FIRST14 1
#endif
#ifndef TFC_LINK_FIRST_LOOP
#define TFC_LINK_FIRST_LOOP 1
#endif
#ifndef TFC_LINK_FIRST_EVEN
#define TFC_LINK_FIRST_EVEN 1
#endif
#ifndef TFC_LINK_FIRST_PIXELS
#define TFC_LINK_FIRST_PIXELS 1
#endif
#ifndef TFC_LINK_WIDEN_333
#define TFC_LINK_WIDEN_333 1
#endif
#ifndef TFC_LINK_WIDEN_3P
#define TFC_LINK_WIDEN_3P 1
#endif
#ifndef TFC_LINK_WIDEN_1
#define TFC_LINK_WIDEN_1 1
#endif
#ifndef TFC_LINK_WIDEN_ANY
#define TFC_LINK_WIDEN_ANY 1
#endif
#ifndef TFC_LINK_FC_GENERIC
#define TFC_LINK_FC_GENERIC 1
#endif
#ifndef TFC_LINK_FC_SHARED
#define TFC_LINK_FC_SHARED 1
#endif
#ifndef TFC_LINK_FC_CHANNEL
#define TFC_LINK_FC_CHANNEL 1
#endif
#ifndef TFC_LINK_FC_XW
#define TFC_LINK_FC_XW 1
#endif
#ifndef TFC_LINK_FC_X8
#define TFC_LINK_FC_X8 1
#endif
#ifndef TFC_LINK_CONV_PAIRS_FAST
#define TFC_LINK_CONV_PAIRS_FAST 1
#endif
#ifndef TFC_LINK_CONV_GENERIC
#define TFC_LINK_CONV_GENERIC 1
#endif
#ifndef TFC_LINK_CONV_PLAIN
#define TFC_LINK_CONV_PLAIN 1
#endif
#ifndef TFC_LINK_TRIPLES
#define TFC_LINK_TRIPLES 1
#endif
#ifndef TFC_LINK_TRIPLES_C
#define TFC_LINK_TRIPLES_C 1
#endif
#ifndef TFC_LINK_DWP_ASM
#define TFC_LINK_DWP_ASM 1
#endif
#ifndef TFC_LINK_DWP_ASM6
#define TFC_LINK_DWP_ASM6 1
#endif
#ifndef TFC_LINK_DWP_ASM6N
#define TFC_LINK_DWP_ASM6N 1
#endif
#ifndef TFC_LINK_DWP_ASM3
#define TFC_LINK_DWP_ASM3 1
#endif
#ifndef TFC_LINK_DWP_ROW_C
#define TFC_LINK_DWP_ROW_C 1
#endif
#ifndef TFC_LINK_DWP_NARROW
#define TFC_LINK_DWP_NARROW 1
#endif
#ifndef TFC_LINK_DWP_WIDE
#define TFC_LINK_DWP_WIDE 1
#endif
#ifndef TFC_LINK_DWP_ROWS
#define TFC_LINK_DWP_ROWS 1
#endif
#ifndef TFC_LINK_DWP_ROWS_C
#define TFC_LINK_DWP_ROWS_C 1
#endif
#ifndef TFC_LINK_DEC24S
#define TFC_LINK_DEC24S 1
#endif
#ifndef TFC_LINK_DEC24
#define TFC_LINK_DEC24 1
#endif
#ifndef TFC_LINK_DEC24_C
#define TFC_LINK_DEC24_C 1
#endif
#ifndef TFC_LINK_DEC24_NS4
#define TFC_LINK_DEC24_NS4 1
#endif
#ifndef TFC_LINK_DEC24_NS6
#define TFC_LINK_DEC24_NS6 1
#endif
#ifndef TFC_LINK_DEC24_NS10
#define TFC_LINK_DEC24_NS10 1
#endif
#ifndef TFC_LINK_DEC_W4_PC
#define TFC_LINK_DEC_W4_PC 1
#endif
#ifndef TFC_LINK_DEC_W4_PLAIN
#define TFC_LINK_DEC_W4_PLAIN 1
#endif
#ifndef TFC_LINK_DEC_SP_PC
#define TFC_LINK_DEC_SP_PC 1
#endif
#ifndef TFC_LINK_DEC_SP_PLAIN
#define TFC_LINK_DEC_SP_PLAIN 1
#endif
#ifndef TFC_LINK_DEC_PLAIN_WIN
#define TFC_LINK_DEC_PLAIN_WIN 1
#endif
#ifndef TFC_LINK_DEC_SLOW
#define TFC_LINK_DEC_SLOW 1
#endif
#ifndef TFC_LINK_DEC_LUT
#define TFC_LINK_DEC_LUT 1
#endif
#ifndef TFC_LINK_DEC_BORDER
#define TFC_LINK_DEC_BORDER 1
#endif
#ifndef TFC_LINK_DEC_PAIRS
#define TFC_LINK_DEC_PAIRS 1
#endif

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define TFC_DSP 1

/* (int16)bytes 0 and 2 of x, sign-extended into the two halfwords */
static inline int32_t tfc_sxtb16(uint32_t x) { return (int32_t)__sxtb16((int8x4_t)x); }

/* bytes 1 and 3 of x, sign-extended into the two halfwords */
static inline int32_t tfc_sxtb16_ror8(uint32_t x) {
    int32_t r;
    __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

static inline int32_t tfc_smlad(int32_t a, int32_t b, int32_t acc) {
    return __smlad((int16x2_t)a, (int16x2_t)b, acc);
}

static inline int32_t tfc_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t tfc_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }
static inline int32_t tfc_smlabt(int32_t a, int32_t b, int32_t acc) { return __smlabt(a, b, acc); }
static inline int32_t tfc_smlatb(int32_t a, int32_t b, int32_t acc) { return __smlatb(a, b, acc); }

/* (a * b + 2^31) >> 32 */
static inline int32_t tfc_smmulr(int32_t a, int32_t b) {
    int32_t r;
    __asm("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* acc + ((a * b + 2^31) >> 32) */
static inline int32_t tfc_smmlar(int32_t a, int32_t b, int32_t acc) {
    int32_t r;
    __asm("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

static inline int32_t tfc_ssat8(int32_t x) { return __ssat(x, 8); }

static inline int32_t tfc_sadd16(int32_t a, int32_t b) { return (int32_t)__sadd16((int16x2_t)a, (int16x2_t)b); }

/* per byte: signed max(v, lo) then min(., hi) (SSUB8 sets GE per byte, SEL picks) */
static inline uint32_t tfc_clamp4(uint32_t v, uint32_t lo4, uint32_t hi4) {
    uint32_t t;
    __asm("ssub8 %[t], %[v], %[lo]\n\t"
          "sel %[v], %[v], %[lo]\n\t"
          "ssub8 %[t], %[v], %[hi]\n\t"
          "sel %[v], %[hi], %[v]"
          : [v] "+r"(v), [t] "=&r"(t)
          : [lo] "r"(lo4), [hi] "r"(hi4)
          : "cc");
    return v;
}

#else /* portable fallbacks: the same arithmetic in C */
#define TFC_DSP 0

static inline int32_t tfc_sxtb16(uint32_t x) {
    return (int32_t)(((uint32_t)(uint16_t)(int16_t)(int8_t)(x & 0xFFu)) |
                     ((uint32_t)(uint16_t)(int16_t)(int8_t)((x >> 16) & 0xFFu) << 16));
}

static inline int32_t tfc_sxtb16_ror8(uint32_t x) { return tfc_sxtb16((x >> 8) | (x << 24)); }

static inline int32_t tfc_lo16(int32_t a) { return (int32_t)(int16_t)((uint32_t)a & 0xFFFFu); }
static inline int32_t tfc_hi16(int32_t a) { return (int32_t)(int16_t)((uint32_t)a >> 16); }

static inline int32_t tfc_smlad(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)(tfc_lo16(a) * tfc_lo16(b)) +
                     (uint32_t)(tfc_hi16(a) * tfc_hi16(b)));
}

static inline int32_t tfc_smlabb(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)(tfc_lo16(a) * tfc_lo16(b)));
}

static inline int32_t tfc_smlatt(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)(tfc_hi16(a) * tfc_hi16(b)));
}

static inline int32_t tfc_smlabt(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)(tfc_lo16(a) * tfc_hi16(b)));
}

static inline int32_t tfc_smlatb(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)(tfc_hi16(a) * tfc_lo16(b)));
}

static inline int32_t tfc_smmulr(int32_t a, int32_t b) {
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32);
}

static inline int32_t tfc_smmlar(int32_t a, int32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)tfc_smmulr(a, b));
}

static inline int32_t tfc_ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }

static inline int32_t tfc_sadd16(int32_t a, int32_t b) {
    return (int32_t)(((uint32_t)(uint16_t)(tfc_lo16(a) + tfc_lo16(b))) |
                     ((uint32_t)(uint16_t)(tfc_hi16(a) + tfc_hi16(b)) << 16));
}

static inline uint32_t tfc_clamp4(uint32_t v, uint32_t lo4, uint32_t hi4) {
    uint32_t r = 0;
    int i;
    for (i = 0; i < 32; i += 8) {
        int32_t x = (int8_t)(v >> i);
        const int32_t lo = (int8_t)(lo4 >> i), hi = (int8_t)(hi4 >> i);
        x = x < lo ? lo : x;
        x = x >= hi ? hi : x;
        r |= (uint32_t)(uint8_t)x << i;
    }
    return r;
}
#endif

/* PKHBT (low half of a, low half of b in the top) and PKHTB (low half from the top of b, top of a) */
static inline uint32_t tfc_pkhbt16(uint32_t a, uint32_t b) { return (a & 0xFFFFu) | (b << 16); }
static inline uint32_t tfc_pkhtb16(uint32_t a, uint32_t b) { return (a & 0xFFFF0000u) | (b >> 16); }

/* One group of four positions of three windows (the words w0, w1, w2) in the triple layout: the
 * even positions of the three, then the odd ones, as int16 pairs; returns dst past the six words. */
static inline int32_t *tfc_widen3_group(int32_t *dst, uint32_t w0, uint32_t w1, uint32_t w2) {
    dst[0] = tfc_sxtb16(w0);
    dst[1] = tfc_sxtb16(w1);
    dst[2] = tfc_sxtb16(w2);
    dst[3] = tfc_sxtb16_ror8(w0);
    dst[4] = tfc_sxtb16_ror8(w1);
    dst[5] = tfc_sxtb16_ror8(w2);
    return dst + 6;
}

/* Four int32 values already in [-128, 127] as the bytes {a, b, c, d} of a word. */
static inline uint32_t tfc_pack4(int32_t a, int32_t b, int32_t c, int32_t d) {
    const uint32_t ac = ((uint32_t)a & 0xFFu) | ((uint32_t)c << 16);
    const uint32_t bd = ((uint32_t)b & 0xFFu) | ((uint32_t)d << 16);
    return (ac & 0x00FF00FFu) | ((bd & 0x00FF00FFu) << 8);
}

/* Inline-assembly inner loops need the registers an optimising build frees (no frame pointer);
 * -O0 builds take the C versions of the same loops. */
#if TFC_DSP && defined(__OPTIMIZE__)
#define TFC_DSP_ASM 1
#else
#define TFC_DSP_ASM 0
#endif

/* Unaligned-safe 32-bit load/store (a single LDR/STR on Cortex-M4/M7). */
static inline uint32_t tfc_ld32(const void *p) {
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

/* Per-channel requantisation table of the optimised kernels (built on the host by
 * tfcompress/engine/optimized/requant.py): rq[0] = flags (TFC_RQ_FAST, TFC_RQ_SHARED, TFC_RQ_PLANAR,
 * TFC_RQ_PAIR in tfc_limits.h), rq[1 .. TFC_RQ_HEADER - 1] = 0, then per channel
 * {multiplier, right shift (>= 1), (1 << (right shift - 1)) + (output zero point << right shift),
 * folded bias}: the rounding constant carries the zero point, so the fast result includes it. */

/* MultiplyByQuantizedMultiplier for the TFC_RQ_FAST case, of an accumulator that is already
 * doubled: SMMULR(acc2, m) equals the saturating rounding doubling high multiply of acc and m
 * when acc2 = 2 * acc fits, and (r + (r < 0 ? -1 : 0) + 2^(rs-1)) >> rs is the rounding (half
 * away from zero) right shift (rnd = 2^(rs-1), plus the zero point << rs where it is folded in). */
static inline int32_t tfc_rq_x2(int32_t acc2, int32_t m, int32_t rs, int32_t rnd) {
    const int32_t r = tfc_smmulr(acc2, m);
    return (r + (r >> 31) + rnd) >> rs;
}

/* tfc_rq_x2 in one instruction fewer (the conv and FC kernels): SMMLAR adds rnd to r, and the
 * sign correction takes the accumulator's sign instead of r's. Equal: with m >= 0, r < 0 only when
 * acc2 < 0, and where r == 0 but acc2 < 0 both give (rnd - 1) >> rs == rnd >> rs for the rq table's
 * rnd = 2^(rs-1) + (zp << rs); a dead channel's constant entry (m = 0, rs = 1) has rnd = 2v + 1,
 * which gives v whatever the sign of acc2 = 2 * bias (it wraps for bias >= 2^30) (requant.py
 * rq_table, which also requires m >= 0). */
static inline int32_t tfc_rq_x2s(int32_t acc2, int32_t m, int32_t rs, int32_t rnd) {
    return (tfc_smmlar(acc2, m, rnd) + (acc2 >> 31)) >> rs;
}

/* The same for the accumulator itself. */
static inline int32_t tfc_rq_fast(int32_t acc, int32_t m, int32_t rs, int32_t rnd) {
    return tfc_rq_x2((int32_t)((uint32_t)acc << 1), m, rs, rnd);
}

/* Requantised, zero-pointed and int8-saturated (activation clamp not applied). */
static inline int32_t tfc_rq_fast8(int32_t acc, int32_t m, int32_t rs, int32_t rnd, int32_t zp) {
    return tfc_ssat8(tfc_rq_fast(acc, m, rs, rnd) + zp);
}

/* tfc_rq_fast8 in the tfc_rq_x2s form (the conv kernels' C path, as their assembly). */
static inline int32_t tfc_rq_fast8s(int32_t acc, int32_t m, int32_t rs, int32_t rnd, int32_t zp) {
    return tfc_ssat8(tfc_rq_x2s((int32_t)((uint32_t)acc << 1), m, rs, rnd) + zp);
}

/* Output stage shared by the kernels: zero point, int8 saturation, fused activation. */
typedef struct {
    int32_t zp, act_min, act_max, clamp; /* clamp: the activation range is narrower than int8 */
    uint32_t lo4, hi4;                   /* act_min / act_max in every byte (tfc_clamp4) */
} tfc_out_stage;

/* int8 saturation and fused activation of a value that already includes the zero point */
static inline int8_t tfc_clamp8(int32_t r, const tfc_out_stage *o) {
    r = tfc_ssat8(r);
    if (o->clamp) {
        r = r < o->act_min ? o->act_min : (r > o->act_max ? o->act_max : r);
    }
    return (int8_t)r;
}

/* ... and of a value without it (spelled out: as a call of tfc_clamp8, -Os inlines differently) */
static inline int8_t tfc_out8(int32_t r, const tfc_out_stage *o) {
    r = tfc_ssat8(r + o->zp);
    if (o->clamp) {
        r = r < o->act_min ? o->act_min : (r > o->act_max ? o->act_max : r);
    }
    return (int8_t)r;
}

static inline tfc_out_stage tfc_out_stage_of(int32_t zp, int32_t act_min, int32_t act_max) {
    tfc_out_stage o;
    o.zp = zp;
    o.act_min = act_min;
    o.act_max = act_max;
    o.clamp = act_min > -128 || act_max < 127;
    o.lo4 = (uint32_t)(uint8_t)act_min * 0x01010101u;
    o.hi4 = (uint32_t)(uint8_t)act_max * 0x01010101u;
    return o;
}

/* One output of a CONV_2D / DEPTHWISE_CONV_2D channel oc (q: its rq entry): the fast
 * requantisation when the layer has TFC_RQ_FAST, else TFLM's arithmetic on mult / shift. */
static inline int8_t tfc_conv_requant(int32_t acc, const tfc_conv_params *p, const int32_t *q, int32_t oc, int fast) {
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    return fast ? tfc_clamp8(tfc_rq_fast(acc, q[0], q[1], q[2]), &os) : tfc_out8(tfc_mbqm(acc, p->mult[oc], p->shift[oc]), &os);
}

#endif /* TFC_DSP_H */
