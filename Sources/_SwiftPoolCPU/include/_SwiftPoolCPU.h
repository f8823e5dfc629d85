/*
 * _SwiftPoolCPU — internal helper of libswiftpool (not part of the public ABI):
 * CPU feature detection for the run-time kernel dispatch (Runtime/ISA.swift),
 * a cache prefetch hint for the kernel drivers, stack scratch buffers
 * (SwiftPoolKernelABI/StackScratch.swift) and streaming (non-temporal) copies of
 * results built in scratch (Kernels/MaxPool.swift, Kernels/MaxPoolBackward.swift).
 * The names do not start with "swiftpool_", so the library's version script
 * keeps them local.
 */
#ifndef SWIFTPOOL_CPU_H
#define SWIFTPOOL_CPU_H

/* 1 when the CPU and the OS support the "avx2" kernel family (AVX2, FMA and the
 * other Haswell features it is compiled for: F16C, BMI1/2, LZCNT, MOVBE, POPCNT), else 0. */
int spcpu_has_avx2_fma(void);

/* How large max pooling results are written, decided once per process from the
 * CPU, or SWIFTPOOL_NONTEMPORAL=0/1/2 (see cpu.c for the measurements):
 *   0: ordinary stores, no non-temporal hints;
 *   1: computed into scratch and copied out with streaming stores, and rows read
 *      once prefetched with prefetchnta (spcpu_prefetch_once_enabled);
 *   2: streaming stores straight from the kernels' registers (no prefetchnta). */
int spcpu_nontemporal_hints(void);

/* Orders earlier streaming stores before later stores (sfence): kernels that
 * stream call it before they return (and before rewriting what they streamed). */
static inline void spcpu_store_fence(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_sfence();
#endif
}

/* Looks up the calling thread's stack bounds for spcpu_with_stack_buffer now
 * (pthread_getattr_np allocates): worker threads call it when they start, so no
 * call that happens to give a worker its first chunk allocates. */
void spcpu_prepare_thread(void);
extern int spcpu_prefetch_once_on;
static inline int spcpu_prefetch_once_enabled(void) { return spcpu_prefetch_once_on; }

/* Hints that the cache line holding p will be read soon (no fault, any address).
 * spcpu_prefetch: data read again soon (rows shared by overlapping windows).
 * spcpu_prefetch_once: data read once (streamed planes, rows no later window
 * shares): a non-temporal prefetch (prefetchnta), issued only where
 * spcpu_prefetch_once_enabled() (callers test it once per run of lines: a test per
 * line cost 25% on 2x2 stride 2 channels-last), which does not push data still
 * in use out of the outer caches; on this machine it made global average pooling
 * of 7x7 planes 25% faster and the 1D stride-2 max pool 5-7% faster, where
 * prefetcht0 did not, and slowed overlapping 3x3 windows by 6-12%. */
static inline void spcpu_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}
/* Into the outer caches (prefetcht2): far-ahead rows, without taking an L1
 * miss buffer for the whole trip from memory. */
static inline void spcpu_prefetch_far(const void *p) {
    __builtin_prefetch(p, 0, 1);
}
static inline void spcpu_prefetch_once(const void *p) {
    __builtin_prefetch(p, 0, 0);
}

/* A spin-wait hint (pause / yield): the worker pool's threads poll for the next
 * job a short while before sleeping on a condition variable. */
static inline void spcpu_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* p, hidden from the optimiser (an empty asm): no instruction. Loads of a vector
 * at p, p + 1 and p + 2 otherwise get "combined" by LLVM into one element load and
 * four shuffles rebuilding the first vector from the other two, which made 3x3
 * stride-1 rows slower than loading all three. */
static inline const void *spcpu_opaque(const void *p) {
    __asm__("" : "+r"(p));
    return p;
}

#if defined(__AVX__)
/* Only in code compiled for AVX (the avx2 kernel family builds with -mavx2). */
#include <immintrin.h>
typedef float spcpu_float8 __attribute__((ext_vector_type(8)));
typedef float spcpu_float4 __attribute__((ext_vector_type(4)));

/* Four 8-lane sums reduced to one lane each: lane k is
 * ((vk[0] + vk[1]) + (vk[2] + vk[3])) + ((vk[4] + vk[5]) + (vk[6] + vk[7])) in
 * float, three vhaddps and one add. LLVM does not form horizontal adds from
 * Swift's lane shuffles for Haswell targets; its own shuffle sequence made global
 * average pooling of 7x7 planes 20% slower. BinAverageWide.laneSums computes the
 * same lanes in Swift for the baseline family. */
static inline __attribute__((always_inline)) spcpu_float4 spcpu_lane_sums4(spcpu_float8 v0, spcpu_float8 v1,
                                                                           spcpu_float8 v2, spcpu_float8 v3) {
    __m256 s01 = _mm256_hadd_ps((__m256)v0, (__m256)v1), s23 = _mm256_hadd_ps((__m256)v2, (__m256)v3);
    __m256 s = _mm256_hadd_ps(s01, s23);
    return (spcpu_float4)_mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

/* Four pixels of eight channels-first planes (lane k from qk[0..3]) into four
 * tile slots of 8 floats at t (pixel j's planes at t + 8j): 128-bit loads paired
 * into 256-bit rows (planes k and k + 4), one in-lane 4x4 transpose, 256-bit
 * stores; 8 shuffles per 32 values where Swift's SIMD4 lane code became 16 to
 * 24 insertps/blend/unpck (BinAverage.copy: 60% of spatial pyramid max pooling
 * of 13x13 planes). Returns `unordered` with the lanes of any NaN among the
 * values set (all ones); unused results cost nothing once inlined. */
static inline __attribute__((always_inline)) spcpu_float8
spcpu_transpose_4x8(const float *q0, const float *q1, const float *q2, const float *q3, const float *q4,
                    const float *q5, const float *q6, const float *q7, float *t, spcpu_float8 unordered) {
    __m256 r0 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(q0)), _mm_loadu_ps(q4), 1);
    __m256 r1 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(q1)), _mm_loadu_ps(q5), 1);
    __m256 r2 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(q2)), _mm_loadu_ps(q6), 1);
    __m256 r3 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(q3)), _mm_loadu_ps(q7), 1);
    __m256 u = _mm256_or_ps(_mm256_cmp_ps(r0, r1, _CMP_UNORD_Q), _mm256_cmp_ps(r2, r3, _CMP_UNORD_Q));
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpacklo_ps(r2, r3);
    __m256 t2 = _mm256_unpackhi_ps(r0, r1), t3 = _mm256_unpackhi_ps(r2, r3);
    _mm256_storeu_ps(t, _mm256_shuffle_ps(t0, t1, 0x44));
    _mm256_storeu_ps(t + 8, _mm256_shuffle_ps(t0, t1, 0xEE));
    _mm256_storeu_ps(t + 16, _mm256_shuffle_ps(t2, t3, 0x44));
    _mm256_storeu_ps(t + 24, _mm256_shuffle_ps(t2, t3, 0xEE));
    return (spcpu_float8)_mm256_or_ps((__m256)unordered, u);
}

/* The inverse of spcpu_transpose_4x8: four tile slots of 8 floats at t (slot j:
 * lane k is plane k's value j) to four consecutive floats of each of eight
 * planes, o0..o7 (BinAverage.storePlanes). */
static inline __attribute__((always_inline)) void
spcpu_untranspose_4x8(const float *t, float *o0, float *o1, float *o2, float *o3, float *o4, float *o5,
                      float *o6, float *o7) {
    __m256 r0 = _mm256_loadu_ps(t), r1 = _mm256_loadu_ps(t + 8);
    __m256 r2 = _mm256_loadu_ps(t + 16), r3 = _mm256_loadu_ps(t + 24);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpacklo_ps(r2, r3);
    __m256 t2 = _mm256_unpackhi_ps(r0, r1), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 c0 = _mm256_shuffle_ps(t0, t1, 0x44), c1 = _mm256_shuffle_ps(t0, t1, 0xEE);
    __m256 c2 = _mm256_shuffle_ps(t2, t3, 0x44), c3 = _mm256_shuffle_ps(t2, t3, 0xEE);
    _mm_storeu_ps(o0, _mm256_castps256_ps128(c0));
    _mm_storeu_ps(o1, _mm256_castps256_ps128(c1));
    _mm_storeu_ps(o2, _mm256_castps256_ps128(c2));
    _mm_storeu_ps(o3, _mm256_castps256_ps128(c3));
    _mm_storeu_ps(o4, _mm256_extractf128_ps(c0, 1));
    _mm_storeu_ps(o5, _mm256_extractf128_ps(c1, 1));
    _mm_storeu_ps(o6, _mm256_extractf128_ps(c2, 1));
    _mm_storeu_ps(o7, _mm256_extractf128_ps(c3, 1));
}

/* s + row[2j] + row[2j+1] + row[2j+2] per lane j (added in that order), lanes in
 * the permuted order of VectorElement.loadEvenPermuted: three taps at stride 2
 * from two pairs of loads (row[0 ..< 17]). Swift's de-interleaving loads of
 * overlapping memory were rebuilt element by element by LLVM. */
static inline __attribute__((always_inline)) spcpu_float8 spcpu_add_taps3_stride2(spcpu_float8 s, const float *row) {
    __m256 a = _mm256_loadu_ps(row), b = _mm256_loadu_ps(row + 8);
    __m256 c = _mm256_loadu_ps(row + 1), d = _mm256_loadu_ps(row + 9);
    __m256 sum = _mm256_add_ps((__m256)s, _mm256_shuffle_ps(a, b, 0x88));
    sum = _mm256_add_ps(sum, _mm256_shuffle_ps(a, b, 0xdd));
    return (spcpu_float8)_mm256_add_ps(sum, _mm256_shuffle_ps(c, d, 0xdd));
}

/* The three taps of spcpu_add_taps3_stride2 on their own (even row[2j], odd
 * row[2j+1], and row[2j+2] as the odd lanes of row + 1), in the same lane order:
 * for rows whose taps several sums share. */
static inline __attribute__((always_inline)) spcpu_float8 spcpu_even_stride2(const float *row) {
    return (spcpu_float8)_mm256_shuffle_ps(_mm256_loadu_ps(row), _mm256_loadu_ps(row + 8), 0x88);
}
static inline __attribute__((always_inline)) spcpu_float8 spcpu_odd_stride2(const float *row) {
    return (spcpu_float8)_mm256_shuffle_ps(_mm256_loadu_ps(row), _mm256_loadu_ps(row + 8), 0xdd);
}

/* A streaming (non-temporal) store of v's 32 bytes at p, 32-byte aligned: the
 * line is written without first being read into the cache (no read for
 * ownership), and two of them fill a line. Fence with spcpu_store_fence. */
static inline __attribute__((always_inline)) void spcpu_stream_store8(void *p, spcpu_float8 v) {
    _mm256_stream_ps((float *)p, (__m256)v);
}

/* 1 when any lane of v has its sign bit set (an `unordered` mask above), else 0. */
static inline __attribute__((always_inline)) int spcpu_any_sign8(spcpu_float8 v) {
    return _mm256_movemask_ps((__m256)v) != 0;
}
#endif

/* Calls body(context, buffer) with `bytes` bytes of uninitialised scratch, 64-byte
 * aligned, in this function's stack frame (a variable-length array): no heap
 * allocation. Callers bound `bytes` (StackScratch.swift: 128 KiB). */
#include <stddef.h>
void spcpu_with_stack_buffer(size_t bytes, void *context, void (*body)(void *context, void *buffer));

/* A Swift closure's two words: its function and its context. */
typedef struct spcpu_closure_words {
    void *function;
    void *context;
} spcpu_closure_words;

/* Swift passes a closure argument as its two words, and calls a closure by passing
 * its context in the swiftself register. These let Swift hand a caller's
 * non-escaping closure to another frame or thread as plain data (no
 * withoutActuallyEscaping, whose escaping wrapper is a heap allocation per call):
 * spcpu_closure_words is declared in Swift (@_silgen_name) as taking the closure;
 * spcpu_call_* call one from its words. Used only while the closure's frame is live. */
#if defined(__clang__)
spcpu_closure_words spcpu_closure_words_of(void *function, void *context) __attribute__((swiftcall));
#endif
void spcpu_call_pointer_closure(spcpu_closure_words words, void *argument);
void spcpu_call_int_closure(spcpu_closure_words words, long argument);

/* Copies `bytes` bytes from src to dst with non-temporal stores where dst allows
 * (16-byte aligned parts), then sets src's bytes to 0. For a result built in a
 * cache-resident scratch and written to a tensor too large for the caches: the
 * stores skip the read-for-ownership of dst (a third of the memory traffic of a
 * max pooling backward), and src is left zeroed for the next plane. Ends with a
 * store fence. Plain memcpy + memset where there are no streaming stores. */
void spcpu_stream_out_and_zero(void *dst, void *src, size_t bytes);
/* As spcpu_stream_out_and_zero, leaving src as it is. */
void spcpu_stream_out(void *dst, const void *src, size_t bytes);

#endif
