/* Hybrid EMBEDDING_LOOKUP: int32 ids select rows of an int8 table (zero point 0), dequantised
 * into float32 as TFLM's Dequantize: (float)q * scale. TFLM fails on an id outside [0, rows);
 * here that row of the output is zeros. */
#include "tfc_kernels.h"

void tfc_embedding_lookup_s8_f32(const tfc_embedding_f32_params *p, const int32_t *ids, const int8_t *table,
                                 float *out) {
    int32_t i, c;
    for (i = 0; i < p->n_ids; ++i) {
        const int32_t id = ids[i];
        if (id < 0 || id >= p->rows) {
            for (c = 0; c < p->cols; ++c) {
                *out++ = 0.0f;
            }
            continue;
        }
        for (c = 0; c < p->cols; ++c) {
            *out++ = (float)table[id * p->cols + c] * p->scale;
        }
    }
}
