// Lane loaders: how a run's taps become vector lanes.
import SwiftPoolKernelABI

/// Loads the taps of `lanes` consecutive outputs whose windows start `stride`
/// positions apart: plain loads (stride 1) or even/odd de-interleaving of
/// double-width loads (stride 2) — never gathers. Lanes may come in a permuted
/// order; `natural` restores it once per result.
protocol LaneLoader {
    static var stride: Int { get }
    /// Lane l: row[offset + l*stride] (in loader lane order). Reads only positions
    /// in [0, offset + (lanes-1)*stride], plus row[2*lanes-1] when offset is 0 at
    /// stride 2 (inside the last window whenever the window span is >= 1).
    static func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector
    /// Offsets 0 and 1 (two adjacent kernel columns), sharing loads.
    static func load2<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector)
    /// Offsets 0, 1 and 2.
    static func load3<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector)
    /// Lane positions `first + l*stride`, in loader lane order.
    static func positions<T: VectorElement>(_ first: Int, _: T.Type) -> T.IndexVector
    /// A result (values or positions) in natural lane order.
    static func natural<T: VectorElement>(_ v: T.Vector, _: T.Type) -> T.Vector
    static func natural<T: VectorElement>(_ i: T.IndexVector, _: T.Type) -> T.IndexVector
}

enum UnitStride: LaneLoader {
    static var stride: Int { 1 }
    @inline(__always)
    static func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector {
        T.load(row + offset)
    }
    @inline(__always)
    static func load2<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector) {
        (T.load(row), T.load(row + 1))
    }
    @inline(__always)
    static func load3<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector) {
        (T.load(row), T.load(row + 1), T.load(row + 2))
    }
    @inline(__always)
    static func positions<T: VectorElement>(_ first: Int, _: T.Type) -> T.IndexVector {
        T.positionRamp(first, 1)
    }
    @inline(__always)
    static func natural<T: VectorElement>(_ v: T.Vector, _: T.Type) -> T.Vector { v }
    @inline(__always)
    static func natural<T: VectorElement>(_ i: T.IndexVector, _: T.Type) -> T.IndexVector { i }
}

/// Stride 2: the taps at offset 0 are the even elements of row[0 ..< 2L], those at
/// offset o >= 1 the odd elements of row[o-1 ..< o-1+2L], which end exactly at the
/// last lane's tap. Offsets 0 and 1 share one load.
enum DoubleStride: LaneLoader {
    static var stride: Int { 2 }
    @inline(__always)
    static func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector {
        offset == 0 ? T.loadEvenPermuted(row) : T.loadOddPermuted(row + (offset &- 1))
    }
    @inline(__always)
    static func load2<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector) {
        (T.loadEvenPermuted(row), T.loadOddPermuted(row))
    }
    @inline(__always)
    static func load3<T: VectorElement>(_ row: UnsafePointer<T>, _: T.Type) -> (T.Vector, T.Vector, T.Vector) {
        (T.loadEvenPermuted(row), T.loadOddPermuted(row), T.loadOddPermuted(row + 1))
    }
    @inline(__always)
    static func positions<T: VectorElement>(_ first: Int, _: T.Type) -> T.IndexVector {
        T.permute(T.positionRamp(first, 2))
    }
    @inline(__always)
    static func natural<T: VectorElement>(_ v: T.Vector, _: T.Type) -> T.Vector { T.permute(v) }
    @inline(__always)
    static func natural<T: VectorElement>(_ i: T.IndexVector, _: T.Type) -> T.IndexVector { T.permute(i) }
}

/// Calls `body(offset, first)` for each row of the window's taps (offset of the
/// row's first tap, scan order); `first` is true only for the first row.
@inline(__always)
func forEachWindowRow(_ grid: TapGrid, _ body: (_ offset: Int, _ first: Bool) -> Void) {
    body(0, true)
    var a = 0
    while a < grid.countD {
        var b = a == 0 ? 1 : 0
        while b < grid.countH {
            body(a &* grid.stepD &+ b &* grid.stepH, false)
            b &+= 1
        }
        a &+= 1
    }
}
