/* TFLite Micro's timer hooks (tensorflow/lite/micro/micro_time.h) on the board's counter:
 * the firmware's own replacement of TFLM's cortex_m_generic/micro_time.cc. */
#include <cstdint>

#include "board_config.h"
#include "tensorflow/lite/micro/micro_time.h"
#include "tfc_board.h"

namespace tflite {

/* The counter ticks at the core clock on hardware; under QEMU (-icount) it counts
 * instructions (TFC_COUNTER_UNIT 1), for which no ticks-per-second figure is meaningful. */
uint32_t ticks_per_second() { return TFC_COUNTER_UNIT ? 0u : TFC_CLOCK_HZ; }

uint32_t GetCurrentTimeTicks() { return tfc_counter_read(); }

}  // namespace tflite
