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

        // MARK: - Core: Geometry (validation, shapes) -> Reference -> Kernels -> CABI.
        .target(
            name: "SwiftPool",
            dependencies: ["CSwiftPool"],
            path: "Sources/SwiftPool",
            exclude: ["CABI/exports.map"],
            swiftSettings: kernelSettings,
            linkerSettings: libraryLinkerSettings
        ),

        // MARK: - Tests
        .testTarget(name: "SwiftPoolTests", dependencies: ["SwiftPool", "CSwiftPool"]),
    ]
)
