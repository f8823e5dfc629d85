/*
 * test_leaks.c — 10,000 rounds of every entry point, success and error paths,
 * plus short-lived threads (each gets a thread-local error buffer that its key
 * destructor must free). Meant to run under LeakSanitizer (ASan build, make
 * test-asan) and valgrind --leak-check=full (make test-valgrind); on its own it
 * checks that the resident set does not grow between round 1,000 and the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swiftpool.h"

#ifndef ROUNDS
#define ROUNDS 10000
#endif

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) { if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0; fclose(f); }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int round_of_calls(int i) {
    int bad = 0;
    swiftpool_pool_desc d;
    bad |= swiftpool_pool_desc_init(&d, 1 + i % 3) != SWIFTPOOL_OK;
    d.batch = 1 + i % 2;
    d.channels = 1 + i % 5;
    d.layout = i % 2 ? SWIFTPOOL_LAYOUT_NHWC : SWIFTPOOL_LAYOUT_NCHW;
    d.dtype = i % 3 ? SWIFTPOOL_DTYPE_FLOAT32 : SWIFTPOOL_DTYPE_FLOAT64;
    for (int a = 0; a < d.spatial_rank; a++) {
        d.input_size[a] = 3 + (i + a) % 5;
        d.kernel_size[a] = 2;
        d.padding[a] = i % 2;
    }
    int64_t sizes[3], n = 0;
    bad |= swiftpool_pool_output_shape(&d, sizes, &n) != SWIFTPOOL_OK;
    static double in[2 * 5 * 7 * 7 * 7], out[2 * 5 * 8 * 8 * 8];
    static int64_t idx[2 * 5 * 8 * 8 * 8];
    int64_t in_len = sizeof in / sizeof in[0], out_len = sizeof out / sizeof out[0];
    bad |= swiftpool_max_pool_forward(&d, in, in_len, out, out_len, i % 4 ? idx : NULL, i % 4 ? out_len : 0) != 0;
    bad |= swiftpool_avg_pool_forward(&d, in, in_len, out, out_len) != SWIFTPOOL_OK;
    /* Error paths build messages: each must be released or reused. */
    d.kernel_size[0] = 0;
    bad |= swiftpool_max_pool_forward(&d, in, in_len, out, out_len, NULL, 0) != SWIFTPOOL_ERROR_INVALID_ARGUMENT;
    bad |= swiftpool_last_error_message()[0] == '\0';
    d.kernel_size[0] = 2;
    bad |= swiftpool_avg_pool_forward(&d, in, 0, out, out_len) != SWIFTPOOL_ERROR_BUFFER_TOO_SMALL;
    bad |= swiftpool_pool_output_shape(NULL, sizes, &n) != SWIFTPOOL_ERROR_NULL_POINTER;
    d.flags = 0x80;
    bad |= swiftpool_pool_output_shape(&d, sizes, &n) != SWIFTPOOL_ERROR_UNSUPPORTED;
    bad |= swiftpool_pool_desc_init(&d, 9) != SWIFTPOOL_ERROR_UNSUPPORTED;
    bad |= swiftpool_set_num_threads(-1) != SWIFTPOOL_ERROR_INVALID_ARGUMENT;
    bad |= swiftpool_set_num_threads(1 + i % 4) != SWIFTPOOL_OK;
    bad |= swiftpool_get_num_threads() != 1 + i % 4;
    bad |= swiftpool_status_string(i % 120 - 10) == NULL;
    /* The other operators, success and failure, on a 2 x 3 x 6 x 6 float32 map. */
    static float x[2 * 3 * 6 * 6], y[2 * 3 * 6 * 6 * 4];
    static int64_t ix[2 * 3 * 6 * 6];
    swiftpool_pool_desc m;
    swiftpool_pool_desc_init(&m, 2);
    m.batch = 2; m.channels = 3; m.input_size[0] = m.input_size[1] = 6;
    m.layout = i % 2 ? SWIFTPOOL_LAYOUT_NHWC : SWIFTPOOL_LAYOUT_NCHW;
    int64_t os[2] = {2 + i % 3, 3}, levels[4] = {1, 1, 2, 2}, pooled[2] = {2, 2};
    float boxes[5] = {1, 0, 0, 4, 5};
    bad |= swiftpool_adaptive_max_pool_forward(&m, os, x, 216, y, 864, ix, 216) != SWIFTPOOL_OK;
    bad |= swiftpool_adaptive_avg_pool_forward(&m, os, x, 216, y, 864) != SWIFTPOOL_OK;
    bad |= swiftpool_spatial_pyramid_pool_forward(&m, levels, 2, 1 + i % 2, 1, NULL, 0, x, 216, y, 864) != SWIFTPOOL_OK;
    bad |= swiftpool_roi_max_pool_forward(&m, boxes, 1, 5, pooled, 1.0, x, 216, y, 864, ix, 216) != SWIFTPOOL_OK;
    bad |= swiftpool_fractional_max_pool_forward(&m, os, NULL, 0, (uint64_t)i, x, 216, y, 864, ix, 216) != SWIFTPOOL_OK;
    m.kernel_size[0] = m.kernel_size[1] = 2;
    m.stride[0] = m.stride[1] = 2;
    bad |= swiftpool_lp_pool_forward(&m, 2.0, x, 216, y, 864) != SWIFTPOOL_OK;
    for (int q = 0; q < 216; q++) ix[q] = (q * 5) % 144; /* 6x6 unpooled by 2x2 / 2 into 12x12 */
    bad |= swiftpool_max_unpool_forward(&m, NULL, x, 216, ix, 216, y, 864) != SWIFTPOOL_OK;
    int64_t len = 0;
    bad |= swiftpool_spatial_pyramid_pool_output_length(3, levels, 2, &len) != SWIFTPOOL_OK || len != 15;
    /* and their error paths */
    ix[0] = 1000;
    bad |= swiftpool_max_unpool_forward(&m, NULL, x, 216, ix, 216, y, 864) != SWIFTPOOL_ERROR_INVALID_ARGUMENT;
    bad |= swiftpool_lp_pool_forward(&m, 0.0, x, 216, y, 864) != SWIFTPOOL_ERROR_INVALID_ARGUMENT;
    boxes[0] = 7;
    bad |= swiftpool_roi_max_pool_forward(&m, boxes, 1, 5, pooled, 1.0, x, 216, y, 864, NULL, 0) !=
           SWIFTPOOL_ERROR_INVALID_ARGUMENT;
    levels[2] = 0;
    bad |= swiftpool_spatial_pyramid_pool_forward(&m, levels, 2, 1, 1, NULL, 0, x, 216, y, 864) !=
           SWIFTPOOL_ERROR_INVALID_ARGUMENT;
    os[0] = 9;
    bad |= swiftpool_fractional_max_pool_forward(&m, os, NULL, 0, 1, x, 216, y, 864, NULL, 0) == SWIFTPOOL_OK;
    bad |= swiftpool_version_number() == 0 || swiftpool_version_string() == NULL || swiftpool_isa() == NULL;
    return bad;
}

static void *thread_round(void *arg) {
    *(int *)arg = round_of_calls(*(int *)arg);
    return NULL;
}

int main(void) {
    int bad = 0;
    long rss_start = 0;
    for (int i = 0; i < ROUNDS; i++) {
        if (i == ROUNDS / 10) rss_start = rss_kib();
        if (i % 100 == 0) {
            pthread_t t;
            int arg = i;
            pthread_create(&t, NULL, thread_round, &arg);
            pthread_join(t, NULL);
            bad |= arg;
        } else {
            bad |= round_of_calls(i);
        }
    }
    swiftpool_set_num_threads(0);
    long growth = rss_kib() - rss_start;
    printf("test_leaks: %d rounds (%d calls), %d threads, RSS growth after round %d: %ld KiB%s\n", ROUNDS,
           ROUNDS * 28, ROUNDS / 100, ROUNDS / 10, growth, bad ? " -- WRONG RESULTS" : "");
    /* Tools (LSan, valgrind) judge leaks precisely and hold freed memory in
     * quarantine, so they set SWIFTPOOL_TEST_LEAK_TOOL; alone, a steady RSS is the check. */
    int rss_check = getenv("SWIFTPOOL_TEST_LEAK_TOOL") == NULL;
    return bad || (rss_check && growth > 1024) ? 1 : 0;
}
