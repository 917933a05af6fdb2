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

/* (a * b + 2^31) >> 32 */
static inline int32_t tfc_smmulr(int32_t a, int32_t b) {
    int32_t r;
    __asm("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline int32_t tfc_ssat8(int32_t x) { return __ssat(x, 8); }

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

static inline int32_t tfc_smmulr(int32_t a, int32_t b) {
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32);
}

static inline int32_t tfc_ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }
#endif

/* Unaligned-safe 32-bit load/store (a single LDR/STR on Cortex-M4/M7). */
static inline uint32_t tfc_ld32(const void *p) {
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

/* Per-channel requantisation table of the optimised kernels (built on the host by
 * tfcompress.engine.kernels_opt): rq[0] = flags, rq[1..3] = 0, then per channel
 * {multiplier, left shift + 1, right shift (>= 1), 1 << (right shift - 1)}. */
#define TFC_RQ_FAST 1 /* every channel: |acc << (lshift + 1)| < 2^31 and right shift >= 1 */
#define TFC_RQ_HEADER 4

/* MultiplyByQuantizedMultiplier for the TFC_RQ_FAST case: SMMULR(acc << (ls + 1), m) equals the
 * saturating rounding doubling high multiply of (acc << ls) and m when the doubled value fits,
 * and (r + (r < 0 ? -1 : 0) + 2^(rs-1)) >> rs is the rounding (half away from zero) right shift. */
static inline int32_t tfc_rq_fast(int32_t acc, const int32_t *q) {
    const int32_t r = tfc_smmulr((int32_t)((uint32_t)acc << q[1]), q[0]);
    return (r + (r >> 31) + q[3]) >> q[2];
}

#endif /* TFC_DSP_H */
