// The AVX2/FMA kernel family: SwiftPoolMicro's kernels specialised here, in a
// module compiled with -target-cpu haswell (Package.swift). Nothing else lives in
// this module, so no code that needs AVX2 can run before ISA.swift has checked the
// CPU. Every specialisation carries the AVX2Family tag in its symbol name, so the
// linker cannot merge it with the baseline one (`make check-isa` verifies that
// this module defines no other shareable symbol). `@inline(never)` keeps callers,
// compiled for baseline x86-64, from pulling the table's code into their module.
import SwiftPoolMicro

public enum AVX2Family: KernelFamily {}

@inline(never)
public func avx2KernelTable() -> KernelTable { .instantiate(AVX2Family.self) }
