/*
 * test_capi.c — tests every function of include/swiftpool.h through the C ABI.
 *
 * Built twice by `make test-c`: as C99 and as C++17 (-x c++), so the header and
 * this file must stay valid in both languages (no designated initializers, no
 * implicit void* conversions, no compound literals).
 *
 * Expected values come from a naive reference written here from the header's
 * definitions (not from the library), and from small results computed by hand and
 * checked against PyTorch 2.x (torch.nn.functional.*_pool*d) or ONNX Runtime.
 *
 * Output: one line per failed check on stderr, then "N passed, N failed" alone on
 * the last line of stdout. Exit status 1 when anything failed.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* pthread_barrier_t, sysconf under -std=c99 */
#endif

#include "swiftpool.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* =========================================================================
 * Harness
 * ========================================================================= */

static int g_passed = 0;
static int g_failed = 0;
static char g_context[200] = ""; /* printed with failures inside loops */

static void set_context(const char *text) {
    snprintf(g_context, sizeof g_context, "%s", text);
}

static void check_at(int ok, const char *file, int line, const char *what) {
    if (ok) {
        g_passed++;
        return;
    }
    g_failed++;
    fprintf(stderr, "FAIL %s:%d: %s%s%s%s\n", file, line, what, g_context[0] ? "  [" : "",
            g_context, g_context[0] ? "]" : "");
}

static void check_status_at(int32_t got, int32_t want, const char *file, int line,
                            const char *expr) {
    if (got == want) {
        g_passed++;
        return;
    }
    /* Copy the message before calling status_string, which is also an API call. */
    char message[512];
    snprintf(message, sizeof message, "%s", swiftpool_last_error_message());
    g_failed++;
    fprintf(stderr, "FAIL %s:%d: %s\n    got %s (%d), want %s (%d); last error: \"%s\"%s%s%s\n",
            file, line, expr, swiftpool_status_string(got), (int)got,
            swiftpool_status_string(want), (int)want, message, g_context[0] ? "  [" : "",
            g_context, g_context[0] ? "]" : "");
}

#define CHECK(cond) check_at((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define CHECK_STATUS(expr, want) check_status_at((expr), (want), __FILE__, __LINE__, #expr)

/* The last error message of this thread contains `needle` (a string literal). */
#define CHECK_MESSAGE_HAS(needle)                                                         \
    check_at(strstr(swiftpool_last_error_message(), (needle)) != NULL, __FILE__, __LINE__, \
             "last_error_message contains \"" needle "\"")
#define CHECK_NO_MESSAGE() CHECK(strcmp(swiftpool_last_error_message(), "") == 0)

/* =========================================================================
 * Small helpers
 * ========================================================================= */

#define SENTINEL_BYTE 0xA5 /* fills buffers that a call must not write */
#define SENTINEL_I ((int64_t)-777)

static void *xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static int all_bytes(const void *p, size_t n, unsigned char v) {
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v) return 0;
    return 1;
}
static int all_i(const int64_t *p, int64_t n, int64_t v) {
    for (int64_t i = 0; i < n; i++)
        if (p[i] != v) return 0;
    return 1;
}

/* Deterministic xorshift PRNG, so failures reproduce. */
static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint32_t rng_next(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 32);
}

/* ---- Element types: every dtype is loaded into / stored from a double. ---- */

#define FIRST_DTYPE SWIFTPOOL_DTYPE_FLOAT32
#define LAST_DTYPE SWIFTPOOL_DTYPE_INT8

static const char *dtype_name(int32_t dtype) {
    switch (dtype) {
    case SWIFTPOOL_DTYPE_FLOAT32: return "f32";
    case SWIFTPOOL_DTYPE_FLOAT64: return "f64";
    case SWIFTPOOL_DTYPE_FLOAT16: return "f16";
    case SWIFTPOOL_DTYPE_BFLOAT16: return "bf16";
    case SWIFTPOOL_DTYPE_UINT8: return "u8";
    case SWIFTPOOL_DTYPE_INT8: return "i8";
    default: return "?";
    }
}
static size_t dtype_size(int32_t dtype) {
    switch (dtype) {
    case SWIFTPOOL_DTYPE_FLOAT64: return 8;
    case SWIFTPOOL_DTYPE_FLOAT16:
    case SWIFTPOOL_DTYPE_BFLOAT16: return 2;
    case SWIFTPOOL_DTYPE_UINT8:
    case SWIFTPOOL_DTYPE_INT8: return 1;
    default: return 4;
    }
}
static int dtype_is_float(int32_t dtype) {
    return dtype != SWIFTPOOL_DTYPE_UINT8 && dtype != SWIFTPOOL_DTYPE_INT8;
}

/* IEEE binary16 <-> double, round to nearest even (no _Float16 needed). */
static double half_to_double(uint16_t h) {
    int sign = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v;
    if (e == 0x1f) v = m ? NAN : INFINITY;
    else if (e == 0) v = ldexp((double)m, -24);
    else v = ldexp((double)(m | 0x400), e - 25);
    return sign ? -v : v;
}
static uint16_t half_from_double(double v) {
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    if (isnan(v)) return (uint16_t)(sign | 0x7e00);
    v = fabs(v);
    if (v >= 65520.0) return (uint16_t)(sign | 0x7c00); /* rounds to infinity */
    if (v < ldexp(1.0, -14)) /* subnormal: a multiple of 2^-24 (1024 is the smallest normal) */
        return (uint16_t)(sign | (uint16_t)rint(ldexp(v, 24)));
    int e;
    (void)frexp(v, &e); /* 2^(e-1) <= v < 2^e */
    double m = rint(ldexp(v, 11 - e)); /* 11-bit significand, 1024..2048 */
    int exp_bits = e - 1 + 15;
    if (m == 2048.0) { /* rounding carried into the exponent */
        m = 1024.0;
        exp_bits++;
    }
    if (exp_bits >= 31) return (uint16_t)(sign | 0x7c00);
    return (uint16_t)(sign | (exp_bits << 10) | ((uint16_t)m - 1024));
}
/* bfloat16 is the top half of a float32. */
static double bf16_to_double(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return (double)f;
}
static uint16_t bf16_from_double(double v) {
    float f = (float)v;
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    if (isnan(f)) return (uint16_t)((bits >> 16) | 0x40);
    bits += 0x7fff + ((bits >> 16) & 1); /* round to nearest even */
    return (uint16_t)(bits >> 16);
}

static double load(const void *buf, int32_t dtype, int64_t i) {
    switch (dtype) {
    case SWIFTPOOL_DTYPE_FLOAT64: return ((const double *)buf)[i];
    case SWIFTPOOL_DTYPE_FLOAT16: return half_to_double(((const uint16_t *)buf)[i]);
    case SWIFTPOOL_DTYPE_BFLOAT16: return bf16_to_double(((const uint16_t *)buf)[i]);
    case SWIFTPOOL_DTYPE_UINT8: return (double)((const uint8_t *)buf)[i];
    case SWIFTPOOL_DTYPE_INT8: return (double)((const int8_t *)buf)[i];
    default: return (double)((const float *)buf)[i];
    }
}
static void store(void *buf, int32_t dtype, int64_t i, double v) {
    switch (dtype) {
    case SWIFTPOOL_DTYPE_FLOAT64: ((double *)buf)[i] = v; break;
    case SWIFTPOOL_DTYPE_FLOAT16: ((uint16_t *)buf)[i] = half_from_double(v); break;
    case SWIFTPOOL_DTYPE_BFLOAT16: ((uint16_t *)buf)[i] = bf16_from_double(v); break;
    case SWIFTPOOL_DTYPE_UINT8: ((uint8_t *)buf)[i] = (uint8_t)v; break;
    case SWIFTPOOL_DTYPE_INT8: ((int8_t *)buf)[i] = (int8_t)v; break;
    default: ((float *)buf)[i] = (float)v; break;
    }
}

/* The reference's -inf for a window wholly in the padding, in an integer type:
 * the type's lowest value (the header says -inf; integers have none). */
static double integer_lowest(int32_t dtype, double v) {
    if (isinf(v) && v < 0) return dtype == SWIFTPOOL_DTYPE_UINT8 ? 0.0 : -128.0;
    return v;
}

/* Max pooling selects, so it must be exact: same value and sign, NaN equals NaN.
 * (Every test input is exactly representable in its dtype.) */
static int same_value(double got, double want, int32_t dtype) {
    if (!dtype_is_float(dtype)) want = integer_lowest(dtype, want);
    if (isnan(got) || isnan(want)) return isnan(got) && isnan(want);
    return memcmp(&got, &want, sizeof got) == 0;
}
/* Average pooling divides and rounds: allow about one ulp of the element type. */
static int close_value(double got, double want, int32_t dtype) {
    if (isnan(got) || isnan(want)) return isnan(got) && isnan(want);
    if (isinf(got) || isinf(want)) return got == want;
    double rel = dtype == SWIFTPOOL_DTYPE_FLOAT64 ? 1e-13
                 : dtype == SWIFTPOOL_DTYPE_FLOAT32 ? 1e-6
                 : dtype == SWIFTPOOL_DTYPE_FLOAT16 ? 1.0 / 1024
                                                    : 1.0 / 128;
    /* float64 sums of mixed signs cancel: the summation order shows in the last
     * bits of the inputs' magnitude (up to ~1000 here), not of the result. */
    double floor_ = dtype == SWIFTPOOL_DTYPE_FLOAT64 ? 100.0 : 1e-3;
    double scale = fabs(want) > floor_ ? fabs(want) : floor_;
    return fabs(got - want) <= rel * scale;
}

static void desc_1d(swiftpool_pool_desc *d, int64_t in, int64_t k, int64_t s, int64_t p) {
    swiftpool_pool_desc_init(d, 1);
    d->input_size[0] = in;
    d->kernel_size[0] = k;
    d->stride[0] = s;
    d->padding[0] = p;
}

static void desc_2d(swiftpool_pool_desc *d, int64_t n, int64_t c, int64_t h, int64_t w,
                    int64_t k, int64_t s, int64_t p) {
    swiftpool_pool_desc_init(d, 2);
    d->batch = n;
    d->channels = c;
    d->input_size[0] = h;
    d->input_size[1] = w;
    d->kernel_size[0] = d->kernel_size[1] = k;
    d->stride[0] = d->stride[1] = s;
    d->padding[0] = d->padding[1] = p;
}

/* =========================================================================
 * Naive reference, written from the header's definitions
 * ========================================================================= */

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static int64_t ceil_div(int64_t a, int64_t b) {
    return -floor_div(-a, b);
}

/* out = floor_or_ceil((in + pb + pe - d(k-1) - 1) / s) + 1; ceil_mode drops a last
 * window that would start in the end padding. */
static int64_t ref_out_size(int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pe, int64_t d,
                            int ceil_mode) {
    int64_t num = in + pb + pe - d * (k - 1) - 1;
    int64_t out = (ceil_mode ? ceil_div(num, s) : floor_div(num, s)) + 1;
    if (ceil_mode && (out - 1) * s >= in + pb) out--;
    return out;
}

/* One axis after auto_pad / padding_end are resolved. */
typedef struct axis {
    int64_t in, k, s, pb, pe, d, out;
} axis;

/* ONNX auto_pad; padding_end -1 means "same as padding". */
static axis resolve_axis(int64_t in, int64_t k, int64_t s, int64_t p, int64_t pe, int64_t d,
                         int ceil_mode, int32_t auto_pad) {
    axis a;
    a.in = in, a.k = k, a.s = s, a.d = d;
    if (auto_pad == SWIFTPOOL_AUTO_PAD_NOTSET) {
        a.pb = p;
        a.pe = pe == -1 ? p : pe;
        a.out = ref_out_size(in, k, s, a.pb, a.pe, d, ceil_mode);
    } else if (auto_pad == SWIFTPOOL_AUTO_PAD_VALID) {
        a.pb = a.pe = 0;
        a.out = ceil_div(in - d * (k - 1), s);
    } else {
        a.out = ceil_div(in, s);
        int64_t total = (a.out - 1) * s + d * (k - 1) + 1 - in;
        if (total < 0) total = 0;
        a.pb = auto_pad == SWIFTPOOL_AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
        a.pe = total - a.pb;
    }
    return a;
}

/* A problem lifted to 3 spatial axes (leading axes of size 1). */
typedef struct geom {
    int64_t n, c;
    axis ax[3];
    int64_t in_plane, out_plane;
    int32_t layout;
} geom;

static void make_geom(const swiftpool_pool_desc *desc, geom *g) {
    int r = desc->spatial_rank;
    g->n = desc->batch;
    g->c = desc->channels;
    g->layout = desc->layout;
    g->in_plane = g->out_plane = 1;
    for (int a = 0; a < 3; a++) {
        int j = a - (3 - r);
        if (j < 0)
            g->ax[a] = resolve_axis(1, 1, 1, 0, -1, 1, 0, SWIFTPOOL_AUTO_PAD_NOTSET);
        else
            g->ax[a] = resolve_axis(desc->input_size[j], desc->kernel_size[j], desc->stride[j],
                                    desc->padding[j], desc->padding_end[j], desc->dilation[j],
                                    desc->ceil_mode, desc->auto_pad);
        g->in_plane *= g->ax[a].in;
        g->out_plane *= g->ax[a].out;
    }
}

/* Element offset of (n, c, position within the plane) in either layout. */
static int64_t elem_offset(const geom *g, int64_t n, int64_t c, int64_t pos, int64_t plane) {
    if (g->layout == SWIFTPOOL_LAYOUT_NCHW) return (n * g->c + c) * plane + pos;
    return (n * plane + pos) * g->c + c;
}

/* Index reported for input coordinates (i0, i1, i2) = (d, h, w), per the flags. */
static int64_t ref_index(const geom *g, uint32_t flags, int64_t n, int64_t c, const int64_t *i) {
    int64_t p;
    if (flags & SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR)
        p = (i[2] * g->ax[1].in + i[1]) * g->ax[0].in + i[0]; /* (w*H + h)*D + d */
    else
        p = (i[0] * g->ax[1].in + i[1]) * g->ax[2].in + i[2]; /* (d*H + h)*W + w */
    if (flags & SWIFTPOOL_FLAG_INDICES_GLOBAL) p += (n * g->c + c) * g->in_plane;
    return p;
}

/* Max pooling over x (doubles, in desc's layout) into y and idx. */
static void ref_max(const swiftpool_pool_desc *desc, const double *x, double *y, int64_t *idx) {
    geom g;
    make_geom(desc, &g);
    int nan_ignore = (desc->flags & SWIFTPOOL_FLAG_NAN_IGNORE) != 0;
    int64_t o[3];
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c; c++)
            for (o[0] = 0; o[0] < g.ax[0].out; o[0]++)
                for (o[1] = 0; o[1] < g.ax[1].out; o[1]++)
                    for (o[2] = 0; o[2] < g.ax[2].out; o[2]++) {
                        int64_t start[3], best_at[3], t[3], i[3], last_nan[3] = {-1, -1, -1};
                        for (int a = 0; a < 3; a++) {
                            start[a] = o[a] * g.ax[a].s - g.ax[a].pb;
                            /* Initial argmax: the first tap at or past 0 (PyTorch). */
                            best_at[a] = start[a];
                            while (best_at[a] < 0) best_at[a] += g.ax[a].d;
                        }
                        double best = -INFINITY;
                        int have = 0; /* NaN-ignore: a non-NaN value was seen */
                        for (t[0] = 0; t[0] < g.ax[0].k; t[0]++)
                            for (t[1] = 0; t[1] < g.ax[1].k; t[1]++)
                                for (t[2] = 0; t[2] < g.ax[2].k; t[2]++) {
                                    int real = 1;
                                    for (int a = 0; a < 3; a++) {
                                        i[a] = start[a] + t[a] * g.ax[a].d;
                                        real &= i[a] >= 0 && i[a] < g.ax[a].in;
                                    }
                                    if (!real) continue; /* padding never wins */
                                    int64_t pos = (i[0] * g.ax[1].in + i[1]) * g.ax[2].in + i[2];
                                    double v = x[elem_offset(&g, n, c, pos, g.in_plane)];
                                    int take;
                                    if (nan_ignore) {
                                        if (isnan(v)) {
                                            memcpy(last_nan, i, sizeof i);
                                            continue;
                                        }
                                        take = !have || v > best;
                                        have = 1;
                                    } else {
                                        /* PyTorch: larger or NaN replaces, so of several
                                         * NaNs the last wins; ties keep the first. */
                                        take = v > best || isnan(v);
                                    }
                                    if (take) {
                                        best = v;
                                        memcpy(best_at, i, sizeof i);
                                    }
                                }
                        if (nan_ignore && !have && last_nan[0] >= 0) {
                            best = NAN; /* all-NaN window: NaN at its last NaN */
                            memcpy(best_at, last_nan, sizeof last_nan);
                        }
                        int64_t opos = (o[0] * g.ax[1].out + o[1]) * g.ax[2].out + o[2];
                        int64_t at = elem_offset(&g, n, c, opos, g.out_plane);
                        y[at] = best;
                        if (idx) idx[at] = ref_index(&g, desc->flags, n, c, best_at);
                    }
}

static void ref_avg(const swiftpool_pool_desc *desc, const double *x, double *y) {
    geom g;
    make_geom(desc, &g);
    int64_t o[3], t[3], i[3];
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c; c++)
            for (o[0] = 0; o[0] < g.ax[0].out; o[0]++)
                for (o[1] = 0; o[1] < g.ax[1].out; o[1]++)
                    for (o[2] = 0; o[2] < g.ax[2].out; o[2]++) {
                        int64_t start[3], padded = 1;
                        for (int a = 0; a < 3; a++) {
                            start[a] = o[a] * g.ax[a].s - g.ax[a].pb;
                            /* count_include_pad: taps inside [-pb, in + pe). */
                            int64_t taps = 0;
                            for (int64_t k = 0; k < g.ax[a].k; k++) {
                                int64_t at = start[a] + k * g.ax[a].d;
                                taps += at >= -g.ax[a].pb && at < g.ax[a].in + g.ax[a].pe;
                            }
                            padded *= taps;
                        }
                        /* PyTorch's arithmetic: a float sum for float32/16/bfloat16 (the
                         * model reads them widened, exactly), a double sum for float64,
                         * taps in scan order from +0, then one division in that type. */
                        double sum = 0.0;
                        float fsum = 0.0f;
                        int64_t real = 0;
                        for (t[0] = 0; t[0] < g.ax[0].k; t[0]++)
                            for (t[1] = 0; t[1] < g.ax[1].k; t[1]++)
                                for (t[2] = 0; t[2] < g.ax[2].k; t[2]++) {
                                    int ok = 1;
                                    for (int a = 0; a < 3; a++) {
                                        i[a] = start[a] + t[a] * g.ax[a].d;
                                        ok &= i[a] >= 0 && i[a] < g.ax[a].in;
                                    }
                                    if (!ok) continue;
                                    int64_t pos = (i[0] * g.ax[1].in + i[1]) * g.ax[2].in + i[2];
                                    double v = x[elem_offset(&g, n, c, pos, g.in_plane)];
                                    sum += v;
                                    fsum += (float)v;
                                    real++;
                                }
                        int64_t divisor = desc->divisor_override ? desc->divisor_override
                                          : desc->count_include_pad ? padded
                                                                    : real;
                        int64_t opos = (o[0] * g.ax[1].out + o[1]) * g.ax[2].out + o[2];
                        y[elem_offset(&g, n, c, opos, g.out_plane)] =
                            divisor == 0 ? 0.0
                            : desc->dtype == SWIFTPOOL_DTYPE_FLOAT64 ? sum / (double)divisor
                                                                     : (double)(fsum / (float)divisor);
                    }
}

/* =========================================================================
 * Version, status strings, error message basics
 * ========================================================================= */

static void test_version(void) {
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", SWIFTPOOL_VERSION_MAJOR,
             SWIFTPOOL_VERSION_MINOR, SWIFTPOOL_VERSION_PATCH);
    CHECK(swiftpool_version_number() == (uint32_t)SWIFTPOOL_VERSION_NUMBER);
    CHECK(SWIFTPOOL_VERSION_NUMBER == SWIFTPOOL_VERSION_MAJOR * 10000 +
                                          SWIFTPOOL_VERSION_MINOR * 100 + SWIFTPOOL_VERSION_PATCH);
    const char *v = swiftpool_version_string();
    CHECK(v != NULL && strcmp(v, expected) == 0);
    /* Static storage: still intact after other calls. */
    swiftpool_pool_desc d;
    swiftpool_pool_desc_init(&d, 2);
    CHECK(swiftpool_pool_desc_init(&d, 0) == SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK(v != NULL && strcmp(v, expected) == 0);
    CHECK(strcmp(swiftpool_version_string(), expected) == 0);
}

static void test_status_strings(void) {
    static const struct {
        int32_t code;
        const char *name;
    } known[] = {
        {SWIFTPOOL_OK, "SWIFTPOOL_OK"},
        {SWIFTPOOL_ERROR_NULL_POINTER, "SWIFTPOOL_ERROR_NULL_POINTER"},
        {SWIFTPOOL_ERROR_INVALID_ARGUMENT, "SWIFTPOOL_ERROR_INVALID_ARGUMENT"},
        {SWIFTPOOL_ERROR_INVALID_SHAPE, "SWIFTPOOL_ERROR_INVALID_SHAPE"},
        {SWIFTPOOL_ERROR_OVERFLOW, "SWIFTPOOL_ERROR_OVERFLOW"},
        {SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, "SWIFTPOOL_ERROR_BUFFER_TOO_SMALL"},
        {SWIFTPOOL_ERROR_UNSUPPORTED, "SWIFTPOOL_ERROR_UNSUPPORTED"},
        {SWIFTPOOL_ERROR_OUT_OF_MEMORY, "SWIFTPOOL_ERROR_OUT_OF_MEMORY"},
        {SWIFTPOOL_ERROR_INTERNAL, "SWIFTPOOL_ERROR_INTERNAL"},
    };
    /* The pinned numeric values themselves. */
    CHECK(SWIFTPOOL_OK == 0 && SWIFTPOOL_ERROR_NULL_POINTER == 1 &&
          SWIFTPOOL_ERROR_INVALID_ARGUMENT == 2 && SWIFTPOOL_ERROR_INVALID_SHAPE == 3 &&
          SWIFTPOOL_ERROR_OVERFLOW == 4 && SWIFTPOOL_ERROR_BUFFER_TOO_SMALL == 5 &&
          SWIFTPOOL_ERROR_UNSUPPORTED == 6 && SWIFTPOOL_ERROR_OUT_OF_MEMORY == 7 &&
          SWIFTPOOL_ERROR_INTERNAL == 99);
    CHECK(SWIFTPOOL_DTYPE_FLOAT32 == 1 && SWIFTPOOL_DTYPE_FLOAT64 == 2 &&
          SWIFTPOOL_DTYPE_FLOAT16 == 3 && SWIFTPOOL_DTYPE_BFLOAT16 == 4 &&
          SWIFTPOOL_DTYPE_UINT8 == 5 && SWIFTPOOL_DTYPE_INT8 == 6);
    CHECK(SWIFTPOOL_LAYOUT_NCHW == 1 && SWIFTPOOL_LAYOUT_NHWC == 2);
    CHECK(SWIFTPOOL_AUTO_PAD_NOTSET == 0 && SWIFTPOOL_AUTO_PAD_VALID == 1 &&
          SWIFTPOOL_AUTO_PAD_SAME_UPPER == 2 && SWIFTPOOL_AUTO_PAD_SAME_LOWER == 3);
    CHECK(SWIFTPOOL_FLAG_NAN_IGNORE == 1 && SWIFTPOOL_FLAG_INDICES_GLOBAL == 2 &&
          SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR == 4 && SWIFTPOOL_FLAG_LP_ONNX == 8);
    CHECK(SWIFTPOOL_SPP_MAX == 1 && SWIFTPOOL_SPP_AVG == 2 && SWIFTPOOL_SPP_BINS_ADAPTIVE == 1 &&
          SWIFTPOOL_SPP_BINS_SPPNET == 2);

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *s = swiftpool_status_string(known[i].code);
        set_context(known[i].name);
        CHECK(s != NULL && strcmp(s, known[i].name) == 0);
    }
    static const int32_t unknown[] = {-1, 8, 9, 42, 98, 100, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = swiftpool_status_string(unknown[i]);
        char ctx[48];
        snprintf(ctx, sizeof ctx, "unknown status %d", (int)unknown[i]);
        set_context(ctx);
        CHECK(s != NULL && strcmp(s, "SWIFTPOOL_UNKNOWN_STATUS") == 0);
    }
    set_context("");
}

static void test_error_message_lifecycle(void) {
    swiftpool_pool_desc d;
    float in[16] = {0}, out[4];
    int64_t shape[3];

    /* Success leaves "". */
    CHECK_STATUS(swiftpool_pool_desc_init(&d, 2), SWIFTPOOL_OK);
    CHECK(swiftpool_last_error_message() != NULL);
    CHECK_NO_MESSAGE();

    /* A failure names the function, the argument and the value. */
    desc_2d(&d, 1, 1, 4, 4, 2, 2, 0);
    d.stride[1] = 0;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, shape, NULL), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK(strlen(swiftpool_last_error_message()) > 0);
    CHECK_MESSAGE_HAS("stride");
    CHECK_MESSAGE_HAS("swiftpool_pool_output_shape");

    /* Reading it, or the status name to print beside it, does not clear it. */
    CHECK_MESSAGE_HAS("stride");
    (void)swiftpool_status_string(SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("stride");

    desc_2d(&d, 1, 1, 4, 4, 2, 2, 0);
    d.kernel_size[0] = -7;
    CHECK_STATUS(swiftpool_max_pool_forward(&d, in, 16, out, 4, NULL, 0),
                 SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("kernel_size");
    CHECK_MESSAGE_HAS("-7");
    CHECK_MESSAGE_HAS("swiftpool_max_pool_forward");

    /* The next successful call clears it, whatever function it is. */
    CHECK_STATUS(swiftpool_pool_desc_init(&d, 1), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();

    desc_2d(&d, 1, 1, 4, 4, 2, 2, 0);
    CHECK_STATUS(swiftpool_avg_pool_forward(NULL, in, 16, out, 4), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("desc");
    CHECK_MESSAGE_HAS("swiftpool_avg_pool_forward");
    CHECK_STATUS(swiftpool_avg_pool_forward(&d, in, 16, out, 4), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();

    CHECK_STATUS(swiftpool_pool_desc_init(&d, 9), SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("spatial_rank");
    CHECK_MESSAGE_HAS("9");
    CHECK_MESSAGE_HAS("swiftpool_pool_desc_init");
    desc_2d(&d, 1, 1, 4, 4, 2, 2, 0);
    CHECK_STATUS(swiftpool_pool_output_shape(&d, NULL, NULL), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();

    CHECK_STATUS(swiftpool_set_num_threads(-2), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("num_threads");
    CHECK_MESSAGE_HAS("swiftpool_set_num_threads");
    CHECK_STATUS(swiftpool_set_num_threads(0), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();
}

/* =========================================================================
 * Threads and kernel family
 * ========================================================================= */

/* SWIFTPOOL_NUM_THREADS when a positive integer, else the online CPU count. */
static int32_t expected_default_threads(void) {
    const char *env = getenv("SWIFTPOOL_NUM_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v > 0) return (int32_t)v;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (int32_t)cpus : 1;
}

typedef struct thread_setting_result {
    int32_t initial, after_set, after_reset;
    int32_t set_status, reset_status;
} thread_setting_result;

static void *thread_setting_main(void *arg) {
    thread_setting_result *r = (thread_setting_result *)arg;
    r->initial = swiftpool_get_num_threads();
    r->set_status = swiftpool_set_num_threads(5);
    r->after_set = swiftpool_get_num_threads();
    r->reset_status = swiftpool_set_num_threads(0);
    r->after_reset = swiftpool_get_num_threads();
    return NULL;
}

/* A problem large enough to be split across threads. */
static void run_big(int32_t threads, int average, int32_t layout, void *y, int64_t *idx) {
    swiftpool_pool_desc d;
    const int64_t n = 3, c = 5, h = 67, w = 61;
    static double *x = NULL;
    if (!x) {
        x = (double *)xmalloc((size_t)(n * c * h * w) * sizeof(double));
        for (int64_t i = 0; i < n * c * h * w; i++)
            x[i] = (double)(rng_next() % 100000) / 7.0 - 5000.0;
    }
    desc_2d(&d, n, c, h, w, 3, 2, 1);
    d.dtype = SWIFTPOOL_DTYPE_FLOAT64;
    d.layout = layout;
    d.ceil_mode = 1;
    d.count_include_pad = 0;
    CHECK_STATUS(swiftpool_set_num_threads(threads), SWIFTPOOL_OK);
    CHECK(swiftpool_get_num_threads() == threads);
    if (average)
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, n * c * h * w, y, n * c * 34 * 31), SWIFTPOOL_OK);
    else
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, n * c * h * w, y, n * c * 34 * 31, idx,
                                                n * c * 34 * 31),
                     SWIFTPOOL_OK);
}

static void test_threads(void) {
    int32_t def = expected_default_threads();
    CHECK(swiftpool_get_num_threads() == def);
    CHECK(swiftpool_get_num_threads() >= 1);

    CHECK_STATUS(swiftpool_set_num_threads(1), SWIFTPOOL_OK);
    CHECK(swiftpool_get_num_threads() == 1);
    CHECK_STATUS(swiftpool_set_num_threads(3), SWIFTPOOL_OK);
    CHECK(swiftpool_get_num_threads() == 3);
    CHECK_STATUS(swiftpool_set_num_threads(-1), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK(swiftpool_get_num_threads() == 3); /* a rejected value changes nothing */
    CHECK_STATUS(swiftpool_set_num_threads(INT32_MIN), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK(swiftpool_get_num_threads() == 3);

    /* The setting is per calling thread: a new thread starts at the default, and
     * its own changes do not leak back here. */
    thread_setting_result r;
    pthread_t t;
    memset(&r, 0, sizeof r);
    CHECK(pthread_create(&t, NULL, thread_setting_main, &r) == 0);
    pthread_join(t, NULL);
    CHECK(r.initial == def);
    CHECK(r.set_status == SWIFTPOOL_OK && r.after_set == 5);
    CHECK(r.reset_status == SWIFTPOOL_OK && r.after_reset == def);
    CHECK(swiftpool_get_num_threads() == 3);

    CHECK_STATUS(swiftpool_set_num_threads(0), SWIFTPOOL_OK); /* back to the default */
    CHECK(swiftpool_get_num_threads() == def);

    /* Results are bitwise identical for every thread count. */
    const size_t count = 3 * 5 * 34 * 31;
    static const int32_t counts[] = {1, 2, 3, 4, 7};
    for (int32_t layout = SWIFTPOOL_LAYOUT_NCHW; layout <= SWIFTPOOL_LAYOUT_NHWC; layout++)
        for (int average = 0; average <= 1; average++) {
            double *y1 = (double *)xmalloc(count * sizeof(double));
            double *yn = (double *)xmalloc(count * sizeof(double));
            int64_t *i1 = (int64_t *)xmalloc(count * sizeof(int64_t));
            int64_t *in_ = (int64_t *)xmalloc(count * sizeof(int64_t));
            run_big(1, average, layout, y1, i1);
            for (size_t k = 1; k < sizeof counts / sizeof counts[0]; k++) {
                char ctx[64];
                snprintf(ctx, sizeof ctx, "%s %s, %d threads", average ? "avg" : "max",
                         layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC", (int)counts[k]);
                set_context(ctx);
                memset(yn, SENTINEL_BYTE, count * sizeof(double));
                memset(in_, SENTINEL_BYTE, count * sizeof(int64_t));
                run_big(counts[k], average, layout, yn, in_);
                CHECK(memcmp(y1, yn, count * sizeof(double)) == 0);
                if (!average) CHECK(memcmp(i1, in_, count * sizeof(int64_t)) == 0);
            }
            set_context("");
            free(y1);
            free(yn);
            free(i1);
            free(in_);
        }
    CHECK_STATUS(swiftpool_set_num_threads(0), SWIFTPOOL_OK);
}

static void test_isa(void) {
    const char *isa = swiftpool_isa();
    CHECK(isa != NULL);
    if (!isa) return;
    CHECK(strcmp(isa, "avx2") == 0 || strcmp(isa, "baseline") == 0);
    const char *cap = getenv("SWIFTPOOL_MAX_ISA");
    if (cap && strcmp(cap, "baseline") == 0) CHECK(strcmp(isa, "baseline") == 0);
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    if (!__builtin_cpu_supports("avx2")) CHECK(strcmp(isa, "baseline") == 0);
#else
    CHECK(strcmp(isa, "baseline") == 0); /* avx2 exists only on x86 */
#endif
    /* Chosen once per process, in static storage. */
    CHECK(strcmp(swiftpool_isa(), isa) == 0);
    printf("kernel family: %s, default threads: %d\n", isa, (int)expected_default_threads());
}

/* =========================================================================
 * Descriptor init
 * ========================================================================= */

static void test_desc_init(void) {
    for (int32_t r = 1; r <= SWIFTPOOL_MAX_SPATIAL_RANK; r++) {
        swiftpool_pool_desc d;
        char ctx[32];
        snprintf(ctx, sizeof ctx, "desc_init rank %d", (int)r);
        set_context(ctx);
        memset(&d, 0xA5, sizeof d);
        CHECK_STATUS(swiftpool_pool_desc_init(&d, r), SWIFTPOOL_OK);
        CHECK(d.struct_size == (uint32_t)sizeof(swiftpool_pool_desc));
        CHECK(d.dtype == SWIFTPOOL_DTYPE_FLOAT32);
        CHECK(d.layout == SWIFTPOOL_LAYOUT_NCHW);
        CHECK(d.spatial_rank == r);
        CHECK(d.batch == 1);
        CHECK(d.channels == 1);
        for (int a = 0; a < SWIFTPOOL_MAX_SPATIAL_RANK; a++) {
            CHECK(d.input_size[a] == 1);
            CHECK(d.kernel_size[a] == 1);
            CHECK(d.stride[a] == 1);
            CHECK(d.dilation[a] == 1);
            CHECK(d.padding[a] == 0);
            CHECK(d.padding_end[a] == -1);
        }
        CHECK(d.ceil_mode == 0);
        CHECK(d.count_include_pad == 1);
        CHECK(d.divisor_override == 0);
        CHECK(d.auto_pad == SWIFTPOOL_AUTO_PAD_NOTSET);
        CHECK(d.flags == 0);
        /* The defaults are a valid identity problem. */
        int64_t elems = -1;
        CHECK_STATUS(swiftpool_pool_output_shape(&d, NULL, &elems), SWIFTPOOL_OK);
        CHECK(elems == 1);
    }
    set_context("");

    /* Bad rank and NULL: status, and nothing written. */
    static const int32_t bad_ranks[] = {0, 4, -1, 100, INT32_MIN};
    for (size_t i = 0; i < sizeof bad_ranks / sizeof bad_ranks[0]; i++) {
        swiftpool_pool_desc d, before;
        memset(&d, 0x5A, sizeof d);
        before = d;
        CHECK_STATUS(swiftpool_pool_desc_init(&d, bad_ranks[i]), SWIFTPOOL_ERROR_UNSUPPORTED);
        CHECK(memcmp(&d, &before, sizeof d) == 0);
        CHECK(strlen(swiftpool_last_error_message()) > 0);
    }
    CHECK_STATUS(swiftpool_pool_desc_init(NULL, 2), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("desc");
}

/* =========================================================================
 * Output shape
 * ========================================================================= */

/* Expects OK with the given 1D output size (padding_end -1: symmetric). */
static void expect_shape_1d(int64_t in, int64_t k, int64_t s, int64_t p, int64_t pe, int64_t dil,
                            int ceil_mode, int32_t auto_pad, int64_t want, int line) {
    swiftpool_pool_desc d;
    int64_t size[3] = {SENTINEL_I, SENTINEL_I, SENTINEL_I};
    int64_t elems = SENTINEL_I;
    char ctx[64];
    snprintf(ctx, sizeof ctx, "expect_shape_1d at line %d", line);
    set_context(ctx);
    desc_1d(&d, in, k, s, p);
    d.padding_end[0] = pe;
    d.dilation[0] = dil;
    d.ceil_mode = ceil_mode;
    d.auto_pad = auto_pad;
    d.batch = 2;
    d.channels = 3;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == want);
    CHECK(size[1] == SENTINEL_I && size[2] == SENTINEL_I); /* only spatial_rank entries */
    CHECK(elems == 6 * want);
    CHECK(resolve_axis(in, k, s, p, pe, dil, ceil_mode, auto_pad).out == want); /* reference agrees */
    set_context("");
}

static void test_output_shape(void) {
    const int32_t NOTSET = SWIFTPOOL_AUTO_PAD_NOTSET, VALID = SWIFTPOOL_AUTO_PAD_VALID,
                  UPPER = SWIFTPOOL_AUTO_PAD_SAME_UPPER, LOWER = SWIFTPOOL_AUTO_PAD_SAME_LOWER;
    /* Computed by hand from the header's formula. T: torch agrees, O: onnxruntime agrees. */
    /*              in   k  s  p  pe  d  ceil auto   out */
    expect_shape_1d(5, 2, 2, 1, -1, 1, 1, NOTSET, 3, __LINE__);  /* T ceil: 4th window starts in padding */
    expect_shape_1d(5, 2, 2, 1, -1, 1, 0, NOTSET, 3, __LINE__);  /* T */
    expect_shape_1d(6, 3, 2, 1, -1, 1, 1, NOTSET, 4, __LINE__);  /* T ceil(5/2)+1, 3*2 < 7 keeps it */
    expect_shape_1d(6, 3, 2, 1, -1, 1, 0, NOTSET, 3, __LINE__);  /* T */
    expect_shape_1d(55, 3, 2, 0, -1, 1, 0, NOTSET, 27, __LINE__); /* T AlexNet pool1 */
    expect_shape_1d(55, 3, 2, 0, -1, 1, 1, NOTSET, 27, __LINE__); /* T */
    expect_shape_1d(56, 3, 2, 0, -1, 1, 0, NOTSET, 27, __LINE__); /* T */
    expect_shape_1d(56, 3, 2, 0, -1, 1, 1, NOTSET, 28, __LINE__); /* T ceil(53/2)+1 */
    expect_shape_1d(10, 3, 1, 0, -1, 2, 0, NOTSET, 6, __LINE__);  /* T dilation 2: span 5 */
    expect_shape_1d(2, 4, 3, 0, -1, 1, 1, NOTSET, 1, __LINE__);   /* T ceil(-2/3)+1: window > input */
    expect_shape_1d(7, 1, 1, 0, -1, 1, 0, NOTSET, 7, __LINE__);   /* T identity */
    expect_shape_1d(7, 7, 1, 3, -1, 1, 0, NOTSET, 7, __LINE__);   /* T "same" padding */
    expect_shape_1d(8, 2, 3, 0, -1, 1, 0, NOTSET, 3, __LINE__);   /* T stride > kernel */
    expect_shape_1d(8, 2, 3, 0, -1, 1, 1, NOTSET, 3, __LINE__);   /* T */
    expect_shape_1d(9, 2, 3, 0, -1, 1, 1, NOTSET, 3, __LINE__);   /* T ceil(7/3)+1 = 4, 3*3 >= 9: dropped */
    expect_shape_1d(2, 2, 1, 1, -1, 3, 0, NOTSET, 1, __LINE__);   /* T window wholly in padding */
    /* Asymmetric padding (ONNX pads = [begin, end]). */
    expect_shape_1d(5, 3, 2, 2, 0, 1, 0, NOTSET, 3, __LINE__);    /* O floor(4/2)+1 */
    expect_shape_1d(5, 3, 2, 0, 2, 1, 0, NOTSET, 3, __LINE__);
    expect_shape_1d(5, 3, 2, 0, 2, 1, 1, NOTSET, 3, __LINE__);    /* ceil(4/2)+1, 2*2 < 5 */
    expect_shape_1d(6, 3, 2, 0, 2, 1, 1, NOTSET, 3, __LINE__);    /* ceil(5/2)+1 = 4, 3*2 >= 6+0: dropped */
    expect_shape_1d(4, 2, 2, 0, 1, 1, 1, NOTSET, 2, __LINE__);    /* ceil(3/2)+1 = 3, 2*2 >= 4: dropped */
    expect_shape_1d(4, 3, 1, 2, 2, 1, 0, NOTSET, 6, __LINE__);    /* pads up to kernel-1 on each side */
    /* auto_pad. */
    expect_shape_1d(5, 2, 2, 0, -1, 1, 0, UPPER, 3, __LINE__);    /* O ceil(5/2) */
    expect_shape_1d(5, 2, 2, 0, -1, 1, 0, LOWER, 3, __LINE__);    /* O */
    expect_shape_1d(5, 2, 2, 0, -1, 1, 0, VALID, 2, __LINE__);    /* O ceil((5-1)/2) */
    expect_shape_1d(5, 2, 2, 0, -1, 1, 1, VALID, 2, __LINE__);    /*   ceil_mode ignored (ORT says 3) */
    expect_shape_1d(10, 3, 4, 0, -1, 1, 1, VALID, 2, __LINE__);   /*   ceil(8/4); ceil_mode would give 3 */
    expect_shape_1d(10, 3, 4, 0, -1, 1, 1, UPPER, 3, __LINE__);   /*   ceil(10/4) */
    expect_shape_1d(7, 3, 1, 0, -1, 3, 0, UPPER, 7, __LINE__);    /*   dilated: pads 3 + 3 */
    expect_shape_1d(7, 3, 1, 0, -1, 3, 0, VALID, 1, __LINE__);    /*   ceil((7-6)/1) */

    swiftpool_pool_desc d;
    int64_t size[3] = {SENTINEL_I, SENTINEL_I, SENTINEL_I};
    int64_t elems = 0;
    desc_2d(&d, 2, 3, 7, 6, 2, 2, 0);
    CHECK_STATUS(swiftpool_pool_output_shape(&d, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == 3 && size[1] == 3 && size[2] == SENTINEL_I);
    CHECK(elems == 2 * 3 * 3 * 3);

    /* T: (5,6,7) k(2,3,2) s(2,2,1) p(1,1,0) ceil -> (3,4,6). */
    swiftpool_pool_desc_init(&d, 3);
    d.channels = 4;
    d.input_size[0] = 5, d.input_size[1] = 6, d.input_size[2] = 7;
    d.kernel_size[0] = 2, d.kernel_size[1] = 3, d.kernel_size[2] = 2;
    d.stride[0] = 2, d.stride[1] = 2, d.stride[2] = 1;
    d.padding[0] = 1, d.padding[1] = 1, d.padding[2] = 0;
    d.ceil_mode = 1;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == 3 && size[1] == 4 && size[2] == 6);
    CHECK(elems == 4 * 3 * 4 * 6);

    /* Either output may be NULL. */
    int64_t only_size[3] = {0, 0, 0};
    int64_t only_elems = 0;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, NULL, NULL), SWIFTPOOL_OK);
    CHECK_STATUS(swiftpool_pool_output_shape(&d, only_size, NULL), SWIFTPOOL_OK);
    CHECK(only_size[0] == 3 && only_size[1] == 4 && only_size[2] == 6);
    CHECK_STATUS(swiftpool_pool_output_shape(&d, NULL, &only_elems), SWIFTPOOL_OK);
    CHECK(only_elems == 4 * 3 * 4 * 6);

    /* Layout, dtype and flags do not change the shape. */
    d.layout = SWIFTPOOL_LAYOUT_NHWC;
    d.dtype = SWIFTPOOL_DTYPE_FLOAT64;
    d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == 3 && size[1] == 4 && size[2] == 6 && elems == 4 * 3 * 4 * 6);

    /* Batch 0 is valid: zero elements. */
    d.batch = 0;
    elems = SENTINEL_I;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, size, &elems), SWIFTPOOL_OK);
    CHECK(elems == 0);
    CHECK(size[0] == 3 && size[1] == 4 && size[2] == 6);

    /* Entries past spatial_rank are ignored, even if invalid. */
    desc_1d(&d, 10, 2, 2, 0);
    d.input_size[1] = d.kernel_size[1] = d.stride[1] = d.dilation[1] = 0;
    d.input_size[2] = d.kernel_size[2] = d.stride[2] = d.dilation[2] = -5;
    d.padding[1] = d.padding[2] = 99;
    d.padding_end[1] = d.padding_end[2] = -9;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == 5 && elems == 5);

    /* Large but representable sizes are fine. */
    desc_1d(&d, (int64_t)1 << 40, 2, 2, 0);
    CHECK_STATUS(swiftpool_pool_output_shape(&d, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == (int64_t)1 << 39 && elems == (int64_t)1 << 39);
    /* 2^60 float32 elements are 2^62 bytes: fine. (As float64: see the overflow tests.) */
    desc_1d(&d, 1, 1, 1, 0);
    d.batch = (int64_t)1 << 30;
    d.channels = (int64_t)1 << 30;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, NULL, &elems), SWIFTPOOL_OK);
    CHECK(elems == (int64_t)1 << 60);
    set_context("");
}

/* =========================================================================
 * Forward passes against the reference
 * ========================================================================= */

typedef struct pool_case {
    const char *name;
    int32_t rank;
    int64_t n, c;
    int64_t in[3], k[3], s[3], p[3], pe[3], d[3];
    int32_t ceil_mode, count_include_pad;
    int64_t divisor_override;
    int32_t auto_pad;
} pool_case;

#define SYM {-1, -1, -1} /* padding_end: same as padding */
#define NOPAD {0, 0, 0}
#define ONES {1, 1, 1}

static const pool_case g_cases[] = {
    /* name                         rank n  c  input        kernel     stride     padding    pad_end    dilation  ceil cip div auto */
    {"2d k2 s2",                    2, 2, 3, {7, 6, 0},  {2, 2, 0}, {2, 2, 0}, NOPAD,     SYM,       ONES,      0, 1, 0, 0},
    {"2d k3 s2 p1 ceil",            2, 1, 2, {9, 8, 0},  {3, 3, 0}, {2, 2, 0}, {1, 1, 0}, SYM,       ONES,      1, 1, 0, 0},
    {"2d k3 s2 p1 ceil nopad",      2, 1, 2, {9, 8, 0},  {3, 3, 0}, {2, 2, 0}, {1, 1, 0}, SYM,       ONES,      1, 0, 0, 0},
    {"2d k3 s2 p1 ceil in6",        2, 2, 2, {6, 6, 0},  {3, 3, 0}, {2, 2, 0}, {1, 1, 0}, SYM,       ONES,      1, 1, 0, 0},
    {"2d k3 s2 p1 ceil in6 nopad",  2, 2, 2, {6, 6, 0},  {3, 3, 0}, {2, 2, 0}, {1, 1, 0}, SYM,       ONES,      1, 0, 0, 0},
    {"2d anisotropic divisor 3",    2, 2, 1, {5, 7, 0},  {3, 2, 0}, {2, 1, 0}, {1, 0, 0}, SYM,       ONES,      0, 1, 3, 0},
    {"2d divisor 1 ceil",           2, 1, 3, {5, 7, 0},  {2, 3, 0}, {2, 2, 0}, {1, 1, 0}, SYM,       ONES,      1, 0, 1, 0},
    {"2d k1 identity",              2, 1, 2, {3, 4, 0},  {1, 1, 0}, {1, 1, 0}, NOPAD,     SYM,       ONES,      0, 1, 0, 0},
    {"2d stride > kernel ceil",     2, 1, 2, {8, 9, 0},  {2, 2, 0}, {3, 3, 0}, NOPAD,     SYM,       ONES,      1, 1, 0, 0},
    {"2d window > input ceil",      2, 1, 1, {2, 2, 0},  {4, 4, 0}, {3, 3, 0}, NOPAD,     SYM,       ONES,      1, 1, 0, 0},
    {"2d alexnet 3x3 s2",           2, 1, 3, {13, 13, 0},{3, 3, 0}, {2, 2, 0}, NOPAD,     SYM,       ONES,      0, 1, 0, 0},
    {"2d dilation 2",               2, 1, 3, {10, 9, 0}, {3, 3, 0}, {1, 2, 0}, {1, 1, 0}, SYM,       {2, 2, 0}, 0, 1, 0, 0},
    {"2d dilation 2 nopad",         2, 1, 3, {10, 9, 0}, {3, 3, 0}, {1, 2, 0}, {1, 1, 0}, SYM,       {2, 2, 0}, 0, 0, 0, 0},
    {"2d dilation (2,1) ceil",      2, 2, 1, {6, 6, 0},  {2, 3, 0}, {2, 2, 0}, {1, 1, 0}, SYM,       {2, 1, 0}, 1, 1, 0, 0},
    {"2d empty windows (dilation)", 2, 1, 2, {4, 5, 0},  {2, 2, 0}, {1, 2, 0}, {1, 0, 0}, SYM,       {5, 1, 0}, 0, 1, 0, 0},
    {"2d empty windows nopad",      2, 1, 2, {4, 5, 0},  {2, 2, 0}, {1, 2, 0}, {1, 0, 0}, SYM,       {5, 1, 0}, 0, 0, 0, 0},
    {"2d asym pads ceil",           2, 1, 2, {7, 8, 0},  {3, 3, 0}, {2, 2, 0}, {0, 2, 0}, {2, 1, 0}, ONES,      1, 1, 0, 0},
    {"2d asym pads ceil nopad",     2, 1, 2, {7, 8, 0},  {3, 3, 0}, {2, 2, 0}, {0, 2, 0}, {2, 1, 0}, ONES,      1, 0, 0, 0},
    {"2d same_upper",               2, 2, 2, {7, 8, 0},  {3, 2, 0}, {2, 3, 0}, NOPAD,     SYM,       ONES,      0, 1, 0, 2},
    {"2d same_upper nopad",         2, 2, 2, {7, 8, 0},  {3, 2, 0}, {2, 3, 0}, NOPAD,     SYM,       ONES,      0, 0, 0, 2},
    {"2d same_lower ceil",          2, 2, 2, {7, 8, 0},  {3, 2, 0}, {2, 3, 0}, NOPAD,     SYM,       ONES,      1, 1, 0, 3},
    {"2d same_lower nopad",         2, 2, 2, {7, 8, 0},  {3, 4, 0}, {2, 3, 0}, NOPAD,     SYM,       ONES,      0, 0, 0, 3},
    {"2d valid ceil ignored",       2, 1, 2, {10, 9, 0}, {3, 2, 0}, {4, 2, 0}, NOPAD,     SYM,       ONES,      1, 1, 0, 1},
    {"1d k3 s2 p1 ceil",            1, 2, 3, {11, 0, 0}, {3, 0, 0}, {2, 0, 0}, {1, 0, 0}, SYM,       ONES,      1, 1, 0, 0},
    {"1d in5 k2 s2 p1 ceil drop",   1, 1, 2, {5, 0, 0},  {2, 0, 0}, {2, 0, 0}, {1, 0, 0}, SYM,       ONES,      1, 0, 0, 0},
    {"1d dilation 3 ceil",          1, 1, 1, {13, 0, 0}, {4, 0, 0}, {3, 0, 0}, {2, 0, 0}, SYM,       {3, 0, 0}, 1, 1, 0, 0},
    {"1d asym pads 2/0",            1, 2, 2, {11, 0, 0}, {3, 0, 0}, {2, 0, 0}, {2, 0, 0}, {0, 0, 0}, ONES,      0, 1, 0, 0},
    {"1d asym pads 0/2 ceil nopad", 1, 2, 2, {11, 0, 0}, {3, 0, 0}, {2, 0, 0}, {0, 0, 0}, {2, 0, 0}, ONES,      1, 0, 0, 0},
    {"1d same_upper dilation",      1, 1, 3, {9, 0, 0},  {3, 0, 0}, {2, 0, 0}, NOPAD,     SYM,       {2, 0, 0}, 0, 1, 0, 2},
    {"3d ceil pad",                 3, 1, 2, {5, 6, 7},  {2, 3, 2}, {2, 2, 1}, {1, 1, 0}, SYM,       ONES,      1, 1, 0, 0},
    {"3d ceil pad nopad",           3, 1, 2, {5, 6, 7},  {2, 3, 2}, {2, 2, 1}, {1, 1, 0}, SYM,       ONES,      1, 0, 0, 0},
    {"3d dilation",                 3, 2, 2, {4, 5, 6},  {2, 2, 3}, {1, 2, 2}, {0, 1, 1}, SYM,       {2, 1, 2}, 0, 1, 0, 0},
    {"3d k3 s3 p1 ceil divisor 2",  3, 1, 1, {3, 4, 5},  {3, 3, 3}, {3, 3, 3}, {1, 1, 1}, SYM,       ONES,      1, 0, 2, 0},
    {"3d asym pads dilation",       3, 1, 2, {5, 6, 7},  {2, 3, 2}, {1, 2, 2}, {1, 0, 1}, {0, 2, 1}, {2, 1, 3}, 1, 0, 0, 0},
    {"3d same_lower",               3, 1, 2, {4, 5, 6},  {2, 3, 2}, {1, 2, 3}, NOPAD,     SYM,       {2, 1, 1}, 0, 1, 0, 3},
};

static void case_desc(const pool_case *pc, int32_t layout, int32_t dtype, swiftpool_pool_desc *d) {
    swiftpool_pool_desc_init(d, pc->rank);
    d->dtype = dtype;
    d->layout = layout;
    d->batch = pc->n;
    d->channels = pc->c;
    for (int a = 0; a < pc->rank; a++) {
        d->input_size[a] = pc->in[a];
        d->kernel_size[a] = pc->k[a];
        d->stride[a] = pc->s[a];
        d->padding[a] = pc->p[a];
        d->padding_end[a] = pc->pe[a];
        d->dilation[a] = pc->d[a];
    }
    d->ceil_mode = pc->ceil_mode;
    d->count_include_pad = pc->count_include_pad;
    d->divisor_override = pc->divisor_override;
    d->auto_pad = pc->auto_pad;
}

static int64_t input_elements(const swiftpool_pool_desc *d) {
    int64_t e = d->batch * d->channels;
    for (int a = 0; a < d->spatial_rank; a++) e *= d->input_size[a];
    return e;
}

enum { DATA_TIES, DATA_CONTINUOUS, DATA_NEGATIVE, DATA_SPECIAL, DATA_KINDS };

/* Values exactly representable in the element type; DATA_SPECIAL mixes in NaN and
 * infinities (the type's extremes for integers); float64 data carries bits a
 * float32 detour would lose. */
static void fill_input(double *x, int64_t n, int kind, int32_t dtype) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t r = rng_next();
        double v;
        if (dtype == SWIFTPOOL_DTYPE_UINT8 || dtype == SWIFTPOOL_DTYPE_INT8) {
            double lo = dtype == SWIFTPOOL_DTYPE_UINT8 ? 0.0 : -128.0;
            if (kind == DATA_TIES) v = lo + (double)(r % 3);
            else if (kind == DATA_NEGATIVE) v = lo + (double)(r % 10);
            else if (kind == DATA_SPECIAL) v = (r % 4 == 0) ? lo : (r % 4 == 1) ? lo + 255.0 : lo + 100.0;
            else v = lo + (double)(r % 256);
            x[i] = v;
            continue;
        }
        if (kind == DATA_TIES) v = (double)((int)(r % 5) - 2);
        else if (dtype == SWIFTPOOL_DTYPE_FLOAT16) v = (double)((int)(r % 2001) - 1000) / 4.0;
        else if (dtype == SWIFTPOOL_DTYPE_BFLOAT16) v = (double)((int)(r % 401) - 200) / 2.0;
        else v = (double)(r % 2000001) / 1000.0 - 1000.0;
        if (kind == DATA_NEGATIVE) v = -1.0 - fabs(v);
        if (dtype == SWIFTPOOL_DTYPE_FLOAT32) v = (double)(float)v;
        if (dtype == SWIFTPOOL_DTYPE_FLOAT64 && kind != DATA_TIES) v += (double)(r % 997) * 1e-12;
        if (kind == DATA_SPECIAL) {
            uint32_t q = rng_next() % 16;
            if (q == 0) v = NAN;
            else if (q == 1) v = INFINITY;
            else if (q == 2) v = -INFINITY;
            else if (q < 6) v = (double)((int)(q % 3) - 1); /* ties around 0 */
        }
        x[i] = v;
    }
}

#define GUARD 8 /* extra elements after each output that must stay untouched */

static const uint32_t g_max_flags[] = {
    0,
    SWIFTPOOL_FLAG_NAN_IGNORE,
    SWIFTPOOL_FLAG_INDICES_GLOBAL,
    SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR,
    SWIFTPOOL_FLAG_INDICES_GLOBAL | SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR | SWIFTPOOL_FLAG_NAN_IGNORE,
};

static void run_case(const pool_case *pc, int32_t layout, int32_t dtype, int kind) {
    swiftpool_pool_desc d;
    char ctx[200];
    snprintf(ctx, sizeof ctx, "%s, %s, %s, data %d", pc->name,
             layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC", dtype_name(dtype), kind);
    set_context(ctx);
    case_desc(pc, layout, dtype, &d);

    geom g;
    make_geom(&d, &g);
    int64_t want_elems = g.n * g.c * g.out_plane;
    int64_t size[3] = {0, 0, 0}, elems = -1;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, size, &elems), SWIFTPOOL_OK);
    CHECK(elems == want_elems);
    for (int a = 0; a < pc->rank; a++) CHECK(size[a] == g.ax[3 - pc->rank + a].out);
    if (elems != want_elems || want_elems <= 0) {
        set_context("");
        return;
    }

    size_t es = dtype_size(dtype);
    int64_t in_n = input_elements(&d);
    double *xd = (double *)xmalloc((size_t)in_n * sizeof(double));
    void *x = xmalloc((size_t)in_n * es);
    void *x_copy = xmalloc((size_t)in_n * es);
    void *y = xmalloc((size_t)(elems + GUARD) * es);
    void *y2 = xmalloc((size_t)(elems + GUARD) * es);
    double *want = (double *)xmalloc((size_t)elems * sizeof(double));
    int64_t *idx = (int64_t *)xmalloc((size_t)(elems + GUARD) * sizeof(int64_t));
    int64_t *want_idx = (int64_t *)xmalloc((size_t)elems * sizeof(int64_t));
    fill_input(xd, in_n, kind, dtype);
    for (int64_t i = 0; i < in_n; i++) store(x, dtype, i, xd[i]);
    memcpy(x_copy, x, (size_t)in_n * es);

    for (size_t f = 0; f < sizeof g_max_flags / sizeof g_max_flags[0]; f++) {
        d.flags = g_max_flags[f];
        snprintf(ctx, sizeof ctx, "%s, %s, %s, data %d, max flags %u", pc->name,
                 layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC", dtype_name(dtype), kind,
                 (unsigned)d.flags);
        set_context(ctx);
        memset(y, SENTINEL_BYTE, (size_t)(elems + GUARD) * es);
        memset(idx, SENTINEL_BYTE, (size_t)(elems + GUARD) * sizeof(int64_t));
        ref_max(&d, xd, want, want_idx);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, in_n, y, elems, idx, elems), SWIFTPOOL_OK);
        CHECK_NO_MESSAGE();
        int bad_v = 0, bad_i = 0;
        for (int64_t i = 0; i < elems; i++) {
            double got = load(y, dtype, i);
            if (!same_value(got, want[i], dtype) && bad_v++ == 0)
                fprintf(stderr, "  max[%" PRId64 "] = %.17g, want %.17g\n", i, got, want[i]);
            if (idx[i] != want_idx[i] && bad_i++ == 0)
                fprintf(stderr, "  argmax[%" PRId64 "] = %" PRId64 ", want %" PRId64 "\n", i,
                        idx[i], want_idx[i]);
        }
        CHECK(bad_v == 0);
        CHECK(bad_i == 0);
        CHECK(all_bytes((char *)y + elems * es, GUARD * es, SENTINEL_BYTE));
        CHECK(all_bytes(idx + elems, GUARD * sizeof(int64_t), SENTINEL_BYTE));
        CHECK(memcmp(x, x_copy, (size_t)in_n * es) == 0);

        /* Without indices: the same values; a larger capacity is fine. */
        memset(y2, SENTINEL_BYTE, (size_t)(elems + GUARD) * es);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, in_n, y2, elems + GUARD, NULL, 0),
                     SWIFTPOOL_OK);
        CHECK(memcmp(y, y2, (size_t)elems * es) == 0);
        CHECK(all_bytes((char *)y2 + elems * es, GUARD * es, SENTINEL_BYTE));
    }

    d.flags = 0;
    snprintf(ctx, sizeof ctx, "%s, %s, %s, data %d, avg", pc->name,
             layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC", dtype_name(dtype), kind);
    set_context(ctx);
    memset(y, SENTINEL_BYTE, (size_t)(elems + GUARD) * es);
    if (dtype_is_float(dtype)) {
        ref_avg(&d, xd, want);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, in_n, y, elems), SWIFTPOOL_OK);
        int bad = 0;
        for (int64_t i = 0; i < elems; i++) {
            double got = load(y, dtype, i);
            double w = want[i];
            /* float32 and float64 are exact (PyTorch's bits); float16/bfloat16
             * round the float result once more, which the model does not. */
            int exact = dtype == SWIFTPOOL_DTYPE_FLOAT32 || dtype == SWIFTPOOL_DTYPE_FLOAT64;
            if (!(exact ? same_value(got, w, dtype) : close_value(got, w, dtype)) && bad++ == 0)
                fprintf(stderr, "  avg[%" PRId64 "] = %.17g, want %.17g\n", i, got, w);
        }
        CHECK(bad == 0);
    } else {
        /* Averaging integers is unsupported, as in PyTorch. */
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, in_n, y, elems), SWIFTPOOL_ERROR_UNSUPPORTED);
        CHECK_MESSAGE_HAS("dtype");
        CHECK(all_bytes(y, (size_t)elems * es, SENTINEL_BYTE));
    }
    CHECK(all_bytes((char *)y + elems * es, GUARD * es, SENTINEL_BYTE));
    CHECK(memcmp(x, x_copy, (size_t)in_n * es) == 0);

    free(xd);
    free(x);
    free(x_copy);
    free(y);
    free(y2);
    free(want);
    free(idx);
    free(want_idx);
    set_context("");
}

static void test_forward_vs_reference(void) {
    for (size_t i = 0; i < sizeof g_cases / sizeof g_cases[0]; i++)
        for (int32_t layout = SWIFTPOOL_LAYOUT_NCHW; layout <= SWIFTPOOL_LAYOUT_NHWC; layout++)
            for (int32_t dtype = FIRST_DTYPE; dtype <= LAST_DTYPE; dtype++)
                for (int kind = 0; kind < DATA_KINDS; kind++) run_case(&g_cases[i], layout, dtype, kind);
}

/* NCHW and NHWC copies of one tensor give transposed copies of one result. */
static void test_layouts_agree(void) {
    enum { N = 2, C = 3, H = 7, W = 5, OH = 4, OW = 3 };
    float x_nchw[N * C * H * W], x_nhwc[N * C * H * W];
    float y_nchw[N * C * OH * OW], y_nhwc[N * C * OH * OW];
    int64_t i_nchw[N * C * OH * OW], i_nhwc[N * C * OH * OW];
    for (int i = 0; i < N * C * H * W; i++) x_nchw[i] = (float)(rng_next() % 1000) - 500.0f;
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < H * W; p++)
                x_nhwc[(n * H * W + p) * C + c] = x_nchw[(n * C + c) * H * W + p];

    swiftpool_pool_desc d;
    desc_2d(&d, N, C, H, W, 3, 2, 1);
    d.ceil_mode = 1; /* 7x5 -> 4x3 */
    CHECK_STATUS(swiftpool_max_pool_forward(&d, x_nchw, N * C * H * W, y_nchw, N * C * OH * OW,
                                            i_nchw, N * C * OH * OW),
                 SWIFTPOOL_OK);
    d.layout = SWIFTPOOL_LAYOUT_NHWC;
    CHECK_STATUS(swiftpool_max_pool_forward(&d, x_nhwc, N * C * H * W, y_nhwc, N * C * OH * OW,
                                            i_nhwc, N * C * OH * OW),
                 SWIFTPOOL_OK);
    int mismatches = 0;
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < OH * OW; p++) {
                int a = (n * C + c) * OH * OW + p, b = (n * OH * OW + p) * C + c;
                if (y_nchw[a] != y_nhwc[b] || i_nchw[a] != i_nhwc[b]) mismatches++;
                if (i_nchw[a] < 0 || i_nchw[a] >= H * W) mismatches++; /* per-plane index */
            }
    CHECK(mismatches == 0);
}

/* =========================================================================
 * Hand-computed results (checked against torch / onnxruntime)
 * ========================================================================= */

static void test_hand_computed(void) {
    swiftpool_pool_desc d;
    float y[8];
    int64_t ix[8];

    /* 4x4 of 0..15, 2x2 stride 2. */
    {
        float x[16];
        for (int i = 0; i < 16; i++) x[i] = (float)i;
        desc_2d(&d, 1, 1, 4, 4, 2, 2, 0);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 16, y, 4, ix, 4), SWIFTPOOL_OK);
        CHECK(y[0] == 5 && y[1] == 7 && y[2] == 13 && y[3] == 15);
        CHECK(ix[0] == 5 && ix[1] == 7 && ix[2] == 13 && ix[3] == 15);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 16, y, 4), SWIFTPOOL_OK);
        CHECK(y[0] == 2.5f && y[1] == 4.5f && y[2] == 10.5f && y[3] == 12.5f);
        /* float64, same numbers. */
        double xd[16], yd[4];
        for (int i = 0; i < 16; i++) xd[i] = i + 0.25;
        d.dtype = SWIFTPOOL_DTYPE_FLOAT64;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, xd, 16, yd, 4, ix, 4), SWIFTPOOL_OK);
        CHECK(yd[0] == 5.25 && yd[1] == 7.25 && yd[2] == 13.25 && yd[3] == 15.25);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, xd, 16, yd, 4), SWIFTPOOL_OK);
        CHECK(yd[0] == 2.75 && yd[1] == 4.75 && yd[2] == 10.75 && yd[3] == 12.75);
    }
    /* torch: max_pool1d([1..5], 2, 2, 1, ceil_mode=True) -> [1,3,5] at [0,2,4];
     * avg_pool1d -> [0.5,2.5,4.5], count_include_pad=False -> [1,2.5,4.5]. */
    {
        float x[5] = {1, 2, 3, 4, 5};
        desc_1d(&d, 5, 2, 2, 1);
        d.ceil_mode = 1;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 5, y, 3, ix, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 1 && y[1] == 3 && y[2] == 5);
        CHECK(ix[0] == 0 && ix[1] == 2 && ix[2] == 4);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 0.5f && y[1] == 2.5f && y[2] == 4.5f);
        d.count_include_pad = 0;
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 1.0f && y[1] == 2.5f && y[2] == 4.5f);
        d.divisor_override = 4;
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 0.25f && y[1] == 1.25f && y[2] == 2.25f);
    }
    /* torch: avg_pool1d(arange(6), 3, 2, 1, ceil_mode=True) -> [1/3, 2, 4, 2.5]: the last
     * window is cut at in+pad, so its divisor is 2; count_include_pad=False -> [.5,2,4,5]. */
    {
        float x[6] = {0, 1, 2, 3, 4, 5};
        desc_1d(&d, 6, 3, 2, 1);
        d.ceil_mode = 1;
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 6, y, 4), SWIFTPOOL_OK);
        CHECK(fabsf(y[0] - 1.0f / 3.0f) < 1e-7f && y[1] == 2.0f && y[2] == 4.0f && y[3] == 2.5f);
        d.count_include_pad = 0;
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 6, y, 4), SWIFTPOOL_OK);
        CHECK(y[0] == 0.5f && y[1] == 2.0f && y[2] == 4.0f && y[3] == 5.0f);
    }
    /* torch: a window larger than the input with ceil_mode: max_pool1d([1,2], 4, 3, ceil) -> 2 @ 1. */
    {
        float x[2] = {1, 2};
        desc_1d(&d, 2, 4, 3, 0);
        d.ceil_mode = 1;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 2, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 2 && ix[0] == 1);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 2, y, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 1.5f);
    }
    /* Dilation 3, kernel 3: windows {0,3,6},{1,4,7},{2,5,8},{3,6,9}. */
    {
        float x[10] = {9, 0, 0, 0, 0, 7, 0, 0, 0, 8};
        desc_1d(&d, 10, 3, 1, 0);
        d.dilation[0] = 3;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 10, y, 4, ix, 4), SWIFTPOOL_OK);
        CHECK(y[0] == 9 && y[1] == 0 && y[2] == 7 && y[3] == 8);
        CHECK(ix[0] == 0 && ix[1] == 1 && ix[2] == 5 && ix[3] == 9);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 10, y, 4), SWIFTPOOL_OK);
        CHECK(y[0] == 3.0f && y[1] == 0.0f && fabsf(y[2] - 7.0f / 3.0f) < 1e-6f &&
              fabsf(y[3] - 8.0f / 3.0f) < 1e-6f);
    }
    /* torch: max_pool1d([1,2], 2, 1, 1, dilation 3) -> -inf @ 2: both taps (-1, 2) are
     * padding; the index is the first tap at or past 0, even past the end.
     * ORT AveragePool (same, dilations=[3]) -> 0 with or without count_include_pad. */
    {
        float x[2] = {1, 2};
        desc_1d(&d, 2, 2, 1, 1);
        d.dilation[0] = 3;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 2, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == -INFINITY && ix[0] == 2);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 2, y, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 0.0f);
        d.count_include_pad = 0;
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 2, y, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 0.0f);
    }
    /* ORT: pads [2, 0], kernel 3, stride 2 on [1..5] -> max [1,3,5] @ [0,2,4];
     * avg count_include_pad=1 -> [1/3, 2, 4], =0 -> [1, 2, 4]. */
    {
        float x[5] = {1, 2, 3, 4, 5};
        desc_1d(&d, 5, 3, 2, 2);
        d.padding_end[0] = 0;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 5, y, 3, ix, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 1 && y[1] == 3 && y[2] == 5 && ix[0] == 0 && ix[1] == 2 && ix[2] == 4);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 3), SWIFTPOOL_OK);
        CHECK(fabsf(y[0] - 1.0f / 3.0f) < 1e-7f && y[1] == 2.0f && y[2] == 4.0f);
        d.count_include_pad = 0;
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 1.0f && y[1] == 2.0f && y[2] == 4.0f);
    }
    /* ORT auto_pad on [1..5], kernel 2, stride 2:
     *   SAME_UPPER: max [2,4,5] @ [1,3,4]; avg cip [1.5,3.5,2.5], no cip [1.5,3.5,5]
     *   SAME_LOWER: max [1,3,5] @ [0,2,4]; avg cip [0.5,2.5,4.5], no cip [1,2.5,4.5]
     *   VALID:      max [2,4]   @ [1,3];   avg [1.5,3.5] */
    {
        float x[5] = {1, 2, 3, 4, 5};
        desc_1d(&d, 5, 2, 2, 0);
        d.auto_pad = SWIFTPOOL_AUTO_PAD_SAME_UPPER;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 5, y, 3, ix, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 2 && y[1] == 4 && y[2] == 5 && ix[0] == 1 && ix[1] == 3 && ix[2] == 4);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 1.5f && y[1] == 3.5f && y[2] == 2.5f);
        d.count_include_pad = 0;
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 1.5f && y[1] == 3.5f && y[2] == 5.0f);

        d.auto_pad = SWIFTPOOL_AUTO_PAD_SAME_LOWER;
        d.count_include_pad = 1;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 5, y, 3, ix, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 1 && y[1] == 3 && y[2] == 5 && ix[0] == 0 && ix[1] == 2 && ix[2] == 4);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 0.5f && y[1] == 2.5f && y[2] == 4.5f);
        d.count_include_pad = 0;
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 3), SWIFTPOOL_OK);
        CHECK(y[0] == 1.0f && y[1] == 2.5f && y[2] == 4.5f);

        d.auto_pad = SWIFTPOOL_AUTO_PAD_VALID;
        d.ceil_mode = 1; /* ignored with VALID */
        y[2] = 99.0f;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 5, y, 2, ix, 2), SWIFTPOOL_OK);
        CHECK(y[0] == 2 && y[1] == 4 && ix[0] == 1 && ix[1] == 3 && y[2] == 99.0f);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 5, y, 2), SWIFTPOOL_OK);
        CHECK(y[0] == 1.5f && y[1] == 3.5f && y[2] == 99.0f);
    }
    /* ORT storage_order=1 on [[0,5,0],[0,0,0]] (H=2, W=3), kernel 2x2, stride 1:
     * max 5 at (h=0, w=1): row-major 1, column-major w*H + h = 2. */
    {
        float x[6] = {0, 5, 0, 0, 0, 0};
        desc_2d(&d, 1, 1, 2, 3, 2, 1, 0);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 6, y, 2, ix, 2), SWIFTPOOL_OK);
        CHECK(y[0] == 5 && y[1] == 5 && ix[0] == 1 && ix[1] == 1);
        d.flags = SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 6, y, 2, ix, 2), SWIFTPOOL_OK);
        CHECK(y[0] == 5 && y[1] == 5 && ix[0] == 2 && ix[1] == 2);
    }
    /* ORT: arange(16) as 2x2x2x2, kernel 2x2 -> indices 3, 7, 11, 15 (global). */
    {
        float x[16];
        for (int i = 0; i < 16; i++) x[i] = (float)i;
        desc_2d(&d, 2, 2, 2, 2, 2, 2, 0);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 16, y, 4, ix, 4), SWIFTPOOL_OK);
        CHECK(ix[0] == 3 && ix[1] == 3 && ix[2] == 3 && ix[3] == 3);
        d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 16, y, 4, ix, 4), SWIFTPOOL_OK);
        CHECK(ix[0] == 3 && ix[1] == 7 && ix[2] == 11 && ix[3] == 15);
        /* Global indices count in (n, c) order for NHWC too. */
        float xh[16];
        for (int p = 0; p < 4; p++)
            for (int c = 0; c < 2; c++)
                for (int n = 0; n < 2; n++) xh[(n * 4 + p) * 2 + c] = x[(n * 2 + c) * 4 + p];
        d.layout = SWIFTPOOL_LAYOUT_NHWC;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, xh, 16, y, 4, ix, 4), SWIFTPOOL_OK);
        CHECK(ix[0] == 3 && ix[1] == 7 && ix[2] == 11 && ix[3] == 15); /* (n,c) = 00,01,10,11 */
    }
    /* Max pooling ignores the average-only fields, even invalid values. */
    {
        float x[4] = {1, 4, 2, 3};
        desc_1d(&d, 4, 2, 2, 0);
        d.count_include_pad = 7;
        d.divisor_override = -3;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 4, y, 2, ix, 2), SWIFTPOOL_OK);
        CHECK(y[0] == 4 && y[1] == 3 && ix[0] == 1 && ix[1] == 3);
    }
    /* Entries past spatial_rank are ignored by the operators too. */
    {
        float x[4] = {1, 4, 2, 3};
        desc_1d(&d, 4, 2, 2, 0);
        d.kernel_size[1] = 0;
        d.stride[2] = -1;
        d.input_size[1] = 1000;
        d.padding_end[2] = -50;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 4, y, 2, NULL, 0), SWIFTPOOL_OK);
        CHECK(y[0] == 4 && y[1] == 3);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 4, y, 2), SWIFTPOOL_OK);
        CHECK(y[0] == 2.5f && y[1] == 2.5f);
    }
}

/* =========================================================================
 * NaN, infinities, ties
 * ========================================================================= */

static void test_special_values(void) {
    const float nan_ = NAN, inf = INFINITY;
    swiftpool_pool_desc d;
    float y[4];
    int64_t ix[4];

    /* Default: NaN propagates and the *last* NaN gives the index (torch: 3). */
    {
        float x[4] = {1, nan_, 3, nan_};
        desc_1d(&d, 4, 4, 1, 0);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 4, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(isnan(y[0]) && ix[0] == 3);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x, 4, y, 1), SWIFTPOOL_OK);
        CHECK(isnan(y[0]));
        /* NaN-ignore: the maximum of the other values (ORT: 3 @ 2). */
        d.flags = SWIFTPOOL_FLAG_NAN_IGNORE;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 4, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 3 && ix[0] == 2);
    }
    {
        float x[4] = {inf, 2, nan_, 5};
        desc_1d(&d, 4, 4, 1, 0);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 4, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(isnan(y[0]) && ix[0] == 2);
        d.flags = SWIFTPOOL_FLAG_NAN_IGNORE;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 4, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == inf && ix[0] == 0);
    }
    /* NaN-ignore: an all-NaN window gives NaN at its last NaN; a NaN before -inf
     * does not hide the -inf. */
    {
        float x[3] = {nan_, nan_, nan_};
        desc_1d(&d, 3, 3, 1, 0);
        d.flags = SWIFTPOOL_FLAG_NAN_IGNORE;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 3, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(isnan(y[0]) && ix[0] == 2);
        float z[3] = {nan_, -inf, nan_};
        CHECK_STATUS(swiftpool_max_pool_forward(&d, z, 3, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == -inf && ix[0] == 1);
        /* ...and padding still never wins: [pad, NaN, pad] is NaN @ 0. */
        desc_1d(&d, 1, 3, 1, 1);
        d.flags = SWIFTPOOL_FLAG_NAN_IGNORE;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 1, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(isnan(y[0]) && ix[0] == 0);
    }
    /* 2D scan order is outermost axis first: (0,1) comes before (1,0). */
    {
        float x[4] = {1, nan_, nan_, 1};
        desc_2d(&d, 1, 1, 2, 2, 2, 1, 0);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 4, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(isnan(y[0]) && ix[0] == 2); /* last NaN */
        d.layout = SWIFTPOOL_LAYOUT_NHWC; /* C = 1: same memory */
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 4, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(isnan(y[0]) && ix[0] == 2);
        d.layout = SWIFTPOOL_LAYOUT_NCHW;
        float t[4] = {1, 3, 3, 1};
        CHECK_STATUS(swiftpool_max_pool_forward(&d, t, 4, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 3 && ix[0] == 1); /* first max */
        float t2[4] = {1, 2, 3, 3};
        CHECK_STATUS(swiftpool_max_pool_forward(&d, t2, 4, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 3 && ix[0] == 2);
    }
    /* Ties: the first wins, including -0.0 vs +0.0 (they compare equal). */
    {
        float x[4] = {2, 5, 5, 1};
        desc_1d(&d, 4, 4, 1, 0);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 4, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 5 && ix[0] == 1);
        float z[2] = {-0.0f, 0.0f};
        desc_1d(&d, 2, 2, 1, 0);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, z, 2, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 0.0f && signbit(y[0]) && ix[0] == 0);
        float z2[2] = {0.0f, -0.0f};
        CHECK_STATUS(swiftpool_max_pool_forward(&d, z2, 2, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == 0.0f && !signbit(y[0]) && ix[0] == 0);
    }
    /* Infinities: padding (-inf) never wins, even against a real -inf;
     * torch: max_pool1d([-inf], 2, 1, 1) -> [-inf, -inf] at [0, 0]. */
    {
        float x[1] = {-inf};
        desc_1d(&d, 1, 2, 1, 1);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 1, y, 2, ix, 2), SWIFTPOOL_OK);
        CHECK(y[0] == -inf && y[1] == -inf && ix[0] == 0 && ix[1] == 0);
        float x3[3] = {-inf, -inf, -inf};
        desc_1d(&d, 3, 3, 1, 1);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x3, 3, y, 3, ix, 3), SWIFTPOOL_OK);
        CHECK(y[0] == -inf && y[1] == -inf && y[2] == -inf);
        CHECK(ix[0] == 0 && ix[1] == 0 && ix[2] == 1);
        float p[3] = {inf, 1, inf};
        desc_1d(&d, 3, 3, 1, 0);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, p, 3, y, 1, ix, 1), SWIFTPOOL_OK);
        CHECK(y[0] == inf && ix[0] == 0);
        /* Zero padding in the average leaves -inf at -inf. */
        desc_1d(&d, 3, 3, 1, 1);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, x3, 3, y, 3), SWIFTPOOL_OK);
        CHECK(y[0] == -inf && y[1] == -inf && y[2] == -inf);
    }
    /* Average: inf + finite = inf; inf + -inf = NaN. */
    {
        float a[4] = {inf, 1, inf, -inf};
        desc_1d(&d, 4, 2, 2, 0);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, a, 4, y, 2), SWIFTPOOL_OK);
        CHECK(y[0] == inf && isnan(y[1]));
    }
    /* float32 sums are float sums, as PyTorch's avg_pool: they overflow to inf. */
    {
        float a[2] = {3.0e38f, 3.0e38f};
        desc_1d(&d, 2, 2, 1, 0);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, a, 2, y, 1), SWIFTPOOL_OK);
        CHECK(y[0] == inf);
    }
}

/* =========================================================================
 * Bad inputs: exact status, nothing written
 * ========================================================================= */

#define CAP 64 /* capacity, in elements, of the scratch buffers below */

static double g_in[CAP]; /* large enough for float64 too */
static double g_out[CAP];
static int64_t g_idx[CAP];

/* A valid 2D problem: 1x2x4x4 -> 1x2x2x2 (8 output elements, 32 input). */
static void good_desc(swiftpool_pool_desc *d) {
    desc_2d(d, 1, 2, 4, 4, 2, 2, 0);
}

static void reset_buffers(void) {
    for (int i = 0; i < CAP; i++) ((float *)g_in)[i] = (float)i; /* float32 view */
    memset(g_out, SENTINEL_BYTE, sizeof g_out);
    memset(g_idx, SENTINEL_BYTE, sizeof g_idx);
}

/* Calls max (with indices) and/or avg and expects `want`, nothing written, a message,
 * and the descriptor untouched. */
static void expect_fail(const char *label, const swiftpool_pool_desc *d, const void *in,
                        int64_t in_len, void *out, int64_t out_len, int64_t *idx, int64_t idx_len,
                        int32_t want, int for_max, int for_avg, int line) {
    char ctx[200];
    swiftpool_pool_desc before;
    if (d) before = *d;
    if (for_max) {
        snprintf(ctx, sizeof ctx, "line %d: max: %s", line, label);
        set_context(ctx);
        reset_buffers();
        CHECK_STATUS(swiftpool_max_pool_forward(d, in, in_len, out, out_len, idx, idx_len), want);
        CHECK(all_bytes(g_out, sizeof g_out, SENTINEL_BYTE));
        CHECK(all_bytes(g_idx, sizeof g_idx, SENTINEL_BYTE));
        CHECK(strlen(swiftpool_last_error_message()) > 0);
        CHECK(!d || memcmp(d, &before, sizeof before) == 0);
    }
    if (for_avg) {
        snprintf(ctx, sizeof ctx, "line %d: avg: %s", line, label);
        set_context(ctx);
        reset_buffers();
        CHECK_STATUS(swiftpool_avg_pool_forward(d, in, in_len, out, out_len), want);
        CHECK(all_bytes(g_out, sizeof g_out, SENTINEL_BYTE));
        CHECK(strlen(swiftpool_last_error_message()) > 0);
        CHECK(!d || memcmp(d, &before, sizeof before) == 0);
    }
    set_context("");
}

/* output_shape on the same descriptor: same status, outputs untouched. */
static void expect_shape_fail(const char *label, const swiftpool_pool_desc *d, int32_t want,
                              int line) {
    char ctx[200];
    int64_t size[3] = {SENTINEL_I, SENTINEL_I, SENTINEL_I};
    int64_t elems = SENTINEL_I;
    snprintf(ctx, sizeof ctx, "line %d: output_shape: %s", line, label);
    set_context(ctx);
    CHECK_STATUS(swiftpool_pool_output_shape(d, size, &elems), want);
    CHECK(all_i(size, 3, SENTINEL_I) && elems == SENTINEL_I);
    CHECK(strlen(swiftpool_last_error_message()) > 0);
    set_context("");
}

/* A descriptor-level error: output_shape, max and avg must all report `want`. */
#define DESC_FAIL(label, d, want)                                                            \
    do {                                                                                     \
        expect_shape_fail(label, &(d), want, __LINE__);                                      \
        expect_fail(label, &(d), g_in, CAP, g_out, CAP, g_idx, CAP, want, 1, 1, __LINE__);   \
    } while (0)

/* Valid for both operators: OK from output_shape, max and avg. */
static void expect_ok(const char *label, const swiftpool_pool_desc *d, int line) {
    char ctx[200];
    snprintf(ctx, sizeof ctx, "line %d: %s", line, label);
    set_context(ctx);
    CHECK_STATUS(swiftpool_pool_output_shape(d, NULL, NULL), SWIFTPOOL_OK);
    reset_buffers();
    CHECK_STATUS(swiftpool_max_pool_forward(d, g_in, CAP, g_out, CAP, g_idx, CAP), SWIFTPOOL_OK);
    CHECK_STATUS(swiftpool_avg_pool_forward(d, g_in, CAP, g_out, CAP), SWIFTPOOL_OK);
    set_context("");
}

static void test_bad_inputs(void) {
    swiftpool_pool_desc d;

    /* NULL pointers. */
    good_desc(&d);
    expect_shape_fail("NULL desc", NULL, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("desc");
    expect_fail("NULL desc", NULL, g_in, CAP, g_out, CAP, g_idx, CAP,
                SWIFTPOOL_ERROR_NULL_POINTER, 1, 1, __LINE__);
    CHECK_MESSAGE_HAS("desc");
    expect_fail("NULL input", &d, NULL, CAP, g_out, CAP, g_idx, CAP,
                SWIFTPOOL_ERROR_NULL_POINTER, 1, 1, __LINE__);
    CHECK_MESSAGE_HAS("input");
    expect_fail("NULL output", &d, g_in, CAP, NULL, CAP, g_idx, CAP,
                SWIFTPOOL_ERROR_NULL_POINTER, 1, 1, __LINE__);
    CHECK_MESSAGE_HAS("output");

    /* indices NULL means "not wanted": its capacity is then irrelevant. */
    const float *out_f = (const float *)g_out;
    reset_buffers();
    CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, 32, g_out, 8, NULL, 0), SWIFTPOOL_OK);
    CHECK(out_f[0] == 5.0f && out_f[7] == 31.0f && all_bytes(out_f + 8, 4 * (CAP - 8), SENTINEL_BYTE));
    reset_buffers();
    CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, 32, g_out, 8, NULL, 8), SWIFTPOOL_OK);
    CHECK(out_f[0] == 5.0f && out_f[7] == 31.0f);
    /* Exact capacities are enough. */
    reset_buffers();
    CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, 32, g_out, 8, g_idx, 8), SWIFTPOOL_OK);
    CHECK(g_idx[0] == 5 && g_idx[7] == 15 && all_bytes(g_idx + 8, 8 * (CAP - 8), SENTINEL_BYTE));

    /* Capacities one element short. */
    expect_fail("input_len too small", &d, g_in, 31, g_out, 8, g_idx, 8,
                SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 1, 1, __LINE__);
    CHECK_MESSAGE_HAS("input_len");
    expect_fail("output_len too small", &d, g_in, 32, g_out, 7, g_idx, 8,
                SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 1, 1, __LINE__);
    CHECK_MESSAGE_HAS("output_len");
    expect_fail("indices_len too small", &d, g_in, 32, g_out, 8, g_idx, 7,
                SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 1, 0, __LINE__);
    CHECK_MESSAGE_HAS("indices_len");
    expect_fail("indices_len 0 with indices", &d, g_in, 32, g_out, 8, g_idx, 0,
                SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 1, 0, __LINE__);
    expect_fail("input_len 0", &d, g_in, 0, g_out, 8, g_idx, 8,
                SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 1, 1, __LINE__);
    /* A negative capacity is an invalid size rather than a small buffer. */
    expect_fail("input_len -1", &d, g_in, -1, g_out, 8, g_idx, 8,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, 1, __LINE__);
    CHECK_MESSAGE_HAS("input_len");
    expect_fail("output_len -1", &d, g_in, 32, g_out, -1, g_idx, 8,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, 1, __LINE__);
    CHECK_MESSAGE_HAS("output_len");
    expect_fail("indices_len -1", &d, g_in, 32, g_out, 8, g_idx, -1,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, 0, __LINE__);
    CHECK_MESSAGE_HAS("indices_len");
    /* Capacities count elements, not bytes: float64 needs the same counts. */
    d.dtype = SWIFTPOOL_DTYPE_FLOAT64;
    reset_buffers();
    CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, 32, g_out, 8, g_idx, 8), SWIFTPOOL_OK);
    expect_fail("float64 input_len too small", &d, g_in, 31, g_out, 8, g_idx, 8,
                SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 1, 1, __LINE__);
    expect_fail("float64 output_len too small", &d, g_in, 32, g_out, 7, g_idx, 8,
                SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 1, 1, __LINE__);

    /* Sizes. */
    good_desc(&d); d.batch = -1;           DESC_FAIL("batch -1", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("batch");
    good_desc(&d); d.batch = INT64_MIN;    DESC_FAIL("batch INT64_MIN", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    good_desc(&d); d.channels = 0;         DESC_FAIL("channels 0", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("channels");
    good_desc(&d); d.channels = -3;        DESC_FAIL("channels -3", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    good_desc(&d); d.input_size[1] = 0;    DESC_FAIL("input_size 0", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("input_size");
    good_desc(&d); d.input_size[0] = -4;   DESC_FAIL("input_size -4", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    good_desc(&d); d.kernel_size[0] = 0;   DESC_FAIL("kernel 0", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("kernel_size");
    good_desc(&d); d.kernel_size[1] = -2;  DESC_FAIL("kernel -2", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    good_desc(&d); d.stride[0] = 0;        DESC_FAIL("stride 0", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("stride");
    good_desc(&d); d.stride[1] = -1;       DESC_FAIL("stride -1", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    good_desc(&d); d.dilation[1] = 0;      DESC_FAIL("dilation 0", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("dilation");
    good_desc(&d); d.dilation[0] = -1;     DESC_FAIL("dilation -1", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);

    /* Padding. Symmetric (padding_end -1): padding <= kernel/2 (PyTorch). */
    good_desc(&d); d.padding[0] = -1;      DESC_FAIL("padding -1", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("padding");
    good_desc(&d); d.padding[1] = 2;       DESC_FAIL("padding 2 > kernel 2 / 2", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("padding");
    good_desc(&d); d.kernel_size[0] = 3; d.padding[0] = 2;
    DESC_FAIL("padding 2 > kernel 3 / 2", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    good_desc(&d); d.kernel_size[0] = 1; d.stride[0] = 1; d.padding[0] = 1;
    DESC_FAIL("padding 1 > kernel 1 / 2", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    /* kernel 2, padding 1 is the largest symmetric one: 4x4 -> 3x3. */
    good_desc(&d); d.padding[0] = d.padding[1] = 1;
    reset_buffers();
    CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, 32, g_out, 18, g_idx, 18), SWIFTPOOL_OK);
    CHECK(out_f[0] == 0.0f && out_f[8] == 15.0f && g_idx[8] == 15);
    /* Asymmetric (padding_end >= 0): each < kernel (ONNX Runtime). */
    good_desc(&d); d.kernel_size[0] = 3; d.padding[0] = 2; d.padding_end[0] = 0;
    expect_ok("kernel 3, pads 2/0", &d, __LINE__);
    good_desc(&d); d.kernel_size[0] = 3; d.padding[0] = 2; d.padding_end[0] = 2;
    expect_ok("kernel 3, pads 2/2", &d, __LINE__);
    good_desc(&d); d.kernel_size[0] = 3; d.padding[0] = 3; d.padding_end[0] = 0;
    DESC_FAIL("padding 3 = kernel 3 (asymmetric)", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("padding");
    good_desc(&d); d.padding_end[1] = 2;   DESC_FAIL("padding_end 2 = kernel 2", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("padding_end");
    good_desc(&d); d.padding_end[0] = -2;  DESC_FAIL("padding_end -2", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("padding_end");
    good_desc(&d); d.padding_end[0] = INT64_MIN;
    DESC_FAIL("padding_end INT64_MIN", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);

    /* auto_pad derives the padding: given padding must be 0 / -1. */
    good_desc(&d); d.auto_pad = SWIFTPOOL_AUTO_PAD_SAME_UPPER; d.padding[1] = 1;
    DESC_FAIL("auto_pad SAME_UPPER with padding 1", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("auto_pad");
    good_desc(&d); d.auto_pad = SWIFTPOOL_AUTO_PAD_VALID; d.padding_end[0] = 1;
    DESC_FAIL("auto_pad VALID with padding_end 1", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    /* Unknown auto_pad values: UNSUPPORTED, like the other enums (header lists
     * auto_pad under neither status; see the report). */
    good_desc(&d); d.auto_pad = 4;         DESC_FAIL("auto_pad 4", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("auto_pad");
    good_desc(&d); d.auto_pad = -1;        DESC_FAIL("auto_pad -1", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    /* VALID with a window larger than the input: empty output. */
    good_desc(&d); d.auto_pad = SWIFTPOOL_AUTO_PAD_VALID; d.kernel_size[0] = 5;
    DESC_FAIL("auto_pad VALID, kernel 5 > input 4", d, SWIFTPOOL_ERROR_INVALID_SHAPE);

    /* Options. */
    good_desc(&d); d.ceil_mode = 2;        DESC_FAIL("ceil_mode 2", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("ceil_mode");
    good_desc(&d); d.ceil_mode = -1;       DESC_FAIL("ceil_mode -1", d, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    good_desc(&d); d.count_include_pad = 2;
    expect_fail("count_include_pad 2", &d, g_in, CAP, g_out, CAP, NULL, 0,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 0, 1, __LINE__);
    CHECK_MESSAGE_HAS("count_include_pad");
    good_desc(&d); d.divisor_override = -1;
    expect_fail("divisor_override -1", &d, g_in, CAP, g_out, CAP, NULL, 0,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 0, 1, __LINE__);
    CHECK_MESSAGE_HAS("divisor_override");
    /* Average pooling accepts dilation now. */
    good_desc(&d); d.dilation[0] = 2;
    expect_ok("avg with dilation 2", &d, __LINE__);

    /* Flags: max accepts the three defined bits, average none of them. */
    static const uint32_t max_only[] = {SWIFTPOOL_FLAG_NAN_IGNORE, SWIFTPOOL_FLAG_INDICES_GLOBAL,
                                        SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR, 7u};
    for (size_t i = 0; i < sizeof max_only / sizeof max_only[0]; i++) {
        good_desc(&d);
        d.flags = max_only[i];
        reset_buffers();
        CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, CAP, g_out, CAP, g_idx, CAP), SWIFTPOOL_OK);
        CHECK_STATUS(swiftpool_pool_output_shape(&d, NULL, NULL), SWIFTPOOL_OK);
        expect_fail("avg with a max-only flag", &d, g_in, CAP, g_out, CAP, NULL, 0,
                    SWIFTPOOL_ERROR_UNSUPPORTED, 0, 1, __LINE__);
        CHECK_MESSAGE_HAS("flags");
    }
    /* (bit 3 is SWIFTPOOL_FLAG_LP_ONNX: defined, so the shape query accepts it.) */
    good_desc(&d); d.flags = 1u << 4;      DESC_FAIL("flags bit 4", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("flags");
    good_desc(&d); d.flags = 0x80000000u;  DESC_FAIL("flags bit 31", d, SWIFTPOOL_ERROR_UNSUPPORTED);

    /* Valid alone, but the output would be empty. */
    good_desc(&d); d.kernel_size[0] = 5;   DESC_FAIL("kernel 5 > input 4", d, SWIFTPOOL_ERROR_INVALID_SHAPE);
    good_desc(&d); d.kernel_size[1] = 3; d.dilation[1] = 2;
    DESC_FAIL("dilated span 5 > input 4", d, SWIFTPOOL_ERROR_INVALID_SHAPE);
    /* floor((2-3-1)/3)+1 = 0, where C's truncating division would give 1. */
    desc_1d(&d, 2, 4, 3, 0);               DESC_FAIL("1d in 2 k 4 s 3 floor", d, SWIFTPOOL_ERROR_INVALID_SHAPE);
    /* A huge kernel is valid by itself. */
    desc_1d(&d, 1, INT64_MAX, 1, 0);       DESC_FAIL("1d in 1 kernel INT64_MAX", d, SWIFTPOOL_ERROR_INVALID_SHAPE);

    /* Overflow: the true sizes do not fit in int64. */
    desc_1d(&d, 1, 1, 1, 0); d.batch = INT64_MAX; d.channels = 2;
    DESC_FAIL("N*C overflows", d, SWIFTPOOL_ERROR_OVERFLOW);
    desc_2d(&d, 1, 1, (int64_t)1 << 32, (int64_t)1 << 32, 1, 1, 0);
    DESC_FAIL("H*W overflows", d, SWIFTPOOL_ERROR_OVERFLOW);
    desc_1d(&d, INT64_MAX, 2, 1, 1);       /* out = INT64_MAX + 1 */
    DESC_FAIL("output size overflows", d, SWIFTPOOL_ERROR_OVERFLOW);
    desc_1d(&d, INT64_MAX, 2, 1, 0); d.padding_end[0] = 1; /* asymmetric: in + pe overflows */
    DESC_FAIL("input + padding_end overflows", d, SWIFTPOOL_ERROR_OVERFLOW);
    /* The input overflows even though the output is a single element. */
    desc_2d(&d, 1, 1, (int64_t)1 << 62, 4, 4, 4, 0);
    d.kernel_size[0] = (int64_t)1 << 62;
    d.stride[0] = (int64_t)1 << 62;
    DESC_FAIL("input elements overflow, output 1", d, SWIFTPOOL_ERROR_OVERFLOW);
    /* 2^61 elements fit in int64 but their 2^63 bytes do not. */
    desc_1d(&d, 1, 1, 1, 0); d.batch = (int64_t)1 << 30; d.channels = (int64_t)1 << 31;
    DESC_FAIL("float32 byte size overflows", d, SWIFTPOOL_ERROR_OVERFLOW);
    /* 2^60 elements: 2^62 bytes as float32 (accepted by output_shape above),
     * 2^63 as float64. */
    desc_1d(&d, 1, 1, 1, 0); d.batch = (int64_t)1 << 30; d.channels = (int64_t)1 << 30;
    d.dtype = SWIFTPOOL_DTYPE_FLOAT64;
    DESC_FAIL("float64 byte size overflows", d, SWIFTPOOL_ERROR_OVERFLOW);

    /* Unsupported values. */
    good_desc(&d); d.dtype = 0;            DESC_FAIL("dtype 0", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("dtype");
    good_desc(&d); d.dtype = 7;            DESC_FAIL("dtype 7", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    good_desc(&d); d.dtype = -1;           DESC_FAIL("dtype -1", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    /* Integer types: max yes, average no (as PyTorch). */
    for (int32_t dt = SWIFTPOOL_DTYPE_UINT8; dt <= SWIFTPOOL_DTYPE_INT8; dt++) {
        good_desc(&d);
        d.dtype = dt;
        reset_buffers();
        CHECK_STATUS(swiftpool_pool_output_shape(&d, NULL, NULL), SWIFTPOOL_OK);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, 32, g_out, 8, g_idx, 8), SWIFTPOOL_OK);
        expect_fail("avg of an integer dtype", &d, g_in, 32, g_out, 8, NULL, 0,
                    SWIFTPOOL_ERROR_UNSUPPORTED, 0, 1, __LINE__);
        CHECK_MESSAGE_HAS("dtype");
    }
    good_desc(&d); d.layout = 0;           DESC_FAIL("layout 0", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("layout");
    good_desc(&d); d.layout = 3;           DESC_FAIL("layout 3", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    good_desc(&d); d.spatial_rank = 0;     DESC_FAIL("spatial_rank 0", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("spatial_rank");
    good_desc(&d); d.spatial_rank = 4;     DESC_FAIL("spatial_rank 4", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    good_desc(&d); d.spatial_rank = -2;    DESC_FAIL("spatial_rank -2", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    good_desc(&d); d.struct_size = 0;      DESC_FAIL("struct_size 0", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("struct_size");
    good_desc(&d); d.struct_size = (uint32_t)sizeof d - 8;
    DESC_FAIL("struct_size too small", d, SWIFTPOOL_ERROR_UNSUPPORTED);
    good_desc(&d); d.struct_size = (uint32_t)sizeof d + 8;
    DESC_FAIL("struct_size unknown (larger)", d, SWIFTPOOL_ERROR_UNSUPPORTED);

    /* Overlapping buffers are rejected before anything is written (the header says
     * only "must not overlap" here; the newer operators document INVALID_ARGUMENT). */
    good_desc(&d);
    {
        static float buf[64];
        static int64_t ibuf[16];
        for (int i = 0; i < 64; i++) buf[i] = (float)i;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, buf, 32, buf, 8, NULL, 0), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS("overlap");
        CHECK_STATUS(swiftpool_max_pool_forward(&d, buf, 32, buf + 31, 8, NULL, 0), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, buf, 32, buf + 24, 8), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, buf, 32, buf + 32, 8, (int64_t *)(void *)(buf + 36), 8),
                     SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(swiftpool_max_pool_forward(&d, buf, 32, buf + 32, 8, (int64_t *)(void *)(buf + 24), 8),
                     SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        int intact = 1;
        for (int i = 0; i < 64; i++) intact &= buf[i] == (float)i;
        CHECK(intact);
        /* Adjacent buffers do not overlap. */
        CHECK_STATUS(swiftpool_max_pool_forward(&d, buf, 32, buf + 32, 8, ibuf, 8), SWIFTPOOL_OK);
        CHECK_STATUS(swiftpool_avg_pool_forward(&d, buf, 32, buf + 32, 8), SWIFTPOOL_OK);
    }
    /* Misaligned buffers too (documented for the newer operators). The misaligned
     * pointers are only passed, never dereferenced here. */
    expect_fail("misaligned input", &d, (const char *)g_in + 1, 32, g_out, 8, g_idx, 8,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, 1, __LINE__);
    CHECK_MESSAGE_HAS("aligned");
    expect_fail("misaligned output", &d, g_in, 32, (char *)g_out + 2, 8, g_idx, 8,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, 1, __LINE__);
    expect_fail("misaligned indices", &d, g_in, 32, g_out, 8, (int64_t *)(void *)((char *)g_idx + 4), 8,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, 0, __LINE__);
    d.dtype = SWIFTPOOL_DTYPE_FLOAT64;
    expect_fail("misaligned float64 input", &d, (const char *)g_in + 4, 32, g_out, 8, g_idx, 8,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, 1, __LINE__);
    d.dtype = SWIFTPOOL_DTYPE_UINT8; /* bytes are never misaligned */
    reset_buffers();
    CHECK_STATUS(swiftpool_max_pool_forward(&d, (const char *)g_in + 1, 32, (char *)g_out + 3, 8, NULL, 0),
                 SWIFTPOOL_OK);

    /* Batch 0 is a valid no-op: nothing is read or written. */
    good_desc(&d);
    d.batch = 0;
    reset_buffers();
    CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, 0, g_out, 0, g_idx, 0), SWIFTPOOL_OK);
    CHECK(all_bytes(g_out, sizeof g_out, SENTINEL_BYTE) && all_bytes(g_idx, sizeof g_idx, SENTINEL_BYTE));
    CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, 0, g_out, 0, NULL, 0), SWIFTPOOL_OK);
    CHECK_STATUS(swiftpool_avg_pool_forward(&d, g_in, 0, g_out, 0), SWIFTPOOL_OK);
    CHECK(all_bytes(g_out, sizeof g_out, SENTINEL_BYTE));
    CHECK_NO_MESSAGE();
    /* ...but its pointers and descriptor are still validated. */
    expect_fail("batch 0 with NULL input", &d, NULL, 0, g_out, 0, g_idx, 0,
                SWIFTPOOL_ERROR_NULL_POINTER, 1, 1, __LINE__);
    expect_fail("batch 0 with NULL output", &d, g_in, 0, NULL, 0, g_idx, 0,
                SWIFTPOOL_ERROR_NULL_POINTER, 1, 1, __LINE__);
    d.stride[0] = 0;
    expect_fail("batch 0 with stride 0", &d, g_in, 0, g_out, 0, g_idx, 0,
                SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, 1, __LINE__);
}

/* =========================================================================
 * LP pooling
 * ========================================================================= */

/* Sizes and offsets of a dense (N, C, spatial...) tensor in a layout. */
static int64_t plane_of(const int64_t *sizes, int rank) {
    int64_t p = 1;
    for (int a = 0; a < rank; a++) p *= sizes[a];
    return p;
}
static int64_t offset_in(int32_t layout, int64_t C, int64_t n, int64_t c, int64_t pos, int64_t plane) {
    if (layout == SWIFTPOOL_LAYOUT_NCHW) return (n * C + c) * plane + pos;
    return (n * plane + pos) * C + c;
}


/* PyTorch: (S / n * prod(k))^(1/p), S = sum of x^p over the n real taps (x not made
 * absolute); +-inf: max / min of |x|. ONNX (LP_ONNX): (sum |x|^p)^(1/p) with the
 * max-pool geometry (padding, auto_pad, dilation). Computed in double. */
static void ref_lp(const swiftpool_pool_desc *desc, double p, const double *x, double *y) {
    geom g;
    make_geom(desc, &g);
    int onnx = (desc->flags & SWIFTPOOL_FLAG_LP_ONNX) != 0;
    int64_t o[3], t[3], i[3];
    double K = (double)(g.ax[0].k * g.ax[1].k * g.ax[2].k);
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c; c++)
            for (o[0] = 0; o[0] < g.ax[0].out; o[0]++)
                for (o[1] = 0; o[1] < g.ax[1].out; o[1]++)
                    for (o[2] = 0; o[2] < g.ax[2].out; o[2]++) {
                        double s = 0.0, best = p > 0 ? 0.0 : INFINITY;
                        int64_t real = 0;
                        int saw_nan = 0;
                        for (t[0] = 0; t[0] < g.ax[0].k; t[0]++)
                            for (t[1] = 0; t[1] < g.ax[1].k; t[1]++)
                                for (t[2] = 0; t[2] < g.ax[2].k; t[2]++) {
                                    int ok = 1;
                                    for (int a = 0; a < 3; a++) {
                                        i[a] = o[a] * g.ax[a].s - g.ax[a].pb + t[a] * g.ax[a].d;
                                        ok &= i[a] >= 0 && i[a] < g.ax[a].in;
                                    }
                                    if (!ok) continue;
                                    int64_t pos = (i[0] * g.ax[1].in + i[1]) * g.ax[2].in + i[2];
                                    double v = x[elem_offset(&g, n, c, pos, g.in_plane)];
                                    real++;
                                    saw_nan |= isnan(v);
                                    if (isinf(p)) {
                                        double a = fabs(v);
                                        if (p > 0 ? a > best : a < best) best = a;
                                    } else {
                                        s += onnx ? pow(fabs(v), p) : pow(v, p);
                                    }
                                }
                        double r;
                        if (isinf(p)) r = saw_nan ? NAN : best;
                        else if (onnx) r = pow(s, 1.0 / p);
                        else r = pow(s / (double)real * K, 1.0 / p);
                        int64_t opos = (o[0] * g.ax[1].out + o[1]) * g.ax[2].out + o[2];
                        y[elem_offset(&g, n, c, opos, g.out_plane)] = r;
                    }
}

static void run_lp_case(const pool_case *pc, int32_t layout, int32_t dtype, double p, int onnx) {
    swiftpool_pool_desc d;
    char ctx[200];
    snprintf(ctx, sizeof ctx, "lp %s, %s, %s, p %g, onnx %d", pc->name,
             layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC", dtype_name(dtype), p, onnx);
    set_context(ctx);
    case_desc(pc, layout, dtype, &d);
    d.flags = onnx ? (uint32_t)SWIFTPOOL_FLAG_LP_ONNX : 0u;
    d.count_include_pad = 5; /* ignored */
    d.divisor_override = -2;
    geom g;
    make_geom(&d, &g);
    int64_t out_n = g.n * g.c * g.out_plane, in_n = input_elements(&d), elems = -1;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, NULL, &elems), SWIFTPOOL_OK);
    CHECK(elems == out_n);
    size_t es = dtype_size(dtype);
    double *xd = (double *)xmalloc((size_t)in_n * sizeof(double));
    double *want = (double *)xmalloc((size_t)out_n * sizeof(double));
    void *x = xmalloc((size_t)in_n * es), *y = xmalloc((size_t)(out_n + GUARD) * es);
    /* Moderate magnitudes keep x^p finite; positive data unless the formula is signed. */
    for (int64_t i = 0; i < in_n; i++) {
        double v = (double)((int)(rng_next() % 33) - 16) / 4.0;
        xd[i] = (onnx || p == 1.0 || p == 3.0 || isinf(p)) ? v : fabs(v) + 0.25;
        if (rng_next() % 29 == 0) xd[i] = NAN;
        store(x, dtype, i, xd[i]);
        xd[i] = load(x, dtype, i);
    }
    ref_lp(&d, p, xd, want);
    memset(y, SENTINEL_BYTE, (size_t)(out_n + GUARD) * es);
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, p, x, in_n, y, out_n), SWIFTPOOL_OK);
    int bad = 0;
    for (int64_t i = 0; i < out_n; i++) {
        double got = load(y, dtype, i);
        double w = dtype == SWIFTPOOL_DTYPE_FLOAT32 ? (double)(float)want[i] : want[i];
        if (!close_value(got, w, dtype) && bad++ == 0)
            fprintf(stderr, "  lp[%" PRId64 "] = %.17g, want %.17g\n", i, got, w);
    }
    CHECK(bad == 0);
    CHECK(all_bytes((char *)y + out_n * (int64_t)es, GUARD * es, SENTINEL_BYTE));
    free(xd);
    free(want);
    free(x);
    free(y);
    set_context("");
}

static void test_lp_pool(void) {
    static const double torch_p[] = {1.0, 2.0, 3.0, 0.5, -2.0, INFINITY, -INFINITY};
    static const double onnx_p[] = {1.0, 2.0, 3.0, 0.5};
    for (size_t i = 0; i < sizeof g_cases / sizeof g_cases[0]; i++) {
        const pool_case *pc = &g_cases[i];
        int plain = pc->auto_pad == 0;
        for (int a = 0; a < pc->rank; a++) plain &= pc->p[a] == 0 && pc->pe[a] == -1 && pc->d[a] == 1;
        for (int32_t layout = SWIFTPOOL_LAYOUT_NCHW; layout <= SWIFTPOOL_LAYOUT_NHWC; layout++)
            for (int32_t dtype = SWIFTPOOL_DTYPE_FLOAT32; dtype <= SWIFTPOOL_DTYPE_BFLOAT16; dtype++) {
                if (plain)
                    for (size_t k = 0; k < sizeof torch_p / sizeof torch_p[0]; k++)
                        run_lp_case(pc, layout, dtype, torch_p[k], 0);
                for (size_t k = 0; k < sizeof onnx_p / sizeof onnx_p[0]; k++)
                    run_lp_case(pc, layout, dtype, onnx_p[k], 1);
            }
    }

    /* torch: lp_pool1d([1,-3,2,0.5,-1], p, 2): p=2 -> [sqrt(10), sqrt(4.25)];
     * ceil_mode adds sqrt(1/1*2); p=1 ceil -> [-2, 2.5, -2]; p=3 ceil -> [nan, 2.0104, nan];
     * p=inf -> [3, 2]; p=-inf -> [1, 0.5]. */
    swiftpool_pool_desc d;
    double x[5] = {1, -3, 2, 0.5, -1}, y[4];
    desc_1d(&d, 5, 2, 2, 0);
    d.dtype = SWIFTPOOL_DTYPE_FLOAT64;
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, 2.0, x, 5, y, 2), SWIFTPOOL_OK);
    CHECK(fabs(y[0] - sqrt(10.0)) < 1e-15 && fabs(y[1] - sqrt(4.25)) < 1e-15);
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, INFINITY, x, 5, y, 2), SWIFTPOOL_OK);
    CHECK(y[0] == 3.0 && y[1] == 2.0);
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, -INFINITY, x, 5, y, 2), SWIFTPOOL_OK);
    CHECK(y[0] == 1.0 && y[1] == 0.5);
    d.ceil_mode = 1;
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, 2.0, x, 5, y, 3), SWIFTPOOL_OK);
    CHECK(fabs(y[2] - sqrt(2.0)) < 1e-15);
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, 1.0, x, 5, y, 3), SWIFTPOOL_OK);
    CHECK(y[0] == -2.0 && y[1] == 2.5 && y[2] == -2.0);
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, 3.0, x, 5, y, 3), SWIFTPOOL_OK);
    CHECK(isnan(y[0]) && fabs(y[1] - cbrt(8.125)) < 1e-14 && isnan(y[2]));
    /* ONNX: (|1|^3 + |-3|^3)^(1/3), no rescaling of the cut window. */
    d.flags = SWIFTPOOL_FLAG_LP_ONNX;
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, 3.0, x, 5, y, 3), SWIFTPOOL_OK);
    CHECK(fabs(y[0] - cbrt(28.0)) < 1e-14 && fabs(y[1] - cbrt(8.125)) < 1e-14 && y[2] == 1.0);
    /* float32: powers in double stay finite where float32 x^p would overflow. */
    {
        float xf[2] = {1e30f, 1e30f}, yf[1];
        desc_1d(&d, 2, 2, 1, 0);
        CHECK_STATUS(swiftpool_lp_pool_forward(&d, 2.0, xf, 2, yf, 1), SWIFTPOOL_OK);
        CHECK(fabsf(yf[0] - 1.41421356e30f) <= 1.5e30f * 1e-6f); /* sqrt(2e60 / 2 * 2) */
    }
}

static void test_lp_errors(void) {
    swiftpool_pool_desc good, d;
    desc_2d(&good, 1, 2, 4, 4, 2, 2, 0); /* 32 in, 8 out */
    static float x[64], y[64];
    for (int i = 0; i < 32; i++) x[i] = (float)i;
#define LP_FAIL(label, desc_ptr, p, xin, xlen, yout, ylen, want)                                 \
    do {                                                                                       \
        set_context("lp: " label);                                                             \
        memset(y, SENTINEL_BYTE, sizeof y);                                                    \
        CHECK_STATUS(swiftpool_lp_pool_forward(desc_ptr, p, xin, xlen, yout, ylen), want);     \
        CHECK(all_bytes(y, sizeof y, SENTINEL_BYTE));                                          \
        CHECK(strlen(swiftpool_last_error_message()) > 0);                                     \
        set_context("");                                                                       \
    } while (0)
    d = good;
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, 2.0, x, 32, y, 8), SWIFTPOOL_OK);
    LP_FAIL("NULL desc", NULL, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_NULL_POINTER);
    LP_FAIL("NULL input", &d, 2.0, NULL, 32, y, 8, SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("input");
    LP_FAIL("NULL output", &d, 2.0, x, 32, NULL, 8, SWIFTPOOL_ERROR_NULL_POINTER);
    LP_FAIL("input_len", &d, 2.0, x, 31, y, 8, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    CHECK_MESSAGE_HAS("input_len");
    LP_FAIL("output_len", &d, 2.0, x, 32, y, 7, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    CHECK_MESSAGE_HAS("output_len");
    LP_FAIL("norm_type 0", &d, 0.0, x, 32, y, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("norm_type");
    LP_FAIL("norm_type NaN", &d, NAN, x, 32, y, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    d.padding[0] = 1;
    LP_FAIL("padding without LP_ONNX", &d, 2.0, x, 32, y, 18, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("padding");
    d = good; d.padding_end[1] = 1;
    LP_FAIL("padding_end 1 without LP_ONNX", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    d = good; d.padding_end[0] = d.padding_end[1] = 0; /* allowed: same as no padding */
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, 2.0, x, 32, y, 8), SWIFTPOOL_OK);
    d = good; d.dilation[0] = 2;
    LP_FAIL("dilation without LP_ONNX", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("dilation");
    d = good; d.auto_pad = SWIFTPOOL_AUTO_PAD_SAME_UPPER;
    LP_FAIL("auto_pad without LP_ONNX", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("auto_pad");
    /* With LP_ONNX those are fine, but p must be finite and > 0. */
    d = good; d.flags = SWIFTPOOL_FLAG_LP_ONNX; d.padding[0] = 1; d.dilation[1] = 2;
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, 2.0, x, 32, y, 6), SWIFTPOOL_OK);
    d = good; d.flags = SWIFTPOOL_FLAG_LP_ONNX;
    LP_FAIL("ONNX p inf", &d, INFINITY, x, 32, y, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    LP_FAIL("ONNX p -1", &d, -1.0, x, 32, y, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("norm_type");
    d = good; d.stride[0] = 0;
    LP_FAIL("stride 0", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    d = good; d.kernel_size[0] = 5;
    LP_FAIL("kernel > input", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_INVALID_SHAPE);
    d = good; d.dtype = SWIFTPOOL_DTYPE_UINT8;
    LP_FAIL("uint8", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("dtype");
    d = good; d.dtype = 7;
    LP_FAIL("dtype 7", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_UNSUPPORTED);
    d = good; d.flags = SWIFTPOOL_FLAG_NAN_IGNORE;
    LP_FAIL("flags NAN_IGNORE", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("flags");
    d = good; d.layout = 3;
    LP_FAIL("layout 3", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_UNSUPPORTED);
    d = good; d.struct_size = 1;
    LP_FAIL("struct_size", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_UNSUPPORTED);
    desc_1d(&d, 1, 1, 1, 0); d.batch = INT64_MAX; d.channels = 2;
    LP_FAIL("overflow", &d, 2.0, x, 32, y, 8, SWIFTPOOL_ERROR_OVERFLOW);
    d = good;
    CHECK_STATUS(swiftpool_lp_pool_forward(&d, 2.0, x, 32, x + 28, 8), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK(x[28] == 28.0f);
    /* The LP flag belongs to LP pooling only. */
    d = good; d.flags = SWIFTPOOL_FLAG_LP_ONNX;
    reset_buffers();
    CHECK_STATUS(swiftpool_max_pool_forward(&d, g_in, 32, g_out, 8, NULL, 0), SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_STATUS(swiftpool_avg_pool_forward(&d, g_in, 32, g_out, 8), SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK(all_bytes(g_out, sizeof g_out, SENTINEL_BYTE));
#undef LP_FAIL
}

/* =========================================================================
 * Adaptive pooling
 * ========================================================================= */

/* PyTorch's adaptive bin along an axis: [floor(o*L/n), ceil((o+1)*L/n)). */
static void adaptive_bin(int64_t o, int64_t L, int64_t n, int64_t *start, int64_t *end) {
    *start = o * L / n;
    *end = ((o + 1) * L + n - 1) / n;
}

/* x rounded to the dtype (through store/load). */
static double round_to(int32_t dtype, double x) {
    unsigned char tmp[8];
    store(tmp, dtype, 0, x);
    return load(tmp, dtype, 0);
}

/* PyTorch's adaptive average of one bin (aten cpu kernels, torch 2.13): the bin's
 * n values in scan order summed from +0 in float (float32, float16, bfloat16) or
 * double (float64), then sum / kd / kh / kw, each quotient rounded; the 3D kernel
 * rounds float16 / bfloat16 sums and quotients to the dtype after every step.
 * Global pooling (every output 1) is a double sum divided once by n. */
static double torch_adaptive_mean(int32_t dtype, int rank, int global, const double *v, int64_t n,
                                  const int64_t *k) {
    if (global) {
        double sum = 0;
        for (int64_t i = 0; i < n; i++) sum += v[i];
        return sum / (double)n;
    }
    if (dtype == SWIFTPOOL_DTYPE_FLOAT64) {
        double sum = 0;
        for (int64_t i = 0; i < n; i++) sum += v[i];
        for (int a = 0; a < 3; a++) sum = sum / (double)k[a];
        return sum;
    }
    int each = rank == 3 && dtype != SWIFTPOOL_DTYPE_FLOAT32;
    float sum = 0;
    for (int64_t i = 0; i < n; i++) {
        sum = sum + (float)v[i];
        if (each) sum = (float)round_to(dtype, sum);
    }
    for (int a = 0; a < 3; a++) {
        sum = sum / (float)k[a];
        if (each) sum = (float)round_to(dtype, sum);
    }
    return sum;
}

/* Max (max != 0: PyTorch's NaN rule or NAN_IGNORE, indices per plane) or mean. */
static void ref_adaptive(const swiftpool_pool_desc *d, const int64_t *out_size, int max,
                         const double *x, double *y, int64_t *idx) {
    int r = d->spatial_rank;
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, o[3], i[3], s[3], e[3];
    for (int a = 0; a < r; a++) in[3 - r + a] = d->input_size[a], out[3 - r + a] = out_size[a];
    int64_t in_plane = in[0] * in[1] * in[2], out_plane = out[0] * out[1] * out[2];
    int nan_ignore = (d->flags & SWIFTPOOL_FLAG_NAN_IGNORE) != 0;
    double *taps = (double *)xmalloc((size_t)in_plane * sizeof(double)); /* a bin's values, scan order */
    for (int64_t n = 0; n < d->batch; n++)
        for (int64_t c = 0; c < d->channels; c++)
            for (o[0] = 0; o[0] < out[0]; o[0]++)
                for (o[1] = 0; o[1] < out[1]; o[1]++)
                    for (o[2] = 0; o[2] < out[2]; o[2]++) {
                        for (int a = 0; a < 3; a++) adaptive_bin(o[a], in[a], out[a], &s[a], &e[a]);
                        double best = -INFINITY;
                        int64_t best_pos = (s[0] * in[1] + s[1]) * in[2] + s[2], last_nan = -1, count = 0;
                        int64_t k[3] = {e[0] - s[0], e[1] - s[1], e[2] - s[2]};
                        int have = 0;
                        for (i[0] = s[0]; i[0] < e[0]; i[0]++)
                            for (i[1] = s[1]; i[1] < e[1]; i[1]++)
                                for (i[2] = s[2]; i[2] < e[2]; i[2]++) {
                                    int64_t pos = (i[0] * in[1] + i[1]) * in[2] + i[2];
                                    double v = x[offset_in(d->layout, d->channels, n, c, pos, in_plane)];
                                    taps[count++] = v;
                                    if (nan_ignore) {
                                        if (isnan(v)) {
                                            last_nan = pos;
                                            continue;
                                        }
                                        if (!have || v > best) best = v, best_pos = pos;
                                        have = 1;
                                    } else if (v > best || isnan(v)) {
                                        best = v, best_pos = pos;
                                    }
                                }
                        if (nan_ignore && !have) best = NAN, best_pos = last_nan;
                        int64_t at = offset_in(d->layout, d->channels, n, c, (o[0] * out[1] + o[1]) * out[2] + o[2],
                                               out_plane);
                        y[at] = max ? best
                                    : torch_adaptive_mean(d->dtype, r, out_plane == 1, taps, count, k);
                        if (max && idx) idx[at] = best_pos;
                    }
    free(taps);
}

static void run_adaptive_case(int rank, const int64_t *in_size, const int64_t *out_size, int32_t layout,
                              int32_t dtype, uint32_t flags, int kind) {
    swiftpool_pool_desc d;
    char ctx[160];
    snprintf(ctx, sizeof ctx, "adaptive rank %d in %" PRId64 " out %" PRId64 " %s %s flags %u data %d", rank,
             in_size[rank - 1], out_size[rank - 1], layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC",
             dtype_name(dtype), (unsigned)flags, kind);
    set_context(ctx);
    swiftpool_pool_desc_init(&d, rank);
    d.dtype = dtype;
    d.layout = layout;
    d.batch = 2;
    d.channels = 3;
    for (int a = 0; a < rank; a++) d.input_size[a] = in_size[a];
    d.kernel_size[0] = 0; /* window fields are ignored */
    d.stride[0] = -4;
    d.padding[0] = 99;
    d.ceil_mode = 3;
    d.auto_pad = 9;
    int64_t in_n = input_elements(&d), out_n = d.batch * d.channels * plane_of(out_size, rank);
    size_t es = dtype_size(dtype);
    double *xd = (double *)xmalloc((size_t)in_n * sizeof(double));
    double *want = (double *)xmalloc((size_t)out_n * sizeof(double));
    int64_t *want_i = (int64_t *)xmalloc((size_t)out_n * sizeof(int64_t));
    int64_t *idx = (int64_t *)xmalloc((size_t)(out_n + GUARD) * sizeof(int64_t));
    void *x = xmalloc((size_t)in_n * es), *y = xmalloc((size_t)(out_n + GUARD) * es);
    fill_input(xd, in_n, kind, dtype);
    for (int64_t i = 0; i < in_n; i++) store(x, dtype, i, xd[i]);

    d.flags = flags;
    ref_adaptive(&d, out_size, 1, xd, want, want_i);
    memset(y, SENTINEL_BYTE, (size_t)(out_n + GUARD) * es);
    memset(idx, SENTINEL_BYTE, (size_t)(out_n + GUARD) * sizeof(int64_t));
    CHECK_STATUS(swiftpool_adaptive_max_pool_forward(&d, out_size, x, in_n, y, out_n, idx, out_n), SWIFTPOOL_OK);
    int bad_v = 0, bad_i = 0;
    for (int64_t i = 0; i < out_n; i++) {
        double got = load(y, dtype, i);
        if (!same_value(got, want[i], dtype) && bad_v++ == 0)
            fprintf(stderr, "  amax[%" PRId64 "] = %.17g, want %.17g\n", i, got, want[i]);
        if (idx[i] != want_i[i] && bad_i++ == 0)
            fprintf(stderr, "  amax idx[%" PRId64 "] = %" PRId64 ", want %" PRId64 "\n", i, idx[i], want_i[i]);
    }
    CHECK(bad_v == 0);
    CHECK(bad_i == 0);
    CHECK(all_bytes((char *)y + out_n * (int64_t)es, GUARD * es, SENTINEL_BYTE));
    CHECK(all_bytes(idx + out_n, GUARD * sizeof(int64_t), SENTINEL_BYTE));
    /* indices NULL: its capacity is ignored. */
    CHECK_STATUS(swiftpool_adaptive_max_pool_forward(&d, out_size, x, in_n, y, out_n, NULL, -5), SWIFTPOOL_OK);

    if (dtype_is_float(dtype) && flags == 0) {
        ref_adaptive(&d, out_size, 0, xd, want, NULL);
        memset(y, SENTINEL_BYTE, (size_t)(out_n + GUARD) * es);
        CHECK_STATUS(swiftpool_adaptive_avg_pool_forward(&d, out_size, x, in_n, y, out_n), SWIFTPOOL_OK);
        int bad = 0;
        /* PyTorch's bits (the model rounds like it), but global pooling: a double sum. */
        int global = plane_of(out_size, rank) == 1;
        for (int64_t i = 0; i < out_n; i++) {
            double got = load(y, dtype, i);
            double w = round_to(dtype, want[i]);
            if (!(global ? close_value(got, w, dtype) : same_value(got, w, dtype)) && bad++ == 0)
                fprintf(stderr, "  aavg[%" PRId64 "] = %.17g, want %.17g\n", i, got, w);
        }
        CHECK(bad == 0);
        CHECK(all_bytes((char *)y + out_n * (int64_t)es, GUARD * es, SENTINEL_BYTE));
    } else if (!dtype_is_float(dtype)) {
        CHECK_STATUS(swiftpool_adaptive_avg_pool_forward(&d, out_size, x, in_n, y, out_n), SWIFTPOOL_ERROR_UNSUPPORTED);
    } else {
        CHECK_STATUS(swiftpool_adaptive_avg_pool_forward(&d, out_size, x, in_n, y, out_n), SWIFTPOOL_ERROR_UNSUPPORTED);
        CHECK_MESSAGE_HAS("flags");
    }
    free(xd);
    free(want);
    free(want_i);
    free(idx);
    free(x);
    free(y);
    set_context("");
}

static void test_adaptive(void) {
    /* Output smaller than, equal to and larger than the input; 1 is global pooling. */
    static const int64_t sizes[][2] = {{7, 3}, {7, 7}, {5, 8}, {10, 4}, {6, 1}, {1, 1}, {3, 5}};
    for (int rank = 1; rank <= 3; rank++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            int64_t in[3], out[3];
            for (int a = 0; a < rank; a++) {
                in[a] = sizes[(k + (size_t)a) % 7][0];
                out[a] = sizes[(k + (size_t)a) % 7][1];
            }
            for (int32_t layout = SWIFTPOOL_LAYOUT_NCHW; layout <= SWIFTPOOL_LAYOUT_NHWC; layout++)
                for (int32_t dtype = FIRST_DTYPE; dtype <= LAST_DTYPE; dtype++)
                    for (int f = 0; f <= 1; f++)
                        for (int kind = 0; kind < DATA_KINDS; kind++)
                            run_adaptive_case(rank, in, out, layout, dtype,
                                              f ? (uint32_t)SWIFTPOOL_FLAG_NAN_IGNORE : 0u, kind);
        }

    /* torch: adaptive_max_pool1d(arange(5), 3) -> [1, 3, 4] at [1, 3, 4]. */
    swiftpool_pool_desc d;
    float x[5] = {0, 1, 2, 3, 4}, y[3];
    int64_t ix[3];
    const int64_t three[1] = {3};
    desc_1d(&d, 5, 1, 1, 0);
    CHECK_STATUS(swiftpool_adaptive_max_pool_forward(&d, three, x, 5, y, 3, ix, 3), SWIFTPOOL_OK);
    CHECK(y[0] == 1 && y[1] == 3 && y[2] == 4 && ix[0] == 1 && ix[1] == 3 && ix[2] == 4);
    /* Global average of a million 0.1f: float partial sums of at most 64 elements
     * added in double, within one ulp of 0.1f (torch's mean(): 0.1f + 1 ulp;
     * partials of 512 elements gave 0.1f - 8 ulps). */
    {
        const int64_t n = 1000 * 1000, one[2] = {1, 1};
        float *big = (float *)xmalloc((size_t)n * sizeof(float)), mean;
        for (int64_t i = 0; i < n; i++) big[i] = 0.1f;
        desc_2d(&d, 1, 1, 1000, 1000, 1, 1, 0);
        CHECK_STATUS(swiftpool_adaptive_avg_pool_forward(&d, one, big, n, &mean, 1), SWIFTPOOL_OK);
        CHECK(fabsf(mean - 0.1f) <= nextafterf(0.1f, 1.0f) - 0.1f);
        free(big);
    }
}

static void test_adaptive_errors(void) {
    swiftpool_pool_desc good, d;
    desc_2d(&good, 1, 2, 4, 4, 1, 1, 0);
    static float x[64], y[64];
    static int64_t ix[16];
    const int64_t o22[2] = {2, 2}, o02[2] = {0, 2};
    for (int i = 0; i < 32; i++) x[i] = (float)i;
#define AD_FAIL(label, desc_ptr, osz, xin, xlen, yout, ylen, idx, ilen, want, avg_too)                     \
    do {                                                                                                 \
        set_context("adaptive: " label);                                                                 \
        memset(y, SENTINEL_BYTE, sizeof y);                                                              \
        memset(ix, SENTINEL_BYTE, sizeof ix);                                                            \
        CHECK_STATUS(swiftpool_adaptive_max_pool_forward(desc_ptr, osz, xin, xlen, yout, ylen, idx, ilen), want); \
        if (avg_too) CHECK_STATUS(swiftpool_adaptive_avg_pool_forward(desc_ptr, osz, xin, xlen, yout, ylen), want); \
        CHECK(all_bytes(y, sizeof y, SENTINEL_BYTE) && all_bytes(ix, sizeof ix, SENTINEL_BYTE));         \
        CHECK(strlen(swiftpool_last_error_message()) > 0);                                               \
        set_context("");                                                                                 \
    } while (0)
    d = good;
    CHECK_STATUS(swiftpool_adaptive_max_pool_forward(&d, o22, x, 32, y, 8, ix, 8), SWIFTPOOL_OK);
    CHECK_STATUS(swiftpool_adaptive_avg_pool_forward(&d, o22, x, 32, y, 8), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();
    AD_FAIL("NULL desc", NULL, o22, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_NULL_POINTER, 1);
    AD_FAIL("NULL output_size", &d, NULL, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_NULL_POINTER, 1);
    CHECK_MESSAGE_HAS("output_size");
    AD_FAIL("NULL input", &d, o22, NULL, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_NULL_POINTER, 1);
    AD_FAIL("NULL output", &d, o22, x, 32, NULL, 8, ix, 8, SWIFTPOOL_ERROR_NULL_POINTER, 1);
    AD_FAIL("output_size 0", &d, o02, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1);
    CHECK_MESSAGE_HAS("output_size");
    AD_FAIL("input_len", &d, o22, x, 31, y, 8, ix, 8, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 1);
    AD_FAIL("output_len", &d, o22, x, 32, y, 7, ix, 8, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 1);
    AD_FAIL("indices_len", &d, o22, x, 32, y, 8, ix, 7, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 0);
    CHECK_MESSAGE_HAS("indices_len");
    d = good; d.batch = -1;
    AD_FAIL("batch -1", &d, o22, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1);
    d = good; d.channels = 0;
    AD_FAIL("channels 0", &d, o22, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1);
    d = good; d.input_size[1] = 0;
    AD_FAIL("input_size 0", &d, o22, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1);
    d = good;
    AD_FAIL("misaligned input", &d, o22, (const char *)x + 1, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1);
    AD_FAIL("misaligned output", &d, o22, x, 32, (char *)y + 2, 8, ix, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1);
    AD_FAIL("misaligned indices", &d, o22, x, 32, y, 8, (int64_t *)(void *)((char *)ix + 4), 8,
            SWIFTPOOL_ERROR_INVALID_ARGUMENT, 0);
    AD_FAIL("overlap", &d, o22, x, 32, x + 30, 8, ix, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1);
    CHECK(x[30] == 30.0f);
    AD_FAIL("indices overlap output", &d, o22, x, 32, y, 8, (int64_t *)(void *)y, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 0);
    d = good; d.dtype = 7;
    AD_FAIL("dtype 7", &d, o22, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_UNSUPPORTED, 1);
    d = good; d.layout = 0;
    AD_FAIL("layout 0", &d, o22, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_UNSUPPORTED, 1);
    d = good; d.spatial_rank = 4;
    AD_FAIL("rank 4", &d, o22, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_UNSUPPORTED, 1);
    d = good; d.struct_size = 0;
    AD_FAIL("struct_size", &d, o22, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_UNSUPPORTED, 1);
    d = good; d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
    AD_FAIL("flags GLOBAL", &d, o22, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_UNSUPPORTED, 1);
    CHECK_MESSAGE_HAS("flags");
    d = good; d.dtype = SWIFTPOOL_DTYPE_INT8;
    CHECK_STATUS(swiftpool_adaptive_avg_pool_forward(&d, o22, x, 32, y, 8), SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("dtype");
    /* o * L of an axis overflows int64. */
    {
        const int64_t huge[1] = {(int64_t)1 << 40};
        desc_1d(&d, (int64_t)1 << 40, 1, 1, 0);
        AD_FAIL("output_size x input_size overflows", &d, huge, x, 32, y, 8, ix, 8, SWIFTPOOL_ERROR_OVERFLOW, 1);
    }
    /* Batch 0: nothing to do. */
    d = good;
    d.batch = 0;
    memset(y, SENTINEL_BYTE, sizeof y);
    CHECK_STATUS(swiftpool_adaptive_max_pool_forward(&d, o22, x, 0, y, 0, NULL, 0), SWIFTPOOL_OK);
    CHECK_STATUS(swiftpool_adaptive_avg_pool_forward(&d, o22, x, 0, y, 0), SWIFTPOOL_OK);
    CHECK(all_bytes(y, sizeof y, SENTINEL_BYTE));
#undef AD_FAIL
}

/* =========================================================================
 * Spatial pyramid pooling
 * ========================================================================= */

static int64_t spp_length(int64_t C, const int64_t *levels, int64_t num) {
    int64_t s = 0;
    for (int64_t l = 0; l < num; l++) s += levels[2 * l] * levels[2 * l + 1];
    return C * s;
}

/* Per sample: levels in order, each channel-major c*h*w + i*w + j; adaptive bins over
 * the sample's valid h x w corner (SPP-net bins equal them wherever they are valid). */
static void ref_spp(const swiftpool_pool_desc *d, const int64_t *levels, int64_t num, int32_t mode,
                    const int64_t *sizes, const double *x, double *y) {
    int64_t C = d->channels, H = d->input_size[0], W = d->input_size[1], plane = H * W;
    int64_t len = spp_length(C, levels, num);
    int nan_ignore = (d->flags & SWIFTPOOL_FLAG_NAN_IGNORE) != 0;
    for (int64_t n = 0; n < d->batch; n++) {
        int64_t vh = sizes ? sizes[2 * n] : H, vw = sizes ? sizes[2 * n + 1] : W, at = n * len;
        for (int64_t l = 0; l < num; l++) {
            int64_t lh = levels[2 * l], lw = levels[2 * l + 1];
            for (int64_t c = 0; c < C; c++)
                for (int64_t i = 0; i < lh; i++)
                    for (int64_t j = 0; j < lw; j++) {
                        int64_t hs, he, ws, we, count = 0;
                        adaptive_bin(i, vh, lh, &hs, &he);
                        adaptive_bin(j, vw, lw, &ws, &we);
                        double best = -INFINITY, sum = 0.0;
                        int have = 0, saw_nan = 0;
                        for (int64_t h = hs; h < he; h++)
                            for (int64_t w = ws; w < we; w++) {
                                double v = x[offset_in(d->layout, C, n, c, h * W + w, plane)];
                                sum += v;
                                count++;
                                if (isnan(v)) {
                                    saw_nan = 1;
                                    continue;
                                }
                                if (!have || v > best) best = v;
                                have = 1;
                            }
                        double r = mode == SWIFTPOOL_SPP_AVG ? sum / (double)count
                                   : (saw_nan && !nan_ignore) || !have ? NAN
                                                                       : best;
                        y[at + c * lh * lw + i * lw + j] = r;
                    }
            at += C * lh * lw;
        }
    }
}

static void run_spp_case(int32_t layout, int32_t dtype, int32_t mode, int32_t bins, uint32_t flags,
                         int cropped, int kind) {
    swiftpool_pool_desc d;
    char ctx[160];
    snprintf(ctx, sizeof ctx, "spp %s %s mode %d bins %d flags %u cropped %d data %d",
             layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC", dtype_name(dtype), (int)mode, (int)bins,
             (unsigned)flags, cropped, kind);
    set_context(ctx);
    /* SPP-net bins need L mod n in {0, 1} for every level: 13 and 12 with levels 1, 2, 3, 4 x (1, 2, 3, 4, 6). */
    desc_2d(&d, 3, 2, 13, 12, 0, 0, 0); /* window fields are ignored */
    d.dtype = dtype;
    d.layout = layout;
    d.flags = flags;
    static const int64_t levels[] = {1, 1, 2, 2, 3, 4, 4, 6, 6, 3};
    const int64_t num = 5;
    /* Valid corners that keep SPP-net's rule: h in {13, 12}, w in {12, 13}. */
    const int64_t sizes[6] = {13, 12, 12, 12, 13, 7};
    int64_t length = -1;
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_output_length(d.channels, levels, num, &length), SWIFTPOOL_OK);
    CHECK(length == spp_length(d.channels, levels, num));
    int64_t in_n = input_elements(&d), out_n = d.batch * length;
    size_t es = dtype_size(dtype);
    double *xd = (double *)xmalloc((size_t)in_n * sizeof(double));
    double *want = (double *)xmalloc((size_t)out_n * sizeof(double));
    void *x = xmalloc((size_t)in_n * es), *y = xmalloc((size_t)(out_n + GUARD) * es);
    fill_input(xd, in_n, kind, dtype);
    for (int64_t i = 0; i < in_n; i++) store(x, dtype, i, xd[i]);
    int use_bins_rule_ok = !(bins == SWIFTPOOL_SPP_BINS_SPPNET && cropped); /* w = 7 is not divisible by 6 */
    ref_spp(&d, levels, num, mode, cropped ? sizes : NULL, xd, want);
    memset(y, SENTINEL_BYTE, (size_t)(out_n + GUARD) * es);
    int32_t st = swiftpool_spatial_pyramid_pool_forward(&d, levels, num, mode, bins, cropped ? sizes : NULL,
                                                        cropped ? 6 : 0, x, in_n, y, out_n);
    if (!use_bins_rule_ok) {
        CHECK_STATUS(st, SWIFTPOOL_ERROR_INVALID_SHAPE);
        CHECK(all_bytes(y, (size_t)(out_n + GUARD) * es, SENTINEL_BYTE));
    } else {
        CHECK_STATUS(st, SWIFTPOOL_OK);
        int bad = 0;
        for (int64_t i = 0; i < out_n; i++) {
            double got = load(y, dtype, i);
            double w = dtype == SWIFTPOOL_DTYPE_FLOAT32 ? (double)(float)want[i] : want[i];
            int ok = mode == SWIFTPOOL_SPP_MAX ? (isnan(w) ? isnan(got) : same_value(got, w, dtype))
                                               : close_value(got, w, dtype);
            if (!ok && bad++ == 0) fprintf(stderr, "  spp[%" PRId64 "] = %.17g, want %.17g\n", i, got, w);
        }
        CHECK(bad == 0);
        CHECK(all_bytes((char *)y + out_n * (int64_t)es, GUARD * es, SENTINEL_BYTE));
    }
    free(xd);
    free(want);
    free(x);
    free(y);
    set_context("");
}

static void test_spp(void) {
    for (int32_t layout = SWIFTPOOL_LAYOUT_NCHW; layout <= SWIFTPOOL_LAYOUT_NHWC; layout++)
        for (int32_t dtype = FIRST_DTYPE; dtype <= LAST_DTYPE; dtype++)
            for (int32_t mode = SWIFTPOOL_SPP_MAX; mode <= SWIFTPOOL_SPP_AVG; mode++)
                for (int32_t bins = SWIFTPOOL_SPP_BINS_ADAPTIVE; bins <= SWIFTPOOL_SPP_BINS_SPPNET; bins++)
                    for (int cropped = 0; cropped <= 1; cropped++)
                        for (int kind = 0; kind < DATA_KINDS; kind++) {
                            if (mode == SWIFTPOOL_SPP_AVG && !dtype_is_float(dtype)) continue;
                            run_spp_case(layout, dtype, mode, bins, 0u, cropped, kind);
                            if (mode == SWIFTPOOL_SPP_MAX)
                                run_spp_case(layout, dtype, mode, bins, SWIFTPOOL_FLAG_NAN_IGNORE, cropped, kind);
                        }

    /* Levels (1,1) and (2,2) on a 4x4 of 0..15: [15 | 5, 7, 13, 15]; length C*(1+4). */
    swiftpool_pool_desc d;
    float x[16], y[5];
    const int64_t lv[4] = {1, 1, 2, 2};
    int64_t len = 0;
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    desc_2d(&d, 1, 1, 4, 4, 1, 1, 0);
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_output_length(1, lv, 2, &len), SWIFTPOOL_OK);
    CHECK(len == 5);
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(&d, lv, 2, SWIFTPOOL_SPP_MAX, SWIFTPOOL_SPP_BINS_SPPNET,
                                                        NULL, 0, x, 16, y, 5),
                 SWIFTPOOL_OK);
    CHECK(y[0] == 15 && y[1] == 5 && y[2] == 7 && y[3] == 13 && y[4] == 15);
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(&d, lv, 2, SWIFTPOOL_SPP_AVG, SWIFTPOOL_SPP_BINS_ADAPTIVE,
                                                        NULL, 0, x, 16, y, 5),
                 SWIFTPOOL_OK);
    CHECK(y[0] == 7.5f && y[1] == 2.5f && y[2] == 4.5f && y[3] == 10.5f && y[4] == 12.5f);
}

static void test_spp_errors(void) {
    swiftpool_pool_desc good, d;
    desc_2d(&good, 2, 1, 4, 4, 1, 1, 0); /* 32 in; levels (1,1),(2,2): 5 per sample, 10 out */
    static float x[64], y[64];
    const int64_t lv[4] = {1, 1, 2, 2}, sizes[4] = {4, 4, 2, 3};
    int64_t len = SENTINEL_I;
    for (int i = 0; i < 32; i++) x[i] = (float)i;

    /* output_length. */
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_output_length(3, lv, 2, &len), SWIFTPOOL_OK);
    CHECK(len == 15);
    CHECK_NO_MESSAGE();
    len = SENTINEL_I;
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_output_length(3, NULL, 2, &len), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("levels");
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_output_length(3, lv, 2, NULL), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("length");
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_output_length(0, lv, 2, &len), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("channels");
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_output_length(3, lv, 0, &len), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("num_levels");
    const int64_t bad_lv[4] = {1, 1, 2, 0};
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_output_length(3, bad_lv, 2, &len), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("level");
    const int64_t big_lv[2] = {(int64_t)1 << 31, (int64_t)1 << 31};
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_output_length(4, big_lv, 1, &len), SWIFTPOOL_ERROR_OVERFLOW);
    CHECK(len == SENTINEL_I);

#define SPP_FAIL(label, desc_ptr, levels, num, mode, bins, sz, szlen, xin, xlen, yout, ylen, want)           \
    do {                                                                                                   \
        set_context("spp: " label);                                                                        \
        memset(y, SENTINEL_BYTE, sizeof y);                                                                \
        CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(desc_ptr, levels, num, mode, bins, sz, szlen,  \
                                                            xin, xlen, yout, ylen), want);                 \
        CHECK(all_bytes(y, sizeof y, SENTINEL_BYTE));                                                      \
        CHECK(strlen(swiftpool_last_error_message()) > 0);                                                 \
        set_context("");                                                                                   \
    } while (0)
    const int32_t MAX = SWIFTPOOL_SPP_MAX, AVG = SWIFTPOOL_SPP_AVG, AD = SWIFTPOOL_SPP_BINS_ADAPTIVE,
                  NET = SWIFTPOOL_SPP_BINS_SPPNET;
    d = good;
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(&d, lv, 2, MAX, AD, sizes, 4, x, 32, y, 10), SWIFTPOOL_OK);
    CHECK(y[5] == 16 + 4 + 2 && y[6] == 16 + 1 && y[7] == 16 + 2 + 0 * 4 + 0 && y[9] == 16 + 4 + 2);
    SPP_FAIL("NULL desc", NULL, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_NULL_POINTER);
    SPP_FAIL("NULL levels", &d, NULL, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_NULL_POINTER);
    SPP_FAIL("NULL input", &d, lv, 2, MAX, AD, NULL, 0, NULL, 32, y, 10, SWIFTPOOL_ERROR_NULL_POINTER);
    SPP_FAIL("NULL output", &d, lv, 2, MAX, AD, NULL, 0, x, 32, NULL, 10, SWIFTPOOL_ERROR_NULL_POINTER);
    SPP_FAIL("num_levels 0", &d, lv, 0, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    SPP_FAIL("level 0", &d, bad_lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    SPP_FAIL("input_len", &d, lv, 2, MAX, AD, NULL, 0, x, 31, y, 10, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    SPP_FAIL("output_len", &d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 9, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    SPP_FAIL("sizes_len", &d, lv, 2, MAX, AD, sizes, 3, x, 32, y, 10, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    CHECK_MESSAGE_HAS("sizes_len");
    {
        const int64_t too_big[4] = {4, 5, 2, 2}, zero[4] = {4, 4, 0, 2};
        SPP_FAIL("sizes w > W", &d, lv, 2, MAX, AD, too_big, 4, x, 32, y, 10, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS("sizes");
        SPP_FAIL("sizes h 0", &d, lv, 2, MAX, AD, zero, 4, x, 32, y, 10, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    }
    /* SPP-net bins: 4 into 3 leaves remainder 1 (fine); 5 into 3 leaves 2 (rejected). */
    {
        const int64_t lv3[2] = {3, 3};
        d = good;
        CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(&d, lv3, 1, MAX, NET, NULL, 0, x, 32, y, 18), SWIFTPOOL_OK);
        desc_2d(&d, 1, 1, 5, 4, 1, 1, 0);
        SPP_FAIL("SPP-net 5 into 3", &d, lv3, 1, MAX, NET, NULL, 0, x, 20, y, 9, SWIFTPOOL_ERROR_INVALID_SHAPE);
        CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(&d, lv3, 1, MAX, AD, NULL, 0, x, 20, y, 9), SWIFTPOOL_OK);
        const int64_t lv5[2] = {5, 1};
        desc_2d(&d, 1, 1, 4, 4, 1, 1, 0);
        SPP_FAIL("SPP-net 4 into 5", &d, lv5, 1, MAX, NET, NULL, 0, x, 16, y, 5, SWIFTPOOL_ERROR_INVALID_SHAPE);
        CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(&d, lv5, 1, MAX, AD, NULL, 0, x, 16, y, 5), SWIFTPOOL_OK);
    }
    d = good;
    SPP_FAIL("mode 0", &d, lv, 2, 0, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("mode");
    SPP_FAIL("mode 3", &d, lv, 2, 3, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    SPP_FAIL("bins 0", &d, lv, 2, MAX, 0, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("bins");
    SPP_FAIL("bins 3", &d, lv, 2, MAX, 3, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    d = good; d.flags = SWIFTPOOL_FLAG_NAN_IGNORE;
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(&d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10), SWIFTPOOL_OK);
    SPP_FAIL("NAN_IGNORE with AVG", &d, lv, 2, AVG, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("flags");
    d = good; d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
    SPP_FAIL("flags GLOBAL", &d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    d = good; d.dtype = SWIFTPOOL_DTYPE_UINT8;
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(&d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10), SWIFTPOOL_OK);
    SPP_FAIL("AVG of uint8", &d, lv, 2, AVG, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("dtype");
    d = good; d.dtype = 0;
    SPP_FAIL("dtype 0", &d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    d = good; d.layout = 5;
    SPP_FAIL("layout 5", &d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    swiftpool_pool_desc_init(&d, 3);
    SPP_FAIL("rank 3", &d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    d = good; d.struct_size = 3;
    SPP_FAIL("struct_size", &d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_UNSUPPORTED);
    d = good; d.batch = -1;
    SPP_FAIL("batch -1", &d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    d = good; d.input_size[0] = 0;
    SPP_FAIL("input_size 0", &d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    d = good;
    SPP_FAIL("misaligned output", &d, lv, 2, MAX, AD, NULL, 0, x, 32, (char *)y + 1, 10, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    SPP_FAIL("overlap", &d, lv, 2, MAX, AD, NULL, 0, x, 32, x + 25, 10, SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK(x[25] == 25.0f);
    desc_2d(&d, 1, 1, (int64_t)1 << 32, (int64_t)1 << 32, 1, 1, 0);
    SPP_FAIL("input overflows", &d, lv, 2, MAX, AD, NULL, 0, x, 32, y, 10, SWIFTPOOL_ERROR_OVERFLOW);
    /* Batch 0: nothing to do. */
    d = good;
    d.batch = 0;
    memset(y, SENTINEL_BYTE, sizeof y);
    CHECK_STATUS(swiftpool_spatial_pyramid_pool_forward(&d, lv, 2, MAX, AD, NULL, 0, x, 0, y, 0), SWIFTPOOL_OK);
    CHECK(all_bytes(y, sizeof y, SENTINEL_BYTE));
#undef SPP_FAIL
}

/* =========================================================================
 * Max unpooling
 * ========================================================================= */

/* Zero-filled output, then each x element (taken in NCHW order) moved to its
 * index; raw bytes, so NaN payloads and -0.0 must survive. */
static void ref_unpool(const swiftpool_pool_desc *d, const int64_t *out_size, const void *x,
                       const int64_t *idx, void *y) {
    size_t es = dtype_size(d->dtype);
    int r = d->spatial_rank;
    int64_t in_plane = plane_of(d->input_size, r), out_plane = plane_of(out_size, r);
    int64_t N = d->batch, C = d->channels;
    memset(y, 0, (size_t)(N * C * out_plane) * es);
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t p = 0; p < in_plane; p++) {
                int64_t src = offset_in(d->layout, C, n, c, p, in_plane);
                int64_t i = idx[src], dst;
                if (d->flags & SWIFTPOOL_FLAG_INDICES_GLOBAL)
                    dst = offset_in(d->layout, C, i / (C * out_plane), (i / out_plane) % C,
                                    i % out_plane, out_plane);
                else
                    dst = offset_in(d->layout, C, n, c, i, out_plane);
                memcpy((char *)y + dst * (int64_t)es, (const char *)x + src * (int64_t)es, es);
            }
}

static int64_t unpool_default_size(const swiftpool_pool_desc *d, int a) {
    int64_t pe = d->padding_end[a] == -1 ? d->padding[a] : d->padding_end[a];
    return (d->input_size[a] - 1) * d->stride[a] - d->padding[a] - pe + d->kernel_size[a];
}

static void run_unpool_case(int rank, int32_t layout, int32_t dtype, uint32_t flags, int custom) {
    swiftpool_pool_desc d;
    char ctx[120];
    snprintf(ctx, sizeof ctx, "unpool rank %d %s %s flags %u custom %d", rank,
             layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC", dtype_name(dtype), (unsigned)flags,
             custom);
    set_context(ctx);
    swiftpool_pool_desc_init(&d, rank);
    d.dtype = dtype;
    d.layout = layout;
    d.flags = flags;
    d.batch = 2;
    d.channels = 3;
    int64_t out_size[3];
    for (int a = 0; a < rank; a++) {
        d.input_size[a] = 2 + a;
        d.kernel_size[a] = 2 + (a % 2);
        d.stride[a] = 2;
        d.padding[a] = a == 1 ? 1 : 0;
        d.padding_end[a] = a == 2 ? 1 : -1;
        out_size[a] = custom ? unpool_default_size(&d, a) + 1 + a : unpool_default_size(&d, a);
    }
    int64_t got_size[3] = {SENTINEL_I, SENTINEL_I, SENTINEL_I}, got_elems = -1;
    CHECK_STATUS(swiftpool_max_unpool_output_shape(&d, custom ? out_size : NULL, got_size, &got_elems),
                 SWIFTPOOL_OK);
    for (int a = 0; a < 3; a++) CHECK(got_size[a] == (a < rank ? out_size[a] : SENTINEL_I));
    int64_t in_plane = plane_of(d.input_size, rank), out_plane = plane_of(out_size, rank);
    int64_t in_n = d.batch * d.channels * in_plane, out_n = d.batch * d.channels * out_plane;
    CHECK(got_elems == out_n);

    size_t es = dtype_size(dtype);
    double *xd = (double *)xmalloc((size_t)in_n * sizeof(double));
    void *x = xmalloc((size_t)in_n * es);
    int64_t *idx = (int64_t *)xmalloc((size_t)in_n * sizeof(int64_t));
    void *y = xmalloc((size_t)(out_n + GUARD) * es);
    void *want = xmalloc((size_t)out_n * es);
    fill_input(xd, in_n, DATA_SPECIAL, dtype);
    for (int64_t i = 0; i < in_n; i++) {
        store(x, dtype, i, xd[i]);
        /* Few distinct targets, so duplicates are common. */
        int64_t limit = (flags & SWIFTPOOL_FLAG_INDICES_GLOBAL) ? out_n : out_plane;
        idx[i] = (int64_t)(rng_next() % (uint32_t)(limit < 7 ? limit : limit / 2));
    }
    ref_unpool(&d, out_size, x, idx, want);
    memset(y, SENTINEL_BYTE, (size_t)(out_n + GUARD) * es);
    CHECK_STATUS(swiftpool_max_unpool_forward(&d, custom ? out_size : NULL, x, in_n, idx, in_n, y, out_n),
                 SWIFTPOOL_OK);
    CHECK(memcmp(y, want, (size_t)out_n * es) == 0);
    CHECK(all_bytes((char *)y + out_n * (int64_t)es, GUARD * es, SENTINEL_BYTE));
    free(xd);
    free(x);
    free(idx);
    free(y);
    free(want);
    set_context("");
}

static void test_max_unpool(void) {
    for (int rank = 1; rank <= 3; rank++)
        for (int32_t layout = SWIFTPOOL_LAYOUT_NCHW; layout <= SWIFTPOOL_LAYOUT_NHWC; layout++)
            for (int32_t dtype = FIRST_DTYPE; dtype <= LAST_DTYPE; dtype++)
                for (int g = 0; g <= 1; g++)
                    for (int custom = 0; custom <= 1; custom++)
                        run_unpool_case(rank, layout, dtype, g ? (uint32_t)SWIFTPOOL_FLAG_INDICES_GLOBAL : 0u, custom);

    /* torch: max_unpool2d([[5,7],[13,15]], indices [[5,7],[13,15]], 2) puts them back
     * into a 4x4 of zeros; with output_size (5,5) the same indices land in 5-wide rows. */
    swiftpool_pool_desc d;
    float x[4] = {5, 7, 13, 15};
    int64_t idx[4] = {5, 7, 13, 15};
    float y[32];
    desc_2d(&d, 1, 1, 2, 2, 2, 2, 0);
    int64_t size[3] = {SENTINEL_I, SENTINEL_I, SENTINEL_I}, elems = 0;
    CHECK_STATUS(swiftpool_max_unpool_output_shape(&d, NULL, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == 4 && size[1] == 4 && size[2] == SENTINEL_I && elems == 16);
    CHECK_STATUS(swiftpool_max_unpool_output_shape(&d, NULL, NULL, NULL), SWIFTPOOL_OK);
    memset(y, SENTINEL_BYTE, sizeof y);
    CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, x, 4, idx, 4, y, 16), SWIFTPOOL_OK);
    int ok = 1;
    for (int i = 0; i < 16; i++) ok &= y[i] == (i == 5 ? 5.f : i == 7 ? 7.f : i == 13 ? 13.f : i == 15 ? 15.f : 0.f);
    CHECK(ok);
    CHECK(all_bytes(y + 16, sizeof y - 16 * sizeof(float), SENTINEL_BYTE));
    const int64_t five[2] = {5, 5};
    CHECK_STATUS(swiftpool_max_unpool_output_shape(&d, five, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == 5 && size[1] == 5 && elems == 25);
    CHECK_STATUS(swiftpool_max_unpool_forward(&d, five, x, 4, idx, 4, y, 25), SWIFTPOOL_OK);
    ok = 1;
    for (int i = 0; i < 25; i++) ok &= y[i] == (i == 5 ? 5.f : i == 7 ? 7.f : i == 13 ? 13.f : i == 15 ? 15.f : 0.f);
    CHECK(ok);
    /* Any output size >= 1 is accepted, even one the indices do not need. */
    const int64_t small[2] = {4, 4}, big[2] = {100, 1};
    CHECK_STATUS(swiftpool_max_unpool_forward(&d, small, x, 4, idx, 4, y, 16), SWIFTPOOL_OK);
    CHECK_STATUS(swiftpool_max_unpool_output_shape(&d, big, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == 100 && size[1] == 1 && elems == 100);

    /* Duplicates: the last element in NCHW order wins (torch: [0,0,0,2]). */
    {
        float xs[2] = {1, 2};
        int64_t is[2] = {3, 3};
        desc_1d(&d, 2, 2, 2, 0);
        CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, xs, 2, is, 2, y, 4), SWIFTPOOL_OK);
        CHECK(y[0] == 0 && y[1] == 0 && y[2] == 0 && y[3] == 2);
    }
    /* Default size with asymmetric pads: (3-1)*2 - 1 - 0 + 3 = 6. */
    desc_1d(&d, 3, 3, 2, 1);
    d.padding_end[0] = 0;
    CHECK_STATUS(swiftpool_max_unpool_output_shape(&d, NULL, size, &elems), SWIFTPOOL_OK);
    CHECK(size[0] == 6 && elems == 6);
    /* Unnamed fields are ignored. */
    desc_2d(&d, 1, 1, 2, 2, 2, 2, 0);
    d.count_include_pad = 9;
    d.divisor_override = -5;
    CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, x, 4, idx, 4, y, 16), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();
}

/* Both unpool functions on a bad descriptor / output_size: same status, nothing written. */
static void expect_unpool_fail(const char *label, const swiftpool_pool_desc *d, const int64_t *osz,
                               const void *x, int64_t x_len, const int64_t *idx, int64_t idx_len,
                               void *y, int64_t y_len, size_t y_bytes, int32_t want, int shape_too,
                               int line) {
    char ctx[160];
    snprintf(ctx, sizeof ctx, "line %d: unpool: %s", line, label);
    set_context(ctx);
    if (y) memset(y, SENTINEL_BYTE, y_bytes);
    CHECK_STATUS(swiftpool_max_unpool_forward(d, osz, x, x_len, idx, idx_len, y, y_len), want);
    CHECK(!y || all_bytes(y, y_bytes, SENTINEL_BYTE));
    CHECK(strlen(swiftpool_last_error_message()) > 0);
    if (shape_too) {
        int64_t size[3] = {SENTINEL_I, SENTINEL_I, SENTINEL_I}, elems = SENTINEL_I;
        CHECK_STATUS(swiftpool_max_unpool_output_shape(d, osz, size, &elems), want);
        CHECK(all_i(size, 3, SENTINEL_I) && elems == SENTINEL_I);
    }
    set_context("");
}

static void test_max_unpool_errors(void) {
    swiftpool_pool_desc d;
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t idx[8] = {0, 1, 2, 3, 0, 1, 2, 3};
    static float y[64];
    const size_t yb = sizeof y;
    /* 1x2x2x1 pooled tensor, kernel 2x1 stride 2x1: 4x1 per plane, 8 outputs. */
    swiftpool_pool_desc good;
    desc_2d(&good, 1, 2, 2, 1, 1, 1, 0);
    good.kernel_size[0] = 2;
    good.stride[0] = 2;

    d = good; CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, x, 4, idx, 4, y, 8), SWIFTPOOL_OK);
    expect_unpool_fail("NULL desc", NULL, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_NULL_POINTER, 1, __LINE__);
    CHECK_MESSAGE_HAS("desc");
    expect_unpool_fail("NULL input", &d, NULL, NULL, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_NULL_POINTER, 0, __LINE__);
    CHECK_MESSAGE_HAS("input");
    expect_unpool_fail("NULL indices", &d, NULL, x, 4, NULL, 4, y, 8, yb, SWIFTPOOL_ERROR_NULL_POINTER, 0, __LINE__);
    CHECK_MESSAGE_HAS("indices");
    expect_unpool_fail("NULL output", &d, NULL, x, 4, idx, 4, NULL, 8, 0, SWIFTPOOL_ERROR_NULL_POINTER, 0, __LINE__);
    CHECK_MESSAGE_HAS("output");

    expect_unpool_fail("input_len short", &d, NULL, x, 3, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 0, __LINE__);
    CHECK_MESSAGE_HAS("input_len");
    expect_unpool_fail("indices_len short", &d, NULL, x, 4, idx, 3, y, 8, yb, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 0, __LINE__);
    CHECK_MESSAGE_HAS("indices_len");
    expect_unpool_fail("output_len short", &d, NULL, x, 4, idx, 4, y, 7, yb, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, 0, __LINE__);
    CHECK_MESSAGE_HAS("output_len");

    /* Indices out of range: every index is checked before anything is written. */
    int64_t bad[4] = {0, 1, 2, 4};
    expect_unpool_fail("index = plane size", &d, NULL, x, 4, bad, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 0, __LINE__);
    CHECK_MESSAGE_HAS("indices");
    CHECK_MESSAGE_HAS("4");
    bad[3] = -1;
    expect_unpool_fail("index -1", &d, NULL, x, 4, bad, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 0, __LINE__);
    CHECK_MESSAGE_HAS("-1");
    /* With global indices, 4..7 are valid (the second plane), 8 is not. */
    d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
    int64_t glob[4] = {7, 6, 5, 4};
    memset(y, SENTINEL_BYTE, yb);
    CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, x, 4, glob, 4, y, 8), SWIFTPOOL_OK);
    CHECK(y[0] == 0 && y[3] == 0 && y[4] == 4 && y[5] == 3 && y[6] == 2 && y[7] == 1);
    glob[0] = 8;
    expect_unpool_fail("global index = N*C*plane", &d, NULL, x, 4, glob, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 0, __LINE__);

    /* Fields. */
    const int64_t zero_size[2] = {0, 1};
    d = good; expect_unpool_fail("output_size 0", &d, zero_size, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, __LINE__);
    CHECK_MESSAGE_HAS("output_size");
    d = good; d.dilation[0] = 2;
    expect_unpool_fail("dilation 2", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, __LINE__);
    CHECK_MESSAGE_HAS("dilation");
    d = good; d.ceil_mode = 1;
    expect_unpool_fail("ceil_mode 1", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, __LINE__);
    CHECK_MESSAGE_HAS("ceil_mode");
    d = good; d.auto_pad = SWIFTPOOL_AUTO_PAD_SAME_UPPER;
    expect_unpool_fail("auto_pad", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, __LINE__);
    CHECK_MESSAGE_HAS("auto_pad");
    d = good; d.stride[1] = 0;
    expect_unpool_fail("stride 0", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, __LINE__);
    d = good; d.kernel_size[0] = 0;
    expect_unpool_fail("kernel 0", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, __LINE__);
    d = good; d.padding[0] = -1;
    expect_unpool_fail("padding -1", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, __LINE__);
    d = good; d.padding_end[0] = -2;
    expect_unpool_fail("padding_end -2", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, __LINE__);
    d = good; d.channels = 0;
    expect_unpool_fail("channels 0", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_ARGUMENT, 1, __LINE__);
    d = good; d.flags = SWIFTPOOL_FLAG_NAN_IGNORE;
    expect_unpool_fail("flags NAN_IGNORE", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_UNSUPPORTED, 1, __LINE__);
    CHECK_MESSAGE_HAS("flags");
    d = good; d.flags = SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR;
    expect_unpool_fail("flags COLUMN_MAJOR", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_UNSUPPORTED, 1, __LINE__);
    d = good; d.dtype = 7;
    expect_unpool_fail("dtype 7", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_UNSUPPORTED, 1, __LINE__);
    d = good; d.layout = 9;
    expect_unpool_fail("layout 9", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_UNSUPPORTED, 1, __LINE__);
    d = good; d.struct_size = 4;
    expect_unpool_fail("struct_size 4", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_UNSUPPORTED, 1, __LINE__);
    d = good; d.spatial_rank = 4;
    expect_unpool_fail("spatial_rank 4", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_UNSUPPORTED, 1, __LINE__);
    /* Default output (1-1)*1 - 1 - 1 + 2 = 0. */
    desc_1d(&d, 1, 2, 1, 1);
    expect_unpool_fail("default output 0", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_INVALID_SHAPE, 1, __LINE__);
    /* (2-1) * INT64_MAX + 2 overflows. */
    desc_1d(&d, 2, 2, INT64_MAX, 0);
    expect_unpool_fail("default output overflows", &d, NULL, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_OVERFLOW, 1, __LINE__);
    const int64_t huge[2] = {(int64_t)1 << 32, (int64_t)1 << 32};
    d = good;
    expect_unpool_fail("output elements overflow", &d, huge, x, 4, idx, 4, y, 8, yb, SWIFTPOOL_ERROR_OVERFLOW, 1, __LINE__);

    /* Overlapping buffers. */
    d = good;
    {
        static float buf[16];
        static int64_t ibuf[16];
        for (int i = 0; i < 4; i++) buf[i] = (float)i, ibuf[i] = i;
        CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, buf, 4, ibuf, 4, buf, 8), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK(buf[0] == 0 && buf[3] == 3 && buf[4] == 0);
        CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, buf, 4, ibuf, 4, buf + 2, 8), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, buf, 4, ibuf, 4, (float *)(void *)ibuf, 8),
                     SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK(ibuf[0] == 0 && ibuf[3] == 3);
        /* Adjacent is not overlapping. */
        CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, buf, 4, ibuf, 4, buf + 4, 8), SWIFTPOOL_OK);
        /* Misaligned. */
        CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, (const char *)buf + 1, 4, ibuf, 4, buf + 8, 8),
                     SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, buf, 4, (const int64_t *)(const void *)((const char *)ibuf + 4),
                                                  4, buf + 8, 8),
                     SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    }

    /* Batch 0: nothing to do. */
    d = good;
    d.batch = 0;
    memset(y, SENTINEL_BYTE, yb);
    CHECK_STATUS(swiftpool_max_unpool_forward(&d, NULL, x, 0, idx, 0, y, 0), SWIFTPOOL_OK);
    CHECK(all_bytes(y, yb, SENTINEL_BYTE));
}

/* =========================================================================
 * Fractional max pooling
 * ========================================================================= */

/* SplitMix64, as the header defines the seeded samples. */
static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double seeded_sample(uint64_t x, int32_t dtype) {
    if (dtype == SWIFTPOOL_DTYPE_FLOAT32) return (double)(x >> 40) * ldexp(1.0, -24);
    return (double)(x >> 11) * ldexp(1.0, -53);
}

/* PyTorch's generate_intervals, in the element type. */
static void frac_starts(int32_t dtype, int64_t in, int64_t out, int64_t k, double u, int64_t *starts) {
    if (out > 1) {
        if (dtype == SWIFTPOOL_DTYPE_FLOAT32) {
            float uf = (float)u;
            float alpha = (float)(in - k) / (float)(out - 1);
            for (int64_t i = 0; i < out - 1; i++) {
                float a = ((float)i + uf) * alpha, b = uf * alpha;
                starts[i] = (int64_t)(int)a - (int64_t)(int)b;
            }
        } else {
            double alpha = (double)(in - k) / (double)(out - 1);
            for (int64_t i = 0; i < out - 1; i++)
                starts[i] = (int64_t)(int)(((double)i + u) * alpha) - (int64_t)(int)(u * alpha);
        }
    }
    starts[out - 1] = in - k;
}

/* samples: (N, C, rank) in PyTorch's order: 2D (u_W, u_H), 3D (u_D, u_H, u_W). */
static void ref_fractional(const swiftpool_pool_desc *d, const int64_t *out_size,
                           const double *samples, const double *x, double *y, int64_t *idx) {
    int r = d->spatial_rank;
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
    for (int a = 0; a < r; a++) {
        in[3 - r + a] = d->input_size[a];
        out[3 - r + a] = out_size[a];
        k[3 - r + a] = d->kernel_size[a];
    }
    int64_t in_plane = in[0] * in[1] * in[2], out_plane = out[0] * out[1] * out[2];
    int nan_ignore = (d->flags & SWIFTPOOL_FLAG_NAN_IGNORE) != 0;
    int64_t *starts[3];
    for (int a = 0; a < 3; a++) starts[a] = (int64_t *)xmalloc((size_t)out[a] * sizeof(int64_t));
    for (int64_t n = 0; n < d->batch; n++)
        for (int64_t c = 0; c < d->channels; c++) {
            const double *u = samples + (n * d->channels + c) * r;
            for (int a = 0; a < 3; a++) {
                int j = a - (3 - r); /* spatial axis index, outermost first */
                if (j < 0) {
                    starts[a][0] = 0;
                    continue;
                }
                double ua = r == 2 ? u[1 - j] : u[j]; /* 2D stores (u_W, u_H) */
                frac_starts(d->dtype, in[a], out[a], k[a], ua, starts[a]);
            }
            for (int64_t o0 = 0; o0 < out[0]; o0++)
                for (int64_t o1 = 0; o1 < out[1]; o1++)
                    for (int64_t o2 = 0; o2 < out[2]; o2++) {
                        double best = -INFINITY;
                        int64_t best_pos = -1, last_nan = -1;
                        int have = 0;
                        for (int64_t i0 = starts[0][o0]; i0 < starts[0][o0] + k[0]; i0++)
                            for (int64_t i1 = starts[1][o1]; i1 < starts[1][o1] + k[1]; i1++)
                                for (int64_t i2 = starts[2][o2]; i2 < starts[2][o2] + k[2]; i2++) {
                                    int64_t pos = (i0 * in[1] + i1) * in[2] + i2;
                                    double v = x[offset_in(d->layout, d->channels, n, c, pos, in_plane)];
                                    if (best_pos < 0 && !nan_ignore) best_pos = pos;
                                    if (nan_ignore) {
                                        if (isnan(v)) {
                                            last_nan = pos;
                                            continue;
                                        }
                                        if (!have || v > best) best = v, best_pos = pos;
                                        have = 1;
                                    } else if (v > best || isnan(v)) {
                                        best = v, best_pos = pos;
                                    }
                                }
                        if (nan_ignore && !have) best = NAN, best_pos = last_nan;
                        int64_t at = offset_in(d->layout, d->channels, n, c,
                                               (o0 * out[1] + o1) * out[2] + o2, out_plane);
                        y[at] = best;
                        idx[at] = best_pos;
                    }
        }
    for (int a = 0; a < 3; a++) free(starts[a]);
}

static void run_fractional_case(int rank, int32_t layout, int32_t dtype, uint32_t flags, int kind) {
    swiftpool_pool_desc d;
    char ctx[120];
    snprintf(ctx, sizeof ctx, "fractional rank %d %s %s flags %u data %d", rank,
             layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC", dtype_name(dtype), (unsigned)flags, kind);
    set_context(ctx);
    swiftpool_pool_desc_init(&d, rank);
    d.dtype = dtype;
    d.layout = layout;
    d.flags = flags;
    d.batch = 2;
    d.channels = 2;
    int64_t out_size[3];
    for (int a = 0; a < rank; a++) {
        d.input_size[a] = 9 + 2 * a;
        d.kernel_size[a] = 2 + (a == 1);
        out_size[a] = a == 0 ? 1 + kind % 2 * 3 : d.input_size[a] - d.kernel_size[a] + 1 - a; /* incl. out 1, out max */
    }
    /* Fields fractional pooling does not use are ignored. */
    d.stride[0] = 0;
    d.padding[0] = -3;
    d.dilation[0] = 0;
    d.ceil_mode = 5;
    int64_t in_plane = plane_of(d.input_size, rank), out_plane = plane_of(out_size, rank);
    int64_t in_n = d.batch * d.channels * in_plane, out_n = d.batch * d.channels * out_plane;
    int64_t s_n = d.batch * d.channels * rank;
    size_t es = dtype_size(dtype);
    double *xd = (double *)xmalloc((size_t)in_n * sizeof(double));
    void *x = xmalloc((size_t)in_n * es);
    double *sd = (double *)xmalloc((size_t)s_n * sizeof(double));
    void *s = xmalloc((size_t)s_n * es);
    void *y = xmalloc((size_t)(out_n + GUARD) * es);
    void *y2 = xmalloc((size_t)(out_n + GUARD) * es);
    int64_t *idx = (int64_t *)xmalloc((size_t)(out_n + GUARD) * sizeof(int64_t));
    int64_t *idx2 = (int64_t *)xmalloc((size_t)(out_n + GUARD) * sizeof(int64_t));
    double *want = (double *)xmalloc((size_t)out_n * sizeof(double));
    int64_t *want_idx = (int64_t *)xmalloc((size_t)out_n * sizeof(int64_t));
    fill_input(xd, in_n, kind == 3 ? DATA_SPECIAL : kind, dtype);
    for (int64_t i = 0; i < in_n; i++) store(x, dtype, i, xd[i]);

    /* Explicit samples, including 0 and the largest below 1. */
    for (int64_t i = 0; i < s_n; i++) {
        uint32_t q = rng_next() % 8;
        sd[i] = q == 0 ? 0.0 : q == 1 ? (dtype == SWIFTPOOL_DTYPE_FLOAT32 ? 1.0 - ldexp(1.0, -24) : 1.0 - ldexp(1.0, -53))
                                      : (double)(rng_next() >> 8) * ldexp(1.0, -24);
        store(s, dtype, i, sd[i]);
    }
    ref_fractional(&d, out_size, sd, xd, want, want_idx);
    memset(y, SENTINEL_BYTE, (size_t)(out_n + GUARD) * es);
    memset(idx, SENTINEL_BYTE, (size_t)(out_n + GUARD) * sizeof(int64_t));
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, out_size, s, s_n, 0, x, in_n, y, out_n, idx, out_n),
                 SWIFTPOOL_OK);
    int bad_v = 0, bad_i = 0;
    for (int64_t i = 0; i < out_n; i++) {
        double got = load(y, dtype, i);
        if (!same_value(got, want[i], dtype) && bad_v++ == 0)
            fprintf(stderr, "  frac[%" PRId64 "] = %.17g, want %.17g\n", i, got, want[i]);
        if (idx[i] != want_idx[i] && bad_i++ == 0)
            fprintf(stderr, "  frac idx[%" PRId64 "] = %" PRId64 ", want %" PRId64 "\n", i, idx[i], want_idx[i]);
    }
    CHECK(bad_v == 0);
    CHECK(bad_i == 0);
    CHECK(all_bytes((char *)y + out_n * (int64_t)es, GUARD * es, SENTINEL_BYTE));
    CHECK(all_bytes(idx + out_n, GUARD * sizeof(int64_t), SENTINEL_BYTE));

    /* Seeded samples equal explicit SplitMix64 samples, and work without indices. */
    uint64_t seed = 0x1234567ull + (uint64_t)kind, state = seed;
    for (int64_t i = 0; i < s_n; i++) store(s, dtype, i, seeded_sample(splitmix64(&state), dtype));
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, out_size, s, s_n, 0, x, in_n, y, out_n, idx, out_n),
                 SWIFTPOOL_OK);
    memset(y2, SENTINEL_BYTE, (size_t)(out_n + GUARD) * es);
    memset(idx2, SENTINEL_BYTE, (size_t)(out_n + GUARD) * sizeof(int64_t));
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, out_size, NULL, 0, seed, x, in_n, y2, out_n, idx2, out_n),
                 SWIFTPOOL_OK);
    CHECK(memcmp(y, y2, (size_t)out_n * es) == 0);
    CHECK(memcmp(idx, idx2, (size_t)out_n * sizeof(int64_t)) == 0);
    /* ...on any thread count. */
    CHECK_STATUS(swiftpool_set_num_threads(1), SWIFTPOOL_OK);
    memset(y2, SENTINEL_BYTE, (size_t)(out_n + GUARD) * es);
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, out_size, NULL, 0, seed, x, in_n, y2, out_n, NULL, 0),
                 SWIFTPOOL_OK);
    CHECK(memcmp(y, y2, (size_t)out_n * es) == 0);
    CHECK(all_bytes((char *)y2 + out_n * (int64_t)es, GUARD * es, SENTINEL_BYTE));
    CHECK_STATUS(swiftpool_set_num_threads(0), SWIFTPOOL_OK);

    free(xd);
    free(x);
    free(sd);
    free(s);
    free(y);
    free(y2);
    free(idx);
    free(idx2);
    free(want);
    free(want_idx);
    set_context("");
}

static void test_fractional_max_pool(void) {
    for (int rank = 2; rank <= 3; rank++)
        for (int32_t layout = SWIFTPOOL_LAYOUT_NCHW; layout <= SWIFTPOOL_LAYOUT_NHWC; layout++)
            for (int32_t dtype = SWIFTPOOL_DTYPE_FLOAT32; dtype <= SWIFTPOOL_DTYPE_FLOAT64; dtype++)
                for (int f = 0; f <= 1; f++)
                    for (int kind = 0; kind < DATA_KINDS; kind++)
                        run_fractional_case(rank, layout, dtype, f ? (uint32_t)SWIFTPOOL_FLAG_NAN_IGNORE : 0u, kind);

    /* torch: fractional_max_pool2d(arange(25) 5x5 with x[1,1]=100, 2, output_size=(3,3),
     * _random_samples=[[[0.3, 0.7]]]). */
    swiftpool_pool_desc d;
    float x[35], y[12], s[2] = {0.3f, 0.7f};
    int64_t ix[12];
    for (int i = 0; i < 25; i++) x[i] = (float)i;
    x[6] = 100;
    desc_2d(&d, 1, 1, 5, 5, 2, 1, 0);
    const int64_t o33[2] = {3, 3};
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o33, s, 2, 0, x, 25, y, 9, ix, 9), SWIFTPOOL_OK);
    static const float want1[9] = {100, 100, 9, 100, 100, 14, 21, 22, 24};
    static const int64_t want1_i[9] = {6, 6, 9, 6, 6, 14, 21, 22, 24};
    CHECK(memcmp(y, want1, sizeof want1) == 0 && memcmp(ix, want1_i, sizeof want1_i) == 0);
    /* torch: 5x7 (values 34 - i... flipped rows), kernel (2,3), output (3,4), samples [[[0.9, 0.1]]]. */
    for (int h = 0; h < 5; h++)
        for (int w = 0; w < 7; w++) x[h * 7 + w] = (float)(h * 7 + 6 - w);
    s[0] = 0.9f;
    s[1] = 0.1f;
    desc_2d(&d, 1, 1, 5, 7, 2, 1, 0);
    d.kernel_size[1] = 3;
    const int64_t o34[2] = {3, 4};
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o34, s, 2, 0, x, 35, y, 12, ix, 12), SWIFTPOOL_OK);
    static const float want2[12] = {13, 12, 11, 9, 20, 19, 18, 16, 34, 33, 32, 30};
    static const int64_t want2_i[12] = {7, 8, 9, 11, 14, 15, 16, 18, 28, 29, 30, 32};
    CHECK(memcmp(y, want2, sizeof want2) == 0 && memcmp(ix, want2_i, sizeof want2_i) == 0);
}

static void expect_frac_fail(const char *label, const swiftpool_pool_desc *d, const int64_t *osz,
                             const void *s, int64_t s_len, const void *x, int64_t x_len, void *y,
                             int64_t y_len, int64_t *idx, int64_t idx_len, int32_t want, int line) {
    char ctx[160];
    static float ybuf_check[1];
    (void)ybuf_check;
    snprintf(ctx, sizeof ctx, "line %d: fractional: %s", line, label);
    set_context(ctx);
    if (y) memset(y, SENTINEL_BYTE, 64 * sizeof(float));
    if (idx) memset(idx, SENTINEL_BYTE, 16 * sizeof(int64_t));
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(d, osz, s, s_len, 7, x, x_len, y, y_len, idx, idx_len), want);
    CHECK(!y || all_bytes(y, 64 * sizeof(float), SENTINEL_BYTE));
    CHECK(!idx || all_bytes(idx, 16 * sizeof(int64_t), SENTINEL_BYTE));
    CHECK(strlen(swiftpool_last_error_message()) > 0);
    set_context("");
}

static void test_fractional_errors(void) {
    /* 1x2x4x4, kernel 2, output 2x2: 8 outputs, 4 samples. */
    swiftpool_pool_desc good, d;
    desc_2d(&good, 1, 2, 4, 4, 2, 1, 0);
    static float x[64], y[64];
    static int64_t idx[16];
    float s[4] = {0.5f, 0.25f, 0.0f, 0.75f};
    const int64_t o22[2] = {2, 2};
    for (int i = 0; i < 32; i++) x[i] = (float)i;

    d = good;
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o22, s, 4, 0, x, 32, y, 8, idx, 8), SWIFTPOOL_OK);
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o22, NULL, 0, 99, x, 32, y, 8, NULL, 0), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();
    expect_frac_fail("NULL desc", NULL, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("desc");
    expect_frac_fail("NULL output_size", &d, NULL, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("output_size");
    expect_frac_fail("NULL input", &d, o22, s, 4, NULL, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("input");
    expect_frac_fail("NULL output", &d, o22, s, 4, x, 32, NULL, 8, idx, 8, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("output");

    expect_frac_fail("samples_len short", &d, o22, s, 3, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, __LINE__);
    CHECK_MESSAGE_HAS("samples_len");
    expect_frac_fail("input_len short", &d, o22, s, 4, x, 31, y, 8, idx, 8, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, __LINE__);
    CHECK_MESSAGE_HAS("input_len");
    expect_frac_fail("output_len short", &d, o22, s, 4, x, 32, y, 7, idx, 8, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, __LINE__);
    CHECK_MESSAGE_HAS("output_len");
    expect_frac_fail("indices_len short", &d, o22, s, 4, x, 32, y, 8, idx, 7, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, __LINE__);
    CHECK_MESSAGE_HAS("indices_len");
    expect_frac_fail("samples NULL with samples_len 4", &d, o22, NULL, 4, x, 32, y, 8, idx, 8,
                     SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    CHECK_MESSAGE_HAS("samples");

    /* Samples must be finite and in [0, 1). */
    static const float bad_samples[] = {1.0f, -0.25f, NAN, INFINITY, -INFINITY, 2.0f};
    for (size_t i = 0; i < sizeof bad_samples / sizeof bad_samples[0]; i++) {
        float sb[4] = {0.5f, 0.25f, 0.0f, 0.75f};
        sb[2] = bad_samples[i];
        expect_frac_fail("bad sample", &d, o22, sb, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
        CHECK_MESSAGE_HAS("sample");
    }
    double sd[4] = {0.5, 0.25, 1.0, 0.75};
    d.dtype = SWIFTPOOL_DTYPE_FLOAT64;
    expect_frac_fail("bad float64 sample", &d, o22, sd, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    sd[2] = 1.0 - ldexp(1.0, -53);
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o22, sd, 4, 0, x, 32, y, 8, idx, 8), SWIFTPOOL_OK);

    /* Sizes. */
    const int64_t o0[2] = {0, 2}, o33[2] = {3, 3}, o34[2] = {3, 4};
    d = good;
    expect_frac_fail("output_size 0", &d, o0, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    CHECK_MESSAGE_HAS("output_size");
    d = good; d.kernel_size[1] = 0;
    expect_frac_fail("kernel 0", &d, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    CHECK_MESSAGE_HAS("kernel_size");
    d = good; /* 3 + 2 - 1 = 4 <= 4 fits; 4 + 2 - 1 = 5 does not. */
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o33, s, 4, 0, x, 32, y, 18, idx, 16), SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o33, s, 4, 0, x, 32, y, 18, NULL, 0), SWIFTPOOL_OK);
    expect_frac_fail("output + kernel - 1 > input", &d, o34, s, 4, x, 32, y, 24, NULL, 0,
                     SWIFTPOOL_ERROR_INVALID_SHAPE, __LINE__);

    /* Types, rank, flags. */
    d = good; d.dtype = SWIFTPOOL_DTYPE_FLOAT16;
    expect_frac_fail("float16", &d, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    CHECK_MESSAGE_HAS("dtype");
    d = good; d.dtype = SWIFTPOOL_DTYPE_UINT8;
    expect_frac_fail("uint8", &d, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    desc_1d(&d, 4, 2, 1, 0);
    expect_frac_fail("rank 1", &d, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    CHECK_MESSAGE_HAS("spatial_rank");
    d = good; d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
    expect_frac_fail("flags GLOBAL", &d, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    CHECK_MESSAGE_HAS("flags");
    d = good; d.layout = 0;
    expect_frac_fail("layout 0", &d, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    d = good; d.struct_size = 0;
    expect_frac_fail("struct_size 0", &d, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    d = good; d.batch = -1;
    expect_frac_fail("batch -1", &d, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    desc_2d(&d, 1, 1, (int64_t)1 << 32, (int64_t)1 << 32, 2, 1, 0);
    expect_frac_fail("input elements overflow", &d, o22, s, 4, x, 32, y, 8, idx, 8, SWIFTPOOL_ERROR_OVERFLOW, __LINE__);

    /* Overlap. */
    d = good;
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o22, s, 4, 0, x, 32, x + 8, 8, NULL, 0),
                 SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK(x[8] == 8.0f && x[15] == 15.0f);
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o22, s, 4, 0, x, 32, y, 8, (int64_t *)(void *)y, 8),
                 SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    expect_frac_fail("misaligned input", &d, o22, s, 4, (const char *)x + 2, 32, y, 8, idx, 8,
                     SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    expect_frac_fail("misaligned samples", &d, o22, (const char *)s + 1, 4, x, 32, y, 8, idx, 8,
                     SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);

    /* Batch 0: nothing to do. */
    d = good;
    d.batch = 0;
    memset(y, SENTINEL_BYTE, sizeof y);
    CHECK_STATUS(swiftpool_fractional_max_pool_forward(&d, o22, NULL, 0, 1, x, 0, y, 0, NULL, 0), SWIFTPOOL_OK);
    CHECK(all_bytes(y, sizeof y, SENTINEL_BYTE));
}

/* =========================================================================
 * ROI max pooling
 * ========================================================================= */

/* torchvision's roi_pool CPU kernel; every operation rounded to the element type. */
static double rt(int32_t dtype, double v) {
    return dtype == SWIFTPOOL_DTYPE_FLOAT32 ? (double)(float)v : v;
}
static double round_half_away(double v) {
    return v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
}

static void ref_roi(const swiftpool_pool_desc *d, const double *boxes, int64_t num_boxes,
                    const int64_t *pooled, double scale_in, const double *x, double *y, int64_t *argmax) {
    int32_t dt = d->dtype;
    int64_t C = d->channels, H = d->input_size[0], W = d->input_size[1];
    int64_t PH = pooled[0], PW = pooled[1], plane = H * W, out_plane = PH * PW;
    double scale = rt(dt, scale_in);
    for (int64_t b = 0; b < num_boxes; b++) {
        const double *r = boxes + b * 5;
        int64_t batch = (int64_t)r[0];
        int64_t x1 = (int64_t)round_half_away(rt(dt, r[1] * scale));
        int64_t y1 = (int64_t)round_half_away(rt(dt, r[2] * scale));
        int64_t x2 = (int64_t)round_half_away(rt(dt, r[3] * scale));
        int64_t y2 = (int64_t)round_half_away(rt(dt, r[4] * scale));
        int64_t roi_w = x2 - x1 + 1 > 1 ? x2 - x1 + 1 : 1, roi_h = y2 - y1 + 1 > 1 ? y2 - y1 + 1 : 1;
        double bin_h = rt(dt, (double)roi_h / (double)PH), bin_w = rt(dt, (double)roi_w / (double)PW);
        for (int64_t ph = 0; ph < PH; ph++)
            for (int64_t pw = 0; pw < PW; pw++) {
                int64_t hs = (int64_t)floor(rt(dt, (double)ph * bin_h)) + y1;
                int64_t he = (int64_t)ceil(rt(dt, (double)(ph + 1) * bin_h)) + y1;
                int64_t ws = (int64_t)floor(rt(dt, (double)pw * bin_w)) + x1;
                int64_t we = (int64_t)ceil(rt(dt, (double)(pw + 1) * bin_w)) + x1;
                hs = hs < 0 ? 0 : hs > H ? H : hs;
                he = he < 0 ? 0 : he > H ? H : he;
                ws = ws < 0 ? 0 : ws > W ? W : ws;
                we = we < 0 ? 0 : we > W ? W : we;
                int empty = he <= hs || we <= ws;
                for (int64_t c = 0; c < C; c++) {
                    double best = empty ? 0.0 : -3.4028234663852886e38; /* -FLT_MAX */
                    int64_t at = -1;
                    for (int64_t h = hs; h < he; h++)
                        for (int64_t w = ws; w < we; w++) {
                            double v = x[offset_in(d->layout, C, batch, c, h * W + w, plane)];
                            if (v > best) best = v, at = h * W + w;
                        }
                    int64_t o = offset_in(d->layout, C, b, c, ph * PW + pw, out_plane);
                    y[o] = best;
                    argmax[o] = at;
                }
            }
    }
}

static void run_roi_case(int32_t layout, int32_t dtype, int kind, double scale) {
    swiftpool_pool_desc d;
    char ctx[120];
    snprintf(ctx, sizeof ctx, "roi %s %s data %d scale %g", layout == SWIFTPOOL_LAYOUT_NCHW ? "NCHW" : "NHWC",
             dtype_name(dtype), kind, scale);
    set_context(ctx);
    desc_2d(&d, 2, 3, 9, 11, 0, 0, 0); /* window fields are ignored: kernel and stride 0 */
    d.dtype = dtype;
    d.layout = layout;
    enum { BOXES = 12 };
    const int64_t pooled[2] = {3, 2};
    int64_t in_n = 2 * 3 * 9 * 11, out_n = BOXES * 3 * 3 * 2;
    size_t es = dtype_size(dtype);
    double xd[2 * 3 * 9 * 11], bd[BOXES * 5], want[BOXES * 3 * 3 * 2];
    int64_t want_i[BOXES * 3 * 3 * 2], got_i[BOXES * 3 * 3 * 2 + GUARD];
    void *x = xmalloc((size_t)in_n * es), *boxes = xmalloc(BOXES * 5 * es);
    void *y = xmalloc((size_t)(out_n + GUARD) * es);
    fill_input(xd, in_n, kind, dtype);
    if (kind == DATA_SPECIAL && dtype == SWIFTPOOL_DTYPE_FLOAT64) xd[5] = -1e300; /* below -FLT_MAX */
    for (int64_t i = 0; i < in_n; i++) store(x, dtype, i, xd[i]);
    for (int b = 0; b < BOXES; b++) {
        double *r = bd + b * 5;
        r[0] = (double)(rng_next() % 2) + (b % 3) * 0.4; /* fractional batch index: truncated */
        for (int j = 1; j <= 4; j++) r[j] = (double)((int)(rng_next() % 64) - 12) / 4.0; /* may fall outside */
        if (b == 0) r[1] = 1.5, r[2] = 2.5, r[3] = -0.5, r[4] = -2.5; /* halves round away from zero */
        if (b == 1) r[1] = 30, r[2] = 30, r[3] = 40, r[4] = 40;     /* wholly outside: empty bins */
        for (int j = 0; j < 5; j++) {
            store(boxes, dtype, b * 5 + j, r[j]);
            r[j] = load(boxes, dtype, b * 5 + j);
        }
    }
    ref_roi(&d, bd, BOXES, pooled, scale, xd, want, want_i);
    memset(y, SENTINEL_BYTE, (size_t)(out_n + GUARD) * es);
    memset(got_i, SENTINEL_BYTE, sizeof got_i);
    CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, boxes, BOXES, BOXES * 5, pooled, scale, x, in_n, y, out_n,
                                                got_i, out_n),
                 SWIFTPOOL_OK);
    int bad_v = 0, bad_i = 0;
    for (int64_t i = 0; i < out_n; i++) {
        double got = load(y, dtype, i);
        if (!same_value(got, rt(dtype, want[i]), dtype) && bad_v++ == 0)
            fprintf(stderr, "  roi[%" PRId64 "] = %.17g, want %.17g\n", i, got, want[i]);
        if (got_i[i] != want_i[i] && bad_i++ == 0)
            fprintf(stderr, "  roi argmax[%" PRId64 "] = %" PRId64 ", want %" PRId64 "\n", i, got_i[i], want_i[i]);
    }
    CHECK(bad_v == 0);
    CHECK(bad_i == 0);
    CHECK(all_bytes((char *)y + out_n * (int64_t)es, GUARD * es, SENTINEL_BYTE));
    CHECK(all_bytes(got_i + out_n, GUARD * sizeof(int64_t), SENTINEL_BYTE));
    free(x);
    free(boxes);
    free(y);
    set_context("");
}

static void test_roi_max_pool(void) {
    static const double scales[] = {1.0, 0.5, 0.3, 2.0};
    for (int32_t layout = SWIFTPOOL_LAYOUT_NCHW; layout <= SWIFTPOOL_LAYOUT_NHWC; layout++)
        for (int32_t dtype = SWIFTPOOL_DTYPE_FLOAT32; dtype <= SWIFTPOOL_DTYPE_FLOAT64; dtype++)
            for (int kind = 0; kind < DATA_KINDS; kind++)
                for (size_t s = 0; s < sizeof scales / sizeof scales[0]; s++)
                    run_roi_case(layout, dtype, kind, scales[s]);

    /* onnxruntime MaxRoiPool, pooled_shape (2,2), scale 1, box (0, 0,0,3,3) on arange(16)
     * as 4x4 -> [5, 7, 13, 15]; argmax (torchvision) the same positions. */
    swiftpool_pool_desc d;
    float x[16], y[8], box[5] = {0, 0, 0, 3, 3};
    int64_t am[8];
    const int64_t p22[2] = {2, 2};
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    desc_2d(&d, 1, 1, 4, 4, 1, 1, 0);
    CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, box, 1, 5, p22, 1.0, x, 16, y, 4, am, 4), SWIFTPOOL_OK);
    CHECK(y[0] == 5 && y[1] == 7 && y[2] == 13 && y[3] == 15);
    CHECK(am[0] == 5 && am[1] == 7 && am[2] == 13 && am[3] == 15);
    /* Without argmax. */
    CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, box, 1, 5, p22, 1.0, x, 16, y, 4, NULL, 0), SWIFTPOOL_OK);
    CHECK(y[0] == 5 && y[3] == 15);
    /* NaN never replaces; a bin of only NaN / -inf gives -FLT_MAX with argmax -1. */
    for (int i = 0; i < 16; i++) x[i] = (i % 4 < 2 && i < 8) ? NAN : -INFINITY;
    x[15] = 1;
    CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, box, 1, 5, p22, 1.0, x, 16, y, 4, am, 4), SWIFTPOOL_OK);
    CHECK(y[0] == -3.4028234663852886e38f && am[0] == -1);
    CHECK(y[1] == -3.4028234663852886e38f && am[1] == -1);
    CHECK(y[3] == 1 && am[3] == 15);
    /* An empty bin (box wholly outside the map) gives 0 with argmax -1. */
    float outside[5] = {0, 10, 10, 12, 12};
    CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, outside, 1, 5, p22, 1.0, x, 16, y, 4, am, 4), SWIFTPOOL_OK);
    CHECK(y[0] == 0 && y[3] == 0 && am[0] == -1 && am[3] == -1);
}

static void expect_roi_fail(const char *label, const swiftpool_pool_desc *d, const void *boxes, int64_t nb,
                            int64_t boxes_len, const int64_t *pooled, double scale, const void *x, int64_t x_len,
                            void *y, int64_t y_len, int64_t *am, int64_t am_len, int32_t want, int line) {
    char ctx[160];
    snprintf(ctx, sizeof ctx, "line %d: roi: %s", line, label);
    set_context(ctx);
    if (y) memset(y, SENTINEL_BYTE, 32 * sizeof(double));
    if (am) memset(am, SENTINEL_BYTE, 16 * sizeof(int64_t));
    CHECK_STATUS(swiftpool_roi_max_pool_forward(d, boxes, nb, boxes_len, pooled, scale, x, x_len, y, y_len, am, am_len),
                 want);
    CHECK(!y || all_bytes(y, 32 * sizeof(double), SENTINEL_BYTE));
    CHECK(!am || all_bytes(am, 16 * sizeof(int64_t), SENTINEL_BYTE));
    CHECK(strlen(swiftpool_last_error_message()) > 0);
    set_context("");
}

static void test_roi_errors(void) {
    /* 2x1x4x4 map, two boxes, pooled 2x2: 8 outputs. */
    swiftpool_pool_desc good, d;
    desc_2d(&good, 2, 1, 4, 4, 1, 1, 0);
    static float x[64];
    static double y[32];
    static int64_t am[17]; /* one spare: a misaligned view of 16 still fits */
    float boxes[10] = {0, 0, 0, 3, 3, 1, 1, 1, 2, 2};
    const int64_t p22[2] = {2, 2};
    for (int i = 0; i < 32; i++) x[i] = (float)i;

    d = good;
    CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, boxes, 2, 10, p22, 1.0, x, 32, y, 8, am, 8), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();
    expect_roi_fail("NULL desc", NULL, boxes, 2, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("desc");
    expect_roi_fail("NULL boxes", &d, NULL, 2, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("boxes");
    expect_roi_fail("NULL output_size", &d, boxes, 2, 10, NULL, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("output_size");
    expect_roi_fail("NULL input", &d, boxes, 2, 10, p22, 1.0, NULL, 32, y, 8, am, 8, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("input");
    expect_roi_fail("NULL output", &d, boxes, 2, 10, p22, 1.0, x, 32, NULL, 8, am, 8, SWIFTPOOL_ERROR_NULL_POINTER, __LINE__);
    CHECK_MESSAGE_HAS("output");

    expect_roi_fail("boxes_len short", &d, boxes, 2, 9, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, __LINE__);
    CHECK_MESSAGE_HAS("boxes_len");
    expect_roi_fail("input_len short", &d, boxes, 2, 10, p22, 1.0, x, 31, y, 8, am, 8, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, __LINE__);
    CHECK_MESSAGE_HAS("input_len");
    expect_roi_fail("output_len short", &d, boxes, 2, 10, p22, 1.0, x, 32, y, 7, am, 8, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, __LINE__);
    CHECK_MESSAGE_HAS("output_len");
    expect_roi_fail("argmax_len short", &d, boxes, 2, 10, p22, 1.0, x, 32, y, 8, am, 7, SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, __LINE__);
    CHECK_MESSAGE_HAS("argmax_len");

    expect_roi_fail("num_boxes -1", &d, boxes, -1, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    CHECK_MESSAGE_HAS("num_boxes");
    const int64_t p02[2] = {0, 2};
    expect_roi_fail("output_size 0", &d, boxes, 2, 10, p02, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    CHECK_MESSAGE_HAS("output_size");
    static const double bad_scales[] = {0.0, -1.0, NAN, INFINITY, 1e-50 /* 0 as float32 */, 1e300 /* inf as float32 */};
    for (size_t i = 0; i < sizeof bad_scales / sizeof bad_scales[0]; i++) {
        expect_roi_fail("bad spatial_scale", &d, boxes, 2, 10, p22, bad_scales[i], x, 32, y, 8, am, 8,
                        SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
        CHECK_MESSAGE_HAS("spatial_scale");
    }
    /* As float64 the tiny scale is fine (every box collapses to (0,0)). */
    {
        swiftpool_pool_desc d64 = good;
        d64.dtype = SWIFTPOOL_DTYPE_FLOAT64;
        double x64[32], b64[10] = {0, 0, 0, 3, 3, 1, 1, 1, 2, 2};
        for (int i = 0; i < 32; i++) x64[i] = i;
        CHECK_STATUS(swiftpool_roi_max_pool_forward(&d64, b64, 2, 10, p22, 1e-50, x64, 32, y, 8, am, 8), SWIFTPOOL_OK);
        CHECK(y[0] == 0.0 && am[0] == 0 && y[4] == 16.0 && am[4] == 0);
    }

    /* Bad boxes: the message names the box. */
    static const struct { int field; float value; } bad_boxes[] = {
        {0, 2.0f}, {0, -1.0f}, {0, NAN}, {1, NAN}, {2, INFINITY}, {3, -INFINITY}, {4, 3e9f}, {1, -3e9f},
    };
    for (size_t i = 0; i < sizeof bad_boxes / sizeof bad_boxes[0]; i++) {
        float b[10] = {0, 0, 0, 3, 3, 1, 1, 1, 2, 2};
        b[5 + bad_boxes[i].field] = bad_boxes[i].value;
        expect_roi_fail("bad box", &d, b, 2, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
        CHECK_MESSAGE_HAS("box");
    }
    /* Batch index -0.5 truncates to 0: valid. 1.99 truncates to 1: valid. */
    {
        float b[10] = {-0.5f, 0, 0, 3, 3, 1.99f, 0, 0, 3, 3};
        CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, b, 2, 10, p22, 1.0, x, 32, y, 8, am, 8), SWIFTPOOL_OK);
        CHECK(((float *)(void *)y)[0] == 5.0f && ((float *)(void *)y)[4] == 21.0f && am[4] == 5);
    }
    /* A coordinate out of int32 only after scaling. */
    {
        float b[5] = {0, 0, 0, 2e9f, 3};
        expect_roi_fail("x2 * scale out of int32", &d, b, 1, 5, p22, 2.0, x, 32, y, 4, am, 4,
                        SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
        CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, b, 1, 5, p22, 1.0, x, 32, y, 4, am, 4), SWIFTPOOL_OK);
    }

    /* Types, rank, flags. */
    d = good; d.dtype = SWIFTPOOL_DTYPE_BFLOAT16;
    expect_roi_fail("bfloat16", &d, boxes, 2, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    CHECK_MESSAGE_HAS("dtype");
    d = good; d.dtype = SWIFTPOOL_DTYPE_INT8;
    expect_roi_fail("int8", &d, boxes, 2, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    swiftpool_pool_desc_init(&d, 3);
    expect_roi_fail("rank 3", &d, boxes, 2, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    CHECK_MESSAGE_HAS("spatial_rank");
    d = good; d.flags = SWIFTPOOL_FLAG_NAN_IGNORE;
    expect_roi_fail("flags", &d, boxes, 2, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    CHECK_MESSAGE_HAS("flags");
    d = good; d.struct_size += 1;
    expect_roi_fail("struct_size", &d, boxes, 2, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_UNSUPPORTED, __LINE__);
    d = good; d.channels = 0;
    expect_roi_fail("channels 0", &d, boxes, 2, 10, p22, 1.0, x, 32, y, 8, am, 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    const int64_t huge[2] = {(int64_t)1 << 31, (int64_t)1 << 31};
    d = good; d.channels = 4;
    expect_roi_fail("output elements overflow", &d, boxes, 1, 5, huge, 1.0, x, 64, y, 8, am, 8,
                    SWIFTPOOL_ERROR_OVERFLOW, __LINE__);

    /* Overlap. */
    d = good;
    CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, boxes, 2, 10, p22, 1.0, x, 32, x + 4, 8, NULL, 0),
                 SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK(x[4] == 4.0f);
    {
        float bx[16] = {0, 0, 0, 3, 3, 1, 1, 1, 2, 2};
        CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, bx, 2, 10, p22, 1.0, x, 32, bx + 8, 8, NULL, 0),
                     SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK(bx[8] == 2.0f && bx[9] == 2.0f);
    }
    expect_roi_fail("misaligned boxes", &d, (const char *)boxes + 2, 2, 10, p22, 1.0, x, 32, y, 8, am, 8,
                    SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);
    expect_roi_fail("misaligned argmax", &d, boxes, 2, 10, p22, 1.0, x, 32, y, 8,
                    (int64_t *)(void *)((char *)am + 4), 8, SWIFTPOOL_ERROR_INVALID_ARGUMENT, __LINE__);

    /* No boxes: a valid no-op. */
    memset(y, SENTINEL_BYTE, sizeof y);
    CHECK_STATUS(swiftpool_roi_max_pool_forward(&d, boxes, 0, 0, p22, 1.0, x, 32, y, 0, NULL, 0), SWIFTPOOL_OK);
    CHECK(all_bytes(y, sizeof y, SENTINEL_BYTE));
}

/* =========================================================================
 * Per-thread error messages
 * ========================================================================= */

typedef struct thread_result {
    int kind; /* 0: stride error, 1: NULL input, 2: success */
    int32_t status;
    char message[256];
    int still_same; /* message unchanged after the other threads' calls */
} thread_result;

static pthread_barrier_t g_barrier;

static void *thread_main(void *arg) {
    thread_result *r = (thread_result *)arg;
    swiftpool_pool_desc d;
    float in[16], out[4];
    for (int i = 0; i < 16; i++) in[i] = (float)i;
    desc_2d(&d, 1, 1, 4, 4, 2, 2, 0);
    if (r->kind == 0) d.stride[1] = 0;
    r->status = swiftpool_max_pool_forward(&d, r->kind == 1 ? NULL : in, 16, out, 4, NULL, 0);
    snprintf(r->message, sizeof r->message, "%s", swiftpool_last_error_message());
    /* Wait until every thread has made its call, then read again. */
    pthread_barrier_wait(&g_barrier);
    r->still_same = strcmp(r->message, swiftpool_last_error_message()) == 0;
    pthread_barrier_wait(&g_barrier);
    return NULL;
}

static void test_thread_local_errors(void) {
    enum { THREADS = 3 };
    pthread_t threads[THREADS];
    thread_result results[THREADS];
    memset(results, 0, sizeof results);

    /* The main thread's own error must survive the others' calls. */
    swiftpool_pool_desc d;
    desc_2d(&d, 1, 1, 4, 4, 2, 2, 0);
    d.padding[0] = 5;
    CHECK_STATUS(swiftpool_pool_output_shape(&d, NULL, NULL), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    char main_message[256];
    snprintf(main_message, sizeof main_message, "%s", swiftpool_last_error_message());

    CHECK(pthread_barrier_init(&g_barrier, NULL, THREADS) == 0);
    for (int i = 0; i < THREADS; i++) {
        results[i].kind = i;
        CHECK(pthread_create(&threads[i], NULL, thread_main, &results[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&g_barrier);

    CHECK(results[0].status == SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(results[0].message, "stride") != NULL);
    CHECK(results[1].status == SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK(strstr(results[1].message, "input") != NULL);
    CHECK(strcmp(results[0].message, results[1].message) != 0);
    CHECK(results[2].status == SWIFTPOOL_OK);
    CHECK(strcmp(results[2].message, "") == 0);
    for (int i = 0; i < THREADS; i++) CHECK(results[i].still_same);

    CHECK(strcmp(swiftpool_last_error_message(), main_message) == 0);
    CHECK(strstr(main_message, "padding") != NULL);
}

/* =========================================================================
 * Main
 * ========================================================================= */


/* =========================================================================
 * Max pooling backward
 * ========================================================================= */

/* Hand-checked (and torch 2.13-checked) examples. */
static void test_max_pool_backward(void) {
    swiftpool_pool_desc d;
    float go[18], gi[50];
    int64_t idx[18];
    float x[25];
    float y[9];
    set_context("max_pool_backward examples");
    /* 5x5 input x[i] = i, kernel 3, stride 2, padding 1: each window's maximum is its
     * bottom-right real element, positions 6 8 9 / 16 18 19 / 21 23 24. */
    desc_2d(&d, 1, 1, 5, 5, 3, 2, 1);
    for (int i = 0; i < 25; i++) x[i] = (float)i;
    CHECK_STATUS(swiftpool_max_pool_forward(&d, x, 25, y, 9, idx, 9), SWIFTPOOL_OK);
    {
        const int64_t want_idx[9] = {6, 8, 9, 16, 18, 19, 21, 23, 24};
        CHECK(memcmp(idx, want_idx, sizeof want_idx) == 0);
    }
    for (int i = 0; i < 9; i++) go[i] = (float)(i + 1);
    memset(gi, SENTINEL_BYTE, sizeof gi);
    CHECK_STATUS(swiftpool_max_pool_backward(&d, go, 9, idx, 9, gi, 25), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();
    {
        float want[25] = {0};
        want[6] = 1; want[8] = 2; want[9] = 3; want[16] = 4; want[18] = 5; want[19] = 6;
        want[21] = 7; want[23] = 8; want[24] = 9;
        CHECK(memcmp(gi, want, sizeof want) == 0);
    }
    /* Overlapping windows choosing one element: the gradients add up (1 + ... + 9). */
    for (int i = 0; i < 9; i++) idx[i] = 12;
    CHECK_STATUS(swiftpool_max_pool_backward(&d, go, 9, idx, 9, gi, 25), SWIFTPOOL_OK);
    CHECK(gi[12] == 45.0f && gi[0] == 0.0f && gi[24] == 0.0f);
    /* NHWC, 2 channels: channel c's element (h, w) is at (h*5 + w)*2 + c. */
    d.layout = SWIFTPOOL_LAYOUT_NHWC;
    d.channels = 2;
    for (int i = 0; i < 18; i++) {
        go[i] = (float)(i + 1);
        idx[i] = (i % 2) ? 24 : 0;
    }
    CHECK_STATUS(swiftpool_max_pool_backward(&d, go, 18, idx, 18, gi, 50), SWIFTPOOL_OK);
    CHECK(gi[0] == 81.0f && gi[49] == 90.0f && gi[1] == 0.0f && gi[48] == 0.0f);

    /* float16 accumulates in float16, as torch's CPU kernel: 1 + 2^-11 + 2^-11 + 2^-11
     * stays 1.0 (each sum rounds to even), where a float accumulator gives 1.0015. */
    {
        uint16_t hgo[9] = {0x3C00, 0x1000, 0x1000, 0x1000, 0, 0, 0, 0, 0}, hgi[25];
        int64_t hidx[9] = {6, 6, 6, 6, 0, 0, 0, 0, 0};
        desc_2d(&d, 1, 1, 5, 5, 3, 2, 1);
        d.dtype = SWIFTPOOL_DTYPE_FLOAT16;
        CHECK_STATUS(swiftpool_max_pool_backward(&d, hgo, 9, hidx, 9, hgi, 25), SWIFTPOOL_OK);
        CHECK(hgi[6] == 0x3C00 && hgi[0] == 0 && hgi[7] == 0);
    }

    /* A window wholly in the padding (W 3, kernel 2, padding 1, dilation 4: taps -1, 3):
     * forward index 3 lies past the input; the backward drops that gradient. */
    desc_1d(&d, 3, 2, 1, 1);
    d.dilation[0] = 4;
    {
        float x3[3] = {1, 2, 3}, y1[1], g1[1] = {5}, gi3[3];
        int64_t i1[1];
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x3, 3, y1, 1, i1, 1), SWIFTPOOL_OK);
        CHECK(i1[0] == 3);
        CHECK_STATUS(swiftpool_max_pool_backward(&d, g1, 1, i1, 1, gi3, 3), SWIFTPOOL_OK);
        CHECK(gi3[0] == 0.0f && gi3[1] == 0.0f && gi3[2] == 0.0f);
    }
    /* ONNX indices: global, and column-major (w*H + h) of a 2x2 input, kernel 2. */
    desc_2d(&d, 1, 2, 2, 2, 2, 2, 0);
    d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL | SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR;
    {
        float g2[2] = {3, 4}, gi8[8];
        int64_t i2[2] = {1, 4 + 2}; /* plane 0: (h 1, w 0) = 2 row-major; plane 1: (h 0, w 1) = 1 */
        CHECK_STATUS(swiftpool_max_pool_backward(&d, g2, 2, i2, 2, gi8, 8), SWIFTPOOL_OK);
        {
            const float want[8] = {0, 0, 3, 0, 0, 4, 0, 0};
            CHECK(memcmp(gi8, want, sizeof want) == 0);
        }
    }
    set_context("");
}

static void test_max_pool_backward_errors(void) {
    swiftpool_pool_desc d;
    /* One buffer holds everything, so overlaps can be made. */
    double storage[64];
    float *go = (float *)storage, *gi = (float *)(storage + 16);
    int64_t idx[4] = {0, 1, 4, 5};
    set_context("max_pool_backward errors");
    desc_2d(&d, 1, 1, 4, 4, 2, 2, 0); /* output 2x2 */
    for (int i = 0; i < 4; i++) go[i] = 1.0f;
#define BWD_FAILS(call, status)                         \
    do {                                                \
        memset(gi, SENTINEL_BYTE, 16 * sizeof(float));  \
        CHECK_STATUS(call, status);                     \
        CHECK(all_bytes(gi, 16 * sizeof(float), SENTINEL_BYTE)); \
    } while (0)
    BWD_FAILS(swiftpool_max_pool_backward(NULL, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("swiftpool_max_pool_backward: desc is NULL");
    BWD_FAILS(swiftpool_max_pool_backward(&d, NULL, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("grad_output is NULL");
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, NULL, 4, gi, 16), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("indices is NULL");
    CHECK_STATUS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, NULL, 16), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("grad_input is NULL");
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 3, idx, 4, gi, 16), SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    CHECK_MESSAGE_HAS("grad_output_len is 3 elements, the tensor needs 4");
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 3, gi, 16), SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    CHECK_MESSAGE_HAS("indices_len");
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 15), SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    CHECK_MESSAGE_HAS("grad_input_len is 15");
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, -1, idx, 4, gi, 16), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    BWD_FAILS(swiftpool_max_pool_backward(&d, (const char *)go + 1, 4, idx, 4, gi, 16),
              SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("not aligned");
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, (const int64_t *)((const char *)idx + 4), 4, gi, 16),
              SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("indices");
    /* grad_input overlapping grad_output, or the indices. */
    CHECK_STATUS(swiftpool_max_pool_backward(&d, gi + 12, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("grad_input and grad_output overlap");
    {
        int64_t *ov = (int64_t *)(storage + 32);
        float *gi2 = (float *)(storage + 30);
        for (int i = 0; i < 4; i++) ov[i] = 0;
        CHECK_STATUS(swiftpool_max_pool_backward(&d, go, 4, ov, 4, gi2, 16), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS("grad_input and indices overlap");
    }
    /* Indices out of the plane [0, 16): named by position, nothing written. */
    {
        int64_t bad[4] = {0, 1, 16, 5};
        BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, bad, 4, gi, 16), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS("indices[2] (n 0, c 0, h 1, w 0) is 16, outside the input plane's valid range [0, 16)");
        bad[2] = 0;
        bad[3] = -1;
        BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, bad, 4, gi, 16), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS("indices[3] (n 0, c 0, h 1, w 1) is -1");
        bad[3] = INT64_MIN;
        BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, bad, 4, gi, 16), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
        d.channels = 2; /* plane 1's indices must lie in [16, 32) */
        {
            int64_t gbad[8] = {0, 1, 4, 5, 16, 17, 20, 15};
            float go8[8] = {1, 1, 1, 1, 1, 1, 1, 1};
            memset(storage + 16, SENTINEL_BYTE, 32 * sizeof(float));
            CHECK_STATUS(swiftpool_max_pool_backward(&d, go8, 8, gbad, 8, (float *)(storage + 16), 32),
                         SWIFTPOOL_ERROR_INVALID_ARGUMENT);
            CHECK_MESSAGE_HAS("indices[7] (n 0, c 1, h 1, w 1) is 15, outside the input plane's valid range [16, 32)");
            CHECK(all_bytes(storage + 16, 32 * sizeof(float), SENTINEL_BYTE));
        }
        d.flags = 0;
        d.channels = 1;
    }
    /* dtype, layout, flags, struct_size. */
    d.dtype = SWIFTPOOL_DTYPE_UINT8;
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_UNSUPPORTED);
    CHECK_MESSAGE_HAS("integer type");
    d.dtype = SWIFTPOOL_DTYPE_INT8;
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_UNSUPPORTED);
    d.dtype = 77;
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_UNSUPPORTED);
    d.dtype = SWIFTPOOL_DTYPE_FLOAT32;
    d.layout = 3;
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_UNSUPPORTED);
    d.layout = SWIFTPOOL_LAYOUT_NCHW;
    d.flags = SWIFTPOOL_FLAG_LP_ONNX;
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_UNSUPPORTED);
    d.flags = 1u << 20;
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_UNSUPPORTED);
    d.flags = 0;
    d.struct_size = 8;
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_UNSUPPORTED);
    d.struct_size = (uint32_t)sizeof d;
    d.stride[0] = 0;
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    d.stride[0] = 2;
    d.kernel_size[0] = 9; /* output height < 1 */
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_INVALID_SHAPE);
    d.kernel_size[0] = 2;
    d.batch = INT64_MAX;
    BWD_FAILS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_ERROR_OVERFLOW);
    /* batch 0: nothing to do, but pointers are still required. */
    d.batch = 0;
    CHECK_STATUS(swiftpool_max_pool_backward(&d, go, 0, idx, 0, gi, 0), SWIFTPOOL_OK);
    CHECK_STATUS(swiftpool_max_pool_backward(&d, NULL, 0, idx, 0, gi, 0), SWIFTPOOL_ERROR_NULL_POINTER);
    d.batch = 1;
    /* Valid call after all that: succeeds and clears the message. */
    CHECK_STATUS(swiftpool_max_pool_backward(&d, go, 4, idx, 4, gi, 16), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();
    CHECK(gi[0] == 1.0f && gi[1] == 1.0f && gi[4] == 1.0f && gi[5] == 1.0f && gi[2] == 0.0f);
#undef BWD_FAILS
    set_context("");
}


/* Average pooling backward: hand-checked (and torch 2.13-checked) examples, errors. */
static void test_avg_pool_backward(void) {
    swiftpool_pool_desc d;
    float go[9], gi[25];
    set_context("avg_pool_backward");
    /* 1D, input 5, kernel 3, stride 2, padding 1, count_include_pad: windows
     * [-1,1], [1,3], [3,5] -> divisors 3 (padding counted), 3, 3 (ceil_mode off).
     * grad 3, 6, 9 -> deltas 1, 2, 3: grad_input [1, 1+2, 2, 2+3, 3]. */
    desc_1d(&d, 5, 3, 2, 1);
    go[0] = 3; go[1] = 6; go[2] = 9;
    memset(gi, SENTINEL_BYTE, sizeof gi);
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 3, gi, 5), SWIFTPOOL_OK);
    CHECK_NO_MESSAGE();
    CHECK(gi[0] == 1 && gi[1] == 3 && gi[2] == 2 && gi[3] == 5 && gi[4] == 3);
    /* count_include_pad off: the first window has 2 real taps -> delta 1.5. */
    d.count_include_pad = 0;
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 3, gi, 5), SWIFTPOOL_OK);
    CHECK(gi[0] == 1.5f && gi[1] == 3.5f && gi[2] == 2 && gi[3] == 6.5f && gi[4] == 4.5f);
    /* divisor_override 2049 in float16 divides by 2048 (rounded to half), as torch. */
    {
        uint16_t h1 = 0x3C00, h16[16];
        desc_2d(&d, 1, 1, 4, 4, 4, 4, 0);
        d.dtype = SWIFTPOOL_DTYPE_FLOAT16;
        d.divisor_override = 2049;
        CHECK_STATUS(swiftpool_avg_pool_backward(&d, &h1, 1, h16, 16), SWIFTPOOL_OK);
        CHECK(h16[0] == 0x1000 && h16[15] == 0x1000); /* 2^-11 */
    }
    /* NHWC 2x2 input, 2 channels, kernel 2: every element gets its channel's grad / 4. */
    desc_2d(&d, 1, 2, 2, 2, 2, 2, 0);
    d.layout = SWIFTPOOL_LAYOUT_NHWC;
    go[0] = 4; go[1] = 8;
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 2, gi, 8), SWIFTPOOL_OK);
    CHECK(gi[0] == 1 && gi[1] == 2 && gi[6] == 1 && gi[7] == 2);
    /* Errors write nothing. */
    memset(gi, SENTINEL_BYTE, sizeof gi);
    CHECK_STATUS(swiftpool_avg_pool_backward(NULL, go, 2, gi, 8), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, NULL, 2, gi, 8), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_MESSAGE_HAS("swiftpool_avg_pool_backward: grad_output is NULL");
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 2, NULL, 8), SWIFTPOOL_ERROR_NULL_POINTER);
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 1, gi, 8), SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 2, gi, 7), SWIFTPOOL_ERROR_BUFFER_TOO_SMALL);
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 2, gi, -1), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, (const char *)go + 2, 2, gi, 8), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, gi + 4, 2, gi, 8), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("grad_input and grad_output overlap");
    d.dtype = SWIFTPOOL_DTYPE_INT8;
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 2, gi, 8), SWIFTPOOL_ERROR_UNSUPPORTED);
    d.dtype = SWIFTPOOL_DTYPE_FLOAT32;
    d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 2, gi, 8), SWIFTPOOL_ERROR_UNSUPPORTED);
    d.flags = 0;
    d.divisor_override = -3;
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 2, gi, 8), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    d.divisor_override = 0;
    d.count_include_pad = 2;
    CHECK_STATUS(swiftpool_avg_pool_backward(&d, go, 2, gi, 8), SWIFTPOOL_ERROR_INVALID_ARGUMENT);
    CHECK(all_bytes(gi, sizeof gi, SENTINEL_BYTE));
    set_context("");
}


/* Randomized robustness of swiftpool_max_pool_backward: the forward's own indices
 * (every index convention, dilation with windows wholly in the padding, ceil_mode)
 * are always accepted; one corrupted index is either still in range (OK) or
 * rejected with nothing written; canaries on both sides of grad_input never change. */
static void test_max_pool_backward_random(void) {
    enum { CANARY = 64 };
    set_context("max_pool_backward random");
    for (int trial = 0; trial < 3000; trial++) {
        swiftpool_pool_desc d;
        int rank = 1 + (int)(rng_next() % 3);
        swiftpool_pool_desc_init(&d, rank);
        d.layout = (rng_next() & 1) ? SWIFTPOOL_LAYOUT_NHWC : SWIFTPOOL_LAYOUT_NCHW;
        d.batch = (int64_t)(rng_next() % 3);
        d.channels = 1 + (int64_t)(rng_next() % 5);
        for (int a = 0; a < rank; a++) {
            d.input_size[a] = 1 + (int64_t)(rng_next() % 6);
            d.kernel_size[a] = 1 + (int64_t)(rng_next() % 4);
            d.stride[a] = 1 + (int64_t)(rng_next() % 3);
            d.padding[a] = (int64_t)(rng_next() % (uint32_t)(d.kernel_size[a] / 2 + 1));
            d.dilation[a] = 1 + (int64_t)(rng_next() % 3);
        }
        d.ceil_mode = (int32_t)(rng_next() & 1);
        d.flags = (uint32_t)(rng_next() % 8);
        int64_t out_n = 0;
        if (swiftpool_pool_output_shape(&d, NULL, &out_n) != SWIFTPOOL_OK) continue;
        int64_t in_n = d.batch * d.channels;
        for (int a = 0; a < rank; a++) in_n *= d.input_size[a];
        float *x = (float *)xmalloc((size_t)(in_n + 1) * sizeof(float));
        float *y = (float *)xmalloc((size_t)(out_n + 1) * sizeof(float));
        float *go = (float *)xmalloc((size_t)(out_n + 1) * sizeof(float));
        int64_t *idx = (int64_t *)xmalloc((size_t)(out_n + 1) * sizeof(int64_t));
        unsigned char *block = (unsigned char *)xmalloc((size_t)in_n * sizeof(float) + 2 * CANARY);
        float *gi = (float *)(block + CANARY);
        for (int64_t i = 0; i < in_n; i++) x[i] = (float)(int)(rng_next() % 5);
        for (int64_t i = 0; i < out_n; i++) go[i] = (float)(int)(rng_next() % 7) - 3.0f;
        CHECK_STATUS(swiftpool_max_pool_forward(&d, x, in_n, y, out_n, idx, out_n), SWIFTPOOL_OK);
        int corrupted = out_n > 0 && rng_next() % 3 == 0;
        if (corrupted) {
            int64_t q = (int64_t)(rng_next() % (uint64_t)out_n);
            int64_t span = in_n + 6;
            idx[q] = (int64_t)(rng_next() % (uint64_t)span) - 3;
            if (rng_next() % 8 == 0) idx[q] = (rng_next() & 1) ? INT64_MIN : INT64_MAX;
        }
        memset(block, SENTINEL_BYTE, (size_t)in_n * sizeof(float) + 2 * CANARY);
        int32_t rc = swiftpool_max_pool_backward(&d, go, out_n, idx, out_n, gi, in_n);
        if (!corrupted) CHECK_STATUS(rc, SWIFTPOOL_OK);
        CHECK(rc == SWIFTPOOL_OK || rc == SWIFTPOOL_ERROR_INVALID_ARGUMENT);
        CHECK(all_bytes(block, CANARY, SENTINEL_BYTE));
        CHECK(all_bytes(block + CANARY + (size_t)in_n * sizeof(float), CANARY, SENTINEL_BYTE));
        if (rc != SWIFTPOOL_OK) {
            CHECK(all_bytes(gi, (size_t)in_n * sizeof(float), SENTINEL_BYTE));
            CHECK_MESSAGE_HAS("outside the input plane's valid range");
        } else {
            /* Gradients are only moved: the total is preserved when every window has a
             * real element (small integers: sums are exact). */
            double total_in = 0, total_out = 0;
            int any_empty = 0;
            for (int64_t i = 0; i < out_n; i++) {
                if (y[i] == -INFINITY) any_empty = 1;
                total_out += go[i];
            }
            for (int64_t i = 0; i < in_n; i++) total_in += gi[i];
            if (!any_empty) CHECK(total_in == total_out);
        }
        free(x);
        free(y);
        free(go);
        free(idx);
        free(block);
    }
    set_context("");
}

int main(void) {
    test_version();
    test_status_strings();
    test_error_message_lifecycle();
    test_threads();
    test_isa();
    test_desc_init();
    test_output_shape();
    test_forward_vs_reference();
    test_layouts_agree();
    test_hand_computed();
    test_special_values();
    test_bad_inputs();
    test_lp_pool();
    test_lp_errors();
    test_adaptive();
    test_adaptive_errors();
    test_spp();
    test_spp_errors();
    test_max_unpool();
    test_max_unpool_errors();
    test_fractional_max_pool();
    test_fractional_errors();
    test_roi_max_pool();
    test_roi_errors();
    test_max_pool_backward();
    test_max_pool_backward_errors();
    test_avg_pool_backward();
    test_max_pool_backward_random();
    test_thread_local_errors();

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
