// Kernel choice for LP, adaptive and spatial pyramid pooling: element type first,
// then layout and rule. Raw pointers become typed here.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSwiftPool

enum LpAdaptiveSppDispatch {
    // MARK: LP pooling

    static func lpPool(_ g: LpPoolGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer) {
        switch g.pool.dtype {
        case SWIFTPOOL_DTYPE_FLOAT64: lpPool(g, input, output, as: Double.self)
        default: lpPool(g, input, output, as: Float.self)   // validated: FLOAT32
        }
    }

    private static func lpPool<T: PoolElement>(_ g: LpPoolGeometry, _ input: UnsafeRawPointer,
                                               _ output: UnsafeMutableRawPointer, as: T.Type) {
        let src = input.assumingMemoryBound(to: T.self), dst = output.assumingMemoryBound(to: T.self)
        let p = g.normType
        switch g.kind {
        case .torchSum where p == 1: lpPool(g, TorchL1(), src, dst)
        case .torchSum where p == 2: lpPool(g, TorchL2(), src, dst)
        case .torchSum: lpPool(g, TorchLp(p: p), src, dst)
        case .torchMaxAbs: lpPool(g, TorchMaxAbs(), src, dst)
        case .torchMinAbs: lpPool(g, TorchMinAbs(), src, dst)
        case .onnxSum where p == 1: lpPool(g, OnnxL1(), src, dst)
        case .onnxSum where p == 2: lpPool(g, OnnxL2(), src, dst)
        case .onnxSum: lpPool(g, OnnxLp(p: p), src, dst)
        }
    }

    private static func lpPool<T: PoolElement, R: LpReduction>(_ g: LpPoolGeometry, _ r: R, _ src: UnsafePointer<T>,
                                                               _ dst: UnsafeMutablePointer<T>) {
        if g.pool.layout == SWIFTPOOL_LAYOUT_NHWC {
            LpPoolKernel.channelsLast(g, r, src, dst)
        } else {
            LpPoolKernel.channelsFirst(g, r, src, dst)
        }
    }

    // MARK: Adaptive pooling

    static func adaptiveMax(_ g: AdaptiveGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer,
                            indices: UnsafeMutablePointer<Int64>?) {
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT64: adaptiveMax(g, input, output, indices, as: Double.self)
        default: adaptiveMax(g, input, output, indices, as: Float.self)
        }
    }

    private static func adaptiveMax<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafeRawPointer,
                                                    _ output: UnsafeMutableRawPointer,
                                                    _ indices: UnsafeMutablePointer<Int64>?, as: T.Type) {
        let src = input.assumingMemoryBound(to: T.self), dst = output.assumingMemoryBound(to: T.self)
        switch (g.layout == SWIFTPOOL_LAYOUT_NHWC, g.nanIgnore) {
        case (true, false): AdaptiveMaxKernel.channelsLast(g, rule: PropagateNaN.self, src, dst, indices)
        case (true, true): AdaptiveMaxKernel.channelsLast(g, rule: IgnoreNaN.self, src, dst, indices)
        case (false, false): AdaptiveMaxKernel.channelsFirst(g, rule: PropagateNaN.self, src, dst, indices)
        case (false, true): AdaptiveMaxKernel.channelsFirst(g, rule: IgnoreNaN.self, src, dst, indices)
        }
    }

    static func adaptiveAvg(_ g: AdaptiveGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer) {
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT64: adaptiveAvg(g, input, output, as: Double.self)
        default: adaptiveAvg(g, input, output, as: Float.self)
        }
    }

    private static func adaptiveAvg<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafeRawPointer,
                                                    _ output: UnsafeMutableRawPointer, as: T.Type) {
        let src = input.assumingMemoryBound(to: T.self), dst = output.assumingMemoryBound(to: T.self)
        if g.layout == SWIFTPOOL_LAYOUT_NHWC {
            AdaptiveAvgKernel.channelsLast(g, src, dst)
        } else {
            AdaptiveAvgKernel.channelsFirst(g, src, dst)
        }
    }

    // MARK: Spatial pyramid pooling

    /// Allocates the scratch space (OUT_OF_MEMORY, before any output is written,
    /// if that fails), then runs the kernel.
    static func pyramid(_ g: PyramidGeometry, input: UnsafeRawPointer,
                        output: UnsafeMutableRawPointer) throws(PoolError) {
        guard g.batch > 0 else { return }   // nothing to do, and no scratch to size
        switch (g.dtype, g.mode, g.nanIgnore) {
        case (SWIFTPOOL_DTYPE_FLOAT64, .max, false): try pyramid(g, input, output, PyramidMax<Double, PropagateNaN>.self)
        case (SWIFTPOOL_DTYPE_FLOAT64, .max, true): try pyramid(g, input, output, PyramidMax<Double, IgnoreNaN>.self)
        case (SWIFTPOOL_DTYPE_FLOAT64, .average, _): try pyramid(g, input, output, PyramidAvg<Double>.self)
        case (_, .max, false): try pyramid(g, input, output, PyramidMax<Float, PropagateNaN>.self)
        case (_, .max, true): try pyramid(g, input, output, PyramidMax<Float, IgnoreNaN>.self)
        case (_, .average, _): try pyramid(g, input, output, PyramidAvg<Float>.self)
        }
    }

    private static func pyramid<Red: PyramidReducer>(_ g: PyramidGeometry, _ input: UnsafeRawPointer,
                                                     _ output: UnsafeMutableRawPointer, _ reducer: Red.Type) throws(PoolError) {
        let (cellCount, binCount) = PyramidPoolKernel.scratchCounts(g)
        let stride = MemoryLayout<Red.Accumulator>.stride
        let (total, o1) = (cellCount + binCount).multipliedReportingOverflow(by: stride)
        guard !o1, let raw = malloc(Swift.max(total, 1)) else {
            throw PoolError(status: SWIFTPOOL_ERROR_OUT_OF_MEMORY,
                            message: "\(PyramidGeometry.name): could not allocate \(cellCount + binCount) x \(stride) bytes of scratch space")
        }
        defer { free(raw) }
        let scratch = raw.bindMemory(to: Red.Accumulator.self, capacity: cellCount + binCount)
        PyramidPoolKernel.run(g, reducer, input.assumingMemoryBound(to: Red.Element.self),
                              output.assumingMemoryBound(to: Red.Element.self),
                              cells: scratch, bins: scratch + cellCount)
    }
}
