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

void tfc_add_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    int32_t lut1[256], lut2[256];
    int32_t v, n, big = 0;
    const int32_t count = total(p);
    const int32_t omult = p->out_mult, oshift = p->out_shift, zp = p->out_zp;
    const int32_t amin = p->act_min, amax = p->act_max;
    int32_t rs, rnd, fast;
    for (v = -128; v < 128; ++v) {
        const int32_t x1 = (int32_t)((uint32_t)(v + p->in1_offset) << p->left_shift);
        const int32_t x2 = (int32_t)((uint32_t)(v + p->in2_offset) << p->left_shift);
        const int32_t s1 = tfc_mbqm(x1, p->in1_mult, p->in1_shift);
        const int32_t s2 = tfc_mbqm(x2, p->in2_mult, p->in2_shift);
        lut1[v + 128] = s1;
        lut2[v + 128] = s2;
        big = tfc_max_i32(big, tfc_max_i32(s1 < 0 ? -s1 : s1, s2 < 0 ? -s2 : s2));
    }
    /* SMMULR(2 * sum, m) is exact when 2 * |sum| < 2^31 and there is no left shift */
    fast = oshift <= -1 && big < (1 << 29);
    rs = -oshift;
    rnd = fast ? 1 << (rs - 1) : 0;
    if (dense(p)) {
        for (n = 0; n < count; ++n) {
            const int32_t s = lut1[in1[n] + 128] + lut2[in2[n] + 128];
            int32_t r;
            if (fast) {
                r = tfc_smmulr(s << 1, omult);
                r = (r + (r >> 31) + rnd) >> rs;
            } else {
                r = tfc_mbqm(s, omult, oshift);
            }
            r = tfc_ssat8(r + zp);
            out[n] = (int8_t)(r < amin ? amin : (r > amax ? amax : r));
        }
    } else {
        int32_t idx[TFC_MAX_DIMS] = {0, 0, 0, 0, 0};
        int32_t o1 = 0, o2 = 0;
        for (n = 0; n < count; ++n) {
            const int32_t s = lut1[in1[o1] + 128] + lut2[in2[o2] + 128];
            const int32_t r = tfc_clamp_i32(tfc_mbqm(s, omult, oshift) + zp, amin, amax);
            out[n] = (int8_t)r;
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
