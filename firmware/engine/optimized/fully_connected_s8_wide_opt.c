/* FULLY_CONNECTED, int8, optimised for Cortex-M4/M7 (DSP), int16 weights: tfc_fully_connected_s8_wide,
 * chosen by the host for optimize = "speed" (engine/optimized/fully_connected.py widen) on layers
 * with the exact fast requantisation (TFC_RQ_FAST) and rows and inputs in multiples of four.
 *
 * Four output rows at a time. Weights per block of four rows and group of four inputs: per row the
 * int16 words (w0, w2), (w1, w3), which SMLAD meets with SXTB16's split of the input word
 * (x0, x2), (x1, x3): per group one LDR, two SXTB16, two LDM of four words, eight SMLAD
 * (16 MACs in 13 instructions; the int8 pair-code layout takes 16). Twice the weights' flash.
 */
#include "tfc_dsp.h"
#include "../tfc_kernels.h"

static void __attribute__((noinline)) fc_wide_block(const tfc_fc_params *p, const int8_t *xb, int8_t *out) {
    const int32_t groups = p->in_depth >> 2;
    const uint32_t *w = (const uint32_t *)p->weights;
    const int32_t *bias = p->bias;
    const int shared = (p->rq[0] & TFC_RQ_SHARED) != 0;
    const int32_t *q = p->rq + TFC_RQ_HEADER;
    const int32_t qs = shared ? 0 : 4;
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    int8_t *const out_end = out + p->out_depth;
    for (; out < out_end; out += 4, bias += 4, q += 4 * qs) {
        int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        const int8_t *x = xb;
        const int8_t *const x_end = xb + 4 * groups;
#if TFC_DSP_ASM
        register uint32_t w0 __asm("r8"), w1 __asm("r9"), w2 __asm("r10"), w3 __asm("r11");
        uint32_t xl, xh;
        __asm volatile("1:\n\t"
                       "ldr %[xh], [%[x]], #4\n\t"
                       "sxtb16 %[xl], %[xh]\n\t"
                       "sxtb16 %[xh], %[xh], ror #8\n\t"
                       "ldmia %[wp]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
                       "smlad %[a0], %[w0], %[xl], %[a0]\n\t"
                       "smlad %[a0], %[w1], %[xh], %[a0]\n\t"
                       "smlad %[a1], %[w2], %[xl], %[a1]\n\t"
                       "smlad %[a1], %[w3], %[xh], %[a1]\n\t"
                       "ldmia %[wp]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
                       "smlad %[a2], %[w0], %[xl], %[a2]\n\t"
                       "smlad %[a2], %[w1], %[xh], %[a2]\n\t"
                       "smlad %[a3], %[w2], %[xl], %[a3]\n\t"
                       "smlad %[a3], %[w3], %[xh], %[a3]\n\t"
                       "cmp %[x], %[end]\n\t"
                       "bne 1b\n\t"
                       : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [wp] "+r"(w),
                         [xl] "=&r"(xl), [xh] "=&r"(xh), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
                         [w3] "=&r"(w3)
                       : [end] "r"(x_end)
                       : "cc", "memory");
#else
        for (; x < x_end; x += 4, w += 8) {
            const uint32_t xv = tfc_ld32(x);
            const int32_t xl = tfc_sxtb16(xv), xh = tfc_sxtb16_ror8(xv);
            a0 = tfc_smlad((int32_t)w[0], xl, tfc_smlad((int32_t)w[1], xh, a0));
            a1 = tfc_smlad((int32_t)w[2], xl, tfc_smlad((int32_t)w[3], xh, a1));
            a2 = tfc_smlad((int32_t)w[4], xl, tfc_smlad((int32_t)w[5], xh, a2));
            a3 = tfc_smlad((int32_t)w[6], xl, tfc_smlad((int32_t)w[7], xh, a3));
        }
#endif
        {
            const uint32_t v = tfc_pack4(tfc_ssat8(tfc_rq_x2s(2 * a0, q[0], q[1], q[2])),
                                         tfc_ssat8(tfc_rq_x2s(2 * a1, q[qs], q[qs + 1], q[qs + 2])),
                                         tfc_ssat8(tfc_rq_x2s(2 * a2, q[2 * qs], q[2 * qs + 1], q[2 * qs + 2])),
                                         tfc_ssat8(tfc_rq_x2s(2 * a3, q[3 * qs], q[3 * qs + 1], q[3 * qs + 2])));
            const uint32_t c = tfc_clamp4(v, os.lo4, os.hi4);
            __builtin_memcpy(out, &c, 4);
        }
    }
}

void tfc_fully_connected_s8_wide(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    int32_t b;
    for (b = 0; b < p->batches; ++b) {
        fc_wide_block(p, in + b * p->in_depth, out + b * p->out_depth);
    }
}
