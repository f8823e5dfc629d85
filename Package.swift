// swift-tools-version:6.1
// libswiftpool: pooling layers in Swift, shipped as a plain C library (libswiftpool.so).
import PackageDescription

// MARK: - Compile-time switches
// Kernels are validated before they run, so the release build drops Swift's
// overflow/bounds traps there (-Ounchecked): a trap inside a C library would kill
// the host process. Debug builds (swift test) keep every check.
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]

// The kernel families are optimised in debug builds too (overflow checks kept), so
// `swift test` exercises the same vector code the release library ships, fast.
let kernelFamilySettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

// The AVX2/FMA family: the same kernel sources compiled for Haswell-class CPUs.
// Selected at run time only when the CPU has AVX2 and FMA (Runtime/ISA.swift).
// SWIFTPOOL_AVX2 marks code only this family may contain (F16C conversions).
let avx2Settings: [SwiftSetting] = kernelFamilySettings + [
    .unsafeFlags(["-target-cpu", "haswell", "-Xcc", "-mavx2", "-Xcc", "-mfma"]),
    .define("SWIFTPOOL_AVX2"),
]

// The shared library exports only swiftpool_* (see Sources/SwiftPool/CABI/exports.map)
// and carries the SONAME libswiftpool.so.0.
let libraryLinkerSettings: [LinkerSetting] = [
    .unsafeFlags([
        "-Xlinker", "--version-script=Sources/SwiftPool/CABI/exports.map",
        "-Xlinker", "-soname=libswiftpool.so.0",
    ]),
]

let package = Package(
    name: "swiftpool",
    products: [
        .library(name: "swiftpool", type: .dynamic, targets: ["SwiftPool"]),
    ],
    targets: [
        // MARK: - The C ABI: include/swiftpool.h, imported by Swift (one definition of every type).
        .target(name: "CSwiftPool", path: "include", publicHeadersPath: "."),

        // MARK: - Kernel families. SwiftPoolKernels holds the kernel sources (pointers,
        // counts and strides only; no Geometry types), compiled for baseline x86-64;
        // SwiftPoolKernelsAVX2 holds symbolic links to the same files, compiled for
        // Haswell. Separate modules give every specialisation a module-qualified
        // symbol, so the linker cannot merge one family's code into the other's.
        .target(name: "SwiftPoolKernelABI", dependencies: ["_SwiftPoolCPU"], path: "Sources/SwiftPoolKernelABI",
                swiftSettings: kernelSettings),
        .target(name: "SwiftPoolKernels", dependencies: ["SwiftPoolKernelABI", "_SwiftPoolCPU"],
                path: "Sources/SwiftPoolKernels", swiftSettings: kernelFamilySettings),
        .target(name: "SwiftPoolKernelsAVX2", dependencies: ["SwiftPoolKernelABI", "_SwiftPoolCPU"],
                path: "Sources/SwiftPoolKernelsAVX2", swiftSettings: avx2Settings),
        // CPU feature detection (__builtin_cpu_supports), a prefetch hint, stack
        // scratch buffers and streaming copies, in C; internal, not exported.
        .target(name: "_SwiftPoolCPU", path: "Sources/_SwiftPoolCPU"),

        // MARK: - Core: Geometry (validation, shapes) -> Reference -> Kernels -> CABI.
        .target(
            name: "SwiftPool",
            dependencies: ["CSwiftPool", "SwiftPoolKernelABI", "SwiftPoolKernels", "SwiftPoolKernelsAVX2",
                           "_SwiftPoolCPU"],
            path: "Sources/SwiftPool",
            exclude: ["CABI/exports.map"],
            swiftSettings: kernelSettings,
            linkerSettings: libraryLinkerSettings
        ),

        // MARK: - Tests
        .testTarget(name: "SwiftPoolTests", dependencies: ["SwiftPool", "CSwiftPool"]),
    ]
)
