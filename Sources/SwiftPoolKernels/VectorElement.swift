// Lane operations of the pooling microkernels, one concrete implementation per
// element type. The kernels (MaxRows.swift, AvgRows.swift) are generic over
// `VectorElement`; every SIMD operation goes through a requirement here, written in
// a concrete extension, so that it compiles to vector instructions (generic SIMD
// code in Swift falls back to lane-by-lane loops).
//
// The kernel sources know nothing of PoolGeometry: kernels take pointers, counts
// and strides (SwiftPoolKernelABI). They are compiled once per instruction-set
// family: in module SwiftPoolKernels for baseline x86-64, and in
// SwiftPoolKernelsAVX2 (symbolic links to these files) with -target-cpu haswell.
import SwiftPoolKernelABI
import _SwiftPoolCPU

/// An element type with vector lanes for max and average pooling.
protocol VectorElement: BinaryFloatingPoint, SIMDScalar, Codable {
    /// `lanes` elements.
    associatedtype Vector
    /// One argmax position per lane (Int32 lanes for Float, so a mask of the
    /// value compare selects them directly; Int64 for Double).
    associatedtype IndexVector

    static var lanes: Int { get }
    /// Largest position an IndexVector lane holds.
    static var maxVectorPosition: Int { get }

    /// Lane-wise "neither is NaN".
    associatedtype Mask

    static func load(_ p: UnsafePointer<Self>) -> Vector
    /// p[0], p[2], ..., p[2*lanes-2] in the *permuted* lane order of `permute`;
    /// reads p[0 ..< 2*lanes]. De-interleaving within 128-bit halves is one shuffle
    /// per vector; the cross-half fix-up is left to one `permute` per result.
    static func loadEvenPermuted(_ p: UnsafePointer<Self>) -> Vector
    /// p[1], p[3], ..., p[2*lanes-1], permuted as loadEvenPermuted; reads p[0 ..< 2*lanes].
    static func loadOddPermuted(_ p: UnsafePointer<Self>) -> Vector
    /// Swaps between natural and permuted lane order (an involution).
    static func permute(_ v: Vector) -> Vector
    static func permute(_ i: IndexVector) -> IndexVector
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Self>)

    // Row pairs (short rows): the low half of the lanes comes from one row, the high
    // half from another.
    /// p[0 ..< lanes/2] then q[0 ..< lanes/2].
    static func loadHalves(_ p: UnsafePointer<Self>, _ q: UnsafePointer<Self>) -> Vector
    /// Even elements of p[0 ..< lanes] then of q[0 ..< lanes], permuted as loadEvenPermuted.
    static func loadEvenPermutedHalves(_ p: UnsafePointer<Self>, _ q: UnsafePointer<Self>) -> Vector
    /// Odd elements of p[0 ..< lanes] then of q[0 ..< lanes], permuted as loadEvenPermuted.
    static func loadOddPermutedHalves(_ p: UnsafePointer<Self>, _ q: UnsafePointer<Self>) -> Vector
    /// Low half of the lanes to p, high half to q.
    static func storeHalves(_ v: Vector, _ p: UnsafeMutablePointer<Self>, _ q: UnsafeMutablePointer<Self>)
    static func storePositionHalves(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>, _ q: UnsafeMutablePointer<Int64>)
    /// first + k*step in the low half, second + k*step in the high half.
    static func positionHalves(_ first: Int, _ second: Int, _ step: Int) -> IndexVector

    // Lanes from scattered elements: columns of outputs (one per row) and single outputs.
    /// p[l*step] in lane l (element loads and inserts: only for the few edge outputs).
    static func gather(_ p: UnsafePointer<Self>, _ step: Int) -> Vector
    /// Lane l to p[l*step].
    static func scatter(_ v: Vector, _ p: UnsafeMutablePointer<Self>, _ step: Int)
    static func scatterPositions(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>, _ step: Int)
    /// x in every lane, and lane 0 back: single outputs computed with the vector
    /// steps are branch-free (a scalar select compiles to a mispredicted branch).
    static func splat(_ x: Self) -> Vector
    static func firstLane(_ v: Vector) -> Self
    static func firstLane(_ i: IndexVector) -> Int

    /// v > m ? v : m per lane: one max instruction. Equals both NaN rules' step
    /// when neither operand is NaN (ties keep m, the earlier tap).
    static func maxNumber(_ m: Vector, _ v: Vector) -> Vector
    static var allOrdered: Mask { get }
    /// Lanes where neither a nor b is NaN.
    static func ordered(_ a: Vector, _ b: Vector) -> Mask
    static func and(_ a: Mask, _ b: Mask) -> Mask
    static func all(_ m: Mask) -> Bool

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

    /// Zero in every lane of an average's accumulators: sums are kept in Vector, in
    /// the element type itself (PyTorch's opmath type for float and double).
    static var zeroSum: Vector { get }
    /// s += v, lane by lane.
    static func accumulate(_ s: inout Vector, _ v: Vector)
    /// s / divisor, lane by lane: a true division (not a reciprocal multiply), as
    /// PyTorch and the reference do.
    static func average(_ s: Vector, _ divisor: Double) -> Vector
    /// s / divisors, lane by lane.
    static func average(_ s: Vector, _ divisors: Vector) -> Vector
    /// v's bits AND the lane masks at `mask` (one Vector's bytes, each lane all ones
    /// or all zeros): lanes outside a row become +0 whatever they held (NaN too).
    static func keepLanes(_ v: Vector, _ mask: UnsafeRawPointer) -> Vector
}

extension Float: VectorElement {
    typealias Vector = SIMD8<Float>
    typealias IndexVector = SIMD8<Int32>

    static var lanes: Int { 8 }
    static var maxVectorPosition: Int { Int(Int32.max) }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }
    typealias Mask = SIMDMask<SIMD8<Int32>>

    // Permuted order: lane l holds output [0, 1, 4, 5, 2, 3, 6, 7][l] (vshufps on
    // the two 128-bit halves of each 256-bit load); permute is vpermpd 0xd8.
    @inline(__always)
    static func loadEvenPermuted(_ p: UnsafePointer<Float>) -> Vector {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        return Vector(v[0], v[2], v[8], v[10], v[4], v[6], v[12], v[14])
    }
    @inline(__always)
    static func loadOddPermuted(_ p: UnsafePointer<Float>) -> Vector {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        return Vector(v[1], v[3], v[9], v[11], v[5], v[7], v[13], v[15])
    }
    @inline(__always)
    static func permute(_ v: Vector) -> Vector { Vector(v[0], v[1], v[4], v[5], v[2], v[3], v[6], v[7]) }
    @inline(__always)
    static func permute(_ i: IndexVector) -> IndexVector {
        IndexVector(i[0], i[1], i[4], i[5], i[2], i[3], i[6], i[7])
    }
    @inline(__always)
    static func gather(_ p: UnsafePointer<Float>, _ step: Int) -> Vector {
        Vector(p[0], p[step], p[2 &* step], p[3 &* step], p[4 &* step], p[5 &* step], p[6 &* step], p[7 &* step])
    }
    @inline(__always)
    static func scatter(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ step: Int) {
        p[0] = v[0]; p[step] = v[1]; p[2 &* step] = v[2]; p[3 &* step] = v[3]
        p[4 &* step] = v[4]; p[5 &* step] = v[5]; p[6 &* step] = v[6]; p[7 &* step] = v[7]
    }
    @inline(__always)
    static func scatterPositions(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>, _ step: Int) {
        let w = SIMD8<Int64>(truncatingIfNeeded: i)
        p[0] = w[0]; p[step] = w[1]; p[2 &* step] = w[2]; p[3 &* step] = w[3]
        p[4 &* step] = w[4]; p[5 &* step] = w[5]; p[6 &* step] = w[6]; p[7 &* step] = w[7]
    }
    @inline(__always) static func splat(_ x: Float) -> Vector { Vector(repeating: x) }
    @inline(__always) static func firstLane(_ v: Vector) -> Float { v[0] }
    @inline(__always) static func firstLane(_ i: IndexVector) -> Int { Int(i[0]) }
    @inline(__always)
    static func loadHalves(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>) -> Vector {
        Vector(lowHalf: UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self),
               highHalf: UnsafeRawPointer(q).loadUnaligned(as: SIMD4<Float>.self))
    }
    @inline(__always)
    static func loadEvenPermutedHalves(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>) -> Vector {
        let a = load(p), b = load(q)
        return Vector(a[0], a[2], b[0], b[2], a[4], a[6], b[4], b[6])
    }
    @inline(__always)
    static func loadOddPermutedHalves(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>) -> Vector {
        let a = load(p), b = load(q)
        return Vector(a[1], a[3], b[1], b[3], a[5], a[7], b[5], b[7])
    }
    @inline(__always)
    static func storeHalves(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ q: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v.lowHalf, as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(q).storeBytes(of: v.highHalf, as: SIMD4<Float>.self)
    }
    @inline(__always)
    static func storePositionHalves(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>, _ q: UnsafeMutablePointer<Int64>) {
        UnsafeMutableRawPointer(p).storeBytes(of: SIMD4<Int64>(truncatingIfNeeded: i.lowHalf), as: SIMD4<Int64>.self)
        UnsafeMutableRawPointer(q).storeBytes(of: SIMD4<Int64>(truncatingIfNeeded: i.highHalf), as: SIMD4<Int64>.self)
    }
    @inline(__always)
    static func positionHalves(_ first: Int, _ second: Int, _ step: Int) -> IndexVector {
        let ramp = SIMD4<Int32>(0, 1, 2, 3) &* Int32(truncatingIfNeeded: step)
        return IndexVector(lowHalf: ramp &+ Int32(truncatingIfNeeded: first),
                           highHalf: ramp &+ Int32(truncatingIfNeeded: second))
    }
    @inline(__always)
    static func maxNumber(_ m: Vector, _ v: Vector) -> Vector { m.replacing(with: v, where: v .> m) }
    static var allOrdered: Mask { Mask(repeating: true) }
    @inline(__always)
    static func ordered(_ a: Vector, _ b: Vector) -> Mask { (a .== a) .& (b .== b) }
    @inline(__always)
    static func and(_ a: Mask, _ b: Mask) -> Mask { a .& b }
    @inline(__always)
    static func all(_ m: Mask) -> Bool { Swift.all(m) }
    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    @inline(__always)
    static func maxPropagate(_ m: Vector, _ v: Vector) -> Vector {
        m.replacing(with: v, where: (v .> m) .| (v .!= v))
    }
    @inline(__always)
    static func maxIgnore(_ m: Vector, _ v: Vector) -> Vector {
        m.replacing(with: v, where: (v .> m) .| (m .!= m))
    }
    @inline(__always)
    static func maxPropagate(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector) {
        let take = (v .> m) .| (v .!= v)
        m.replace(with: v, where: take)
        index.replace(with: position, where: take)
    }
    @inline(__always)
    static func maxIgnore(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector) {
        let take = (v .> m) .| (m .!= m)
        m.replace(with: v, where: take)
        index.replace(with: position, where: take)
    }

    @inline(__always)
    static func positionRamp(_ first: Int, _ step: Int) -> IndexVector {
        IndexVector(0, 1, 2, 3, 4, 5, 6, 7) &* Int32(truncatingIfNeeded: step) &+ Int32(truncatingIfNeeded: first)
    }
    @inline(__always)
    static func positionSplat(_ p: Int) -> IndexVector { IndexVector(repeating: Int32(truncatingIfNeeded: p)) }
    @inline(__always)
    static func add(_ a: IndexVector, _ b: IndexVector) -> IndexVector { a &+ b }
    @inline(__always)
    static func storePositions(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>) {
        UnsafeMutableRawPointer(p).storeBytes(of: SIMD8<Int64>(truncatingIfNeeded: i), as: SIMD8<Int64>.self)
    }

    static var zeroSum: Vector { Vector(repeating: 0) }
    @inline(__always)
    static func accumulate(_ s: inout Vector, _ v: Vector) { s += v }
    @inline(__always)
    static func average(_ s: Vector, _ divisor: Double) -> Vector { s / Vector(repeating: Float(divisor)) }
    @inline(__always)
    static func average(_ s: Vector, _ divisors: Vector) -> Vector { s / divisors }
    @inline(__always)
    static func keepLanes(_ v: Vector, _ mask: UnsafeRawPointer) -> Vector {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & mask.loadUnaligned(as: SIMD8<UInt32>.self),
                      to: Vector.self)
    }
}

extension Double: VectorElement {
    typealias Vector = SIMD4<Double>
    typealias IndexVector = SIMD4<Int64>

    static var lanes: Int { 4 }
    static var maxVectorPosition: Int { Int.max }

    @inline(__always)
    static func load(_ p: UnsafePointer<Double>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }
    typealias Mask = SIMDMask<SIMD4<Int64>>

    // Permuted order: lane l holds output [0, 2, 1, 3][l] (vunpcklpd / vunpckhpd).
    @inline(__always)
    static func loadEvenPermuted(_ p: UnsafePointer<Double>) -> Vector {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
        return Vector(v[0], v[4], v[2], v[6])
    }
    @inline(__always)
    static func loadOddPermuted(_ p: UnsafePointer<Double>) -> Vector {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
        return Vector(v[1], v[5], v[3], v[7])
    }
    @inline(__always)
    static func permute(_ v: Vector) -> Vector { Vector(v[0], v[2], v[1], v[3]) }
    @inline(__always)
    static func permute(_ i: IndexVector) -> IndexVector { IndexVector(i[0], i[2], i[1], i[3]) }
    @inline(__always)
    static func gather(_ p: UnsafePointer<Double>, _ step: Int) -> Vector {
        Vector(p[0], p[step], p[2 &* step], p[3 &* step])
    }
    @inline(__always)
    static func scatter(_ v: Vector, _ p: UnsafeMutablePointer<Double>, _ step: Int) {
        p[0] = v[0]; p[step] = v[1]; p[2 &* step] = v[2]; p[3 &* step] = v[3]
    }
    @inline(__always)
    static func scatterPositions(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>, _ step: Int) {
        p[0] = i[0]; p[step] = i[1]; p[2 &* step] = i[2]; p[3 &* step] = i[3]
    }
    @inline(__always) static func splat(_ x: Double) -> Vector { Vector(repeating: x) }
    @inline(__always) static func firstLane(_ v: Vector) -> Double { v[0] }
    @inline(__always) static func firstLane(_ i: IndexVector) -> Int { Int(i[0]) }
    @inline(__always)
    static func loadHalves(_ p: UnsafePointer<Double>, _ q: UnsafePointer<Double>) -> Vector {
        Vector(lowHalf: UnsafeRawPointer(p).loadUnaligned(as: SIMD2<Double>.self),
               highHalf: UnsafeRawPointer(q).loadUnaligned(as: SIMD2<Double>.self))
    }
    @inline(__always)
    static func loadEvenPermutedHalves(_ p: UnsafePointer<Double>, _ q: UnsafePointer<Double>) -> Vector {
        let a = load(p), b = load(q)
        return Vector(a[0], b[0], a[2], b[2])
    }
    @inline(__always)
    static func loadOddPermutedHalves(_ p: UnsafePointer<Double>, _ q: UnsafePointer<Double>) -> Vector {
        let a = load(p), b = load(q)
        return Vector(a[1], b[1], a[3], b[3])
    }
    @inline(__always)
    static func storeHalves(_ v: Vector, _ p: UnsafeMutablePointer<Double>, _ q: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v.lowHalf, as: SIMD2<Double>.self)
        UnsafeMutableRawPointer(q).storeBytes(of: v.highHalf, as: SIMD2<Double>.self)
    }
    @inline(__always)
    static func storePositionHalves(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>, _ q: UnsafeMutablePointer<Int64>) {
        UnsafeMutableRawPointer(p).storeBytes(of: i.lowHalf, as: SIMD2<Int64>.self)
        UnsafeMutableRawPointer(q).storeBytes(of: i.highHalf, as: SIMD2<Int64>.self)
    }
    @inline(__always)
    static func positionHalves(_ first: Int, _ second: Int, _ step: Int) -> IndexVector {
        let ramp = SIMD2<Int64>(0, 1) &* Int64(step)
        return IndexVector(lowHalf: ramp &+ Int64(first), highHalf: ramp &+ Int64(second))
    }
    @inline(__always)
    static func maxNumber(_ m: Vector, _ v: Vector) -> Vector { m.replacing(with: v, where: v .> m) }
    static var allOrdered: Mask { Mask(repeating: true) }
    @inline(__always)
    static func ordered(_ a: Vector, _ b: Vector) -> Mask { (a .== a) .& (b .== b) }
    @inline(__always)
    static func and(_ a: Mask, _ b: Mask) -> Mask { a .& b }
    @inline(__always)
    static func all(_ m: Mask) -> Bool { Swift.all(m) }
    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    @inline(__always)
    static func maxPropagate(_ m: Vector, _ v: Vector) -> Vector {
        m.replacing(with: v, where: (v .> m) .| (v .!= v))
    }
    @inline(__always)
    static func maxIgnore(_ m: Vector, _ v: Vector) -> Vector {
        m.replacing(with: v, where: (v .> m) .| (m .!= m))
    }
    @inline(__always)
    static func maxPropagate(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector) {
        let take = (v .> m) .| (v .!= v)
        m.replace(with: v, where: take)
        index.replace(with: position, where: take)
    }
    @inline(__always)
    static func maxIgnore(_ m: inout Vector, _ index: inout IndexVector, _ v: Vector, _ position: IndexVector) {
        let take = (v .> m) .| (m .!= m)
        m.replace(with: v, where: take)
        index.replace(with: position, where: take)
    }

    @inline(__always)
    static func positionRamp(_ first: Int, _ step: Int) -> IndexVector {
        IndexVector(0, 1, 2, 3) &* Int64(step) &+ Int64(first)
    }
    @inline(__always)
    static func positionSplat(_ p: Int) -> IndexVector { IndexVector(repeating: Int64(p)) }
    @inline(__always)
    static func add(_ a: IndexVector, _ b: IndexVector) -> IndexVector { a &+ b }
    @inline(__always)
    static func storePositions(_ i: IndexVector, _ p: UnsafeMutablePointer<Int64>) {
        UnsafeMutableRawPointer(p).storeBytes(of: i, as: IndexVector.self)
    }

    static var zeroSum: Vector { Vector(repeating: 0) }
    @inline(__always)
    static func accumulate(_ s: inout Vector, _ v: Vector) { s += v }
    @inline(__always)
    static func average(_ s: Vector, _ divisor: Double) -> Vector { s / divisor }
    @inline(__always)
    static func average(_ s: Vector, _ divisors: Vector) -> Vector { s / divisors }
    @inline(__always)
    static func keepLanes(_ v: Vector, _ mask: UnsafeRawPointer) -> Vector {
        unsafeBitCast(unsafeBitCast(v, to: SIMD4<UInt64>.self) & mask.loadUnaligned(as: SIMD4<UInt64>.self),
                      to: Vector.self)
    }
}

/// How a max-type window treats NaN, at lane level (mirrors SwiftPool's MaxRule).
protocol VectorMaxRule {
    /// Whether `candidate` replaces the running maximum `current` (scalar form).
    static func replaces<T: VectorElement>(_ candidate: T, _ current: T) -> Bool
    static func step<T: VectorElement>(_ m: T.Vector, _ v: T.Vector, _: T.Type) -> T.Vector
    static func step<T: VectorElement>(_ m: inout T.Vector, _ index: inout T.IndexVector, _ v: T.Vector,
                                       _ position: T.IndexVector, _: T.Type)
}

/// PyTorch: a larger value or any NaN replaces the maximum (the last NaN wins; the
/// first of equal values stays). Folding a window with this step is associative, but
/// not commutative: kernels visit taps in scan order.
enum PropagateNaNLanes: VectorMaxRule {
    @inline(__always)
    static func replaces<T: VectorElement>(_ candidate: T, _ current: T) -> Bool {
        candidate > current || candidate.isNaN
    }
    @inline(__always)
    static func step<T: VectorElement>(_ m: T.Vector, _ v: T.Vector, _: T.Type) -> T.Vector {
        T.maxPropagate(m, v)
    }
    @inline(__always)
    static func step<T: VectorElement>(_ m: inout T.Vector, _ index: inout T.IndexVector, _ v: T.Vector,
                                              _ position: T.IndexVector, _: T.Type) {
        T.maxPropagate(&m, &index, v, position)
    }
}

/// fmax (ONNX Runtime): NaN never beats a number; an all-NaN window keeps its last NaN.
enum IgnoreNaNLanes: VectorMaxRule {
    @inline(__always)
    static func replaces<T: VectorElement>(_ candidate: T, _ current: T) -> Bool {
        candidate > current || current.isNaN
    }
    @inline(__always)
    static func step<T: VectorElement>(_ m: T.Vector, _ v: T.Vector, _: T.Type) -> T.Vector {
        T.maxIgnore(m, v)
    }
    @inline(__always)
    static func step<T: VectorElement>(_ m: inout T.Vector, _ index: inout T.IndexVector, _ v: T.Vector,
                                              _ position: T.IndexVector, _: T.Type) {
        T.maxIgnore(&m, &index, v, position)
    }
}

extension VectorElement {
    /// v at p (as store) with a streaming store in the AVX2 family (elsewhere an
    /// ordinary one); p 32-byte aligned. For RunShape.streamStores: the caller
    /// writes whole lines and fences with spcpu_store_fence before it returns or
    /// rewrites these outputs.
    @inline(__always)
    static func storeStreamingAligned(_ v: Vector, _ p: UnsafeMutablePointer<Self>) {
        #if SWIFTPOOL_AVX2
        if MemoryLayout<Vector>.size == 32 {
            spcpu_stream_store8(p, unsafeBitCast(v, to: SIMD8<Float>.self))
            return
        }
        #endif
        store(v, p)
    }

    /// Elements from p to the next `bytes`-byte boundary (a power of two; 0 when p
    /// is on one).
    @inline(__always)
    static func alignmentGap(_ p: UnsafeMutablePointer<Self>, _ bytes: Int) -> Int {
        ((bytes &- Int(UInt(bitPattern: p) & UInt(bytes &- 1))) & (bytes &- 1)) / MemoryLayout<Self>.stride
    }
}
