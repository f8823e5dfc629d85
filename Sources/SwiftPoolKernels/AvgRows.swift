// Average pooling kernels: the same blocks and rows as MaxRows (arguments
// described there), plus the block's divisor (>= 1; its windows all share it).
//
// Bitwise contract with the reference: each output is
//   Element((((0.0 + tap0) + tap1) + ...) / divisor)
// in Double, taps in scan order. Vector lanes hold different outputs (or
// channels), each doing exactly that sequence, so vectorising changes nothing.
import SwiftPoolKernelABI

enum AvgRows {
    /// A channels-first block: rows of planes, or (one output per plane, global
    /// pooling) four planes at a time.
    @inline(never)
    static func channelsFirstBlock<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        // One output per plane (global pooling): lanes are planes.
        if shape.count == 1 && shape.rows == 1 && shape.planes >= T.lanes {
            strided(src, grid, shape.planes, shape.planeStride, divisor, dst, shape.outPlaneStride, T.self)
            return
        }
        // A column of edge outputs (one per row): lanes are rows.
        let column = shape.count == 1 && shape.rows >= T.lanes
        // Rows shorter than a vector but at least half one go in pairs (MaxRows).
        let pairs = shape.count < T.lanes && shape.count &* 2 >= T.lanes
            && (shape.stride == 1 || (shape.stride == 2 && grid.countW >= 2))
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

    /// Channels-last run: lanes are channels, in blocks of four vectors.
    @inline(__always)
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

    /// `count` windows `step` input positions apart (edge column rows, or planes),
    /// outputs `outStep` apart, lanes across them (MaxRows.strided).
    @inline(never)
    static func strided<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ step: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _ outStep: Int, _: T.Type
    ) {
        let lanes = T.lanes
        var k = 0
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
