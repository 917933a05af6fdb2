/* Cortex-M4/M7 system registers we use (ARMv7-M Architecture Reference Manual). */
#ifndef TFC_CORTEXM_H
#define TFC_CORTEXM_H

#include <stdint.h>

#define TFC_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define TFC_SCB_CPACR 0xE000ED88u  /* CP10/CP11 access: bits 20..23 */
#define TFC_SCB_VTOR 0xE000ED08u
#define TFC_SCB_CCR 0xE000ED14u    /* DC = bit 16, IC = bit 17 (Cortex-M7) */
#define TFC_SCB_CFSR 0xE000ED28u
#define TFC_SCB_HFSR 0xE000ED2Cu
#define TFC_SCB_MMFAR 0xE000ED34u
#define TFC_SCB_BFAR 0xE000ED38u
#define TFC_SCB_CCSIDR 0xE000ED80u
#define TFC_SCB_CSSELR 0xE000ED84u
#define TFC_SCB_ICIALLU 0xE000EF50u
#define TFC_SCB_DCISW 0xE000EF60u
#define TFC_CCR_DC (1u << 16)
#define TFC_CCR_IC (1u << 17)

#define TFC_DEMCR 0xE000EDFCu      /* TRCENA = bit 24 */
#define TFC_DEMCR_TRCENA (1u << 24)
#define TFC_DWT_CTRL 0xE0001000u   /* CYCCNTENA = bit 0 */
#define TFC_DWT_CYCCNT 0xE0001004u
#define TFC_DWT_LAR 0xE0001FB0u    /* Cortex-M7 software lock: write 0xC5ACCE55 */
#define TFC_DWT_LAR_KEY 0xC5ACCE55u

#define TFC_NVIC_ISER 0xE000E100u  /* set-enable, one word per 32 interrupts */
#define TFC_NVIC_ICPR 0xE000E280u  /* clear-pending, one word per 32 interrupts */

static inline void tfc_dsb(void) { __asm volatile("dsb 0xF" ::: "memory"); }
static inline void tfc_isb(void) { __asm volatile("isb 0xF" ::: "memory"); }

/* Sleep-until-interrupt without taking it: with PRIMASK set, an enabled interrupt that becomes
   pending still ends WFI (ARMv7-M ARM B1.5.19), and no handler runs. */
static inline void tfc_irq_wake_only(uint32_t irq)
{
    __asm volatile("cpsid i" ::: "memory");
    TFC_REG32(TFC_NVIC_ISER + 4u * (irq / 32u)) = 1u << (irq % 32u);
}
static inline void tfc_irq_clear_pending(uint32_t irq)
{
    TFC_REG32(TFC_NVIC_ICPR + 4u * (irq / 32u)) = 1u << (irq % 32u);
}
static inline void tfc_wfi(void) { __asm volatile("wfi" ::: "memory"); }

#endif
