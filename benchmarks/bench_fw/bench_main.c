/* Instruction-count benchmark firmware: one warm-up inference, then BENCH_RUNS timed ones.
 * The input is a fixed pseudo-random pattern (the host reproduces it); the result goes out
 * through semihosting as one line:
 *   "TFC_BENCH ticks=<n> runs=<n> stack=<bytes> arena=<bytes> out=<hex bytes>"
 * stack: the most stack the timed inferences used below main's frame (the stack is painted after
 * the warm-up and scanned afterwards); arena: the arena the runtime reports using
 * (TFC_ARENA_USED_BYTES(), TFLM's arena_used_bytes(); the engine's TFC_ARENA_BYTES).
 * The same file runs the engine's model.c and a TFLM project's model.cc (the same model.h API).
 * With -DBENCH_LAYERS, model.c's TFC_LAYER_BEGIN/END hooks (bench_hooks.h) time each layer. */
#include <stdint.h>

#include "model.h"
#include "tfc_board.h"

#ifndef BENCH_RUNS
#define BENCH_RUNS 1
#endif
#ifndef TFC_ARENA_USED_BYTES
#define TFC_ARENA_USED_BYTES() ((uint32_t)TFC_ARENA_BYTES)
#endif

#define STACK_PAINT 0xA5C3A5C3u
extern uint32_t _sstack[]; /* linker.ld: the lowest address of the stack */

static inline uint32_t *stack_pointer(void) {
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

/* Paint the free stack below this function's frame. */
static __attribute__((noinline)) void stack_paint(void) {
    uint32_t *p = _sstack, *end = stack_pointer() - 16;
    while (p < end) {
        *p++ = STACK_PAINT;
    }
}

/* Bytes between `top` and the lowest stack word written since stack_paint(). */
static uint32_t stack_used(const uint32_t *top) {
    const uint32_t *p = _sstack;
    while (p < top && *p == STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((uintptr_t)top - (uintptr_t)p);
}

static uint8_t bench_in[TFC_INPUT_BYTES] __attribute__((aligned(8)));
static uint8_t bench_out[TFC_OUTPUT_BYTES] __attribute__((aligned(8)));
static const void *const bench_ins[1] = {bench_in};
static void *const bench_outs[1] = {bench_out};

#ifdef BENCH_LAYERS
uint32_t bench_layer_ticks[BENCH_LAYERS];
uint32_t bench_layer_t0;
#endif

static char *put_dec(char *p, uint32_t v) {
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) {
        *p++ = tmp[--n];
    }
    return p;
}

static char *put_str(char *p, const char *s) {
    while (*s) {
        *p++ = *s++;
    }
    return p;
}

static char line[96 + 2 * TFC_OUTPUT_BYTES];

int main(void) {
    uint32_t x = 12345u, t0, t1, i, stack;
    uint32_t *top;
    char *p;
    for (i = 0; i < TFC_INPUT_BYTES; ++i) { /* LCG, top byte */
        x = x * 1103515245u + 12345u;
        bench_in[i] = (uint8_t)(x >> 24);
    }
    tfc_board_init();
    tfc_counter_init();
    if (tfc_model_run(bench_ins, bench_outs) != 0) { /* warm-up */
        return 1;
    }
#ifdef BENCH_LAYERS
    for (i = 0; i < BENCH_LAYERS; ++i) {
        bench_layer_ticks[i] = 0;
    }
#endif
    top = stack_pointer();
    stack_paint();
    t0 = tfc_counter_read();
    for (i = 0; i < BENCH_RUNS; ++i) {
        tfc_model_run(bench_ins, bench_outs);
    }
    t1 = tfc_counter_read();
    stack = stack_used(top);
    p = put_str(line, "TFC_BENCH ticks=");
    p = put_dec(p, t1 - t0);
    p = put_str(p, " runs=");
    p = put_dec(p, BENCH_RUNS);
    p = put_str(p, " stack=");
    p = put_dec(p, stack);
    p = put_str(p, " arena=");
    p = put_dec(p, TFC_ARENA_USED_BYTES());
    p = put_str(p, " out=");
    for (i = 0; i < TFC_OUTPUT_BYTES; ++i) {
        *p++ = "0123456789abcdef"[bench_out[i] >> 4];
        *p++ = "0123456789abcdef"[bench_out[i] & 15u];
    }
    *p++ = '\n';
    *p = 0;
    tfc_debug_puts(line);
#ifdef BENCH_LAYERS
    for (i = 0; i < BENCH_LAYERS; ++i) {
        p = put_str(line, "TFC_LAYER ");
        p = put_dec(p, i);
        *p++ = ' ';
        p = put_dec(p, bench_layer_ticks[i]);
        *p++ = '\n';
        *p = 0;
        tfc_debug_puts(line);
    }
#endif
    return 0;
}

/* The board's fault handler and TFLM's DebugLog report through the harness protocol; the benchmark
 * has none: log lines go to the semihosting console instead. */
void tfc_proto_send_fault(const uint32_t regs[6]) { (void)regs; }

void tfc_proto_send_log(const char *text) {
    tfc_debug_puts(text);
    tfc_debug_puts("\n");
}
