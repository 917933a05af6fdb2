/* tfc_debug.c — the hook the host debug build calls after each op (see tfc_debug.h).
 * Fault injection for tests: with TFC_DEBUG_INJECT_OP=k, TFC_DEBUG_INJECT_OFFSET=byte offset and
 * TFC_DEBUG_INJECT_TYPE=element type, element 0 of op k's output gets +1 (one LSB) right after
 * op k runs, before any later op reads it. */
#include "tfc_debug.h"

static tfc_debug_fn tfc_debug_callback;

void tfc_debug_set_callback(tfc_debug_fn fn) {
    tfc_debug_callback = fn;
}

void tfc_debug_op_end(int op, int8_t *arena) {
#ifdef TFC_DEBUG_INJECT_OP
    if (op == TFC_DEBUG_INJECT_OP) {
        TFC_DEBUG_INJECT_TYPE *p = (TFC_DEBUG_INJECT_TYPE *)(void *)(arena + TFC_DEBUG_INJECT_OFFSET);
        *p = (TFC_DEBUG_INJECT_TYPE)(*p + 1);
    }
#endif
    if (tfc_debug_callback) {
        tfc_debug_callback(op, arena);
    }
}
