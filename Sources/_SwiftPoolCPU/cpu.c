/* CPU feature detection: GCC/Clang's __builtin_cpu_supports reads CPUID once
 * (and checks that the OS saves YMM state via XGETBV), which is what the AVX2
 * kernels need. Other architectures have no AVX2 family. */
#define _GNU_SOURCE /* pthread_getattr_np */
#include "_SwiftPoolCPU.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

int spcpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    /* Every feature of the family's -target-cpu haswell that its code may use
     * (F16C for float16; BMI, LZCNT, MOVBE, POPCNT wherever LLVM picks them), not
     * only AVX2 and FMA: a VM can mask some of them. */
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi") &&
           __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("lzcnt") &&
           __builtin_cpu_supports("movbe") && __builtin_cpu_supports("popcnt");
#else
    return 0;
#endif
}

/* Non-temporal memory hints: streaming stores of forward max pooling results
 * (Kernels/MaxPool.swift) and prefetchnta of input rows read once
 * (spcpu_prefetch_once). Both pay where the memory system is the bottleneck and
 * hurt where it is not. Measured with swiftpool_bench, 1 thread:
 *   - on the AVX2-only AMD EPYC the kernels were first tuned on, streaming made
 *     8x64x112x112 k3 s2 p1 3.3 -> 3.1 ms and 32x256x1024 k3 s2 p1 5.9 -> 5.3 ms,
 *     and prefetchnta made global average pooling of 7x7 planes 25% faster and
 *     2x2 stride 2 over 128 channels (channels-last) reach 80% of copy bandwidth
 *     instead of 72%;
 *   - on an AMD EPYC of family 19h (AVX-512, about 3x the copy bandwidth),
 *     streaming made the same two problems slower (1.73-1.85 -> 2.05-2.77 ms,
 *     3.14-3.16 -> 4.28-4.29 ms; a full-line streaming copy of a 1D result built
 *     in L1 took 2.2 ms where ordinary stores took 1.5 ms), and without
 *     prefetchnta 8x128x112x112 k2 s2 channels-last went 4.04-4.15 -> 2.52-2.58 ms
 *     and 32x256x1024 k3 s2 p1 3.0-3.17 -> 2.71-2.77 ms.
 * So they are off on AMD family 19h and later and on elsewhere (mode 1). There,
 * streaming stores issued straight from the kernels' registers, aligned, two per
 * line (mode 2), were faster than ordinary ones where the copy through scratch was
 * slower: 32x256x1024 k3 s2 p1, 1 thread, 72-76% -> 80-90% of the copy bandwidth
 * (a plain C loop of the same kind: 1.31 ms with ordinary stores, 1.09 ms
 * streaming, 1.41-1.59 ms through an L1 buffer). SWIFTPOOL_NONTEMPORAL=0, 1 or 2
 * overrides. (Max pooling backward streams its grad_input everywhere: that was
 * faster on both machines.) */
int spcpu_prefetch_once_on = 1;

static int nontemporal_hints;
static pthread_once_t nontemporal_once = PTHREAD_ONCE_INIT;

static int cpu_prefers_nontemporal(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return 1;
    int amd = ebx == 0x68747541u && edx == 0x69746e65u && ecx == 0x444d4163u; /* "AuthenticAMD" */
    if (!amd || !__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 1;
    unsigned int family = (eax >> 8) & 0xf;
    if (family == 0xf) family += (eax >> 20) & 0xff;
    return family < 0x19;
#else
    return 1;
#endif
}

static void decide_nontemporal(void) {
    const char *env = getenv("SWIFTPOOL_NONTEMPORAL");
    if (env && strcmp(env, "0") == 0) nontemporal_hints = 0;
    else if (env && strcmp(env, "1") == 0) nontemporal_hints = 1;
    else if (env && strcmp(env, "2") == 0) nontemporal_hints = 2;
    else nontemporal_hints = cpu_prefers_nontemporal() ? 1 : 2;
    spcpu_prefetch_once_on = nontemporal_hints == 1;
}

int spcpu_nontemporal_hints(void) {
    pthread_once(&nontemporal_once, decide_nontemporal);
    return nontemporal_hints;
}

/* The lowest address of the calling thread's stack (0: unknown), looked up once per
 * thread: pthread_getattr_np reads /proc for the main thread. */
static __thread uintptr_t stack_low;
static __thread int stack_known;

static uintptr_t thread_stack_low(void) {
    if (!stack_known) {
        stack_known = 1;
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            void *addr;
            size_t size;
            if (pthread_attr_getstack(&attr, &addr, &size) == 0) stack_low = (uintptr_t)addr;
            pthread_attr_destroy(&attr);
        }
    }
    return stack_low;
}

void spcpu_prepare_thread(void) { (void)thread_stack_low(); }

/* Stack left below the buffer for everything the body calls. */
#define STACK_MARGIN (64 * 1024)

/* Scratch in this frame: a VLA (never of length 0), aligned by hand to 64 bytes,
 * when the thread's stack has room for it and STACK_MARGIN more; else (a host
 * thread with a small stack, or an unknown one) on the heap, so that a large
 * request cannot overflow a host's stack. A failed heap allocation aborts, as
 * Swift's own allocation failure traps (only reachable on such a thread). */
void spcpu_with_stack_buffer(size_t bytes, void *context, void (*body)(void *context, void *buffer)) {
    uintptr_t low = thread_stack_low();
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (low != 0 && here > low && here - low > bytes + 64 + STACK_MARGIN) {
        unsigned char raw[bytes + 64];
        void *aligned = (void *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
        body(context, aligned);
        return;
    }
    void *heap = NULL;
    if (posix_memalign(&heap, 64, bytes ? bytes : 1) != 0 || heap == NULL) abort();
    body(context, heap);
    free(heap);
}

/* ---- Swift closures as data (see the header) ---- */

spcpu_closure_words spcpu_closure_words_of(void *function, void *context) __attribute__((swiftcall)) {
    spcpu_closure_words words = {function, context};
    return words;
}

typedef void (*spcpu_pointer_closure)(void *argument, void *context __attribute__((swift_context)))
    __attribute__((swiftcall));
typedef void (*spcpu_int_closure)(long argument, void *context __attribute__((swift_context)))
    __attribute__((swiftcall));

void spcpu_call_pointer_closure(spcpu_closure_words words, void *argument) {
    ((spcpu_pointer_closure)words.function)(argument, words.context);
}

void spcpu_call_int_closure(spcpu_closure_words words, long argument) {
    ((spcpu_int_closure)words.function)(argument, words.context);
}

static inline void stream_out(void *dst, void *src, size_t bytes, int zero_src) {
    unsigned char *d = (unsigned char *)dst, *s = (unsigned char *)src;
#if defined(__SSE2__)
    size_t head = (size_t)(-(uintptr_t)d & 15);
    if (head > bytes) head = bytes;
    memcpy(d, s, head);
    size_t i = head;
    const __m128i zero = _mm_setzero_si128();
    for (; i + 64 <= bytes; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(s + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(s + i + 32));
        __m128i e = _mm_loadu_si128((const __m128i *)(s + i + 48));
        _mm_stream_si128((__m128i *)(d + i), a);
        _mm_stream_si128((__m128i *)(d + i + 16), b);
        _mm_stream_si128((__m128i *)(d + i + 32), c);
        _mm_stream_si128((__m128i *)(d + i + 48), e);
        if (zero_src) {
            _mm_storeu_si128((__m128i *)(s + i), zero);
            _mm_storeu_si128((__m128i *)(s + i + 16), zero);
            _mm_storeu_si128((__m128i *)(s + i + 32), zero);
            _mm_storeu_si128((__m128i *)(s + i + 48), zero);
        }
    }
    for (; i + 16 <= bytes; i += 16) {
        _mm_stream_si128((__m128i *)(d + i), _mm_loadu_si128((const __m128i *)(s + i)));
        if (zero_src) _mm_storeu_si128((__m128i *)(s + i), zero);
    }
    memcpy(d + i, s + i, bytes - i);
    _mm_sfence();
    if (zero_src) {
        memset(s, 0, head);
        memset(s + i, 0, bytes - i);
    }
#else
    memcpy(d, s, bytes);
    if (zero_src) memset(s, 0, bytes);
#endif
}

void spcpu_stream_out_and_zero(void *dst, void *src, size_t bytes) { stream_out(dst, src, bytes, 1); }

void spcpu_stream_out(void *dst, const void *src, size_t bytes) { stream_out(dst, (void *)src, bytes, 0); }
