/*
 * test_concurrency.c — the library under concurrent use from many host threads.
 *
 *  1. 17 threads call different operators at once (8 max/avg variants: both
 *     layouts, both dtypes, indices and ONNX flags; adaptive max, LP, spatial
 *     pyramid, unpooling, fractional and ROI pooling; max/avg backward, NHWC
 *     with overlapping windows and ONNX-convention indices), each with its own
 *     swiftpool_set_num_threads value (1..8); every result must equal, bit for bit,
 *     the result of the same call made single-threaded before the threads started
 *     (itself checked against the C model).
 *  2. Meanwhile 2 threads hammer swiftpool_set_num_threads / get_num_threads with
 *     their own values (the setting is per calling thread, so each must read back
 *     exactly what it set) and make failing calls whose thread-local error message
 *     must name their own bad value, never another thread's.
 *  3. Threads that are created, use the library once and exit (the per-thread
 *     error buffer is freed by its key destructor: see the leak targets).
 *
 * Also built with -fsanitize=thread against a TSan-instrumented library
 * (make test-tsan) to catch data races the comparisons would miss.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftpool.h"
#include "ref_pool.h"
#include "ref_ops.h"

#ifndef ITERATIONS
#define ITERATIONS 300
#endif

static volatile int failures;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            pthread_mutex_lock(&report_lock);                                   \
            failures++;                                                         \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);               \
            fprintf(stderr, __VA_ARGS__);                                       \
            fprintf(stderr, "\n");                                              \
            pthread_mutex_unlock(&report_lock);                                 \
        }                                                                       \
    } while (0)

/* Operators beyond max/avg pooling (REF_OP_MAX = 0, REF_OP_AVG = 1). */
enum { OP_ADAPTIVE_MAX = 10, OP_LP, OP_SPP, OP_UNPOOL, OP_FRACTIONAL, OP_ROI, OP_MAX_BACKWARD, OP_AVG_BACKWARD };

typedef struct {
    const char *name;
    swiftpool_pool_desc desc;
    int op, with_indices;
    int64_t osize[3];      /* output_size / pooled / levels argument */
    void *aux;             /* unpool indices, ROI boxes, SPP levels */
    int64_t aux_len;
    void *input;
    int64_t in_elems, out_elems; /* backward: grad_output's and grad_input's */
    size_t esize;
    void *expect;          /* single-threaded result */
    int64_t *expect_idx;
    int32_t threads;       /* this worker's swiftpool_set_num_threads value */
} job;

static void fill(void *p, int64_t n, int dtype, uint64_t seed) {
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double v = (double)((int64_t)(seed >> 40) % 17 - 8) / 4;
        if ((seed >> 20) % 101 == 0) v = NAN;
        if (dtype == SWIFTPOOL_DTYPE_FLOAT64) ((double *)p)[i] = v;
        else ((float *)p)[i] = (float)v;
    }
}

static int32_t call(const job *j, void *out, int64_t *idx) {
    switch (j->op) {
    case REF_OP_MAX:
        return swiftpool_max_pool_forward(&j->desc, j->input, j->in_elems, out, j->out_elems,
                                          j->with_indices ? idx : NULL, j->with_indices ? j->out_elems : 0);
    case REF_OP_AVG: return swiftpool_avg_pool_forward(&j->desc, j->input, j->in_elems, out, j->out_elems);
    case OP_ADAPTIVE_MAX:
        return swiftpool_adaptive_max_pool_forward(&j->desc, j->osize, j->input, j->in_elems, out, j->out_elems, idx,
                                                   j->out_elems);
    case OP_LP: return swiftpool_lp_pool_forward(&j->desc, 3.0, j->input, j->in_elems, out, j->out_elems);
    case OP_SPP:
        return swiftpool_spatial_pyramid_pool_forward(&j->desc, j->aux, j->aux_len / 2, SWIFTPOOL_SPP_AVG,
                                                      SWIFTPOOL_SPP_BINS_ADAPTIVE, NULL, 0, j->input, j->in_elems, out,
                                                      j->out_elems);
    case OP_UNPOOL:
        return swiftpool_max_unpool_forward(&j->desc, NULL, j->input, j->in_elems, j->aux, j->aux_len, out, j->out_elems);
    case OP_MAX_BACKWARD:
        return swiftpool_max_pool_backward(&j->desc, j->input, j->in_elems, j->aux, j->aux_len, out, j->out_elems);
    case OP_AVG_BACKWARD: return swiftpool_avg_pool_backward(&j->desc, j->input, j->in_elems, out, j->out_elems);
    case OP_FRACTIONAL:
        return swiftpool_fractional_max_pool_forward(&j->desc, j->osize, NULL, 0, 1234, j->input, j->in_elems, out,
                                                     j->out_elems, idx, j->out_elems);
    default:
        return swiftpool_roi_max_pool_forward(&j->desc, j->aux, j->aux_len / 5, j->aux_len, j->osize, 0.5, j->input,
                                              j->in_elems, out, j->out_elems, idx, j->out_elems);
    }
}

/* A job for one of the other operators: 2D, float32, N=2, C channels, H x W. */
static void setup_other(job *j, const char *name, int op, int32_t layout, int64_t c, int64_t h, int64_t w,
                        int32_t threads) {
    memset(j, 0, sizeof *j);
    j->name = name;
    j->op = op;
    j->threads = threads;
    j->with_indices = op == OP_ADAPTIVE_MAX || op == OP_FRACTIONAL || op == OP_ROI;
    j->esize = 4;
    swiftpool_pool_desc_init(&j->desc, 2);
    j->desc.layout = layout;
    j->desc.batch = 2;
    j->desc.channels = c;
    j->desc.input_size[0] = h;
    j->desc.input_size[1] = w;
    j->in_elems = 2 * c * h * w;
    j->input = malloc((size_t)j->in_elems * 4);
    fill(j->input, j->in_elems, SWIFTPOOL_DTYPE_FLOAT32, (uint64_t)threads * 104729);
    ref_geom g;
    void *model = NULL;
    int64_t *model_idx = NULL;
    int exact = 1;
    switch (op) {
    case OP_ADAPTIVE_MAX: {
        j->osize[0] = h / 3 + 1; j->osize[1] = w / 2 + 1;
        ref_adaptive a;
        ref_adaptive_validate(&j->desc, j->osize, REF_OP_MAX, &a);
        j->out_elems = a.out_elems;
        model = malloc((size_t)a.out_elems * 4); model_idx = malloc((size_t)a.out_elems * 8);
        ref_adaptive_pool(&a, REF_OP_MAX, j->input, model, model_idx, NULL);
        break;
    }
    case OP_LP: {
        j->desc.kernel_size[0] = j->desc.kernel_size[1] = 3;
        j->desc.stride[0] = j->desc.stride[1] = 2;
        j->desc.ceil_mode = 1;
        ref_lp_validate(&j->desc, 3.0, &g);
        j->out_elems = g.out_elems;
        model = malloc((size_t)g.out_elems * 4);
        ref_lp_pool(&g, 3.0, j->input, model);
        exact = 0;
        break;
    }
    case OP_SPP: {
        static const int64_t levels[6] = {1, 1, 2, 2, 4, 3};
        j->aux = malloc(sizeof levels);
        memcpy(j->aux, levels, sizeof levels);
        j->aux_len = 6;
        ref_spp sp;
        ref_spp_validate(&j->desc, levels, 3, SWIFTPOOL_SPP_AVG, SWIFTPOOL_SPP_BINS_ADAPTIVE, &sp);
        j->out_elems = sp.out_elems;
        model = malloc((size_t)sp.out_elems * 4);
        ref_spp_pool(&sp, levels, 3, NULL, j->input, model, NULL);
        exact = 0;
        break;
    }
    case OP_UNPOOL: {
        j->desc.kernel_size[0] = j->desc.kernel_size[1] = 2;
        j->desc.stride[0] = j->desc.stride[1] = 2;
        ref_unpool u;
        ref_unpool_validate(&j->desc, NULL, &u);
        j->out_elems = u.out_elems;
        int64_t *ix = malloc((size_t)u.in_elems * 8);
        for (int64_t q = 0; q < u.in_elems; q++) ix[q] = (q * 13) % u.out_plane;
        j->aux = ix;
        j->aux_len = u.in_elems;
        model = malloc((size_t)u.out_elems * 4);
        ref_max_unpool(&u, j->input, ix, model);
        break;
    }
    case OP_FRACTIONAL: {
        j->desc.kernel_size[0] = j->desc.kernel_size[1] = 2;
        j->osize[0] = h / 2; j->osize[1] = w - 3;
        ref_fractional f;
        ref_fractional_validate(&j->desc, j->osize, &f);
        j->out_elems = f.out_elems;
        float *samples = malloc((size_t)f.samples * 4);
        ref_fractional_samples(&f, 1234, samples);
        model = malloc((size_t)f.out_elems * 4); model_idx = malloc((size_t)f.out_elems * 8);
        ref_fractional_max_pool(&f, samples, j->input, model, model_idx);
        free(samples);
        break;
    }
    default: {
        static const float boxes[15] = {0, 0, 0, 20, 12, 1, 4, 2, 30, 30, 1, -3, -3, 5, 40};
        j->aux = malloc(sizeof boxes);
        memcpy(j->aux, boxes, sizeof boxes);
        j->aux_len = 15;
        j->osize[0] = 3; j->osize[1] = 4;
        ref_roi ro;
        ref_roi_validate(&j->desc, 3, j->osize, 0.5, &ro);
        j->out_elems = ro.out_elems;
        model = malloc((size_t)ro.out_elems * 4); model_idx = malloc((size_t)ro.out_elems * 8);
        ref_roi_max_pool(&ro, boxes, 0.5, j->input, model, model_idx);
        break;
    }
    }
    j->expect = malloc((size_t)j->out_elems * 4);
    j->expect_idx = malloc((size_t)j->out_elems * 8 + 8);
    swiftpool_set_num_threads(1);
    int32_t rc = call(j, j->expect, j->expect_idx);
    CHECK(rc == SWIFTPOOL_OK, "%s: %s", name, swiftpool_last_error_message());
    for (int64_t q = 0; q < j->out_elems; q++) {
        float a = ((float *)j->expect)[q], b = ((float *)model)[q];
        CHECK(a == b || (a != a && b != b) || (!exact && fabsf(a - b) <= 1e-5f * fmaxf(fabsf(a), fabsf(b))),
              "%s: single-threaded output[%lld] %g, model %g", name, (long long)q, a, b);
        if (model_idx) CHECK(j->expect_idx[q] == model_idx[q], "%s: index %lld", name, (long long)q);
    }
    free(model);
    free(model_idx);
    swiftpool_set_num_threads(0);
}

static void setup(job *j, const char *name, int op, int rank, int32_t layout, int32_t dtype, int64_t n, int64_t c,
                  int64_t size, int64_t k, int64_t s, int64_t p, uint32_t flags, int with_indices, int32_t threads) {
    memset(j, 0, sizeof *j);
    j->name = name;
    j->op = op;
    j->with_indices = with_indices;
    j->threads = threads;
    swiftpool_pool_desc_init(&j->desc, rank);
    j->desc.layout = layout;
    j->desc.dtype = dtype;
    j->desc.batch = n;
    j->desc.channels = c;
    j->desc.flags = flags;
    j->desc.ceil_mode = 1;
    for (int i = 0; i < rank; i++) {
        j->desc.input_size[i] = size + i;
        j->desc.kernel_size[i] = k;
        j->desc.stride[i] = s;
        j->desc.padding[i] = p;
    }
    ref_geom g;
    if (ref_validate(&j->desc, op, &g).required) { fprintf(stderr, "bad job %s\n", name); exit(2); }
    j->esize = dtype == SWIFTPOOL_DTYPE_FLOAT64 ? 8 : 4;
    j->in_elems = g.in_elems;
    j->out_elems = g.out_elems;
    j->input = malloc((size_t)g.in_elems * j->esize);
    j->expect = malloc((size_t)g.out_elems * j->esize);
    j->expect_idx = malloc((size_t)g.out_elems * 8);
    if (!j->input || !j->expect || !j->expect_idx) exit(2);
    fill(j->input, g.in_elems, dtype, (uint64_t)threads * 7919);
    /* The single-threaded result, itself checked against the model. */
    swiftpool_set_num_threads(1);
    int32_t rc = call(j, j->expect, j->expect_idx);
    CHECK(rc == SWIFTPOOL_OK, "%s: %s", name, swiftpool_last_error_message());
    void *model = malloc((size_t)g.out_elems * j->esize);
    int64_t *model_idx = malloc((size_t)g.out_elems * 8);
    if (op == REF_OP_MAX) ref_max_pool(&g, j->input, model, model_idx);
    else ref_avg_pool(&g, j->input, model);
    for (int64_t q = 0; q < g.out_elems; q++) {
        double a = ref_load(&g, j->expect, q), b = ref_load(&g, model, q);
        CHECK(a == b || (a != a && b != b), "%s: single-threaded output[%lld] %g, model %g", name, (long long)q, a, b);
        if (with_indices) CHECK(j->expect_idx[q] == model_idx[q], "%s: index %lld", name, (long long)q);
    }
    free(model);
    free(model_idx);
    swiftpool_set_num_threads(0);
}

/* A backward job: the forward problem's descriptor; `input` is grad_output,
 * `aux` the forward's indices (max), the call's output is grad_input. */
static void setup_backward(job *j, const char *name, int op, int rank, int32_t layout, int32_t dtype, int64_t n,
                           int64_t c, int64_t size, int64_t k, int64_t s, int64_t p, uint32_t flags, int32_t threads) {
    memset(j, 0, sizeof *j);
    j->name = name;
    j->op = op;
    j->threads = threads;
    swiftpool_pool_desc_init(&j->desc, rank);
    j->desc.layout = layout;
    j->desc.dtype = dtype;
    j->desc.batch = n;
    j->desc.channels = c;
    j->desc.flags = flags;
    j->desc.ceil_mode = 1;
    for (int i = 0; i < rank; i++) {
        j->desc.input_size[i] = size + i;
        j->desc.kernel_size[i] = k;
        j->desc.stride[i] = s;
        j->desc.padding[i] = p;
    }
    int fop = op == OP_MAX_BACKWARD ? REF_OP_MAX : REF_OP_AVG;
    ref_geom g;
    if (ref_backward_validate(&j->desc, fop, &g).required) { fprintf(stderr, "bad job %s\n", name); exit(2); }
    j->esize = dtype == SWIFTPOOL_DTYPE_FLOAT64 ? 8 : 4;
    j->in_elems = g.out_elems;
    j->out_elems = g.in_elems;
    j->input = malloc((size_t)g.out_elems * j->esize);
    j->expect = malloc((size_t)g.in_elems * j->esize);
    j->expect_idx = malloc(8);
    if (!j->input || !j->expect) exit(2);
    fill(j->input, g.out_elems, dtype, (uint64_t)threads * 3571);
    if (op == OP_MAX_BACKWARD) {
        /* The forward's indices for an input with ties: overlapping windows share argmaxes. */
        void *x = malloc((size_t)g.in_elems * j->esize), *y = malloc((size_t)g.out_elems * j->esize);
        j->aux = malloc((size_t)g.out_elems * 8);
        j->aux_len = g.out_elems;
        fill(x, g.in_elems, dtype, (uint64_t)threads * 131);
        ref_max_pool(&g, x, y, j->aux);
        free(x);
        free(y);
    }
    swiftpool_set_num_threads(1);
    int32_t rc = call(j, j->expect, NULL);
    CHECK(rc == SWIFTPOOL_OK, "%s: %s", name, swiftpool_last_error_message());
    void *model = malloc((size_t)g.in_elems * j->esize);
    if (op == OP_MAX_BACKWARD) ref_max_pool_backward(&g, j->input, j->aux, model);
    else ref_avg_pool_backward(&g, j->input, model);
    for (int64_t q = 0; q < g.in_elems; q++) {
        double a = ref_load(&g, j->expect, q), b = ref_load(&g, model, q);
        CHECK(a == b || (a != a && b != b), "%s: single-threaded grad_input[%lld] %g, model %g", name, (long long)q, a, b);
    }
    free(model);
    swiftpool_set_num_threads(0);
}

static pthread_barrier_t start;

static void *worker(void *arg) {
    job *j = arg;
    CHECK(swiftpool_set_num_threads(j->threads) == SWIFTPOOL_OK, "set_num_threads");
    void *out = malloc((size_t)j->out_elems * j->esize);
    int64_t *idx = malloc((size_t)j->out_elems * 8);
    pthread_barrier_wait(&start);
    for (int it = 0; it < ITERATIONS; it++) {
        memset(out, 0xEE, (size_t)j->out_elems * j->esize);
        memset(idx, 0xEE, (size_t)j->out_elems * 8);
        int32_t rc = call(j, out, idx);
        CHECK(rc == SWIFTPOOL_OK, "%s: status %d: %s", j->name, rc, swiftpool_last_error_message());
        CHECK(memcmp(out, j->expect, (size_t)j->out_elems * j->esize) == 0, "%s: output differs (iteration %d)",
              j->name, it);
        if (j->with_indices)
            CHECK(memcmp(idx, j->expect_idx, (size_t)j->out_elems * 8) == 0, "%s: indices differ", j->name);
        CHECK(swiftpool_get_num_threads() == j->threads, "%s: thread count changed under it", j->name);
        CHECK(swiftpool_last_error_message()[0] == '\0', "%s: message after success", j->name);
    }
    free(out);
    free(idx);
    return NULL;
}

/* Sets and reads its own thread count, and fails calls with its own bad value. */
static void *setter(void *arg) {
    int id = (int)(intptr_t)arg;
    pthread_barrier_wait(&start);
    swiftpool_pool_desc d;
    swiftpool_pool_desc_init(&d, 2);
    for (int it = 0; it < ITERATIONS * 20; it++) {
        int32_t n = 1 + (it * 7 + id * 3) % 16;
        CHECK(swiftpool_set_num_threads(n) == SWIFTPOOL_OK, "set %d", n);
        CHECK(swiftpool_get_num_threads() == n, "setter %d: get %d after set %d", id, swiftpool_get_num_threads(), n);
        CHECK(swiftpool_set_num_threads(-n) == SWIFTPOOL_ERROR_INVALID_ARGUMENT, "negative accepted");
        CHECK(swiftpool_get_num_threads() == n, "a rejected set changed the count");
        /* A failing call: this thread's message must name this thread's value. */
        d.channels = -(1000 * id + it);
        float x = 0, y = 0;
        CHECK(swiftpool_avg_pool_forward(&d, &x, 1, &y, 1) == SWIFTPOOL_ERROR_INVALID_ARGUMENT, "bad channels");
        char want[64];
        snprintf(want, sizeof want, "channels is %lld", (long long)d.channels);
        CHECK(strstr(swiftpool_last_error_message(), want) != NULL, "setter %d: message '%s' lacks '%s'", id,
              swiftpool_last_error_message(), want);
        CHECK(swiftpool_set_num_threads(0) == SWIFTPOOL_OK, "reset");
        CHECK(swiftpool_get_num_threads() >= 1, "default");
    }
    return NULL;
}

static void *short_lived(void *arg) {
    (void)arg;
    swiftpool_pool_desc d;
    swiftpool_pool_desc_init(&d, 1);
    d.batch = -1;
    float x = 0, y = 0;
    CHECK(swiftpool_max_pool_forward(&d, &x, 1, &y, 1, NULL, 0) == SWIFTPOOL_ERROR_INVALID_ARGUMENT, "batch -1");
    CHECK(swiftpool_set_num_threads(3) == SWIFTPOOL_OK, "set");
    return NULL;
}

int main(void) {
    enum { POOLS = 8, WORKERS = 17, SETTERS = 2 };
    job jobs[WORKERS];
    uint32_t onnx = SWIFTPOOL_FLAG_INDICES_GLOBAL | SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR;
    setup(&jobs[0], "max2d NCHW f32", REF_OP_MAX, 2, SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_DTYPE_FLOAT32, 2, 3, 23, 3, 2, 1, 0, 1, 1);
    setup(&jobs[1], "max2d NHWC f32", REF_OP_MAX, 2, SWIFTPOOL_LAYOUT_NHWC, SWIFTPOOL_DTYPE_FLOAT32, 1, 17, 19, 2, 2, 0, 0, 1, 2);
    setup(&jobs[2], "avg2d NCHW f64", REF_OP_AVG, 2, SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_DTYPE_FLOAT64, 2, 4, 21, 3, 1, 1, 0, 0, 3);
    setup(&jobs[3], "avg2d NHWC f32", REF_OP_AVG, 2, SWIFTPOOL_LAYOUT_NHWC, SWIFTPOOL_DTYPE_FLOAT32, 1, 9, 20, 3, 2, 1, 0, 0, 4);
    setup(&jobs[4], "max3d NCHW f64 onnx", REF_OP_MAX, 3, SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_DTYPE_FLOAT64, 1, 2, 9, 2, 1, 1, onnx, 1, 5);
    setup(&jobs[5], "avg3d NHWC f64", REF_OP_AVG, 3, SWIFTPOOL_LAYOUT_NHWC, SWIFTPOOL_DTYPE_FLOAT64, 1, 5, 8, 3, 2, 1, 0, 0, 6);
    setup(&jobs[6], "max1d NHWC f32 nan_ignore", REF_OP_MAX, 1, SWIFTPOOL_LAYOUT_NHWC, SWIFTPOOL_DTYPE_FLOAT32, 3, 16, 97, 4, 3, 2, SWIFTPOOL_FLAG_NAN_IGNORE, 1, 7);
    setup(&jobs[7], "avg1d NCHW f32", REF_OP_AVG, 1, SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_DTYPE_FLOAT32, 4, 7, 101, 5, 2, 2, 0, 0, 8);
    setup_other(&jobs[8], "adaptive max NHWC", OP_ADAPTIVE_MAX, SWIFTPOOL_LAYOUT_NHWC, 9, 19, 23, 3);
    setup_other(&jobs[9], "lp NCHW", OP_LP, SWIFTPOOL_LAYOUT_NCHW, 5, 21, 17, 2);
    setup_other(&jobs[10], "spp avg NHWC", OP_SPP, SWIFTPOOL_LAYOUT_NHWC, 8, 13, 18, 4);
    setup_other(&jobs[11], "unpool NCHW", OP_UNPOOL, SWIFTPOOL_LAYOUT_NCHW, 6, 12, 14, 5);
    setup_other(&jobs[12], "fractional NHWC", OP_FRACTIONAL, SWIFTPOOL_LAYOUT_NHWC, 7, 20, 20, 1);
    setup_other(&jobs[13], "roi NCHW", OP_ROI, SWIFTPOOL_LAYOUT_NCHW, 3, 24, 32, 6);
    setup_backward(&jobs[14], "max2d backward NHWC f32", OP_MAX_BACKWARD, 2, SWIFTPOOL_LAYOUT_NHWC,
                   SWIFTPOOL_DTYPE_FLOAT32, 2, 19, 21, 3, 2, 1, 0, 3);
    setup_backward(&jobs[15], "avg3d backward NCHW f64", OP_AVG_BACKWARD, 3, SWIFTPOOL_LAYOUT_NCHW,
                   SWIFTPOOL_DTYPE_FLOAT64, 2, 3, 9, 3, 2, 1, 0, 7);
    setup_backward(&jobs[16], "max2d backward NCHW f64 onnx", OP_MAX_BACKWARD, 2, SWIFTPOOL_LAYOUT_NCHW,
                   SWIFTPOOL_DTYPE_FLOAT64, 2, 5, 17, 3, 1, 1, onnx, 4);

    CHECK(swiftpool_set_num_threads(5) == SWIFTPOOL_OK, "main set");
    pthread_t t[WORKERS + SETTERS];
    pthread_barrier_init(&start, NULL, WORKERS + SETTERS);
    for (int i = 0; i < WORKERS; i++) pthread_create(&t[i], NULL, worker, &jobs[i]);
    for (int i = 0; i < SETTERS; i++) pthread_create(&t[WORKERS + i], NULL, setter, (void *)(intptr_t)(i + 1));
    for (int i = 0; i < WORKERS + SETTERS; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);

    for (int round = 0; round < 50; round++) {
        pthread_t s[4];
        for (int i = 0; i < 4; i++) pthread_create(&s[i], NULL, short_lived, NULL);
        for (int i = 0; i < 4; i++) pthread_join(s[i], NULL);
    }
    /* The main thread's own setting was never touched by the others. */
    CHECK(swiftpool_get_num_threads() == 5, "main thread's count changed to %d", swiftpool_get_num_threads());
    CHECK(swiftpool_set_num_threads(0) == SWIFTPOOL_OK, "reset");
    for (int i = 0; i < WORKERS; i++) {
        free(jobs[i].input); free(jobs[i].expect); free(jobs[i].expect_idx); free(jobs[i].aux);
    }
    printf("test_concurrency: %d threads on %d operator variants (%d pooling) x %d calls, %d setters, "
           "200 short-lived threads: %d failures\n", WORKERS, WORKERS, POOLS, ITERATIONS, SETTERS, failures);
    return failures ? 1 : 0;
}
