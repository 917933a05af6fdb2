/* Board support API used by the harness main loop. One implementation per
 * peripheral kind; the generated Makefile compiles only the board's drivers. */
#ifndef TFC_BOARD_H
#define TFC_BOARD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void tfc_board_init(void);           /* clock gates, pins, caches (board_init.c) */
void tfc_uart_init(void);            /* uart_<driver>.c */
void tfc_uart_putc(uint8_t c);
int tfc_uart_getc(void);             /* blocking; returns 0..255 */
void tfc_counter_init(void);         /* counter_<kind>.c */
uint32_t tfc_counter_read(void);     /* free-running up-counter */
void tfc_counter_restart(void);      /* align the counter's phase before a measurement */
void tfc_exit(int code);             /* semihosting exit on emulators, else park */
void tfc_debug_puts(const char *s);  /* semihosting console on emulators, else no-op */

#define TFC_EXIT_HARDFAULT 3

#ifdef __cplusplus
}
#endif

#endif
