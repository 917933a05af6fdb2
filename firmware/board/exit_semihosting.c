/* Exit and debug output through ARM semihosting (emulated boards). */
#include <stdint.h>

#include "tfc_board.h"

static int semihost(int op, const void *arg)
{
    register int r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void tfc_exit(int code)
{
    /* SYS_EXIT_EXTENDED: {ADP_Stopped_ApplicationExit, code}; QEMU exits with `code`. */
    uint32_t block[2] = {0x20026u, (uint32_t)code};
    semihost(0x20, block);
    for (;;) { }
}

void tfc_debug_puts(const char *s)
{
    semihost(0x04, s); /* SYS_WRITE0 */
}
