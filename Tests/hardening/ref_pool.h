/*
 * ref_pool.h — an independent C model of the libswiftpool C API, for the fuzzer
 * and the hardening tests. Written from include/swiftpool.h and PyTorch's
 * documented semantics (torch.nn.functional.max_pool*d / avg_pool*d), sharing no
 * code with the Swift library, so agreement between the two means something.
 *
 *  - ref_validate(): the set of statuses the header allows for a descriptor:
 *    every rule the descriptor breaks is an acceptable answer (the header does not
 *    fix the order in which arguments are checked). 128-bit arithmetic, so the
 *    model itself never overflows.
 *  - ref_max_pool() / ref_avg_pool(): slow kernels over a validated geometry.
 *
 * Header-only (static functions); C99 plus __int128 (GCC/Clang).
 */
#ifndef SWIFTPOOL_REF_POOL_H
#define SWIFTPOOL_REF_POOL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "swiftpool.h"

__extension__ typedef __int128 ref_i128;

/* Bit masks of status codes: an answer is acceptable iff its bit is set. */
#define REF_BIT(status) (1u << ((status) == SWIFTPOOL_ERROR_INTERNAL ? 31 : (status)))
#define REF_OK REF_BIT(SWIFTPOOL_OK)
#define REF_NULL REF_BIT(SWIFTPOOL_ERROR_NULL_POINTER)
#define REF_INVALID REF_BIT(SWIFTPOOL_ERROR_INVALID_ARGUMENT)
#define REF_SHAPE REF_BIT(SWIFTPOOL_ERROR_INVALID_SHAPE)
#define REF_OVERFLOW REF_BIT(SWIFTPOOL_ERROR_OVERFLOW)
#define REF_SMALL REF_BIT(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL)
#define REF_UNSUPPORTED REF_BIT(SWIFTPOOL_ERROR_UNSUPPORTED)

enum { REF_OP_MAX = 0, REF_OP_AVG = 1 };

/* One spatial axis after padding is resolved (auto_pad, padding_end = -1). */
typedef struct {
    int64_t in, out, kernel, stride, pad_begin, pad_end, dilation;
} ref_axis;

/* A validated problem lifted to three axes (D, H, W): unit axes first. */
typedef struct {
    int rank, dtype, layout;
    int64_t batch, channels;
    ref_axis ax[3];
    int count_include_pad;
    int64_t divisor_override;
    uint32_t flags;
    int64_t in_plane, out_plane, in_elems, out_elems;
} ref_geom;

/* What the header allows: `required` holds the errors the call must pick from
 * (empty when the descriptor is valid); `optional` adds answers that are also
 * acceptable (e.g. OVERFLOW when an intermediate of the shape formula, not only
 * the final product, leaves int64). */
typedef struct {
    uint32_t required, optional;
} ref_verdict;

static inline uint32_t ref_acceptable(ref_verdict v) {
    return (v.required ? v.required : REF_OK) | v.optional;
}

static inline ref_i128 ref_floor_div(ref_i128 a, ref_i128 b) {
    ref_i128 q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

#define REF_I64_MAX ((ref_i128)INT64_MAX)

/* ---- element types ------------------------------------------------------- */

/* Bytes per element, 0 for an unknown dtype. */
static inline size_t ref_elem_size(int32_t dtype) {
    switch (dtype) {
    case SWIFTPOOL_DTYPE_FLOAT32: return 4;
    case SWIFTPOOL_DTYPE_FLOAT64: return 8;
    case SWIFTPOOL_DTYPE_FLOAT16: case SWIFTPOOL_DTYPE_BFLOAT16: return 2;
    case SWIFTPOOL_DTYPE_UINT8: case SWIFTPOOL_DTYPE_INT8: return 1;
    default: return 0;
    }
}

static inline int ref_is_float(int32_t dtype) {
    return dtype >= SWIFTPOOL_DTYPE_FLOAT32 && dtype <= SWIFTPOOL_DTYPE_BFLOAT16;
}

/* IEEE binary16 -> double (exact). */
static inline double ref_half_to_double(uint16_t h) {
    int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    double v = exp == 0 ? ldexp(mant, -24) : exp == 31 ? (mant ? NAN : INFINITY) : ldexp(1024 + mant, exp - 25);
    return sign ? -v : v;
}

/* double -> binary16, one rounding to nearest even (what a correctly rounded
 * conversion gives): scale by the quantum of the target binade, nearbyint. */
static inline uint16_t ref_double_to_half(double x) {
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    if (isnan(x)) return sign | 0x7E00;
    double a = fabs(x);
    if (a == 0) return sign;
    int e;
    frexp(a, &e);
    int exp = e - 1 < -14 ? -14 : e - 1;            /* binade [2^exp, 2^(exp+1)), subnormals share 2^-14 */
    double r = nearbyint(ldexp(a, 10 - exp));       /* in units of 2^(exp-10) */
    if (r == 0) return sign;
    double y = ldexp(r, exp - 10);                  /* the rounded value */
    if (y >= 65536.0) return sign | 0x7C00;         /* past the largest finite (65504) */
    frexp(y, &e);
    if (e - 1 < -14) return sign | (uint16_t)ldexp(y, 24);      /* subnormal */
    return sign | (uint16_t)((e - 1 + 15) << 10) | (uint16_t)(ldexp(y, 11 - e) - 1024);
}

/* bfloat16 -> double (exact: the upper half of a float32). */
static inline double ref_bf16_to_double(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* double -> float -> bfloat16, round to nearest even (PyTorch's rule; the header
 * accumulates in double, so this is the library's documented double rounding). */
static inline uint16_t ref_double_to_bf16(double x) {
    float f = (float)x;
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if (isnan(f)) return (uint16_t)((bits >> 16) | 0x0040);
    return (uint16_t)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

/*
 * Validate `d` for operator `op` as the header describes it. `g` receives the
 * geometry when the verdict has no required error.
 */
static inline ref_verdict ref_validate(const swiftpool_pool_desc *d, int op, ref_geom *g) {
    ref_verdict v = {0, 0};
    memset(g, 0, sizeof *g);
    if (!d) { v.required |= REF_NULL; return v; }
    if (d->struct_size != sizeof(swiftpool_pool_desc)) { v.required |= REF_UNSUPPORTED; return v; }
    if (d->spatial_rank < 1 || d->spatial_rank > 3) { v.required |= REF_UNSUPPORTED; return v; }
    if (ref_elem_size(d->dtype) == 0) v.required |= REF_UNSUPPORTED;
    /* Averaging is floating-point only (as PyTorch): integer dtypes are UNSUPPORTED. */
    else if (op == REF_OP_AVG && !ref_is_float(d->dtype)) v.required |= REF_UNSUPPORTED;
    if (d->layout != SWIFTPOOL_LAYOUT_NCHW && d->layout != SWIFTPOOL_LAYOUT_NHWC) v.required |= REF_UNSUPPORTED;
    uint32_t known = op == REF_OP_MAX ? (SWIFTPOOL_FLAG_NAN_IGNORE | SWIFTPOOL_FLAG_INDICES_GLOBAL |
                                         SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR) : 0u;
    if (d->flags & ~known) {
        /* Unknown bits: UNSUPPORTED; max-only bits on average pooling: either reading. */
        v.required |= REF_UNSUPPORTED;
        if (op == REF_OP_AVG && !(d->flags & ~7u)) v.optional |= REF_INVALID;
    }
    if (d->auto_pad < 0 || d->auto_pad > 3) { v.required |= REF_UNSUPPORTED; v.optional |= REF_INVALID; }
    if (d->ceil_mode != 0 && d->ceil_mode != 1) v.required |= REF_INVALID;
    if (d->batch < 0) v.required |= REF_INVALID;
    if (d->channels < 1) v.required |= REF_INVALID;
    if (op == REF_OP_AVG) {
        if (d->count_include_pad != 0 && d->count_include_pad != 1) v.required |= REF_INVALID;
        if (d->divisor_override < 0) v.required |= REF_INVALID;
    }
    int rank = d->spatial_rank;
    int auto_pad_known = d->auto_pad >= 0 && d->auto_pad <= 3;
    ref_axis axes[3];
    int axes_ok = 1;
    for (int i = 0; i < rank; i++) {
        ref_i128 in = d->input_size[i], k = d->kernel_size[i], s = d->stride[i];
        ref_i128 pb = d->padding[i], pe = d->padding_end[i], dil = d->dilation[i];
        int bad = 0;
        if (in < 1 || k < 1 || s < 1 || dil < 1 || pb < 0 || pe < -1) bad = 1;
        if (bad) { v.required |= REF_INVALID; axes_ok = 0; continue; }
        ref_i128 span = dil * (k - 1); /* window extent - 1 */
        /* Intermediates of the shape formula beyond int64: OVERFLOW is a fair answer. */
        ref_i128 pe_max = pe > pb ? pe : pb;
        if (in + pb + pe_max + s + span > REF_I64_MAX) v.optional |= REF_OVERFLOW;
        int ceil_mode = d->ceil_mode == 1;
        if (!auto_pad_known) { axes_ok = 0; continue; }
        if (d->auto_pad != SWIFTPOOL_AUTO_PAD_NOTSET) {
            if (pb != 0 || (pe != 0 && pe != -1)) { v.required |= REF_INVALID; axes_ok = 0; continue; }
            ceil_mode = 0;
            pb = pe = 0;
            if (d->auto_pad != SWIFTPOOL_AUTO_PAD_VALID) {
                /* ONNX SAME_*: out = ceil(in / stride), total padding split, the odd
                 * element at the end (UPPER) or the beginning (LOWER). */
                ref_i128 target = (in + s - 1) / s;
                ref_i128 total = (target - 1) * s + span + 1 - in;
                if (total < 0) total = 0;
                ref_i128 half = total / 2;
                pb = d->auto_pad == SWIFTPOOL_AUTO_PAD_SAME_UPPER ? half : total - half;
                pe = total - pb;
            }
        } else if (pe == -1) {
            pe = pb;
            if (pb > k / 2) { v.required |= REF_INVALID; axes_ok = 0; continue; } /* PyTorch's rule */
        } else if (pb >= k || pe >= k) {
            v.required |= REF_INVALID; axes_ok = 0; continue; /* ONNX Runtime's rule */
        }
        /* PyTorch pooling_output_shape (== ONNX MaxPool-22). */
        ref_i128 num = in + pb + pe - span - 1 + (ceil_mode ? s - 1 : 0);
        ref_i128 out = ref_floor_div(num, s) + 1;
        if (ceil_mode && (out - 1) * s >= in + pb) out -= 1;
        if (d->auto_pad == SWIFTPOOL_AUTO_PAD_VALID) {
            /* Header: out = ceil((in - dilation*(kernel-1)) / stride). */
            ref_i128 x = in - span;
            ref_i128 alt = x >= 1 ? (x + s - 1) / s : 0;
            if (alt != out && !(alt < 1 && out < 1)) out = -1000; /* model inconsistency: flag loudly */
        }
        if (out < 1) { v.required |= REF_SHAPE; axes_ok = 0; continue; }
        if (out > REF_I64_MAX) { v.required |= REF_OVERFLOW; axes_ok = 0; continue; } /* not even an int64 */
        axes[i].in = (int64_t)in; axes[i].out = (int64_t)out; axes[i].kernel = (int64_t)k;
        axes[i].stride = (int64_t)s; axes[i].pad_begin = (int64_t)pb; axes[i].pad_end = (int64_t)pe;
        axes[i].dilation = (int64_t)dil;
    }
    if (!axes_ok || v.required) return v;
    if (op == REF_OP_AVG && d->count_include_pad == 1 && d->divisor_override == 0) {
        /* A library may refuse a count_include_pad window area past int64 (it is a
         * size product); if it accepts, it must divide by the true area. */
        ref_i128 area = 1;
        for (int i = 0; i < rank; i++) {
            ref_i128 padded_in = (ref_i128)axes[i].in + axes[i].pad_begin + axes[i].pad_end;
            area *= axes[i].kernel < padded_in ? axes[i].kernel : padded_in;
            if (area > REF_I64_MAX) { v.optional |= REF_OVERFLOW; break; }
        }
    }

    /* Element and byte counts must fit in int64. With batch 0 a library may still
     * reject a plane whose size alone overflows (indices are per plane). */
    ref_i128 esize = ref_elem_size(d->dtype);
    ref_i128 in_plane = 1, out_plane = 1;
    for (int i = 0; i < rank; i++) {
        in_plane *= axes[i].in; out_plane *= axes[i].out;
        if (in_plane > REF_I64_MAX) in_plane = REF_I64_MAX + 1; /* saturate: no 128-bit overflow either */
        if (out_plane > REF_I64_MAX) out_plane = REF_I64_MAX + 1;
    }
    ref_i128 planes[2] = {in_plane, out_plane};
    /* The largest index an all-padding window can report (its first tap lies before
     * start + dilation) must fit, or OVERFLOW is a fair answer. */
    if (op == REF_OP_MAX && rank > 0) {
        ref_i128 reach = 0, size = 1;
        for (int i = 0; i < rank; i++) {
            ref_i128 last = ((ref_i128)axes[i].out - 1) * axes[i].stride - axes[i].pad_begin + axes[i].dilation;
            ref_i128 extent = last > axes[i].in ? last : axes[i].in;
            reach = reach * extent + extent;
            size *= axes[i].in;
            if (reach > REF_I64_MAX || size > REF_I64_MAX) break;
        }
        ref_i128 planes_count = (ref_i128)(d->batch > 0 ? d->batch : 1) * d->channels; /* < 2^126 */
        if (reach > REF_I64_MAX || size > REF_I64_MAX || planes_count > REF_I64_MAX ||
            reach + planes_count * size > REF_I64_MAX)
            v.optional |= REF_OVERFLOW;
    }
    for (int t = 0; t < 2; t++) {
        ref_i128 per_batch = planes[t] * d->channels; /* <= 2^63 * 2^63: fits in 128 bits */
        if (planes[t] > REF_I64_MAX || per_batch > REF_I64_MAX) {
            if (d->batch > 0) v.required |= REF_OVERFLOW; else v.optional |= REF_OVERFLOW;
        } else if (per_batch * d->batch > REF_I64_MAX || per_batch * d->batch * esize > REF_I64_MAX) {
            v.required |= REF_OVERFLOW;
        } else if (per_batch * esize > REF_I64_MAX) {
            v.optional |= REF_OVERFLOW; /* batch 0: the product is 0, the per-batch size is not */
        }
    }
    if (v.required) return v;

    g->rank = rank;
    g->dtype = d->dtype;
    g->layout = d->layout;
    g->batch = d->batch;
    g->channels = d->channels;
    for (int i = 0; i < 3; i++) {
        ref_axis unit = {1, 1, 1, 1, 0, 0, 1};
        g->ax[i] = unit;
    }
    for (int i = 0; i < rank; i++) g->ax[3 - rank + i] = axes[i];
    g->count_include_pad = d->count_include_pad == 1;
    g->divisor_override = op == REF_OP_AVG ? d->divisor_override : 0;
    g->flags = d->flags;
    g->in_plane = (int64_t)in_plane;
    g->out_plane = (int64_t)out_plane;
    g->in_elems = (int64_t)(in_plane * d->channels * d->batch);
    g->out_elems = (int64_t)(out_plane * d->channels * d->batch);
    return v;
}

/* Offset of element (n, c, spatial position p) in a dense tensor of `plane` positions. */
static inline int64_t ref_offset(const ref_geom *g, int64_t n, int64_t c, int64_t p, int64_t plane) {
    return g->layout == SWIFTPOOL_LAYOUT_NHWC ? (n * plane + p) * g->channels + c
                                              : (n * g->channels + c) * plane + p;
}

/* Input coordinate of tap k of output o, for the real taps ref_taps returns (in
 * [0, in)). In 128 bits: with a huge kernel and padding (auto_pad of a kernel near
 * INT64_MAX), k * dilation alone can pass INT64_MAX although the sum is small. */
static inline int64_t ref_coord(const ref_axis *a, int64_t o, int64_t k) {
    return (int64_t)((ref_i128)o * a->stride - a->pad_begin + (ref_i128)k * a->dilation);
}

/* Real taps of output o along an axis: k in [*lo, *hi) land in [0, in); *padded
 * counts the taps in [-pad_begin, in + pad_end). Brute force for small kernels;
 * the closed forms (checked against it) only for huge kernel_size values. */
static inline void ref_taps(const ref_axis *a, int64_t o, int64_t *lo, int64_t *hi, int64_t *padded) {
    ref_i128 start = (ref_i128)o * a->stride - a->pad_begin;
    if (a->kernel <= 4096) {
        int64_t l = -1, h = -1, p = 0;
        for (int64_t k = 0; k < a->kernel; k++) {
            ref_i128 x = start + (ref_i128)k * a->dilation;
            if (x >= 0 && x < a->in) { if (l < 0) l = k; h = k + 1; }
            if (x < (ref_i128)a->in + a->pad_end) p++;
        }
        *lo = l < 0 ? 0 : l; *hi = l < 0 ? 0 : h; *padded = p;
        return;
    }
    ref_i128 l = start >= 0 ? 0 : (-start + a->dilation - 1) / a->dilation;
    ref_i128 h = start >= a->in ? 0 : ((ref_i128)a->in - start - 1) / a->dilation + 1;
    ref_i128 end = (ref_i128)a->in + a->pad_end;
    ref_i128 p = start >= end ? 0 : (end - start - 1) / a->dilation + 1;
    if (h > a->kernel) h = a->kernel;
    if (p > a->kernel) p = a->kernel;
    if (h < l) h = l;
    *lo = (int64_t)l; *hi = (int64_t)h; *padded = (int64_t)p;
}

/* PyTorch's initial argmax coordinate: the first tap position at or past 0 of the
 * arithmetic progression start, start + dilation, ... (may lie past the input). */
static inline int64_t ref_first_tap(const ref_axis *a, int64_t o) {
    ref_i128 x = (ref_i128)o * a->stride - a->pad_begin;
    if (x < 0) x += ((-x + a->dilation - 1) / a->dilation) * a->dilation;
    return (int64_t)x;
}

/* Expected index that int64 cannot hold: only an all-padding window's first tap
 * (which may lie far past the input with a huge dilation and stride) gets there;
 * checkers accept any value for it (the geometry also allows OVERFLOW then). */
#define REF_INDEX_UNREPRESENTABLE INT64_MIN

/* Reported index for a winning tap at coordinates (d, h, w), per the flags. */
static inline int64_t ref_index(const ref_geom *g, int64_t n, int64_t c, int64_t d, int64_t h, int64_t w) {
    ref_i128 D = g->ax[0].in, H = g->ax[1].in, W = g->ax[2].in;
    ref_i128 p = (g->flags & SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR) ? (w * H + h) * D + d : (d * H + h) * W + w;
    if (g->flags & SWIFTPOOL_FLAG_INDICES_GLOBAL) p += ((ref_i128)n * g->channels + c) * g->in_plane;
    return p > REF_I64_MAX ? REF_INDEX_UNREPRESENTABLE : (int64_t)p;
}

/* Element access as double and raw-bit copies, for every dtype. */
static inline double ref_load(const ref_geom *g, const void *base, int64_t i) {
    const unsigned char *p = (const unsigned char *)base + i * (int64_t)ref_elem_size(g->dtype);
    switch (g->dtype) {
    case SWIFTPOOL_DTYPE_FLOAT64: { double x; memcpy(&x, p, 8); return x; }
    case SWIFTPOOL_DTYPE_FLOAT16: { uint16_t h; memcpy(&h, p, 2); return ref_half_to_double(h); }
    case SWIFTPOOL_DTYPE_BFLOAT16: { uint16_t h; memcpy(&h, p, 2); return ref_bf16_to_double(h); }
    case SWIFTPOOL_DTYPE_UINT8: return *p;
    case SWIFTPOOL_DTYPE_INT8: return (int8_t)*p;
    default: { float x; memcpy(&x, p, 4); return x; }
    }
}
static inline void ref_copy_elem(const ref_geom *g, void *dst, int64_t di, const void *src, int64_t si) {
    size_t e = ref_elem_size(g->dtype);
    memcpy((char *)dst + di * (int64_t)e, (const char *)src + si * (int64_t)e, e);
}
/* Stores a floating-point result (averages) rounded to the dtype. */
static inline void ref_store(const ref_geom *g, void *base, int64_t i, double x) {
    unsigned char *p = (unsigned char *)base + i * (int64_t)ref_elem_size(g->dtype);
    switch (g->dtype) {
    case SWIFTPOOL_DTYPE_FLOAT64: memcpy(p, &x, 8); break;
    case SWIFTPOOL_DTYPE_FLOAT16: { uint16_t h = ref_double_to_half(x); memcpy(p, &h, 2); break; }
    case SWIFTPOOL_DTYPE_BFLOAT16: { uint16_t h = ref_double_to_bf16(x); memcpy(p, &h, 2); break; }
    default: { float f = (float)x; memcpy(p, &f, 4); break; }
    }
}
/* The max identity: -inf for floating point, the type's minimum for integers
 * (torch's lowest()): what a window with no real element yields. */
static inline void ref_store_lowest(const ref_geom *g, void *base, int64_t i) {
    unsigned char *p = (unsigned char *)base + i * (int64_t)ref_elem_size(g->dtype);
    switch (g->dtype) {
    case SWIFTPOOL_DTYPE_FLOAT16: { uint16_t h = 0xFC00; memcpy(p, &h, 2); break; }
    case SWIFTPOOL_DTYPE_BFLOAT16: { uint16_t h = 0xFF80; memcpy(p, &h, 2); break; }
    case SWIFTPOOL_DTYPE_UINT8: *p = 0; break;
    case SWIFTPOOL_DTYPE_INT8: *p = 0x80; break;
    default: ref_store(g, base, i, -INFINITY); break;
    }
}

/*
 * Max pooling, torch.nn.functional.max_pool{1,2,3}d semantics (header rules):
 * the window's maximum over its real elements in scan order (D, then H, then W);
 * ties keep the first; any NaN wins and the last NaN is reported (PyTorch); with
 * SWIFTPOOL_FLAG_NAN_IGNORE the maximum of the non-NaN values, or the last NaN when
 * there are only NaNs; an empty window gives -inf at PyTorch's initial position.
 * The winning element is copied bit for bit (NaN payloads survive).
 */
static inline void ref_max_pool(const ref_geom *g, const void *input, void *output, int64_t *indices) {
    const ref_axis *A = g->ax;
    int nan_ignore = (g->flags & SWIFTPOOL_FLAG_NAN_IGNORE) != 0;
    for (int64_t n = 0; n < g->batch; n++)
    for (int64_t c = 0; c < g->channels; c++)
    for (int64_t od = 0; od < A[0].out; od++)
    for (int64_t oh = 0; oh < A[1].out; oh++)
    for (int64_t ow = 0; ow < A[2].out; ow++) {
        int64_t best_src = -1, nan_src = -1;          /* input offsets */
        int64_t best_pos[3] = {0, 0, 0}, nan_pos[3] = {0, 0, 0};
        double best = 0;
        int64_t lo[3], hi[3], padded[3];
        ref_taps(&A[0], od, &lo[0], &hi[0], &padded[0]);
        ref_taps(&A[1], oh, &lo[1], &hi[1], &padded[1]);
        ref_taps(&A[2], ow, &lo[2], &hi[2], &padded[2]);
        for (int64_t kd = lo[0]; kd < hi[0]; kd++)
        for (int64_t kh = lo[1]; kh < hi[1]; kh++)
        for (int64_t kw = lo[2]; kw < hi[2]; kw++) {
            int64_t d = ref_coord(&A[0], od, kd), h = ref_coord(&A[1], oh, kh), w = ref_coord(&A[2], ow, kw);
            if (d < 0 || d >= A[0].in || h < 0 || h >= A[1].in || w < 0 || w >= A[2].in) continue;
            int64_t src = ref_offset(g, n, c, (d * A[1].in + h) * A[2].in + w, g->in_plane);
            double x = ref_load(g, input, src);
            if (isnan(x)) {
                nan_src = src; nan_pos[0] = d; nan_pos[1] = h; nan_pos[2] = w;   /* last NaN */
            } else if (best_src < 0 || x > best) {
                best = x; best_src = src; best_pos[0] = d; best_pos[1] = h; best_pos[2] = w; /* first max */
            }
        }
        int64_t q = ref_offset(g, n, c, (od * A[1].out + oh) * A[2].out + ow, g->out_plane);
        int64_t *pos = best_pos, src = best_src;
        if (nan_src >= 0 && (!nan_ignore || best_src < 0)) { pos = nan_pos; src = nan_src; }
        int64_t first[3];
        if (src >= 0) {
            ref_copy_elem(g, output, q, input, src);
        } else {
            ref_store_lowest(g, output, q);
            first[0] = ref_first_tap(&A[0], od); first[1] = ref_first_tap(&A[1], oh); first[2] = ref_first_tap(&A[2], ow);
            pos = first;
        }
        if (indices) indices[q] = ref_index(g, n, c, pos[0], pos[1], pos[2]);
    }
}

/*
 * Average pooling, torch.nn.functional.avg_pool{1,2,3}d semantics with the
 * header's rules: the sum of the window's real elements in scan order from +0, in
 * PyTorch's accumulation type (float for float32/16/bfloat16, double for float64),
 * divided in that type by divisor_override, else (count_include_pad) the taps
 * inside [-pad_begin, in + pad_end), else the real taps (0 of them gives 0).
 */
static inline void ref_avg_pool(const ref_geom *g, const void *input, void *output) {
    const ref_axis *A = g->ax;
    for (int64_t n = 0; n < g->batch; n++)
    for (int64_t c = 0; c < g->channels; c++)
    for (int64_t od = 0; od < A[0].out; od++)
    for (int64_t oh = 0; oh < A[1].out; oh++)
    for (int64_t ow = 0; ow < A[2].out; ow++) {
        double sum = 0.0;
        float fsum = 0.0f;
        int64_t real = 0;
        ref_i128 padded = 1; /* huge kernels: the window area may pass int64 */
        int64_t o[3] = {od, oh, ow}, lo[3], hi[3];
        for (int i = 0; i < 3; i++) {
            int64_t taps;
            ref_taps(&A[i], o[i], &lo[i], &hi[i], &taps);
            padded *= taps;
        }
        for (int64_t kd = lo[0]; kd < hi[0]; kd++)
        for (int64_t kh = lo[1]; kh < hi[1]; kh++)
        for (int64_t kw = lo[2]; kw < hi[2]; kw++) {
            int64_t d = ref_coord(&A[0], od, kd), h = ref_coord(&A[1], oh, kh), w = ref_coord(&A[2], ow, kw);
            if (d < 0 || d >= A[0].in || h < 0 || h >= A[1].in || w < 0 || w >= A[2].in) continue;
            double v = ref_load(g, input, ref_offset(g, n, c, (d * A[1].in + h) * A[2].in + w, g->in_plane));
            sum += v;
            fsum += (float)v; /* exact: every element type here widens to float */
            real++;
        }
        ref_i128 divisor = g->divisor_override ? g->divisor_override : g->count_include_pad ? padded : real;
        int64_t q = ref_offset(g, n, c, (od * A[1].out + oh) * A[2].out + ow, g->out_plane);
        ref_store(g, output, q, divisor == 0 ? 0.0
                                : g->dtype == SWIFTPOOL_DTYPE_FLOAT64 ? sum / (double)divisor
                                                                      : (double)(fsum / (float)divisor));
    }
}

/* Upper bound of the work of a call (for keeping fuzz/test work small): output
 * elements times real taps per window, plus the brute-force tap scans. */
static inline ref_i128 ref_work(const ref_geom *g) {
    ref_i128 taps = 1, scan = 0;
    for (int i = 0; i < 3; i++) {
        int64_t k = g->ax[i].kernel, in = g->ax[i].in;
        taps *= k < in ? k : in;
        scan += k <= 4096 ? k : 1;
    }
    ref_i128 per_plane_outputs = g->out_plane > 0 ? g->out_plane : 1;
    ref_i128 outs = g->batch * g->channels * per_plane_outputs;
    return outs * (taps + scan) + g->in_elems;
}

#endif /* SWIFTPOOL_REF_POOL_H */
