/*
 * test_guard_pages.c — every buffer of every call flush against a PROT_NONE page.
 *
 * For each operator variant, layout, dtype and rank, over channels 1..17 and
 * widths 1..17 (every SIMD tail for vectors up to 16 lanes) and several window
 * settings, each call runs twice: once with every buffer (descriptor, input,
 * output, indices, output_size) ending exactly at a guard page, once starting
 * exactly after one. Inputs are read-only. Any over-read, over-write, or write
 * to the input faults at once and the handler prints the call; results are also
 * compared with the independent C model (ref_pool.h), bit for bit. Each
 * floating-point max (with indices) and average problem also runs its backward
 * pass the same way: grad_output and the forward's indices read-only, grad_input
 * flush against a guard.
 *
 * Runs against the shipped library (build/lib/libswiftpool.so, no sanitizer).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftpool.h"
#include "guard.h"
#include "ref_pool.h"
#include "ref_ops.h"

static long calls, failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            if (failures < 20) {                                               \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
                fprintf(stderr, __VA_ARGS__);                                  \
                fprintf(stderr, "\n  during: %s\n", guard_context);           \
            }                                                                  \
        }                                                                      \
    } while (0)

static uint64_t rng_state = 0x1234567;
static uint64_t next_random(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Ties, NaNs with payloads, ±inf, in any dtype (integers: small ties). */
static void fill(void *p, int64_t n, int dtype) {
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = next_random();
        double v = (double)((int)(r % 7) - 3) / 2;
        if (r % 97 == 0) v = NAN;
        else if (r % 89 == 0) v = INFINITY;
        else if (r % 83 == 0) v = -INFINITY;
        switch (dtype) {
        case SWIFTPOOL_DTYPE_FLOAT64:
            if (isnan(v)) { uint64_t b = 0x7FF8000000000000ull | (uint64_t)(i + 1); memcpy(&v, &b, 8); }
            ((double *)p)[i] = v;
            break;
        case SWIFTPOOL_DTYPE_FLOAT32: {
            float f = (float)v;
            if (isnan(v)) { uint32_t b = 0x7FC00000u | (uint32_t)((i + 1) & 0x3FFFFF); memcpy(&f, &b, 4); }
            ((float *)p)[i] = f;
            break;
        }
        case SWIFTPOOL_DTYPE_FLOAT16:
            ((uint16_t *)p)[i] = isnan(v) ? (uint16_t)(0x7E00 | ((i + 1) & 0x1FF)) : ref_double_to_half(v);
            break;
        case SWIFTPOOL_DTYPE_BFLOAT16:
            ((uint16_t *)p)[i] = isnan(v) ? (uint16_t)(0x7FC0 | ((i + 1) & 0x3F)) : ref_double_to_bf16(v);
            break;
        default:
            ((int8_t *)p)[i] = (int8_t)(r % 7) - 3;
            break;
        }
    }
}

typedef struct {
    const char *name;
    int op;            /* REF_OP_MAX / REF_OP_AVG */
    int indices;
    uint32_t flags;
    int count_include_pad;
    int64_t divisor_override;
} variant;

static const variant variants[] = {
    {"max", REF_OP_MAX, 0, 0, 1, 0},
    {"max+indices", REF_OP_MAX, 1, 0, 1, 0},
    {"max+indices+nan_ignore+onnx_index", REF_OP_MAX, 1,
     SWIFTPOOL_FLAG_NAN_IGNORE | SWIFTPOOL_FLAG_INDICES_GLOBAL | SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR, 1, 0},
    {"avg", REF_OP_AVG, 0, 0, 1, 0},
    {"avg-count_include_pad=0", REF_OP_AVG, 0, 0, 0, 0},
    {"avg+divisor_override", REF_OP_AVG, 0, 0, 1, 3},
};

/* Window settings applied to every spatial axis (an axis for which a setting
 * gives no output falls back to kernel 1). kernel 0 means the whole axis. */
typedef struct { int64_t kernel, stride, padding, dilation; int ceil_mode; } window;
static const window windows[] = {
    {1, 1, 0, 1, 0}, {2, 1, 1, 1, 0}, {3, 2, 1, 1, 1}, {0, 1, 0, 1, 0}, {3, 1, 1, 2, 0},
};

/* Whether the model accepts the problem (the library must then too: run() checks). */
static int model_valid(const swiftpool_pool_desc *d, int op) {
    ref_geom g;
    return ref_validate(d, op, &g).required == 0;
}

/* One slot per buffer, made once (1 MiB each is far above the largest problem). */
static guarded slot_desc, slot_sizes, slot_elements, slot_in, slot_out, slot_idx;

/* One call with every buffer placed at_end (or at the start), checked. */
static void run(const swiftpool_pool_desc *proto, const variant *v, int at_end) {
    size_t esize = ref_elem_size(proto->dtype);
    ref_geom g;
    ref_verdict verdict = ref_validate(proto, v->op, &g);
    CHECK(verdict.required == 0, "model rejects a test problem");
    if (verdict.required) return;

    guard_protect(&slot_desc, 1);
    swiftpool_pool_desc *d = guard_place(&slot_desc, sizeof *proto, at_end);
    memcpy(d, proto, sizeof *proto);
    guard_protect(&slot_desc, 0);

    /* output_shape: exactly spatial_rank entries and one element count. */
    int64_t *sizes = guard_place(&slot_sizes, (size_t)proto->spatial_rank * 8, at_end);
    int64_t *elements = guard_place(&slot_elements, 8, at_end);
    int32_t rc = swiftpool_pool_output_shape(d, sizes, elements);
    CHECK(rc == SWIFTPOOL_OK, "output_shape: %s", swiftpool_last_error_message());
    for (int i = 0; i < proto->spatial_rank; i++)
        CHECK(sizes[i] == g.ax[3 - proto->spatial_rank + i].out, "output_size[%d]", i);
    CHECK(*elements == g.out_elems, "output_elements");

    guard_protect(&slot_in, 1);
    void *in = guard_place(&slot_in, (size_t)g.in_elems * esize, at_end);
    fill(in, g.in_elems, proto->dtype);
    guard_protect(&slot_in, 0);
    void *out = guard_place(&slot_out, (size_t)g.out_elems * esize, at_end);
    int64_t *idx = v->indices ? guard_place(&slot_idx, (size_t)g.out_elems * 8, at_end) : NULL;

    if (v->op == REF_OP_MAX)
        rc = swiftpool_max_pool_forward(d, in, g.in_elems, out, g.out_elems, idx, idx ? g.out_elems : 0);
    else
        rc = swiftpool_avg_pool_forward(d, in, g.in_elems, out, g.out_elems);
    calls++;
    CHECK(rc == SWIFTPOOL_OK, "status %d: %s", rc, swiftpool_last_error_message());

    static unsigned char expect[1 << 20];
    static int64_t expect_idx[1 << 17];
    if (v->op == REF_OP_MAX) ref_max_pool(&g, in, expect, expect_idx);
    else ref_avg_pool(&g, in, expect);
    for (int64_t q = 0; q < g.out_elems; q++) {
        int same = memcmp((char *)out + q * (int64_t)esize, expect + q * (int64_t)esize, esize) == 0;
        if (!same && v->op == REF_OP_AVG) same = isnan(ref_load(&g, out, q)) && isnan(ref_load(&g, expect, q));
        CHECK(same, "output[%lld] = %g, expected %g", (long long)q, ref_load(&g, out, q), ref_load(&g, expect, q));
        if (idx)
            CHECK(idx[q] == expect_idx[q], "indices[%lld] = %lld, expected %lld", (long long)q, (long long)idx[q],
                  (long long)expect_idx[q]);
    }

    /* The backward pass of the same problem (floating point; max needs the
     * indices): grad_output (read-only, in the input's slot) and the indices the
     * forward just returned (made read-only where they are) flush against a guard,
     * grad_input in the output's slot. */
    if (!ref_is_float(proto->dtype) || (v->op == REF_OP_MAX && !idx)) return;
    guard_protect(&slot_in, 1);
    void *grad_out = guard_place(&slot_in, (size_t)g.out_elems * esize, at_end);
    fill(grad_out, g.out_elems, proto->dtype);
    guard_protect(&slot_in, 0);
    if (idx) guard_protect(&slot_idx, 0);
    void *grad_in = guard_place(&slot_out, (size_t)g.in_elems * esize, at_end);
    memset(grad_in, 0x5A, (size_t)g.in_elems * esize); /* fully overwritten */
    size_t ctx = strlen(guard_context);
    snprintf(guard_context + ctx, sizeof guard_context - ctx, " [backward]");
    if (v->op == REF_OP_MAX)
        rc = swiftpool_max_pool_backward(d, grad_out, g.out_elems, idx, g.out_elems, grad_in, g.in_elems);
    else
        rc = swiftpool_avg_pool_backward(d, grad_out, g.out_elems, grad_in, g.in_elems);
    calls++;
    CHECK(rc == SWIFTPOOL_OK, "backward status %d: %s", rc, swiftpool_last_error_message());
    if (v->op == REF_OP_MAX) ref_max_pool_backward(&g, grad_out, idx, expect);
    else ref_avg_pool_backward(&g, grad_out, expect);
    if (idx) guard_protect(&slot_idx, 1);
    guard_context[ctx] = '\0';
    for (int64_t q = 0; q < g.in_elems; q++) {
        int same = memcmp((char *)grad_in + q * (int64_t)esize, expect + q * (int64_t)esize, esize) == 0;
        if (!same) same = isnan(ref_load(&g, grad_in, q)) && isnan(ref_load(&g, expect, q));
        CHECK(same, "grad_input[%lld] = %g, expected %g", (long long)q, ref_load(&g, grad_in, q),
              ref_load(&g, expect, q));
    }
}

/* ---- the other operators: same placement, every buffer and array argument ---- */

static guarded slot_a, slot_b; /* extra arrays: output_size, levels, samples, boxes, sizes */

static void compare_bits(const void *got, const void *want, int64_t n, size_t esize, const char *what) {
    for (int64_t q = 0; q < n; q++)
        CHECK(memcmp((const char *)got + q * (int64_t)esize, (const char *)want + q * (int64_t)esize, esize) == 0 ||
                  (esize >= 2 && esize != 8 && 0),
              "%s[%lld] differs", what, (long long)q);
}

static void compare_close(const ref_geom *g, const void *got, const void *want, int64_t n, const char *what) {
    for (int64_t q = 0; q < n; q++) {
        double a = ref_load(g, got, q), b = ref_load(g, want, q);
        CHECK(a == b || (isnan(a) && isnan(b)) || fabs(a - b) <= 1e-5 * fmax(fabs(a), fabs(b)),
              "%s[%lld] = %g, expected %g", what, (long long)q, a, b);
    }
}

/* Puts `n` int64 values in a slot, flush against its guard. */
static int64_t *place_i64(guarded *slot, const int64_t *values, int64_t n, int at_end) {
    guard_protect(slot, 1);
    int64_t *p = guard_place(slot, (size_t)n * 8, at_end);
    memcpy(p, values, (size_t)n * 8);
    guard_protect(slot, 0);
    return p;
}

static void *place_input(const void *values, size_t bytes, int at_end) {
    guard_protect(&slot_in, 1);
    void *p = guard_place(&slot_in, bytes, at_end);
    memcpy(p, values, bytes);
    guard_protect(&slot_in, 0);
    return p;
}

static void run_others(int64_t channels, int64_t width, int32_t layout, int32_t dtype, int at_end) {
    size_t esize = ref_elem_size(dtype);
    int is_float = ref_is_float(dtype), f32f64 = dtype <= SWIFTPOOL_DTYPE_FLOAT64;
    static unsigned char host_in[1 << 16], expect[1 << 16];
    static int64_t expect_idx[1 << 14], host_idx[1 << 14];
    swiftpool_pool_desc d;
    swiftpool_pool_desc_init(&d, 2);
    d.dtype = dtype;
    d.layout = layout;
    d.batch = 1 + width % 2;
    d.channels = channels;
    d.input_size[0] = 3 + width % 3;
    d.input_size[1] = width;
    int64_t in_elems = d.batch * channels * d.input_size[0] * width;
    fill(host_in, in_elems, dtype);
    int64_t osize2[2] = {1 + width % 3, 1 + (width + 1) % 4};
    int32_t rc;

    /* Adaptive max (indices) and average. */
    {
        ref_adaptive a;
        ref_adaptive_validate(&d, osize2, REF_OP_MAX, &a);
        const int64_t *os = place_i64(&slot_a, osize2, 2, at_end);
        void *in = place_input(host_in, (size_t)in_elems * esize, at_end);
        void *out = guard_place(&slot_out, (size_t)a.out_elems * esize, at_end);
        int64_t *idx = guard_place(&slot_idx, (size_t)a.out_elems * 8, at_end);
        rc = swiftpool_adaptive_max_pool_forward(&d, os, in, in_elems, out, a.out_elems, idx, a.out_elems);
        calls++;
        CHECK(rc == SWIFTPOOL_OK, "adaptive max: %s", swiftpool_last_error_message());
        ref_adaptive_pool(&a, REF_OP_MAX, in, expect, expect_idx, NULL);
        compare_bits(out, expect, a.out_elems, esize, "adaptive max");
        compare_bits(idx, expect_idx, a.out_elems, 8, "adaptive max indices");
        if (is_float) {
            ref_adaptive_validate(&d, osize2, REF_OP_AVG, &a);
            rc = swiftpool_adaptive_avg_pool_forward(&d, os, in, in_elems, out, a.out_elems);
            calls++;
            CHECK(rc == SWIFTPOOL_OK, "adaptive avg: %s", swiftpool_last_error_message());
            ref_adaptive_pool(&a, REF_OP_AVG, in, expect, NULL, NULL);
            ref_geom g = ref_elem_view(&a.t);
            compare_close(&g, out, expect, a.out_elems, "adaptive avg");
        }
    }
    /* LP pooling, PyTorch's form (kernel 2, stride 1, ceil) and ONNX's (padding 1). */
    if (is_float) {
        for (int onnx = 0; onnx <= 1; onnx++) {
            swiftpool_pool_desc e = d;
            e.kernel_size[0] = e.kernel_size[1] = width >= 2 ? 2 : 1;
            e.ceil_mode = 1;
            if (onnx) { e.flags = SWIFTPOOL_FLAG_LP_ONNX; e.padding[0] = e.padding[1] = e.kernel_size[1] / 2; }
            ref_geom g;
            if (ref_lp_validate(&e, 2.0, &g).required) continue;
            void *in = place_input(host_in, (size_t)in_elems * esize, at_end);
            void *out = guard_place(&slot_out, (size_t)g.out_elems * esize, at_end);
            rc = swiftpool_lp_pool_forward(&e, 2.0, in, in_elems, out, g.out_elems);
            calls++;
            CHECK(rc == SWIFTPOOL_OK, "lp: %s", swiftpool_last_error_message());
            ref_lp_pool(&g, 2.0, in, expect);
            compare_close(&g, out, expect, g.out_elems, "lp");
        }
    }
    /* Spatial pyramid pooling: levels (1,1), (2,2), (1,3); max always, avg for floats. */
    {
        int64_t levels[6] = {1, 1, 2, 2, 1, 3};
        for (int32_t mode = SWIFTPOOL_SPP_MAX; mode <= (is_float ? SWIFTPOOL_SPP_AVG : SWIFTPOOL_SPP_MAX); mode++) {
            ref_spp sp;
            ref_spp_validate(&d, levels, 3, mode, SWIFTPOOL_SPP_BINS_ADAPTIVE, &sp);
            const int64_t *lv = place_i64(&slot_a, levels, 6, at_end);
            int64_t sizes[4] = {d.input_size[0], width, d.input_size[0] - 1, 1 + width / 2}; /* (h, w) pairs */
            const int64_t *sz = place_i64(&slot_b, sizes, 2 * d.batch, at_end);
            void *in = place_input(host_in, (size_t)in_elems * esize, at_end);
            void *out = guard_place(&slot_out, (size_t)sp.out_elems * esize, at_end);
            rc = swiftpool_spatial_pyramid_pool_forward(&d, lv, 3, mode, SWIFTPOOL_SPP_BINS_ADAPTIVE, sz, 2 * d.batch, in,
                                                        in_elems, out, sp.out_elems);
            calls++;
            CHECK(rc == SWIFTPOOL_OK, "spp: %s", swiftpool_last_error_message());
            ref_spp_pool(&sp, levels, 3, sizes, in, expect, NULL);
            ref_geom g = ref_elem_view(&sp.t);
            compare_close(&g, out, expect, sp.out_elems, "spp");
        }
    }
    /* Max unpooling of a 2x2 max pooling (its indices), output_size NULL. */
    {
        swiftpool_pool_desc e = d;
        e.kernel_size[0] = e.kernel_size[1] = 2;
        e.stride[0] = e.stride[1] = 2;
        ref_unpool u;
        if (!ref_unpool_validate(&e, NULL, &u).required) {
            for (int64_t q = 0; q < u.in_elems; q++) host_idx[q] = (q * 7) % u.out_plane;
            const int64_t *ix = place_i64(&slot_a, host_idx, u.in_elems, at_end);
            void *in = place_input(host_in, (size_t)u.in_elems * esize, at_end);
            void *out = guard_place(&slot_out, (size_t)u.out_elems * esize, at_end);
            rc = swiftpool_max_unpool_forward(&e, NULL, in, u.in_elems, ix, u.in_elems, out, u.out_elems);
            calls++;
            CHECK(rc == SWIFTPOOL_OK, "unpool: %s", swiftpool_last_error_message());
            ref_max_unpool(&u, in, host_idx, expect);
            compare_bits(out, expect, u.out_elems, esize, "unpool");
        }
    }
    /* Fractional max pooling (seeded) and ROI max pooling: float32/float64. */
    if (f32f64 && width >= 2) {
        int64_t fo[2] = {d.input_size[0] - 1, width - 1};
        swiftpool_pool_desc e = d;
        e.kernel_size[0] = e.kernel_size[1] = 2;
        ref_fractional f;
        if (!ref_fractional_validate(&e, fo, &f).required) {
            const int64_t *os = place_i64(&slot_b, fo, 2, at_end);
            void *in = place_input(host_in, (size_t)in_elems * esize, at_end);
            void *out = guard_place(&slot_out, (size_t)f.out_elems * esize, at_end);
            int64_t *idx = guard_place(&slot_idx, (size_t)f.out_elems * 8, at_end);
            rc = swiftpool_fractional_max_pool_forward(&e, os, NULL, 0, 42, in, in_elems, out, f.out_elems, idx,
                                                       f.out_elems);
            calls++;
            CHECK(rc == SWIFTPOOL_OK, "fractional: %s", swiftpool_last_error_message());
            static unsigned char samples[1 << 12];
            ref_fractional_samples(&f, 42, samples);
            ref_fractional_max_pool(&f, samples, in, expect, expect_idx);
            compare_bits(out, expect, f.out_elems, esize, "fractional");
            compare_bits(idx, expect_idx, f.out_elems, 8, "fractional indices");
        }
        double boxes_d[10] = {0, 0, 0, (double)width - 1, 2, (double)(d.batch - 1), 1, 1, (double)width, 9};
        unsigned char boxes[80];
        for (int k = 0; k < 10; k++) {
            if (dtype == SWIFTPOOL_DTYPE_FLOAT64) memcpy(boxes + 8 * k, &boxes_d[k], 8);
            else { float v = (float)boxes_d[k]; memcpy(boxes + 4 * k, &v, 4); }
        }
        int64_t pooled[2] = {2, 3};
        ref_roi ro;
        ref_roi_validate(&d, 2, pooled, 1.0, &ro);
        guard_protect(&slot_b, 1);
        void *bx = guard_place(&slot_b, 10 * esize, at_end);
        memcpy(bx, boxes, 10 * esize);
        guard_protect(&slot_b, 0);
        const int64_t *ps = place_i64(&slot_a, pooled, 2, at_end);
        void *in = place_input(host_in, (size_t)in_elems * esize, at_end);
        void *out = guard_place(&slot_out, (size_t)ro.out_elems * esize, at_end);
        int64_t *am = guard_place(&slot_idx, (size_t)ro.out_elems * 8, at_end);
        rc = swiftpool_roi_max_pool_forward(&d, bx, 2, 10, ps, 1.0, in, in_elems, out, ro.out_elems, am, ro.out_elems);
        calls++;
        CHECK(rc == SWIFTPOOL_OK, "roi: %s", swiftpool_last_error_message());
        ref_roi_max_pool(&ro, boxes, 1.0, in, expect, expect_idx);
        compare_bits(out, expect, ro.out_elems, esize, "roi");
        compare_bits(am, expect_idx, ro.out_elems, 8, "roi argmax");
    }
}

int main(void) {
    guard_install_handler();
    static const int32_t layouts[] = {SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC};
    static const int32_t dtypes[] = {SWIFTPOOL_DTYPE_FLOAT32, SWIFTPOOL_DTYPE_FLOAT64, SWIFTPOOL_DTYPE_FLOAT16,
                                     SWIFTPOOL_DTYPE_BFLOAT16, SWIFTPOOL_DTYPE_UINT8, SWIFTPOOL_DTYPE_INT8};
    static const char *dtype_names[] = {"f32", "f64", "f16", "bf16", "u8", "i8"};
    slot_desc = guard_slot(sizeof(swiftpool_pool_desc));
    slot_sizes = guard_slot(3 * 8);
    slot_elements = guard_slot(8);
    slot_in = guard_slot(1 << 20);
    slot_out = guard_slot(1 << 20);
    slot_idx = guard_slot(1 << 20);
    long problems = 0;
    /* SWIFTPOOL_GUARD_FULL=1 (make test-extended): the whole grid for every rank. */
    int full = getenv("SWIFTPOOL_GUARD_FULL") != NULL;
    for (int rank = 1; rank <= 3; rank++)
    for (int64_t channels = 1; channels <= 17; channels++)
    for (int64_t width = 1; width <= 17; width++) {
        /* Rank 2 gets every (channels, width) pair; ranks 1 and 3 (same kernels,
         * other loop nests) the channel counts around 1, 4, 8 and 16 lanes. */
        int edge = channels <= 4 || channels == 7 || channels == 8 || channels == 9 || channels >= 15;
        if (!full && rank != 2 && !edge) continue;
        if (!full && rank == 3 && (channels == 4 || channels == 15)) continue;
        for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++)
        for (size_t l = 0; l < 2; l++)
        for (size_t t = 0; t < sizeof dtypes / sizeof dtypes[0]; t++)
        for (size_t vi = 0; vi < sizeof variants / sizeof variants[0]; vi++) {
            const variant *v = &variants[vi];
            /* Every variant for float32/float64; the narrow types' kernels are the
             * same generic code, so fewer variants (and averaging is float-only). */
            if (t >= 2 && !(vi == 1 || vi == 2 || (vi == 3 && t < 4))) continue;
            if (t >= 2 && !full && (w == 0 || w == 3)) continue;
            swiftpool_pool_desc d;
            swiftpool_pool_desc_init(&d, rank);
            d.dtype = dtypes[t];
            d.layout = layouts[l];
            d.batch = (width + channels) % 3 == 0 ? 2 : 1;
            d.channels = channels;
            d.flags = v->flags;
            d.count_include_pad = v->count_include_pad;
            d.divisor_override = v->divisor_override;
            d.ceil_mode = windows[w].ceil_mode;
            for (int i = 0; i < rank; i++) {
                /* The innermost axis is `width`; outer axes are small. */
                int64_t size = i == rank - 1 ? width : 1 + (width + i) % 4;
                d.input_size[i] = size;
                d.kernel_size[i] = windows[w].kernel ? windows[w].kernel : size;
                d.stride[i] = windows[w].stride;
                d.padding[i] = windows[w].padding;
                d.dilation[i] = windows[w].dilation;
                if (d.padding[i] > d.kernel_size[i] / 2) d.padding[i] = d.kernel_size[i] / 2;
                if (!model_valid(&d, v->op)) {
                    d.kernel_size[i] = 1; d.stride[i] = 1; d.padding[i] = 0; d.dilation[i] = 1;
                }
            }
            if (!model_valid(&d, v->op)) continue;
            /* Different thread counts must touch nothing more. */
            swiftpool_set_num_threads(1 + (int32_t)(problems % 3));
            for (int at_end = 0; at_end <= 1; at_end++) {
                snprintf(guard_context, sizeof guard_context,
                         "%s rank=%d layout=%s dtype=%s N=%lld C=%lld in=[%lld %lld %lld] window#%zu %s",
                         v->name, rank, l ? "NHWC" : "NCHW", dtype_names[t], (long long)d.batch,
                         (long long)channels, (long long)d.input_size[0], (long long)d.input_size[1],
                         (long long)d.input_size[2], w, at_end ? "buffers end at a guard page"
                                                               : "buffers start after a guard page");
                run(&d, v, at_end);
            }
            problems++;
        }
    }
    /* Stride-2 rows long enough for the narrow types' 16-lane vectors (and every
     * family's wide rows): 2- and 3-wide windows, dilated too, on odd and even
     * widths, the row's last window at the end of the buffer. Which outputs the
     * vectors may take depends on whether a load would read one element past the
     * last tap (NarrowMaxRows.channelsFirstRow). */
    static const window stride2[] = {{2, 2, 0, 1, 0}, {2, 2, 0, 1, 1}, {3, 2, 1, 1, 0}, {2, 2, 0, 3, 0}, {3, 2, 0, 2, 1}};
    for (int64_t width = 31; width <= 37; width++)
    for (int64_t height = 1; height <= 3; height++)
    for (size_t w = 0; w < sizeof stride2 / sizeof stride2[0]; w++)
    for (size_t l = 0; l < 2; l++)
    for (size_t t = 0; t < sizeof dtypes / sizeof dtypes[0]; t++)
    for (size_t vi = 0; vi < 2; vi++) {
        swiftpool_pool_desc d;
        swiftpool_pool_desc_init(&d, 2);
        d.dtype = dtypes[t];
        d.layout = layouts[l];
        d.batch = 1;
        d.channels = 1 + (width + height) % 3;
        d.ceil_mode = stride2[w].ceil_mode;
        d.input_size[0] = height; d.input_size[1] = width;
        d.kernel_size[0] = 1; d.stride[0] = 1; d.padding[0] = 0; d.dilation[0] = 1;
        d.kernel_size[1] = stride2[w].kernel; d.stride[1] = stride2[w].stride;
        d.padding[1] = stride2[w].padding; d.dilation[1] = stride2[w].dilation;
        if (!model_valid(&d, variants[vi].op)) continue;
        swiftpool_set_num_threads(1 + (int32_t)(problems % 2));
        for (int at_end = 0; at_end <= 1; at_end++) {
            snprintf(guard_context, sizeof guard_context, "%s stride-2 row layout=%s dtype=%s H=%lld W=%lld window {k%lld d%lld p%lld}%s %s",
                     variants[vi].name, l ? "NHWC" : "NCHW", dtype_names[t], (long long)height, (long long)width,
                     (long long)stride2[w].kernel, (long long)stride2[w].dilation, (long long)stride2[w].padding,
                     stride2[w].ceil_mode ? " ceil" : "", at_end ? "buffers end at a guard page" : "buffers start after a guard page");
            run(&d, &variants[vi], at_end);
        }
        problems++;
    }

    /* 3x3 averages at stride 1, padding 1 on small channels-first planes: the
     * planes between the first and the last of a thread's range are read in
     * place, one element before and after each plane (AvgRows.directPlane), so
     * the buffer's first and last planes must not be. 3 to 7 planes, 1-3 threads. */
    for (int64_t width = 8; width <= 12; width++)
    for (int64_t height = 4; height <= 6; height++)
    for (size_t t = 0; t < 2; t++)
    for (size_t vi = 3; vi <= 4; vi++) {
        swiftpool_pool_desc d;
        swiftpool_pool_desc_init(&d, 2);
        d.dtype = dtypes[t];
        d.batch = 1;
        d.channels = 3 + (width + height) % 5;
        d.count_include_pad = variants[vi].count_include_pad;
        d.input_size[0] = height; d.input_size[1] = width;
        for (int i = 0; i < 2; i++) { d.kernel_size[i] = 3; d.stride[i] = 1; d.padding[i] = 1; d.dilation[i] = 1; }
        if (!model_valid(&d, variants[vi].op)) continue;
        swiftpool_set_num_threads(1 + (int32_t)(problems % 3));
        for (int at_end = 0; at_end <= 1; at_end++) {
            snprintf(guard_context, sizeof guard_context, "%s 3x3 s1 p1 planes dtype=%s C=%lld H=%lld W=%lld %s",
                     variants[vi].name, dtype_names[t], (long long)d.channels, (long long)height, (long long)width,
                     at_end ? "buffers end at a guard page" : "buffers start after a guard page");
            run(&d, &variants[vi], at_end);
        }
        problems++;
    }

    /* The other operators, rank 2, every (channels, width) pair, both placements. */
    slot_a = guard_slot(1 << 17);
    slot_b = guard_slot(1 << 12);
    long others = 0;
    for (int64_t channels = 1; channels <= 17; channels++)
    for (int64_t width = 1; width <= 17; width++)
    for (size_t l = 0; l < 2; l++)
    for (size_t t = 0; t < sizeof dtypes / sizeof dtypes[0]; t++) {
        if (!full && t >= 2 && (channels + width) % 3) continue; /* narrow types: a third of the grid */
        swiftpool_set_num_threads(1 + (int32_t)(others % 3));
        for (int at_end = 0; at_end <= 1; at_end++) {
            snprintf(guard_context, sizeof guard_context,
                     "adaptive/lp/spp/unpool/fractional/roi layout=%s dtype=%s C=%lld W=%lld %s", l ? "NHWC" : "NCHW",
                     dtype_names[t], (long long)channels, (long long)width,
                     at_end ? "buffers end at a guard page" : "buffers start after a guard page");
            run_others(channels, width, layouts[l], dtypes[t], at_end);
        }
        others++;
    }
    swiftpool_set_num_threads(0);
    printf("test_guard_pages: %ld problems (+%ld for the other operators), %ld guarded calls, %ld failures\n", problems,
           others, calls, failures);
    return failures ? 1 : 0;
}
