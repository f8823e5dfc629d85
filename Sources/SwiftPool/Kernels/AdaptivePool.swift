// Adaptive max and average pooling kernels, generic over element type (and NaN
// rule for max), for both layouts. Bins come from AdaptiveAxis.bin; they are
// never empty, so no padding or empty-window cases arise.
import CSwiftPool
import SwiftPoolKernelABI

enum AdaptiveMaxKernel {
    /// Channels-first: one (n, c) plane at a time.
    static func channelsFirst<T: PoolElement, R: MaxRule>(_ g: AdaptiveGeometry, rule: R.Type, _ input: UnsafePointer<T>,
                                                         _ output: UnsafeMutablePointer<T>,
                                                         _ indices: UnsafeMutablePointer<Int64>?) {
        let (ad, ah, aw) = g.axes
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let H = ah.inputSize, W = aw.inputSize
        for plane in 0..<(g.batch * g.channels) {
            let src = input + plane &* inPlane
            var q = plane &* outPlane
            for od in 0..<ad.outputSize {
                let bd = ad.bin(od)
                for oh in 0..<ah.outputSize {
                    let bh = ah.bin(oh)
                    for ow in 0..<aw.outputSize {
                        let bw = aw.bin(ow)
                        // PyTorch starts the argmax at the bin's first element.
                        var best: T = R.initial(empty: false)
                        var bestIndex = (bd.begin &* H &+ bh.begin) &* W &+ bw.begin
                        for d in bd.begin..<bd.end {
                            for h in bh.begin..<bh.end {
                                let row = (d &* H &+ h) &* W
                                for w in bw.begin..<bw.end {
                                    let v = src[row &+ w]
                                    if R.replaces(v, best) { best = v; bestIndex = row &+ w }
                                }
                            }
                        }
                        output[q] = best
                        if let indices { indices[q] = Int64(bestIndex) }
                        q &+= 1
                    }
                }
            }
        }
    }

    /// Channels-last: the output row of C channels holds the running maxima, so the
    /// inner loop runs over contiguous channels.
    static func channelsLast<T: PoolElement, R: MaxRule>(_ g: AdaptiveGeometry, rule: R.Type, _ input: UnsafePointer<T>,
                                                        _ output: UnsafeMutablePointer<T>,
                                                        _ indices: UnsafeMutablePointer<Int64>?) {
        let (ad, ah, aw) = g.axes
        let C = g.channels, H = ah.inputSize, W = aw.inputSize
        var q = 0
        for n in 0..<g.batch {
            let src = input + n &* g.inputPlane &* C
            for od in 0..<ad.outputSize {
                let bd = ad.bin(od)
                for oh in 0..<ah.outputSize {
                    let bh = ah.bin(oh)
                    for ow in 0..<aw.outputSize {
                        let bw = aw.bin(ow)
                        let dst = output + q &* C
                        let initial: T = R.initial(empty: false)
                        for c in 0..<C { dst[c] = initial }
                        if let indices {
                            let first = Int64((bd.begin &* H &+ bh.begin) &* W &+ bw.begin)
                            for c in 0..<C { indices[q &* C &+ c] = first }
                        }
                        for d in bd.begin..<bd.end {
                            for h in bh.begin..<bh.end {
                                let row = (d &* H &+ h) &* W
                                for w in bw.begin..<bw.end {
                                    let p = row &+ w
                                    let s = src + p &* C
                                    if let indices {
                                        // Branch-free selects: random data would mispredict a branch.
                                        let idx = indices + q &* C
                                        let p64 = Int64(p)
                                        for c in 0..<C {
                                            let v = s[c], m = dst[c]
                                            let take = R.replaces(v, m)
                                            dst[c] = take ? v : m
                                            idx[c] = take ? p64 : idx[c]
                                        }
                                    } else {
                                        for c in 0..<C {
                                            let v = s[c], m = dst[c]
                                            dst[c] = R.replaces(v, m) ? v : m
                                        }
                                    }
                                }
                            }
                        }
                        q &+= 1
                    }
                }
            }
        }
    }
}

enum AdaptiveAvgKernel {
    /// Adaptive average pooling. Global pooling (every output size 1, ONNX
    /// GlobalAveragePool) sums each plane in Double (float32: Double totals of Float
    /// partial sums, see BinAverageWide) and divides once: PyTorch computes it with
    /// mean(), whose blocked summation order no kernel here follows, and Double
    /// totals keep huge planes accurate. Every other output size
    /// follows PyTorch's adaptive_avg_pool arithmetic (AdaptiveTorchAvg).
    static func run<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafePointer<T>,
                                    _ output: UnsafeMutablePointer<T>, threads: Int) {
        let channelsLast = g.layout == SWIFTPOOL_LAYOUT_NHWC && g.channels > 1
        if g.outputPlane == 1 {
            if channelsLast {
                globalChannelsLast(g, input, output, threads: threads)
            } else {
                globalChannelsFirst(g, input, output, threads: threads)
            }
        } else if channelsLast {
            AdaptiveTorchAvg.channelsLast(g, input, output, threads: threads)
        } else {
            AdaptiveTorchAvg.channelsFirst(g, input, output, threads: threads)
        }
    }

    /// Sum of `count` contiguous elements in Double. Four independent accumulators
    /// break the add latency chain: global average pooling of an NCHW plane is one call.
    @inline(__always)
    static func wideSum<T: PoolElement>(_ p: UnsafePointer<T>, _ count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i &+ 4 <= count {
            s0 += p[i].poolWide; s1 += p[i &+ 1].poolWide
            s2 += p[i &+ 2].poolWide; s3 += p[i &+ 3].poolWide
            i &+= 4
        }
        while i < count { s0 += p[i].poolWide; i &+= 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// Bins at least this wide are summed with four accumulators (wideSum); narrower
    /// ones in scan order, as the reference (then bitwise equal to it).
    static let wideBin = 16

    /// Bins of at most this many elements (and narrower than wideBin) are summed
    /// through a list of their element offsets.
    static let listLimit = 64

    /// Planes per tile: a tile's inputs stay in L1/L2 while every bin visits them.
    static let tilePlanes = 32

    /// One bin of an (n, c) plane: `depth` slices of `rows` rows of `width`
    /// elements, from `src`; slices `slice` and rows `W` elements apart.
    @inline(__always)
    static func binSum<T: PoolElement>(_ src: UnsafePointer<T>, depth: Int, rows: Int, width: Int,
                                       slice: Int, W: Int) -> Double {
        var sum = 0.0
        var d = 0
        while d < depth {
            if width == W && rows &* width >= wideBin {
                sum += wideSum(src + d &* slice, rows &* width)
            } else {
                var h = 0
                while h < rows {
                    let row = src + (d &* slice &+ h &* W)
                    if width >= wideBin {
                        sum += wideSum(row, width)
                    } else {
                        var w = 0
                        while w < width { sum += row[w].poolWide; w &+= 1 }
                    }
                    h &+= 1
                }
            }
            d &+= 1
        }
        return sum
    }

    /// Global, channels-first: planes are spread over threads in ranges; within a range,
    /// tiles of planes, each bin of the tile's planes in turn (four planes at a time:
    /// independent sums overlap their add latencies). Bins come from the geometry
    /// once per tile, not per plane.
    static func globalChannelsFirst<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafePointer<T>,
                                                   _ output: UnsafeMutablePointer<T>, threads: Int) {
        let (ad, ah, aw) = g.axes
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let H = ah.inputSize, W = aw.inputSize, slice = H &* W
        let planes = g.batch &* g.channels
        if T.self == Float.self {
            // The family's kernel: four planes at a time, Float partials, Double totals.
            let kernel = ISA.kernels.floatGlobalAveragePlanes
            let x = UnsafeRawPointer(input).assumingMemoryBound(to: Float.self)
            let y = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
            let count = Double(inPlane)
            Parallel.forEachRange(units: planes, unitWork: inPlane &+ 4, threads: threads) { range in
                kernel(x + range.lowerBound &* inPlane, range.count, inPlane, count, y + range.lowerBound)
            }
            return
        }
        // Work per plane: every bin's elements (bins overlap by at most one element
        // per axis, so about the plane plus the output).
        Parallel.forEachRange(units: planes, unitWork: inPlane &+ outPlane &* 4, threads: threads) { range in
          withStackScratch(of: Int.self, capacity: listLimit) { list in
            let offsets = list.baseAddress!
            var tile = range.lowerBound
            while tile < range.upperBound {
                let tileEnd = Swift.min(tile &+ tilePlanes, range.upperBound)
                var q = 0
                for od in 0..<ad.outputSize {
                    let bd = ad.bin(od)
                    for oh in 0..<ah.outputSize {
                        let bh = ah.bin(oh)
                        for ow in 0..<aw.outputSize {
                            let bw = aw.bin(ow)
                            let depth = bd.end &- bd.begin, rows = bh.end &- bh.begin, width = bw.end &- bw.begin
                            let count = Double(depth &* rows &* width)
                            let start = (bd.begin &* H &+ bh.begin) &* W &+ bw.begin
                            var p = tile
                            let elements = depth &* rows &* width
                            if elements <= listLimit && width < wideBin {
                                // Small bin: its element offsets in scan order, then one flat
                                // loop per four planes (bitwise the reference's sums).
                                var k = 0
                                for d in 0..<depth {
                                    for h in 0..<rows {
                                        for w in 0..<width { offsets[k] = start &+ d &* slice &+ h &* W &+ w; k &+= 1 }
                                    }
                                }
                                while p &+ 4 <= tileEnd {
                                    let s0 = input + p &* inPlane, s1 = s0 + inPlane
                                    let s2 = s1 + inPlane, s3 = s2 + inPlane
                                    var a = 0.0, b = 0.0, c = 0.0, e = 0.0
                                    for i in 0..<elements {
                                        let o = offsets[i]
                                        a += s0[o].poolWide; b += s1[o].poolWide
                                        c += s2[o].poolWide; e += s3[o].poolWide
                                    }
                                    let out = output + (p &* outPlane &+ q)
                                    out[0] = T(poolWide: a / count)
                                    out[outPlane] = T(poolWide: b / count)
                                    out[2 &* outPlane] = T(poolWide: c / count)
                                    out[3 &* outPlane] = T(poolWide: e / count)
                                    p &+= 4
                                }
                                while p < tileEnd {
                                    let s0 = input + p &* inPlane
                                    var a = 0.0
                                    for i in 0..<elements { a += s0[offsets[i]].poolWide }
                                    output[p &* outPlane &+ q] = T(poolWide: a / count)
                                    p &+= 1
                                }
                                q &+= 1
                                continue
                            }
                            while p &+ 4 <= tileEnd {
                                let s0 = input + (p &* inPlane &+ start)
                                let a = binSum(s0, depth: depth, rows: rows, width: width, slice: slice, W: W)
                                let b = binSum(s0 + inPlane, depth: depth, rows: rows, width: width, slice: slice, W: W)
                                let c = binSum(s0 + 2 &* inPlane, depth: depth, rows: rows, width: width, slice: slice, W: W)
                                let d = binSum(s0 + 3 &* inPlane, depth: depth, rows: rows, width: width, slice: slice, W: W)
                                let o = output + (p &* outPlane &+ q)
                                o[0] = T(poolWide: a / count)
                                o[outPlane] = T(poolWide: b / count)
                                o[2 &* outPlane] = T(poolWide: c / count)
                                o[3 &* outPlane] = T(poolWide: d / count)
                                p &+= 4
                            }
                            while p < tileEnd {
                                let sum = binSum(input + (p &* inPlane &+ start), depth: depth, rows: rows, width: width,
                                                 slice: slice, W: W)
                                output[p &* outPlane &+ q] = T(poolWide: sum / count)
                                p &+= 1
                            }
                            q &+= 1
                        }
                    }
                }
                tile = tileEnd
            }
          }
        }
    }

    /// Global, channels-last: output pixels are spread over threads; each sums its bin's
    /// pixels channel by channel in scan order in Double (other than float32: bitwise
    /// the reference's sums).
    static func globalChannelsLast<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafePointer<T>,
                                                  _ output: UnsafeMutablePointer<T>, threads: Int) {
        if T.self == Float.self {
            // The family's kernel: Float partials of 64 pixels, Double totals. The
            // whole image is one bin, contiguous: a run of pixels.
            let C = g.channels, pixels = g.inputPlane
            let kernel = ISA.kernels.floatGlobalAverage
            let x = UnsafeRawPointer(input).assumingMemoryBound(to: Float.self)
            let y = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
            forEachOutputPixel(g, threads: threads) { n, _, _, _, _ in
                kernel(x + n &* pixels &* C, pixels, C, Double(pixels), y + n &* C)
            }
            return
        }
        let (ad, ah, aw) = g.axes
        let C = g.channels, H = ah.inputSize, W = aw.inputSize
        let outPlane = g.outputPlane
        let block = Swift.min(C, 512)
        forEachOutputPixel(g, threads: threads) { n, od, oh, ow, q in
            withStackScratch(of: Double.self, capacity: block) { acc in
                let src = input + n &* g.inputPlane &* C
                let bd = ad.bin(od), bh = ah.bin(oh), bw = aw.bin(ow)
                let count = Double((bd.end &- bd.begin) &* (bh.end &- bh.begin) &* (bw.end &- bw.begin))
                let dst = output + (n &* outPlane &+ q) &* C
                var c0 = 0
                while c0 < C {
                    let width = Swift.min(block, C &- c0)
                    for c in 0..<width { acc[c] = 0 }
                    for d in bd.begin..<bd.end {
                        for h in bh.begin..<bh.end {
                            let row = (d &* H &+ h) &* W
                            for w in bw.begin..<bw.end {
                                let s = src + ((row &+ w) &* C &+ c0)
                                for c in 0..<width { acc[c] += s[c].poolWide }
                            }
                        }
                    }
                    for c in 0..<width { dst[c0 &+ c] = T(poolWide: acc[c] / count) }
                    c0 &+= width
                }
            }
        }
    }

    /// Calls body(n, od, oh, ow, q) for every output pixel (q: its index in the
    /// output plane), pixels spread over threads in consecutive ranges.
    @inline(__always)
    static func forEachOutputPixel(_ g: AdaptiveGeometry, threads: Int,
                                   _ body: (_ n: Int, _ od: Int, _ oh: Int, _ ow: Int, _ q: Int) -> Void) {
        let (ad, ah, aw) = g.axes
        let outPlane = g.outputPlane
        let pixels = g.batch &* outPlane
        // Work per pixel: its bin (about inputPlane / outputPlane pixels, at least one) x C.
        let perPixel = Swift.max(1, (g.inputPlane &+ outPlane &- 1) / outPlane) &* 4 &* g.channels
        Parallel.forEachRange(units: pixels, unitWork: perPixel, threads: threads) { range in
            for u in range {
                let n = u / outPlane, q = u &- n &* outPlane
                let ow = q % aw.outputSize, rest = q / aw.outputSize
                let oh = rest % ah.outputSize, od = rest / ah.outputSize
                _ = ad
                body(n, od, oh, ow, q)
            }
        }
    }
}

/// PyTorch's adaptive_avg_pool{1,2,3}d arithmetic (aten's cpu kernels, observed
/// bit for bit in torch 2.13, contiguous inputs): each output sums its bin in scan
/// order (D, H, W) from +0 in the opmath type T.PoolSum (float for float32,
/// float16 and bfloat16; double for float64), then computes `sum / kd / kh / kw`
/// (bin sizes, unit axes dividing by 1), each quotient rounded, and rounds to T.
/// The 3D kernel keeps float16/bfloat16 sums in the element type: every add and
/// every quotient is rounded to T. Bitwise equal to the reference for every layout
/// and thread count (each output is one chain in one fixed order).
enum AdaptiveTorchAvg {
    /// True when sums and quotients round to T after every operation (3D float16/bfloat16).
    @inline(__always)
    static func roundsEach<T: PoolElement>(_ g: AdaptiveGeometry, _: T.Type) -> Bool {
        g.tensor.spatialRank == 3 && MemoryLayout<T>.size < MemoryLayout<T.PoolSum>.size
    }

    @inline(__always)
    static func add<T: PoolElement>(_ sum: T.PoolSum, _ x: T, roundEach: Bool, _: T.Type) -> T.PoolSum {
        roundEach ? T(poolSum: sum + x.poolSum).poolSum : sum + x.poolSum
    }

    @inline(__always)
    static func mean<T: PoolElement>(_ sum: T.PoolSum, _ kd: Int, _ kh: Int, _ kw: Int, roundEach: Bool) -> T {
        // A division by 1 is exact: skipped.
        var v = sum
        if kd != 1 { v = v / T.PoolSum(kd); if roundEach { v = T(poolSum: v).poolSum } }
        if kh != 1 { v = v / T.PoolSum(kh); if roundEach { v = T(poolSum: v).poolSum } }
        if kw != 1 { v = v / T.PoolSum(kw); if roundEach { v = T(poolSum: v).poolSum } }
        return T(poolSum: v)
    }

    static func channelsFirst<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafePointer<T>,
                                             _ output: UnsafeMutablePointer<T>, threads: Int) {
        if T.self == Float.self,
           floatChannelsFirst(g, UnsafeRawPointer(input).assumingMemoryBound(to: Float.self),
                              UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self), threads: threads) {
            return
        }
        let (ad, ah, aw) = g.axes
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let H = ah.inputSize, W = aw.inputSize
        let roundEach = roundsEach(g, T.self)
        Parallel.forEachRange(units: g.batch &* g.channels, unitWork: inPlane &+ outPlane &* 4, threads: threads) { range in
            for plane in range {
                let src = input + plane &* inPlane
                var q = plane &* outPlane
                for od in 0..<ad.outputSize {
                    let bd = ad.bin(od)
                    for oh in 0..<ah.outputSize {
                        let bh = ah.bin(oh)
                        for ow in 0..<aw.outputSize {
                            let bw = aw.bin(ow)
                            var sum = T.PoolSum(0)
                            for d in bd.begin..<bd.end {
                                for h in bh.begin..<bh.end {
                                    let row = src + (d &* H &+ h) &* W
                                    for w in bw.begin..<bw.end { sum = add(sum, row[w], roundEach: roundEach, T.self) }
                                }
                            }
                            output[q] = mean(sum, bd.end &- bd.begin, bh.end &- bh.begin, bw.end &- bw.begin,
                                             roundEach: roundEach)
                            q &+= 1
                        }
                    }
                }
            }
        }
    }

    /// Largest channels-last tile of the float channels-first kernel, in floats.
    static let tileFloats = 16 * 1024
    /// Its output tile (8 planes' outputs, transposed out per plane), in floats.
    static let outTileFloats = 2048
    /// Largest bin table (outputs along all three axes) it takes.
    static let binTableLimit = 4096

    /// Float32 channels-first through the family's AdaptiveAvgPlanes kernel (SIMD
    /// across 8 planes copied into a tile); false (nothing written) when the tile
    /// or the bin table would be too large.
    static func floatChannelsFirst(_ g: AdaptiveGeometry, _ input: UnsafePointer<Float>,
                                   _ output: UnsafeMutablePointer<Float>, threads: Int) -> Bool {
        let (ad, ah, aw) = g.axes
        let D = ad.inputSize, H = ah.inputSize, W = aw.inputSize
        let OD = ad.outputSize, OH = ah.outputSize, OW = aw.outputSize
        guard OD &+ OH &+ OW <= binTableLimit else { return false }
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        // Bins are at most ceil(L/n) + 1 long.
        let maxDepth = Swift.min(D, D / OD &+ 2), maxRows = Swift.min(H, H / OH &+ 2)
        let whole = inPlane <= tileFloats / 8
        guard whole || maxDepth &* maxRows &* W <= tileFloats / 8 else { return false }
        let kernel = ISA.kernels.floatAdaptivePlanes
        withStackScratch(of: Int.self, capacity: 2 &* (OD &+ OH &+ OW)) { table in
            let bins = table.baseAddress!
            var k = 0
            for (axis, n) in [(ad, OD), (ah, OH), (aw, OW)] {
                for o in 0..<n {
                    let b = axis.bin(o)
                    bins[k] = b.begin
                    bins[k &+ 1] = b.end
                    k &+= 2
                }
            }
            Parallel.forEachRange(units: g.batch &* g.channels, unitWork: inPlane &+ outPlane &* 4, threads: threads) { range in
                withStackScratch(of: Float.self, capacity: tileFloats &+ outTileFloats) { tile in
                    let t = tile.baseAddress!
                    let p = AdaptivePlanes(planes: range.count, D: D, H: H, W: W, OD: OD, OH: OH, OW: OW,
                                           bins: UnsafePointer(bins), tile: t, wholePlane: whole,
                                           outTile: outPlane &* 8 <= outTileFloats ? t + tileFloats : nil)
                    kernel(input + range.lowerBound &* inPlane, p, output + range.lowerBound &* outPlane)
                }
            }
        }
        return true
    }

    /// Channels-last: output pixels spread over threads; each sums its bin's pixels
    /// across channels (float32: the family's BinAverage kernel, SIMD across channels).
    static func channelsLast<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafePointer<T>,
                                            _ output: UnsafeMutablePointer<T>, threads: Int) {
        let (ad, ah, aw) = g.axes
        let C = g.channels, H = ah.inputSize, W = aw.inputSize
        let inImage = g.inputPlane &* C, outPlane = g.outputPlane
        if T.self == Float.self {
            let kernel = ISA.kernels.floatBinAverage
            let x = UnsafeRawPointer(input).assumingMemoryBound(to: Float.self)
            let y = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
            AdaptiveAvgKernel.forEachOutputPixel(g, threads: threads) { n, od, oh, ow, q in
                let bd = ad.bin(od), bh = ah.bin(oh), bw = aw.bin(ow)
                let first = x + (n &* inImage &+ ((bd.begin &* H &+ bh.begin) &* W &+ bw.begin) &* C)
                kernel(first, bd.end &- bd.begin, H &* W &* C, bh.end &- bh.begin, W &* C, bw.end &- bw.begin, C,
                       y + (n &* outPlane &+ q) &* C)
            }
            return
        }
        let roundEach = roundsEach(g, T.self)
        let block = Swift.min(C, 512)
        AdaptiveAvgKernel.forEachOutputPixel(g, threads: threads) { n, od, oh, ow, q in
            withStackScratch(of: T.PoolSum.self, capacity: block) { acc in
                let src = input + n &* inImage
                let bd = ad.bin(od), bh = ah.bin(oh), bw = aw.bin(ow)
                let dst = output + (n &* outPlane &+ q) &* C
                var c0 = 0
                while c0 < C {
                    let width = Swift.min(block, C &- c0)
                    for c in 0..<width { acc[c] = 0 }
                    for d in bd.begin..<bd.end {
                        for h in bh.begin..<bh.end {
                            let row = (d &* H &+ h) &* W
                            for w in bw.begin..<bw.end {
                                let s = src + ((row &+ w) &* C &+ c0)
                                for c in 0..<width { acc[c] = add(acc[c], s[c], roundEach: roundEach, T.self) }
                            }
                        }
                    }
                    for c in 0..<width {
                        dst[c0 &+ c] = mean(acc[c], bd.end &- bd.begin, bh.end &- bh.begin, bw.end &- bw.begin,
                                            roundEach: roundEach)
                    }
                    c0 &+= width
                }
            }
        }
    }
}
