/* tfcompress serial harness protocol: framing, checks and command dispatch.
 * Every length is checked against the buffer it indexes before any copy. */
#include "tfc_proto.h"

#include <string.h>

#include "model.h"

#ifndef TFC_INPUT_SCALE
#define TFC_INPUT_SCALE 0.0f
#define TFC_INPUT_ZERO_POINT 0
#endif
#ifndef TFC_OUTPUT_SCALE
#define TFC_OUTPUT_SCALE 0.0f
#define TFC_OUTPUT_ZERO_POINT 0
#endif
#ifndef TFC_ARENA_BYTES
#define TFC_ARENA_BYTES 0
#endif

static uint8_t tfc_input[TFC_INPUT_BYTES] __attribute__((aligned(16)));
static uint8_t tfc_output[TFC_OUTPUT_BYTES] __attribute__((aligned(16)));
static const uint32_t in_shape[] = TFC_INPUT_SHAPE;
static const uint32_t out_shape[] = TFC_OUTPUT_SHAPE;
static const void *const run_in[1] = {tfc_input};
static void *const run_out[1] = {tfc_output};

static const tfc_proto_io *g_io;
static uint8_t rx[TFC_ENCODED_MAX];
static size_t rx_len;
static int rx_overflow;
static uint8_t frame[TFC_RAW_MAX];
static uint8_t reply[TFC_RAW_MAX];
static uint8_t tx[TFC_ENCODED_MAX + 1];

uint32_t tfc_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

size_t tfc_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t code_at = 0, o = 1;
    uint8_t code = 1;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            if (o >= cap)
                return 0;
            out[o++] = in[i];
            if (++code == 0xFF) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
        if (o > cap)
            return 0;
    }
    if (code_at >= cap)
        return 0;
    out[code_at] = code;
    return o;
}

size_t tfc_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < len) {
        uint8_t code = in[i++];
        if (code == 0)
            return 0;
        for (uint8_t k = 1; k < code; k++) {
            if (i >= len || o >= cap || in[i] == 0)
                return 0;
            out[o++] = in[i++];
        }
        if (code != 0xFF && i < len) {
            if (o >= cap)
                return 0;
            out[o++] = 0;
        }
    }
    return o;
}

static void put_u16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Send reply[0 .. TFC_HEADER_BYTES + n) after filling the header and CRC. */
static void send(uint8_t type, uint32_t seq, size_t n)
{
    size_t raw = TFC_HEADER_BYTES + n;
    if (raw + TFC_CRC_BYTES > sizeof reply)
        return;
    reply[0] = type;
    reply[1] = 0;
    put_u16(reply + 2, seq);
    put_u32(reply + raw, tfc_crc32(0, reply, raw));
    size_t enc = tfc_cobs_encode(reply, raw + TFC_CRC_BYTES, tx, sizeof tx - 1);
    if (enc == 0)
        return;
    tx[enc++] = 0;
    g_io->write(tx, enc);
}

static void send_error(uint32_t seq, uint8_t code, uint8_t request)
{
    reply[TFC_HEADER_BYTES] = code;
    reply[TFC_HEADER_BYTES + 1] = request;
    send(TFC_MSG_ERROR, seq, 2);
}

static void put_f32(uint8_t *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, sizeof v);
    put_u32(p, v);
}

static void do_hello(uint32_t seq)
{
    uint8_t *p = reply + TFC_HEADER_BYTES;
    size_t nin = sizeof in_shape / sizeof in_shape[0], nout = sizeof out_shape / sizeof out_shape[0];
    size_t board_len = strlen(g_io->board);
    if (nin > 8) nin = 8;
    if (nout > 8) nout = 8;
    if (board_len > 32) board_len = 32;
    *p++ = TFC_PROTO_VERSION;
    *p++ = g_io->counter_unit;
    *p++ = (uint8_t)TFC_INPUT_DTYPE;
    *p++ = (uint8_t)TFC_OUTPUT_DTYPE;
    put_u32(p, TFC_INPUT_BYTES); p += 4;
    put_u32(p, TFC_OUTPUT_BYTES); p += 4;
    put_u32(p, TFC_ARENA_BYTES); p += 4;
    put_u32(p, g_io->clock_hz); p += 4;
    put_u16(p, TFC_CHUNK_MAX); p += 2;
    *p++ = (uint8_t)nin;
    *p++ = (uint8_t)nout;
    for (size_t i = 0; i < nin; i++, p += 4) put_u32(p, in_shape[i]);
    for (size_t i = 0; i < nout; i++, p += 4) put_u32(p, out_shape[i]);
    put_f32(p, (float)TFC_INPUT_SCALE); p += 4;
    put_u32(p, (uint32_t)(int32_t)TFC_INPUT_ZERO_POINT); p += 4;
    put_f32(p, (float)TFC_OUTPUT_SCALE); p += 4;
    put_u32(p, (uint32_t)(int32_t)TFC_OUTPUT_ZERO_POINT); p += 4;
    memcpy(p, TFC_MODEL_HASH, 16); p += 16;
    *p++ = (uint8_t)board_len;
    memcpy(p, g_io->board, board_len); p += board_len;
    send(TFC_MSG_HELLO | TFC_REPLY, seq, (size_t)(p - (reply + TFC_HEADER_BYTES)));
}

static void do_load(uint32_t seq, const uint8_t *pl, size_t n)
{
    if (n < 4) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_LOAD);
        return;
    }
    uint32_t off = get_u32(pl);
    size_t len = n - 4;
    if (len > TFC_CHUNK_MAX || off > TFC_INPUT_BYTES || len > TFC_INPUT_BYTES - off) {
        send_error(seq, TFC_ERR_RANGE, TFC_MSG_LOAD);
        return;
    }
    memcpy(tfc_input + off, pl + 4, len);
    put_u32(reply + TFC_HEADER_BYTES, off);
    put_u32(reply + TFC_HEADER_BYTES + 4, (uint32_t)len);
    send(TFC_MSG_LOAD | TFC_REPLY, seq, 8);
}

static void do_run(uint32_t seq, const uint8_t *pl, size_t n)
{
    if (n != 12) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_RUN);
        return;
    }
    uint32_t warmup = get_u32(pl), repeat = get_u32(pl + 4), want = get_u32(pl + 8);
    if (repeat == 0 || repeat > 1000u || warmup > 1000u) {
        send_error(seq, TFC_ERR_RANGE, TFC_MSG_RUN);
        return;
    }
    if (tfc_crc32(0, tfc_input, TFC_INPUT_BYTES) != want) {
        send_error(seq, TFC_ERR_INPUT_CRC, TFC_MSG_RUN);
        return;
    }
    int status = 0;
    for (uint32_t i = 0; i < warmup && status == 0; i++)
        status = tfc_model_run(run_in, run_out);
    uint32_t cmin = 0xFFFFFFFFu, cmax = 0;
    uint64_t total = 0;
    for (uint32_t i = 0; i < repeat && status == 0; i++) {
        if (g_io->counter_restart)
            g_io->counter_restart();
        uint32_t t0 = g_io->counter();
        status = tfc_model_run(run_in, run_out);
        uint32_t dt = g_io->counter() - t0;
        cmin = dt < cmin ? dt : cmin;
        cmax = dt > cmax ? dt : cmax;
        total += dt;
    }
    if (status != 0) {
        send_error(seq, TFC_ERR_MODEL, TFC_MSG_RUN);
        return;
    }
    uint8_t *p = reply + TFC_HEADER_BYTES;
    size_t inline_bytes = TFC_OUTPUT_BYTES < TFC_CHUNK_MAX ? TFC_OUTPUT_BYTES : TFC_CHUNK_MAX;
    put_u32(p, repeat);
    put_u32(p + 4, cmin);
    put_u32(p + 8, cmax);
    put_u32(p + 12, (uint32_t)total);
    put_u32(p + 16, (uint32_t)(total >> 32));
    put_u32(p + 20, tfc_crc32(0, tfc_output, TFC_OUTPUT_BYTES));
    memcpy(p + 24, tfc_output, inline_bytes);
    send(TFC_MSG_RUN | TFC_REPLY, seq, 24 + inline_bytes);
}

static void do_read(uint32_t seq, const uint8_t *pl, size_t n)
{
    if (n != 8) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_READ);
        return;
    }
    uint32_t off = get_u32(pl), len = get_u32(pl + 4);
    if (len > TFC_CHUNK_MAX || off > TFC_OUTPUT_BYTES || len > TFC_OUTPUT_BYTES - off) {
        send_error(seq, TFC_ERR_RANGE, TFC_MSG_READ);
        return;
    }
    put_u32(reply + TFC_HEADER_BYTES, off);
    memcpy(reply + TFC_HEADER_BYTES + 4, tfc_output + off, len);
    send(TFC_MSG_READ | TFC_REPLY, seq, 4 + len);
}

static void handle_frame(void)
{
    size_t n = tfc_cobs_decode(rx, rx_len, frame, sizeof frame);
    if (n < TFC_HEADER_BYTES + TFC_CRC_BYTES) {
        if (rx_len > 0)
            send_error(0xFFFFu, TFC_ERR_CRC, 0);
        return;
    }
    size_t body = n - TFC_CRC_BYTES;
    if (tfc_crc32(0, frame, body) != get_u32(frame + body)) {
        send_error(0xFFFFu, TFC_ERR_CRC, 0);
        return;
    }
    uint32_t seq = (uint32_t)frame[2] | ((uint32_t)frame[3] << 8);
    const uint8_t *pl = frame + TFC_HEADER_BYTES;
    size_t pn = body - TFC_HEADER_BYTES;
    switch (frame[0]) {
    case TFC_MSG_HELLO: do_hello(seq); break;
    case TFC_MSG_LOAD: do_load(seq, pl, pn); break;
    case TFC_MSG_RUN: do_run(seq, pl, pn); break;
    case TFC_MSG_READ: do_read(seq, pl, pn); break;
    default: send_error(seq, TFC_ERR_TYPE, frame[0]); break;
    }
}

void tfc_proto_init(const tfc_proto_io *io)
{
    g_io = io;
    rx_len = 0;
    rx_overflow = 0;
}

void tfc_proto_feed(uint8_t byte)
{
    if (byte == 0) {
        if (rx_overflow)
            send_error(0xFFFFu, TFC_ERR_OVERFLOW, 0);
        else if (rx_len > 0)
            handle_frame();
        rx_len = 0;
        rx_overflow = 0;
        return;
    }
    if (rx_len < sizeof rx)
        rx[rx_len++] = byte;
    else
        rx_overflow = 1;
}

void tfc_proto_send_fault(const uint32_t regs[6])
{
    if (g_io == 0)
        return;
    for (int i = 0; i < 6; i++)
        put_u32(reply + TFC_HEADER_BYTES + 4 * i, regs[i]);
    send(TFC_MSG_FAULT, 0xFFFFu, 24);
}
