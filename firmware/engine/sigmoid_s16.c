/* LOGISTIC and TANH int16 (zero points 0, output scale 1/32768): TFLM's reference arithmetic,
 * the input rescaled to 1/(3*4096) per unit, then linear interpolation in the 256-entry sigmoid
 * table (fixedpoint.SIGMOID_TABLE_U16, in flash; tanh(x) = 2 sigmoid(2x) - 1 reads it at twice the
 * rate) by tfc_logistic_s16 / tfc_tanh_s16 of tfc_fixedpoint.h. */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_sigmoid_s16(const tfc_sigmoid16_params *p, const int16_t *in, int16_t *out) {
    const int32_t round = p->shift > 0 ? (int32_t)1 << (p->shift - 1) : 0;
    int32_t i;
    for (i = 0; i < p->n; ++i) {
        const int32_t x = ((int32_t)in[i] * p->mult + round) >> p->shift;
        out[i] = p->tanh ? tfc_tanh_s16(x, p->table) : tfc_logistic_s16(x, p->table);
    }
}
