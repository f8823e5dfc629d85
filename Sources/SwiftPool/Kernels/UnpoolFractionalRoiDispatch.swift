// Dispatch for max unpooling, fractional and ROI max pooling: raw pointers become
// typed here, the data-dependent checks (indices, samples, boxes) run on the typed
// values, and only then does a kernel write anything.
import CSwiftPool

enum UnpoolFractionalRoiDispatch {
    static func maxUnpool(_ g: UnpoolGeometry, input: UnsafeRawPointer, indices: UnsafePointer<Int64>,
                          output: UnsafeMutableRawPointer, function: String) throws(PoolError) {
        try g.validate(indices: UnsafeBufferPointer(start: indices, count: g.inputElements), function: function)
        func run<T: PoolElement>(_: T.Type) {
            MaxUnpoolKernel.run(g, input.assumingMemoryBound(to: T.self), indices, output.assumingMemoryBound(to: T.self))
        }
        switch g.tensor.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: run(Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: run(Double.self)
        case SWIFTPOOL_DTYPE_FLOAT16: run(Float16.self)
        case SWIFTPOOL_DTYPE_BFLOAT16: run(BFloat16.self)
        case SWIFTPOOL_DTYPE_UINT8: run(UInt8.self)
        case SWIFTPOOL_DTYPE_INT8: run(Int8.self)
        default: throw noKernel(g.tensor.dtype, function)
        }
    }

    /// `samples` nil: draw them from `seed` (FractionalSampleGenerator).
    static func fractionalMaxPool(_ g: FractionalGeometry, samples: UnsafeRawPointer?, seed: UInt64,
                                  input: UnsafeRawPointer, output: UnsafeMutableRawPointer,
                                  indices: UnsafeMutablePointer<Int64>?, function: String) throws(PoolError) {
        switch g.tensor.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: try fractional(g, samples, seed, input, output, indices, function, as: Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: try fractional(g, samples, seed, input, output, indices, function, as: Double.self)
        default: throw noKernel(g.tensor.dtype, function)
        }
    }

    static func roiMaxPool(_ g: RoiGeometry, boxes: UnsafeRawPointer, spatialScale: Double,
                           input: UnsafeRawPointer, output: UnsafeMutableRawPointer,
                           argmax: UnsafeMutablePointer<Int64>?, function: String) throws(PoolError) {
        switch g.tensor.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: try roi(g, boxes, spatialScale, input, output, argmax, function, as: Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: try roi(g, boxes, spatialScale, input, output, argmax, function, as: Double.self)
        default: throw noKernel(g.tensor.dtype, function)
        }
    }

    private static func fractional<T: PoolElement & BinaryFloatingPoint>(
        _ g: FractionalGeometry, _ samples: UnsafeRawPointer?, _ seed: UInt64, _ input: UnsafeRawPointer,
        _ output: UnsafeMutableRawPointer, _ indices: UnsafeMutablePointer<Int64>?, _ function: String, as _: T.Type
    ) throws(PoolError) {
        let src = input.assumingMemoryBound(to: T.self), dst = output.assumingMemoryBound(to: T.self)
        let given = samples?.assumingMemoryBound(to: T.self)
        if let given {
            try g.validate(samples: UnsafeBufferPointer(start: given, count: g.sampleCount), function: function)
        }
        // No planes (batch 0): nothing to write, and the output sizes alone may be
        // huge (no buffer backs them), so no scratch for them either.
        guard g.planes > 0 else { return }
        // The sample closure is written at each call: a closure stored in a local
        // constant is escaping, and its captures would be boxed on the heap per call.
        let done = g.nanIgnore
            ? FractionalMaxPoolKernel.run(g, rule: IgnoreNaN.self, sample: { j in
                given?[j] ?? FractionalSampleGenerator.sample(seed: seed, index: j, as: T.self)
            }, src, dst, indices)
            : FractionalMaxPoolKernel.run(g, rule: PropagateNaN.self, sample: { j in
                given?[j] ?? FractionalSampleGenerator.sample(seed: seed, index: j, as: T.self)
            }, src, dst, indices)
        guard done else {
            let (od, oh, ow) = g.outputSize
            throw PoolError(status: SWIFTPOOL_ERROR_OUT_OF_MEMORY,
                            message: "\(function): no memory for the window starts (\(od + oh + ow) integers)")
        }
    }

    private static func roi<T: PoolElement & BinaryFloatingPoint>(
        _ g: RoiGeometry, _ boxes: UnsafeRawPointer, _ spatialScale: Double, _ input: UnsafeRawPointer,
        _ output: UnsafeMutableRawPointer, _ argmax: UnsafeMutablePointer<Int64>?, _ function: String, as _: T.Type
    ) throws(PoolError) {
        let scale = try RoiGeometry.scale(spatialScale, as: T.self, function: function)
        let b = boxes.assumingMemoryBound(to: T.self)
        try g.validate(boxes: UnsafeBufferPointer(start: b, count: g.boxElements), scale: scale, function: function)
        RoiMaxPoolKernel.run(g, input.assumingMemoryBound(to: T.self), boxes: b, scale: scale,
                             output.assumingMemoryBound(to: T.self), argmax)
    }

    private static func noKernel(_ dtype: swiftpool_dtype, _ function: String) -> PoolError {
        PoolError(status: SWIFTPOOL_ERROR_INTERNAL, message: "\(function): dtype \(dtype.rawValue) passed validation but has no kernel")
    }
}
