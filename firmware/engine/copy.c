/* Byte copy (RESHAPE when input and output could not share memory, model inputs/outputs, variable
 * reads and assignments) and byte fill (resetting state). */
#include "tfc_kernels.h"

void tfc_copy_bytes(const void *in, void *out, int32_t nbytes) {
    const uint8_t *s = (const uint8_t *)in;
    uint8_t *d = (uint8_t *)out;
    int32_t i;
    if (d == s) {
        return;
    }
    if (d < s) {
        for (i = 0; i < nbytes; ++i) {
            d[i] = s[i];
        }
    } else {
        for (i = nbytes - 1; i >= 0; --i) {
            d[i] = s[i];
        }
    }
}

void tfc_fill_bytes(void *out, int32_t value, int32_t nbytes) {
    uint8_t *d = (uint8_t *)out;
    int32_t i;
    for (i = 0; i < nbytes; ++i) {
        d[i] = (uint8_t)value;
    }
}
