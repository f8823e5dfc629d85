// One row of window taps (grid.countW taps, grid.stepW apart) folded into the
// lanes' running results, in scan order. The 2- and 3-tap undilated rows of the
// common 2x2 / 3x3 kernels are unrolled with shared loads; other rows loop.
import SwiftPoolKernelABI

protocol RowShape {
    /// Running max without the NaN rules (one max instruction per tap), and `ok`
    /// cleared in lanes that met a NaN: such results must be recomputed exactly.
    static func maxFast<T: VectorElement, S: LaneLoader>(
        _ m: inout T.Vector, _ ok: inout T.Mask, _ row: UnsafePointer<T>, _ grid: TapGrid, first: Bool,
        _: T.Type, _ loader: S)
    /// Running max with rule R (exact for any input).
    static func maxExact<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ m: inout T.Vector, _ row: UnsafePointer<T>, _ grid: TapGrid, first: Bool,
        _: T.Type, _: R.Type, _ loader: S)
    /// Running max with rule R and its argmax; `positions` are the lanes' plane
    /// positions of this row's first tap.
    static func maxIndexed<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ m: inout T.Vector, _ index: inout T.IndexVector, _ row: UnsafePointer<T>, _ positions: T.IndexVector,
        _ grid: TapGrid, first: Bool, _: T.Type, _: R.Type, _ loader: S)
    /// Running sums (in the opmath type, taps in scan order).
    static func sum<T: VectorElement, S: LaneLoader>(
        _ s: inout T.Vector, _ row: UnsafePointer<T>, _ grid: TapGrid, _: T.Type, _ loader: S)
}

/// Two adjacent taps (kernel width 2, dilation 1).
enum TwoTapRow: RowShape {
    @inline(__always)
    static func maxFast<T: VectorElement, S: LaneLoader>(
        _ m: inout T.Vector, _ ok: inout T.Mask, _ row: UnsafePointer<T>, _ grid: TapGrid, first: Bool,
        _: T.Type, _ loader: S
    ) {
        let (t0, t1) = loader.load2(row, T.self)
        m = first ? t0 : T.maxNumber(m, t0)
        m = T.maxNumber(m, t1)
        ok = T.and(ok, T.ordered(t0, t1))
    }
    @inline(__always)
    static func maxExact<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ m: inout T.Vector, _ row: UnsafePointer<T>, _ grid: TapGrid, first: Bool,
        _: T.Type, _: R.Type, _ loader: S
    ) {
        let (t0, t1) = loader.load2(row, T.self)
        m = first ? t0 : R.step(m, t0, T.self)
        m = R.step(m, t1, T.self)
    }
    @inline(__always)
    static func maxIndexed<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ m: inout T.Vector, _ index: inout T.IndexVector, _ row: UnsafePointer<T>, _ positions: T.IndexVector,
        _ grid: TapGrid, first: Bool, _: T.Type, _: R.Type, _ loader: S
    ) {
        let (t0, t1) = loader.load2(row, T.self)
        if first {
            m = t0
            index = positions
        } else {
            R.step(&m, &index, t0, positions, T.self)
        }
        R.step(&m, &index, t1, T.add(positions, T.positionSplat(1)), T.self)
    }
    @inline(__always)
    static func sum<T: VectorElement, S: LaneLoader>(
        _ s: inout T.Vector, _ row: UnsafePointer<T>, _ grid: TapGrid, _: T.Type, _ loader: S
    ) {
        let (t0, t1) = loader.load2(row, T.self)
        T.accumulate(&s, t0)
        T.accumulate(&s, t1)
    }
}

/// Three adjacent taps (kernel width 3, dilation 1).
enum ThreeTapRow: RowShape {
    @inline(__always)
    static func maxFast<T: VectorElement, S: LaneLoader>(
        _ m: inout T.Vector, _ ok: inout T.Mask, _ row: UnsafePointer<T>, _ grid: TapGrid, first: Bool,
        _: T.Type, _ loader: S
    ) {
        let (t0, t1, t2) = loader.load3(row, T.self)
        m = first ? t0 : T.maxNumber(m, t0)
        m = T.maxNumber(m, t1)
        m = T.maxNumber(m, t2)
        ok = T.and(ok, T.and(T.ordered(t0, t1), T.ordered(t2, t2)))
    }
    @inline(__always)
    static func maxExact<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ m: inout T.Vector, _ row: UnsafePointer<T>, _ grid: TapGrid, first: Bool,
        _: T.Type, _: R.Type, _ loader: S
    ) {
        let (t0, t1, t2) = loader.load3(row, T.self)
        m = first ? t0 : R.step(m, t0, T.self)
        m = R.step(m, t1, T.self)
        m = R.step(m, t2, T.self)
    }
    @inline(__always)
    static func maxIndexed<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ m: inout T.Vector, _ index: inout T.IndexVector, _ row: UnsafePointer<T>, _ positions: T.IndexVector,
        _ grid: TapGrid, first: Bool, _: T.Type, _: R.Type, _ loader: S
    ) {
        let (t0, t1, t2) = loader.load3(row, T.self)
        if first {
            m = t0
            index = positions
        } else {
            R.step(&m, &index, t0, positions, T.self)
        }
        R.step(&m, &index, t1, T.add(positions, T.positionSplat(1)), T.self)
        R.step(&m, &index, t2, T.add(positions, T.positionSplat(2)), T.self)
    }
    @inline(__always)
    static func sum<T: VectorElement, S: LaneLoader>(
        _ s: inout T.Vector, _ row: UnsafePointer<T>, _ grid: TapGrid, _: T.Type, _ loader: S
    ) {
        let (t0, t1, t2) = loader.load3Sum(row, T.self)
        T.accumulate(&s, t0)
        T.accumulate(&s, t1)
        T.accumulate(&s, t2)
    }
}

/// Any width and dilation: a loop over the row's taps.
enum AnyTapRow: RowShape {
    @inline(__always)
    static func maxFast<T: VectorElement, S: LaneLoader>(
        _ m: inout T.Vector, _ ok: inout T.Mask, _ row: UnsafePointer<T>, _ grid: TapGrid, first: Bool,
        _: T.Type, _ loader: S
    ) {
        var c = 0
        if first {
            m = loader.load(row, 0, T.self)
            ok = T.and(ok, T.ordered(m, m))
            c = 1
        }
        while c < grid.countW {
            let t = loader.load(row, c &* grid.stepW, T.self)
            m = T.maxNumber(m, t)
            ok = T.and(ok, T.ordered(t, t))
            c &+= 1
        }
    }
    @inline(__always)
    static func maxExact<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ m: inout T.Vector, _ row: UnsafePointer<T>, _ grid: TapGrid, first: Bool,
        _: T.Type, _: R.Type, _ loader: S
    ) {
        var c = 0
        if first {
            m = loader.load(row, 0, T.self)
            c = 1
        }
        while c < grid.countW {
            m = R.step(m, loader.load(row, c &* grid.stepW, T.self), T.self)
            c &+= 1
        }
    }
    @inline(__always)
    static func maxIndexed<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ m: inout T.Vector, _ index: inout T.IndexVector, _ row: UnsafePointer<T>, _ positions: T.IndexVector,
        _ grid: TapGrid, first: Bool, _: T.Type, _: R.Type, _ loader: S
    ) {
        var c = 0
        if first {
            m = loader.load(row, 0, T.self)
            index = positions
            c = 1
        }
        while c < grid.countW {
            let o = c &* grid.stepW
            R.step(&m, &index, loader.load(row, o, T.self), T.add(positions, T.positionSplat(o)), T.self)
            c &+= 1
        }
    }
    @inline(__always)
    static func sum<T: VectorElement, S: LaneLoader>(
        _ s: inout T.Vector, _ row: UnsafePointer<T>, _ grid: TapGrid, _: T.Type, _ loader: S
    ) {
        var c = 0
        while c < grid.countW {
            T.accumulate(&s, loader.load(row, c &* grid.stepW, T.self))
            c &+= 1
        }
    }
}
