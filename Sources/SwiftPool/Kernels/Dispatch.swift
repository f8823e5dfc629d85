// Picks the kernels for a validated problem: the process's ISA family (chosen once,
// Runtime/ISA.swift), then element type, then layout and NaN rule in the drivers.
// Raw pointers become typed here and nowhere else. The thread count is the calling
// thread's setting (swiftpool_set_num_threads).
import CSwiftPool

enum PoolDispatch {
    static func maxPool(_ g: PoolGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer,
                        indices: UnsafeMutablePointer<Int64>?) {
        let threads = ThreadSettings.current
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32:
            MaxPoolKernel.run(g, ISA.kernels.float, input.assumingMemoryBound(to: Float.self),
                              output.assumingMemoryBound(to: Float.self), indices, threads: threads)
        case SWIFTPOOL_DTYPE_FLOAT64:
            MaxPoolKernel.run(g, ISA.kernels.double, input.assumingMemoryBound(to: Double.self),
                              output.assumingMemoryBound(to: Double.self), indices, threads: threads)
        default: preconditionFailure("dtype passed validation but has no kernel")
        }
        if let indices { IndexLayout.apply(g, indices) }
    }

    static func avgPool(_ g: PoolGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer) {
        let threads = ThreadSettings.current
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32:
            AvgPoolKernel.run(g, ISA.kernels.float, input.assumingMemoryBound(to: Float.self),
                              output.assumingMemoryBound(to: Float.self), threads: threads)
        case SWIFTPOOL_DTYPE_FLOAT64:
            AvgPoolKernel.run(g, ISA.kernels.double, input.assumingMemoryBound(to: Double.self),
                              output.assumingMemoryBound(to: Double.self), threads: threads)
        default: preconditionFailure("dtype passed validation but has no kernel")
        }
    }
}
