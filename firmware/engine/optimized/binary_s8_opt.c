/* ADD and MUL, int8, optimised: drop-in for binary_s8.c (both entry points live here).
 *
 * ADD: each input's rescaling only depends on its int8 value, so it is tabulated once per call
 * (2 x 256 entries on the stack, computed with the reference arithmetic); per element there is
 * one sum and one output requantisation, done with SMMULR when the sum provably fits.
 * MUL: the reference arithmetic. Both broadcast like the reference (strides 0), with a flat
 * loop when neither input broadcasts.
 */
#include "tfc_dsp.h"
#include "../tfc_kernels.h"

static int dense(const tfc_binary_params *p) {
    int32_t d, acc = 1;
    for (d = p->ndim - 1; d >= 0; --d) {
        if (p->shape[d] != 1 && (p->stride1[d] != acc || p->stride2[d] != acc)) {
            return 0;
        }
        acc *= p->shape[d];
    }
    return 1;
}

static int32_t total(const tfc_binary_params *p) {
    int32_t d, n = 1;
    for (d = 0; d < p->ndim; ++d) {
        n *= p->shape[d];
    }
    return n;
}

/* Offsets of element n's inputs for the broadcasting walk (state in idx/o1/o2). */
static void step(const tfc_binary_params *p, int32_t *idx, int32_t *o1, int32_t *o2) {
    int32_t d;
    for (d = p->ndim - 1; d >= 0; --d) {
        idx[d]++;
        *o1 += p->stride1[d];
        *o2 += p->stride2[d];
        if (idx[d] < p->shape[d]) {
            return;
        }
        *o1 -= p->stride1[d] * idx[d];
        *o2 -= p->stride2[d] * idx[d];
        idx[d] = 0;
    }
}

/* Dense fast path: four elements per iteration (word loads, packed clamp, one word store).
 * l1 / l2 are indexed by the input byte as unsigned. Safe in place (out == in1 or in2). */
static void __attribute__((noinline)) add_dense_fast(const int8_t *in1, const int8_t *in2, int8_t *out, int32_t count, const int32_t *l1,
                           const int32_t *l2, int32_t m, int32_t rs, int32_t rnd, tfc_out_stage os) {
    const int32_t zp = os.zp;
    int32_t n = 0;
    for (; n + 4 <= count; n += 4) {
        const uint32_t a = tfc_ld32(in1 + n), b = tfc_ld32(in2 + n);
        const int32_t r0 = tfc_rq_fast8(l1[a & 0xFFu] + l2[b & 0xFFu], m, rs, rnd, zp);
        const int32_t r1 = tfc_rq_fast8(l1[(a >> 8) & 0xFFu] + l2[(b >> 8) & 0xFFu], m, rs, rnd, zp);
        const int32_t r2 = tfc_rq_fast8(l1[(a >> 16) & 0xFFu] + l2[(b >> 16) & 0xFFu], m, rs, rnd, zp);
        const int32_t r3 = tfc_rq_fast8(l1[a >> 24] + l2[b >> 24], m, rs, rnd, zp);
        const uint32_t v = tfc_clamp4(tfc_pack4(r0, r1, r2, r3), os.lo4, os.hi4);
        __builtin_memcpy(out + n, &v, 4);
    }
    for (; n < count; ++n) {
        const int32_t s = l1[(uint8_t)in1[n]] + l2[(uint8_t)in2[n]];
        out[n] = tfc_out8(tfc_rq_fast(s, m, rs, rnd), &os);
    }
}

/* tfc_mbqm(x, m, shift) for |x| < 2^30 and shift <= 0 (SMMULR form, same result). */
static int32_t mbqm_small(int32_t x, int32_t m, int32_t shift) {
    const int32_t r = tfc_smmulr((int32_t)((uint32_t)x << 1), m);
    if (shift == 0) {
        return r;
    }
    return (r + (r >> 31) + (1 << (-shift - 1))) >> -shift;
}

void tfc_add_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    int32_t lut1[256], lut2[256]; /* indexed by the input byte as unsigned */
    int32_t v, n, big = 0;
    const int32_t count = total(p);
    const int32_t omult = p->out_mult, oshift = p->out_shift;
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    /* |(v + offset) << left_shift| <= 255 << left_shift < 2^30 when left_shift <= 21 */
    const int small1 = p->left_shift <= 21 && p->in1_shift <= 0 && p->in1_offset >= -128 && p->in1_offset <= 128;
    const int small2 = p->left_shift <= 21 && p->in2_shift <= 0 && p->in2_offset >= -128 && p->in2_offset <= 128;
    for (v = -128; v < 128; ++v) {
        const int32_t x1 = (int32_t)((uint32_t)(v + p->in1_offset) << p->left_shift);
        const int32_t x2 = (int32_t)((uint32_t)(v + p->in2_offset) << p->left_shift);
        const int32_t s1 = small1 ? mbqm_small(x1, p->in1_mult, p->in1_shift) : tfc_mbqm(x1, p->in1_mult, p->in1_shift);
        const int32_t s2 = small2 ? mbqm_small(x2, p->in2_mult, p->in2_shift) : tfc_mbqm(x2, p->in2_mult, p->in2_shift);
        lut1[(uint8_t)v] = s1;
        lut2[(uint8_t)v] = s2;
        big = tfc_max_i32(big, tfc_max_i32(s1 < 0 ? -s1 : s1, s2 < 0 ? -s2 : s2));
    }
    /* SMMULR(2 * sum, m) is exact when 2 * |sum| < 2^31 and there is no left shift */
    if (oshift <= -1 && big < (1 << 29) && dense(p)) {
        add_dense_fast(in1, in2, out, count, lut1, lut2, omult, -oshift, 1 << (-oshift - 1), os);
    } else {
        int32_t idx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
        int32_t o1 = 0, o2 = 0;
        for (n = 0; n < count; ++n) {
            const int32_t s = lut1[(uint8_t)in1[o1]] + lut2[(uint8_t)in2[o2]];
            out[n] = tfc_out8(tfc_mbqm(s, omult, oshift), &os);
            step(p, idx, &o1, &o2);
        }
    }
}

void tfc_mul_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    int32_t idx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
    int32_t o1 = 0, o2 = 0, n;
    const int32_t count = total(p);
    const int flat = dense(p);
    for (n = 0; n < count; ++n) {
        const int32_t a = flat ? in1[n] : in1[o1];
        const int32_t b = flat ? in2[n] : in2[o2];
        const int32_t prod = (a + p->in1_offset) * (b + p->in2_offset);
        out[n] = (int8_t)tfc_clamp_i32(tfc_mbqm(prod, p->out_mult, p->out_shift) + p->out_zp, p->act_min,
                                      p->act_max);
        if (!flat) {
            step(p, idx, &o1, &o2);
        }
    }
}
