/* tfc_debug_dump.h — the debug firmware's copy of every op's output (tfcompress validate --localize
 * on a board). Only in projects generated with the debug build: the generated tfc_debug_dump.c
 * holds one entry per op output (tensor id, step, arena offset, bytes) and the area the hook fills;
 * model.c calls the hook after each op (TFC_LAYER_END(i) = tfc_debug_op_end((i), a)), and the
 * harness serves the copies with request 0x09 DEBUG_READ (PROTOCOL.md). */
#ifndef TFC_DEBUG_DUMP_H
#define TFC_DEBUG_DUMP_H

#include <stdint.h>

typedef struct {
    uint32_t tensor;       /* tensor index in the .tflite */
    uint32_t step;         /* the op (its position in model.c) that writes it */
    uint32_t arena_offset; /* where the op leaves it in the arena */
    uint32_t bytes;
    uint32_t dump_offset;  /* where the copy is kept */
} tfc_debug_entry;

/* The entry of a tensor, or 0 when the debug build keeps no copy of it. */
const tfc_debug_entry *tfc_debug_find(uint32_t tensor);
/* The copies (entry->dump_offset into it). */
const uint8_t *tfc_debug_dump(void);
/* After op `op` ran: copy its outputs out of the arena. */
void tfc_debug_op_end(int op, int8_t *arena);

#endif
