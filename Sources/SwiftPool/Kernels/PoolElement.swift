// Element types the kernels are generic over: adding a dtype is one conformance
// here plus one case in PoolGeometry.elementSize and the C ABI's dtype switch.

/// A tensor element that pooling kernels can process.
protocol PoolElement: Comparable {
    /// Identity of max pooling: -inf for floating point (so padding never wins),
    /// `.min` for integers.
    static var poolLowest: Self { get }
    /// True for NaN; integer types never are.
    var poolIsNaN: Bool { get }
    /// The value in the wide accumulator used for sums (exact for every float32).
    var poolWide: Double { get }
    /// Rounds a wide accumulator back to the element type.
    init(poolWide: Double)
}

extension Float: PoolElement {
    @inline(__always) static var poolLowest: Float { -.infinity }
    @inline(__always) var poolIsNaN: Bool { isNaN }
    @inline(__always) var poolWide: Double { Double(self) }
    @inline(__always) init(poolWide: Double) { self.init(poolWide) }
}

extension Double: PoolElement {
    @inline(__always) static var poolLowest: Double { -.infinity }
    @inline(__always) var poolIsNaN: Bool { isNaN }
    @inline(__always) var poolWide: Double { self }
    @inline(__always) init(poolWide: Double) { self = poolWide }
}

/// PyTorch's max-pooling update rule: a larger value or any NaN replaces the
/// current maximum. Hence NaN propagates, and among several NaNs the *last* one in
/// scan order is reported (value and index), while among equal finite values the
/// first stays.
@inline(__always)
func poolMaxReplaces<T: PoolElement>(_ candidate: T, _ current: T) -> Bool {
    candidate > current || candidate.poolIsNaN
}
