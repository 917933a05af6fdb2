/* STM32 USART with SR/DR registers (F4 family). */
#include "board_config.h"
#include "cortexm.h"
#include "stm32_regs.h"
#include "tfc_board.h"

#define UART(off) TFC_REG32(TFC_UART_BASE + (off))

void tfc_uart_init(void)
{
    UART(TFC_USART1_CR1) = 0;
    UART(TFC_USART1_BRR) = TFC_UART_DIVISOR;
    UART(TFC_USART1_CR1) = (1u << TFC_USART1_CR1_UE) | (1u << TFC_USART1_CR1_TE) | (1u << TFC_USART1_CR1_RE);
}

void tfc_uart_putc(uint8_t c)
{
    while (!(UART(TFC_USART1_SR) & (1u << TFC_USART1_SR_TXE))) { }
    UART(TFC_USART1_DR) = c;
}

int tfc_uart_getc(void)
{
    /* Reading SR then DR also clears an overrun; the protocol's CRC catches lost bytes. */
    while (!(UART(TFC_USART1_SR) & (1u << TFC_USART1_SR_RXNE))) { }
    return (int)(UART(TFC_USART1_DR) & 0xFFu);
}
