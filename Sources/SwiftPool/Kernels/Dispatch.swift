// Picks the kernels for a validated problem: the element type, then the process's
// ISA family (chosen once, Runtime/ISA.swift) for float32/float64 and for max
// pooling of float16/uint8/int8, or the portable kernels (PortableKernels.swift)
// for the rest; layout and NaN rule are
// chosen in the drivers. Raw pointers become typed here and nowhere else. The
// thread count is the calling thread's setting (swiftpool_set_num_threads).
import CSwiftPool
import SwiftPoolKernelABI

enum PoolDispatch {
    /// `streamedMinimum`: output bytes from which MaxPoolKernel streams its output
    /// through scratch (nil: its per-layout defaults; tests lower it);
    /// `farPrefetchMinimum`: input bytes from which it sets RunShape.farPrefetch, and
    /// `streamStoresMinimum`: output bytes from which it sets RunShape.streamStores
    /// (nil: their defaults; tests lower them).
    static func maxPool(_ g: PoolGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer,
                        indices: UnsafeMutablePointer<Int64>?, streamedMinimum: Int? = nil,
                        farPrefetchMinimum: Int? = nil, streamStoresMinimum: Int? = nil) {
        let threads = ThreadSettings.current
        func run<T: PoolElement>(_ kernels: ElementKernels<T>) {
            MaxPoolKernel.run(g, kernels, input.assumingMemoryBound(to: T.self), output.assumingMemoryBound(to: T.self),
                              indices, threads: threads, streamedMinimum: streamedMinimum,
                              farPrefetchMinimum: farPrefetchMinimum, streamStoresMinimum: streamStoresMinimum)
        }
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: run(ISA.kernels.float)
        case SWIFTPOOL_DTYPE_FLOAT64: run(ISA.kernels.double)
        case SWIFTPOOL_DTYPE_FLOAT16: run(PortableKernels.float16Vector)
        case SWIFTPOOL_DTYPE_BFLOAT16: run(PortableKernels.bfloat16)
        case SWIFTPOOL_DTYPE_UINT8: run(PortableKernels.uint8Vector)
        case SWIFTPOOL_DTYPE_INT8: run(PortableKernels.int8Vector)
        default: preconditionFailure("dtype passed validation but has no kernel")
        }
        if let indices { IndexLayout.apply(g, indices) }
    }

    static func avgPool(_ g: PoolGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer) {
        let threads = ThreadSettings.current
        func run<T: PoolElement>(_ kernels: ElementKernels<T>) {
            AvgPoolKernel.run(g, kernels, input.assumingMemoryBound(to: T.self), output.assumingMemoryBound(to: T.self),
                              threads: threads)
        }
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: run(ISA.kernels.float)
        case SWIFTPOOL_DTYPE_FLOAT64: run(ISA.kernels.double)
        case SWIFTPOOL_DTYPE_FLOAT16: run(PortableKernels.float16)
        case SWIFTPOOL_DTYPE_BFLOAT16: run(PortableKernels.bfloat16)
        default: preconditionFailure("dtype passed validation but has no kernel")
        }
    }
}
