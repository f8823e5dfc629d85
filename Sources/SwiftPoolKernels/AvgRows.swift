// Average pooling kernels: the same blocks and rows as MaxRows (arguments
// described there), plus the block's divisor (>= 1; its windows all share it).
//
// Bitwise contract with the reference: each output is
//   Element((((0.0 + tap0) + tap1) + ...) / divisor)
// in Double, taps in scan order. Vector lanes hold different outputs (or
// channels), each doing exactly that sequence, so vectorising changes nothing.
import SwiftPoolKernelABI
import _SwiftPoolCPU

enum AvgRows {
    /// A channels-first block: rows of planes, or (one output per plane, global
    /// pooling) four planes at a time.
    @inline(never)
    static func channelsFirstBlock<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        // One output per plane (global pooling): eight planes' sums at a time, each a
        // scalar chain (the planes are read one after the other, in memory order).
        if shape.count == 1 && shape.rows == 1 && shape.planes >= 8 {
            planes(src, grid, shape.planes, shape.planeStride, divisor, dst, shape.outPlaneStride, T.self)
            return
        }
        // A column of edge outputs (one per row): lanes are rows.
        let column = shape.count == 1 && shape.rows >= T.lanes
        // Rows shorter than a vector but at least half one go in pairs (MaxRows).
        let pairs = shape.count < T.lanes && shape.count &* 2 >= T.lanes
            && (shape.stride == 1 || (shape.stride == 2 && grid.countW >= 2))
        // Float rows at stride 1: each input row is widened to Double once per output
        // row, not once per tap (conversions, not additions, were the bottleneck).
        if T.widens && shape.stride == 1 && shape.count >= T.lanes && grid.countD == 1
            && grid.countH &* ((shape.count &- 1) &+ (grid.countW &- 1) &* grid.stepW &+ 1) <= DoubleScratch.capacity {
            DoubleScratch.with { buffer in
                for p in 0..<shape.planes {
                    for r in 0..<shape.rows {
                        widenedRun(buffer, src + (p &* shape.planeStride &+ r &* shape.rowStride), grid, shape.count,
                                   divisor, dst + (p &* shape.outPlaneStride &+ r &* shape.outRowStride), T.self)
                    }
                }
            }
            return
        }
        var p = 0
        while p < shape.planes {
            let plane = src + p &* shape.planeStride, out = p &* shape.outPlaneStride
            var r = 0
            if column {
                strided(plane, grid, shape.rows, shape.rowStride, divisor, dst + out, shape.outRowStride, T.self)
            } else if pairs {
                while r < shape.rows {
                    let r0 = Swift.max(0, Swift.min(r, shape.rows &- 2)), r1 = Swift.min(r0 &+ 1, shape.rows &- 1)
                    let second = (r1 &- r0) &* shape.rowStride, secondOutput = (r1 &- r0) &* shape.outRowStride
                    let output = out &+ r0 &* shape.outRowStride
                    if shape.stride == 1 {
                        vectorRun(plane + r0 &* shape.rowStride, grid, shape.count, divisor, dst + output, T.self,
                                  UnitStridePairs(second: second, secondOutput: secondOutput))
                    } else {
                        vectorRun(plane + r0 &* shape.rowStride, grid, shape.count, divisor, dst + output, T.self,
                                  DoubleStridePairs(second: second, secondOutput: secondOutput))
                    }
                    r = r0 &+ 2
                }
            } else {
                while r < shape.rows {
                    channelsFirst(plane + r &* shape.rowStride, grid, shape.count, shape.stride, divisor,
                                  dst + (out &+ r &* shape.outRowStride), T.self)
                    r &+= 1
                }
            }
            p &+= 1
        }
    }

    /// A channels-last block: rows of images.
    @inline(never)
    static func channelsLastBlock<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ shape: RunShape, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        var p = 0
        while p < shape.planes {
            var r = 0
            while r < shape.rows {
                let input = (p &* shape.planeStride &+ r &* shape.rowStride) &* channels
                let output = (p &* shape.outPlaneStride &+ r &* shape.outRowStride) &* channels
                channelsLast(src + input, grid, channels, shape.count, shape.stride, divisor, dst + output, T.self)
                r &+= 1
            }
            p &+= 1
        }
    }

    @inline(__always)
    static func channelsFirst<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ stride: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        if count >= T.lanes {
            if stride == 1 {
                vectorRun(src, grid, count, divisor, dst, T.self, UnitStride())
                return
            }
            if stride == 2 && grid.countW >= 2 {
                vectorRun(src, grid, count, divisor, dst, T.self, DoubleStride())
                return
            }
        }
        var j = 0
        while j < count {
            let w = src + j &* stride
            var sum = 0.0
            for off in TapOffsets(grid, skipFirst: false) { sum += w[off].wide }
            dst[j] = T(wide: sum / divisor)
            j &+= 1
        }
    }

    @inline(__always)
    static func vectorRun<T: VectorElement, S: LaneLoader>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type, _ loader: S
    ) {
        if grid.stepW == 1 && grid.countW == 3 {
            vectorRun(src, grid, count, divisor, dst, T.self, loader, ThreeTapRow.self)
        } else if grid.stepW == 1 && grid.countW == 2 {
            vectorRun(src, grid, count, divisor, dst, T.self, loader, TwoTapRow.self)
        } else {
            vectorRun(src, grid, count, divisor, dst, T.self, loader, AnyTapRow.self)
        }
    }

    @inline(never)
    static func vectorRun<T: VectorElement, S: LaneLoader, Shape: RowShape>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type, _ loader: S, _: Shape.Type
    ) {
        let width = S.width(T.self)
        var j = 0
        // Two vectors at a time: their independent add chains overlap.
        while j &+ 2 &* width <= count {
            let base0 = src + j &* S.stride, base1 = base0 + width &* S.stride
            var sum0 = T.zeroSum, sum1 = T.zeroSum
            Shape.sum(&sum0, base0, grid, T.self, loader)
            Shape.sum(&sum1, base1, grid, T.self, loader)
            for off in LaterRows(grid) {
                Shape.sum(&sum0, base0 + off, grid, T.self, loader)
                Shape.sum(&sum1, base1 + off, grid, T.self, loader)
            }
            loader.store(T.average(sum0, divisor), dst + j)
            loader.store(T.average(sum1, divisor), dst + (j &+ width))
            j &+= 2 &* width
        }
        while j < count {
            let j0 = Swift.min(j, count &- width)
            let base = src + j0 &* S.stride
            var sum = T.zeroSum
            Shape.sum(&sum, base, grid, T.self, loader)
            for off in LaterRows(grid) { Shape.sum(&sum, base + off, grid, T.self, loader) }
            loader.store(T.average(sum, divisor), dst + j0)
            j = j0 &+ width
        }
    }

    /// One row of `count` outputs at stride 1 (count >= lanes, one D tap): the
    /// window rows' input segments are widened into `buffer`, then summed from there
    /// in scan order, exactly as the direct path does.
    @inline(never)
    static func widenedRun<T: VectorElement>(
        _ buffer: UnsafeMutablePointer<Double>, _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int,
        _ divisor: Double, _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        let lanes = T.lanes
        let segment = (count &- 1) &+ (grid.countW &- 1) &* grid.stepW &+ 1
        for a in 0..<grid.countH { T.widen(src + a &* grid.stepH, segment, buffer + a &* segment) }
        // Four vectors per pass, tap by tap: four independent addition chains. Their
        // starts are clamped to the last full vector (overlaps recompute outputs).
        let last = count &- lanes
        var j = 0
        while j < count {
            let j0 = Swift.min(j, last), j1 = Swift.min(j &+ lanes, last)
            let j2 = Swift.min(j &+ 2 &* lanes, last), j3 = Swift.min(j &+ 3 &* lanes, last)
            var s0 = T.zeroSum, s1 = T.zeroSum, s2 = T.zeroSum, s3 = T.zeroSum
            for a in 0..<grid.countH {
                var tap = buffer + a &* segment
                for _ in 0..<grid.countW {
                    T.add(&s0, T.loadSum(tap + j0))
                    T.add(&s1, T.loadSum(tap + j1))
                    T.add(&s2, T.loadSum(tap + j2))
                    T.add(&s3, T.loadSum(tap + j3))
                    tap += grid.stepW
                }
            }
            T.store(T.average(s0, divisor), dst + j0)
            T.store(T.average(s1, divisor), dst + j1)
            T.store(T.average(s2, divisor), dst + j2)
            T.store(T.average(s3, divisor), dst + j3)
            j &+= 4 &* lanes
        }
    }

    /// Channels-last run: lanes are channels, in blocks of four vectors.
    @inline(__always)
    static func channelsLast<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ count: Int, _ stride: Int,
        _ divisor: Double, _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        let lanes = T.lanes, C = channels
        let elementGrid = TapGrid(countD: grid.countD, countH: grid.countH, countW: grid.countW,
                                  stepD: grid.stepD &* C, stepH: grid.stepH &* C, stepW: grid.stepW &* C)
        if T.widens && stride == 1 && grid.countW == 3 && grid.stepW == 1 && count >= 4 && C >= lanes {
            groupedRun(src, grid, elementGrid, C, count, divisor, dst, T.self)
            return
        }
        var j = 0
        while j < count {
            let w = src + j &* stride &* C
            let out = dst + j &* C
            if C >= lanes {
                var c0 = 0
                while c0 &+ 4 &* lanes <= C {
                    let b = w + c0
                    var s0 = T.zeroSum, s1 = T.zeroSum, s2 = T.zeroSum, s3 = T.zeroSum
                    for off in TapOffsets(elementGrid, skipFirst: false) {
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
                    for off in TapOffsets(elementGrid, skipFirst: false) { T.accumulate(&s, T.load(b + off)) }
                    T.store(T.average(s, divisor), out + c)
                    c0 = c &+ lanes
                }
            } else {
                var c = 0
                while c < C {
                    let wc = w + c
                    var sum = 0.0
                    for off in TapOffsets(elementGrid, skipFirst: false) { sum += wc[off].wide }
                    out[c] = T(wide: sum / divisor)
                    c &+= 1
                }
            }
            j &+= 1
        }
    }

    /// One output per plane: eight independent scalar sums interleaved. When the
    /// window is a contiguous range of the plane (global pooling) and T is Float,
    /// the eight planes' taps are first widened to Double with vector conversions
    /// into a stack buffer (scalar conversions would be the bottleneck).
    @inline(never)
    static func planes<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ step: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _ outStep: Int, _: T.Type
    ) {
        let taps = grid.countD &* grid.countH &* grid.countW
        let contiguous = grid.stepW == 1 && grid.stepH == grid.countW
            && (grid.countD == 1 || grid.stepD == grid.countH &* grid.countW)
        if T.widens && contiguous && 8 &* taps <= DoubleScratch.capacity {
            DoubleScratch.with { buffer in
                var k = 0
                while k < count {
                    let k0 = Swift.min(k, count &- 8)
                    let p = src + k0 &* step
                    prefetchPlanes(p + 16 &* step, k0 &+ 24 <= count ? 8 &* step : 0, T.self)
                    for i in 0..<8 { T.widen(p + i &* step, taps, buffer + i &* taps) }
                    var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0, a5 = 0.0, a6 = 0.0, a7 = 0.0
                    var t = 0
                    while t < taps {
                        let q = buffer + t
                        a0 += q[0]; a1 += q[taps]; a2 += q[2 &* taps]; a3 += q[3 &* taps]
                        a4 += q[4 &* taps]; a5 += q[5 &* taps]; a6 += q[6 &* taps]; a7 += q[7 &* taps]
                        t &+= 1
                    }
                    store8(a0, a1, a2, a3, a4, a5, a6, a7, divisor, dst + k0 &* outStep, outStep)
                    k = k0 &+ 8
                }
            }
            return
        }
        var k = 0
        while k < count {
            let k0 = Swift.min(k, count &- 8)
            let p = src + k0 &* step
            prefetchPlanes(p + 16 &* step, k0 &+ 24 <= count ? 8 &* step : 0, T.self)
            var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0, a5 = 0.0, a6 = 0.0, a7 = 0.0
            for off in TapOffsets(grid, skipFirst: false) {
                let q = p + off
                a0 += q[0].wide; a1 += q[step].wide; a2 += q[2 &* step].wide; a3 += q[3 &* step].wide
                a4 += q[4 &* step].wide; a5 += q[5 &* step].wide; a6 += q[6 &* step].wide; a7 += q[7 &* step].wide
            }
            store8(a0, a1, a2, a3, a4, a5, a6, a7, divisor, dst + k0 &* outStep, outStep)
            k = k0 &+ 8
        }
    }

    /// Prefetches `count` elements from p: planes are read once, in an order (tap
    /// by tap across eight planes) the hardware prefetcher follows poorly.
    @inline(__always)
    static func prefetchPlanes<T>(_ p: UnsafePointer<T>, _ count: Int, _: T.Type) {
        let bytes = count &* MemoryLayout<T>.stride
        var b = 0
        while b < bytes { spcpu_prefetch(UnsafeRawPointer(p) + b); b &+= 64 }
    }

    @inline(__always)
    static func store8<T: VectorElement>(_ a0: Double, _ a1: Double, _ a2: Double, _ a3: Double, _ a4: Double,
                                         _ a5: Double, _ a6: Double, _ a7: Double, _ divisor: Double,
                                         _ o: UnsafeMutablePointer<T>, _ outStep: Int) {
        o[0] = T(wide: a0 / divisor); o[outStep] = T(wide: a1 / divisor)
        o[2 &* outStep] = T(wide: a2 / divisor); o[3 &* outStep] = T(wide: a3 / divisor)
        o[4 &* outStep] = T(wide: a4 / divisor); o[5 &* outStep] = T(wide: a5 / divisor)
        o[6 &* outStep] = T(wide: a6 / divisor); o[7 &* outStep] = T(wide: a7 / divisor)
    }

    /// Channels-last, 3 taps wide at stride 1: four neighbouring outputs at a time
    /// share the six input columns their windows cover, so each column is widened
    /// once for all of them (instead of once per window). Each output still adds
    /// its taps in scan order: rows in order, and a row's columns left to right.
    @inline(never)
    static func groupedRun<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ elementGrid: TapGrid, _ C: Int, _ count: Int,
        _ divisor: Double, _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        let lanes = T.lanes
        var j = 0
        while j < count {
            let j0 = Swift.min(j, count &- 4)
            var c = 0
            while c < C {
                let c0 = Swift.min(c, C &- lanes)
                let base = src + (j0 &* C &+ c0)
                var s0 = T.zeroSum, s1 = T.zeroSum, s2 = T.zeroSum, s3 = T.zeroSum
                var rowOffset = 0, rows = LaterRows(elementGrid)
                while true {
                    let row = base + rowOffset
                    let v0 = T.widen(T.load(row)), v1 = T.widen(T.load(row + C))
                    let v2 = T.widen(T.load(row + 2 &* C)), v3 = T.widen(T.load(row + 3 &* C))
                    let v4 = T.widen(T.load(row + 4 &* C)), v5 = T.widen(T.load(row + 5 &* C))
                    T.add(&s0, v0); T.add(&s0, v1); T.add(&s0, v2)
                    T.add(&s1, v1); T.add(&s1, v2); T.add(&s1, v3)
                    T.add(&s2, v2); T.add(&s2, v3); T.add(&s2, v4)
                    T.add(&s3, v3); T.add(&s3, v4); T.add(&s3, v5)
                    guard let next = rows.next() else { break }
                    rowOffset = next
                }
                let out = dst + (j0 &* C &+ c0)
                T.store(T.average(s0, divisor), out)
                T.store(T.average(s1, divisor), out + C)
                T.store(T.average(s2, divisor), out + 2 &* C)
                T.store(T.average(s3, divisor), out + 3 &* C)
                c = c0 &+ lanes
            }
            j = j0 &+ 4
        }
    }

    /// `count` windows `step` input positions apart (edge column rows, or planes),
    /// outputs `outStep` apart, lanes across them (MaxRows.strided).
    @inline(never)
    static func strided<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ step: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _ outStep: Int, _: T.Type
    ) {
        let lanes = T.lanes
        var k = 0
        // Two vectors at a time: a sum is one chain of dependent additions per lane,
        // as long as the window; two chains hide each other's latency.
        while k &+ 2 &* lanes <= count {
            let base0 = src + k &* step, base1 = base0 + lanes &* step
            var sum0 = T.zeroSum, sum1 = T.zeroSum
            for off in TapOffsets(grid, skipFirst: false) {
                T.accumulate(&sum0, T.gather(base0 + off, step))
                T.accumulate(&sum1, T.gather(base1 + off, step))
            }
            T.scatter(T.average(sum0, divisor), dst + k &* outStep, outStep)
            T.scatter(T.average(sum1, divisor), dst + (k &+ lanes) &* outStep, outStep)
            k &+= 2 &* lanes
        }
        while k < count {
            let k0 = Swift.min(k, count &- lanes)
            let base = src + k0 &* step
            var sum = T.zeroSum
            for off in TapOffsets(grid, skipFirst: false) { T.accumulate(&sum, T.gather(base + off, step)) }
            T.scatter(T.average(sum, divisor), dst + k0 &* outStep, outStep)
            k = k0 &+ lanes
        }
    }
}
