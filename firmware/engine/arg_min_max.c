/* ARG_MAX / ARG_MIN along one axis: the first index of the largest (smallest) value, as TFLM's
 * ArgMinMax with strict comparisons; int32 or int64 output. */
#include "tfc_kernels.h"

#define TFC_ARG_MIN_MAX(name, type)                                                  \
    void name(const tfc_arg_params *p, const void *in_v, void *out_v) {              \
        const type *in = (const type *)in_v;                                         \
        int32_t o, i, k;                                                             \
        for (o = 0; o < p->outer; ++o) {                                             \
            const type *row = in + o * p->axis_size * p->inner;                      \
            for (i = 0; i < p->inner; ++i) {                                         \
                type best = row[i];                                                  \
                int32_t at = 0;                                                      \
                for (k = 1; k < p->axis_size; ++k) {                                 \
                    const type v = row[k * p->inner + i];                            \
                    if (p->is_max ? v > best : v < best) {                           \
                        best = v;                                                    \
                        at = k;                                                      \
                    }                                                                \
                }                                                                    \
                if (p->out64) {                                                      \
                    ((int64_t *)out_v)[o * p->inner + i] = at;                       \
                } else {                                                             \
                    ((int32_t *)out_v)[o * p->inner + i] = at;                       \
                }                                                                    \
            }                                                                        \
        }                                                                            \
    }

TFC_ARG_MIN_MAX(tfc_arg_min_max_s8, int8_t)
TFC_ARG_MIN_MAX(tfc_arg_min_max_u8, uint8_t)
TFC_ARG_MIN_MAX(tfc_arg_min_max_s32, int32_t)
TFC_ARG_MIN_MAX(tfc_arg_min_max_f32, float)
