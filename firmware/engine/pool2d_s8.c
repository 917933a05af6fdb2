/* AVERAGE_POOL_2D and MAX_POOL_2D, int8 (the reference kernels of tfc_pool2d_ref.h). */
#include "tfc_pool2d_ref.h"

TFC_POOL2D_REF(s8, int8_t, -128)
