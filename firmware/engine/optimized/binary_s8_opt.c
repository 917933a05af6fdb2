/* ADD and MUL, int8, optimised: drop-in for binary_s8.c (both entry points live here).
 *
 * ADD: each input's rescaling only depends on its int8 value, so it is tabulated once per call
 * (2 x 256 entries in the arena scratch, or on the stack, computed with the reference
 * arithmetic); per element there is one sum and one output requantisation, done with SMMULR
 * when the sum provably fits (tfc_add_opt.h).
 * MUL: the reference arithmetic. Both broadcast like the reference (strides 0), with a flat
 * loop when neither input broadcasts.
 */
#include "../tfc_add.h"
#include "tfc_add_opt.h"

/* tfc_mbqm(x, m, shift) for |x| < 2^30 and shift <= 0 (SMMULR form, same result). */
static inline int32_t tfc_mbqm_small(int32_t x, int32_t m, int32_t shift) {
    const int32_t r = tfc_smmulr((int32_t)((uint32_t)x << 1), m);
    if (shift == 0) {
        return r;
    }
    return (r + (r >> 31) + (1 << (-shift - 1))) >> -shift;
}

/* lut1 / lut2 (256 entries each, indexed by the input byte as unsigned) := each input's rescaled
 * value (as the host's engine/optimized/add.py add_tables). Returns 1 when the output requantisation of
 * every sum may use SMMULR (tfc_add_dense_fast): 2 * |sum| < 2^31 and no left shift. */
static int __attribute__((noinline)) tfc_add_tables(const tfc_binary_params *p, int32_t *lut1, int32_t *lut2) {
    int32_t v, big = 0;
    /* |(v + offset) << left_shift| <= 255 << left_shift < 2^30 when left_shift <= 21 */
    const int small1 = p->left_shift <= 21 && p->in1_shift <= 0 && p->in1_offset >= -128 && p->in1_offset <= 128;
    const int small2 = p->left_shift <= 21 && p->in2_shift <= 0 && p->in2_offset >= -128 && p->in2_offset <= 128;
    for (v = -128; v < 128; ++v) {
        const int32_t x1 = (int32_t)((uint32_t)(v + p->in1_offset) << p->left_shift);
        const int32_t x2 = (int32_t)((uint32_t)(v + p->in2_offset) << p->left_shift);
        const int32_t s1 = small1 ? tfc_mbqm_small(x1, p->in1_mult, p->in1_shift) : tfc_mbqm(x1, p->in1_mult, p->in1_shift);
        const int32_t s2 = small2 ? tfc_mbqm_small(x2, p->in2_mult, p->in2_shift) : tfc_mbqm(x2, p->in2_mult, p->in2_shift);
        lut1[(uint8_t)v] = s1;
        lut2[(uint8_t)v] = s2;
        big = tfc_max_i32(big, tfc_max_i32(s1 < 0 ? -s1 : s1, s2 < 0 ? -s2 : s2));
    }
    return p->out_shift <= -1 && big < TFC_ADD_FAST_BOUND;
}

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

void tfc_add_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    /* two tables indexed by the input byte as unsigned: in the arena when p->scratch, else stack */
    int32_t lut_stack[p->scratch ? 1 : TFC_ADD_TABLES_BYTES / 4];
    int32_t *const lut1 = p->scratch ? (int32_t *)p->scratch : lut_stack;
    int32_t *const lut2 = lut1 + 256;
    int32_t n;
    const int32_t count = tfc_bcast_total(p);
    const int fast = tfc_add_tables(p, lut1, lut2);
    if (dense(p)) {
        tfc_add_dense(p, in1, in2, out, count, lut1, lut2, fast);
    } else {
        const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
        int32_t idx[TFC_BCAST_DIMS] = {0};
        int32_t o1 = 0, o2 = 0;
        for (n = 0; n < count; ++n) {
            const int32_t s = lut1[(uint8_t)in1[o1]] + lut2[(uint8_t)in2[o2]];
            out[n] = tfc_out8(tfc_mbqm(s, p->out_mult, p->out_shift), &os);
            tfc_bcast_step(p, idx, &o1, &o2);
        }
    }
}

void tfc_mul_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    int32_t idx[TFC_BCAST_DIMS] = {0};
    int32_t o1 = 0, o2 = 0, n;
    const int32_t count = tfc_bcast_total(p);
    const int flat = dense(p);
    for (n = 0; n < count; ++n) {
        const int32_t a = flat ? in1[n] : in1[o1];
        const int32_t b = flat ? in2[n] : in2[o2];
        const int32_t prod = (a + p->in1_offset) * (b + p->in2_offset);
        out[n] = (int8_t)tfc_clamp_i32(tfc_mbqm(prod, p->out_mult, p->out_shift) + p->out_zp, p->act_min,
                                      p->act_max);
        if (!flat) {
            tfc_bcast_step(p, idx, &o1, &o2);
        }
    }
}
