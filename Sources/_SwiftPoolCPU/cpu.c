/* CPU feature detection: GCC/Clang's __builtin_cpu_supports reads CPUID once
 * (and checks that the OS saves YMM state via XGETBV), which is what the AVX2
 * kernels need. Other architectures have no AVX2 family. */
#include "_SwiftPoolCPU.h"

int spcpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}
