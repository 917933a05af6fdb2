/* Board bring-up from board_config.h data: clock gates, UART pins, M7 caches. */
#include <stdint.h>

#include "board_config.h"
#include "cortexm.h"
#include "tfc_board.h"

#if TFC_PIN_COUNT > 0
#include "stm32_regs.h"
#endif

typedef struct { uint32_t address; uint32_t bit; } tfc_init_bit;
typedef struct { uint32_t port; uint32_t number; uint32_t af; } tfc_pin;

#if TFC_INIT_COUNT > 0
static const tfc_init_bit init_bits[TFC_INIT_COUNT] = TFC_INIT_BITS;
#endif
#if TFC_PIN_COUNT > 0
static const tfc_pin pins[TFC_PIN_COUNT] = TFC_PINS;
#endif

#if TFC_CACHES
static void enable_caches(void)
{
    tfc_dsb();
    tfc_isb();
    TFC_REG32(TFC_SCB_ICIALLU) = 0;
    tfc_dsb();
    tfc_isb();
    TFC_REG32(TFC_SCB_CCR) |= TFC_CCR_IC;
    tfc_dsb();
    tfc_isb();

    TFC_REG32(TFC_SCB_CSSELR) = 0; /* level 1 data cache */
    tfc_dsb();
    uint32_t ccsidr = TFC_REG32(TFC_SCB_CCSIDR);
    uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
    uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    uint32_t line_shift = (ccsidr & 7u) + 4u;
    uint32_t way_shift = (uint32_t)__builtin_clz(ways - 1u);
    for (uint32_t s = 0; s < sets; s++)
        for (uint32_t w = 0; w < ways; w++)
            TFC_REG32(TFC_SCB_DCISW) = (s << line_shift) | (ways > 1u ? (w << way_shift) : 0u);
    tfc_dsb();
    TFC_REG32(TFC_SCB_CCR) |= TFC_CCR_DC;
    tfc_dsb();
    tfc_isb();
}
#endif

void tfc_board_init(void)
{
#if TFC_INIT_COUNT > 0
    for (unsigned i = 0; i < TFC_INIT_COUNT; i++) {
        TFC_REG32(init_bits[i].address) |= 1u << init_bits[i].bit;
        (void)TFC_REG32(init_bits[i].address); /* read back: clock is running */
    }
#endif
#if TFC_PIN_COUNT > 0
    for (unsigned i = 0; i < TFC_PIN_COUNT; i++) {
        uint32_t port = pins[i].port, n = pins[i].number;
        uint32_t afr = port + (n < 8u ? TFC_GPIO_AFRL : TFC_GPIO_AFRH);
        uint32_t shift = 4u * (n & 7u);
        TFC_REG32(afr) = (TFC_REG32(afr) & ~(0xFu << shift)) | (pins[i].af << shift);
        TFC_REG32(port + TFC_GPIO_OSPEEDR) |= 3u << (2u * n);
        TFC_REG32(port + TFC_GPIO_MODER) =
            (TFC_REG32(port + TFC_GPIO_MODER) & ~(3u << (2u * n))) | (TFC_GPIO_MODE_AF << (2u * n));
    }
#endif
#if TFC_CACHES
    enable_caches();
#endif
}
