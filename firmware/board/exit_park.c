/* Exit on real hardware: no debugger console is assumed, so park the core. */
#include "tfc_board.h"

void tfc_exit(int code)
{
    (void)code;
    for (;;)
        __asm volatile("wfi");
}

void tfc_debug_puts(const char *s)
{
    (void)s;
}
