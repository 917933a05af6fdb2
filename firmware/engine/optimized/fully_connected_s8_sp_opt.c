/* FULLY_CONNECTED with sparse weights, optimised for Cortex-M4/M7 (DSP): tfc_fully_connected_s8_nib_sp
 * (engine/optimized/fc_compressed.py), for pruned layers with inputs in multiples of four on the
 * exact fast requantisation. Same data as fully_connected_s8_sp.c: per row a bitmap (bit j of
 * byte i: input 8 i + j) and the non-zero values in input order; per-channel layers read their bias
 * from the rq entries (the bias array is dropped).
 *
 * One row at a time, one group of four inputs per bitmap nibble: the group's inputs as int16 halves
 * (x0, x2), (x1, x3) (one LDR and two SXTB16, or one LDRD from the input widened once into
 * scratch), then TBH on the nibble into one of sixteen handlers that multiply exactly the group's
 * non-zero values (LDRSB, SMLABB / SMLABT with the input's half): about 4.5 + 2 k instructions
 * per group of k non-zeros instead of a bit walk per weight. An odd last group is done in C.
 */
#include "tfc_dsp.h"
#include "tfc_fc_opt.h"
#include "../tfc_kernels.h"

#if TFC_DSP_ASM
#define TFC_FC_SP_HANDLERS_A \
    "30:\n\t" "b 4f\n" \
    "31:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "b 4f\n" \
    "32:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \
    "33:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \
    "34:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "b 4f\n" \
    "35:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "b 4f\n" \
    "36:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "b 4f\n" \
    "37:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "b 4f\n" \
    "38:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \
    "39:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \
    "40:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \
    "41:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \
    "42:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \
    "43:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \
    "44:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \
    "45:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 4f\n" \

#define TFC_FC_SP_TABLE_A \
    ".hword (30f-3b)/2, (31f-3b)/2, (32f-3b)/2, (33f-3b)/2, (34f-3b)/2, (35f-3b)/2, (36f-3b)/2, (37f-3b)/2, (38f-3b)/2, (39f-3b)/2, (40f-3b)/2, (41f-3b)/2, (42f-3b)/2, (43f-3b)/2, (44f-3b)/2, (45f-3b)/2\n" \

#define TFC_FC_SP_HANDLERS_B \
    "50:\n\t" "b 6f\n" \
    "51:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "b 6f\n" \
    "52:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \
    "53:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \
    "54:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "b 6f\n" \
    "55:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "b 6f\n" \
    "56:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "b 6f\n" \
    "57:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "b 6f\n" \
    "58:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \
    "59:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \
    "60:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \
    "61:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \
    "62:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \
    "63:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \
    "64:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \
    "65:\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabb %[acc], %[v], %[xh], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xl], %[acc]\n\t" "ldrsb %[v], [%[vp]], #1\n\t" "smlabt %[acc], %[v], %[xh], %[acc]\n\t" "b 6f\n" \

#define TFC_FC_SP_TABLE_B \
    ".hword (50f-23b)/2, (51f-23b)/2, (52f-23b)/2, (53f-23b)/2, (54f-23b)/2, (55f-23b)/2, (56f-23b)/2, (57f-23b)/2, (58f-23b)/2, (59f-23b)/2, (60f-23b)/2, (61f-23b)/2, (62f-23b)/2, (63f-23b)/2, (64f-23b)/2, (65f-23b)/2\n" \
/* pairs of groups (one bitmap byte each) up to x_end; LOADX: the next group's input halves */
#define TFC_FC_SP_LOOP(LOADX)                                      \
    __asm volatile("1:\n\t"                                        \
                   "ldrb %[m2], [%[bp]], #1\n\t" LOADX             \
                   "and %[m], %[m2], #15\n\t"                      \
                   "tbh [pc, %[m], lsl #1]\n"                      \
                   "3:\n\t" TFC_FC_SP_TABLE_A TFC_FC_SP_HANDLERS_A \
                   "4:\n\t" LOADX                                  \
                   "lsr %[m], %[m2], #4\n\t"                       \
                   "tbh [pc, %[m], lsl #1]\n"                      \
                   "23:\n\t" TFC_FC_SP_TABLE_B TFC_FC_SP_HANDLERS_B \
                   "6:\n\t"                                        \
                   "cmp %[x], %[xend]\n\t"                         \
                   "bne 1b\n\t"                                    \
                   : [acc] "+r"(acc), [x] "+r"(x), [bp] "+r"(bp), [vp] "+r"(vp), [m] "=&r"(m), \
                     [m2] "=&r"(m2), [xl] "=&r"(xl), [xh] "=&r"(xh), [v] "=&r"(v)              \
                   : [xend] "r"(x_end)                                                         \
                   : "cc", "memory")
#define TFC_FC_SP_X8                   \
    "ldr %[xh], [%[x]], #4\n\t"        \
    "sxtb16 %[xl], %[xh]\n\t"          \
    "sxtb16 %[xh], %[xh], ror #8\n\t"
#define TFC_FC_SP_XW "ldrd %[xl], %[xh], [%[x]], #8\n\t"
#endif

/* The non-zero values of one group of four inputs (mask m) times x (portable form, and the odd tail). */
static inline int32_t sp_group(int32_t acc, uint32_t m, const int8_t **vp, const int8_t *x) {
    const int8_t *v = *vp;
    int32_t j;
    for (j = 0; j < 4; ++j) {
        if (m >> j & 1u) {
            acc += (int32_t)*v++ * (int32_t)x[j];
        }
    }
    *vp = v;
    return acc;
}

/* Rows [row0, row1) of the batch row whose int8 input is xb (output out), their values from vp
 * (returned advanced past them); x0: xb, or (xw) its widened words. */
static inline __attribute__((always_inline)) const int8_t *fc_sp(const tfc_fc_params *p, const int8_t *xb,
                                                                 const int8_t *x0, int32_t row0, int32_t row1,
                                                                 int8_t *out, const int8_t *vp, const int xw) {
    const int32_t n_in = p->in_depth, groups = n_in >> 2, pairs = groups >> 1, row_bytes = (n_in + 7) >> 3;
    const int32_t qs = (p->rq[0] & TFC_RQ_SHARED) ? 0 : 4;
    const int32_t *q = p->rq + TFC_RQ_HEADER + qs * row0;
    const tfc_out_stage os = tfc_out_stage_of(p->out_zp, p->act_min, p->act_max);
    int32_t o;
    out += row0;
    for (o = row0; o < row1; ++o, q += qs) {
        const uint8_t *bp = p->sp_bitmap + o * row_bytes;
        int32_t acc = qs ? q[3] : p->bias[o]; /* per channel: the rq entry's folded bias */
        if (pairs) {
#if TFC_DSP_ASM
            const int8_t *x = x0;
            const int8_t *const x_end = x0 + (xw ? 16 : 8) * pairs;
            uint32_t m, m2, xl, xh, v;
            if (xw) {
                TFC_FC_SP_LOOP(TFC_FC_SP_XW);
            } else {
                TFC_FC_SP_LOOP(TFC_FC_SP_X8);
            }
#else
            int32_t g;
            (void)x0, (void)xw; /* the portable form reads the int8 input */
            for (g = 0; g < 2 * pairs; g += 2, ++bp) {
                acc = sp_group(acc, *bp & 15u, &vp, xb + 4 * g);
                acc = sp_group(acc, (uint32_t)*bp >> 4, &vp, xb + 4 * g + 4);
            }
#endif
        }
        if (groups & 1) { /* the odd last group */
            acc = sp_group(acc, p->sp_bitmap[o * row_bytes + pairs] & 15u, &vp, xb + 8 * pairs);
        }
        *out++ = tfc_clamp8(tfc_rq_x2s((int32_t)((uint32_t)acc << 1), q[0], q[1], q[2]), &os);
    }
    return vp;
}

void tfc_fully_connected_s8_nib_sp(const tfc_fc_params *p, const int8_t *in, int8_t *out) {
    int32_t b;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *const xb = in + b * p->in_depth;
        int8_t *const ob = out + b * p->out_depth;
        const int8_t *vp = p->weights;
        int32_t n_xw = 0;
#if !defined(__OPTIMIZE_SIZE__) /* -Os: one copy, on the int8 input */
        uint32_t *wx = 0;
        n_xw = tfc_fc_input_words(p, ob, &wx); /* in blocks of four rows: planned scratch, else the output's tail */
        n_xw = p->scratch ? p->out_depth : 4 * n_xw;
        if (n_xw) {
            tfc_fc_widen_input(xb, p->in_depth >> 2, wx);
            vp = fc_sp(p, xb, (const int8_t *)wx, 0, n_xw, ob, vp, 1);
        }
#endif
        if (n_xw < p->out_depth) {
            fc_sp(p, xb, xb, n_xw, p->out_depth, ob, vp, 0);
        }
    }
}
