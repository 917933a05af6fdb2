/* tfcompress serial harness protocol v2: framing, checks and command dispatch.
 * Every index, offset and length is checked against the buffer it indexes before any copy. */
#include "tfc_proto.h"

#include <string.h>

#include "model.h"
#include "tfc_profile.h"

#ifndef TFC_ARENA_BYTES
#define TFC_ARENA_BYTES 0
#endif
#ifndef TFC_STATE_BYTES
#define TFC_STATE_BYTES 0
#endif
#ifndef TFC_STATEFUL
#define TFC_STATEFUL 0
#endif
/* A runtime that sizes its arena at start-up (TFLM) reports the bytes it really uses through
 * TFC_ARENA_USED_BYTES() and names itself with TFC_RUNTIME (model.h); the engine's arena is
 * TFC_ARENA_BYTES, known when the model was compiled. */
#ifndef TFC_RUNTIME
#define TFC_RUNTIME TFC_RUNTIME_ENGINE
#endif
#ifndef TFC_ARENA_USED_BYTES
#define TFC_ARENA_USED_BYTES() ((uint32_t)TFC_ARENA_BYTES)
#endif
/* The debug build (TFC_DEBUG_BUILD, a generated tfc_debug_dump.c) keeps every op's output. */
#ifdef TFC_DEBUG_BUILD
#include "tfc_debug_dump.h"
#define TFC_HELLO_DEBUG_FLAG TFC_FLAG_DEBUG
#else
#define TFC_HELLO_DEBUG_FLAG 0
#endif
#if TFC_NUM_INPUTS > 255 || TFC_NUM_OUTPUTS > 255
#error "the harness protocol numbers inputs and outputs with one byte"
#endif

/* One area for all inputs and one for all outputs, each tensor at an offset rounded up to
 * TFC_TENSOR_ALIGN (slack for that rounding; never 0 bytes). */
#define TFC_IN_AREA_BYTES (TFC_INPUTS_BYTES + TFC_TENSOR_ALIGN * (TFC_NUM_INPUTS + 1u))
#define TFC_OUT_AREA_BYTES (TFC_OUTPUTS_BYTES + TFC_TENSOR_ALIGN * (TFC_NUM_OUTPUTS + 1u))
#define TFC_NIN_ALLOC (TFC_NUM_INPUTS > 0 ? TFC_NUM_INPUTS : 1)

static uint8_t in_area[TFC_IN_AREA_BYTES] __attribute__((aligned(16)));
static uint8_t out_area[TFC_OUT_AREA_BYTES] __attribute__((aligned(16)));
static uint32_t in_off[TFC_NIN_ALLOC], out_off[TFC_NUM_OUTPUTS];
static const void *run_in[TFC_NIN_ALLOC];
static void *run_out[TFC_NUM_OUTPUTS];
static uint32_t in_used, out_used; /* bytes of each area the layout uses */
static int layout_ok;              /* the model's tensor tables fit the areas */
/* as variables, so a model without inputs compiles without "comparison always false" warnings */
static const uint32_t num_inputs = TFC_NUM_INPUTS, num_outputs = TFC_NUM_OUTPUTS;

/* The last RUN, so a resent RUN (its reply was lost) is answered again without running the
 * model a second time: a stateful model must advance exactly once per request. */
static struct {
    int valid;
    uint32_t seq;
    uint8_t request[12];
    uint32_t stats[6]; /* repeat, min, max, total lo, total hi, output CRC */
} last_run;

/* Stack high-water marks (STATS): painted at start-up and before every RUN. */
static struct {
    uint32_t lowest;   /* lowest stack address written since start-up */
    uint32_t run_sp;   /* the harness's stack pointer (about) when it calls the model */
    uint32_t run_used; /* the last RUN: bytes below run_sp the model used */
} stack_marks;

#ifdef TFC_PROFILE
#ifndef TFC_NUM_LAYERS
#define TFC_NUM_LAYERS 0 /* a runtime without per-op hooks: no ops to report */
#endif
/* One more slot than ops: the calibration of an empty BEGIN/END pair. */
uint32_t tfc_prof_ticks[TFC_NUM_LAYERS + 1];
uint32_t tfc_prof_t0;
volatile uint32_t tfc_prof_layer = TFC_PROF_NONE;
static uint32_t prof_valid;       /* the counts are those of a finished timed run */
static uint32_t prof_calibration; /* ticks inside TFC_PROF_CALIBRATE empty BEGIN/END pairs */
static uint32_t prof_pair_cost;   /* ticks of the same pairs from outside: all they add to a run */
#define TFC_PROF_CALIBRATE 16u
#endif

static const tfc_proto_io *g_io;
static uint8_t rx[TFC_ENCODED_MAX];
static size_t rx_len;
static int rx_overflow;
static uint8_t frame[TFC_RAW_MAX];
static uint8_t reply[TFC_RAW_MAX];
static uint8_t tx[TFC_ENCODED_MAX + 1];
static uint8_t log_raw[TFC_HEADER_BYTES + TFC_LOG_MAX + TFC_CRC_BYTES];

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

/* Send buf[0 .. TFC_HEADER_BYTES + n) (buf holds cap bytes) after filling the header and CRC. */
static void send_frame(uint8_t *buf, size_t cap, uint8_t type, uint32_t seq, size_t n)
{
    size_t raw = TFC_HEADER_BYTES + n;
    if (raw + TFC_CRC_BYTES > cap)
        return;
    buf[0] = type;
    buf[1] = 0;
    put_u16(buf + 2, seq);
    put_u32(buf + raw, tfc_crc32(0, buf, raw));
    size_t enc = tfc_cobs_encode(buf, raw + TFC_CRC_BYTES, tx, sizeof tx - 1);
    if (enc == 0)
        return;
    tx[enc++] = 0;
    g_io->write(tx, enc);
}

/* Send reply[0 .. TFC_HEADER_BYTES + n). */
static void send(uint8_t type, uint32_t seq, size_t n)
{
    send_frame(reply, sizeof reply, type, seq, n);
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

/* Offsets of n tensors in an area of cap bytes; 0 when they do not fit. */
static int lay_out(const tfc_tensor_info *info, uint32_t n, uint32_t cap, uint32_t *off, uint32_t *used)
{
    uint32_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t aligned = (at + (TFC_TENSOR_ALIGN - 1u)) & ~(TFC_TENSOR_ALIGN - 1u);
        if (aligned < at || aligned > cap || info[i].bytes > cap - aligned)
            return 0;
        off[i] = aligned;
        at = aligned + info[i].bytes;
    }
    *used = at;
    return 1;
}

/* CRC-32 of n tensors as one concatenated byte string (what the host computes). */
static uint32_t crc_tensors(const tfc_tensor_info *info, uint32_t n, const uint8_t *area, const uint32_t *off)
{
    uint32_t crc = 0;
    for (uint32_t i = 0; i < n; i++)
        crc = tfc_crc32(crc, area + off[i], info[i].bytes);
    return crc;
}

static void do_hello(uint32_t seq)
{
    static const char hash[] = TFC_MODEL_HASH;
    /* first: a runtime that sets itself up here may send LOG frames */
    uint32_t arena = TFC_ARENA_USED_BYTES();
    uint8_t *p = reply + TFC_HEADER_BYTES;
    size_t board_len = g_io->board ? strlen(g_io->board) : 0;
    size_t hash_len = sizeof hash - 1 < 16 ? sizeof hash - 1 : 16;
    if (board_len > 32)
        board_len = 32;
    last_run.valid = 0; /* a new host session: its sequence numbers start over */
    memset(p, 0, 56);
    p[0] = TFC_PROTO_VERSION;
    p[1] = g_io->counter_unit;
    p[2] = (uint8_t)TFC_NUM_INPUTS;
    p[3] = (uint8_t)TFC_NUM_OUTPUTS;
    put_u32(p + 4, TFC_INPUTS_BYTES);
    put_u32(p + 8, TFC_OUTPUTS_BYTES);
    put_u32(p + 12, arena);
    put_u32(p + 16, g_io->clock_hz);
    put_u16(p + 20, TFC_CHUNK_MAX);
    /* p[22..23] stay 0: v1 read its shape ranks there, so a v1 host parses this reply as far
     * as its version check and reports the mismatch */
    put_u32(p + 24, TFC_STATE_BYTES);
    p[28] = (uint8_t)((TFC_STATEFUL ? TFC_FLAG_STATEFUL : 0) | TFC_HELLO_DEBUG_FLAG);
#ifdef TFC_PROFILE
    p[28] |= TFC_FLAG_PROFILE;
#endif
    p[29] = (uint8_t)TFC_TENSOR_ALIGN;
    p[30] = (uint8_t)TFC_IO_MAX_DIMS;
    p[31] = (uint8_t)TFC_RUNTIME;
    put_u32(p + 32, in_used);
    put_u32(p + 36, out_used);
    memcpy(p + 40, hash, hash_len);
    p[56] = (uint8_t)board_len;
    if (board_len)
        memcpy(p + 57, g_io->board, board_len);
    send(TFC_MSG_HELLO | TFC_REPLY, seq, 57 + board_len);
}

static void do_tensor(uint32_t seq, const uint8_t *pl, size_t n)
{
    if (n != 2) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_TENSOR);
        return;
    }
    uint8_t kind = pl[0], index = pl[1];
    const tfc_tensor_info *t;
    uint32_t off;
    if (kind == TFC_KIND_INPUT && index < num_inputs) {
        t = &tfc_input_info[index];
        off = layout_ok ? in_off[index] : 0;
    } else if (kind == TFC_KIND_OUTPUT && index < num_outputs) {
        t = &tfc_output_info[index];
        off = layout_ok ? out_off[index] : 0;
    } else {
        send_error(seq, TFC_ERR_INDEX, TFC_MSG_TENSOR);
        return;
    }
    uint8_t *p = reply + TFC_HEADER_BYTES;
    uint8_t ndim = t->ndim <= TFC_IO_MAX_DIMS ? t->ndim : (uint8_t)TFC_IO_MAX_DIMS;
    p[0] = kind;
    p[1] = index;
    p[2] = t->dtype;
    p[3] = ndim;
    put_u32(p + 4, t->bytes);
    put_u32(p + 8, t->elements);
    put_f32(p + 12, t->scale);
    put_u32(p + 16, (uint32_t)t->zero_point);
    put_u32(p + 20, off);
    for (uint8_t d = 0; d < ndim; d++)
        put_u32(p + 24 + 4u * d, (uint32_t)t->shape[d]);
    send(TFC_MSG_TENSOR | TFC_REPLY, seq, 24 + 4u * ndim);
}

static void do_load(uint32_t seq, const uint8_t *pl, size_t n)
{
    if (n < 5) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_LOAD);
        return;
    }
    uint8_t index = pl[0];
    uint32_t off = get_u32(pl + 1);
    size_t len = n - 5;
    if (!layout_ok) {
        send_error(seq, TFC_ERR_MODEL, TFC_MSG_LOAD);
        return;
    }
    if (index >= num_inputs) {
        send_error(seq, TFC_ERR_INDEX, TFC_MSG_LOAD);
        return;
    }
    uint32_t bytes = tfc_input_info[index].bytes;
    if (len > TFC_CHUNK_MAX || off > bytes || len > bytes - off) {
        send_error(seq, TFC_ERR_RANGE, TFC_MSG_LOAD);
        return;
    }
    memcpy(in_area + in_off[index] + off, pl + 5, len);
    last_run.valid = 0;
    uint8_t *p = reply + TFC_HEADER_BYTES;
    p[0] = index;
    put_u32(p + 1, off);
    put_u32(p + 5, (uint32_t)len);
    send(TFC_MSG_LOAD | TFC_REPLY, seq, 9);
}

/* RUN reply: counter statistics, CRC of all outputs, then the first outputs bytes inline. */
static void send_run_reply(uint32_t seq)
{
    uint8_t *p = reply + TFC_HEADER_BYTES;
    size_t k = 0;
    for (int i = 0; i < 6; i++)
        put_u32(p + 4 * i, last_run.stats[i]);
    for (uint32_t i = 0; i < num_outputs && k < TFC_CHUNK_MAX; i++) {
        size_t take = tfc_output_info[i].bytes;
        if (take > TFC_CHUNK_MAX - k)
            take = TFC_CHUNK_MAX - k;
        memcpy(p + 24 + k, out_area + out_off[i], take);
        k += take;
    }
    send(TFC_MSG_RUN | TFC_REPLY, seq, 24 + k);
}

static void do_run(uint32_t seq, const uint8_t *pl, size_t n)
{
    if (n != 12) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_RUN);
        return;
    }
    if (!layout_ok) {
        send_error(seq, TFC_ERR_MODEL, TFC_MSG_RUN);
        return;
    }
    if (last_run.valid && last_run.seq == seq && memcmp(last_run.request, pl, 12) == 0) {
        send_run_reply(seq); /* the same request again: its reply was lost */
        return;
    }
    uint32_t warmup = get_u32(pl), repeat = get_u32(pl + 4), want = get_u32(pl + 8);
    if (repeat == 0 || repeat > 1000u || warmup > 1000u) {
        send_error(seq, TFC_ERR_RANGE, TFC_MSG_RUN);
        return;
    }
    if (crc_tensors(tfc_input_info, num_inputs, in_area, in_off) != want) {
        send_error(seq, TFC_ERR_INPUT_CRC, TFC_MSG_RUN);
        return;
    }
    last_run.valid = 0;
    int status = 0;
    volatile uint8_t here = 0; /* about this frame's stack pointer: the model's frames are below */
    stack_marks.run_sp = (uint32_t)(uintptr_t)&here;
    if (g_io->stack_paint && g_io->stack_lowest) {
        uint32_t low = g_io->stack_lowest(); /* keep what the requests since the last paint used */
        stack_marks.lowest = low < stack_marks.lowest ? low : stack_marks.lowest;
        g_io->stack_paint();
    }
    for (uint32_t i = 0; i < warmup && status == 0; i++)
        status = tfc_model_run(run_in, run_out);
    uint32_t cmin = 0xFFFFFFFFu, cmax = 0;
    uint64_t total = 0;
#ifdef TFC_PROFILE
    prof_valid = 0;
#endif
    for (uint32_t i = 0; i < repeat && status == 0; i++) {
#ifdef TFC_PROFILE
        memset(tfc_prof_ticks, 0, sizeof tfc_prof_ticks); /* keep the last timed run's counts */
#endif
        if (g_io->counter_restart)
            g_io->counter_restart();
        uint32_t t0 = g_io->counter();
        status = tfc_model_run(run_in, run_out);
        uint32_t dt = g_io->counter() - t0;
        cmin = dt < cmin ? dt : cmin;
        cmax = dt > cmax ? dt : cmax;
        total += dt;
    }
    if (g_io->stack_lowest) {
        uint32_t low = g_io->stack_lowest();
        stack_marks.run_used = low < stack_marks.run_sp ? stack_marks.run_sp - low : 0;
        stack_marks.lowest = low < stack_marks.lowest ? low : stack_marks.lowest;
    }
    (void)here;
    if (status != 0) {
        send_error(seq, TFC_ERR_MODEL, TFC_MSG_RUN);
        return;
    }
    last_run.stats[0] = repeat;
    last_run.stats[1] = cmin;
    last_run.stats[2] = cmax;
    last_run.stats[3] = (uint32_t)total;
    last_run.stats[4] = (uint32_t)(total >> 32);
    last_run.stats[5] = crc_tensors(tfc_output_info, num_outputs, out_area, out_off);
#ifdef TFC_PROFILE
    prof_valid = 1;
#endif
    last_run.seq = seq;
    memcpy(last_run.request, pl, 12);
    last_run.valid = 1;
    send_run_reply(seq);
}

static void do_read(uint32_t seq, const uint8_t *pl, size_t n)
{
    if (n != 9) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_READ);
        return;
    }
    uint8_t index = pl[0];
    uint32_t off = get_u32(pl + 1), len = get_u32(pl + 5);
    if (!layout_ok) {
        send_error(seq, TFC_ERR_MODEL, TFC_MSG_READ);
        return;
    }
    if (index >= num_outputs) {
        send_error(seq, TFC_ERR_INDEX, TFC_MSG_READ);
        return;
    }
    uint32_t bytes = tfc_output_info[index].bytes;
    if (len > TFC_CHUNK_MAX || off > bytes || len > bytes - off) {
        send_error(seq, TFC_ERR_RANGE, TFC_MSG_READ);
        return;
    }
    uint8_t *p = reply + TFC_HEADER_BYTES;
    p[0] = index;
    put_u32(p + 1, off);
    memcpy(p + 5, out_area + out_off[index] + off, len);
    send(TFC_MSG_READ | TFC_REPLY, seq, 5 + len);
}

#ifdef TFC_DEBUG_BUILD
/* DEBUG_READ: tensor u32, offset u32, length u32 -> tensor u32, step u32, bytes u32, offset u32, data. */
static void do_debug_read(uint32_t seq, const uint8_t *pl, size_t n)
{
    if (n != 12) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_DEBUG_READ);
        return;
    }
    uint32_t tensor = get_u32(pl), off = get_u32(pl + 4), len = get_u32(pl + 8);
    const tfc_debug_entry *e = tfc_debug_find(tensor);
    if (e == 0) {
        send_error(seq, TFC_ERR_INDEX, TFC_MSG_DEBUG_READ);
        return;
    }
    if (len > TFC_CHUNK_MAX || off > e->bytes || len > e->bytes - off) {
        send_error(seq, TFC_ERR_RANGE, TFC_MSG_DEBUG_READ);
        return;
    }
    uint8_t *p = reply + TFC_HEADER_BYTES;
    put_u32(p, tensor);
    put_u32(p + 4, e->step);
    put_u32(p + 8, e->bytes);
    put_u32(p + 12, off);
    memcpy(p + 16, tfc_debug_dump() + e->dump_offset + off, len);
    send(TFC_MSG_DEBUG_READ | TFC_REPLY, seq, 16 + len);
}
#endif

static void do_reset(uint32_t seq, size_t n)
{
    if (n != 0) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_RESET);
        return;
    }
    tfc_model_reset();
    last_run.valid = 0;
    send(TFC_MSG_RESET | TFC_REPLY, seq, 0);
}

/* STATS reply: stack bytes, peak since start-up (from the top), the harness's use when it calls
 * the model, the last RUN's use below that, flags (bit 0: measured). */
static void do_stats(uint32_t seq, size_t n)
{
    if (n != 0) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_STATS);
        return;
    }
    uint8_t *p = reply + TFC_HEADER_BYTES;
    memset(p, 0, 20);
    if (g_io->stack_lowest && g_io->stack_top && g_io->stack_bottom) {
        uint32_t top = g_io->stack_top(), low = g_io->stack_lowest();
        if (low < stack_marks.lowest)
            stack_marks.lowest = low;
        put_u32(p, top - g_io->stack_bottom());
        put_u32(p + 4, top - stack_marks.lowest);
        put_u32(p + 8, stack_marks.run_sp ? top - stack_marks.run_sp : 0);
        put_u32(p + 12, stack_marks.run_used);
        p[16] = 1;
    }
    send(TFC_MSG_STATS | TFC_REPLY, seq, 20);
}

#ifdef TFC_PROFILE
/* PROFILE: first op u16 -> ops u16, first u16, count u16, valid u8, 0 u8, calibration ticks u32,
 * calibration pairs u32, pairs' whole cost u32, then count ticks u32 (at most TFC_PROFILE_PAGE). */
static void do_profile(uint32_t seq, const uint8_t *pl, size_t n)
{
    if (n != 2) {
        send_error(seq, TFC_ERR_LENGTH, TFC_MSG_PROFILE);
        return;
    }
    uint32_t first = (uint32_t)pl[0] | ((uint32_t)pl[1] << 8), ops = TFC_NUM_LAYERS;
    if (first > ops) {
        send_error(seq, TFC_ERR_RANGE, TFC_MSG_PROFILE);
        return;
    }
    uint32_t count = ops - first < TFC_PROFILE_PAGE ? ops - first : TFC_PROFILE_PAGE;
    uint8_t *p = reply + TFC_HEADER_BYTES;
    put_u16(p, ops);
    put_u16(p + 2, first);
    put_u16(p + 4, count);
    p[6] = (uint8_t)prof_valid;
    p[7] = 0;
    put_u32(p + 8, prof_calibration);
    put_u32(p + 12, TFC_PROF_CALIBRATE);
    put_u32(p + 16, prof_pair_cost);
    for (uint32_t i = 0; i < count; i++)
        put_u32(p + 20 + 4 * i, tfc_prof_ticks[first + i]);
    send(TFC_MSG_PROFILE | TFC_REPLY, seq, 20 + 4 * count);
}

/* Ticks empty BEGIN/END pairs count inside their windows (the hooks' share of every op's count)
 * and in all (what the hooks add to a whole run, about, per op). */
static void calibrate_profile(void)
{
    tfc_prof_ticks[TFC_NUM_LAYERS] = 0;
    if (g_io->counter_restart)
        g_io->counter_restart();
    uint32_t t0 = g_io->counter();
    for (uint32_t i = 0; i < TFC_PROF_CALIBRATE; i++) {
        TFC_LAYER_BEGIN(TFC_NUM_LAYERS);
        TFC_LAYER_END(TFC_NUM_LAYERS);
    }
    prof_pair_cost = g_io->counter() - t0;
    prof_calibration = tfc_prof_ticks[TFC_NUM_LAYERS];
}
#endif

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
    case TFC_MSG_TENSOR: do_tensor(seq, pl, pn); break;
    case TFC_MSG_RESET: do_reset(seq, pn); break;
    case TFC_MSG_STATS: do_stats(seq, pn); break;
#ifdef TFC_PROFILE
    case TFC_MSG_PROFILE: do_profile(seq, pl, pn); break;
#endif
#ifdef TFC_DEBUG_BUILD
    case TFC_MSG_DEBUG_READ: do_debug_read(seq, pl, pn); break;
#endif
    default: send_error(seq, TFC_ERR_TYPE, frame[0]); break;
    }
}

void tfc_proto_init(const tfc_proto_io *io)
{
    g_io = io;
    rx_len = 0;
    rx_overflow = 0;
    last_run.valid = 0;
    layout_ok = lay_out(tfc_input_info, num_inputs, sizeof in_area, in_off, &in_used)
                && lay_out(tfc_output_info, num_outputs, sizeof out_area, out_off, &out_used);
    for (uint32_t i = 0; i < num_inputs; i++)
        run_in[i] = layout_ok ? in_area + in_off[i] : in_area;
    for (uint32_t i = 0; i < num_outputs; i++)
        run_out[i] = layout_ok ? out_area + out_off[i] : out_area;
    stack_marks.lowest = 0xFFFFFFFFu;
    stack_marks.run_sp = 0;
    stack_marks.run_used = 0;
    if (io->stack_paint && io->stack_top) {
        io->stack_paint();
        stack_marks.lowest = io->stack_top();
    }
#ifdef TFC_PROFILE
    prof_valid = 0;
    calibrate_profile();
#endif
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

void tfc_proto_send_log(const char *text)
{
    size_t n = 0;
    if (g_io == 0 || text == 0)
        return;
    while (n < TFC_LOG_MAX && text[n] != 0) {
        log_raw[TFC_HEADER_BYTES + n] = (uint8_t)text[n];
        n++;
    }
    send_frame(log_raw, sizeof log_raw, TFC_MSG_LOG, 0xFFFFu, n);
}

void tfc_proto_send_fault(const uint32_t regs[6])
{
    if (g_io == 0)
        return;
    for (int i = 0; i < 6; i++)
        put_u32(reply + TFC_HEADER_BYTES + 4 * i, regs[i]);
#ifdef TFC_PROFILE
    put_u32(reply + TFC_HEADER_BYTES + 24, tfc_prof_layer); /* the op running */
    send(TFC_MSG_FAULT, 0xFFFFu, 28);
#else
    send(TFC_MSG_FAULT, 0xFFFFu, 24);
#endif
}
