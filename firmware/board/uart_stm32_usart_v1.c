/* STM32 USART with SR/DR registers (F4 family). */
#include "board_config.h"
#include "cortexm.h"
#include "stm32_regs.h"
#include "tfc_board.h"

#define UART(off) TFC_REG32(TFC_UART_BASE + (off))

void tfc_uart_init(void)
{
    uint32_t cr1 = (1u << TFC_USART1_CR1_UE) | (1u << TFC_USART1_CR1_TE) | (1u << TFC_USART1_CR1_RE);
    UART(TFC_USART1_CR1) = 0;
    UART(TFC_USART1_BRR) = TFC_UART_DIVISOR;
#ifdef TFC_UART_RX_IRQ
    /* RXNE (and an overrun) raises the USART's interrupt: it only wakes the core from WFI */
    tfc_irq_wake_only(TFC_UART_RX_IRQ);
    cr1 |= 1u << TFC_USART1_CR1_RXNEIE;
#endif
    UART(TFC_USART1_CR1) = cr1;
}

void tfc_uart_putc(uint8_t c)
{
    while (!(UART(TFC_USART1_SR) & (1u << TFC_USART1_SR_TXE))) { }
    UART(TFC_USART1_DR) = c;
}

int tfc_uart_getc(void)
{
    /* Reading SR then DR also clears an overrun; the protocol's CRC catches lost bytes. */
    while (!(UART(TFC_USART1_SR) & (1u << TFC_USART1_SR_RXNE))) {
#ifdef TFC_UART_RX_IRQ
        /* RXNE is the interrupt's flag (reading DR clears it): clear the NVIC's pending bit, check
           again, then sleep; a byte arriving after the clear pends it again, so WFI returns at once */
        tfc_irq_clear_pending(TFC_UART_RX_IRQ);
        if (!(UART(TFC_USART1_SR) & (1u << TFC_USART1_SR_RXNE))) {
            tfc_wfi();
        }
#endif
    }
    return (int)(UART(TFC_USART1_DR) & 0xFFu);
}
