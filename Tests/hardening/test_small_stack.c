/*
 * Calls from a host thread with a small stack (64 KiB): the library keeps call
 * scratch (up to 128 KiB) on the calling thread's stack only when the stack has
 * room for it (_SwiftPoolCPU: spcpu_with_stack_buffer), else on the heap, so that
 * no request can overflow a host's stack. Each result must equal, bit for bit,
 * the same call made on the main thread. (A smoke test: these two calls also
 * passed on 32 KiB threads without the room check, their scratch being small.)
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "swiftpool.h"

enum { C = 64, H = 112, W = 112, N = C * H * W };
static float input[N], expected[2][N], got[2][N];
static int status[2][2];

static void calls(float out[2][N], int rc[2]) {
    swiftpool_pool_desc d;
    swiftpool_pool_desc_init(&d, 2);
    d.batch = 1; d.channels = C; d.input_size[0] = H; d.input_size[1] = W;
    d.kernel_size[0] = d.kernel_size[1] = 3; d.stride[0] = d.stride[1] = 1;
    d.padding[0] = d.padding[1] = 1;
    rc[0] = swiftpool_avg_pool_forward(&d, input, N, out[0], N);  /* 3x3 average rows */
    d.stride[0] = d.stride[1] = 2;
    rc[1] = swiftpool_max_pool_forward(&d, input, N, out[1], N, NULL, 0);  /* separable max: 16 KiB scratch */
}

static void *thread_main(void *arg) {
    (void)arg;
    calls(got, status[1]);
    return NULL;
}

int main(void) {
    for (long i = 0; i < N; i++) input[i] = (float)((i * 7919) % 1000) / 7.0f;
    calls(expected, status[0]);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_t thread;
    if (pthread_create(&thread, &attr, thread_main, NULL) != 0) {
        printf("test_small_stack: cannot start a 64 KiB thread\n");
        return 1;
    }
    pthread_join(thread, NULL);
    int failures = 0;
    for (int k = 0; k < 2; k++) {
        if (status[0][k] != SWIFTPOOL_OK || status[1][k] != SWIFTPOOL_OK) failures++;
        if (memcmp(expected[k], got[k], sizeof got[k]) != 0) failures++;
    }
    printf("test_small_stack: 2 calls on a 64 KiB thread, %d failures\n", failures);
    return failures ? 1 : 0;
}
