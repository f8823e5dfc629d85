// Average pooling kernels: the same blocks and rows as MaxRows (arguments
// described there), plus the block's divisor (>= 1; its windows all share it).
//
// Bitwise contract with the reference (and PyTorch's avg_pool): each output is
//   (((0 + tap0) + tap1) + ...) / divisor
// in the element's own precision (PyTorch's opmath for Float and Double), taps in
// scan order. Vector lanes hold different outputs (or channels), each doing
// exactly that sequence, so vectorising changes nothing.
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
            scalarSums(src, grid, shape.planes, shape.planeStride, divisor, dst, shape.outPlaneStride,
                       prefetch: true, T.self)
            return
        }
        // A column of edge outputs (one per row): scalar sums.
        let column = shape.count == 1 && shape.rows >= T.lanes
        // Rows shorter than a vector but at least half one go in pairs (MaxRows).
        let pairs = shape.count < T.lanes && shape.count &* 2 >= T.lanes
            && (shape.stride == 1 || (shape.stride == 2 && grid.countW >= 2))
        var p = 0
        while p < shape.planes {
            let plane = src + p &* shape.planeStride, out = p &* shape.outPlaneStride
            var r = 0
            if column {
                scalarSums(plane, grid, shape.rows, shape.rowStride, divisor, dst + out, shape.outRowStride,
                           prefetch: false, T.self)
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
            var sum: T = 0
            for off in TapOffsets(grid, skipFirst: false) { sum += w[off] }
            dst[j] = sum / T(divisor)
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

    /// Channels-last run: lanes are channels, in blocks of four vectors.
    @inline(__always)
    static func channelsLast<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ count: Int, _ stride: Int,
        _ divisor: Double, _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        let lanes = T.lanes, C = channels
        let elementGrid = TapGrid(countD: grid.countD, countH: grid.countH, countW: grid.countW,
                                  stepD: grid.stepD &* C, stepH: grid.stepH &* C, stepW: grid.stepW &* C)
        if C >= wideChannels && C <= maxAccumulators && grid.countD &* grid.countH &* grid.countW >= 16 {
            withStackScratch(of: T.self, capacity: C) { buffer in
                var j = 0
                while j < count {
                    tapsOuter(src + j &* stride &* C, elementGrid, C, divisor, dst + j &* C, buffer.baseAddress!)
                    j &+= 1
                }
            }
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
                    var sum: T = 0
                    for off in TapOffsets(elementGrid, skipFirst: false) { sum += wc[off] }
                    out[c] = sum / T(divisor)
                    c &+= 1
                }
            }
            j &+= 1
        }
    }

    /// Channel counts from which large channels-last windows sum tap by tap into a
    /// row of accumulators (tapsOuter), up to the row's size (<= 32 KiB of Float).
    static let wideChannels = 256
    static let maxAccumulators = 8192

    /// One channels-last window of many taps over many channels: taps outer, every
    /// channel inner, into `acc` (C elements). Each channel still sums its taps in
    /// scan order from +0, as channelsLast does; but the input is read as one stream
    /// per tap (a window's rows are C elements apart, often a multiple of 4 KiB:
    /// reading all taps of a few channels at once thrashes L1's sets). Taps go four
    /// at a time through registers: one load and store of `acc` per four taps (the
    /// first group starts from +0, the last divides and writes `out`).
    @inline(__always)
    static func tapsOuter<T: VectorElement>(
        _ w: UnsafePointer<T>, _ elementGrid: TapGrid, _ C: Int, _ divisor: Double,
        _ out: UnsafeMutablePointer<T>, _ acc: UnsafeMutablePointer<T>
    ) {
        var taps = TapOffsets(elementGrid, skipFirst: false)
        var next = taps.next()
        var first = true
        while let o0 = next {
            var group = (o0, o0, o0, o0), n = 1
            while n < 4, let o = taps.next() {
                switch n {
                case 1: group.1 = o
                case 2: group.2 = o
                default: group.3 = o
                }
                n &+= 1
            }
            next = n == 4 ? taps.next() : nil
            let last = next == nil
            switch n {
            case 4: tapGroup(w, group, 4, C, divisor, out, acc, first: first, last: last)
            case 3: tapGroup(w, group, 3, C, divisor, out, acc, first: first, last: last)
            case 2: tapGroup(w, group, 2, C, divisor, out, acc, first: first, last: last)
            default: tapGroup(w, group, 1, C, divisor, out, acc, first: first, last: last)
            }
            first = false
        }
    }

    /// `n` (1...4, a constant after inlining) taps at offsets `group` of every
    /// channel, added in order to `acc` (or to +0 when `first`); when `last`, the
    /// averages go to `out` instead.
    @inline(__always)
    static func tapGroup<T: VectorElement>(
        _ w: UnsafePointer<T>, _ group: (Int, Int, Int, Int), _ n: Int, _ C: Int, _ divisor: Double,
        _ out: UnsafeMutablePointer<T>, _ acc: UnsafeMutablePointer<T>, first: Bool, last: Bool
    ) {
        let lanes = T.lanes
        let t0 = w + group.0, t1 = w + group.1, t2 = w + group.2, t3 = w + group.3
        var c = 0
        while c &+ lanes <= C {
            var a = first ? T.zeroSum : T.load(acc + c)
            T.accumulate(&a, T.load(t0 + c))
            if n > 1 { T.accumulate(&a, T.load(t1 + c)) }
            if n > 2 { T.accumulate(&a, T.load(t2 + c)) }
            if n > 3 { T.accumulate(&a, T.load(t3 + c)) }
            if last { T.store(T.average(a, divisor), out + c) } else { T.store(a, acc + c) }
            c &+= lanes
        }
        let d = T(divisor)
        while c < C {
            var a: T = first ? 0 : acc[c]
            a += t0[c]
            if n > 1 { a += t1[c] }
            if n > 2 { a += t2[c] }
            if n > 3 { a += t3[c] }
            if last { out[c] = a / d } else { acc[c] = a }
            c &+= 1
        }
    }

    /// `count` windows `step` input positions apart, outputs `outStep` apart: one
    /// output per plane (global pooling: `prefetch`), or a column of edge outputs.
    /// Scalar sums, eight independent chains at a time, each in scan order: each
    /// tap is one load-and-add, cheaper than gathering windows into lanes.
    @inline(never)
    static func scalarSums<T: VectorElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ step: Int, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>, _ outStep: Int, prefetch: Bool, _: T.Type
    ) {
        let d = T(divisor)
        // Taps one run of the plane (global pooling): a plain loop over them.
        let taps = grid.countD &* grid.countH &* grid.countW
        let contiguous = grid.stepW == 1 && (grid.countH == 1 || grid.stepH == grid.countW)
            && (grid.countD == 1 || grid.stepD == grid.countH &* grid.countW)
        var k = 0
        while contiguous && k &+ 8 <= count {
            let p = src + k &* step
            if prefetch { prefetchPlanes(p + 16 &* step, k &+ 24 <= count ? 8 &* step : 0, T.self) }
            var a0: T = 0, a1: T = 0, a2: T = 0, a3: T = 0, a4: T = 0, a5: T = 0, a6: T = 0, a7: T = 0
            var t = 0
            while t < taps {
                let q = p + t
                a0 += q[0]; a1 += q[step]; a2 += q[2 &* step]; a3 += q[3 &* step]
                a4 += q[4 &* step]; a5 += q[5 &* step]; a6 += q[6 &* step]; a7 += q[7 &* step]
                t &+= 1
            }
            let o = dst + k &* outStep
            o[0] = a0 / d; o[outStep] = a1 / d; o[2 &* outStep] = a2 / d; o[3 &* outStep] = a3 / d
            o[4 &* outStep] = a4 / d; o[5 &* outStep] = a5 / d; o[6 &* outStep] = a6 / d; o[7 &* outStep] = a7 / d
            k &+= 8
        }
        while k &+ 8 <= count {
            let p = src + k &* step
            if prefetch { prefetchPlanes(p + 16 &* step, k &+ 24 <= count ? 8 &* step : 0, T.self) }
            var a0: T = 0, a1: T = 0, a2: T = 0, a3: T = 0, a4: T = 0, a5: T = 0, a6: T = 0, a7: T = 0
            for off in TapOffsets(grid, skipFirst: false) {
                let q = p + off
                a0 += q[0]; a1 += q[step]; a2 += q[2 &* step]; a3 += q[3 &* step]
                a4 += q[4 &* step]; a5 += q[5 &* step]; a6 += q[6 &* step]; a7 += q[7 &* step]
            }
            let o = dst + k &* outStep
            o[0] = a0 / d; o[outStep] = a1 / d; o[2 &* outStep] = a2 / d; o[3 &* outStep] = a3 / d
            o[4 &* outStep] = a4 / d; o[5 &* outStep] = a5 / d; o[6 &* outStep] = a6 / d; o[7 &* outStep] = a7 / d
            k &+= 8
        }
        while k < count {
            let p = src + k &* step
            var a: T = 0
            for off in TapOffsets(grid, skipFirst: false) { a += p[off] }
            dst[k &* outStep] = a / d
            k &+= 1
        }
    }

    /// Prefetches `count` elements from p: planes are read once, in an order (tap
    /// by tap across eight planes) the hardware prefetcher follows poorly.
    @inline(__always)
    static func prefetchPlanes<T>(_ p: UnsafePointer<T>, _ count: Int, _: T.Type) {
        if spcpu_prefetch_once_enabled() == 0 { return }  // non-temporal hints off (spcpu_nontemporal_hints)
        let bytes = count &* MemoryLayout<T>.stride
        var b = 0
        while b < bytes { spcpu_prefetch_once(UnsafeRawPointer(p) + b); b &+= 64 }
    }

    /// Whole small channels-first planes (PaddedPlanes): each plane is copied once
    /// into a zero-padded scratch plane, then every output sums all its kernel taps
    /// from there: full vectors on every row, no edge blocks, each input row read
    /// from L1. The zeros change no sum: a running sum starts at +0 and so is never
    /// -0, and s + 0 == s for every other s (NaN and infinities included), so each
    /// output is bitwise the sum of its real taps in scan order. The driver gives
    /// every output's divisor. 3x3 windows at stride 1 and padding 1 skip the copy
    /// for all but the range's first and last planes (directPlane): 8x192x28x28,
    /// count_include_pad=False, 440-452 -> 352-355 us at 1 thread, 231-239 ->
    /// 181-183 at 2 (interleaved).
    @inline(never)
    static func paddedPlanes<T: VectorElement>(
        _ src: UnsafePointer<T>, _ p: PaddedPlanes, _ divisors: UnsafePointer<T>,
        _ dst: UnsafeMutablePointer<T>, _: T.Type
    ) {
        let PW = p.scratchWidth, size = p.scratchRows &* PW
        let direct = T.lanes <= p.W && p.H >= 4 && p.kernelH == 3 && p.kernelW == 3 && p.strideH == 1
            && p.strideW == 1 && p.dilationH == 1 && p.dilationW == 1 && p.padTop == 1 && p.padLeft == 1
            && p.OH == p.H && p.OW == p.W
        // One temporary per call (a range of planes), on the stack when it fits; then
        // three lane masks for directPlane (all lanes, all but the first, all but the last).
        withStackScratch(of: T.self, capacity: size &+ 4 &* T.lanes) { buffer in
            let scratch = buffer.baseAddress!, tail = scratch + size
            scratch.initialize(repeating: 0, count: size &+ T.lanes)
            let masks = UnsafeMutableRawPointer(tail + T.lanes), vectorBytes = T.lanes &* MemoryLayout<T>.stride
            masks.initializeMemory(as: UInt8.self, repeating: 0xFF, count: 3 &* vectorBytes)
            (masks + vectorBytes).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.stride)
            (masks + (3 &* vectorBytes &- MemoryLayout<T>.stride))
                .initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.stride)
            let grid = TapGrid(countD: 1, countH: p.kernelH, countW: p.kernelW, stepD: 0,
                               stepH: p.dilationH &* PW, stepW: p.dilationW)
            for plane in 0..<p.planes {
                let input = src + plane &* p.inPlaneStride
                // The first and last planes of the range go through the scratch:
                // directPlane reads one element before and after its plane.
                if direct && plane > 0 && plane &+ 1 < p.planes {
                    // The scratch's first row is padding: zeros, never written.
                    directPlane(input, p, divisors, dst + plane &* p.outPlaneStride, UnsafePointer(scratch + 1),
                                UnsafeRawPointer(masks))
                    continue
                }
                var r = 0
                while r < p.H {
                    copyRow(input + r &* p.W, p.W, scratch + ((p.padTop &+ r) &* PW &+ p.padLeft))
                    r &+= 1
                }
                let output = dst + plane &* p.outPlaneStride
                // The next plane (a hint: any address), a slice per output row.
                let next = UnsafeRawPointer(input + p.inPlaneStride)
                if p.strideW == 1 {
                    paddedRows(scratch, p, grid, divisors, output, tail, UnitStride(), next)
                } else {
                    paddedRows(scratch, p, grid, divisors, output, tail, DoubleStride(), next)
                }
            }
        }
    }

    /// dst[0 ..< n] = src[0 ..< n] in vectors, the last one overlapping (rows are
    /// short: a memmove call per row costs more than the copy).
    @inline(__always)
    static func copyRow<T: VectorElement>(_ src: UnsafePointer<T>, _ n: Int, _ dst: UnsafeMutablePointer<T>) {
        if n < T.lanes {
            for k in 0..<n { dst[k] = src[k] }
            return
        }
        var i = 0
        while i < n {
            let j = Swift.min(i, n &- T.lanes)
            T.store(T.load(src + j), dst + j)
            i = j &+ T.lanes
        }
    }

    @inline(__always)
    static func paddedRows<T: VectorElement, S: DivisorLanes>(
        _ scratch: UnsafeMutablePointer<T>, _ p: PaddedPlanes, _ grid: TapGrid, _ divisors: UnsafePointer<T>,
        _ output: UnsafeMutablePointer<T>, _ tail: UnsafeMutablePointer<T>, _ loader: S, _ next: UnsafeRawPointer
    ) {
        if grid.stepW == 1 && grid.countW == 3 {
            paddedRows(scratch, p, grid, divisors, output, tail, loader, ThreeTapRow.self, next)
        } else if grid.stepW == 1 && grid.countW == 2 {
            paddedRows(scratch, p, grid, divisors, output, tail, loader, TwoTapRow.self, next)
        } else {
            paddedRows(scratch, p, grid, divisors, output, tail, loader, AnyTapRow.self, next)
        }
    }

    /// The output rows of one padded plane: four vectors per pass (independent
    /// addition chains), their starts clamped to the last full vector (overlaps
    /// recompute the same outputs); rows shorter than a vector go through `tail`.
    @inline(never)
    static func paddedRows<T: VectorElement, S: DivisorLanes, Shape: RowShape>(
        _ scratch: UnsafeMutablePointer<T>, _ p: PaddedPlanes, _ grid: TapGrid, _ divisors: UnsafePointer<T>,
        _ output: UnsafeMutablePointer<T>, _ tail: UnsafeMutablePointer<T>, _ loader: S, _: Shape.Type,
        _ next: UnsafeRawPointer
    ) {
        let width = S.width(T.self), OW = p.OW
        // The next plane's input, prefetched a slice per output row while this one
        // computes from L1: its copy into the scratch otherwise waited on memory
        // (8x192x28x28 k3 s1 p1: 1.73 -> 1.60 ms at 1 thread, 0.94 -> 0.85 at 2, on
        // an AVX2 EPYC with a third of this machine's bandwidth). Only where the
        // memory hints are on (spcpu_prefetch_once_enabled): on AMD family 19h the
        // hardware prefetcher keeps up and these prefetches cost time (the same
        // problem: 460-485 -> 438-447 us at 1 thread, 240-268 -> 234-258 at 2).
        let planeBytes = spcpu_prefetch_once_enabled() != 0 ? p.H &* p.W &* MemoryLayout<T>.stride : 0
        let sliceBytes = (planeBytes / Swift.max(p.OH, 1) &+ 63) & ~63
        var ahead = 0
        @inline(__always) func prefetchNext(_ rows: Int) {
            let end = Swift.min(ahead &+ rows &* sliceBytes, planeBytes)
            while ahead < end { spcpu_prefetch(next + ahead); ahead &+= 64 }
        }
        let rowStep = p.strideH &* p.scratchWidth
        var oh = 0
        // Kernel height 3, stride 1, dilation 1: four output rows per pass, each of the six input
        // rows they read loaded once for all the outputs it feeds (this machine's
        // loads, not its adders, bound the one-row loop).
        if OW >= width && p.strideH == 1 && grid.countD == 1 && grid.countH == 3 && grid.stepH == rowStep {
            while oh &+ 4 <= p.OH {
                prefetchNext(4)
                rowQuad(UnsafePointer(scratch + oh &* rowStep), p, grid, divisors + oh &* p.divisorRowStride,
                        output + oh &* OW, loader, Shape.self)
                oh &+= 4
            }
        }
        while oh < p.OH {
            defer { oh &+= 1 }
            prefetchNext(1)
            let row = UnsafePointer(scratch + oh &* rowStep)
            let d = divisors + oh &* p.divisorRowStride
            let out = output + oh &* OW
            if OW < width {
                var s = T.zeroSum
                Shape.sum(&s, row, grid, T.self, loader)
                for off in LaterRows(grid) { Shape.sum(&s, row + off, grid, T.self, loader) }
                loader.store(T.average(s, loader.lanes(d, T.self)), tail)
                for k in 0..<OW { out[k] = tail[k] }
                continue
            }
            let last = OW &- width
            var j = 0
            while j < OW {
                let j0 = Swift.min(j, last), j1 = Swift.min(j &+ width, last)
                let j2 = Swift.min(j &+ 2 &* width, last), j3 = Swift.min(j &+ 3 &* width, last)
                let b0 = row + j0 &* S.stride, b1 = row + j1 &* S.stride
                let b2 = row + j2 &* S.stride, b3 = row + j3 &* S.stride
                var s0 = T.zeroSum, s1 = T.zeroSum, s2 = T.zeroSum, s3 = T.zeroSum
                Shape.sum(&s0, b0, grid, T.self, loader)
                Shape.sum(&s1, b1, grid, T.self, loader)
                Shape.sum(&s2, b2, grid, T.self, loader)
                Shape.sum(&s3, b3, grid, T.self, loader)
                for off in LaterRows(grid) {
                    Shape.sum(&s0, b0 + off, grid, T.self, loader)
                    Shape.sum(&s1, b1 + off, grid, T.self, loader)
                    Shape.sum(&s2, b2 + off, grid, T.self, loader)
                    Shape.sum(&s3, b3 + off, grid, T.self, loader)
                }
                loader.store(T.average(s0, loader.lanes(d + j0, T.self)), out + j0)
                loader.store(T.average(s1, loader.lanes(d + j1, T.self)), out + j1)
                loader.store(T.average(s2, loader.lanes(d + j2, T.self)), out + j2)
                loader.store(T.average(s3, loader.lanes(d + j3, T.self)), out + j3)
                j &+= 4 &* width
            }
        }
    }
}

extension AvgRows {
    /// Output rows oh ..< oh + 4 of a padded plane, kernel height 3 and stride 1
    /// (OW >= one vector). Input row i feeds outputs i - 2 ... i; written out in
    /// input-row order, so each output still sums its rows top to bottom, and the
    /// compiler loads each tap of a row once for its (up to) three outputs. Two
    /// output columns at a time: eight independent addition chains.
    @inline(__always)
    static func rowQuad<T: VectorElement, S: DivisorLanes, Shape: RowShape>(
        _ row: UnsafePointer<T>, _ p: PaddedPlanes, _ grid: TapGrid, _ d: UnsafePointer<T>,
        _ out: UnsafeMutablePointer<T>, _ loader: S, _: Shape.Type
    ) {
        let width = S.width(T.self), OW = p.OW, last = OW &- width, h = grid.stepH
        let r0 = row, r1 = row + h, r2 = row + 2 &* h, r3 = row + 3 &* h, r4 = row + 4 &* h, r5 = row + 5 &* h
        var j = 0
        while j < OW {
            let j0 = Swift.min(j, last), j1 = Swift.min(j &+ width, last)
            let o = j0 &* S.stride, q = j1 &* S.stride
            var a0 = T.zeroSum, a1 = T.zeroSum, a2 = T.zeroSum, a3 = T.zeroSum
            var b0 = T.zeroSum, b1 = T.zeroSum, b2 = T.zeroSum, b3 = T.zeroSum
            // Input row r into output row k's sums of both columns (rows in input order).
            @inline(__always) func add(_ a: inout T.Vector, _ b: inout T.Vector, _ r: UnsafePointer<T>) {
                Shape.sum(&a, r + o, grid, T.self, loader)
                Shape.sum(&b, r + q, grid, T.self, loader)
            }
            feedQuad(r0, r1, r2, r3, r4, r5, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3, add)
            // Output row k, column j: its sum divided by its divisor.
            @inline(__always) func put(_ s: T.Vector, _ k: Int, _ j: Int) {
                loader.store(T.average(s, loader.lanes(d + (k &* p.divisorRowStride &+ j), T.self)), out + (k &* OW &+ j))
            }
            put(a0, 0, j0); put(b0, 0, j1); put(a1, 1, j0); put(b1, 1, j1)
            put(a2, 2, j0); put(b2, 2, j1); put(a3, 3, j0); put(b3, 3, j1)
            j &+= 2 &* width
        }
    }
}

extension AvgRows {
    /// One plane of a 3x3 window, stride 1, padding 1 (output size = input size,
    /// W >= one vector, H >= 4) straight from the input, without paddedPlanes'
    /// copy (a quarter of its time on 8x192x28x28): rows above and below the plane
    /// are `zero` (a row of zeros readable from index -1 to W), and the taps left
    /// of column 0 and right of column W - 1 are masked to +0. Reads input[-1] and
    /// input[H * W]. The same sums as paddedPlanes, so the same bits.
    @inline(never)
    static func directPlane<T: VectorElement>(
        _ input: UnsafePointer<T>, _ p: PaddedPlanes, _ divisors: UnsafePointer<T>,
        _ output: UnsafeMutablePointer<T>, _ zero: UnsafePointer<T>, _ masks: UnsafeRawPointer
    ) {
        let H = p.H, W = p.W
        @inline(__always) func row(_ i: Int) -> UnsafePointer<T> { i < 0 || i >= H ? zero : input + i &* W }
        var oh = 0
        while oh < H {
            // The last four rows may overlap the previous ones (the same outputs again).
            let o = Swift.min(oh, H &- 4)
            directQuad(row(o &- 1), row(o), row(o &+ 1), row(o &+ 2), row(o &+ 3), row(o &+ 4), p,
                       divisors + o &* p.divisorRowStride, output + o &* W, masks)
            oh = o &+ 4
        }
    }

    /// Output rows 0 ..< 4 of directPlane from input rows r0 ... r5 (rows -1 ... 4),
    /// as rowQuad: each row's taps loaded once for the (up to) three outputs they
    /// feed, rows in input order, two output columns at a time.
    @inline(__always)
    static func directQuad<T: VectorElement>(
        _ r0: UnsafePointer<T>, _ r1: UnsafePointer<T>, _ r2: UnsafePointer<T>, _ r3: UnsafePointer<T>,
        _ r4: UnsafePointer<T>, _ r5: UnsafePointer<T>, _ p: PaddedPlanes, _ d: UnsafePointer<T>,
        _ out: UnsafeMutablePointer<T>, _ masks: UnsafeRawPointer
    ) {
        let width = T.lanes, OW = p.OW, last = OW &- width
        let vectorBytes = width &* MemoryLayout<T>.stride
        let all = masks, notFirst = masks + vectorBytes, notLast = masks + 2 &* vectorBytes
        var j = 0
        while j < OW {
            let j0 = Swift.min(j, last), j1 = Swift.min(j &+ width, last)
            let left0 = j0 == 0 ? notFirst : all, right0 = j0 == last ? notLast : all
            let left1 = j1 == 0 ? notFirst : all, right1 = j1 == last ? notLast : all
            var a0 = T.zeroSum, a1 = T.zeroSum, a2 = T.zeroSum, a3 = T.zeroSum
            var b0 = T.zeroSum, b1 = T.zeroSum, b2 = T.zeroSum, b3 = T.zeroSum
            // The middle taps through an opaque pointer (see UnitStride.load3Sum: LLVM
            // otherwise rebuilds them from the outer two with shuffles).
            @inline(__always) func add(_ a: inout T.Vector, _ b: inout T.Vector, _ r: UnsafePointer<T>) {
                T.accumulate(&a, T.keepLanes(T.load(r + (j0 &- 1)), left0))
                T.accumulate(&a, T.load(spcpu_opaque(r + j0).assumingMemoryBound(to: T.self)))
                T.accumulate(&a, T.keepLanes(T.load(r + (j0 &+ 1)), right0))
                T.accumulate(&b, T.keepLanes(T.load(r + (j1 &- 1)), left1))
                T.accumulate(&b, T.load(spcpu_opaque(r + j1).assumingMemoryBound(to: T.self)))
                T.accumulate(&b, T.keepLanes(T.load(r + (j1 &+ 1)), right1))
            }
            feedQuad(r0, r1, r2, r3, r4, r5, &a0, &b0, &a1, &b1, &a2, &b2, &a3, &b3, add)
            @inline(__always) func put(_ s: T.Vector, _ k: Int, _ j: Int) {
                T.store(T.average(s, T.load(d + (k &* p.divisorRowStride &+ j))), out + (k &* OW &+ j))
            }
            put(a0, 0, j0); put(b0, 0, j1); put(a1, 1, j0); put(b1, 1, j1)
            put(a2, 2, j0); put(b2, 2, j1); put(a3, 3, j0); put(b3, 3, j1)
            j &+= 2 &* width
        }
    }
}

extension AvgRows {
    /// Input rows r0 ... r5 into the sums of four output rows (a_k, b_k: output row
    /// k's two columns) of a window 3 rows high at stride 1: row i feeds outputs
    /// i - 2 ... i, rows in input order, so each output sums its rows top to bottom.
    @inline(__always)
    static func feedQuad<V, Row>(_ r0: Row, _ r1: Row, _ r2: Row, _ r3: Row, _ r4: Row, _ r5: Row,
                                 _ a0: inout V, _ b0: inout V, _ a1: inout V, _ b1: inout V,
                                 _ a2: inout V, _ b2: inout V, _ a3: inout V, _ b3: inout V,
                                 _ add: (inout V, inout V, Row) -> Void) {
        add(&a0, &b0, r0)
        add(&a0, &b0, r1); add(&a1, &b1, r1)
        add(&a0, &b0, r2); add(&a1, &b1, r2); add(&a2, &b2, r2)
        add(&a1, &b1, r3); add(&a2, &b2, r3); add(&a3, &b3, r3)
        add(&a2, &b2, r4); add(&a3, &b3, r4)
        add(&a3, &b3, r5)
    }
}

/// Row loaders whose lane order a row of per-output values (divisors) can follow.
protocol DivisorLanes: LaneLoader {
    /// p[0 ..< width] in this loader's lane order.
    func lanes<T: VectorElement>(_ p: UnsafePointer<T>, _: T.Type) -> T.Vector
}

extension UnitStride: DivisorLanes {
    @inline(__always)
    func lanes<T: VectorElement>(_ p: UnsafePointer<T>, _: T.Type) -> T.Vector { T.load(p) }
}

extension DoubleStride: DivisorLanes {
    @inline(__always)
    func lanes<T: VectorElement>(_ p: UnsafePointer<T>, _: T.Type) -> T.Vector { T.permute(T.load(p)) }
}
