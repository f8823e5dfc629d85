// Lane loaders: how a run's taps become vector lanes.
import SwiftPoolKernelABI
import _SwiftPoolCPU

/// Turns a run's taps into vector lanes: plain loads (stride 1) or even/odd
/// de-interleaving of double-width loads (stride 2) — never gathers — from one row
/// (`lanes` consecutive outputs) or from a pair of rows (lanes/2 outputs of each,
/// for rows shorter than a vector). Lanes may come in a permuted order; `store`
/// restores it once per result.
protocol LaneLoader {
    /// Input positions between consecutive outputs of a row.
    static var stride: Int { get }
    /// Outputs of one row per vector.
    static func width<T: VectorElement>(_: T.Type) -> Int
    /// Lane l: the tap at `offset` of the lane's output. Reads only positions in
    /// [0, offset + (width-1)*stride] of each row, plus position 2*width-1 when
    /// offset is 0 at stride 2 (inside the last window whenever the window is at
    /// least two columns wide).
    func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector
    /// Offsets 0 and 1 (two adjacent kernel columns), sharing loads.
    func load2<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector)
    /// Offsets 0, 1 and 2.
    func load3<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector)
    /// load3 for running sums (UnitStride: the same loads, compiled differently).
    func load3Sum<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector)
    /// Lane positions, in loader lane order, of the lanes' taps at offset 0 when
    /// the first lane's is `first`.
    func positions<T: VectorElement>(_ first: Int, _: T.Type) -> T.IndexVector
    /// Stores a result (values, positions) in natural order at the lanes' outputs.
    func store<T: VectorElement>(_ v: T.Vector, _ dst: UnsafeMutablePointer<T>)
    func store<T: VectorElement>(_ i: T.IndexVector, _ dst: UnsafeMutablePointer<Int64>, _: T.Type)
}

extension LaneLoader {
    @inline(__always)
    func load3Sum<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector) {
        load3(row, T.self)
    }
    /// store, with a streaming store at a 32-byte aligned dst
    /// (VectorElement.storeStreamingAligned).
    @inline(__always)
    func storeStreamingAligned<T: VectorElement>(_ v: T.Vector, _ dst: UnsafeMutablePointer<T>) {
        if Self.self == UnitStride.self {
            T.storeStreamingAligned(v, dst)
        } else if Self.self == DoubleStride.self {
            T.storeStreamingAligned(T.permute(v), dst)
        } else {
            store(v, dst)
        }
    }
}

struct UnitStride: LaneLoader {
    static var stride: Int { 1 }
    @inline(__always) static func width<T: VectorElement>(_: T.Type) -> Int { T.lanes }
    @inline(__always)
    func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector {
        T.load(row + offset)
    }
    @inline(__always)
    func load2<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector) {
        (T.load(row), T.load(row + 1))
    }
    @inline(__always)
    func load3<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector) {
        (T.load(row), T.load(row + 1), T.load(row + 2))
    }
    /// The first load through an opaque pointer: sums of three adjacent taps got
    /// it rebuilt from the other two by four shuffles (22% slower 3x3 averages);
    /// max steps are faster as LLVM compiles them (10%), so only sums use this.
    @inline(__always)
    func load3Sum<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector) {
        (T.load(spcpu_opaque(row).assumingMemoryBound(to: T.self)), T.load(row + 1), T.load(row + 2))
    }
    @inline(__always)
    func positions<T: VectorElement>(_ first: Int, _: T.Type) -> T.IndexVector { T.positionRamp(first, 1) }
    @inline(__always)
    func store<T: VectorElement>(_ v: T.Vector, _ dst: UnsafeMutablePointer<T>) { T.store(v, dst) }
    @inline(__always)
    func store<T: VectorElement>(_ i: T.IndexVector, _ dst: UnsafeMutablePointer<Int64>, _: T.Type) {
        T.storePositions(i, dst)
    }
}

/// Stride 2: the taps at offset 0 are the even elements of row[0 ..< 2L], those at
/// offset o >= 1 the odd elements of row[o-1 ..< o-1+2L], which end exactly at the
/// last lane's tap. Offsets 0 and 1 share one load.
struct DoubleStride: LaneLoader {
    static var stride: Int { 2 }
    @inline(__always) static func width<T: VectorElement>(_: T.Type) -> Int { T.lanes }
    @inline(__always)
    func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector {
        offset == 0 ? T.loadEvenPermuted(row) : T.loadOddPermuted(row + (offset &- 1))
    }
    @inline(__always)
    func load2<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector) {
        (T.loadEvenPermuted(row), T.loadOddPermuted(row))
    }
    @inline(__always)
    func load3<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector) {
        (T.loadEvenPermuted(row), T.loadOddPermuted(row), T.loadOddPermuted(row + 1))
    }
    @inline(__always)
    func positions<T: VectorElement>(_ first: Int, _: T.Type) -> T.IndexVector {
        T.permute(T.positionRamp(first, 2))
    }
    @inline(__always)
    func store<T: VectorElement>(_ v: T.Vector, _ dst: UnsafeMutablePointer<T>) { T.store(T.permute(v), dst) }
    @inline(__always)
    func store<T: VectorElement>(_ i: T.IndexVector, _ dst: UnsafeMutablePointer<Int64>, _: T.Type) {
        T.storePositions(T.permute(i), dst)
    }
}

/// Stride 1 over a pair of rows: the second row's windows start `second` input
/// positions and its outputs `secondOutput` output positions after the first's.
struct UnitStridePairs: LaneLoader {
    let second: Int, secondOutput: Int
    static var stride: Int { 1 }
    @inline(__always) static func width<T: VectorElement>(_: T.Type) -> Int { T.lanes / 2 }
    @inline(__always)
    func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector {
        T.loadHalves(row + offset, row + (second &+ offset))
    }
    @inline(__always)
    func load2<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector) {
        (load(row, 0, T.self), load(row, 1, T.self))
    }
    @inline(__always)
    func load3<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector) {
        (load(row, 0, T.self), load(row, 1, T.self), load(row, 2, T.self))
    }
    @inline(__always)
    func positions<T: VectorElement>(_ first: Int, _: T.Type) -> T.IndexVector {
        T.positionHalves(first, first &+ second, 1)
    }
    @inline(__always)
    func store<T: VectorElement>(_ v: T.Vector, _ dst: UnsafeMutablePointer<T>) {
        T.storeHalves(v, dst, dst + secondOutput)
    }
    @inline(__always)
    func store<T: VectorElement>(_ i: T.IndexVector, _ dst: UnsafeMutablePointer<Int64>, _: T.Type) {
        T.storePositionHalves(i, dst, dst + secondOutput)
    }
}

/// Stride 2 over a pair of rows (see UnitStridePairs and DoubleStride).
struct DoubleStridePairs: LaneLoader {
    let second: Int, secondOutput: Int
    static var stride: Int { 2 }
    @inline(__always) static func width<T: VectorElement>(_: T.Type) -> Int { T.lanes / 2 }
    @inline(__always)
    func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector {
        offset == 0
            ? T.loadEvenPermutedHalves(row, row + second)
            : T.loadOddPermutedHalves(row + (offset &- 1), row + (second &+ offset &- 1))
    }
    @inline(__always)
    func load2<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector) {
        (T.loadEvenPermutedHalves(row, row + second), T.loadOddPermutedHalves(row, row + second))
    }
    @inline(__always)
    func load3<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector) {
        (T.loadEvenPermutedHalves(row, row + second), T.loadOddPermutedHalves(row, row + second),
         T.loadOddPermutedHalves(row + 1, row + (second &+ 1)))
    }
    @inline(__always)
    func positions<T: VectorElement>(_ first: Int, _: T.Type) -> T.IndexVector {
        T.permute(T.positionHalves(first, first &+ second, 2))
    }
    @inline(__always)
    func store<T: VectorElement>(_ v: T.Vector, _ dst: UnsafeMutablePointer<T>) {
        T.storeHalves(T.permute(v), dst, dst + secondOutput)
    }
    @inline(__always)
    func store<T: VectorElement>(_ i: T.IndexVector, _ dst: UnsafeMutablePointer<Int64>, _: T.Type) {
        T.storePositionHalves(T.permute(i), dst, dst + secondOutput)
    }
}

/// Offsets of the first taps of a window's rows after the first one (scan
/// order): kernels fold row 0 first, then these.
struct LaterRows: Sequence, IteratorProtocol {
    let grid: TapGrid
    var a = 0, b = 1

    @inline(__always)
    init(_ grid: TapGrid) { self.grid = grid }

    @inline(__always)
    mutating func next() -> Int? {
        if b == grid.countH {
            b = 0
            a &+= 1
        }
        guard a < grid.countD else { return nil }
        defer { b &+= 1 }
        return a &* grid.stepD &+ b &* grid.stepH
    }
}

/// 512 Doubles (4 KiB) on the stack, for kernels that widen elements once and
/// reuse them: a fixed-size value, so no heap allocation and no run-time check of
/// the stack (withUnsafeTemporaryAllocation checks sizes above 1 KiB).
struct DoubleScratch {
    static let capacity = 512
    private var storage = (SIMD64<Double>(), SIMD64<Double>(), SIMD64<Double>(), SIMD64<Double>(),
                           SIMD64<Double>(), SIMD64<Double>(), SIMD64<Double>(), SIMD64<Double>())

    @inline(__always)
    static func with<R>(_ body: (UnsafeMutablePointer<Double>) -> R) -> R {
        var scratch = DoubleScratch()
        return withUnsafeMutablePointer(to: &scratch.storage) { p in
            body(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self))
        }
    }
}
