/* ARM CMSDK APB UART and timer registers (Cortex-M System Design Kit TRM, as on MPS2). */
#ifndef TFC_CMSDK_REGS_H
#define TFC_CMSDK_REGS_H

#define TFC_CMSDK_UART_DATA 0x00u
#define TFC_CMSDK_UART_STATE 0x04u    /* bit 0 TX buffer full, bit 1 RX buffer full */
#define TFC_CMSDK_UART_CTRL 0x08u     /* bit 0 TX enable, bit 1 RX enable, bit 3 RX interrupt enable */
#define TFC_CMSDK_UART_INTCLEAR 0x0Cu /* write 1 to clear: bit 0 TX, bit 1 RX interrupt */
#define TFC_CMSDK_UART_BAUDDIV 0x10u  /* >= 16 */
#define TFC_CMSDK_UART_STATE_TXFULL (1u << 0)
#define TFC_CMSDK_UART_STATE_RXFULL (1u << 1)
#define TFC_CMSDK_UART_CTRL_TXEN (1u << 0)
#define TFC_CMSDK_UART_CTRL_RXEN (1u << 1)
#define TFC_CMSDK_UART_CTRL_RXIE (1u << 3)
#define TFC_CMSDK_UART_INT_RX (1u << 1)

#define TFC_CMSDK_TIMER_CTRL 0x00u    /* bit 0 enable */
#define TFC_CMSDK_TIMER_VALUE 0x04u   /* counts down */
#define TFC_CMSDK_TIMER_RELOAD 0x08u

#endif
