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
        int32_t idx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
        int32_t o1 = 0, o2 = 0;
        for (n = 0; n < count; ++n) {
            const int32_t s = lut1[(uint8_t)in1[o1]] + lut2[(uint8_t)in2[o2]];
            out[n] = tfc_out8(tfc_mbqm(s, p->out_mult, p->out_shift), &os);
            tfc_bcast_step(p, idx, &o1, &o2);
        }
    }
}

void tfc_mul_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    int32_t idx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
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
