/* tfc_add_opt.h — the optimised int8 ADD arithmetic, shared by ADD (binary_s8_opt.c) and the
 * fused CONV_2D+ADD (conv2d_s8_opt.c, conv2d_s8_direct_opt.c).
 *
 * Each input's rescaling only depends on its int8 value, so it is tabulated (2 x 256 entries,
 * the reference arithmetic): by ADD once per call (tfc_add_tables in binary_s8_opt.c), for the
 * fused op on the host (engine/optimized/add.py add_tables, in flash). Per element there is one sum and one
 * output requantisation, done with SMMULR when the sum provably fits (TFC_ADD_FAST_BOUND).
 */
#ifndef TFC_ADD_OPT_H
#define TFC_ADD_OPT_H

#include "tfc_dsp.h"
#include "../tfc_kernels.h"

/* Dense fast path: four elements per iteration (word loads, packed clamp, one word store).
 * l1 / l2 are indexed by the input byte as unsigned. Safe in place (out == in1 or in2). */
static void __attribute__((noinline, unused)) tfc_add_dense_fast(const int8_t *in1, const int8_t *in2, int8_t *out,
                                                                 int32_t count, const int32_t *l1, const int32_t *l2,
                                                                 int32_t m, int32_t rs, int32_t rnd, tfc_out_stage os) {
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

/* out[0..count) = ADD(in1, in2), both dense, through the tables (fast: tfc_add_tables' result). */
static inline void tfc_add_dense(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out,
                                 int32_t count, const int32_t *lut1, const int32_t *lut2, int fast) {
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    int32_t n;
    if (fast) {
        tfc_add_dense_fast(in1, in2, out, count, lut1, lut2, p->out_mult, -p->out_shift, 1 << (-p->out_shift - 1), os);
        return;
    }
    for (n = 0; n < count; ++n) {
        const int32_t s = lut1[(uint8_t)in1[n]] + lut2[(uint8_t)in2[n]];
        out[n] = tfc_out8(tfc_mbqm(s, p->out_mult, p->out_shift), &os);
    }
}

#endif /* TFC_ADD_OPT_H */
