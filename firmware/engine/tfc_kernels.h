/* tfc_kernels.h — parameter blocks and entry points of the tfcompress kernels.
 *
 * Every kernel takes a const parameter block (emitted into flash by the generator, with
 * all quantisation arithmetic precomputed on the host) and raw tensor pointers.
 * Optimised variants are drop-in replacements with the same signatures.
 */
#ifndef TFC_KERNELS_H
#define TFC_KERNELS_H

#include <stdint.h>

/* CONV_2D and DEPTHWISE_CONV_2D (NHWC input, OHWI / 1HWO weights). */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
    int32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
    int32_t depth_mult;  /* depthwise only */
    int32_t pad_value;   /* input zero point: padded taps read this value */
    int32_t out_zp, act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;   /* bias with -zp_in * sum(weights) folded in (never NULL) */
    const int32_t *mult;   /* per output channel, Q31 */
    const int32_t *shift;  /* per output channel, > 0 is a left shift */
    const int32_t *rq;     /* optimised kernels only: requantisation table (engine/optimized/requant.py); NULL otherwise */
    const int8_t *codebook; /* _w4 kernels only (weights4.py): weights holds packed 4-bit indices; */
    const uint8_t *cb_index; /* channel oc uses codebook + 16 * cb_index[oc], or with cb_index NULL */
    int32_t cb_step;         /* codebook + oc * cb_step (16: one codebook per channel, 0: shared) */
    int32_t q_step;          /* _w4 kernels: mult/shift of channel oc at [oc * q_step] (0: one shared) */
    void *scratch;           /* optimised kernels: working memory in the arena (NULL: on the stack) */
    const uint8_t *sp_bitmap; /* _sp kernels only (weights_sparse.py): weights holds the non-zero values */
} tfc_conv_params;

void tfc_conv2d_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out);

/* int16 activations x int8 weights with int64 bias (bias pointer cast from bias64). */
typedef struct {
    tfc_conv_params c;      /* bias unused unless acc32; pad_value/out_zp are 0 */
    const int64_t *bias64;  /* may be NULL */
    int32_t acc32;          /* 1: TFLM's int32-bias variant (CONV_2D, FULLY_CONNECTED): 32-bit sums
                               plus c.bias (may be NULL), 32-bit requantisation */
} tfc_conv16_params;

void tfc_conv2d_s16(const tfc_conv16_params *p, const int16_t *in, int16_t *out);
void tfc_depthwise_conv2d_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out);
/* optimised kernels: the planar path of tfc_depthwise_conv2d_s8 (3x3 stride 1/2, rq flag TFC_RQ_PLANAR) */
void tfc_depthwise_conv2d_s8_planar(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_depthwise_conv2d_s8_planar_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_depthwise_conv2d_s8_planar_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out);

/* FULLY_CONNECTED: out[b][o] = requant(sum_i w[o][i] * in[b][i] + bias[o]). */
typedef struct {
    int32_t batches, in_depth, out_depth;
    int32_t per_channel;   /* 1: mult/shift indexed by output, 0: one pair */
    int32_t out_zp, act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;   /* folded with -zp_in * sum(weights) */
    const int32_t *mult;
    const int32_t *shift;
    const int32_t *rq;     /* optimised kernels only: requantisation table (engine/optimized/requant.py); NULL otherwise */
    const int8_t *codebook; /* _w4 kernel only: as in tfc_conv_params */
    const uint8_t *cb_index;
    int32_t cb_step;
    const uint8_t *sp_bitmap; /* _sp kernel only: as in tfc_conv_params */
    void *scratch;          /* optimised kernels: working memory in the arena (NULL: none) */
} tfc_fc_params;

void tfc_fully_connected_s8(const tfc_fc_params *p, const int8_t *in, int8_t *out);
/* optimised kernel set, optimize = "speed": int16 weights (engine/optimized/fully_connected.py widen) */
void tfc_fully_connected_s8_wide(const tfc_fc_params *p, const int8_t *in, int8_t *out);

typedef struct {
    tfc_fc_params f;        /* bias unused unless acc32 */
    const int64_t *bias64;  /* may be NULL */
    int32_t acc32;          /* as in tfc_conv16_params (f.bias may be NULL) */
} tfc_fc16_params;

void tfc_fully_connected_s16(const tfc_fc16_params *p, const int16_t *in, int16_t *out);

/* AVERAGE_POOL_2D / MAX_POOL_2D (same quantisation in and out). */
typedef struct {
    int32_t batches, in_h, in_w, channels, out_h, out_w;
    int32_t k_h, k_w, stride_h, stride_w, pad_top, pad_left;
    int32_t act_min, act_max;
} tfc_pool_params;

void tfc_avg_pool2d_s8(const tfc_pool_params *p, const int8_t *in, int8_t *out);
void tfc_max_pool2d_s8(const tfc_pool_params *p, const int8_t *in, int8_t *out);

/* Planner contract: every kernel writes its output in order (batch, row, column, channel) and,
 * when it writes output element n, has finished reading all inputs it needs for elements < n'
 * pixels (windowed ops) or for element n (element-wise ops). The planner overlaps buffers
 * relying on this; optimised kernels must keep it (or declare no overlap in the lowering). */

/* Element-wise binary ops with broadcasting (strides 0 on broadcast dims): the host merges the
 * dimensions that walk alike, so TFLM's largest rank (6) always fits TFC_BCAST_DIMS levels. */
#define TFC_MAX_DIMS 5
#define TFC_BCAST_DIMS 6
typedef struct {
    int32_t ndim;
    int32_t shape[TFC_BCAST_DIMS];      /* output shape */
    int32_t stride1[TFC_BCAST_DIMS];    /* element strides of input 1 (0 = broadcast) */
    int32_t stride2[TFC_BCAST_DIMS];
    int32_t in1_offset, in2_offset, left_shift;
    int32_t in1_mult, in1_shift, in2_mult, in2_shift;
    int32_t out_mult, out_shift, out_zp, act_min, act_max;
    void *scratch;         /* optimised ADD: its two 256-entry tables in the arena (NULL: on the stack) */
    const int32_t *tables; /* optimised CONV_2D+ADD: the two tables, precomputed in flash (tfc_add_opt.h) */
    int32_t tables_fast;   /* ... and whether the SMMULR output requantisation applies to them */
    int32_t op;            /* comparisons: the result for a < b (bit 0), a == b (bit 1), a > b (bit 2) */
} tfc_binary_params;

/* CONV_2D whose int8 result feeds an ADD directly: out[i] = add(conv[i], residual[i]) with the
 * conv result as ADD input 1; out may equal residual (in place). */
void tfc_conv2d_add_s8(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                       const int8_t *residual, int8_t *out);

/* Row banding (band.c, engine/banding.py): a CONV_2D and the windowed conv (DEPTHWISE_CONV_2D, or
 * CONV_2D+ADD whose residual is the first op's input) that consumes its output, run band of
 * output rows by band of output rows so that the intermediate tensor only ever exists as the
 * rows one band needs (scratch). */
typedef void (*tfc_conv_fn)(const tfc_conv_params *p, const int8_t *in, int8_t *out);
typedef void (*tfc_conv_add_fn)(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                                const int8_t *residual, int8_t *out);
typedef struct {
    tfc_conv_fn first, second;          /* the first conv, the windowed one (NULL: second_add) */
    tfc_conv_add_fn second_add;         /* CONV_2D+ADD as the second op, residual = the input */
    const tfc_conv_params *p1, *p2;     /* their parameter blocks (whole tensors) */
    const tfc_binary_params *add;       /* second_add's ADD */
    int32_t band;                       /* output rows of the second op per band */
    int32_t rows;                       /* intermediate rows the scratch holds (the largest band's) */
    int32_t kscratch;                   /* bytes of the kernels' own scratch after those rows */
    void *scratch;                      /* rows * row bytes (rounded up to 4) + kscratch; NULL: on the stack */
} tfc_band_params;

void tfc_band_s8(const tfc_band_params *p, const int8_t *in, int8_t *out);

/* Optimised kernels only: CONV_2D (+ADD) reading its windows straight from the input, with
 * widened int16 weights and a small scratch (engine/optimized/conv.py direct), for the layers whose
 * im2col scratch would raise the model's peak RAM. */
void tfc_conv2d_s8_direct(const tfc_conv_params *p, const int8_t *in, int8_t *out);
/* optimised kernels: 1x1 CONV_2D, pixel triples, one weight stream per channel pair (optimized/pointwise.py) */
void tfc_conv2d_s8_pw(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_s8_pw16(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_add_s8_direct(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                              const int8_t *residual, int8_t *out);
/* optimised kernels: 1-3 input channels (engine/optimized/first.py) */
void tfc_conv2d_s8_first(const tfc_conv_params *p, const int8_t *in, int8_t *out);
/* ... with 4-bit / sparse weights, decoded per inference into the scratch (first.py prepare_compressed) */
void tfc_conv2d_s8_first_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_s8_first_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out);

/* 4-bit weights (packed indices, two per byte, low nibble first, into int8 codebooks): same
 * results as the plain kernels on the decoded weights. */
void tfc_conv2d_s8_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_add_s8_w4(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                          const int8_t *residual, int8_t *out);
/* The optimised kernel set's CONV_2D (+ADD) for 4-bit and sparse weights (optimized/conv2d_s8_dec_opt.c). */
void tfc_conv2d_s8_dec_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_add_s8_dec_w4(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                              const int8_t *residual, int8_t *out);
void tfc_conv2d_s8_dec_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_add_s8_dec_sp(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                              const int8_t *residual, int8_t *out);
/* ... and for 2:4 structured weights (weights_24.py: per group of four positions two values in
 * weights, their positions in sp_bitmap); produced only for the optimised set. */
void tfc_conv2d_s8_dec_2of4(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_add_s8_dec_2of4(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                                const int8_t *residual, int8_t *out);
void tfc_depthwise_conv2d_s8_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_fully_connected_s8_w4(const tfc_fc_params *p, const int8_t *in, int8_t *out);
/* optimised kernel set: 4-bit weights of one shared codebook through a 256-word index-byte table
 * (codebook = the table; engine/optimized/fc_compressed.py) */
void tfc_fully_connected_s8_lut_w4(const tfc_fc_params *p, const int8_t *in, int8_t *out);
/* optimised kernel set: small 4-bit layers, one row at a time through its 16-entry codebook
 * (weights: per row ceil(in / 8) index words; engine/optimized/fc_compressed.py) */
void tfc_fully_connected_s8_cb_w4(const tfc_fc_params *p, const int8_t *in, int8_t *out);

/* Sparse weights (pruned layers): per output channel a bitmap of ceil(K / 8) bytes (bit j of
 * byte i: element 8 i + j of the channel's row is non-zero; depthwise rows are the channel's
 * taps) and, in weights, the non-zero values channel after channel. Same results as the plain
 * kernels; the kernels walk rows in channel order, so one value cursor serves a whole pixel.
 * CONV_2D gathers each pixel's window (int16, k_h * k_w * in_c) into scratch (the arena when the
 * planner placed it there, else the stack). */
void tfc_conv2d_s8_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_add_s8_sp(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                          const int8_t *residual, int8_t *out);
void tfc_depthwise_conv2d_s8_sp(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_fully_connected_s8_sp(const tfc_fc_params *p, const int8_t *in, int8_t *out);
/* optimised kernel set: the same data, one bitmap nibble per group of four inputs (engine/optimized/fc_compressed.py) */
void tfc_fully_connected_s8_nib_sp(const tfc_fc_params *p, const int8_t *in, int8_t *out);

/* Sum of a sparse row's non-zero weights times x (the row's k inputs): bitmap bits found by
 * count-trailing-zeros, values consumed from *vp (advanced past the row). */
#define TFC_SP_DOT(name, xtype)                                                                    \
    static inline int32_t name(const uint8_t *bm, const int8_t **vp, const xtype *x, int32_t k) { \
        const int8_t *v = *vp;                                                                     \
        int32_t acc = 0, base;                                                                     \
        for (base = 0; base < k; base += 8) {                                                      \
            uint32_t bits = *bm++;                                                                 \
            while (bits) {                                                                         \
                acc += (int32_t)*v++ * (int32_t)x[base + __builtin_ctz(bits)];                     \
                bits &= bits - 1;                                                                  \
            }                                                                                      \
        }                                                                                          \
        *vp = v;                                                                                   \
        return acc;                                                                                \
    }
TFC_SP_DOT(tfc_sp_dot16, int16_t)
TFC_SP_DOT(tfc_sp_dot8, int8_t)

/* Sequential reader of one channel's sparse row (depthwise taps). */
typedef struct {
    const uint8_t *bm; /* the channel's bitmap */
    const int8_t *v;   /* next non-zero value */
    int32_t e;         /* next element of the row */
} tfc_sp_cursor;

static inline int32_t tfc_sp_next(tfc_sp_cursor *c) {
    const int32_t e = c->e++;
    return (c->bm[e >> 3] >> (e & 7)) & 1 ? (int32_t)*c->v++ : 0;
}

/* The codebook of output channel oc of a 4-bit layer. */
#define TFC_W4_CODEBOOK(p, oc) \
    ((p)->codebook + ((p)->cb_index ? 16 * (int32_t)(p)->cb_index[oc] : (oc) * (p)->cb_step))

/* Weight e of a 4-bit layer through codebook cb (already offset to the channel's codebook). */
static inline int32_t tfc_w4(const int8_t *packed, const int8_t *cb, int32_t e) {
    return cb[(((const uint8_t *)packed)[e >> 1] >> ((e & 1) << 2)) & 15];
}

void tfc_add_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void tfc_add_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);
void tfc_mul_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);

/* Reductions over constant axes (MEAN, SUM, REDUCE_MAX/MIN/PROD): kept dims (k_*) index outputs in
 * order, reduced dims (r_*) are walked for each output; strides in input elements. MEAN and SUM
 * requantise (sum - in_zp * count) with mult/shift (MEAN's pre-divided by the count), as TFLM. */
typedef struct {
    int32_t k_ndim, k_shape[TFC_MAX_DIMS], k_stride[TFC_MAX_DIMS];
    int32_t r_ndim, r_shape[TFC_MAX_DIMS], r_stride[TFC_MAX_DIMS];
    int32_t count, in_zp, mult, shift, out_zp;
} tfc_mean_params;

void tfc_mean_s8(const tfc_mean_params *p, const int8_t *in, int8_t *out);

/* SOFTMAX int8 -> int8 (output scale 1/256, zero point -128). */
typedef struct {
    int32_t outer, depth;
    int32_t input_mult, input_left_shift, diff_min;
} tfc_softmax_params;

void tfc_softmax_s8(const tfc_softmax_params *p, const int8_t *in, int8_t *out);

/* Element-wise int8 op through a 256-entry table indexed by in + 128 (in place allowed). */
void tfc_lut_s8(const int8_t *lut, const int8_t *in, int8_t *out, int32_t n);

/* QUANTIZE float32 -> int8 / uint8 / int16 (roundf(x / scale) + zero_point clamped to
 * [qmin, qmax]); DEQUANTIZE int8 / uint8 -> float32 (table indexed by the byte read as int8,
 * + 128) and int16 -> float32 ((float)(q - zero_point) * scale). */
typedef struct {
    int32_t n, zero_point;
    float scale;
    int32_t qmin, qmax;
} tfc_quantize_params;

void tfc_quantize_f32_s8(const tfc_quantize_params *p, const float *in, int8_t *out);
void tfc_quantize_f32_u8(const tfc_quantize_params *p, const float *in, uint8_t *out);
void tfc_quantize_f32_s16(const tfc_quantize_params *p, const float *in, int16_t *out);
void tfc_dequantize_s8_f32(const float *lut, const int8_t *in, float *out, int32_t n);
void tfc_dequantize_s16_f32(const tfc_quantize_params *p, const int16_t *in, float *out);

/* CONCATENATION / PACK: outer x (sum of the inputs' chunks) bytes, no requantisation (as TFLM).
 * SPLIT / SPLIT_V / UNPACK: the inverse (each output takes its chunk of every outer block). */
typedef struct {
    int32_t n_inputs, outer, out_chunk;
    const int32_t *chunks;  /* bytes per outer index, per input (per output for tfc_split) */
} tfc_concat_params;

void tfc_concat(const tfc_concat_params *p, const int8_t *const *inputs, int8_t *out);
void tfc_split(const tfc_concat_params *p, const int8_t *in, int8_t *const *outputs);

/* Copy for RESHAPE when the planner could not alias input and output, model inputs/outputs and
 * resource variables; fill for resetting state. */
void tfc_copy_bytes(const void *in, void *out, int32_t nbytes);
void tfc_fill_bytes(void *out, int32_t value, int32_t nbytes);

/* ---- data movement (slicing, transposes, gathers, splits, padding of any element size) ---- */

/* One strided N-D copy (STRIDED_SLICE, SLICE, TRANSPOSE, SPACE_TO_DEPTH, DEPTH_TO_SPACE,
 * BATCH_TO_SPACE_ND, BROADCAST_TO, REVERSE_V2, TILE, MIRROR_PAD, PAD/PADV2, FILL): output element
 * (i0, ..., i_{n-1}) in order is read from input byte offset offset + sum_d part_d(i_d), where
 * part_d(i) = i * stride[d] (table[d] < 0; stride may be 0 or negative) or tables[table[d] + i].
 * A table entry of TFC_MOVE_PAD marks a padded coordinate: the element is the pattern pad[k & 7]
 * (byte k of the element). The host merges contiguous dims, so an "element" is esize bytes. */
#define TFC_MOVE_DIMS 6
#define TFC_MOVE_PAD (-(1 << 28))
typedef struct {
    int32_t ndim, esize, offset;
    int32_t shape[TFC_MOVE_DIMS];
    int32_t stride[TFC_MOVE_DIMS];
    int32_t table[TFC_MOVE_DIMS];
    const int32_t *tables;
    uint8_t pad[8];
} tfc_move_params;

void tfc_move(const tfc_move_params *p, const void *in, void *out);

/* SPACE_TO_BATCH_ND (NHWC; 3-D inputs have in_w = 1): output batch (sh * block_w + sw) * in_b + b
 * reads input pixel (oh * block_h + sh - pad_top, ow * block_w + sw - pad_left) of batch b, or the
 * pad pattern outside the input. depth: bytes per pixel. */
typedef struct {
    int32_t in_b, in_h, in_w, depth, block_h, block_w, pad_top, pad_left, out_b, out_h, out_w;
    uint8_t pad[8];
} tfc_space_to_batch_params;

void tfc_space_to_batch(const tfc_space_to_batch_params *p, const void *in, void *out);

/* GATHER / GATHER_ND / EMBEDDING_LOOKUP with indices at run time (or constant, in flash):
 * for block b < batches * outer, coordinate c < coords: the slice (slice bytes) at input byte
 * offset b * block + sum_j index_j * step[j], index_j = indices[((b / outer) * coords + c) * nd + j]
 * (int32 or int64: idx_size 4 / 8). An index outside [0, limit[j]) (TFLM: undefined or an error)
 * gives zeros (EMBEDDING_LOOKUP's hybrid int8 -> float32 form: embedding_lookup_f32.c). */
typedef struct {
    int32_t batches, outer, coords, nd, idx_size, block, slice;
    int32_t limit[TFC_MAX_DIMS];
    int32_t step[TFC_MAX_DIMS];
} tfc_gather_params;

void tfc_gather(const tfc_gather_params *p, const void *in, const void *indices, void *out);

/* DYNAMIC_UPDATE_SLICE: out = operand with update written at the start indices (int32 / int64),
 * each clamped to [0, shape - update shape]; an update as large as the operand replaces it. */
typedef struct {
    int32_t ndim, esize, idx_size;
    int32_t shape[TFC_MOVE_DIMS];
    int32_t update[TFC_MOVE_DIMS];
} tfc_update_slice_params;

void tfc_dynamic_update_slice(const tfc_update_slice_params *p, const void *operand, const void *update,
                              const void *start, void *out);

/* CAST between int8, uint8, int16, int32, uint32, int64, bool and float32 (C conversions, as
 * TFLM's static_cast). Type codes: TFC_DTYPE_* of model.h (uint32: 8). */
typedef struct {
    int32_t n, in_type, out_type;
} tfc_cast_params;

void tfc_cast(const tfc_cast_params *p, const void *in, void *out);

/* ---- element-wise binary ops, comparisons, logical ops ---- */

/* Every kernel below takes a tfc_binary_params (shape and strides from the host's broadcast of any
 * shape pair TFLM accepts, dimensions merged where they walk alike: at most TFC_BCAST_DIMS after
 * merging) and uses only the quantisation fields its comment names; the others are 0.
 * _s8 / _s16 / _s32 / _b: int8, int16, int32, bool (one byte, 0 or 1) elements; float32 ops are the
 * float kernels' (SELECT copies any element type). */

/* SUB: ADD's fields, difference of the rescaled inputs (TFLM's arithmetic; int32: wrapping a - b,
 * clamped to act_min..act_max). ADD int32: wrapping a + b (TFLM applies no activation). */
void tfc_sub_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void tfc_sub_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);
void tfc_sub_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out);
void tfc_add_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out);

/* MUL int16: (a + in1_offset) * (b + in2_offset) requantised by out_mult/out_shift, + out_zp, clamped;
 * int32: wrapping a * b clamped to act_min..act_max. */
void tfc_mul_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);
void tfc_mul_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out);

/* SQUARED_DIFFERENCE: inputs rescaled as SUB's (left_shift 7 for int8, 0 for int16), the difference
 * squared and requantised by out_mult/out_shift; int32: wrapping (a - b)^2. */
void tfc_squared_difference_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void tfc_squared_difference_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2,
                                int16_t *out);
void tfc_squared_difference_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2,
                                int32_t *out);

/* DIV int8: TFLM's reciprocal-based quotient (offsets, out_mult/out_shift, out_zp, act range);
 * int32: truncating a / b clamped to act_min..act_max (b == 0 gives 0, as Cortex-M's SDIV). */
void tfc_div_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void tfc_div_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out);

/* FLOOR_DIV: floor(a / b); FLOOR_MOD: the remainder with the divisor's sign. int32 (TFLite's
 * reference kernels; b == 0 gives 0). */
void tfc_floor_div_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out);
void tfc_floor_mod_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out);

/* MAXIMUM / MINIMUM of the raw values (no rescaling, as TFLM). */
void tfc_maximum_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void tfc_maximum_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);
void tfc_maximum_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out);
void tfc_minimum_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void tfc_minimum_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);
void tfc_minimum_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, int32_t *out);

/* PRELU (alpha int8 for both): input + in1_offset >= 0 ? requantised by in1_mult/in1_shift :
 * (input + in1_offset) * (alpha + in2_offset) requantised by in2_mult/in2_shift; + out_zp, clamped. */
void tfc_prelu_s8(const tfc_binary_params *p, const int8_t *in, const int8_t *alpha, int8_t *out);
void tfc_prelu_s16(const tfc_binary_params *p, const int16_t *in, const int8_t *alpha, int16_t *out);

/* EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL -> bool, the operation in p->op.
 * _s8 / _s16 compare TFLM's rescaled values ((v + offset) << left_shift times the input's
 * multiplier); _s32 and _b the raw values. */
void tfc_compare_s8(const tfc_binary_params *p, const int8_t *in1, const int8_t *in2, uint8_t *out);
void tfc_compare_s16(const tfc_binary_params *p, const int16_t *in1, const int16_t *in2, uint8_t *out);
void tfc_compare_s32(const tfc_binary_params *p, const int32_t *in1, const int32_t *in2, uint8_t *out);
void tfc_compare_b(const tfc_binary_params *p, const uint8_t *in1, const uint8_t *in2, uint8_t *out);

/* LOGICAL_AND / LOGICAL_OR (broadcasting) and LOGICAL_NOT of n elements, bool. */
void tfc_logical_and(const tfc_binary_params *p, const uint8_t *in1, const uint8_t *in2, uint8_t *out);
void tfc_logical_or(const tfc_binary_params *p, const uint8_t *in1, const uint8_t *in2, uint8_t *out);
void tfc_logical_not(const uint8_t *in, uint8_t *out, int32_t n);

/* SELECT / SELECT_V2: out = cond ? x : y with three-way broadcasting; elements of any type are
 * copied as elem_size (1, 2 or 4) bytes. */
typedef struct {
    int32_t ndim;
    int32_t shape[TFC_BCAST_DIMS];
    int32_t stride_c[TFC_BCAST_DIMS];  /* element strides of the condition, x and y (0 = broadcast) */
    int32_t stride_x[TFC_BCAST_DIMS];
    int32_t stride_y[TFC_BCAST_DIMS];
    int32_t elem_size;
} tfc_select_params;

void tfc_select(const tfc_select_params *p, const uint8_t *cond, const void *x, const void *y, void *out);

/* ADD_N of n_inputs same-shape tensors, count elements each. int8: every input rescaled by
 * in_mult/in_shift after (v + in_offset) << left_shift and summed, starting, as TFLM does, from
 * the rescaled in_offset; the sum requantised by out_mult/out_shift. int32: wrapping sum. */
typedef struct {
    int32_t n_inputs, count;
    int32_t in_offset, left_shift, in_mult, in_shift;
    int32_t out_mult, out_shift, out_zp, act_min, act_max;
} tfc_add_n_params;

void tfc_add_n_s8(const tfc_add_n_params *p, const int8_t *const *inputs, int8_t *out);
void tfc_add_n_s32(const tfc_add_n_params *p, const int32_t *const *inputs, int32_t *out);

/* ---- activations, quantisation, softmax family, normalisation ---- */

/* Element types of tfc_rescale (the TFC_DTYPE_* codes of model.h). */
#define TFC_T_S8 1
#define TFC_T_S16 2
#define TFC_T_U8 4
#define TFC_T_S32 5

/* Element-wise integer rescale between any of int8 / uint8 / int16 / int32 (QUANTIZE between
 * integer types; RELU, RELU6, LEAKY_RELU, ABS of int16): d = in - in_zp, then
 * out = clamp(out_zp + mbqm(d, pos_mult, pos_shift), act_min, act_max) for d >= 0 and for d < 0
 * out_zp + mbqm(d, neg) (neg_mode TFC_NEG_PLAIN), - mbqm(d, neg) (TFC_NEG_NEGATE_OUT: negative
 * LEAKY_RELU alpha) or mbqm(-d, neg) (TFC_NEG_NEGATE_IN: ABS), clamped alike. Reads element i
 * before writing element i (in place when the element sizes are equal). */
#define TFC_NEG_PLAIN 0
#define TFC_NEG_NEGATE_OUT 1
#define TFC_NEG_NEGATE_IN 2
typedef struct {
    int32_t n, in_type, out_type;
    int32_t in_zp, out_zp;
    int32_t pos_mult, pos_shift;
    int32_t neg_mult, neg_shift, neg_mode;
    int32_t act_min, act_max;
} tfc_rescale_params;

void tfc_rescale(const tfc_rescale_params *p, const void *in, void *out);

/* LOGISTIC (tanh = 0) / TANH (tanh = 1) int16 (zero points 0, output scale 1/32768): the input
 * times mult, rounded right by shift, to 1/(3*4096) per unit, then TFLM's interpolated sigmoid
 * table (fixedpoint.SIGMOID_TABLE_U16). */
typedef struct {
    int32_t n, mult, shift, tanh;
    const uint16_t *table;
} tfc_sigmoid16_params;

void tfc_sigmoid_s16(const tfc_sigmoid16_params *p, const int16_t *in, int16_t *out);

/* RSQRT int16: out = out_zp + mbqm(mbqm(1, invsqrt(in - in_zp) << 20), mult, shift - 20). */
typedef struct {
    int32_t n, in_zp, out_zp, mult, shift;
} tfc_rsqrt16_params;

void tfc_rsqrt_s16(const tfc_rsqrt16_params *p, const int16_t *in, int16_t *out);

/* SOFTMAX int8 -> int16 (tfc_softmax_params as for int8 -> int8) and int16 -> int16
 * (input_mult / input_left_shift: TFLM's rescale of the difference to [-10, 0] over 65535
 * steps; diff_min unused). */
void tfc_softmax_s8_s16(const tfc_softmax_params *p, const int8_t *in, int16_t *out);
void tfc_softmax_s16(const tfc_softmax_params *p, const int16_t *in, int16_t *out);

/* LOG_SOFTMAX int8 -> int8 (output scale 16/256, zero point 127) along the last axis. */
typedef struct {
    int32_t outer, depth;
    int32_t input_mult, input_left_shift, diff_min;
    int32_t reverse_mult, reverse_shift; /* TFLite's reverse scaling divisor (shift <= 0) */
} tfc_log_softmax_params;

void tfc_log_softmax_s8(const tfc_log_softmax_params *p, const int8_t *in, int8_t *out);

/* L2_NORMALIZATION int8 along the last axis (output in 1/128 units, zero point 0). */
typedef struct {
    int32_t outer, depth, in_zp;
} tfc_l2norm_params;

void tfc_l2norm_s8(const tfc_l2norm_params *p, const int8_t *in, int8_t *out);

/* Element-wise int16 op through a 513-entry interpolated table computed on the host (in place
 * allowed). */
void tfc_lut_s16(const int16_t *lut, const int16_t *in, int16_t *out, int32_t n);

/* ---- pooling, resizing, reductions ---- */

/* The step of an N-D walk (ndim <= TFC_MAX_DIMS): advances idx and returns the next element offset. */
static inline int32_t tfc_nd_next(int32_t ndim, const int32_t *shape, const int32_t *stride, int32_t *idx,
                                  int32_t offset) {
    int32_t d;
    for (d = ndim - 1; d >= 0; --d) {
        idx[d]++;
        offset += stride[d];
        if (idx[d] < shape[d]) {
            return offset;
        }
        offset -= stride[d] * idx[d];
        idx[d] = 0;
    }
    return offset;
}

/* int16 pooling (tfc_pool_params, same arithmetic as int8). */
void tfc_avg_pool2d_s16(const tfc_pool_params *p, const int16_t *in, int16_t *out);
void tfc_max_pool2d_s16(const tfc_pool_params *p, const int16_t *in, int16_t *out);

/* MEAN / SUM int16; REDUCE_MAX / REDUCE_MIN (same quantisation in and out); REDUCE_PROD (TFLite's
 * QuantizedReduceProd: every product step and the result rescaled by mult/shift, 64-bit variant). */
void tfc_mean_s16(const tfc_mean_params *p, const int16_t *in, int16_t *out);
void tfc_reduce_max_s8(const tfc_mean_params *p, const int8_t *in, int8_t *out);
void tfc_reduce_min_s8(const tfc_mean_params *p, const int8_t *in, int8_t *out);
void tfc_reduce_max_s16(const tfc_mean_params *p, const int16_t *in, int16_t *out);
void tfc_reduce_min_s16(const tfc_mean_params *p, const int16_t *in, int16_t *out);
void tfc_reduce_all_b(const tfc_mean_params *p, const uint8_t *in, uint8_t *out);
void tfc_reduce_any_b(const tfc_mean_params *p, const uint8_t *in, uint8_t *out);
void tfc_reduce_prod_s8(const tfc_mean_params *p, const int8_t *in, int8_t *out);
void tfc_reduce_prod_s16(const tfc_mean_params *p, const int16_t *in, int16_t *out);

/* ARG_MAX / ARG_MIN along one axis (outer x axis_size x inner): the first index of the extreme
 * value; out is int32 or (out64) int64. */
typedef struct {
    int32_t outer, axis_size, inner, is_max, out64;
} tfc_arg_params;

void tfc_arg_min_max_s8(const tfc_arg_params *p, const void *in, void *out);
void tfc_arg_min_max_u8(const tfc_arg_params *p, const void *in, void *out);
void tfc_arg_min_max_s32(const tfc_arg_params *p, const void *in, void *out);
void tfc_arg_min_max_f32(const tfc_arg_params *p, const void *in, void *out);

/* CUMSUM int8 along one axis (outer x depth x inner), TFLM's quantised arithmetic. */
typedef struct {
    int32_t outer, depth, inner, exclusive, reverse;
    int32_t in_offset, in_mult, in_shift, out_mult, out_shift, out_zp;
} tfc_cumsum_params;

void tfc_cumsum_s8(const tfc_cumsum_params *p, const int8_t *in, int8_t *out);

/* RESIZE_NEAREST_NEIGHBOR (channels counted in bytes: any element type) and RESIZE_BILINEAR
 * int8 / int16. rows / cols: per output row / column the source index (nearest) or the triple
 * (lower index, upper index, 10-bit weight of the upper one) (bilinear), computed on the host. */
typedef struct {
    int32_t batches, in_h, in_w, channels, out_h, out_w;
    const int16_t *rows;
    const int16_t *cols;
} tfc_resize_params;

void tfc_resize_nearest(const tfc_resize_params *p, const uint8_t *in, uint8_t *out);
void tfc_resize_bilinear_s8(const tfc_resize_params *p, const int8_t *in, int8_t *out);
void tfc_resize_bilinear_s16(const tfc_resize_params *p, const int16_t *in, int16_t *out);

/* ---- convolution, matrix multiplication and sequence ops ---- */

/* DEPTHWISE_CONV_2D int16x8 (same parameter block as tfc_conv2d_s16). */
void tfc_depthwise_conv2d_s16(const tfc_conv16_params *p, const int16_t *in, int16_t *out);

/* TRANSPOSE_CONV (OHWI weights; in/out/k fields as for CONV_2D with the roles of the input and
 * output image swapped, pad_* as TFLM computes them from the output size; dil_* unused).
 * int8: bias is the plain int32 bias (zeros when absent, not folded), pad_value the input zero
 * point subtracted from every input; int16x8: bias64 (NULL when absent). */
void tfc_transpose_conv_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_transpose_conv_s16(const tfc_conv16_params *p, const int16_t *in, int16_t *out);

/* BATCH_MATMUL: out[b0][b1][b2][r][c] = requant(sum_k (a[r * a_row + k * a_depth] - a_zp) *
 * (b[k * b_depth + c * b_col] - b_zp)), a and b offset by sum_i b_i * {a,b}_batch[i] (element
 * strides, 0 for a broadcast dimension). int16: zero points 0, 64-bit sums. */
typedef struct {
    int32_t batch[3];            /* output batch dimensions (leading ones are 1) */
    int32_t a_batch[3], b_batch[3];
    int32_t rows, cols, depth;
    int32_t a_row, a_depth, b_depth, b_col;
    int32_t a_zp, b_zp;
    int32_t mult, shift, out_zp, act_min, act_max;
} tfc_batch_matmul_params;

void tfc_batch_matmul_s8(const tfc_batch_matmul_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void tfc_batch_matmul_s16(const tfc_batch_matmul_params *p, const int16_t *a, const int16_t *b, int16_t *out);

/* FULLY_CONNECTED with run-time int8 weights w [out_depth][in_depth] (zero points subtracted in the
 * loop; bias / bias64 plain, NULL when absent). */
typedef struct {
    int32_t batches, in_depth, out_depth;
    int32_t in_zp, w_zp, out_zp, act_min, act_max, mult, shift;
    const int32_t *bias;    /* int8 activations */
    const int64_t *bias64;  /* int16 activations */
} tfc_fc_rw_params;

void tfc_fully_connected_rw_s8(const tfc_fc_rw_params *p, const int8_t *in, const int8_t *w, int8_t *out);
void tfc_fully_connected_rw_s16(const tfc_fc_rw_params *p, const int16_t *in, const int8_t *w, int16_t *out);

/* SVDF int8 -> int8 with int8 (_s8) or int16 (_s16) time weights and activation state. The state
 * [batches][filters * memory] is a variable tensor the kernel updates in place (passed as an input). */
typedef struct {
    int32_t batches, input_size, filters, rank, memory, units;
    int32_t in_zp, state_zp, out_zp, state_min, state_max;
    int32_t mult1, shift1;  /* input x feature weights -> state */
    int32_t mult2, shift2;  /* state x time weights -> output */
} tfc_svdf_params;

void tfc_svdf_s8_s8(const tfc_svdf_params *p, const int8_t *in, const int8_t *wf, const int8_t *wt,
                    const int32_t *bias, const int8_t *state, int8_t *out);
void tfc_svdf_s8_s16(const tfc_svdf_params *p, const int8_t *in, const int8_t *wf, const int16_t *wt,
                     const int32_t *bias, const int16_t *state, int8_t *out);

/* UNIDIRECTIONAL_SEQUENCE_LSTM (TFLM's integer LSTM): gate g in {0 input, 1 forget, 2 cell, 3 output}
 * = act(sat16(requant(w_in[g] x + bias[g])) + sat16(requant(w_rec[g] h + rec_bias[g]))) in Q0.15
 * (act: tanh for the cell gate, sigmoid for the others),
 * zero points folded into both biases; cell = sat16(f * c + i * g) (clipped to +-cell_clip when
 * >= 0), h = requant(tanh(cell) * o) + h_zp. h (activation type) and c (int16) are the variable
 * state tensors, updated in place (passed as inputs). int8: 32-bit sums and bias; int16: 64-bit
 * sums, bias64 / rec_bias64. */
typedef struct {
    int32_t batches, steps, n_input, n_cell, time_major;
    int32_t in_mult[4], in_shift[4], rec_mult[4], rec_shift[4];
    const int8_t *w_in;           /* [4][n_cell][n_input] */
    const int8_t *w_rec;          /* [4][n_cell][n_cell] */
    const int32_t *bias, *rec_bias;        /* [4][n_cell] (int8 activations) */
    const int64_t *bias64, *rec_bias64;    /* [4][n_cell] (int16 activations) */
    int32_t fc_mult, fc_shift;    /* forget gate x cell -> cell */
    int32_t ic_mult, ic_shift;    /* input gate x cell gate -> cell */
    int32_t h_mult, h_shift, h_zp, h_min, h_max;  /* tanh(cell) x output gate -> hidden */
    int32_t cell_clip;
    int32_t tanh_mult, tanh_round, tanh_shift;    /* cell -> tanh input: (c * mult + round) >> shift */
    const uint16_t *table;        /* fixedpoint.SIGMOID_TABLE_U16 */
} tfc_lstm_params;

void tfc_lstm_s8(const tfc_lstm_params *p, const int8_t *in, const int8_t *h, const int16_t *c, int8_t *out);
void tfc_lstm_s16(const tfc_lstm_params *p, const int16_t *in, const int16_t *h, const int16_t *c,
                  int16_t *out);

/* ---- float32 ops inside integer models (float islands; tfcompress/engine/ops/float32.py) ----
 * The same float32 operations in the same order as TFLM's reference kernels and the same libm
 * calls, so host builds match TFLM's host interpreter bit for bit (x86-64 SSE, no contraction
 * under -std=c99; no kernel here feeds a product into a sum, so -ffp-contract cannot fuse anything
 * on the device either). On Cortex-M, newlib's libm may round expf/sinf/cosf/logf/tanhf/expm1f
 * differently in the last bit (seen: expf on Cortex-M4, whose single-precision FPU makes newlib
 * use its float-only routines): device results can then differ from the host in the last bits
 * (the device float tolerance covers it). */

/* Element-wise unary ops (unary_f32.c): out[i] = f(in[i]); in place allowed. */
void tfc_abs_f32(const float *in, float *out, int32_t n);
void tfc_neg_f32(const float *in, float *out, int32_t n);
void tfc_ceil_f32(const float *in, float *out, int32_t n);
void tfc_floor_f32(const float *in, float *out, int32_t n);
void tfc_round_f32(const float *in, float *out, int32_t n);   /* half to even */
void tfc_sqrt_f32(const float *in, float *out, int32_t n);
void tfc_rsqrt_f32(const float *in, float *out, int32_t n);
void tfc_square_f32(const float *in, float *out, int32_t n);
void tfc_sin_f32(const float *in, float *out, int32_t n);
void tfc_cos_f32(const float *in, float *out, int32_t n);
void tfc_exp_f32(const float *in, float *out, int32_t n);
void tfc_log_f32(const float *in, float *out, int32_t n);
void tfc_logistic_f32(const float *in, float *out, int32_t n);
void tfc_tanh_f32(const float *in, float *out, int32_t n);
void tfc_relu_f32(const float *in, float *out, int32_t n);
void tfc_relu6_f32(const float *in, float *out, int32_t n);
void tfc_elu_f32(const float *in, float *out, int32_t n);
void tfc_hard_swish_f32(const float *in, float *out, int32_t n);
void tfc_leaky_relu_f32(const float *in, float *out, int32_t n, float alpha);

/* Binary ops with up to 5-D broadcasting (binary_f32.c): element strides 0 on broadcast dims;
 * ADD/SUB/MUL/DIV clamp to [act_min, act_max] as TFLM's ActivationFunctionWithMinMax
 * (lowest/max without an activation); comparisons write bool (0/1 bytes). */
typedef struct {
    int32_t ndim;
    int32_t shape[TFC_MAX_DIMS];
    int32_t stride1[TFC_MAX_DIMS];
    int32_t stride2[TFC_MAX_DIMS];
    float act_min, act_max;
} tfc_binary_f32_params;

void tfc_add_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, float *out);
void tfc_sub_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, float *out);
void tfc_mul_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, float *out);
void tfc_div_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, float *out);
void tfc_maximum_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, float *out);
void tfc_minimum_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, float *out);
void tfc_squared_difference_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, float *out);
void tfc_floor_div_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, float *out);
void tfc_floor_mod_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, float *out);
void tfc_equal_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, uint8_t *out);
void tfc_not_equal_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, uint8_t *out);
void tfc_greater_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, uint8_t *out);
void tfc_greater_equal_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, uint8_t *out);
void tfc_less_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, uint8_t *out);
void tfc_less_equal_f32(const tfc_binary_f32_params *p, const float *in1, const float *in2, uint8_t *out);

/* ADD_N (add_n_f32.c): out[i] = 0 + ins[0][i] + ins[1][i] + ... in input order. */
void tfc_add_n_f32(const float *const *ins, float *out, int32_t n_inputs, int32_t n);

/* SUM / MEAN / REDUCE_MAX / REDUCE_MIN (reduce_f32.c): kept dims (k_*) index the outputs in
 * order, reduced dims (r_*) are visited in row-major order; strides in input elements; MEAN
 * divides the sum by count. */
typedef struct {
    int32_t k_ndim, k_shape[TFC_MAX_DIMS], k_stride[TFC_MAX_DIMS];
    int32_t r_ndim, r_shape[TFC_MAX_DIMS], r_stride[TFC_MAX_DIMS];
    float count;
} tfc_reduce_f32_params;

void tfc_sum_f32(const tfc_reduce_f32_params *p, const float *in, float *out);
void tfc_mean_f32(const tfc_reduce_f32_params *p, const float *in, float *out);
void tfc_reduce_max_f32(const tfc_reduce_f32_params *p, const float *in, float *out);
void tfc_reduce_min_f32(const tfc_reduce_f32_params *p, const float *in, float *out);

/* CUMSUM (cumsum_f32.c) along the middle dim of [outer, depth, inner]. */
typedef struct {
    int32_t outer, depth, inner, exclusive, reverse;
} tfc_cumsum_f32_params;

void tfc_cumsum_f32(const tfc_cumsum_f32_params *p, const float *in, float *out);

/* SOFTMAX / LOG_SOFTMAX over the last dim (softmax_f32.c). */
typedef struct {
    int32_t outer, depth;
    float beta;   /* SOFTMAX only */
} tfc_softmax_f32_params;

void tfc_softmax_f32(const tfc_softmax_f32_params *p, const float *in, float *out);
void tfc_log_softmax_f32(const tfc_softmax_f32_params *p, const float *in, float *out);

/* Hybrid EMBEDDING_LOOKUP (embedding_lookup_f32.c): rows of an int8 table (zero point 0)
 * dequantised as (float)q * scale; an id outside [0, rows) gives a row of zeros (TFLM fails). */
typedef struct {
    int32_t n_ids, rows, cols;
    float scale;
} tfc_embedding_f32_params;

void tfc_embedding_lookup_s8_f32(const tfc_embedding_f32_params *p, const int32_t *ids, const int8_t *table,
                                 float *out);

/* CAST with a float32 side (cast_f32.c): to float, the nearest float (bool is 0/1 bytes); from
 * float, truncation toward zero saturating at the type's limits, NaN -> 0 (as TFLM). */
void tfc_cast_s8_f32(const int8_t *in, float *out, int32_t n);
void tfc_cast_s16_f32(const int16_t *in, float *out, int32_t n);
void tfc_cast_s32_f32(const int32_t *in, float *out, int32_t n);
void tfc_cast_u32_f32(const uint32_t *in, float *out, int32_t n);
void tfc_cast_b_f32(const uint8_t *in, float *out, int32_t n);
void tfc_cast_f32_s8(const float *in, int8_t *out, int32_t n);
void tfc_cast_f32_s16(const float *in, int16_t *out, int32_t n);
void tfc_cast_f32_s32(const float *in, int32_t *out, int32_t n);
void tfc_cast_f32_u32(const float *in, uint32_t *out, int32_t n);

/* TFLite_Detection_PostProcess (custom op; detection_postprocess.c): TFLM's kernel. Box encodings
 * [1, num_boxes, box_len] and class predictions [1, num_boxes, num_classes_bg] are float32, or
 * uint8 / int8 dequantised as (float)(q - zp) * scale; anchors [num_boxes, 4] float32 (constant
 * quantised anchors are dequantised on the host into `anchors`). Outputs: boxes [1, rows, 4],
 * classes [1, rows], scores [1, rows], num_detections [1], all float32. Returns 0, or 1 where TFLM
 * fails the op (a decoded box with ymin >= ymax or xmin >= xmax). Rows TFLM leaves unwritten
 * (fast NMS: past its detections) are zero. */
typedef struct {
    int32_t num_boxes, box_len, num_classes, num_classes_bg;
    int32_t max_detections, max_classes_per_detection, detections_per_class, regular;
    int32_t out_rows;             /* rows of the boxes/classes/scores outputs */
    int32_t in_type;              /* of box encodings and class predictions: 0 float32, 1 uint8, 2 int8 */
    float score_threshold, iou_threshold;
    float y_scale, x_scale, h_scale, w_scale;
    float box_scale, box_zp, cls_scale, cls_zp;
    const float *anchors;         /* used when the anchors input pointer is NULL */
    int32_t scratch_bytes;        /* tfc_detection_postprocess_scratch(p): the stack fallback's size */
    void *scratch;                /* working memory in the arena (NULL: on the stack) */
} tfc_detection_postprocess_params;

int tfc_detection_postprocess(const tfc_detection_postprocess_params *p, const void *box_encodings,
                              const void *class_predictions, const float *anchors, float *boxes,
                              float *classes, float *scores, float *num_detections);

#endif /* TFC_KERNELS_H */
