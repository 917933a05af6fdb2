/* STM32 USART/LPUART with ISR/ICR/RDR/TDR registers (F7, H7, L4 families). */
#include "board_config.h"
#include "cortexm.h"
#include "stm32_regs.h"
#include "tfc_board.h"

#define UART(off) TFC_REG32(TFC_UART_BASE + (off))

void tfc_uart_init(void)
{
    UART(TFC_USART2_CR1) = 0;
    UART(TFC_USART2_BRR) = TFC_UART_DIVISOR;
    UART(TFC_USART2_CR1) = (1u << TFC_USART2_CR1_UE) | (1u << TFC_USART2_CR1_TE) | (1u << TFC_USART2_CR1_RE);
}

void tfc_uart_putc(uint8_t c)
{
    while (!(UART(TFC_USART2_ISR) & (1u << TFC_USART2_ISR_TXE))) { }
    UART(TFC_USART2_TDR) = c;
}

int tfc_uart_getc(void)
{
    for (;;) {
        uint32_t isr = UART(TFC_USART2_ISR);
        if (isr & (1u << TFC_USART2_ISR_ORE)) /* an overrun stalls RX until cleared */
            UART(TFC_USART2_ICR) = 1u << TFC_USART2_ICR_ORECF;
        if (isr & (1u << TFC_USART2_ISR_RXNE))
            return (int)(UART(TFC_USART2_RDR) & 0xFFu);
    }
}
