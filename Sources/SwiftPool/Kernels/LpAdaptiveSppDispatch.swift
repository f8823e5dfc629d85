// Kernel choice for LP, adaptive and spatial pyramid pooling: element type first,
// then layout and rule. Raw pointers become typed here. Integer dtypes reach only
// the max-type kernels (validation rejects them for averaging); a dtype without a
// kernel is reported as INTERNAL rather than trapping.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSwiftPool

enum LpAdaptiveSppDispatch {
    private static func noKernel(_ dtype: swiftpool_dtype, _ what: String) -> PoolError {
        PoolError(status: SWIFTPOOL_ERROR_INTERNAL, message: "\(what): dtype \(dtype.rawValue) passed validation but has no kernel")
    }

    // MARK: LP pooling

    static func lpPool(_ g: LpPoolGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer) throws(PoolError) {
        switch g.pool.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: lpPool(g, input, output, as: Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: lpPool(g, input, output, as: Double.self)
        case SWIFTPOOL_DTYPE_FLOAT16: lpPool(g, input, output, as: Float16.self)
        case SWIFTPOOL_DTYPE_BFLOAT16: lpPool(g, input, output, as: BFloat16.self)
        default: throw noKernel(g.pool.dtype, PoolOperator.lp.rawValue)
        }
    }

    private static func lpPool<T: PoolElement>(_ g: LpPoolGeometry, _ input: UnsafeRawPointer,
                                               _ output: UnsafeMutableRawPointer, as: T.Type) {
        let src = input.assumingMemoryBound(to: T.self), dst = output.assumingMemoryBound(to: T.self)
        let p = g.normType
        // Small integer norms: multiplications instead of pow (10x faster, as accurate).
        let smallInteger = (3...16).contains(p) && p.rounded() == p
        switch g.kind {
        case .torchSum where p == 1: lpPool(g, TorchL1(), src, dst)
        case .torchSum where p == 2: lpPool(g, TorchL2(), src, dst)
        case .torchSum where smallInteger: lpPool(g, TorchIntLp(n: Int(p)), src, dst)
        case .torchSum: lpPool(g, TorchLp(p: p), src, dst)
        case .torchMaxAbs: lpPool(g, TorchMaxAbs(), src, dst)
        case .torchMinAbs: lpPool(g, TorchMinAbs(), src, dst)
        case .onnxSum where p == 1: lpPool(g, OnnxL1(), src, dst)
        case .onnxSum where p == 2: lpPool(g, OnnxL2(), src, dst)
        case .onnxSum where smallInteger: lpPool(g, OnnxIntLp(n: Int(p)), src, dst)
        case .onnxSum: lpPool(g, OnnxLp(p: p), src, dst)
        }
    }

    private static func lpPool<T: PoolElement, R: LpReduction>(_ g: LpPoolGeometry, _ r: R, _ src: UnsafePointer<T>,
                                                               _ dst: UnsafeMutablePointer<T>) {
        // With one channel both layouts are the same memory order: take the plane loops.
        if g.pool.layout == SWIFTPOOL_LAYOUT_NHWC && g.pool.channels > 1 {
            LpPoolKernel.channelsLast(g, r, src, dst)
        } else {
            LpPoolKernel.channelsFirst(g, r, src, dst)
        }
    }

    // MARK: Adaptive pooling

    static func adaptiveMax(_ g: AdaptiveGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer,
                            indices: UnsafeMutablePointer<Int64>?) throws(PoolError) {
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: adaptiveMax(g, input, output, indices, as: Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: adaptiveMax(g, input, output, indices, as: Double.self)
        case SWIFTPOOL_DTYPE_FLOAT16: adaptiveMax(g, input, output, indices, as: Float16.self)
        case SWIFTPOOL_DTYPE_BFLOAT16: adaptiveMax(g, input, output, indices, as: BFloat16.self)
        case SWIFTPOOL_DTYPE_UINT8: adaptiveMax(g, input, output, indices, as: UInt8.self)
        case SWIFTPOOL_DTYPE_INT8: adaptiveMax(g, input, output, indices, as: Int8.self)
        default: throw noKernel(g.dtype, AdaptiveOperator.max.rawValue)
        }
    }

    private static func adaptiveMax<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafeRawPointer,
                                                    _ output: UnsafeMutableRawPointer,
                                                    _ indices: UnsafeMutablePointer<Int64>?, as: T.Type) {
        let src = input.assumingMemoryBound(to: T.self), dst = output.assumingMemoryBound(to: T.self)
        switch (g.layout == SWIFTPOOL_LAYOUT_NHWC && g.channels > 1, g.nanIgnore) {
        case (true, false): AdaptiveMaxKernel.channelsLast(g, rule: PropagateNaN.self, src, dst, indices)
        case (true, true): AdaptiveMaxKernel.channelsLast(g, rule: IgnoreNaN.self, src, dst, indices)
        case (false, false): AdaptiveMaxKernel.channelsFirst(g, rule: PropagateNaN.self, src, dst, indices)
        case (false, true): AdaptiveMaxKernel.channelsFirst(g, rule: IgnoreNaN.self, src, dst, indices)
        }
    }

    static func adaptiveAvg(_ g: AdaptiveGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer) throws(PoolError) {
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: adaptiveAvg(g, input, output, as: Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: adaptiveAvg(g, input, output, as: Double.self)
        case SWIFTPOOL_DTYPE_FLOAT16: adaptiveAvg(g, input, output, as: Float16.self)
        case SWIFTPOOL_DTYPE_BFLOAT16: adaptiveAvg(g, input, output, as: BFloat16.self)
        default: throw noKernel(g.dtype, AdaptiveOperator.average.rawValue)
        }
    }

    private static func adaptiveAvg<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafeRawPointer,
                                                    _ output: UnsafeMutableRawPointer, as: T.Type) {
        let src = input.assumingMemoryBound(to: T.self), dst = output.assumingMemoryBound(to: T.self)
        AdaptiveAvgKernel.run(g, src, dst, threads: ThreadSettings.current)
    }

    // MARK: Spatial pyramid pooling

    /// Runs the kernel over the sample(s), threads as swiftpool_set_num_threads says;
    /// OUT_OF_MEMORY (nothing written) when a large scratch block cannot be allocated.
    static func pyramid(_ g: PyramidGeometry, input: UnsafeRawPointer,
                        output: UnsafeMutableRawPointer) throws(PoolError) {
        guard g.batch > 0 else { return }   // nothing to do, and no scratch to size
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: try pyramid(g, input, output, as: Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: try pyramid(g, input, output, as: Double.self)
        case SWIFTPOOL_DTYPE_FLOAT16: try pyramid(g, input, output, as: Float16.self)
        case SWIFTPOOL_DTYPE_BFLOAT16: try pyramid(g, input, output, as: BFloat16.self)
        case SWIFTPOOL_DTYPE_UINT8 where g.mode == .max: try pyramid(g, input, output, as: UInt8.self)
        case SWIFTPOOL_DTYPE_INT8 where g.mode == .max: try pyramid(g, input, output, as: Int8.self)
        default: throw noKernel(g.dtype, PyramidGeometry.name)
        }
    }

    private static func pyramid<T: PoolElement>(_ g: PyramidGeometry, _ input: UnsafeRawPointer,
                                                _ output: UnsafeMutableRawPointer, as: T.Type) throws(PoolError) {
        switch (g.mode, g.nanIgnore) {
        case (.max, false): try pyramid(g, input, output, PyramidMax<T, PropagateNaN>.self)
        case (.max, true): try pyramid(g, input, output, PyramidMax<T, IgnoreNaN>.self)
        case (.average, _): try pyramid(g, input, output, PyramidAvg<T>.self)
        }
    }

    private static func pyramid<Red: PyramidReducer>(_ g: PyramidGeometry, _ input: UnsafeRawPointer,
                                                     _ output: UnsafeMutableRawPointer, _ reducer: Red.Type) throws(PoolError) {
        // Scratch (a few bins' worth per channel tile) lives on each worker's stack
        // when small; a large one (many channels) is allocated here, checked, before
        // any output is written: a failed allocation is an error, never a trap.
        let src = input.assumingMemoryBound(to: Red.Element.self), dst = output.assumingMemoryBound(to: Red.Element.self)
        guard let bytes = PyramidPoolKernel.scratchBytes(g, reducer) else {
            throw PoolError(status: SWIFTPOOL_ERROR_OUT_OF_MEMORY,
                            message: "\(PyramidGeometry.name): scratch space size overflows")
        }
        if bytes <= PyramidPoolKernel.stackScratchLimit {
            PyramidPoolKernel.run(g, reducer, src, dst, threads: ThreadSettings.current)
            return
        }
        guard let raw = malloc(bytes) else {
            throw PoolError(status: SWIFTPOOL_ERROR_OUT_OF_MEMORY,
                            message: "\(PyramidGeometry.name): could not allocate \(bytes) bytes of scratch space")
        }
        defer { free(raw) }
        PyramidPoolKernel.run(g, reducer, src, dst, threads: ThreadSettings.current, heapScratch: raw)
    }
}
