/*
 * _SwiftPoolCPU — internal helper of libswiftpool (not part of the public ABI):
 * CPU feature detection for the run-time kernel dispatch (Runtime/ISA.swift),
 * and a cache prefetch hint for the kernel drivers.
 * The names do not start with "swiftpool_", so the library's version script
 * keeps them local.
 */
#ifndef SWIFTPOOL_CPU_H
#define SWIFTPOOL_CPU_H

/* 1 when the CPU and the OS support AVX2 and FMA (the "avx2" kernel family), else 0. */
int spcpu_has_avx2_fma(void);

/* Hint that the cache line holding p will be read soon (no fault, any address). */
static inline void spcpu_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
