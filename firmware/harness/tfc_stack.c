/* Stack painting for the high-water mark (see tfc_stack.h). */
#include "tfc_stack.h"

extern uint32_t _sstack[], _estack[]; /* linker.ld */

/* Words left unpainted below this function's own locals: its frame, and room for an exception
 * frame with the FPU state (26 words) should one be pushed while painting. */
#define TFC_STACK_MARGIN_WORDS 32u

__attribute__((noinline)) void tfc_stack_paint(void)
{
    volatile uint32_t here = 0;
    uint32_t *p = _sstack;
    uint32_t *end = (uint32_t *)(uintptr_t)&here - TFC_STACK_MARGIN_WORDS;
    while (p < end)
        *p++ = TFC_STACK_PAINT;
    (void)here;
}

uint32_t tfc_stack_lowest(void)
{
    const uint32_t *p = _sstack;
    while (p < _estack && *p == TFC_STACK_PAINT)
        ++p;
    return (uint32_t)(uintptr_t)p;
}

uint32_t tfc_stack_bottom(void) { return (uint32_t)(uintptr_t)_sstack; }
uint32_t tfc_stack_top(void) { return (uint32_t)(uintptr_t)_estack; }
