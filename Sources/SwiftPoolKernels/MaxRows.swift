// Max pooling microkernels. Each computes a run of outputs whose windows share one
// TapGrid (same real taps), output j's window starting `stride` positions after
// output j-1's. Callers (SwiftPool's Kernels layer) split rows into such runs.
//
// Bitwise contract with the reference: every output folds its taps in scan order
// with the rule's step, starting from the first tap. That equals the reference's
// start from -inf / NaN for a window with at least one real tap (PyTorch keeps the
// initial -inf and the first tap's index when every tap is -inf).
//
// Arguments (all kernels):
//   src       first real tap of output 0's window (channel 0 for channels-last)
//   grid      taps of every window in the run
//   count     outputs in the run (>= 1)
//   stride    positions between consecutive windows
//   dst       output 0 (channels-first: consecutive outputs; channels-last: C apart)
//   indices   argmax positions, same layout as dst, or nil (then never computed)
//   position  plane position of output 0's first tap (row-major within its (n, c) plane)
import SwiftPoolKernelABI

enum MaxRows {
    /// Channels-first run: lanes are consecutive outputs of one row. Stride 1 and 2
    /// use vector loads (stride 2 needs a window at least two columns wide, so
    /// that its double-width loads end inside the last window); other strides and
    /// runs shorter than a vector are scalar. A run length that is not a multiple of
    /// the lane count ends with a vector that overlaps the previous one (the
    /// overlapped outputs are written twice, with the same values), so nothing past
    /// the run's last window is read.
    ///
    /// Without indices, lanes first take one max instruction per tap and check that
    /// no tap is NaN; a vector that met a NaN is recomputed with the NaN rule.
    @inline(never)
    static func channelsFirst<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ stride: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        if count >= T.lanes
            && (indices == nil || position &+ (count &- 1) &* stride &+ grid.span <= T.maxVectorPosition) {
            if stride == 1 {
                vectorRun(src, grid, count, dst, indices, position, T.self, R.self, UnitStride.self)
                return
            }
            if stride == 2 && grid.countW >= 2 {
                vectorRun(src, grid, count, dst, indices, position, T.self, R.self, DoubleStride.self)
                return
            }
        }
        var j = 0
        while j < count {
            let w = src + j &* stride
            var m = w[0], best = 0
            forEachTap(grid, skipFirst: true) { off in
                let v = w[off]
                let take = R.replaces(v, m)
                m = take ? v : m
                best = take ? off : best
            }
            dst[j] = m
            indices?[j] = Int64(position &+ j &* stride &+ best)
            j &+= 1
        }
    }

    /// Picks the row shape (2 or 3 adjacent taps, or any) of a vector run.
    @inline(__always)
    static func vectorRun<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type, _: S.Type
    ) {
        if grid.stepW == 1 && grid.countW == 3 {
            vectorRun(src, grid, count, dst, indices, position, T.self, R.self, S.self, ThreeTapRow.self)
        } else if grid.stepW == 1 && grid.countW == 2 {
            vectorRun(src, grid, count, dst, indices, position, T.self, R.self, S.self, TwoTapRow.self)
        } else {
            vectorRun(src, grid, count, dst, indices, position, T.self, R.self, S.self, AnyTapRow.self)
        }
    }

    @inline(never)
    static func vectorRun<T: VectorElement, R: VectorMaxRule, S: LaneLoader, Shape: RowShape>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type, _: S.Type, _: Shape.Type
    ) {
        let lanes = T.lanes
        var j = 0
        if let indices {
            while j < count {
                let j0 = Swift.min(j, count &- lanes)
                let base = src + j0 &* S.stride
                let first = S.positions(position &+ j0 &* S.stride, T.self)
                var m = S.load(base, 0, T.self)
                var index = first
                forEachWindowRow(grid) { off, isFirst in
                    Shape.maxIndexed(&m, &index, base + off, T.add(first, T.positionSplat(off)), grid,
                                     first: isFirst, T.self, R.self, S.self)
                }
                T.store(S.natural(m, T.self), dst + j0)
                T.storePositions(S.natural(index, T.self), indices + j0)
                j = j0 &+ lanes
            }
        } else {
            while j < count {
                let j0 = Swift.min(j, count &- lanes)
                let base = src + j0 &* S.stride
                var m = S.load(base, 0, T.self)
                var ok = T.allOrdered
                forEachWindowRow(grid) { off, isFirst in
                    Shape.maxFast(&m, &ok, base + off, grid, first: isFirst, T.self, S.self)
                }
                if !T.all(ok) {
                    forEachWindowRow(grid) { off, isFirst in
                        Shape.maxExact(&m, base + off, grid, first: isFirst, T.self, R.self, S.self)
                    }
                }
                T.store(S.natural(m, T.self), dst + j0)
                j = j0 &+ lanes
            }
        }
    }

    /// Channels-last run: lanes are channels. Blocks of four vectors keep four
    /// running maxima in registers over all taps; a channel count that is not a
    /// multiple of the lane count ends with an overlapping vector.
    @inline(never)
    static func channelsLast<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ count: Int, _ stride: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        let lanes = T.lanes, C = channels
        let elementGrid = TapGrid(countD: grid.countD, countH: grid.countH, countW: grid.countW,
                                  stepD: grid.stepD &* C, stepH: grid.stepH &* C, stepW: grid.stepW &* C)
        var j = 0
        while j < count {
            let w = src + j &* stride &* C
            let out = dst + j &* C
            let pos = position &+ j &* stride
            if C >= lanes && (indices == nil || pos &+ grid.span <= T.maxVectorPosition) {
                if let indices {
                    let idx = indices + j &* C
                    var c0 = 0
                    while c0 &+ lanes <= C {
                        channelBlockIndexed(w + c0, grid, elementGrid, out + c0, idx + c0, pos, T.self, R.self)
                        c0 &+= lanes
                    }
                    if c0 < C {
                        channelBlockIndexed(w + (C &- lanes), grid, elementGrid, out + (C &- lanes),
                                            idx + (C &- lanes), pos, T.self, R.self)
                    }
                } else {
                    var c0 = 0
                    while c0 &+ 4 &* lanes <= C {
                        channelBlock4(w + c0, elementGrid, out + c0, T.self, R.self)
                        c0 &+= 4 &* lanes
                    }
                    while c0 &+ lanes <= C {
                        channelBlock1(w + c0, elementGrid, out + c0, T.self, R.self)
                        c0 &+= lanes
                    }
                    if c0 < C { channelBlock1(w + (C &- lanes), elementGrid, out + (C &- lanes), T.self, R.self) }
                }
            } else {
                var c = 0
                while c < C {
                    let wc = w + c
                    var m = wc[0], best = 0
                    forEachTap(grid, elementGrid, skipFirst: true) { off, element in
                        let v = wc[element]
                        let take = R.replaces(v, m)
                        m = take ? v : m
                        best = take ? off : best
                    }
                    out[c] = m
                    indices?[j &* C &+ c] = Int64(pos &+ best)
                    c &+= 1
                }
            }
            j &+= 1
        }
    }

    /// Four vectors of channels over all taps: max instructions plus a NaN check,
    /// recomputed with the NaN rule if any tap was NaN.
    @inline(__always)
    static func channelBlock4<T: VectorElement, R: VectorMaxRule>(
        _ w: UnsafePointer<T>, _ elementGrid: TapGrid, _ out: UnsafeMutablePointer<T>, _: T.Type, _: R.Type
    ) {
        let l = T.lanes
        var m0 = T.load(w), m1 = T.load(w + l), m2 = T.load(w + 2 &* l), m3 = T.load(w + 3 &* l)
        var ok = T.and(T.ordered(m0, m1), T.ordered(m2, m3))
        forEachTap(elementGrid, skipFirst: true) { off in
            let t = w + off
            let v0 = T.load(t), v1 = T.load(t + l), v2 = T.load(t + 2 &* l), v3 = T.load(t + 3 &* l)
            m0 = T.maxNumber(m0, v0)
            m1 = T.maxNumber(m1, v1)
            m2 = T.maxNumber(m2, v2)
            m3 = T.maxNumber(m3, v3)
            ok = T.and(ok, T.and(T.ordered(v0, v1), T.ordered(v2, v3)))
        }
        if !T.all(ok) {
            m0 = T.load(w); m1 = T.load(w + l); m2 = T.load(w + 2 &* l); m3 = T.load(w + 3 &* l)
            forEachTap(elementGrid, skipFirst: true) { off in
                let t = w + off
                m0 = R.step(m0, T.load(t), T.self)
                m1 = R.step(m1, T.load(t + l), T.self)
                m2 = R.step(m2, T.load(t + 2 &* l), T.self)
                m3 = R.step(m3, T.load(t + 3 &* l), T.self)
            }
        }
        T.store(m0, out); T.store(m1, out + l); T.store(m2, out + 2 &* l); T.store(m3, out + 3 &* l)
    }

    @inline(__always)
    static func channelBlock1<T: VectorElement, R: VectorMaxRule>(
        _ w: UnsafePointer<T>, _ elementGrid: TapGrid, _ out: UnsafeMutablePointer<T>, _: T.Type, _: R.Type
    ) {
        var m = T.load(w)
        var ok = T.ordered(m, m)
        forEachTap(elementGrid, skipFirst: true) { off in
            let v = T.load(w + off)
            m = T.maxNumber(m, v)
            ok = T.and(ok, T.ordered(v, v))
        }
        if !T.all(ok) {
            m = T.load(w)
            forEachTap(elementGrid, skipFirst: true) { off in m = R.step(m, T.load(w + off), T.self) }
        }
        T.store(m, out)
    }

    @inline(__always)
    static func channelBlockIndexed<T: VectorElement, R: VectorMaxRule>(
        _ w: UnsafePointer<T>, _ grid: TapGrid, _ elementGrid: TapGrid, _ out: UnsafeMutablePointer<T>,
        _ idx: UnsafeMutablePointer<Int64>, _ pos: Int, _: T.Type, _: R.Type
    ) {
        var m = T.load(w)
        var index = T.positionSplat(pos)
        forEachTap(grid, elementGrid, skipFirst: true) { off, element in
            R.step(&m, &index, T.load(w + element), T.positionSplat(pos &+ off), T.self)
        }
        T.store(m, out)
        T.storePositions(index, idx)
    }

    /// Channels-first, one output per plane (global pooling): `planes` windows
    /// `planeStride` elements apart, outputs consecutive. Four planes are folded
    /// together so that their independent chains overlap in the pipeline.
    @inline(never)
    static func planes<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ planeStride: Int, _ planes: Int, _ grid: TapGrid,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        var p = 0
        while p &+ 4 <= planes {
            let s0 = src + p &* planeStride, s1 = s0 + planeStride, s2 = s1 + planeStride, s3 = s2 + planeStride
            var m0 = s0[0], m1 = s1[0], m2 = s2[0], m3 = s3[0]
            var b0 = 0, b1 = 0, b2 = 0, b3 = 0
            forEachTap(grid, skipFirst: true) { off in
                let v0 = s0[off], v1 = s1[off], v2 = s2[off], v3 = s3[off]
                let k0 = R.replaces(v0, m0), k1 = R.replaces(v1, m1)
                let k2 = R.replaces(v2, m2), k3 = R.replaces(v3, m3)
                m0 = k0 ? v0 : m0; b0 = k0 ? off : b0
                m1 = k1 ? v1 : m1; b1 = k1 ? off : b1
                m2 = k2 ? v2 : m2; b2 = k2 ? off : b2
                m3 = k3 ? v3 : m3; b3 = k3 ? off : b3
            }
            dst[p] = m0; dst[p &+ 1] = m1; dst[p &+ 2] = m2; dst[p &+ 3] = m3
            if let indices {
                indices[p] = Int64(position &+ b0); indices[p &+ 1] = Int64(position &+ b1)
                indices[p &+ 2] = Int64(position &+ b2); indices[p &+ 3] = Int64(position &+ b3)
            }
            p &+= 4
        }
        while p < planes {
            let s = src + p &* planeStride
            var m = s[0], best = 0
            forEachTap(grid, skipFirst: true) { off in
                let v = s[off]
                let take = R.replaces(v, m)
                m = take ? v : m
                best = take ? off : best
            }
            dst[p] = m
            indices?[p] = Int64(position &+ best)
            p &+= 1
        }
    }
}

/// Calls `body(offset)` for every tap of `grid` in scan order (D, H, W), offsets in
/// the grid's own units; `skipFirst` leaves out tap (0, 0, 0).
@inline(__always)
func forEachTap(_ grid: TapGrid, skipFirst: Bool, _ body: (Int) -> Void) {
    var a = 0
    while a < grid.countD {
        var b = 0
        while b < grid.countH {
            let row = a &* grid.stepD &+ b &* grid.stepH
            var c = skipFirst && a == 0 && b == 0 ? 1 : 0
            while c < grid.countW {
                body(row &+ c &* grid.stepW)
                c &+= 1
            }
            b &+= 1
        }
        a &+= 1
    }
}

/// As forEachTap, with two grids of equal counts walked together (plane positions
/// and element offsets of channels-last tensors).
@inline(__always)
func forEachTap(_ grid: TapGrid, _ elementGrid: TapGrid, skipFirst: Bool, _ body: (Int, Int) -> Void) {
    var a = 0
    while a < grid.countD {
        var b = 0
        while b < grid.countH {
            let row = a &* grid.stepD &+ b &* grid.stepH
            let elementRow = a &* elementGrid.stepD &+ b &* elementGrid.stepH
            var c = skipFirst && a == 0 && b == 0 ? 1 : 0
            while c < grid.countW {
                body(row &+ c &* grid.stepW, elementRow &+ c &* elementGrid.stepW)
                c &+= 1
            }
            b &+= 1
        }
        a &+= 1
    }
}
