/* STM32 USART/LPUART with ISR/ICR/RDR/TDR registers (F7, H7, L4 families). */
#include "board_config.h"
#include "cortexm.h"
#include "stm32_regs.h"
#include "tfc_board.h"

#define UART(off) TFC_REG32(TFC_UART_BASE + (off))

void tfc_uart_init(void)
{
    uint32_t cr1 = (1u << TFC_USART2_CR1_UE) | (1u << TFC_USART2_CR1_TE) | (1u << TFC_USART2_CR1_RE);
    UART(TFC_USART2_CR1) = 0;
    UART(TFC_USART2_BRR) = TFC_UART_DIVISOR;
#ifdef TFC_UART_RX_IRQ
    /* RXNE and ORE raise the USART's interrupt: it only wakes the core from WFI */
    tfc_irq_wake_only(TFC_UART_RX_IRQ);
    cr1 |= 1u << TFC_USART2_CR1_RXNEIE;
#endif
    UART(TFC_USART2_CR1) = cr1;
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
#ifdef TFC_UART_RX_IRQ
        /* both interrupt sources are clear now: clear the NVIC's pending bit, check again, then
           sleep; a byte (or an overrun) after the clear pends it again, so WFI returns at once */
        tfc_irq_clear_pending(TFC_UART_RX_IRQ);
        if (!(UART(TFC_USART2_ISR) & ((1u << TFC_USART2_ISR_RXNE) | (1u << TFC_USART2_ISR_ORE)))) {
            tfc_wfi();
        }
#endif
    }
}
