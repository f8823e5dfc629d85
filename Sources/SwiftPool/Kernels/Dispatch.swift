// Picks the kernel for a validated problem: element type first, then layout.
// Raw pointers become typed here and nowhere else.
import CSwiftPool

enum PoolDispatch {
    static func maxPool(_ g: PoolGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer,
                        indices: UnsafeMutablePointer<Int64>?) {
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: maxPool(g, input, output, indices, as: Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: maxPool(g, input, output, indices, as: Double.self)
        case SWIFTPOOL_DTYPE_FLOAT16: maxPool(g, input, output, indices, as: Float16.self)
        case SWIFTPOOL_DTYPE_BFLOAT16: maxPool(g, input, output, indices, as: BFloat16.self)
        case SWIFTPOOL_DTYPE_UINT8: maxPool(g, input, output, indices, as: UInt8.self)
        case SWIFTPOOL_DTYPE_INT8: maxPool(g, input, output, indices, as: Int8.self)
        default: preconditionFailure("dtype passed validation but has no kernel")
        }
    }

    static func avgPool(_ g: PoolGeometry, input: UnsafeRawPointer, output: UnsafeMutableRawPointer) {
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: avgPool(g, input, output, as: Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: avgPool(g, input, output, as: Double.self)
        case SWIFTPOOL_DTYPE_FLOAT16: avgPool(g, input, output, as: Float16.self)
        case SWIFTPOOL_DTYPE_BFLOAT16: avgPool(g, input, output, as: BFloat16.self)
        default: preconditionFailure("dtype passed validation but has no kernel")
        }
    }

    private static func maxPool<T: PoolElement>(_ g: PoolGeometry, _ input: UnsafeRawPointer,
                                                _ output: UnsafeMutableRawPointer,
                                                _ indices: UnsafeMutablePointer<Int64>?, as: T.Type) {
        let src = input.assumingMemoryBound(to: T.self), dst = output.assumingMemoryBound(to: T.self)
        switch (g.layout == SWIFTPOOL_LAYOUT_NHWC, g.nanIgnore) {
        case (true, false): MaxPoolKernel.channelsLast(g, rule: PropagateNaN.self, src, dst, indices)
        case (true, true): MaxPoolKernel.channelsLast(g, rule: IgnoreNaN.self, src, dst, indices)
        case (false, false): MaxPoolKernel.channelsFirst(g, rule: PropagateNaN.self, src, dst, indices)
        case (false, true): MaxPoolKernel.channelsFirst(g, rule: IgnoreNaN.self, src, dst, indices)
        }
        if let indices { IndexLayout.apply(g, indices) }
    }

    private static func avgPool<T: PoolElement>(_ g: PoolGeometry, _ input: UnsafeRawPointer,
                                                _ output: UnsafeMutableRawPointer, as: T.Type) {
        let src = input.assumingMemoryBound(to: T.self), dst = output.assumingMemoryBound(to: T.self)
        if g.layout == SWIFTPOOL_LAYOUT_NHWC {
            AvgPoolKernel.channelsLast(g, src, dst)
        } else {
            AvgPoolKernel.channelsFirst(g, src, dst)
        }
    }
}
