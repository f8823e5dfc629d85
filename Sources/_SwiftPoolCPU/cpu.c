/* CPU feature detection: GCC/Clang's __builtin_cpu_supports reads CPUID once
 * (and checks that the OS saves YMM state via XGETBV), which is what the AVX2
 * kernels need. Other architectures have no AVX2 family. */
#include "_SwiftPoolCPU.h"

#include <stdint.h>

int spcpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* Scratch in this frame: a VLA (never of length 0), aligned by hand to 64 bytes. */
void spcpu_with_stack_buffer(size_t bytes, void *context, void (*body)(void *context, void *buffer)) {
    unsigned char raw[bytes + 64];
    void *aligned = (void *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
    body(context, aligned);
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
