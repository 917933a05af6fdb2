/* Instruction-count benchmark firmware: one warm-up inference, then BENCH_RUNS timed ones.
 * The input is a fixed pseudo-random pattern (the host reproduces it); the result goes out
 * through semihosting as one line:
 *   "TFC_BENCH ticks=<n> runs=<n> stack=<bytes> arena=<bytes> out=<hex bytes>"
 * stack: the most stack the timed inferences used below main's frame (the stack is painted after
 * the warm-up and scanned afterwards); arena: the arena the runtime reports using
 * (TFC_ARENA_USED_BYTES(), TFLM's arena_used_bytes(); the engine's TFC_ARENA_BYTES).
 * The same file runs the engine's model.c and a TFLM project's model.cc (the same model.h API).
 * With -DTFC_PROFILE (the product's profiling build), model.c's TFC_LAYER_BEGIN/END hooks
 * (harness/tfc_profile.h) time each op; the stack is painted and scanned by harness/tfc_stack.c,
 * the same code the harness firmware measures its stack with. */
#include <stdint.h>

#include "model.h"
#include "tfc_board.h"
#include "tfc_profile.h"
#include "tfc_stack.h"

#ifndef BENCH_RUNS
#define BENCH_RUNS 1
#endif
#ifndef TFC_ARENA_USED_BYTES
#define TFC_ARENA_USED_BYTES() ((uint32_t)TFC_ARENA_BYTES)
#endif

static uint8_t bench_in[TFC_INPUT_BYTES] __attribute__((aligned(8)));
static uint8_t bench_out[TFC_OUTPUT_BYTES] __attribute__((aligned(8)));
static const void *const bench_ins[1] = {bench_in};
static void *const bench_outs[1] = {bench_out};

#ifdef TFC_PROFILE
/* what tfc_proto.c defines in the harness firmware (one more slot: its calibration) */
uint32_t tfc_prof_ticks[TFC_NUM_LAYERS + 1];
uint32_t tfc_prof_t0;
volatile uint32_t tfc_prof_layer = TFC_PROF_NONE;
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
    uint32_t x = 12345u, t0, t1, i, stack, low;
    volatile uint32_t top_marker = 0; /* about main's stack pointer */
    uint32_t top = (uint32_t)(uintptr_t)&top_marker;
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
#ifdef TFC_PROFILE
    for (i = 0; i < TFC_NUM_LAYERS; ++i) {
        tfc_prof_ticks[i] = 0;
    }
#endif
    tfc_stack_paint();
    t0 = tfc_counter_read();
    for (i = 0; i < BENCH_RUNS; ++i) {
        tfc_model_run(bench_ins, bench_outs);
    }
    t1 = tfc_counter_read();
    low = tfc_stack_lowest();
    stack = low < top ? top - low : 0;
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
#ifdef TFC_PROFILE
    for (i = 0; i < TFC_NUM_LAYERS; ++i) {
        p = put_str(line, "TFC_LAYER ");
        p = put_dec(p, i);
        *p++ = ' ';
        p = put_dec(p, tfc_prof_ticks[i]);
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
