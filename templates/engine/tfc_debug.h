/* tfc_debug.h — the host debug build of a generated model (tfcompress.engine.debug).
 * Force-included into model.c (-include tfc_debug.h) with TFC_LAYER_END(i) defined as
 * tfc_debug_op_end((i), a): after each op the hook sees the arena, so the host can copy each op's
 * output before a later op overwrites it. */
#ifndef TFC_DEBUG_H
#define TFC_DEBUG_H
#include <stdint.h>

typedef void (*tfc_debug_fn)(int op, const int8_t *arena);

void tfc_debug_set_callback(tfc_debug_fn fn);
void tfc_debug_op_end(int op, int8_t *arena);

#endif
