// Lane operations of the pooling microkernels, one concrete implementation per
// element type. The kernels (MaxRows.swift, AvgRows.swift) are generic over
// `VectorElement`; every SIMD operation goes through a requirement here, written in
// a concrete extension, so that it compiles to vector instructions (generic SIMD
// code in Swift falls back to lane-by-lane loops).
//
// This module knows nothing of PoolGeometry: kernels take pointers, counts and
// strides. It is compiled twice: as is (the baseline x86-64 family, in this module)
// and specialised into SwiftPoolAVX2 with -target-cpu haswell.

/// An element type with vector lanes for max and average pooling.
public protocol VectorElement: BinaryFloatingPoint, SIMDScalar, Codable {
    /// `lanes` elements.
    associatedtype Vector
    /// One argmax position per lane (Int32 lanes for Float, so a mask of the
    /// value compare selects them directly; Int64 for Double).
    associatedtype IndexVector
    /// `lanes` Double accumulators (average pooling sums in Double).
    associatedtype SumVector

    static var lanes: Int { get }
    /// Largest position an IndexVector lane holds.
    static var maxVectorPosition: Int { get }

    static func load(_ p: UnsafePointer<Self>) -> Vector
    /// p[0], p[2], ..., p[2*lanes-2]; reads p[0 ..< 2*lanes].
    static func loadEven(_ p: UnsafePointer<Self>) -> Vector
    /// p[1], p[3], ..., p[2*lanes-1]; reads p[0 ..< 2*lanes].
    static func loadOdd(_ p: UnsafePointer<Self>) -> Vector
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Self>)

    /// PyTorch's max step, per lane: `v` replaces `m` when v > m or v is NaN.
    static func maxPropagate(_ m: Vector, _ v: Vector) -> Vector
    /// fmax step, per lane: `v` replaces `m` when v > m or m is NaN.
    static func maxIgnore(_ m: Vector, _ v: Vector) -> Vector
    /// The same steps, moving the lane's argmax position along with the value.
    static func maxPropagate(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector)
    static func maxIgnore(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector)

    /// first, first + step, first + 2*step, ... (positions < maxVectorPosition).
    static func positionRamp(_ first: Int, _ step: Int) -> IndexVector
    static func positionSplat(_ p: Int) -> IndexVector
    static func add(_ a: IndexVector, _ b: IndexVector) -> IndexVector
    static func storePositions(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>)

    static var zeroSum: SumVector { get }
    /// s += Double(v), lane by lane.
    static func accumulate(_ s: inout SumVector, _ v: Vector)
    /// Element(s / divisor), lane by lane: a true division, as the reference does.
    static func average(_ s: SumVector, _ divisor: Double) -> Vector

    /// The exact Double value of an element, and rounding back.
    var wide: Double { get }
    init(wide: Double)
}

extension Float: VectorElement {
    public typealias Vector = SIMD8<Float>
    public typealias IndexVector = SIMD8<Int32>
    public typealias SumVector = SIMD8<Double>

    @inlinable public static var lanes: Int { 8 }
    @inlinable public static var maxVectorPosition: Int { Int(Int32.max) }

    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }
    @inlinable @inline(__always)
    public static func loadEven(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self).evenHalf
    }
    @inlinable @inline(__always)
    public static func loadOdd(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self).oddHalf
    }
    @inlinable @inline(__always)
    public static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    @inlinable @inline(__always)
    public static func maxPropagate(_ m: Vector, _ v: Vector) -> Vector {
        m.replacing(with: v, where: (v .> m) .| (v .!= v))
    }
    @inlinable @inline(__always)
    public static func maxIgnore(_ m: Vector, _ v: Vector) -> Vector {
        m.replacing(with: v, where: (v .> m) .| (m .!= m))
    }
    @inlinable @inline(__always)
    public static func maxPropagate(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector) {
        let take = (v .> m) .| (v .!= v)
        m.replace(with: v, where: take)
        index.replace(with: position, where: take)
    }
    @inlinable @inline(__always)
    public static func maxIgnore(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector) {
        let take = (v .> m) .| (m .!= m)
        m.replace(with: v, where: take)
        index.replace(with: position, where: take)
    }

    @inlinable @inline(__always)
    public static func positionRamp(_ first: Int, _ step: Int) -> IndexVector {
        IndexVector(0, 1, 2, 3, 4, 5, 6, 7) &* Int32(truncatingIfNeeded: step) &+ Int32(truncatingIfNeeded: first)
    }
    @inlinable @inline(__always)
    public static func positionSplat(_ p: Int) -> IndexVector { IndexVector(repeating: Int32(truncatingIfNeeded: p)) }
    @inlinable @inline(__always)
    public static func add(_ a: IndexVector, _ b: IndexVector) -> IndexVector { a &+ b }
    @inlinable @inline(__always)
    public static func storePositions(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>) {
        UnsafeMutableRawPointer(p).storeBytes(of: SIMD8<Int64>(truncatingIfNeeded: i), as: SIMD8<Int64>.self)
    }

    @inlinable public static var zeroSum: SumVector { SumVector(repeating: 0) }
    @inlinable @inline(__always)
    public static func accumulate(_ s: inout SumVector, _ v: Vector) { s += SumVector(v) }
    @inlinable @inline(__always)
    public static func average(_ s: SumVector, _ divisor: Double) -> Vector { Vector(s / divisor) }

    @inlinable public var wide: Double { Double(self) }
    @inlinable public init(wide: Double) { self.init(wide) }
}

extension Double: VectorElement {
    public typealias Vector = SIMD4<Double>
    public typealias IndexVector = SIMD4<Int64>
    public typealias SumVector = SIMD4<Double>

    @inlinable public static var lanes: Int { 4 }
    @inlinable public static var maxVectorPosition: Int { Int.max }

    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Double>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }
    @inlinable @inline(__always)
    public static func loadEven(_ p: UnsafePointer<Double>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self).evenHalf
    }
    @inlinable @inline(__always)
    public static func loadOdd(_ p: UnsafePointer<Double>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self).oddHalf
    }
    @inlinable @inline(__always)
    public static func store(_ v: Vector, _ p: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    @inlinable @inline(__always)
    public static func maxPropagate(_ m: Vector, _ v: Vector) -> Vector {
        m.replacing(with: v, where: (v .> m) .| (v .!= v))
    }
    @inlinable @inline(__always)
    public static func maxIgnore(_ m: Vector, _ v: Vector) -> Vector {
        m.replacing(with: v, where: (v .> m) .| (m .!= m))
    }
    @inlinable @inline(__always)
    public static func maxPropagate(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector) {
        let take = (v .> m) .| (v .!= v)
        m.replace(with: v, where: take)
        index.replace(with: position, where: take)
    }
    @inlinable @inline(__always)
    public static func maxIgnore(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector) {
        let take = (v .> m) .| (m .!= m)
        m.replace(with: v, where: take)
        index.replace(with: position, where: take)
    }

    @inlinable @inline(__always)
    public static func positionRamp(_ first: Int, _ step: Int) -> IndexVector {
        IndexVector(0, 1, 2, 3) &* Int64(step) &+ Int64(first)
    }
    @inlinable @inline(__always)
    public static func positionSplat(_ p: Int) -> IndexVector { IndexVector(repeating: Int64(p)) }
    @inlinable @inline(__always)
    public static func add(_ a: IndexVector, _ b: IndexVector) -> IndexVector { a &+ b }
    @inlinable @inline(__always)
    public static func storePositions(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>) {
        UnsafeMutableRawPointer(p).storeBytes(of: i, as: IndexVector.self)
    }

    @inlinable public static var zeroSum: SumVector { SumVector(repeating: 0) }
    @inlinable @inline(__always)
    public static func accumulate(_ s: inout SumVector, _ v: Vector) { s += v }
    @inlinable @inline(__always)
    public static func average(_ s: SumVector, _ divisor: Double) -> Vector { s / divisor }

    @inlinable public var wide: Double { self }
    @inlinable public init(wide: Double) { self = wide }
}

/// How a max-type window treats NaN, at lane level (mirrors SwiftPool's MaxRule).
public protocol VectorMaxRule {
    /// Whether `candidate` replaces the running maximum `current` (scalar form).
    static func replaces<T: VectorElement>(_ candidate: T, _ current: T) -> Bool
    static func step<T: VectorElement>(_ m: T.Vector, _ v: T.Vector, _: T.Type) -> T.Vector
    static func step<T: VectorElement>(_ m: inout T.Vector, _ index: inout T.IndexVector, _ v: T.Vector,
                                       _ position: T.IndexVector, _: T.Type)
}

/// PyTorch: a larger value or any NaN replaces the maximum (the last NaN wins; the
/// first of equal values stays). Folding a window with this step is associative, but
/// not commutative: kernels visit taps in scan order.
public enum PropagateNaNLanes: VectorMaxRule {
    @inlinable @inline(__always)
    public static func replaces<T: VectorElement>(_ candidate: T, _ current: T) -> Bool {
        candidate > current || candidate.isNaN
    }
    @inlinable @inline(__always)
    public static func step<T: VectorElement>(_ m: T.Vector, _ v: T.Vector, _: T.Type) -> T.Vector {
        T.maxPropagate(m, v)
    }
    @inlinable @inline(__always)
    public static func step<T: VectorElement>(_ m: inout T.Vector, _ index: inout T.IndexVector, _ v: T.Vector,
                                              _ position: T.IndexVector, _: T.Type) {
        T.maxPropagate(&m, &index, v, position)
    }
}

/// fmax (ONNX Runtime): NaN never beats a number; an all-NaN window keeps its last NaN.
public enum IgnoreNaNLanes: VectorMaxRule {
    @inlinable @inline(__always)
    public static func replaces<T: VectorElement>(_ candidate: T, _ current: T) -> Bool {
        candidate > current || current.isNaN
    }
    @inlinable @inline(__always)
    public static func step<T: VectorElement>(_ m: T.Vector, _ v: T.Vector, _: T.Type) -> T.Vector {
        T.maxIgnore(m, v)
    }
    @inlinable @inline(__always)
    public static func step<T: VectorElement>(_ m: inout T.Vector, _ index: inout T.IndexVector, _ v: T.Vector,
                                              _ position: T.IndexVector, _: T.Type) {
        T.maxIgnore(&m, &index, v, position)
    }
}
