/* Reset handler, vector table and fault reporting for Cortex-M4/M7. */
#include <stdint.h>
#include <string.h>

#include "board_config.h"
#include "cortexm.h"
#include "tfc_board.h"
#include "tfc_proto.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
/* C++ static constructors (linker.ld; empty in a C firmware) */
typedef void (*tfc_init_fn)(void);
extern tfc_init_fn __preinit_array_start[], __preinit_array_end[], __init_array_start[], __init_array_end[];

void Reset_Handler(void);
void tfc_fault_entry(void);
void tfc_fault_report(const uint32_t *frame);
static void default_handler(void) { for (;;) { } }

/* 16 system exceptions; peripheral interrupts are unused (nothing enables them). */
__attribute__((section(".isr_vector"), used)) void (*const tfc_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack,
    Reset_Handler,
    tfc_fault_entry, /* NMI */
    tfc_fault_entry, /* HardFault */
    tfc_fault_entry, /* MemManage */
    tfc_fault_entry, /* BusFault */
    tfc_fault_entry, /* UsageFault */
    0, 0, 0, 0,
    default_handler, /* SVCall */
    default_handler, /* DebugMonitor */
    0,
    default_handler, /* PendSV */
    default_handler, /* SysTick */
};

__attribute__((noreturn)) void Reset_Handler(void)
{
    /* FPU first: the compiler may use FP registers anywhere after this. */
    TFC_REG32(TFC_SCB_CPACR) |= 0xFu << 20;
    tfc_dsb();
    tfc_isb();
    TFC_REG32(TFC_SCB_VTOR) = (uint32_t)(uintptr_t)tfc_vectors;

    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata)
        *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    for (tfc_init_fn *f = __preinit_array_start; f < __preinit_array_end; f++)
        (*f)();
    for (tfc_init_fn *f = __init_array_start; f < __init_array_end; f++)
        (*f)();

    tfc_exit(main());
    for (;;) { }
}

/* Naked entry: pick the stack the fault frame was pushed on, pass it to C. */
__attribute__((naked)) void tfc_fault_entry(void)
{
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "b tfc_fault_report\n");
}

static void hex32(char *out, uint32_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 4)
        out[i] = "0123456789abcdef"[v & 0xF];
}

__attribute__((noreturn, used)) void tfc_fault_report(const uint32_t *frame)
{
    uint32_t regs[6] = {
        frame[6], frame[5], TFC_REG32(TFC_SCB_CFSR), TFC_REG32(TFC_SCB_HFSR),
        TFC_REG32(TFC_SCB_MMFAR), TFC_REG32(TFC_SCB_BFAR),
    };
    char msg[] = "tfc: hard fault pc=xxxxxxxx cfsr=xxxxxxxx\n";
    hex32(msg + 19, regs[0]);
    hex32(msg + 33, regs[2]);
    tfc_debug_puts(msg);
    tfc_proto_send_fault(regs);
    tfc_exit(TFC_EXIT_HARDFAULT);
    for (;;) { }
}
