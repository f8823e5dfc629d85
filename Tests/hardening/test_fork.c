/*
 * test_fork.c — use, fork(), use again in child and parent (what PyTorch's
 * DataLoader workers and multiprocessing's 'fork' start method do).
 *
 * The parent first uses every entry point (so any lazily created state — pthread
 * keys, thread-count defaults, worker threads of a parallel kernel — exists), with
 * a thread count > 1, then forks: (a) from a quiet process, (b) while 3 other
 * threads are inside library calls, (c) from a child again (nested). Each child
 * repeats the calls with several thread counts and must produce the parent's
 * results bit for bit and exit within a deadline (alarm: a hang is a failure);
 * the parent then uses the library again.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swiftpool.h"

#define N_IN (2 * 8 * 33 * 31)
#define N_OUT (2 * 8 * 17 * 16)

static float input[N_IN];

typedef struct {
    float max_out[N_OUT], avg_out[N_OUT], nhwc_out[N_OUT];
    int64_t idx[N_OUT];
} results;

static results baseline;

static int compute(results *r) {
    swiftpool_pool_desc d;
    if (swiftpool_pool_desc_init(&d, 2) != SWIFTPOOL_OK) return 0;
    d.batch = 2; d.channels = 8;
    d.input_size[0] = 33; d.input_size[1] = 31;
    d.kernel_size[0] = 3; d.kernel_size[1] = 3;
    d.stride[0] = 2; d.stride[1] = 2;
    d.padding[0] = 1; d.padding[1] = 1;
    int64_t n = 0;
    if (swiftpool_pool_output_shape(&d, NULL, &n) != SWIFTPOOL_OK || n != N_OUT) return 0;
    if (swiftpool_max_pool_forward(&d, input, N_IN, r->max_out, N_OUT, r->idx, N_OUT) != SWIFTPOOL_OK) return 0;
    if (swiftpool_avg_pool_forward(&d, input, N_IN, r->avg_out, N_OUT) != SWIFTPOOL_OK) return 0;
    d.layout = SWIFTPOOL_LAYOUT_NHWC;
    if (swiftpool_max_pool_forward(&d, input, N_IN, r->nhwc_out, N_OUT, NULL, 0) != SWIFTPOOL_OK) return 0;
    /* An error path too: the thread-local message must work in the child. */
    d.channels = -4;
    if (swiftpool_avg_pool_forward(&d, input, N_IN, r->avg_out, N_OUT) != SWIFTPOOL_ERROR_INVALID_ARGUMENT) return 0;
    if (!strstr(swiftpool_last_error_message(), "channels is -4")) return 0;
    return 1;
}

static int same_as_baseline(void) {
    static results r;
    for (int threads = 1; threads <= 4; threads++) {
        memset(&r, 0, sizeof r);
        if (swiftpool_set_num_threads(threads) != SWIFTPOOL_OK) return 0;
        if (!compute(&r)) return 0;
        if (memcmp(&r, &baseline, sizeof r) != 0) return 0;
    }
    return swiftpool_set_num_threads(0) == SWIFTPOOL_OK;
}

/* Forks a child that must repeat the results (and may fork a grandchild). */
static int fork_and_check(const char *what, int nested) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 0; }
    if (pid == 0) {
        alarm(30); /* a deadlock in the child ends in SIGALRM, reported below */
        int ok = same_as_baseline();
        if (ok && nested) ok = fork_and_check("grandchild", 0);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) { perror("waitpid"); return 0; }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "FAIL: %s child died of signal %d%s\n", what, WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (hang)" : "");
        return 0;
    }
    if (WEXITSTATUS(status) != 0) { fprintf(stderr, "FAIL: %s child results differ\n", what); return 0; }
    return 1;
}

static int stop_busy; /* __atomic builtins: no data race for TSan */

static void *busy(void *arg) {
    (void)arg;
    results *r = malloc(sizeof *r);
    if (!r) abort();
    swiftpool_set_num_threads(2);
    while (!__atomic_load_n(&stop_busy, __ATOMIC_RELAXED)) compute(r);
    free(r);
    return NULL;
}

int main(void) {
    for (int i = 0; i < N_IN; i++) input[i] = (float)((i * 7919) % 61) - 30.0f;
    swiftpool_set_num_threads(4);
    if (!compute(&baseline)) { fprintf(stderr, "FAIL: baseline: %s\n", swiftpool_last_error_message()); return 1; }
    swiftpool_set_num_threads(0);
    (void)swiftpool_isa();
    int ok = 1;

    ok &= fork_and_check("quiet-process", 1);
    ok &= same_as_baseline();

    /* Fork while other threads are inside library calls. */
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, busy, NULL);
    usleep(20000);
    for (int round = 0; round < 10; round++) ok &= fork_and_check("busy-process", round == 0);
    __atomic_store_n(&stop_busy, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    ok &= same_as_baseline();

    printf("test_fork: %s\n", ok ? "ok (children and parent agree, no hang)" : "FAILED");
    return ok ? 0 : 1;
}
