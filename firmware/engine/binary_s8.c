/* ADD and MUL, int8, with broadcasting over up to five dimensions. */
#include "tfc_add.h"
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

static int32_t add_one(const tfc_binary_params *p, int32_t a, int32_t b) {
    return tfc_add_elem(p, a, b);
}

static int32_t mul_one(const tfc_binary_params *p, int32_t a, int32_t b) {
    const int32_t prod = (a + p->in1_offset) * (b + p->in2_offset);
    return tfc_clamp_i32(tfc_mbqm(prod, p->out_mult, p->out_shift) + p->out_zp, p->act_min, p->act_max);
}

typedef int32_t (*tfc_binary_fn)(const tfc_binary_params *, int32_t, int32_t);

static void binary_loop(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out,
                        tfc_binary_fn fn) {
    int32_t idx[TFC_BCAST_DIMS] = {0};
    int32_t o1 = 0, o2 = 0, n;
    const int32_t total = tfc_bcast_total(p);
    for (n = 0; n < total; ++n) {
        out[n] = (int8_t)fn(p, in1[o1], in2[o2]);
        tfc_bcast_step(p, idx, &o1, &o2);
    }
}

void tfc_add_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    binary_loop(p, in1, in2, out, add_one);
}

void tfc_mul_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
    binary_loop(p, in1, in2, out, mul_one);
}
