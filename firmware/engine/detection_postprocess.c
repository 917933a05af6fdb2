/* TFLite_Detection_PostProcess: decode center-size box encodings against anchors, then
 * non-maximum suppression, with TFLM's arithmetic and ordering (detection_postprocess.cc):
 * - decoding in double, rounded to float per coordinate (y / y_scale * anchor.h + anchor.y;
 *   half sizes 0.5 * exp(h / h_scale) * anchor.h), corners as float sums;
 * - single-class NMS: scores >= threshold, a stable decreasing sort (insertion sort below 20
 *   elements, else top-down merge), IoU in float, suppression when IoU > threshold;
 * - regular NMS per class, the running top max_detections kept by (score desc, index asc);
 *   fast NMS on each box's best class score, the top classes per box by (score desc, class asc),
 *   and TFLM's output row of each (class, box) pair.
 * Products that feed a sum go through a volatile so that no compiler fuses them (FMA): the
 * results are those of TFLM's host build. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "tfc_kernels.h"

typedef struct {
    float *decoded;      /* num_boxes * 4: ymin, xmin, ymax, xmax */
    float *areas;        /* num_boxes: (ymax - ymin) * (xmax - xmin), TFLM's IoU areas computed once */
    float *scores;       /* num_boxes * num_classes_bg (dequantised class predictions), or NULL */
    float *score_buf;    /* num_boxes */
    float *keep_scores;  /* num_boxes */
    int32_t *keep_idx;   /* num_boxes (also the merge sort's scratch) */
    int32_t *sorted;     /* max(max_detections + num_boxes, num_classes) */
    int32_t *buffer;     /* max(num_boxes * classes per box, max_detections + num_boxes) */
    float *after_scores; /* max_detections + num_boxes */
    float *sorted_values; /* max_detections */
    int32_t *selected;   /* num_boxes */
    uint8_t *active;     /* num_boxes */
    int32_t valid;       /* -1: boxes not checked yet, 0: a degenerate box, 1: all valid */
} tfc_dpp_work;

static int32_t dpp_max(int32_t a, int32_t b) { return a > b ? a : b; }

/* The working memory, in 4-byte words, in the order of dpp_layout (the host computes the same). */
static void dpp_layout(const tfc_detection_postprocess_params *p, void *mem, tfc_dpp_work *w) {
    const int32_t n = p->num_boxes, md = p->max_detections;
    const int32_t per_box = p->regular ? 0 : p->max_classes_per_detection < p->num_classes
                                                 ? p->max_classes_per_detection : p->num_classes;
    int32_t *at = (int32_t *)mem;
    w->decoded = (float *)at; at += 4 * n;
    w->areas = (float *)at; at += n;
    w->scores = NULL;
    if (p->in_type != 0) { w->scores = (float *)at; at += n * p->num_classes_bg; }
    w->score_buf = (float *)at; at += n;
    w->keep_scores = (float *)at; at += n;
    w->keep_idx = at; at += n;
    w->sorted = at; at += dpp_max(md + n, p->num_classes);
    w->buffer = at; at += dpp_max(n * per_box, md + n);
    w->after_scores = (float *)at; at += md + n;
    w->sorted_values = (float *)at; at += md;
    w->selected = at; at += n;
    w->active = (uint8_t *)at;
    w->valid = -1;
}

static float dpp_keep(float x) { volatile float v = x; return v; }

static float dpp_dequant(const void *data, int32_t type, int32_t i, float zp, float scale) {
    if (type == 1) return ((float)((const uint8_t *)data)[i] - zp) * scale;
    return ((float)((const int8_t *)data)[i] - zp) * scale;
}

static void dpp_decode(const tfc_detection_postprocess_params *p, const void *enc, const float *anchors,
                       tfc_dpp_work *w) {
    int32_t i;
    for (i = 0; i < p->num_boxes; ++i) {
        float e[4];
        const float *a = anchors + 4 * i;
        int32_t k;
        volatile double prod;
        float yc, xc, hh, hw;
        for (k = 0; k < 4; ++k) {
            e[k] = p->in_type == 0 ? ((const float *)enc)[i * p->box_len + k]
                                   : dpp_dequant(enc, p->in_type, i * p->box_len + k, p->box_zp, p->box_scale);
        }
        prod = (double)e[0] / (double)p->y_scale * (double)a[2];
        yc = (float)(prod + (double)a[0]);
        prod = (double)e[1] / (double)p->x_scale * (double)a[3];
        xc = (float)(prod + (double)a[1]);
        hh = (float)(0.5 * exp((double)e[2] / (double)p->h_scale) * (double)a[2]);
        hw = (float)(0.5 * exp((double)e[3] / (double)p->w_scale) * (double)a[3]);
        w->decoded[4 * i + 0] = yc - hh;
        w->decoded[4 * i + 1] = xc - hw;
        w->decoded[4 * i + 2] = yc + hh;
        w->decoded[4 * i + 3] = xc + hw;
        w->areas[i] = dpp_keep((w->decoded[4 * i + 2] - w->decoded[4 * i]) *
                               (w->decoded[4 * i + 3] - w->decoded[4 * i + 1]));
    }
}

static float dpp_fmax(float a, float b) { return a < b ? b : a; }
static float dpp_fmin(float a, float b) { return b < a ? b : a; }

static float dpp_iou(const tfc_dpp_work *w, int32_t i, int32_t j) {
    const float *bi = w->decoded + 4 * i, *bj = w->decoded + 4 * j;
    const float area_i = w->areas[i], area_j = w->areas[j];
    float inter;
    if (area_i <= 0 || area_j <= 0) return 0.0f;
    inter = dpp_keep(dpp_fmax(dpp_fmin(bi[2], bj[2]) - dpp_fmax(bi[0], bj[0]), 0.0f) *
                     dpp_fmax(dpp_fmin(bi[3], bj[3]) - dpp_fmax(bi[1], bj[1]), 0.0f));
    return inter / (area_i + area_j - inter);
}

/* Stable sort of idx[0..n) by decreasing values[idx]: insertion (upper bound, then shift) below
 * 20 elements, else halves sorted recursively and merged (the right element first only when
 * strictly greater). */
static void dpp_sort(const float *values, int32_t *idx, int32_t *tmp, int32_t n) {
    int32_t i, half, left, right;
    if (n < 20) {
        for (i = 0; i < n; ++i) {
            const int32_t v = idx[i];
            int32_t lo = 0, hi = i, k;
            while (lo < hi) { /* first position whose element the new one precedes */
                const int32_t mid = lo + (hi - lo) / 2;
                if (values[v] > values[idx[mid]]) hi = mid; else lo = mid + 1;
            }
            for (k = i; k > lo; --k) idx[k] = idx[k - 1];
            idx[lo] = v;
        }
        return;
    }
    half = n / 2;
    dpp_sort(values, idx, tmp, half);
    dpp_sort(values, idx + half, tmp, n - half);
    left = 0;
    right = half;
    for (i = 0; i < n; ++i) {
        if (left >= half || (right < n && values[idx[right]] > values[idx[left]])) tmp[i] = idx[right++];
        else tmp[i] = idx[left++];
    }
    memcpy(idx, tmp, (size_t)n * sizeof(int32_t));
}

/* Whether index a comes before index b: higher value first, the lower index on ties. */
static int dpp_before(const float *values, int32_t a, int32_t b) {
    return values[a] > values[b] || (!(values[b] > values[a]) && a < b);
}

/* The first k of 0..n-1 in (value desc, index asc) order into idx[0..k). */
static void dpp_top(const float *values, int32_t n, int32_t k, int32_t *idx) {
    int32_t i, j;
    for (i = 0; i < n; ++i) idx[i] = i;
    for (i = 0; i < k; ++i) { /* selection: idx[i] becomes the best of idx[i..n) */
        int32_t best = i;
        for (j = i + 1; j < n; ++j) {
            if (dpp_before(values, idx[j], idx[best])) best = j;
        }
        if (best != i) {
            const int32_t v = idx[best];
            for (j = best; j > i; --j) idx[j] = idx[j - 1];
            idx[i] = v;
        }
    }
}

/* TFLM's NonMaxSuppressionSingleClassHelper; returns -1 where TFLM fails (a degenerate box). */
static int32_t dpp_nms_single(const tfc_detection_postprocess_params *p, tfc_dpp_work *w, const float *scores,
                              int32_t max_detections) {
    const int32_t n = p->num_boxes;
    int32_t i, j, kept = 0, selected = 0, active_left, out_size;
    if (w->valid < 0) {
        w->valid = 1;
        for (i = 0; i < n; ++i) {
            const float *b = w->decoded + 4 * i;
            if (b[0] >= b[2] || b[1] >= b[3]) w->valid = 0;
        }
    }
    if (!w->valid) return -1;
    for (i = 0; i < n; ++i) {
        if (scores[i] >= p->score_threshold) {
            w->keep_scores[kept] = scores[i];
            w->keep_idx[kept] = i;
            ++kept;
        }
    }
    for (i = 0; i < kept; ++i) w->sorted[i] = i;
    dpp_sort(w->keep_scores, w->sorted, w->keep_idx, kept);
    j = 0;
    for (i = 0; i < n; ++i) {
        if (scores[i] >= p->score_threshold) w->keep_idx[j++] = i;
    }
    out_size = kept < max_detections ? kept : max_detections;
    active_left = kept;
    for (i = 0; i < kept; ++i) w->active[i] = 1;
    for (i = 0; i < kept; ++i) {
        if (active_left == 0 || selected >= out_size) break;
        if (!w->active[i]) continue;
        w->selected[selected++] = w->keep_idx[w->sorted[i]];
        w->active[i] = 0;
        --active_left;
        for (j = i + 1; j < kept; ++j) {
            if (w->active[j] &&
                dpp_iou(w, w->keep_idx[w->sorted[i]], w->keep_idx[w->sorted[j]]) > p->iou_threshold) {
                w->active[j] = 0;
                --active_left;
            }
        }
    }
    return selected;
}

static int dpp_regular(const tfc_detection_postprocess_params *p, tfc_dpp_work *w, const float *scores,
                       float *boxes, float *classes, float *out_scores, float *num) {
    const int32_t n = p->num_boxes, cb = p->num_classes_bg, offset = p->num_classes_bg - p->num_classes;
    int32_t col, row, i, count = 0;
    for (col = 0; col < p->num_classes; ++col) {
        int32_t selected, total, to_sort;
        for (row = 0; row < n; ++row) w->score_buf[row] = scores[row * cb + col + offset];
        selected = dpp_nms_single(p, w, w->score_buf, p->detections_per_class);
        if (selected < 0) return 1;
        total = count;
        for (i = 0; i < selected; ++i) {
            w->buffer[total] = w->selected[i] * cb + col + offset;
            w->after_scores[total] = w->score_buf[w->selected[i]];
            ++total;
        }
        to_sort = total < p->max_detections ? total : p->max_detections;
        dpp_top(w->after_scores, total, to_sort, w->sorted);
        for (i = 0; i < to_sort; ++i) {
            const int32_t t = w->sorted[i];
            w->sorted[i] = w->buffer[t];
            w->sorted_values[i] = w->after_scores[t];
        }
        for (i = 0; i < to_sort; ++i) {
            w->buffer[i] = w->sorted[i];
            w->after_scores[i] = w->sorted_values[i];
        }
        count = to_sort;
    }
    for (i = 0; i < p->max_detections; ++i) {
        if (i < count) {
            const int32_t anchor = w->buffer[i] / cb;
            memcpy(boxes + 4 * i, w->decoded + 4 * anchor, 4 * sizeof(float));
            classes[i] = (float)(w->buffer[i] - anchor * cb - offset);
            out_scores[i] = w->after_scores[i];
        } else {
            boxes[4 * i] = boxes[4 * i + 1] = boxes[4 * i + 2] = boxes[4 * i + 3] = 0.0f;
            classes[i] = 0.0f;
            out_scores[i] = 0.0f;
        }
    }
    num[0] = (float)count;
    return 0;
}

static int dpp_fast(const tfc_detection_postprocess_params *p, tfc_dpp_work *w, const float *scores,
                    float *boxes, float *classes, float *out_scores, float *num) {
    const int32_t n = p->num_boxes, cb = p->num_classes_bg, offset = p->num_classes_bg - p->num_classes;
    const int32_t per_box = p->max_classes_per_detection < p->num_classes ? p->max_classes_per_detection
                                                                        : p->num_classes;
    int32_t row, i, col, selected, out_index = 0;
    for (row = 0; row < n; ++row) {
        const float *box_scores = scores + row * cb + offset;
        int32_t *top = w->buffer + row * per_box;
        dpp_top(box_scores, p->num_classes, per_box, w->sorted);
        for (col = 0; col < per_box; ++col) top[col] = w->sorted[col];
        w->score_buf[row] = box_scores[top[0]];
    }
    selected = dpp_nms_single(p, w, w->score_buf, p->max_detections);
    if (selected < 0) return 1;
    for (i = 0; i < selected; ++i) {
        const int32_t b = w->selected[i];
        const float *box_scores = scores + b * cb + offset;
        for (col = 0; col < per_box; ++col) {
            /* TFLM's row: per_box * (pairs written so far) + col (rows past the output are not written) */
            const int32_t at = per_box * out_index + col;
            if (at < p->out_rows) {
                memcpy(boxes + 4 * at, w->decoded + 4 * b, 4 * sizeof(float));
                classes[at] = (float)w->buffer[b * per_box + col];
                out_scores[at] = box_scores[w->buffer[b * per_box + col]];
            }
            ++out_index;
        }
    }
    num[0] = (float)out_index;
    return 0;
}

static int dpp_run(const tfc_detection_postprocess_params *p, void *mem, const void *enc, const void *cls,
                   const float *anchors, float *boxes, float *classes, float *scores, float *num) {
    tfc_dpp_work w;
    const float *s = (const float *)cls;
    dpp_layout(p, mem, &w);
    dpp_decode(p, enc, anchors, &w);
    if (p->in_type != 0) {
        int32_t i;
        for (i = 0; i < p->num_boxes * p->num_classes_bg; ++i) {
            w.scores[i] = dpp_dequant(cls, p->in_type, i, p->cls_zp, p->cls_scale);
        }
        s = w.scores;
    }
    /* rows TFLM leaves unwritten hold whatever the buffer held there; here they are zero */
    memset(boxes, 0, (size_t)p->out_rows * 4 * sizeof(float));
    memset(classes, 0, (size_t)p->out_rows * sizeof(float));
    memset(scores, 0, (size_t)p->out_rows * sizeof(float));
    if (p->regular) return dpp_regular(p, &w, s, boxes, classes, scores, num);
    return dpp_fast(p, &w, s, boxes, classes, scores, num);
}

int tfc_detection_postprocess(const tfc_detection_postprocess_params *p, const void *box_encodings,
                              const void *class_predictions, const float *anchors, float *boxes,
                              float *classes, float *scores, float *num_detections) {
    const float *a = anchors ? anchors : p->anchors;
    if (p->scratch == NULL) {
        uint32_t mem[(p->scratch_bytes + 7) / 4];
        return dpp_run(p, mem, box_encodings, class_predictions, a, boxes, classes, scores, num_detections);
    }
    return dpp_run(p, p->scratch, box_encodings, class_predictions, a, boxes, classes, scores, num_detections);
}
