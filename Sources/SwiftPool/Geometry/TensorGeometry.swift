// Validation of the tensor half of a swiftpool_pool_desc (dtype, layout, rank,
// batch, channels, input_size, flags) for the operators that do not slide a
// regular window: max unpooling, fractional and ROI max pooling. Their own
// parameters are validated in UnpoolGeometry, FractionalGeometry and RoiGeometry.
import CSwiftPool

/// A validated input tensor description, spatial sizes lifted to (D, H, W).
struct TensorGeometry {
    var spatialRank: Int
    var layout: swiftpool_layout
    var dtype: swiftpool_dtype
    var elementSize: Int
    var batch: Int
    var channels: Int
    /// Spatial sizes, outermost first, `spatialRank` entries (not lifted).
    var sizes: [Int]
    var flags: UInt32

    var channelsLast: Bool { layout == SWIFTPOOL_LAYOUT_NHWC }

    /// Validates the tensor fields of `desc` for `function`, accepting spatial ranks in
    /// `ranks`, only the flag bits in `allowedFlags`, and with `floatOnly` only float32
    /// and float64 (operators whose arithmetic runs in the element type, as PyTorch's
    /// fractional and torchvision's ROI pooling do for these types).
    init(_ desc: swiftpool_pool_desc, function: String, ranks: ClosedRange<Int32>,
         allowedFlags: UInt32, floatOnly: Bool) throws(PoolError) {
        guard desc.struct_size == UInt32(MemoryLayout<swiftpool_pool_desc>.size) else {
            throw .unsupported("\(function): desc->struct_size is \(desc.struct_size), expected \(MemoryLayout<swiftpool_pool_desc>.size) (call swiftpool_pool_desc_init)")
        }
        guard ranks.contains(desc.spatial_rank) else {
            let list = ranks.map(String.init).joined(separator: ", ")
            throw .unsupported("\(function): spatial_rank is \(desc.spatial_rank), expected \(list)")
        }
        let dtype = swiftpool_dtype(rawValue: UInt32(bitPattern: desc.dtype))
        guard let elementSize = PoolGeometry.elementSize(dtype) else {
            throw .unsupported("\(function): dtype \(desc.dtype) is unknown (expected SWIFTPOOL_DTYPE_FLOAT32=1 ... SWIFTPOOL_DTYPE_INT8=6)")
        }
        guard !floatOnly || dtype == SWIFTPOOL_DTYPE_FLOAT32 || dtype == SWIFTPOOL_DTYPE_FLOAT64 else {
            throw .unsupported("\(function): dtype \(desc.dtype) is not supported (supported: SWIFTPOOL_DTYPE_FLOAT32=1, SWIFTPOOL_DTYPE_FLOAT64=2)")
        }
        let layout = swiftpool_layout(rawValue: UInt32(bitPattern: desc.layout))
        guard layout == SWIFTPOOL_LAYOUT_NCHW || layout == SWIFTPOOL_LAYOUT_NHWC else {
            throw .unsupported("\(function): layout \(desc.layout) is unknown (expected SWIFTPOOL_LAYOUT_NCHW=1 or SWIFTPOOL_LAYOUT_NHWC=2)")
        }
        let unknownFlags = desc.flags & ~allowedFlags
        guard unknownFlags == 0 else {
            throw .unsupported("\(function): flags 0x\(String(desc.flags, radix: 16)) hold bits 0x\(String(unknownFlags, radix: 16)) that \(function) does not define")
        }
        guard desc.batch >= 0 else { throw .invalid("\(function): batch is \(desc.batch), must be >= 0") }
        guard desc.channels >= 1 else { throw .invalid("\(function): channels is \(desc.channels), must be >= 1") }
        let rank = Int(desc.spatial_rank)
        let all = [Int(desc.input_size.0), Int(desc.input_size.1), Int(desc.input_size.2)]
        let sizes = Array(all.prefix(rank))
        for (i, size) in sizes.enumerated() where size < 1 {
            throw .invalid("\(function): axis \(i) (\(TensorGeometry.axisName(i, rank: rank))): input_size is \(size), must be >= 1")
        }
        self.spatialRank = rank
        self.layout = layout
        self.dtype = dtype
        self.elementSize = elementSize
        self.batch = Int(desc.batch)
        self.channels = Int(desc.channels)
        self.sizes = sizes
        self.flags = desc.flags
        _ = try TensorGeometry.elements([batch, channels] + sizes, elementSize: elementSize,
                                        what: "input", function: function)
    }

    /// "D", "H" or "W" for axis `i` of a rank-`rank` problem.
    static func axisName(_ i: Int, rank: Int) -> String { ["D", "H", "W"].suffix(rank)[3 - rank + i] }

    /// The element count of a tensor with these dimensions; throws OVERFLOW when the
    /// count, or its size in bytes, does not fit in Int64. Every factor is >= 0. The
    /// leading dimension (batch, num_boxes) multiplies last: with 0 of them the rest
    /// (planes, which kernels and index math still compute) must fit on its own.
    static func elements(_ dims: [Int], elementSize: Int, what: String, function: String) throws(PoolError) -> Int {
        var count = 1
        for factor in dims.dropFirst() + [elementSize] + dims.prefix(1) {
            let (product, overflow) = count.multipliedReportingOverflow(by: factor)
            guard !overflow else {
                throw .overflow("\(function): \(what) size \(dims) x \(elementSize) bytes overflows int64")
            }
            count = product
        }
        return count / elementSize
    }

    /// Pads a spatial list to three axes with leading `fill` entries.
    static func lift(_ values: [Int], fill: Int = 1) -> (Int, Int, Int) {
        let v = Array(repeating: fill, count: 3 - values.count) + values
        return (v[0], v[1], v[2])
    }
}
