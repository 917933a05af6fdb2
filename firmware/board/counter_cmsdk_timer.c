/* CMSDK APB timer (down-counter), free running from 0xFFFFFFFF. */
#include "board_config.h"
#include "cmsdk_regs.h"
#include "cortexm.h"
#include "tfc_board.h"

#define TIMER(off) TFC_REG32(TFC_COUNTER_BASE + (off))

void tfc_counter_init(void)
{
    TIMER(TFC_CMSDK_TIMER_CTRL) = 0;
    TIMER(TFC_CMSDK_TIMER_RELOAD) = 0xFFFFFFFFu;
    TIMER(TFC_CMSDK_TIMER_VALUE) = 0xFFFFFFFFu;
    TIMER(TFC_CMSDK_TIMER_CTRL) = 1u;
}

/* Reloading VALUE restarts the tick period at this instruction, so under QEMU -icount the
 * ticks counted over a run no longer depend on when the host's bytes arrived. */
void tfc_counter_restart(void)
{
    TIMER(TFC_CMSDK_TIMER_VALUE) = 0xFFFFFFFFu;
}

uint32_t tfc_counter_read(void)
{
    return ~TIMER(TFC_CMSDK_TIMER_VALUE); /* turn the down-count into an up-count */
}
