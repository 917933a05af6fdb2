/* tfcompress serial harness protocol (device side, hardware independent).
 *
 * Frame = COBS(type u8, flags u8, seq u16le, payload..., crc32le) followed by 0x00.
 * CRC-32 is the IEEE 802.3 polynomial (reflected 0xEDB88320), as zlib.crc32.
 * This file compiles for the target and for the host (fuzzing under ASan).
 */
#ifndef TFC_PROTO_H
#define TFC_PROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TFC_PROTO_VERSION 2u

/* Inputs and outputs sit in the device's buffers at offsets rounded up to this. */
#define TFC_TENSOR_ALIGN 8u

/* Largest LOAD/READ data chunk; every buffer below is sized from it. */
#ifndef TFC_CHUNK_MAX
#define TFC_CHUNK_MAX 256u
#endif
#define TFC_HEADER_BYTES 4u
#define TFC_CRC_BYTES 4u
#define TFC_RAW_MAX (TFC_HEADER_BYTES + 40u + TFC_CHUNK_MAX + TFC_CRC_BYTES)
#define TFC_ENCODED_MAX (TFC_RAW_MAX + TFC_RAW_MAX / 254u + 2u)

enum {
    TFC_MSG_HELLO = 0x01,
    TFC_MSG_LOAD = 0x02,
    TFC_MSG_RUN = 0x03,
    TFC_MSG_READ = 0x04,
    TFC_MSG_TENSOR = 0x05,  /* one input's or output's description, by (kind, index) */
    TFC_MSG_RESET = 0x06,   /* tfc_model_reset(): a stateful model's state back to its start */
    TFC_MSG_PROFILE = 0x07, /* per-op counter ticks of the last timed run (profiling builds only) */
    TFC_MSG_STATS = 0x08,   /* stack high-water marks (measured by painting) */
    TFC_MSG_DEBUG_READ = 0x09, /* debug build only: an op's output as the last RUN left it, by tensor id */
    TFC_REPLY = 0x80,       /* reply type = request type | TFC_REPLY */
    TFC_MSG_LOG = 0xFD,     /* unsolicited: one line of text from the runtime (TFLM's DebugLog) */
    TFC_MSG_FAULT = 0xFE,   /* unsolicited: the firmware hit a fault handler */
    TFC_MSG_ERROR = 0xFF
};

enum {
    TFC_ERR_CRC = 1,        /* frame failed its CRC: resend */
    TFC_ERR_TYPE = 2,       /* unknown request type */
    TFC_ERR_LENGTH = 3,     /* payload length wrong for the request */
    TFC_ERR_RANGE = 4,      /* offset/length outside the tensor, or warm-up/repeat too large */
    TFC_ERR_INPUT_CRC = 5,  /* loaded input does not match the host's CRC: reload */
    TFC_ERR_MODEL = 6,      /* tfc_model_run returned non-zero */
    TFC_ERR_OVERFLOW = 7,   /* frame longer than the receive buffer */
    TFC_ERR_INDEX = 8       /* no such input/output (tensor kind or index) */
};

enum { TFC_KIND_INPUT = 0, TFC_KIND_OUTPUT = 1 };
/* HELLO byte 28: bit 0 stateful, bit 1 a profiling build (answers PROFILE), bit 2 a debug build
 * (every op's output kept for DEBUG_READ). */
enum { TFC_FLAG_STATEFUL = 1, TFC_FLAG_PROFILE = 2, TFC_FLAG_DEBUG = 4 };
/* HELLO byte 31: which runtime runs the model (model.h's TFC_RUNTIME; absent: the engine). */
enum { TFC_RUNTIME_ENGINE = 0, TFC_RUNTIME_TFLM = 1 };

/* Longest LOG text (longer lines are cut). */
#define TFC_LOG_MAX 120u

typedef struct {
    void (*write)(const uint8_t *data, size_t len); /* send bytes to the host */
    uint32_t (*counter)(void);                      /* free-running up-counter */
    const char *board;
    uint32_t clock_hz;
    uint8_t counter_unit; /* 0 = cycles, 1 = instructions (emulated) */
    void (*counter_restart)(void); /* optional: re-phase the counter before each timed run */
    /* optional (tfc_stack.h): without them STATS reports the stack as not measured */
    void (*stack_paint)(void);       /* paint the free stack below the caller's frame */
    uint32_t (*stack_lowest)(void);  /* lowest stack address written since the paint */
    uint32_t (*stack_bottom)(void);  /* the stack region [bottom, top) */
    uint32_t (*stack_top)(void);
} tfc_proto_io;

/* PROFILE reply: at most this many ops' counts per request (the host pages with `first`). */
#define TFC_PROFILE_PAGE (TFC_CHUNK_MAX / 4u)

void tfc_proto_init(const tfc_proto_io *io);
/* Feed one received byte; a complete frame is handled (and answered) at once. */
void tfc_proto_feed(uint8_t byte);
/* Report a fault (pc, lr, cfsr, hfsr, mmfar, bfar) in a FAULT frame (a profiling build adds the
 * index of the op running, 0xFFFFFFFF between ops). */
void tfc_proto_send_fault(const uint32_t regs[6]);
/* Send one line of text (at most TFC_LOG_MAX characters are sent) in a LOG frame; dropped
 * before tfc_proto_init. Never called while a reply is being built. */
void tfc_proto_send_log(const char *text);

uint32_t tfc_crc32(uint32_t crc, const uint8_t *data, size_t len);
/* COBS helpers; return the output length, or 0 on malformed input / no room. */
size_t tfc_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
size_t tfc_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
