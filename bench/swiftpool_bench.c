/*
 * swiftpool_bench.c — timing loops for libswiftpool, in C so that no Python runs
 * in the timed path.
 *
 * Built twice by `make bench`:
 *   build/bench/libspbench.so   the timing functions below, called by bench/bench.py
 *                               (through ctypes, once per timed batch) so that our
 *                               library is timed interleaved with PyTorch and ONNX
 *                               Runtime in one process;
 *   build/bench/swiftpool_bench a stand-alone program (-DSPBENCH_MAIN) timing one
 *                               problem given on the command line, for profilers:
 *     swiftpool_bench max|avg nchw|nhwc N C D,H,W K S P [threads] [iters] [ceil] [cip] [f32|f16|u8|i8]
 *   e.g. swiftpool_bench max nchw 8 64 112,112 3,3 2,2 1,1 1 50
 *        swiftpool_bench max nchw 8 128 112,112 2,2 2,2 0,0 1 50 0 1 u8
 *
 * spb_time_adaptive, spb_time_spp and spb_time_max_backward do the same for adaptive
 * pooling, spatial pyramid pooling and max pooling backward.
 *
 * The copy floor: spb_time_copy reads the input once and writes the output once
 * (memset), the least memory traffic any pooling kernel needs, split over the
 * same number of threads.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#endif

#include "swiftpool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/*
 * Times `iters` back-to-back calls of max (op 0) or average (op 1) pooling from the
 * calling thread with `threads` threads (swiftpool_set_num_threads on this thread);
 * one untimed call first. *seconds_per_call gets the mean of the batch.
 * Returns the first non-OK status, else SWIFTPOOL_OK.
 */
int32_t spb_time_pool(const swiftpool_pool_desc *desc, int32_t op, const void *input, int64_t input_len,
                      void *output, int64_t output_len, int64_t *indices, int32_t threads, int64_t iters,
                      double *seconds_per_call) {
    int32_t status = swiftpool_set_num_threads(threads);
    if (status != SWIFTPOOL_OK) return status;
    int64_t indices_len = indices ? output_len : 0;
    double start = 0;
    for (int64_t i = -1; i < iters; i++) {
        if (i == 0) start = now_seconds();
        status = op == 0 ? swiftpool_max_pool_forward(desc, input, input_len, output, output_len, indices, indices_len)
                         : swiftpool_avg_pool_forward(desc, input, input_len, output, output_len);
        if (status != SWIFTPOOL_OK) return status;
    }
    *seconds_per_call = iters > 0 ? (now_seconds() - start) / (double)iters : 0;
    return SWIFTPOOL_OK;
}

/*
 * As spb_time_pool, for max pooling backward (swiftpool_max_pool_backward): desc
 * is the forward problem, grad_output and indices have its output's shape,
 * grad_input its input's.
 */
int32_t spb_time_max_backward(const swiftpool_pool_desc *desc, const void *grad_output, int64_t grad_output_len,
                              const int64_t *indices, int64_t indices_len, void *grad_input, int64_t grad_input_len,
                              int32_t threads, int64_t iters, double *seconds_per_call) {
    int32_t status = swiftpool_set_num_threads(threads);
    if (status != SWIFTPOOL_OK) return status;
    double start = 0;
    for (int64_t i = -1; i < iters; i++) {
        if (i == 0) start = now_seconds();
        status = swiftpool_max_pool_backward(desc, grad_output, grad_output_len, indices, indices_len, grad_input,
                                             grad_input_len);
        if (status != SWIFTPOOL_OK) return status;
    }
    *seconds_per_call = iters > 0 ? (now_seconds() - start) / (double)iters : 0;
    return SWIFTPOOL_OK;
}

/*
 * As spb_time_pool, for adaptive pooling: max (op 0, no indices when `indices` is
 * NULL) or average (op 1), output_size holding desc->spatial_rank sizes.
 */
int32_t spb_time_adaptive(const swiftpool_pool_desc *desc, int32_t op, const int64_t *output_size,
                          const void *input, int64_t input_len, void *output, int64_t output_len,
                          int64_t *indices, int32_t threads, int64_t iters, double *seconds_per_call) {
    int32_t status = swiftpool_set_num_threads(threads);
    if (status != SWIFTPOOL_OK) return status;
    int64_t indices_len = indices ? output_len : 0;
    double start = 0;
    for (int64_t i = -1; i < iters; i++) {
        if (i == 0) start = now_seconds();
        status = op == 0 ? swiftpool_adaptive_max_pool_forward(desc, output_size, input, input_len, output, output_len,
                                                                indices, indices_len)
                         : swiftpool_adaptive_avg_pool_forward(desc, output_size, input, input_len, output, output_len);
        if (status != SWIFTPOOL_OK) return status;
    }
    *seconds_per_call = iters > 0 ? (now_seconds() - start) / (double)iters : 0;
    return SWIFTPOOL_OK;
}

/*
 * As spb_time_pool, for spatial pyramid pooling (swiftpool_spatial_pyramid_pool_forward
 * with mode, bins and levels as given, no per-sample sizes).
 */
int32_t spb_time_spp(const swiftpool_pool_desc *desc, const int64_t *levels, int64_t num_levels, int32_t mode,
                     int32_t bins, const void *input, int64_t input_len, void *output, int64_t output_len,
                     int32_t threads, int64_t iters, double *seconds_per_call) {
    int32_t status = swiftpool_set_num_threads(threads);
    if (status != SWIFTPOOL_OK) return status;
    double start = 0;
    for (int64_t i = -1; i < iters; i++) {
        if (i == 0) start = now_seconds();
        status = swiftpool_spatial_pyramid_pool_forward(desc, levels, num_levels, mode, bins, NULL, 0, input,
                                                        input_len, output, output_len);
        if (status != SWIFTPOOL_OK) return status;
    }
    *seconds_per_call = iters > 0 ? (now_seconds() - start) / (double)iters : 0;
    return SWIFTPOOL_OK;
}

/* ---- copy floor ---------------------------------------------------------- */

typedef struct {
    const unsigned char *in;
    size_t in_bytes;
    unsigned char *out;
    size_t out_bytes;
    int64_t iters;
    uint64_t sink;
} copy_part;

/* Reads every input byte (an xor-reduction over 64-bit words the compiler
 * vectorises) and writes every output byte, `iters` times. */
static void *copy_run(void *arg) {
    copy_part *p = (copy_part *)arg;
    uint64_t acc = 0;
    for (int64_t it = 0; it < p->iters; it++) {
        const uint64_t *w = (const uint64_t *)(const void *)p->in;
        size_t words = p->in_bytes / 8;
        uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        size_t i = 0;
        for (; i + 4 <= words; i += 4) {
            a0 ^= w[i]; a1 ^= w[i + 1]; a2 ^= w[i + 2]; a3 ^= w[i + 3];
        }
        for (; i < words; i++) a0 ^= w[i];
        acc += a0 ^ a1 ^ a2 ^ a3;
        memset(p->out, (int)(acc & 1), p->out_bytes);
    }
    p->sink = acc;
    return NULL;
}

/*
 * Times reading `input_bytes` and writing `output_bytes`, `iters` times, split in
 * `threads` (1..64) contiguous parts each run by its own thread (the caller runs
 * part 0); *seconds_per_call gets total time / iters.
 */
int32_t spb_time_copy(const void *input, int64_t input_bytes, void *output, int64_t output_bytes, int32_t threads,
                      int64_t iters, double *seconds_per_call) {
    if (threads < 1 || threads > 64 || input_bytes < 0 || output_bytes < 0) return SWIFTPOOL_ERROR_INVALID_ARGUMENT;
    copy_part parts[64];
    pthread_t tids[64];
    size_t in_chunk = ((size_t)input_bytes / (size_t)threads + 63) & ~(size_t)63;
    size_t out_chunk = ((size_t)output_bytes / (size_t)threads + 63) & ~(size_t)63;
    for (int t = 0; t < threads; t++) {
        size_t in_lo = in_chunk * (size_t)t, out_lo = out_chunk * (size_t)t;
        if (in_lo > (size_t)input_bytes) in_lo = (size_t)input_bytes;
        if (out_lo > (size_t)output_bytes) out_lo = (size_t)output_bytes;
        size_t in_hi = in_lo + in_chunk, out_hi = out_lo + out_chunk;
        if (in_hi > (size_t)input_bytes || t == threads - 1) in_hi = (size_t)input_bytes;
        if (out_hi > (size_t)output_bytes || t == threads - 1) out_hi = (size_t)output_bytes;
        parts[t].in = (const unsigned char *)input + in_lo;
        parts[t].in_bytes = in_hi - in_lo;
        parts[t].out = (unsigned char *)output + out_lo;
        parts[t].out_bytes = out_hi - out_lo;
        parts[t].iters = iters;
    }
    copy_part warm = parts[0];
    warm.iters = 1;
    copy_run(&warm);
    double start = now_seconds();
    for (int t = 1; t < threads; t++) pthread_create(&tids[t], NULL, copy_run, &parts[t]);
    copy_run(&parts[0]);
    for (int t = 1; t < threads; t++) pthread_join(tids[t], NULL);
    *seconds_per_call = iters > 0 ? (now_seconds() - start) / (double)iters : 0;
    return SWIFTPOOL_OK;
}

#ifdef SPBENCH_MAIN
/* ---- stand-alone program -------------------------------------------------- */

static int parse_list(const char *text, int64_t *values, int max) {
    int n = 0;
    const char *p = text;
    while (*p && n < max) {
        char *end;
        values[n++] = strtoll(p, &end, 10);
        if (end == p) return -1;
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* Buffers as numpy allocates arrays (so that times match bench.py's): 64-byte
 * aligned, and from 4 MiB up advised to use transparent huge pages (numpy's
 * madvise(MADV_HUGEPAGE); without it, TLB misses slowed the copy floor here by
 * up to a third). */
static void *bench_alloc(size_t bytes) {
    size_t huge = (size_t)2 << 20;
    void *p = NULL;
    if (bytes >= ((size_t)4 << 20)) {
        bytes = (bytes + huge - 1) & ~(huge - 1);
        if (posix_memalign(&p, huge, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
        return p;
    }
    return posix_memalign(&p, 64, bytes) == 0 ? p : NULL;
}

int main(int argc, char **argv) {
    if (argc < 9) {
        fprintf(stderr,
                "usage: %s max|avg nchw|nhwc N C SIZES KERNEL STRIDE PADDING [threads] [iters] [ceil] [cip] [f32|f16|u8|i8]\n"
                "  SIZES etc. are comma lists of 1-3 entries, e.g. 112,112\n",
                argv[0]);
        return 2;
    }
    int op = strcmp(argv[1], "avg") == 0;
    int64_t sizes[3], kernel[3], stride[3], padding[3];
    int rank = parse_list(argv[5], sizes, 3);
    if (rank < 1 || parse_list(argv[6], kernel, 3) != rank || parse_list(argv[7], stride, 3) != rank ||
        parse_list(argv[8], padding, 3) != rank) {
        fprintf(stderr, "bad size lists\n");
        return 2;
    }
    int threads = argc > 9 ? atoi(argv[9]) : 1;
    int64_t iters = argc > 10 ? atoll(argv[10]) : 20;
    swiftpool_pool_desc d;
    swiftpool_pool_desc_init(&d, rank);
    d.layout = strcmp(argv[2], "nhwc") == 0 ? SWIFTPOOL_LAYOUT_NHWC : SWIFTPOOL_LAYOUT_NCHW;
    d.batch = atoll(argv[3]);
    d.channels = atoll(argv[4]);
    for (int i = 0; i < rank; i++) {
        d.input_size[i] = sizes[i];
        d.kernel_size[i] = kernel[i];
        d.stride[i] = stride[i];
        d.padding[i] = padding[i];
    }
    d.ceil_mode = argc > 11 ? atoi(argv[11]) : 0;
    d.count_include_pad = argc > 12 ? atoi(argv[12]) : 1;
    const char *dtype = argc > 13 ? argv[13] : "f32";
    size_t esize = 4;
    if (strcmp(dtype, "f16") == 0) {
        d.dtype = SWIFTPOOL_DTYPE_FLOAT16;
        esize = 2;
    } else if (strcmp(dtype, "u8") == 0 || strcmp(dtype, "i8") == 0) {
        d.dtype = dtype[0] == 'u' ? SWIFTPOOL_DTYPE_UINT8 : SWIFTPOOL_DTYPE_INT8;
        esize = 1;
    } else if (strcmp(dtype, "f32") != 0) {
        fprintf(stderr, "unknown dtype %s\n", dtype);
        return 2;
    }
    int64_t out_elems = 0;
    if (swiftpool_pool_output_shape(&d, NULL, &out_elems) != SWIFTPOOL_OK) {
        fprintf(stderr, "%s\n", swiftpool_last_error_message());
        return 1;
    }
    int64_t in_elems = d.batch * d.channels;
    for (int i = 0; i < rank; i++) in_elems *= sizes[i];
    /* SPB_OFFSET=k: input and output k bytes past a 64-byte boundary (NumPy's large
     * arrays start 16 bytes past one: their malloc header). */
    size_t offset = getenv("SPB_OFFSET") ? (size_t)atoi(getenv("SPB_OFFSET")) % 64 : 0;
    void *in_raw = bench_alloc((size_t)in_elems * esize + 64);
    void *out_raw = bench_alloc((size_t)(out_elems > 0 ? out_elems : 1) * esize + 64);
    if (in_raw == NULL || out_raw == NULL) return 1;
    unsigned char *in = (unsigned char *)in_raw + offset, *out = (unsigned char *)out_raw + offset;
    uint64_t s = 12345;
    for (int64_t i = 0; i < in_elems; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        if (esize == 4) {
            float f = (float)((s >> 40) & 0xFFFF) / 65536.0f - 0.5f;
            memcpy(in + 4 * i, &f, 4);
        } else if (esize == 2) {
            /* a finite float16: sign and mantissa random, exponent below 0x1F */
            uint16_t h = (uint16_t)(((s >> 40) & 0x83FF) | (((s >> 56) % 0x1F) << 10));
            memcpy(in + 2 * i, &h, 2);
        } else {
            in[i] = (unsigned char)(s >> 56);
        }
    }
    /* Best of 5 batches each: the least disturbed by other processes. */
    double t = 1e30, copy = 1e30;
    for (int batch = 0; batch < 5; batch++) {
        double tb = 0, cb = 0;
        int32_t rc = spb_time_pool(&d, op, in, in_elems, out, out_elems, NULL, threads, iters, &tb);
        if (rc != SWIFTPOOL_OK) {
            fprintf(stderr, "%s\n", swiftpool_last_error_message());
            return 1;
        }
        spb_time_copy(in, in_elems * (int64_t)esize, out, out_elems * (int64_t)esize, threads, iters, &cb);
        if (tb < t) t = tb;
        if (cb < copy) copy = cb;
    }
    printf("%s %s %s isa=%s threads=%d: %.3f us/call; copy floor %.3f us (%.0f%% of copy bandwidth; best of 5)\n", argv[1],
           argv[2], dtype, swiftpool_isa(), threads, t * 1e6, copy * 1e6, 100.0 * copy / t);
    free(in_raw);
    free(out_raw);
    return 0;
}
#endif
