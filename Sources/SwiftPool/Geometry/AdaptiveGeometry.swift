// Geometry of the operators whose windows are bins rather than kernel/stride/
// padding windows: adaptive pooling (PyTorch's bins) and spatial pyramid pooling
// (PyramidGeometry.swift). As PoolGeometry does for the window operators, this is
// where their descriptors are validated and their bins computed.
import CSwiftPool

/// The tensor fields of a descriptor (struct_size, dtype, layout, spatial_rank,
/// batch, channels, input_size, flags), validated for operators that ignore its
/// window fields.
struct PoolTensorFields {
    var spatialRank: Int
    var layout: swiftpool_layout
    var dtype: swiftpool_dtype
    var elementSize: Int
    var batch: Int
    var channels: Int
    /// Input sizes, outermost first, `spatialRank` entries.
    var inputSizes: SmallInts
    var flags: UInt32

    var inputElements: Int { batch * channels * inputSizes.reduce(1, *) }

    /// `name` prefixes messages; `ranks` are the accepted spatial ranks; `floatingPoint`
    /// restricts the dtype to the floating-point ones (averaging, as PyTorch).
    init(_ desc: swiftpool_pool_desc, name: String, allowedFlags: UInt32,
         ranks: ClosedRange<Int32> = 1...3, floatingPoint: Bool = false) throws(PoolError) {
        guard desc.struct_size == UInt32(MemoryLayout<swiftpool_pool_desc>.size) else {
            throw .unsupported("\(name): desc.struct_size is \(desc.struct_size), expected \(MemoryLayout<swiftpool_pool_desc>.size) (call swiftpool_pool_desc_init)")
        }
        guard ranks.contains(desc.spatial_rank) else {
            let expected = ranks.count == 1 ? "\(ranks.lowerBound)" : "\(ranks.lowerBound) to \(ranks.upperBound)"
            throw .unsupported("\(name): spatial_rank is \(desc.spatial_rank), expected \(expected)")
        }
        let dtype = swiftpool_dtype(rawValue: UInt32(bitPattern: desc.dtype))
        guard let elementSize = PoolGeometry.elementSize(dtype) else {
            throw .unsupported("\(name): dtype \(desc.dtype) is unknown (expected SWIFTPOOL_DTYPE_FLOAT32=1 ... SWIFTPOOL_DTYPE_INT8=6)")
        }
        guard !floatingPoint || PoolGeometry.isFloatingPoint(dtype) else {
            throw .unsupported("\(name): dtype \(desc.dtype) is an integer type; \(name) needs a floating-point dtype")
        }
        let layout = swiftpool_layout(rawValue: UInt32(bitPattern: desc.layout))
        guard layout == SWIFTPOOL_LAYOUT_NCHW || layout == SWIFTPOOL_LAYOUT_NHWC else {
            throw .unsupported("\(name): layout \(desc.layout) is unknown (expected SWIFTPOOL_LAYOUT_NCHW=1 or SWIFTPOOL_LAYOUT_NHWC=2)")
        }
        let unknownFlags = desc.flags & ~allowedFlags
        guard unknownFlags == 0 else {
            throw .unsupported("\(name): flags 0x\(String(desc.flags, radix: 16)) hold bits 0x\(String(unknownFlags, radix: 16)) that \(name) does not define")
        }
        guard desc.batch >= 0 else { throw .invalid("\(name): batch is \(desc.batch), must be >= 0") }
        guard desc.channels >= 1 else { throw .invalid("\(name): channels is \(desc.channels), must be >= 1") }
        let rank = Int(desc.spatial_rank)
        var sizes = SmallInts()
        for i in 0..<rank {
            let size = tupleElement(desc.input_size, i)
            guard size >= 1 else {
                throw .invalid("\(name): axis \(i) (\(TensorGeometry.axisName(i, rank: rank))): input_size is \(size), must be >= 1")
            }
            sizes.append(size)
        }
        try PoolTensorFields.checkedProduct(sizes + SmallInts(Int(desc.channels), Int(desc.batch), elementSize),
                           "\(name): input size batch \(desc.batch) x channels \(desc.channels) x spatial \(sizes) x \(elementSize) bytes overflows int64")
        self.spatialRank = rank
        self.layout = layout
        self.dtype = dtype
        self.elementSize = elementSize
        self.batch = Int(desc.batch)
        self.channels = Int(desc.channels)
        self.inputSizes = sizes
        self.flags = desc.flags
    }
}

extension PoolTensorFields {
    /// The product of `factors` (all >= 0), or an OVERFLOW error with `message`.
    /// Factors multiply in order, so sizes listed before a zero batch are still checked.
    @discardableResult
    static func checkedProduct(_ factors: SmallInts, _ message: @autoclosure () -> String) throws(PoolError) -> Int {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: factor)
            guard !overflow else { throw .overflow(message()) }
            product = next
        }
        return product
    }
}

/// One axis of adaptive pooling: input size L, output size n.
struct AdaptiveAxis: Equatable {
    var inputSize: Int
    var outputSize: Int

    /// A degenerate axis used to lift 1D/2D problems to 3D.
    static let unit = AdaptiveAxis(inputSize: 1, outputSize: 1)

    /// The input range [begin, end) pooled by output `o` (0 <= o < outputSize):
    /// PyTorch's bins, begin = floor(o*L/n), end = ceil((o+1)*L/n). Never empty
    /// and within [0, L); n*L + n is validated to fit in Int.
    @inline(__always)
    func bin(_ o: Int) -> (begin: Int, end: Int) {
        (o &* inputSize / outputSize, ((o &+ 1) &* inputSize &+ outputSize &- 1) / outputSize)
    }

    /// Checks that the bin arithmetic of `bin(_:)` cannot overflow.
    static func validated(input: Int, output: Int, name: @autoclosure () -> String) throws(PoolError) -> AdaptiveAxis {
        let (product, o1) = input.multipliedReportingOverflow(by: output)
        let (_, o2) = product.addingReportingOverflow(output)
        guard !(o1 || o2) else {
            throw .overflow("\(name()): output_size \(output) x input_size \(input) overflows int64")
        }
        return AdaptiveAxis(inputSize: input, outputSize: output)
    }
}

/// Which adaptive operator a problem is for.
enum AdaptiveOperator: String {
    case max = "adaptive_max_pool"
    case average = "adaptive_avg_pool"

    var allowedFlags: UInt32 { self == .max ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0 }
}

/// A validated adaptive pooling problem, lifted to three spatial axes (D, H, W) as
/// PoolGeometry is; unit axes leave the per-plane index (d*H + h)*W + w unchanged.
struct AdaptiveGeometry {
    var tensor: PoolTensorFields
    var axes: (AdaptiveAxis, AdaptiveAxis, AdaptiveAxis)

    var layout: swiftpool_layout { tensor.layout }
    var dtype: swiftpool_dtype { tensor.dtype }
    var batch: Int { tensor.batch }
    var channels: Int { tensor.channels }
    var nanIgnore: Bool { tensor.flags & UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) != 0 }
    var inputPlane: Int { axes.0.inputSize * axes.1.inputSize * axes.2.inputSize }
    var outputPlane: Int { axes.0.outputSize * axes.1.outputSize * axes.2.outputSize }
    /// Element counts; validated not to overflow.
    var inputElements: Int { batch * channels * inputPlane }
    var outputElements: Int { batch * channels * outputPlane }

    /// For tests: `outputSize` as an array.
    init(_ desc: swiftpool_pool_desc, outputSize: [Int64], op: AdaptiveOperator) throws(PoolError) {
        guard outputSize.count <= 3 else {
            // The same checks and message as the main initializer's.
            let tensor = try PoolTensorFields(desc, name: op.rawValue, allowedFlags: op.allowedFlags,
                                              floatingPoint: op == .average)
            throw PoolError(status: SWIFTPOOL_ERROR_INTERNAL,
                            message: "\(op.rawValue): \(outputSize.count) output sizes for rank \(tensor.spatialRank)")
        }
        try self.init(desc, outputSize: SmallInts(outputSize), op: op)
    }

    /// `outputSize` holds the caller's spatial_rank output sizes (outermost first);
    /// the C layer reads them only once the rank is known to be 1...3.
    init(_ desc: swiftpool_pool_desc, outputSize: SmallInts, op: AdaptiveOperator) throws(PoolError) {
        let name = op.rawValue
        let tensor = try PoolTensorFields(desc, name: name, allowedFlags: op.allowedFlags, floatingPoint: op == .average)
        let rank = tensor.spatialRank
        guard outputSize.count == rank else {
            throw PoolError(status: SWIFTPOOL_ERROR_INTERNAL, message: "\(name): \(outputSize.count) output sizes for rank \(rank)")
        }
        // Messages are built only on the error path (validation must not allocate).
        func axis(_ i: Int) -> String { "\(name): axis \(i) (\(TensorGeometry.axisName(i, rank: rank)))" }
        var built = (AdaptiveAxis.unit, AdaptiveAxis.unit, AdaptiveAxis.unit)
        var outputs = SmallInts()
        for i in 0..<rank {
            guard outputSize[i] >= 1 else { throw .invalid("\(axis(i)): output_size is \(outputSize[i]), must be >= 1") }
            let a = try AdaptiveAxis.validated(input: tensor.inputSizes[i], output: outputSize[i], name: axis(i))
            outputs.append(a.outputSize)
            // Axis i of a rank-r problem is axis 3 - r + i of the lifted (D, H, W) problem.
            switch 3 - rank + i {
            case 0: built.0 = a
            case 1: built.1 = a
            default: built.2 = a
            }
        }
        try PoolTensorFields.checkedProduct(outputs + SmallInts(tensor.channels, tensor.batch, tensor.elementSize),
                           "\(name): output size batch \(tensor.batch) x channels \(tensor.channels) x spatial \(outputs) x \(tensor.elementSize) bytes overflows int64")
        self.tensor = tensor
        self.axes = built
    }
}
