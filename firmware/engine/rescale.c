/* Element-wise integer rescale (QUANTIZE between integer types, int16 RELU / RELU6 /
 * LEAKY_RELU / ABS): TFLM's Requantize / ReluQuantized / QuantizeLeakyRelu arithmetic, the
 * multiplier chosen by the sign of the offset input. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

static int32_t load(const void *p, int32_t type, int32_t i) {
    switch (type) {
    case TFC_T_S8: return ((const int8_t *)p)[i];
    case TFC_T_U8: return ((const uint8_t *)p)[i];
    case TFC_T_S16: return ((const int16_t *)p)[i];
    default: return ((const int32_t *)p)[i];
    }
}

static void store(void *p, int32_t type, int32_t i, int32_t v) {
    switch (type) {
    case TFC_T_S8: ((int8_t *)p)[i] = (int8_t)v; break;
    case TFC_T_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case TFC_T_S16: ((int16_t *)p)[i] = (int16_t)v; break;
    default: ((int32_t *)p)[i] = v; break;
    }
}

void tfc_rescale(const tfc_rescale_params *p, const void *in, void *out) {
    int32_t i;
    for (i = 0; i < p->n; ++i) {
        const int32_t d = load(in, p->in_type, i) - p->in_zp;
        int32_t v;
        if (d >= 0) {
            v = tfc_mbqm(d, p->pos_mult, p->pos_shift);
        } else if (p->neg_mode == TFC_NEG_NEGATE_IN) {
            v = tfc_mbqm(-d, p->neg_mult, p->neg_shift);
        } else {
            v = tfc_mbqm(d, p->neg_mult, p->neg_shift);
            v = p->neg_mode == TFC_NEG_NEGATE_OUT ? -v : v;
        }
        store(out, p->out_type, i, tfc_clamp_i32(p->out_zp + v, p->act_min, p->act_max));
    }
}
