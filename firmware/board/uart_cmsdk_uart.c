/* CMSDK APB UART (MPS2). */
#include "board_config.h"
#include "cmsdk_regs.h"
#include "cortexm.h"
#include "tfc_board.h"

#define UART(off) TFC_REG32(TFC_UART_BASE + (off))

void tfc_uart_init(void)
{
    UART(TFC_CMSDK_UART_BAUDDIV) = TFC_UART_DIVISOR;
    UART(TFC_CMSDK_UART_CTRL) = TFC_CMSDK_UART_CTRL_TXEN | TFC_CMSDK_UART_CTRL_RXEN;
}

void tfc_uart_putc(uint8_t c)
{
    while (UART(TFC_CMSDK_UART_STATE) & TFC_CMSDK_UART_STATE_TXFULL) { }
    UART(TFC_CMSDK_UART_DATA) = c;
}

int tfc_uart_getc(void)
{
    while (!(UART(TFC_CMSDK_UART_STATE) & TFC_CMSDK_UART_STATE_RXFULL)) { }
    return (int)(UART(TFC_CMSDK_UART_DATA) & 0xFFu);
}
