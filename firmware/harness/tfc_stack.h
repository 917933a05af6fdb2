/* Stack high-water mark by painting: the free stack is filled with a pattern, and the lowest word
 * no longer holding it afterwards is the deepest the stack went (target builds: linker.ld's
 * _sstack / _estack bound the stack). */
#ifndef TFC_STACK_H
#define TFC_STACK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TFC_STACK_PAINT 0xA5C3A5C3u

/* Fill the stack from its lowest address up to a little below the caller's frame. */
void tfc_stack_paint(void);
/* Lowest stack address written since the last paint (the stack's top when none was). */
uint32_t tfc_stack_lowest(void);
/* The stack region: [bottom, top). */
uint32_t tfc_stack_bottom(void);
uint32_t tfc_stack_top(void);

#ifdef __cplusplus
}
#endif

#endif
