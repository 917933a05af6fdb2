/* Element-wise int16 -> int16 through a host-computed 513-entry table with linear
 * interpolation (TFLite's LUTPopulate / LUTLookup: EXP, LOG). */
#include "tfc_fixedpoint.h"
#include "tfc_kernels.h"

void tfc_lut_s16(const int16_t *lut, const int16_t *in, int16_t *out, int32_t n) {
    int32_t i;
    for (i = 0; i < n; ++i) {
        out[i] = tfc_lut_interp_s16(in[i], lut);
    }
}
