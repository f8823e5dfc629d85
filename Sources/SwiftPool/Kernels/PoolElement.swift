// Element types the kernels are generic over: adding a dtype is one conformance
// here plus one case in PoolGeometry.elementSize and the C ABI's dtype switch.

/// A tensor element that pooling kernels can process.
protocol PoolElement: Comparable {
    /// Identity of max pooling: -inf for floating point (so padding never wins),
    /// `.min` for integers.
    static var poolLowest: Self { get }
    /// True for NaN; integer types never are.
    var poolIsNaN: Bool { get }
    /// A quiet NaN, or `poolLowest` for types without NaN: the NaN-ignoring max's
    /// "nothing seen yet" start value.
    static var poolNaNOrLowest: Self { get }
    /// The value in the wide accumulator used for sums (exact for every float32).
    var poolWide: Double { get }
    /// Rounds a wide accumulator back to the element type.
    init(poolWide: Double)

    /// Accumulator of average pooling: PyTorch's `opmath_type` (float for float32,
    /// float16 and bfloat16; double for float64). Windows are summed in it in scan
    /// order and divided in it, so averages are bitwise PyTorch's avg_pool results.
    associatedtype PoolSum: BinaryFloatingPoint
    var poolSum: PoolSum { get }
    /// Rounds an accumulator back to the element type.
    init(poolSum: PoolSum)
}

extension Float: PoolElement {
    @inline(__always) static var poolLowest: Float { -.infinity }
    @inline(__always) var poolIsNaN: Bool { isNaN }
    @inline(__always) static var poolNaNOrLowest: Float { .nan }
    @inline(__always) var poolWide: Double { Double(self) }
    @inline(__always) init(poolWide: Double) { self.init(poolWide) }
    @inline(__always) var poolSum: Float { self }
    @inline(__always) init(poolSum: Float) { self = poolSum }
}

extension Double: PoolElement {
    @inline(__always) static var poolLowest: Double { -.infinity }
    @inline(__always) var poolIsNaN: Bool { isNaN }
    @inline(__always) static var poolNaNOrLowest: Double { .nan }
    @inline(__always) var poolWide: Double { self }
    @inline(__always) init(poolWide: Double) { self = poolWide }
    @inline(__always) var poolSum: Double { self }
    @inline(__always) init(poolSum: Double) { self = poolSum }
}

/// How a max-type window treats NaN. Kernels are generic over the rule, so each
/// rule compiles to its own branch-free inner loop.
protocol MaxRule {
    /// The running maximum before the first tap; `empty` when no tap is inside the input.
    static func initial<T: PoolElement>(empty: Bool) -> T
    /// Whether `candidate` replaces the running maximum `current`.
    static func replaces<T: PoolElement>(_ candidate: T, _ current: T) -> Bool
}

/// PyTorch's rule: a larger value or any NaN replaces the current maximum. Hence
/// NaN propagates, and of several NaNs the *last* in scan order is reported (value
/// and index), while among equal finite values the first stays.
enum PropagateNaN: MaxRule {
    @inline(__always) static func initial<T: PoolElement>(empty: Bool) -> T { T.poolLowest }
    @inline(__always) static func replaces<T: PoolElement>(_ candidate: T, _ current: T) -> Bool {
        candidate > current || candidate.poolIsNaN
    }
}

/// fmax semantics (ONNX Runtime): NaN never beats a number; starting from NaN
/// ("nothing yet"), an all-NaN window ends on its last NaN.
enum IgnoreNaN: MaxRule {
    @inline(__always) static func initial<T: PoolElement>(empty: Bool) -> T { empty ? T.poolLowest : T.poolNaNOrLowest }
    @inline(__always) static func replaces<T: PoolElement>(_ candidate: T, _ current: T) -> Bool {
        candidate > current || current.poolIsNaN
    }
}

extension Float16: PoolElement {
    @inline(__always) static var poolLowest: Float16 { -.infinity }
    @inline(__always) var poolIsNaN: Bool { isNaN }
    @inline(__always) static var poolNaNOrLowest: Float16 { .nan }
    @inline(__always) var poolWide: Double { Double(Float(self)) }
    @inline(__always) init(poolWide: Double) { self.init(poolWide) }
    @inline(__always) var poolSum: Float { Float(self) }
    @inline(__always) init(poolSum: Float) { self.init(poolSum) }
}

/// bfloat16: the upper half of a float32. Stored raw; compared and widened
/// through Float, so NaN compares false exactly as IEEE types do.
struct BFloat16: PoolElement {
    var bits: UInt16

    @inline(__always) init(bits: UInt16) { self.bits = bits }
    @inline(__always) var float: Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Round to nearest even, as PyTorch's float -> bfloat16 conversion; NaN stays quiet NaN.
    @inline(__always) init(_ value: Float) {
        if value.isNaN { self.bits = UInt16(truncatingIfNeeded: value.bitPattern >> 16) | 0x0040; return }
        let b = value.bitPattern
        let rounded = b &+ 0x7FFF &+ ((b >> 16) & 1)
        self.bits = UInt16(truncatingIfNeeded: rounded >> 16)
    }

    @inline(__always) static func < (a: BFloat16, b: BFloat16) -> Bool { a.float < b.float }
    @inline(__always) static func > (a: BFloat16, b: BFloat16) -> Bool { a.float > b.float }
    @inline(__always) static func == (a: BFloat16, b: BFloat16) -> Bool { a.float == b.float }
    @inline(__always) static var poolLowest: BFloat16 { BFloat16(bits: 0xFF80) }          // -inf
    @inline(__always) var poolIsNaN: Bool { float.isNaN }
    @inline(__always) static var poolNaNOrLowest: BFloat16 { BFloat16(bits: 0x7FC0) }     // quiet NaN
    @inline(__always) var poolWide: Double { Double(float) }
    /// Double -> Float -> bfloat16 may double-round in rare ties (LP, adaptive
    /// averages; avg_pool uses poolSum, single rounding as PyTorch).
    @inline(__always) init(poolWide: Double) { self.init(Float(poolWide)) }
    @inline(__always) var poolSum: Float { float }
    @inline(__always) init(poolSum: Float) { self.init(poolSum) }
}

extension UInt8: PoolElement {
    @inline(__always) static var poolLowest: UInt8 { .min }
    @inline(__always) var poolIsNaN: Bool { false }
    @inline(__always) static var poolNaNOrLowest: UInt8 { .min }
    @inline(__always) var poolWide: Double { Double(self) }
    @inline(__always) init(poolWide: Double) { self.init(clamping: Int(poolWide.rounded(.towardZero))) }
    /// Average pooling rejects integer dtypes before any kernel runs.
    @inline(__always) var poolSum: Float { Float(self) }
    @inline(__always) init(poolSum: Float) { self.init(clamping: Int(poolSum.rounded(.towardZero))) }
}

extension Int8: PoolElement {
    @inline(__always) static var poolLowest: Int8 { .min }
    @inline(__always) var poolIsNaN: Bool { false }
    @inline(__always) static var poolNaNOrLowest: Int8 { .min }
    @inline(__always) var poolWide: Double { Double(self) }
    @inline(__always) init(poolWide: Double) { self.init(clamping: Int(poolWide.rounded(.towardZero))) }
    /// Average pooling rejects integer dtypes before any kernel runs.
    @inline(__always) var poolSum: Float { Float(self) }
    @inline(__always) init(poolSum: Float) { self.init(clamping: Int(poolSum.rounded(.towardZero))) }
}
