/* TFLite Micro's log output (tensorflow/lite/micro/debug_log.h) on the board's UART: the
 * firmware's own replacement of TFLM's cortex_m_generic/debug_log.cc. The UART carries the
 * harness protocol, so every line goes out as one LOG frame (tfc_proto_send_log) that the host
 * shows with the error it explains (e.g. an arena too small for AllocateTensors). */
#include <cstdarg>
#include <cstddef>
#include <cstdio>

#include "tensorflow/lite/micro/debug_log.h"
#include "tfc_proto.h"

namespace {

char line[TFC_LOG_MAX + 1];
size_t used;

void flush_line() {
    if (used > 0) {
        line[used] = 0;
        tfc_proto_send_log(line);
    }
    used = 0;
}

}  // namespace

/* MicroPrintf calls this with the message, then with "\r\n": a line ends at a newline. */
extern "C" void DebugLog(const char *format, va_list args) {
    char text[TFC_LOG_MAX + 1];
    vsnprintf(text, sizeof text, format, args);
    for (const char *c = text; *c != 0; c++) {
        if (*c == '\n') {
            flush_line();
        } else if (*c != '\r') {
            if (used == TFC_LOG_MAX)
                flush_line();
            line[used++] = *c;
        }
    }
}

extern "C" int DebugVsnprintf(char *buffer, size_t buf_size, const char *format, va_list vlist) {
    return vsnprintf(buffer, buf_size, format, vlist);
}
