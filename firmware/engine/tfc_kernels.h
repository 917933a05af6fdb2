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
    tfc_conv_params c;      /* bias unused; pad_value/out_zp are 0 */
    const int64_t *bias64;  /* may be NULL */
} tfc_conv16_params;

void tfc_conv2d_s16(const tfc_conv16_params *p, const int16_t *in, int16_t *out);
void tfc_depthwise_conv2d_s8(const tfc_conv_params *p, const int8_t *in, int8_t *out);

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
} tfc_fc_params;

void tfc_fully_connected_s8(const tfc_fc_params *p, const int8_t *in, int8_t *out);

typedef struct {
    tfc_fc_params f;        /* bias unused */
    const int64_t *bias64;  /* may be NULL */
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

/* Element-wise binary ops with up to 5-D broadcasting (strides 0 on broadcast dims). */
#define TFC_MAX_DIMS 5
typedef struct {
    int32_t ndim;
    int32_t shape[TFC_MAX_DIMS];        /* output shape */
    int32_t stride1[TFC_MAX_DIMS];      /* element strides of input 1 (0 = broadcast) */
    int32_t stride2[TFC_MAX_DIMS];
    int32_t in1_offset, in2_offset, left_shift;
    int32_t in1_mult, in1_shift, in2_mult, in2_shift;
    int32_t out_mult, out_shift, out_zp, act_min, act_max;
    void *scratch;         /* optimised ADD: its two 256-entry tables in the arena (NULL: on the stack) */
    const int32_t *tables; /* optimised CONV_2D+ADD: the two tables, precomputed in flash (tfc_add_opt.h) */
    int32_t tables_fast;   /* ... and whether the SMMULR output requantisation applies to them */
} tfc_binary_params;

/* CONV_2D whose int8 result feeds an ADD directly: out[i] = add(conv[i], residual[i]) with the
 * conv result as ADD input 1; out may equal residual (in place). */
void tfc_conv2d_add_s8(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                       const int8_t *residual, int8_t *out);

/* Optimised kernels only: CONV_2D (+ADD) reading its windows straight from the input, with
 * widened int16 weights and a small scratch (engine/optimized/conv.py direct), for the layers whose
 * im2col scratch would raise the model's peak RAM. */
void tfc_conv2d_s8_direct(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_add_s8_direct(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                              const int8_t *residual, int8_t *out);

/* 4-bit weights (packed indices, two per byte, low nibble first, into int8 codebooks): same
 * results as the plain kernels on the decoded weights. */
void tfc_conv2d_s8_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_conv2d_add_s8_w4(const tfc_conv_params *p, const tfc_binary_params *add, const int8_t *in,
                          const int8_t *residual, int8_t *out);
void tfc_depthwise_conv2d_s8_w4(const tfc_conv_params *p, const int8_t *in, int8_t *out);
void tfc_fully_connected_s8_w4(const tfc_fc_params *p, const int8_t *in, int8_t *out);

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

/* MEAN: kept dims (k_*) index outputs in order, reduced dims (r_*) are summed; strides in
 * input elements. requantize = 0: sum / count (same quantisation in and out, as TFLM). */
typedef struct {
    int32_t k_ndim, k_shape[TFC_MAX_DIMS], k_stride[TFC_MAX_DIMS];
    int32_t r_ndim, r_shape[TFC_MAX_DIMS], r_stride[TFC_MAX_DIMS];
    int32_t count, requantize, in_zp, mult, shift, out_zp;
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

/* PAD (constant) for up to 5-D tensors of 1-byte elements. */
typedef struct {
    int32_t ndim;
    int32_t in_shape[5];
    int32_t before[5];
    int32_t after[5];
    int32_t pad_value;
} tfc_pad_params;

void tfc_pad_s8(const tfc_pad_params *p, const int8_t *in, int8_t *out);

/* CONCATENATION: outer x (sum of inputs' axis*inner bytes), no requantisation (as TFLM). */
typedef struct {
    int32_t n_inputs, outer, out_chunk;
    const int32_t *chunks;  /* bytes per outer index, per input */
} tfc_concat_params;

void tfc_concat(const tfc_concat_params *p, const int8_t *const *inputs, int8_t *out);

/* Copy for RESHAPE when the planner could not alias input and output, model inputs/outputs and
 * resource variables; fill for resetting state. */
void tfc_copy_bytes(const void *in, void *out, int32_t nbytes);
void tfc_fill_bytes(void *out, int32_t value, int32_t nbytes);

/* ---- data movement (slicing, transposes, gathers, splits, padding of any element size) ---- */

/* ---- element-wise binary ops, comparisons, logical ops ---- */

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

/* LOGISTIC / TANH int16 (zero points 0, output scale 1/32768): the input times mult, rounded
 * right by shift, to 1/(3*4096) per unit, then TFLM's interpolated sigmoid table. */
typedef struct {
    int32_t n, mult, shift;
} tfc_sigmoid16_params;

void tfc_logistic_s16(const tfc_sigmoid16_params *p, const int16_t *in, int16_t *out);
void tfc_tanh_s16(const tfc_sigmoid16_params *p, const int16_t *in, int16_t *out);

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

/* ---- convolution, matrix multiplication and sequence ops ---- */

#endif /* TFC_KERNELS_H */
