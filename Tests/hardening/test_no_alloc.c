/*
 * test_no_alloc.c — no heap allocation in the call path (issue 5).
 *
 * The test executable defines malloc, calloc, realloc, memalign, posix_memalign,
 * aligned_alloc, valloc and free itself, forwarding to glibc's __libc_* entry
 * points. The executable's definitions interpose on every shared object's calls,
 * libswiftpool.so's (and the Swift runtime linked into it) included. While the
 * global `counting` flag is on, every call on any thread (the library's worker
 * threads too) is counted.
 *
 * Every compute entry point of include/swiftpool.h is called once to warm up
 * (first-use initialisation: the worker pool, the ISA choice, the thread-count
 * key may allocate once per process), then again with counting on: that second
 * call must allocate nothing, at 1 and at 2 threads (inputs large enough to be
 * split over the workers). Calls whose allocation is documented (CHECK_KNOWN:
 * error paths, whose messages are Swift strings, after a warm-up error on the
 * thread; scratch proportional to the problem beyond the stack limits) are
 * reported, and must free all they allocate.
 *
 * SWIFTPOOL_NOALLOC_TRACE=TEXT prints a backtrace of every counted allocation of the
 * calls whose label contains TEXT ("" for all); SWIFTPOOL_NOALLOC_REPORT=1 lists the
 * allocating calls and exits 0
 * (library frames as libswiftpool.so.0(+offset): addr2line -f -e
 * .build/release/libswiftpool.so OFFSET | swift-demangle names them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swiftpool.h"

/* ---- interposed allocator ------------------------------------------------ */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static int counting;           /* accessed with __atomic builtins */
static long alloc_calls;       /* allocations counted while counting */
static long free_calls;        /* frees of non-NULL pointers counted while counting */
static int trace;              /* SWIFTPOOL_NOALLOC_TRACE set */
static const char *trace_filter; /* its value: trace only calls whose label contains it */
static __thread int in_hook;   /* backtrace() may itself allocate */

static void note_alloc(size_t bytes) {
    if (!__atomic_load_n(&counting, __ATOMIC_RELAXED)) return;
    __atomic_fetch_add(&alloc_calls, 1, __ATOMIC_RELAXED);
    if (trace && !in_hook) {
        in_hook = 1;
        char line[64];
        int n = snprintf(line, sizeof line, "  -- allocation of %zu bytes:\n", bytes);
        if (write(2, line, (size_t)n) < 0) { /* nothing to do */ }
        void *frames[24];
        int depth = backtrace(frames, 24);
        backtrace_symbols_fd(frames, depth, 2);
        in_hook = 0;
    }
}

void *malloc(size_t n) { note_alloc(n); return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { note_alloc(n * m); return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { note_alloc(n); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { note_alloc(n); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note_alloc(n); return __libc_memalign(a, n); }
void *valloc(size_t n) { note_alloc(n); return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n); }
int posix_memalign(void **out, size_t a, size_t n) {
    note_alloc(n);
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(a, n);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}
void free(void *p) {
    if (p != NULL && __atomic_load_n(&counting, __ATOMIC_RELAXED)) __atomic_fetch_add(&free_calls, 1, __ATOMIC_RELAXED);
    __libc_free(p);
}

static void start_counting(void) {
    __atomic_store_n(&alloc_calls, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&free_calls, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
}
static long stop_counting(void) {
    __atomic_store_n(&counting, 0, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&alloc_calls, __ATOMIC_SEQ_CST);
}

/* ---- harness ------------------------------------------------------------- */

static int failures, checks, known, threads_now;
static int report_only; /* SWIFTPOOL_NOALLOC_REPORT=1: list every allocating call, exit 0 */

/* Warm up, then count one call; `expect` is the status both calls must return. */
#define CHECK(expect, label, call)                                                                     \
    do {                                                                                               \
        int32_t rc0_ = (call);                                                                         \
        int traced_ = trace_filter != NULL && strstr((label), trace_filter) != NULL;                   \
        if (traced_) fprintf(stderr, "[%d threads] %s\n", threads_now, label);                        \
        trace = traced_;                                                                               \
        start_counting();                                                                              \
        int32_t rc1_ = (call);                                                                         \
        long n_ = stop_counting();                                                                     \
        trace = 0;                                                                                     \
        checks++;                                                                                      \
        if (rc0_ != (expect) || rc1_ != (expect)) {                                                    \
            fprintf(stderr, "FAIL [%d threads] %s: status %d / %d, expected %d (%s)\n", threads_now,    \
                    label, rc0_, rc1_, (expect), swiftpool_last_error_message());                      \
            failures++;                                                                                \
        } else if (n_ != 0) {                                                                          \
            fprintf(stderr, "ALLOC [%d threads] %s: %ld allocation(s)\n", threads_now, label, n_);      \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

/* A call whose allocation is documented, not a defect (reported, not failed):
 * error messages (built as Swift strings), and scratch proportional to the problem
 * above the stack limits (the header's OUT_OF_MEMORY cases). Still checked:
 * the status, and that it frees all it allocates. */
#define CHECK_KNOWN(expect, label, why, call)                                                          \
    do {                                                                                               \
        int32_t rc0_ = (call);                                                                         \
        start_counting();                                                                              \
        int32_t rc1_ = (call);                                                                         \
        long n_ = stop_counting();                                                                     \
        long f_ = __atomic_load_n(&free_calls, __ATOMIC_SEQ_CST);                                     \
        checks++;                                                                                      \
        if (rc0_ != (expect) || rc1_ != (expect)) {                                                    \
            fprintf(stderr, "FAIL [%d threads] %s: status %d / %d, expected %d (%s)\n", threads_now,    \
                    label, rc0_, rc1_, (expect), swiftpool_last_error_message());                      \
            failures++;                                                                                \
        } else if (n_ != f_) {                                                                         \
            fprintf(stderr, "FAIL [%d threads] %s: %ld allocation(s) but %ld free(s)\n", threads_now,   \
                    label, n_, f_);                                                                    \
            failures++;                                                                                \
        } else if (n_ != 0) {                                                                          \
            if (known++ < 8 || report_only)                                                            \
                fprintf(stderr, "known [%d threads] %s: %ld allocation(s) (%s)\n", threads_now, label,  \
                        n_, why);                                                                      \
        }                                                                                              \
    } while (0)

static const char *const layout_name[3] = {"", "NCHW", "NHWC"};
static const char *const dtype_name[7] = {"", "f32", "f64", "f16", "bf16", "u8", "i8"};
static const int64_t dtype_size[7] = {0, 4, 8, 2, 2, 1, 1};

/* N=2, C=16 and 4096 spatial elements per plane: 131,072 elements, enough work to
 * be split over 2 threads (Parallel.minParallelWork is 2^17 element-taps). */
#define BATCH 2
#define CHANNELS 16
#define PLANE 4096
#define ELEMS ((int64_t)BATCH * CHANNELS * PLANE)
#define BIG (ELEMS * 8) /* outputs: up to 8x the input (unpool, adaptive upsampling) */

static void *x, *y, *g;       /* input, output, gradient (bytes for float64 x BIG) */
static int64_t *idx, *idx2;   /* indices */

static void desc_for(swiftpool_pool_desc *d, int rank, int layout, int dtype) {
    swiftpool_pool_desc_init(d, rank);
    d->batch = BATCH;
    d->channels = CHANNELS;
    d->layout = layout;
    d->dtype = dtype;
    static const int64_t side[4][3] = {{0, 0, 0}, {4096, 0, 0}, {64, 64, 0}, {16, 16, 16}};
    for (int a = 0; a < rank; a++) d->input_size[a] = side[rank][a];
}

static void fill_float(void *p, int dtype, int64_t n) {
    uint64_t s = 12345;
    for (int64_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double v = (double)(s >> 11) * 0x1p-53 * 2.0 - 1.0;
        if (dtype == SWIFTPOOL_DTYPE_FLOAT32) ((float *)p)[i] = (float)v;
        else if (dtype == SWIFTPOOL_DTYPE_FLOAT64) ((double *)p)[i] = v;
        else ((uint8_t *)p)[i] = (uint8_t)(s >> 56);
    }
}

/* Fills x with random data of the dtype (half types: random bit patterns of
 * finite values). */
static void fill_input(int dtype) {
    if (dtype == SWIFTPOOL_DTYPE_FLOAT32 || dtype == SWIFTPOOL_DTYPE_FLOAT64) {
        fill_float(x, dtype, ELEMS);
    } else if (dtype == SWIFTPOOL_DTYPE_FLOAT16 || dtype == SWIFTPOOL_DTYPE_BFLOAT16) {
        uint16_t *h = (uint16_t *)x;
        uint64_t s = 777;
        for (int64_t i = 0; i < ELEMS; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            /* sign, small exponent, random mantissa: finite in both formats */
            h[i] = (uint16_t)(((s >> 63) << 15) | (dtype == SWIFTPOOL_DTYPE_FLOAT16 ? 0x3800u : 0x3f00u) |
                              ((s >> 40) & 0xffu));
        }
    } else {
        fill_float(x, dtype, ELEMS);
    }
}

struct window {
    const char *name;
    int64_t k, s, p, dil;
    int ceil;
};
static const struct window windows[] = {
    {"k2s2", 2, 2, 0, 1, 0},
    {"k3s2p1", 3, 2, 1, 1, 0},
    {"k3s1p1", 3, 1, 1, 1, 0}, /* float32 only: the stride-1 average backward gather */
    {"k3s1p1d2ceil", 3, 1, 1, 2, 1},
};
#define NWINDOWS (int)(sizeof windows / sizeof windows[0])

static void set_window(swiftpool_pool_desc *d, const struct window *w) {
    for (int a = 0; a < d->spatial_rank; a++) {
        d->kernel_size[a] = w->k;
        d->stride[a] = w->s;
        d->padding[a] = w->p;
        d->dilation[a] = w->dil;
    }
    d->ceil_mode = w->ceil;
}

static void pooling(void) {
    char label[160];
    for (int rank = 1; rank <= 3; rank++)
        for (int layout = 1; layout <= 2; layout++)
            for (int dtype = 1; dtype <= 6; dtype++) {
                /* every dtype for max pooling; float32, float64, float16 elsewhere */
                int is_float = dtype <= 4;
                fill_input(dtype);
                for (int wi = 0; wi < NWINDOWS; wi++) {
                    if (dtype != SWIFTPOOL_DTYPE_FLOAT32 && wi > 1) continue;
                    swiftpool_pool_desc d;
                    desc_for(&d, rank, layout, dtype);
                    set_window(&d, &windows[wi]);
                    int64_t os[3], on = 0;
                    const char *tag = windows[wi].name;
#define L(what) (snprintf(label, sizeof label, "%s rank %d %s %s %s", what, rank, layout_name[layout], \
                          dtype_name[dtype], tag), label)
                    CHECK(SWIFTPOOL_OK, L("pool_output_shape"), swiftpool_pool_output_shape(&d, os, &on));
                    CHECK(SWIFTPOOL_OK, L("max_pool_forward"),
                          swiftpool_max_pool_forward(&d, x, ELEMS, y, BIG, NULL, 0));
                    CHECK(SWIFTPOOL_OK, L("max_pool_forward+indices"),
                          swiftpool_max_pool_forward(&d, x, ELEMS, y, BIG, idx, BIG));
                    if (!is_float) continue;
                    if (dtype != SWIFTPOOL_DTYPE_BFLOAT16) {
                        /* backward from the forward's indices */
                        fill_input(dtype);
                        swiftpool_max_pool_forward(&d, x, ELEMS, y, BIG, idx, BIG);
                        memcpy(g, y, (size_t)(on * dtype_size[dtype]));
                        CHECK(SWIFTPOOL_OK, L("max_pool_backward"),
                              swiftpool_max_pool_backward(&d, g, on, idx, on, x, ELEMS));
                        fill_input(dtype);
                    }
                    CHECK(SWIFTPOOL_OK, L("avg_pool_forward"), swiftpool_avg_pool_forward(&d, x, ELEMS, y, BIG));
                    d.count_include_pad = 0;
                    CHECK(SWIFTPOOL_OK, L("avg_pool_forward exclude_pad"),
                          swiftpool_avg_pool_forward(&d, x, ELEMS, y, BIG));
                    if (dtype != SWIFTPOOL_DTYPE_BFLOAT16)
                        CHECK(SWIFTPOOL_OK, L("avg_pool_backward exclude_pad"),
                              swiftpool_avg_pool_backward(&d, y, on, g, ELEMS));
                    d.count_include_pad = 1;
                    d.divisor_override = 3;
                    CHECK(SWIFTPOOL_OK, L("avg_pool_backward divisor"), swiftpool_avg_pool_backward(&d, y, on, g, ELEMS));
                    d.divisor_override = 0;
                    if (dtype > 2) continue;
                    if (windows[wi].p == 0 && windows[wi].dil == 1) {
                        CHECK(SWIFTPOOL_OK, L("lp_pool_forward p=2"), swiftpool_lp_pool_forward(&d, 2.0, x, ELEMS, y, BIG));
                        CHECK(SWIFTPOOL_OK, L("lp_pool_forward p=3"), swiftpool_lp_pool_forward(&d, 3.0, x, ELEMS, y, BIG));
                    }
                    d.flags = SWIFTPOOL_FLAG_LP_ONNX;
                    CHECK(SWIFTPOOL_OK, L("lp_pool_forward ONNX"), swiftpool_lp_pool_forward(&d, 2.0, x, ELEMS, y, BIG));
                    d.flags = 0;
                    if (wi == 0) {
                        /* ONNX index conventions, forward and backward */
                        d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
                        swiftpool_max_pool_forward(&d, x, ELEMS, y, BIG, idx, BIG);
                        CHECK(SWIFTPOOL_OK, L("max_pool_backward INDICES_GLOBAL"),
                              swiftpool_max_pool_backward(&d, y, on, idx, on, g, ELEMS));
                        d.flags = SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR | SWIFTPOOL_FLAG_NAN_IGNORE;
                        CHECK(SWIFTPOOL_OK, L("max_pool_forward COLUMN_MAJOR|NAN_IGNORE"),
                              swiftpool_max_pool_forward(&d, x, ELEMS, y, BIG, idx, BIG));
                        d.flags = SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR;
                        CHECK(SWIFTPOOL_OK, L("max_pool_backward COLUMN_MAJOR"),
                              swiftpool_max_pool_backward(&d, y, on, idx, on, g, ELEMS));
                        d.flags = 0;
                        /* ONNX auto_pad and asymmetric pads */
                        d.auto_pad = SWIFTPOOL_AUTO_PAD_SAME_UPPER;
                        CHECK(SWIFTPOOL_OK, L("avg_pool_forward SAME_UPPER"), swiftpool_avg_pool_forward(&d, x, ELEMS, y, BIG));
                        d.auto_pad = 0;
                        for (int a = 0; a < rank; a++) d.padding_end[a] = 1;
                        CHECK(SWIFTPOOL_OK, L("max_pool_forward pads 0,1"),
                              swiftpool_max_pool_forward(&d, x, ELEMS, y, BIG, idx, BIG));
                    }
#undef L
                }
            }
}

static void global_adaptive(void) {
    char label[160];
    for (int rank = 1; rank <= 3; rank++)
        for (int layout = 1; layout <= 2; layout++)
            for (int dtype = 1; dtype <= 3; dtype++) {
                fill_input(dtype);
                static const int64_t outs[4][3] = {{1, 1, 1}, {5, 7, 3}, {16, 16, 16}, {8, 20, 19}};
                for (int oi = 0; oi < 4; oi++) {
                    swiftpool_pool_desc d;
                    desc_for(&d, rank, layout, dtype);
                    const int64_t *os = outs[oi];
#define L(what) (snprintf(label, sizeof label, "%s rank %d %s %s out %lld,%lld,%lld", what, rank, \
                          layout_name[layout], dtype_name[dtype], (long long)os[0], (long long)os[1], (long long)os[2]), label)
                    CHECK(SWIFTPOOL_OK, L("adaptive_max_pool_forward"),
                          swiftpool_adaptive_max_pool_forward(&d, os, x, ELEMS, y, BIG, NULL, 0));
                    CHECK(SWIFTPOOL_OK, L("adaptive_max_pool_forward+indices"),
                          swiftpool_adaptive_max_pool_forward(&d, os, x, ELEMS, y, BIG, idx, BIG));
                    CHECK(SWIFTPOOL_OK, L("adaptive_avg_pool_forward"),
                          swiftpool_adaptive_avg_pool_forward(&d, os, x, ELEMS, y, BIG));
                    if (oi == 0 && dtype <= 2) {
                        /* global LP: a whole-input window */
                        for (int a = 0; a < rank; a++) d.kernel_size[a] = d.stride[a] = d.input_size[a];
                        CHECK(SWIFTPOOL_OK, L("lp_pool_forward global"), swiftpool_lp_pool_forward(&d, 2.0, x, ELEMS, y, BIG));
                        d.flags = SWIFTPOOL_FLAG_LP_ONNX;
                        CHECK(SWIFTPOOL_OK, L("lp_pool_forward global ONNX"),
                              swiftpool_lp_pool_forward(&d, 2.0, x, ELEMS, y, BIG));
                    }
#undef L
                }
            }
}

static void pyramid(void) {
    char label[160];
    int64_t levels[8] = {1, 1, 2, 2, 4, 4, 3, 5};
    int64_t sizes[2 * BATCH] = {64, 64, 50, 33}; /* per side below */
    int64_t len = 0;
    CHECK(SWIFTPOOL_OK, "spatial_pyramid_pool_output_length",
          swiftpool_spatial_pyramid_pool_output_length(CHANNELS, levels, 4, &len));
    for (int side = 64; side >= 16; side -= 48)
    for (int layout = 1; layout <= 2; layout++)
        for (int dtype = 1; dtype <= 3; dtype++) {
            fill_input(dtype);
            swiftpool_pool_desc d;
            desc_for(&d, 2, layout, dtype);
            d.input_size[0] = d.input_size[1] = side;
            sizes[0] = sizes[1] = side;
            sizes[2] = side - 14;
            sizes[3] = side / 2 + 1;
            for (int mode = 1; mode <= 2; mode++)
                for (int bins = 1; bins <= 2; bins++)
                    for (int with_sizes = 0; with_sizes <= 1; with_sizes++) {
                        /* SPP-net bins need L mod n in {0, 1}: 64 x 64 with levels 1, 2, 4 */
                        int nl = bins == 2 ? 3 : 4;
                        if (bins == 2 && with_sizes) continue;
                        snprintf(label, sizeof label, "spatial_pyramid_pool_forward %dx%d %s %s %s %s%s", side, side,
                                 layout_name[layout], dtype_name[dtype], mode == 1 ? "max" : "avg",
                                 bins == 1 ? "adaptive" : "sppnet", with_sizes ? " sizes" : "");
#define SPP_CALL swiftpool_spatial_pyramid_pool_forward(&d, levels, nl, mode, bins, with_sizes ? sizes : NULL, \
                                                        with_sizes ? 2 * BATCH : 0, x, ELEMS, y, BIG)
                        /* NCHW copies up to 16 planes into a channels-last tile; above 64 KiB
                         * of scratch it is one heap block (the header's OUT_OF_MEMORY case). */
                        if (layout == SWIFTPOOL_LAYOUT_NCHW && side * side * 16 * dtype_size[dtype] > 64 * 1024)
                            CHECK_KNOWN(SWIFTPOOL_OK, label, "NCHW tile scratch above 64 KiB: one heap block", SPP_CALL);
                        else
                            CHECK(SWIFTPOOL_OK, label, SPP_CALL);
#undef SPP_CALL
                    }
        }
}

static void unpool(void) {
    char label[160];
    for (int rank = 1; rank <= 3; rank++)
        for (int layout = 1; layout <= 2; layout++)
            for (int dtype = 1; dtype <= 3; dtype++) {
                fill_input(dtype);
                swiftpool_pool_desc d;
                desc_for(&d, rank, layout, dtype);
                set_window(&d, &windows[0]);
                /* indices from max pooling the unpooled shape: pool x (the big map) */
                int64_t os[3], on = 0;
                swiftpool_pool_output_shape(&d, os, &on);
                swiftpool_max_pool_forward(&d, x, ELEMS, y, BIG, idx, BIG);
                swiftpool_pool_desc u = d;
                for (int a = 0; a < rank; a++) u.input_size[a] = os[a];
                int64_t rs[3], rn = 0;
#define L(what) (snprintf(label, sizeof label, "%s rank %d %s %s", what, rank, layout_name[layout], dtype_name[dtype]), label)
                CHECK(SWIFTPOOL_OK, L("max_unpool_output_shape"), swiftpool_max_unpool_output_shape(&u, NULL, rs, &rn));
                CHECK(SWIFTPOOL_OK, L("max_unpool_forward"), swiftpool_max_unpool_forward(&u, NULL, y, on, idx, on, g, ELEMS));
                CHECK(SWIFTPOOL_OK, L("max_unpool_forward output_size"),
                      swiftpool_max_unpool_forward(&u, d.input_size, y, on, idx, on, g, ELEMS));
                d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
                u.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
                swiftpool_max_pool_forward(&d, x, ELEMS, y, BIG, idx, BIG);
                CHECK(SWIFTPOOL_OK, L("max_unpool_forward INDICES_GLOBAL"),
                      swiftpool_max_unpool_forward(&u, NULL, y, on, idx, on, g, ELEMS));
#undef L
            }
}

static void fractional_roi(void) {
    char label[160];
    for (int layout = 1; layout <= 2; layout++)
        for (int dtype = 1; dtype <= 2; dtype++) {
            fill_input(dtype);
            for (int rank = 2; rank <= 3; rank++) {
                swiftpool_pool_desc d;
                desc_for(&d, rank, layout, dtype);
                for (int a = 0; a < rank; a++) d.kernel_size[a] = 2;
                int64_t os[3] = {rank == 2 ? 40 : 10, rank == 2 ? 37 : 9, 7};
                static double samples[BATCH * CHANNELS * 3];
                static float samples32[BATCH * CHANNELS * 3];
                for (int i = 0; i < BATCH * CHANNELS * 3; i++) samples[i] = samples32[i] = (float)((i * 37 % 100) / 100.0);
                const void *s = dtype == 1 ? (const void *)samples32 : (const void *)samples;
                int64_t sl = BATCH * CHANNELS * rank;
#define L(what) (snprintf(label, sizeof label, "%s rank %d %s %s", what, rank, layout_name[layout], dtype_name[dtype]), label)
                CHECK(SWIFTPOOL_OK, L("fractional_max_pool_forward seed"),
                      swiftpool_fractional_max_pool_forward(&d, os, NULL, 0, 42, x, ELEMS, y, BIG, NULL, 0));
                CHECK(SWIFTPOOL_OK, L("fractional_max_pool_forward samples+indices"),
                      swiftpool_fractional_max_pool_forward(&d, os, s, sl, 0, x, ELEMS, y, BIG, idx, BIG));
                d.flags = SWIFTPOOL_FLAG_NAN_IGNORE;
                CHECK(SWIFTPOOL_OK, L("fractional_max_pool_forward NAN_IGNORE"),
                      swiftpool_fractional_max_pool_forward(&d, os, NULL, 0, 7, x, ELEMS, y, BIG, idx, BIG));
                if (rank == 2) {
                    d.flags = 0;
                    /* 64 boxes over the 64 x 64 map */
                    static double boxes[64 * 5];
                    static float boxes32[64 * 5];
                    for (int b = 0; b < 64; b++) {
                        double row[5] = {b % BATCH, b % 17, b % 13, 20 + b % 40, 10 + b % 50};
                        for (int k = 0; k < 5; k++) boxes[b * 5 + k] = boxes32[b * 5 + k] = (float)row[k];
                    }
                    const void *bx = dtype == 1 ? (const void *)boxes32 : (const void *)boxes;
                    int64_t pooled[2] = {7, 7};
                    CHECK(SWIFTPOOL_OK, L("roi_max_pool_forward"),
                          swiftpool_roi_max_pool_forward(&d, bx, 64, 320, pooled, 0.5, x, ELEMS, y, BIG, NULL, 0));
                    CHECK(SWIFTPOOL_OK, L("roi_max_pool_forward+argmax"),
                          swiftpool_roi_max_pool_forward(&d, bx, 64, 320, pooled, 1.0, x, ELEMS, y, BIG, idx, BIG));
                }
#undef L
            }
        }
}

/* Error paths, after a warm-up error on this thread (the first call of each check).
 * Their messages are Swift strings built by interpolation, so they allocate: reported
 * as known, and checked to free what they allocate. */
#define ERROR_MESSAGE "the error message is built as a Swift string"
static void errors(void) {
    swiftpool_pool_desc d;
    desc_for(&d, 2, SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_DTYPE_FLOAT32);
    d.kernel_size[0] = d.kernel_size[1] = 2;
    d.stride[1] = 0;
    CHECK_KNOWN(SWIFTPOOL_ERROR_INVALID_ARGUMENT, "error: max_pool_forward stride 0", ERROR_MESSAGE,
          swiftpool_max_pool_forward(&d, x, ELEMS, y, BIG, NULL, 0));
    d.stride[1] = 1;
    CHECK_KNOWN(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, "error: avg_pool_forward output_len 1", ERROR_MESSAGE,
          swiftpool_avg_pool_forward(&d, x, ELEMS, y, 1));
    CHECK_KNOWN(SWIFTPOOL_ERROR_NULL_POINTER, "error: max_pool_forward input NULL", ERROR_MESSAGE,
          swiftpool_max_pool_forward(&d, NULL, ELEMS, y, BIG, NULL, 0));
    int64_t os[2] = {0, 3};
    CHECK_KNOWN(SWIFTPOOL_ERROR_INVALID_ARGUMENT, "error: adaptive_avg_pool_forward output_size 0", ERROR_MESSAGE,
          swiftpool_adaptive_avg_pool_forward(&d, os, x, ELEMS, y, BIG));
}

/* Does the interposition reach the library? A new thread's first error message
 * allocates its buffer: that must be counted. */
static void *first_error(void *arg) {
    (void)arg;
    start_counting();
    swiftpool_pool_output_shape(NULL, NULL, NULL);
    long n = stop_counting();
    return (void *)(intptr_t)n;
}

int main(void) {
    trace_filter = getenv("SWIFTPOOL_NOALLOC_TRACE");
    report_only = getenv("SWIFTPOOL_NOALLOC_REPORT") != NULL;
    if (trace_filter) { void *f[2]; backtrace(f, 2); } /* loads the unwinder before counting */
    x = malloc((size_t)BIG * 8);
    y = malloc((size_t)BIG * 8);
    g = malloc((size_t)BIG * 8);
    idx = malloc((size_t)BIG * 8);
    idx2 = malloc((size_t)BIG * 8);
    if (!x || !y || !g || !idx || !idx2) return 2;
    memset(y, 0, (size_t)BIG * 8);
    memset(g, 0, (size_t)BIG * 8);

    pthread_t t;
    void *seen = NULL;
    pthread_create(&t, NULL, first_error, NULL);
    pthread_join(t, &seen);
    if ((intptr_t)seen < 1) {
        fprintf(stderr, "FAIL: the interposed malloc saw no allocation for a new thread's first error message "
                        "(%ld): the test cannot see the library's allocations\n", (long)(intptr_t)seen);
        return 1;
    }

    static const int thread_counts[2] = {1, 2};
    for (int ti = 0; ti < 2; ti++) {
        threads_now = thread_counts[ti];
        swiftpool_set_num_threads(threads_now);
        pooling();
        global_adaptive();
        pyramid();
        unpool();
        fractional_roi();
        errors();
    }
    swiftpool_set_num_threads(0);
    printf("test_no_alloc: %d calls checked (1 and 2 threads), %d allocating or failing, %d with documented "
           "allocations (error messages, large scratch)%s\n", checks, failures, known, report_only ? " (report only)" : "");
    return failures && !report_only ? 1 : 0;
}
