/* Force-included into model.c for per-layer timing (-include bench_hooks.h -DBENCH_LAYERS=n). */
#ifndef BENCH_HOOKS_H
#define BENCH_HOOKS_H
#include <stdint.h>
uint32_t tfc_counter_read(void);
extern uint32_t bench_layer_ticks[];
extern uint32_t bench_layer_t0;
#define TFC_LAYER_BEGIN(i) (bench_layer_t0 = tfc_counter_read())
#define TFC_LAYER_END(i) (bench_layer_ticks[(i)] += tfc_counter_read() - bench_layer_t0)
#endif
