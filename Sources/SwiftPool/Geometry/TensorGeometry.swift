// Validation of the tensor half of a swiftpool_pool_desc (dtype, layout, rank,
// batch, channels, input_size, flags) for the operators that do not slide a
// regular window: max unpooling, fractional and ROI max pooling. Their own
// parameters are validated in UnpoolGeometry, FractionalGeometry and RoiGeometry.
import CSwiftPool

/// Up to six Ints stored inline: spatial sizes (at most 3), or a tensor's
/// dimensions with its element size. Validation runs on every call and must not
/// allocate, so it uses this instead of small [Int] arrays. `description` reads
/// as an Array's ("[2, 3]"), which messages print.
struct SmallInts: RandomAccessCollection, CustomStringConvertible {
    static let capacity = 6
    private var storage: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)
    private(set) var count = 0

    init() {}
    init(_ a: Int) { append(a) }
    init(_ a: Int, _ b: Int) { append(a); append(b) }
    init(_ a: Int, _ b: Int, _ c: Int) { append(a); append(b); append(c) }
    /// The first `count` entries of a C int64 array (count <= 3).
    init(_ values: UnsafePointer<Int64>, count: Int) {
        for i in 0..<count { append(Int(values[i])) }
    }
    /// For tests and other non-hot callers.
    init<S: Sequence>(_ values: S) where S.Element: BinaryInteger {
        for v in values { append(Int(v)) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(i: Int) -> Int {
        get {
            precondition(i >= 0 && i < count, "SmallInts index out of range")
            return withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i &* MemoryLayout<Int>.stride, as: Int.self) }
        }
        set {
            precondition(i >= 0 && i < count, "SmallInts index out of range")
            withUnsafeMutableBytes(of: &storage) {
                $0.storeBytes(of: newValue, toByteOffset: i &* MemoryLayout<Int>.stride, as: Int.self)
            }
        }
    }

    mutating func append(_ value: Int) {
        precondition(count < SmallInts.capacity, "SmallInts holds at most 6 entries")
        count &+= 1
        self[count &- 1] = value
    }

    static func + (a: SmallInts, b: SmallInts) -> SmallInts {
        var r = a
        for v in b { r.append(v) }
        return r
    }

    /// The last `n` entries.
    func suffix(_ n: Int) -> SmallInts {
        var r = SmallInts()
        for i in Swift.max(0, count &- n)..<count { r.append(self[i]) }
        return r
    }

    /// Built only for messages.
    var description: String { Array(self).description }
}

/// A validated input tensor description, spatial sizes lifted to (D, H, W).
struct TensorGeometry {
    var spatialRank: Int
    var layout: swiftpool_layout
    var dtype: swiftpool_dtype
    var elementSize: Int
    var batch: Int
    var channels: Int
    /// Spatial sizes, outermost first, `spatialRank` entries (not lifted).
    var sizes: SmallInts
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
        var sizes = SmallInts()
        for i in 0..<rank {
            let size = tupleElement(desc.input_size, i)
            guard size >= 1 else {
                throw .invalid("\(function): axis \(i) (\(TensorGeometry.axisName(i, rank: rank))): input_size is \(size), must be >= 1")
            }
            sizes.append(size)
        }
        self.spatialRank = rank
        self.layout = layout
        self.dtype = dtype
        self.elementSize = elementSize
        self.batch = Int(desc.batch)
        self.channels = Int(desc.channels)
        self.sizes = sizes
        self.flags = desc.flags
        _ = try TensorGeometry.elements(SmallInts(batch, channels) + sizes, elementSize: elementSize,
                                        what: "input", function: function)
    }

    /// "D", "H" or "W" for axis `i` of a rank-`rank` problem.
    static func axisName(_ i: Int, rank: Int) -> String {
        switch 3 - rank + i { case 0: return "D"; case 1: return "H"; default: return "W" }
    }

    /// The element count of a tensor with these dimensions; throws OVERFLOW when the
    /// count, or its size in bytes, does not fit in Int64. Every factor is >= 0. The
    /// leading dimension (batch, num_boxes) multiplies last: with 0 of them the rest
    /// (planes, which kernels and index math still compute) must fit on its own.
    static func elements(_ dims: SmallInts, elementSize: Int, what: String, function: String) throws(PoolError) -> Int {
        var count = 1
        // dims[1...], elementSize, dims[0]
        for k in 1..<(dims.count &+ 1) {
            let factor = k < dims.count ? dims[k] : elementSize
            let (product, overflow) = count.multipliedReportingOverflow(by: factor)
            guard !overflow else {
                throw .overflow("\(function): \(what) size \(dims) x \(elementSize) bytes overflows int64")
            }
            count = product
        }
        if dims.count > 0 {
            let (product, overflow) = count.multipliedReportingOverflow(by: dims[0])
            guard !overflow else {
                throw .overflow("\(function): \(what) size \(dims) x \(elementSize) bytes overflows int64")
            }
            count = product
        }
        return count / elementSize
    }

    /// Pads a spatial list to three axes with leading `fill` entries.
    static func lift(_ values: SmallInts, fill: Int = 1) -> (Int, Int, Int) {
        let n = values.count
        func at(_ axis: Int) -> Int { axis < 3 - n ? fill : values[axis - (3 - n)] }
        return (at(0), at(1), at(2))
    }
}
