/* Harness main loop: serial bytes in, protocol replies out. */
#include "board_config.h"
#include "tfc_board.h"
#include "tfc_proto.h"
#include "tfc_stack.h"

static void uart_write(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        tfc_uart_putc(data[i]);
}

static const tfc_proto_io io = {
    .write = uart_write,
    .counter = tfc_counter_read,
    .board = TFC_BOARD_NAME,
    .clock_hz = TFC_CLOCK_HZ,
    .counter_unit = TFC_COUNTER_UNIT,
    .counter_restart = tfc_counter_restart,
    .stack_paint = tfc_stack_paint,
    .stack_lowest = tfc_stack_lowest,
    .stack_bottom = tfc_stack_bottom,
    .stack_top = tfc_stack_top,
};

void tfc_harness_loop(void)
{
    tfc_proto_init(&io);
    for (;;)
        tfc_proto_feed((uint8_t)tfc_uart_getc());
}
