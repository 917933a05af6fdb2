/* CMSDK APB UART (MPS2). */
#include "board_config.h"
#include "cmsdk_regs.h"
#include "cortexm.h"
#include "tfc_board.h"

#define UART(off) TFC_REG32(TFC_UART_BASE + (off))

void tfc_uart_init(void)
{
    UART(TFC_CMSDK_UART_BAUDDIV) = TFC_UART_DIVISOR;
#ifdef TFC_UART_RX_IRQ
    tfc_irq_wake_only(TFC_UART_RX_IRQ);
    UART(TFC_CMSDK_UART_CTRL) = TFC_CMSDK_UART_CTRL_TXEN | TFC_CMSDK_UART_CTRL_RXEN | TFC_CMSDK_UART_CTRL_RXIE;
#else
    UART(TFC_CMSDK_UART_CTRL) = TFC_CMSDK_UART_CTRL_TXEN | TFC_CMSDK_UART_CTRL_RXEN;
#endif
}

void tfc_uart_putc(uint8_t c)
{
    while (UART(TFC_CMSDK_UART_STATE) & TFC_CMSDK_UART_STATE_TXFULL) { }
    UART(TFC_CMSDK_UART_DATA) = c;
}

int tfc_uart_getc(void)
{
    while (!(UART(TFC_CMSDK_UART_STATE) & TFC_CMSDK_UART_STATE_RXFULL)) {
#ifdef TFC_UART_RX_IRQ
        /* clear, check again, then sleep: a byte arriving after the clear pends the interrupt
           again, so WFI returns at once and nothing is missed */
        UART(TFC_CMSDK_UART_INTCLEAR) = TFC_CMSDK_UART_INT_RX;
        tfc_irq_clear_pending(TFC_UART_RX_IRQ);
        if (!(UART(TFC_CMSDK_UART_STATE) & TFC_CMSDK_UART_STATE_RXFULL)) {
            tfc_wfi();
        }
#endif
    }
    return (int)(UART(TFC_CMSDK_UART_DATA) & 0xFFu);
}
