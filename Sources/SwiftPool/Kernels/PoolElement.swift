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
}

extension Float: PoolElement {
    @inline(__always) static var poolLowest: Float { -.infinity }
    @inline(__always) var poolIsNaN: Bool { isNaN }
    @inline(__always) static var poolNaNOrLowest: Float { .nan }
    @inline(__always) var poolWide: Double { Double(self) }
    @inline(__always) init(poolWide: Double) { self.init(poolWide) }
}

extension Double: PoolElement {
    @inline(__always) static var poolLowest: Double { -.infinity }
    @inline(__always) var poolIsNaN: Bool { isNaN }
    @inline(__always) static var poolNaNOrLowest: Double { .nan }
    @inline(__always) var poolWide: Double { self }
    @inline(__always) init(poolWide: Double) { self = poolWide }
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
