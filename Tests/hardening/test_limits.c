/*
 * test_limits.c — sizes at and past the edges of int64 and int32, and memory
 * exhaustion.
 *
 *  1. Every size product that can overflow int64 (plane, channels x plane,
 *     batch x channels x plane, bytes = elements x element size, the shape
 *     formula's intermediates, dilation x (kernel-1), the count_include_pad window
 *     area) returns SWIFTPOOL_ERROR_OVERFLOW with a message, through
 *     swiftpool_pool_output_shape and the operators (forward and backward), and
 *     writes nothing; the
 *     largest sizes that still fit are accepted.
 *  2. Index math past 2^31 (and past 2^32 for the ONNX global index and the
 *     channels-last offsets) without allocating the tensors: inputs are sparse
 *     MAP_NORESERVE mappings of 8-26 GiB of which the library only reads the few
 *     pages the (strided, dilated) windows touch; the values and indices there
 *     are checked against the C model. A mapping the kernel refuses is reported
 *     as skipped, not failed.
 *  3. Memory exhaustion: in a child with RLIMIT_AS just above its current use,
 *     calls on pre-allocated tensors return OK (the kernels need no heap scratch)
 *     or SWIFTPOOL_ERROR_OUT_OF_MEMORY with a message and untouched outputs —
 *     never a crash.
 *  4. Windows whose span (dilation x (kernel - 1)) is near INT64_MAX, padded by
 *     auto_pad SAME about half of it: small tensors, every operator that takes
 *     the pooling fields (max, avg, ONNX LP, both backward passes), against the
 *     C model. The first-tap formula once overflowed here and the kernels read
 *     wild addresses (a SEGV in CI's fuzz smoke run).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swiftpool.h"
#include "ref_pool.h"
#include "ref_ops.h"

static int failures, checks, skipped;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        checks++;                                                         \
        if (!(cond)) {                                                    \
            failures++;                                                   \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);         \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, " [last error: '%s']\n", swiftpool_last_error_message()); \
        }                                                                 \
    } while (0)

static swiftpool_pool_desc desc(int rank, int64_t n, int64_t c, const int64_t *in, const int64_t *k) {
    swiftpool_pool_desc d;
    swiftpool_pool_desc_init(&d, rank);
    d.batch = n;
    d.channels = c;
    for (int i = 0; i < rank; i++) {
        d.input_size[i] = in[i];
        d.kernel_size[i] = k ? k[i] : 1;
    }
    return d;
}

/* output_shape, max and avg (bits 1, 2, 4) and their backward passes (8, 16:
 * max backward with all-zero indices) must all refuse `d` with `want`, writing
 * nothing. */
static void expect_refused(const char *what, swiftpool_pool_desc d, int32_t want, int op_mask) {
    int64_t sizes[3] = {-7, -7, -7}, elements = -7;
    float in[4] = {0}, out[4] = {-7, -7, -7, -7};
    int64_t idx[4] = {-7, -7, -7, -7};
    if (op_mask & 1) {
        int32_t rc = swiftpool_pool_output_shape(&d, sizes, &elements);
        CHECK(rc == want, "%s: output_shape status %d, expected %d", what, rc, want);
        CHECK(sizes[0] == -7 && sizes[1] == -7 && sizes[2] == -7 && elements == -7, "%s: output_shape wrote", what);
    }
    if (op_mask & 2) {
        int32_t rc = swiftpool_max_pool_forward(&d, in, 4, out, 4, idx, 4);
        CHECK(rc == want, "%s: max status %d, expected %d", what, rc, want);
    }
    if (op_mask & 4) {
        int32_t rc = swiftpool_avg_pool_forward(&d, in, 4, out, 4);
        CHECK(rc == want, "%s: avg status %d, expected %d", what, rc, want);
    }
    if (op_mask & 8) {
        const int64_t zeros[4] = {0, 0, 0, 0};
        int32_t rc = swiftpool_max_pool_backward(&d, in, 4, zeros, 4, out, 4);
        CHECK(rc == want, "%s: max backward status %d, expected %d", what, rc, want);
    }
    if (op_mask & 16) {
        int32_t rc = swiftpool_avg_pool_backward(&d, in, 4, out, 4);
        CHECK(rc == want, "%s: avg backward status %d, expected %d", what, rc, want);
    }
    CHECK(swiftpool_last_error_message()[0] != '\0', "%s: no message", what);
    for (int i = 0; i < 4; i++) CHECK(out[i] == -7 && idx[i] == -7, "%s: output written", what);
}

static void overflow_products(void) {
    const int32_t OVF = SWIFTPOOL_ERROR_OVERFLOW;
    const int64_t big = INT64_C(1) << 21, two32 = INT64_C(1) << 32;
    int64_t sizes3[3] = {big + 1, big + 1, big + 1};
    expect_refused("plane D*H*W > 2^63", desc(3, 1, 1, sizes3, NULL), OVF, 31);
    int64_t s1[1] = {two32};
    expect_refused("channels x plane", desc(1, 1, two32 * 2, s1, NULL), OVF, 31);
    expect_refused("batch x channels x plane", desc(1, two32, INT64_C(1) << 20, s1, NULL), OVF, 31);

    /* Bytes: 2^60+1 elements fit in int64, and as float32 bytes (2^62+4) too; as
     * float64 bytes (2^63+8) they do not. */
    int64_t w[1] = {(INT64_C(1) << 60) + 1};
    swiftpool_pool_desc d = desc(1, 1, 1, w, NULL);
    int64_t elements = 0;
    CHECK(swiftpool_pool_output_shape(&d, NULL, &elements) == SWIFTPOOL_OK && elements == w[0],
          "float32 tensor of 2^60+1 elements is representable");
    d.dtype = SWIFTPOOL_DTYPE_FLOAT64;
    expect_refused("float64 bytes of 2^60+1 elements", d, OVF, 31);
    int64_t w2[1] = {(INT64_C(1) << 61) + 1};
    expect_refused("float32 bytes of 2^61+1 elements", desc(1, 1, 1, w2, NULL), OVF, 31);

    /* Batch 0: no elements, but the plane itself must still be representable. */
    d = desc(3, 0, 1, sizes3, NULL);
    expect_refused("batch 0, plane > 2^63", d, OVF, 1);

    /* Intermediates of the output-size formula. */
    int64_t huge[1] = {INT64_MAX - 1}, k3[1] = {3};
    d = desc(1, 1, 1, huge, k3);
    d.padding[0] = 1;
    expect_refused("input + 2*padding", d, OVF, 31);
    int64_t one[1] = {1}, k4[1] = {4};
    d = desc(1, 1, 1, one, k4);
    d.dilation[0] = INT64_C(1) << 62;
    expect_refused("dilation x (kernel - 1)", d, OVF, 31);
    int64_t kh[1] = {INT64_MAX - 1};
    d = desc(1, 1, 5, one, kh);
    d.stride[0] = INT64_MAX - 1;
    {
        int32_t rc = swiftpool_pool_output_shape(&d, NULL, NULL);
        CHECK(rc == OVF || rc == SWIFTPOOL_ERROR_INVALID_SHAPE, "window ~2^63 + stride ~2^63: status %d", rc);
    }
    /* The count_include_pad divisor is a window area: 5 * 2^61 > 2^63. */
    int64_t in3[3] = {4, 1, 1}, k3d[3] = {INT64_C(1) << 61, 5, 1};
    d = desc(3, 1, 1, in3, k3d);
    d.stride[1] = 4;
    d.auto_pad = SWIFTPOOL_AUTO_PAD_SAME_UPPER;
    expect_refused("count_include_pad area", d, OVF, 4 | 16);
    d.count_include_pad = 0;
    {
        float in[4] = {1, 2, 3, 4}, out[4];
        CHECK(swiftpool_avg_pool_forward(&d, in, 4, out, 4) == SWIFTPOOL_OK && out[0] == 2.5f,
              "count_include_pad=0 needs no area");
    }
    /* Capacities: larger than needed is fine, negative is not. */
    d = desc(1, 1, 1, one, NULL);
    {
        float in = 3, out = 0;
        CHECK(swiftpool_max_pool_forward(&d, &in, INT64_MAX, &out, INT64_MAX, NULL, 0) == SWIFTPOOL_OK && out == 3,
              "huge capacities");
        CHECK(swiftpool_max_pool_forward(&d, &in, INT64_MIN, &out, 1, NULL, 0) != SWIFTPOOL_OK, "negative capacity");
    }
}

/* A zero-filled sparse mapping of `elements` floats, or NULL (reported as skipped). */
static float *sparse(int64_t elements, size_t *bytes) {
    *bytes = (size_t)elements * sizeof(float);
    void *p = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Runs max (with indices) and avg on a sparse input and compares with the model. */
static void big_case(const char *what, swiftpool_pool_desc d, const int64_t *set, int nset, const int64_t *want_idx) {
    ref_geom g;
    if (ref_validate(&d, REF_OP_MAX, &g).required) { CHECK(0, "%s: model rejects", what); return; }
    size_t bytes;
    float *in = sparse(g.in_elems, &bytes);
    if (!in) { printf("  skipped %s: cannot map %zu GiB\n", what, bytes >> 30); skipped++; return; }
    for (int i = 0; i < nset; i++) in[set[i]] = (float)(i + 1) * (i % 2 ? -1.5f : 2.0f);
    float out[64], expect[64];
    int64_t idx[64], expect_idx[64];
    if (g.out_elems > 64) { CHECK(0, "%s: too many outputs", what); munmap(in, bytes); return; }
    int32_t rc = swiftpool_max_pool_forward(&d, in, g.in_elems, out, g.out_elems, idx, g.out_elems);
    CHECK(rc == SWIFTPOOL_OK, "%s: max status %d", what, rc);
    ref_max_pool(&g, in, expect, expect_idx);
    for (int64_t q = 0; q < g.out_elems; q++) {
        CHECK(out[q] == expect[q], "%s: max[%lld] %g, model %g", what, (long long)q, out[q], expect[q]);
        CHECK(idx[q] == expect_idx[q], "%s: index[%lld] %lld, model %lld", what, (long long)q, (long long)idx[q],
              (long long)expect_idx[q]);
        if (want_idx) CHECK(idx[q] == want_idx[q], "%s: index[%lld] %lld, expected %lld", what, (long long)q,
                            (long long)idx[q], (long long)want_idx[q]);
    }
    d.flags = 0; /* index flags are max-only */
    ref_validate(&d, REF_OP_AVG, &g);
    rc = swiftpool_avg_pool_forward(&d, in, g.in_elems, out, g.out_elems);
    CHECK(rc == SWIFTPOOL_OK, "%s: avg status %d", what, rc);
    ref_avg_pool(&g, in, expect);
    for (int64_t q = 0; q < g.out_elems; q++)
        CHECK(out[q] == expect[q], "%s: avg[%lld] %g, model %g", what, (long long)q, out[q], expect[q]);
    munmap(in, bytes);
}

static void index_math_past_2_31(void) {
    const int64_t T31 = INT64_C(1) << 31, T30 = INT64_C(1) << 30;
    /* 1D, 2^31+17 elements (8 GiB): windows at 0, 2^30, 2^31. */
    int64_t w[1] = {T31 + 17};
    swiftpool_pool_desc d = desc(1, 1, 1, w, NULL);
    d.stride[0] = T30;
    int64_t set1[] = {0, T30, T31};
    int64_t want1[] = {0, T30, T31};
    big_case("1D plane of 2^31+17, stride 2^30", d, set1, 3, want1);

    /* Dilation 2^31: a 2-tap window spanning 8 GiB. */
    d.kernel_size[0] = 2;
    d.dilation[0] = T31;
    d.stride[0] = T31;
    int64_t set2[] = {T31};
    int64_t want2[] = {T31};
    big_case("1D dilation 2^31", d, set2, 1, want2);

    /* 2D: h*W + w > 2^31 with a 2x2 window; and ONNX column-major (w*H + h). */
    int64_t hw[2] = {(INT64_C(1) << 16) + 1, (INT64_C(1) << 15) + 3}, k2[2] = {2, 2};
    d = desc(2, 1, 1, hw, k2);
    d.stride[0] = INT64_C(1) << 15;
    d.stride[1] = INT64_C(1) << 14;
    d.ceil_mode = 1;
    int64_t last = (hw[0] - 1) * hw[1] + (hw[1] - 1);
    int64_t set3[] = {(INT64_C(1) << 16) * hw[1] + (INT64_C(1) << 15) + 1, last, 5};
    big_case("2D plane > 2^31", d, set3, 3, NULL);
    d.flags = SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR;
    big_case("2D plane > 2^31, column-major indices", d, set3, 3, NULL);

    /* ONNX global indices past 2^32: 3 channels of 2^31+17 (24 GiB virtual). */
    d = desc(1, 1, 3, w, NULL);
    d.stride[0] = T30;
    d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
    int64_t set4[] = {2 * (T31 + 17) + T31, T31 + 17 + T30};
    big_case("global indices past 2^32", d, set4, 2, NULL);

    /* Channels-last offsets (p*C + c) past 2^32: NHWC, C = 3, plane 2^31+17. */
    d = desc(1, 1, 3, w, NULL);
    d.layout = SWIFTPOOL_LAYOUT_NHWC;
    d.stride[0] = T30;
    int64_t set5[] = {T31 * 3 + 2, T30 * 3 + 1};
    int64_t want5[] = {0, 0, 0, T30, T30, T30, T31, T31, T31};
    big_case("NHWC offsets past 2^32", d, set5, 2, want5);
}

static long vm_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0;
    if (f) { if (fscanf(f, "%ld", &pages) != 1) pages = 0; fclose(f); }
    return pages * sysconf(_SC_PAGESIZE);
}

static void memory_exhaustion(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        enum { N = 4 * 64 * 64 * 64 };
        float *in = malloc(N * sizeof(float)), *out = malloc(N * sizeof(float));
        int64_t *idx = malloc(N * sizeof(int64_t));
        if (!in || !out || !idx) _exit(3);
        for (int i = 0; i < N; i++) in[i] = (float)(i % 101);
        enum { BIG = 1 << 22 };
        float *big_in = malloc(BIG * sizeof(float)), *big_out = malloc(BIG * sizeof(float));
        int64_t *big_idx = malloc(BIG * sizeof(int64_t));
        if (!big_in || !big_out || !big_idx) _exit(3);
        for (int i = 0; i < BIG; i++) { big_in[i] = (float)(i % 7); big_out[i] = -5.0f; }
        /* From here on, only 16 MiB more address space. */
        struct rlimit r = {(rlim_t)vm_bytes() + (16u << 20), (rlim_t)vm_bytes() + (16u << 20)};
        if (setrlimit(RLIMIT_AS, &r) != 0) _exit(4);
        void *probe = malloc(64u << 20);
        if (probe) _exit(5); /* the limit is not effective: nothing tested */
        int bad = 0;
        static const int32_t layouts[] = {SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC};
        for (int l = 0; l < 2; l++)
        for (int32_t threads = 1; threads <= 8; threads *= 2) {
            swiftpool_set_num_threads(threads);
            int64_t s[3] = {64, 64, 64}, k[3] = {3, 3, 3};
            swiftpool_pool_desc d = desc(3, 1, 4, s, k);
            d.layout = layouts[l];
            d.stride[0] = d.stride[1] = d.stride[2] = 1;
            d.padding[0] = d.padding[1] = d.padding[2] = 1;
            int64_t n = 0;
            if (swiftpool_pool_output_shape(&d, NULL, &n) != SWIFTPOOL_OK || n != N) bad |= 1;
            memset(out, 0x7F, N * sizeof(float));
            int32_t rc = swiftpool_max_pool_forward(&d, in, N, out, N, idx, N);
            if (rc == SWIFTPOOL_ERROR_OUT_OF_MEMORY) {
                if (!swiftpool_last_error_message()[0] || out[0] != out[N - 1]) bad |= 2;
            } else if (rc != SWIFTPOOL_OK) bad |= 4;
            rc = swiftpool_avg_pool_forward(&d, in, N, out, N);
            if (rc != SWIFTPOOL_OK && rc != SWIFTPOOL_ERROR_OUT_OF_MEMORY) bad |= 8;
        }
        /* Operators with scratch sized by the output: a 2^22 x 1 output (16 MiB,
         * allocated before the limit) wants 32 MiB of fractional window starts, more
         * than the limit leaves: OUT_OF_MEMORY (or OK), never an abort. ROI pooling
         * and unpooling run on the same buffers. */
        swiftpool_set_num_threads(0);
        {
            int64_t big = INT64_C(1) << 22;
            swiftpool_pool_desc d;
            swiftpool_pool_desc_init(&d, 2);
            d.input_size[0] = big;
            d.input_size[1] = 1;
            int64_t osize[2] = {big, 1};
            int32_t rc = swiftpool_fractional_max_pool_forward(&d, osize, NULL, 0, 7, big_in, big, big_out, big,
                                                               NULL, 0);
            if (rc == SWIFTPOOL_ERROR_OUT_OF_MEMORY) {
                if (!swiftpool_last_error_message()[0] || big_out[0] != -5.0f) bad |= 16;
            } else if (rc != SWIFTPOOL_OK) bad |= 32;
            float box[5] = {0, 0, 0, 0, (float)(big - 1)};
            rc = swiftpool_roi_max_pool_forward(&d, box, 1, 5, osize, 1.0, big_in, big, big_out, big, NULL, 0);
            if (rc != SWIFTPOOL_OK && rc != SWIFTPOOL_ERROR_OUT_OF_MEMORY) bad |= 64;
            int64_t *where = big_idx;
            for (int64_t q = 0; q < big; q++) where[q] = big - 1 - q;
            rc = swiftpool_max_unpool_forward(&d, osize, big_in, big, where, big, big_out, big);
            if (rc != SWIFTPOOL_OK && rc != SWIFTPOOL_ERROR_OUT_OF_MEMORY) bad |= 128;
            /* Spatial pyramid pooling of 2^22 channels (NHWC, 1x1 map, one level):
             * its scratch is a cell and a bin per channel, 32 MiB, past the limit. */
            swiftpool_pool_desc_init(&d, 2);
            d.layout = SWIFTPOOL_LAYOUT_NHWC;
            d.channels = big;
            d.input_size[0] = d.input_size[1] = 1;
            int64_t level[2] = {1, 1};
            for (int q = 0; q < 4; q++) big_out[q] = -5.0f;
            for (int mode = SWIFTPOOL_SPP_MAX; mode <= SWIFTPOOL_SPP_AVG; mode++) {
                rc = swiftpool_spatial_pyramid_pool_forward(&d, level, 1, mode, SWIFTPOOL_SPP_BINS_ADAPTIVE, NULL, 0,
                                                            big_in, big, big_out, big);
                if (rc == SWIFTPOOL_ERROR_OUT_OF_MEMORY) {
                    if (!swiftpool_last_error_message()[0] || big_out[0] != -5.0f) bad |= 256;
                } else if (rc != SWIFTPOOL_OK) bad |= 512;
            }
        }
        /* Max pooling backward with global (ONNX) indices: they used to be converted
         * into 8 bytes of scratch per output element (32 MiB here, past the limit);
         * they are now converted as they are read, so the call must succeed (an
         * OUT_OF_MEMORY without side effects stays acceptable). */
        {
            int64_t big = INT64_C(1) << 22;
            swiftpool_pool_desc d;
            swiftpool_pool_desc_init(&d, 2);
            d.input_size[0] = big;
            d.input_size[1] = 1;
            d.flags = SWIFTPOOL_FLAG_INDICES_GLOBAL;
            for (int64_t q = 0; q < big; q++) big_idx[q] = big - 1 - q;
            for (int q = 0; q < 4; q++) big_out[q] = -5.0f;
            int32_t rc = swiftpool_max_pool_backward(&d, big_in, big, big_idx, big, big_out, big);
            if (rc == SWIFTPOOL_ERROR_OUT_OF_MEMORY) {
                if (!swiftpool_last_error_message()[0] || big_out[0] != -5.0f) bad |= 1024;
            } else if (rc != SWIFTPOOL_OK || big_out[0] != big_in[big - 1]) bad |= 2048;
            d.flags = 0;
            rc = swiftpool_avg_pool_backward(&d, big_in, big, big_out, big);
            if (rc != SWIFTPOOL_OK && rc != SWIFTPOOL_ERROR_OUT_OF_MEMORY) bad |= 4096;
        }
        _exit(bad ? 10 + bad % 240 : 0); /* never 5 (skipped) */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) CHECK(0, "memory exhaustion: child died of signal %d", WTERMSIG(status));
    else if (WEXITSTATUS(status) == 5) { printf("  skipped memory exhaustion: RLIMIT_AS not effective\n"); skipped++; }
    else CHECK(WEXITSTATUS(status) == 0, "memory exhaustion: child exit %d", WEXITSTATUS(status));
}

/* Section 4. Values bit-equal, or (averages, LP) within a relative 1e-6; NaN = NaN. */
static int same_values(const float *a, const float *b, int64_t n, int exact) {
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) && isnan(b[i])) continue;
        if (exact ? memcmp(&a[i], &b[i], 4) != 0 : !(fabs((double)a[i] - b[i]) <= 1e-6 * fmax(1, fabs((double)b[i]))))
            return 0;
    }
    return 1;
}

static void huge_window_spans(void) {
    int computed = 0;
    const int64_t dilations[] = {INT64_C(0x6000000000000000), INT64_MAX / 2 + 7, INT64_MAX - 1, INT64_MAX};
    const int32_t layouts[] = {SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC};
    const int32_t pads[] = {SWIFTPOOL_AUTO_PAD_SAME_UPPER, SWIFTPOOL_AUTO_PAD_SAME_LOWER};
    enum { CAP = 256 };
    float in[CAP], out[CAP], want[CAP], grad[CAP], want_grad[CAP];
    int64_t idx[CAP], want_idx[CAP];
    for (int64_t i = 0; i < CAP; i++) in[i] = (float)((i * 37) % 11) - 5;
    for (int rank = 1; rank <= 2; rank++)
    for (int l = 0; l < 2; l++)
    for (int a = 0; a < 2; a++)
    for (int di = 0; di < 4; di++)
    for (int64_t stride = 1; stride <= 2; stride++)
    for (int64_t kernel = 2; kernel <= 3; kernel++) {
        const int64_t dil = dilations[di] / (kernel - 1);
        const int64_t size[2] = {5, 7}, k[2] = {kernel, 2};
        swiftpool_pool_desc d = desc(rank, 1, 3, size, k);
        d.dtype = SWIFTPOOL_DTYPE_FLOAT32;
        d.layout = layouts[l];
        d.auto_pad = pads[a];
        for (int i = 0; i < rank; i++) { d.stride[i] = stride; d.dilation[i] = i == rank - 1 ? dil : 1; }
        char what[160];
        snprintf(what, sizeof what, "rank %d layout %d auto_pad %d dilation %lld stride %lld kernel %lld", rank,
                 d.layout, d.auto_pad, (long long)dil, (long long)stride, (long long)kernel);
        ref_geom g;
        ref_verdict v = ref_validate(&d, REF_OP_MAX, &g);
        /* A status the model allows (OVERFLOW is optional where only an intermediate
         * of the padding rule passes int64); values are compared after OK only. */
        #define ALLOWED(verdict, rc) ((ref_acceptable(verdict) & REF_BIT(rc)) != 0)
        if (v.required) {
            int32_t rc = swiftpool_max_pool_forward(&d, in, CAP, out, CAP, idx, CAP);
            CHECK(rc != SWIFTPOOL_OK && ALLOWED(v, rc), "%s: max rc %d", what, rc);
            continue;
        }
        if (g.in_elems > CAP || g.out_elems > CAP) continue;
        /* Max with indices (and its backward from them). */
        int32_t rc = swiftpool_max_pool_forward(&d, in, g.in_elems, out, g.out_elems, idx, g.out_elems);
        CHECK(ALLOWED(v, rc), "%s: max rc %d", what, rc);
        computed += rc == SWIFTPOOL_OK;
        ref_max_pool(&g, in, want, want_idx);
        CHECK(rc || same_values(out, want, g.out_elems, 1), "%s: max values", what);
        CHECK(rc || memcmp(idx, want_idx, (size_t)g.out_elems * 8) == 0, "%s: max indices", what);
        if (rc == SWIFTPOOL_OK) {
            rc = swiftpool_max_pool_backward(&d, in, g.out_elems, idx, g.out_elems, grad, g.in_elems);
            CHECK(ALLOWED(v, rc), "%s: max backward rc %d", what, rc);
            ref_max_pool_backward(&g, in, idx, want_grad);
            CHECK(rc || same_values(grad, want_grad, g.in_elems, 1), "%s: max backward", what);
        }
        /* Average, with and without the padding in the divisor, and its backward. */
        for (int cip = 0; cip <= 1; cip++) {
            d.count_include_pad = cip;
            ref_geom ga;
            ref_verdict va = ref_validate(&d, REF_OP_AVG, &ga);
            rc = swiftpool_avg_pool_forward(&d, in, g.in_elems, out, g.out_elems);
            CHECK(ALLOWED(va, rc), "%s cip %d: avg rc %d", what, cip, rc);
            if (va.required) continue;
            ref_avg_pool(&ga, in, want);
            CHECK(rc || same_values(out, want, g.out_elems, 0), "%s cip %d: avg values", what, cip);
            rc = swiftpool_avg_pool_backward(&d, in, g.out_elems, grad, g.in_elems);
            CHECK(ALLOWED(va, rc), "%s cip %d: avg backward rc %d", what, cip, rc);
            ref_avg_pool_backward(&ga, in, want_grad);
            CHECK(rc || same_values(grad, want_grad, g.in_elems, 0), "%s cip %d: avg backward", what, cip);
        }
        d.count_include_pad = 0;
        /* ONNX LpPool (the only LP rule with dilation and auto_pad). */
        d.flags = SWIFTPOOL_FLAG_LP_ONNX;
        for (int p = 1; p <= 2; p++) {
            ref_geom gl;
            ref_verdict vl = ref_lp_validate(&d, p, &gl);
            rc = swiftpool_lp_pool_forward(&d, p, in, g.in_elems, out, g.out_elems);
            CHECK(ALLOWED(vl, rc), "%s: LP p=%d rc %d", what, p, rc);
            if (vl.required) continue;
            ref_lp_pool(&gl, p, in, want);
            CHECK(rc || same_values(out, want, g.out_elems, 0), "%s: LP p=%d values", what, p);
        }
        #undef ALLOWED
    }
    CHECK(computed >= 32, "huge window spans: only %d problems computed", computed);
}

int main(void) {
    huge_window_spans();
    overflow_products();
    index_math_past_2_31();
    memory_exhaustion();
    printf("test_limits: %d checks, %d failures, %d skipped\n", checks, failures, skipped);
    return failures ? 1 : 0;
}
