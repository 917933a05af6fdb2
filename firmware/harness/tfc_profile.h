/* Per-op profiling hooks of a profiling build (`--profile`: the Makefile defines TFC_PROFILE).
 *
 * model.c includes this file; with TFC_PROFILE it defines TFC_LAYER_BEGIN(i) / TFC_LAYER_END(i),
 * which add the counter ticks each op takes to tfc_prof_ticks[i] (tfc_proto.c zeroes them before
 * every timed run, so they hold the last run's counts; PROFILE request 0x07 sends them) and keep
 * the op running now in tfc_prof_layer (a fault report names it). Without TFC_PROFILE nothing is
 * defined here and model.c's hooks compile to nothing: a normal build's code is unchanged. */
#ifndef TFC_PROFILE_H
#define TFC_PROFILE_H

#ifdef TFC_PROFILE
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TFC_PROF_NONE 0xFFFFFFFFu /* tfc_prof_layer outside every op */

uint32_t tfc_counter_read(void);
extern uint32_t tfc_prof_ticks[];        /* per op: ticks of the last timed run (+1 calibration slot) */
extern uint32_t tfc_prof_t0;             /* counter when the running op began */
extern volatile uint32_t tfc_prof_layer; /* the op running now, TFC_PROF_NONE between ops */

#define TFC_LAYER_BEGIN(i) (tfc_prof_layer = (uint32_t)(i), tfc_prof_t0 = tfc_counter_read())
#define TFC_LAYER_END(i) \
    (tfc_prof_ticks[(i)] += tfc_counter_read() - tfc_prof_t0, tfc_prof_layer = TFC_PROF_NONE)

#ifdef __cplusplus
}
#endif
#endif /* TFC_PROFILE */

#endif
