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

/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 (table indexed by in + 128). */
typedef struct {
    int32_t n, zero_point;
    float scale;
} tfc_quantize_params;

void tfc_quantize_f32_s8(const tfc_quantize_params *p, const float *in, int8_t *out);
void tfc_dequantize_s8_f32(const float *lut, const int8_t *in, float *out, int32_t n);

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

/* ---- pooling, resizing, reductions ---- */

/* ---- convolution, matrix multiplication and sequence ops ---- */

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

#endif /* TFC_KERNELS_H */
