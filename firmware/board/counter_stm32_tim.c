/* STM32 32-bit general-purpose timer (TIM2/TIM5), prescaler 0, free running. */
#include "board_config.h"
#include "cortexm.h"
#include "stm32_regs.h"
#include "tfc_board.h"

#define TIM(off) TFC_REG32(TFC_COUNTER_BASE + (off))

void tfc_counter_init(void)
{
    TIM(TFC_TIM_CR1) = 0;
    TIM(TFC_TIM_PSC) = 0;
    TIM(TFC_TIM_ARR) = 0xFFFFFFFFu;
    TIM(TFC_TIM_EGR) = 1u << TFC_TIM_EGR_UG; /* load PSC/ARR now */
    TIM(TFC_TIM_CR1) = 1u << TFC_TIM_CR1_CEN;
}

void tfc_counter_restart(void)
{
}

uint32_t tfc_counter_read(void)
{
    return TIM(TFC_TIM_CNT);
}
