// Average pooling microkernels: the same runs as MaxRows (arguments described
// there), plus the run's divisor (>= 1; every window of a run has the same one).
//
// Bitwise contract with the reference: each output is
//   Element((((0.0 + tap0) + tap1) + ...) / divisor)
// in Double, taps in scan order. Vector lanes hold different outputs (or
// channels), each doing exactly that sequence, so vectorising changes nothing.
import SwiftPoolKernelABI

enum AvgRows {
    @inline(never)
    static func channelsFirst<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ stride: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        if count >= T.lanes {
            if stride == 1 {
                vectorRun(src, grid, count, divisor, dst, T.self, UnitStride.self)
                return
            }
            if stride == 2 && grid.countW >= 2 {
                vectorRun(src, grid, count, divisor, dst, T.self, DoubleStride.self)
                return
            }
        }
        var j = 0
        while j < count {
            let w = src + j &* stride
            var sum = 0.0
            forEachTap(grid, skipFirst: false) { off in sum += w[off].wide }
            dst[j] = T(wide: sum / divisor)
            j &+= 1
        }
    }

    @inline(__always)
    static func vectorRun<T: VectorElement, S: LaneLoader>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type, _: S.Type
    ) {
        if grid.stepW == 1 && grid.countW == 3 {
            vectorRun(src, grid, count, divisor, dst, T.self, S.self, ThreeTapRow.self)
        } else if grid.stepW == 1 && grid.countW == 2 {
            vectorRun(src, grid, count, divisor, dst, T.self, S.self, TwoTapRow.self)
        } else {
            vectorRun(src, grid, count, divisor, dst, T.self, S.self, AnyTapRow.self)
        }
    }

    @inline(never)
    static func vectorRun<T: VectorElement, S: LaneLoader, Shape: RowShape>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type, _: S.Type, _: Shape.Type
    ) {
        let lanes = T.lanes
        var j = 0
        while j < count {
            let j0 = Swift.min(j, count &- lanes)
            let base = src + j0 &* S.stride
            var sum = T.zeroSum
            forEachWindowRow(grid) { off, _ in Shape.sum(&sum, base + off, grid, T.self, S.self) }
            T.store(S.natural(T.average(sum, divisor), T.self), dst + j0)
            j = j0 &+ lanes
        }
    }

    /// Channels-last run: lanes are channels, in blocks of four vectors.
    @inline(never)
    static func channelsLast<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ count: Int, _ stride: Int,
        _ divisor: Double, _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        let lanes = T.lanes, C = channels
        let elementGrid = TapGrid(countD: grid.countD, countH: grid.countH, countW: grid.countW,
                                  stepD: grid.stepD &* C, stepH: grid.stepH &* C, stepW: grid.stepW &* C)
        var j = 0
        while j < count {
            let w = src + j &* stride &* C
            let out = dst + j &* C
            if C >= lanes {
                var c0 = 0
                while c0 &+ 4 &* lanes <= C {
                    let b = w + c0
                    var s0 = T.zeroSum, s1 = T.zeroSum, s2 = T.zeroSum, s3 = T.zeroSum
                    forEachTap(elementGrid, skipFirst: false) { off in
                        let t = b + off
                        T.accumulate(&s0, T.load(t))
                        T.accumulate(&s1, T.load(t + lanes))
                        T.accumulate(&s2, T.load(t + 2 &* lanes))
                        T.accumulate(&s3, T.load(t + 3 &* lanes))
                    }
                    let o = out + c0
                    T.store(T.average(s0, divisor), o)
                    T.store(T.average(s1, divisor), o + lanes)
                    T.store(T.average(s2, divisor), o + 2 &* lanes)
                    T.store(T.average(s3, divisor), o + 3 &* lanes)
                    c0 &+= 4 &* lanes
                }
                while c0 < C {
                    // The last block overlaps the previous one when C is not a multiple of lanes.
                    let c = Swift.min(c0, C &- lanes)
                    let b = w + c
                    var s = T.zeroSum
                    forEachTap(elementGrid, skipFirst: false) { off in T.accumulate(&s, T.load(b + off)) }
                    T.store(T.average(s, divisor), out + c)
                    c0 = c &+ lanes
                }
            } else {
                var c = 0
                while c < C {
                    let wc = w + c
                    var sum = 0.0
                    forEachTap(elementGrid, skipFirst: false) { off in sum += wc[off].wide }
                    out[c] = T(wide: sum / divisor)
                    c &+= 1
                }
            }
            j &+= 1
        }
    }

    /// Channels-first, one output per plane (global average pooling); four planes'
    /// independent sums are interleaved.
    @inline(never)
    static func planes<T: VectorElement>(
        _ src: UnsafePointer<T>, _ planeStride: Int, _ planes: Int, _ grid: TapGrid, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        var p = 0
        while p &+ 4 <= planes {
            let s0 = src + p &* planeStride, s1 = s0 + planeStride, s2 = s1 + planeStride, s3 = s2 + planeStride
            var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
            forEachTap(grid, skipFirst: false) { off in
                a0 += s0[off].wide; a1 += s1[off].wide; a2 += s2[off].wide; a3 += s3[off].wide
            }
            dst[p] = T(wide: a0 / divisor); dst[p &+ 1] = T(wide: a1 / divisor)
            dst[p &+ 2] = T(wide: a2 / divisor); dst[p &+ 3] = T(wide: a3 / divisor)
            p &+= 4
        }
        while p < planes {
            let s = src + p &* planeStride
            var a = 0.0
            forEachTap(grid, skipFirst: false) { off in a += s[off].wide }
            dst[p] = T(wide: a / divisor)
            p &+= 1
        }
    }
}
