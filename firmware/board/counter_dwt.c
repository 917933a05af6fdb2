/* Core cycle counter: DWT CYCCNT. */
#include "cortexm.h"
#include "tfc_board.h"

void tfc_counter_init(void)
{
    TFC_REG32(TFC_DEMCR) |= TFC_DEMCR_TRCENA;
    TFC_REG32(TFC_DWT_LAR) = TFC_DWT_LAR_KEY; /* ignored where there is no lock */
    TFC_REG32(TFC_DWT_CYCCNT) = 0;
    TFC_REG32(TFC_DWT_CTRL) |= 1u;
}

void tfc_counter_restart(void)
{
}

uint32_t tfc_counter_read(void)
{
    return TFC_REG32(TFC_DWT_CYCCNT);
}
