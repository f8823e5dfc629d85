// Global average pooling of float32 (every output size 1, ONNX GlobalAveragePool):
// partial sums in Float, added in Double. Float adds take 8 elements per vector
// instruction where widening to Double took 4 plus a conversion; that conversion
// bound these loops at about twice the time of reading the input (32x2048x7x7:
// channels-first 307 us, channels-last 276 us, 1 thread, against a 148 us read).
// Partials of at most 64 elements (channels-first) or 64 pixels in groups of 4
// (channels-last) keep the mean within PyTorch's accuracy (its mean() sums in
// float pairwise; blocks of 512 elements, or 64 pixels added one by one, were up
// to 4 ulps off on 7x7 planes where torch was 2.3, and a million 0.1f averaged to
// 0.1f - 8 ulps, torch's 0.1f + 1) and exact where Double totals matter: the mean
// of 25 million ones is exactly 1.
// The orders are documented at each kernel; the tests re-implement them bit for bit.
import SwiftPoolKernelABI
import _SwiftPoolCPU

enum BinAverageWide {
    // Lane conversions written out element by element: they compile to one
    // cvtps2pd / cvtpd2ps pair, and, unlike the standard library's generic SIMD
    // conversions, leave no shared (link-once) specialisation with AVX code behind
    // (scripts/check-isa.sh).
    @inline(__always)
    static func widen(_ v: SIMD8<Float>) -> SIMD8<Double> {
        SIMD8<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]),
                      Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
    }

    @inline(__always)
    static func narrow(_ v: SIMD8<Double>) -> SIMD8<Float> {
        SIMD8<Float>(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]),
                     Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
    }

    @inline(__always)
    static func widen(_ v: SIMD4<Float>) -> SIMD4<Double> {
        SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]))
    }

    @inline(__always)
    static func narrow(_ v: SIMD4<Double>) -> SIMD4<Float> {
        SIMD4<Float>(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]))
    }

    /// Channels per block of channelsLast: 4 KiB of Float partial sums and 8 KiB of
    /// Double totals (touched once per pixelBlock pixels). 4 KiB is one line per L1
    /// set, so the partials stay in L1 while a group's 4 pixel runs stream through
    /// it; 8 KiB (2048 channels) was evicted by them each group: 32x2048x7x7 at 1
    /// thread took 172-190 us, against 195-214 (2 threads: 90-96 against 99-122),
    /// interleaved. Shorter runs lose the prefetcher's streams: 512 took 174-181
    /// in a C model where 1024 took 155-158 and 2048 172-174.
    static let channelBlock = 1024

    /// Pixels per Float partial sum in channelsLast.
    static let pixelBlock = 64

    /// src: an image's first pixel; `pixels` pixels `channels` apart (the whole
    /// image, flattened in scan order). Each channel: the pixels in scan order, in
    /// blocks of pixelBlock; each block summed in Float in blockSums' order, each
    /// block's sum added in Double to a total from +0; dst[c] = Float(total * scale),
    /// scale = 1 / count in Double (see channelsFirst).
    /// Pixel by pixel, a block of channels' partials in L1 scratch: the input is
    /// read as contiguous runs of channelBlock floats (holding channels in registers
    /// across all pixels instead reads one line per pixel per pass, a stream per
    /// pixel the hardware prefetcher does not follow).
    @inline(never)
    static func channelsLast(_ src: UnsafePointer<Float>, _ pixels: Int, _ channels: Int, _ count: Double,
                             _ dst: UnsafeMutablePointer<Float>) {
        let C = channels
        let block = Swift.min(C, channelBlock)
        let scale = 1 / count
        // Channels [0, head) of each block are summed one by one, so that the vector
        // loads of every pixel start on 32 bytes (all pixels share that alignment
        // when C is a multiple of 8): an input 16 bytes off (NumPy's arrays) split
        // every other load across two lines, 32x2048x7x7 took 200-215 us against
        // 174-181 aligned. The partials are offset to match.
        let head = C % 8 == 0 ? ((32 &- Int(UInt(bitPattern: src) & 31)) & 31) / 4 : 0
        // One scratch: `block` Doubles, then `block` Floats (and 8 to shift them by).
        withStackScratch(of: Double.self, capacity: block &+ (block &+ 1) / 2 &+ 4) { buffer in
            let total = buffer.baseAddress!
            let partial = UnsafeMutableRawPointer(total + block).assumingMemoryBound(to: Float.self) + (8 &- head) & 7
            let totals = UnsafeMutableRawPointer(total), sums = UnsafeRawPointer(partial)
            var c0 = 0
            while c0 < C {
                let n = Swift.min(channelBlock, C &- c0)
                let out = dst + c0
                if pixels <= pixelBlock {
                    // One block: (Double(partial) + 0) * scale is the total's value
                    // (0 + s == s + 0) without a Double pass through scratch.
                    // A last pixel outside the groups of 4 is added here, in
                    // blockSums' order (sum + x), saving a pass over the partials.
                    let fused = pixels >= 2 && pixels % 4 != 0
                    blockSums(src + c0, fused ? pixels &- 1 : pixels, C, n, head, partial)
                    let last = UnsafeRawPointer(src + ((pixels &- 1) &* C &+ c0))
                    var c = 0
                    while c &+ 8 <= n {
                        var s = sums.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self)
                        if fused { s = s + last.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self) }
                        UnsafeMutableRawPointer(out + c).storeBytes(of: narrow((widen(s) + SIMD8<Double>()) * scale),
                                                                    as: SIMD8<Float>.self)
                        c &+= 8
                    }
                    let lastFloats = last.assumingMemoryBound(to: Float.self)
                    while c < n {
                        let s = fused ? partial[c] + lastFloats[c] : partial[c]
                        out[c] = Float((Double(s) + 0) * scale)
                        c &+= 1
                    }
                    c0 &+= n
                    continue
                }
                total.update(repeating: 0, count: n)
                var p0 = 0
                while p0 < pixels {
                    let p1 = Swift.min(p0 &+ pixelBlock, pixels)
                    blockSums(src + (p0 &* C &+ c0), p1 &- p0, C, n, head, partial)
                    var c = 0
                    while c &+ 8 <= n {
                        let t = totals.loadUnaligned(fromByteOffset: c &* 8, as: SIMD8<Double>.self)
                            + widen(sums.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self))
                        totals.storeBytes(of: t, toByteOffset: c &* 8, as: SIMD8<Double>.self)
                        c &+= 8
                    }
                    while c < n { total[c] += Double(partial[c]); c &+= 1 }
                    p0 = p1
                }
                var c = 0
                while c &+ 8 <= n {
                    UnsafeMutableRawPointer(out + c).storeBytes(
                        of: narrow(totals.loadUnaligned(fromByteOffset: c &* 8, as: SIMD8<Double>.self) * scale),
                        as: SIMD8<Float>.self)
                    c &+= 8
                }
                while c < n { out[c] = Float(total[c] * scale); c &+= 1 }
                c0 &+= n
            }
        }
    }

    /// partial[0 ..< n] = the Float sums of `pixels` (>= 1) pixels of n channels
    /// from src, pixels `C` apart: each group of 4 pixels as (x0 + x1) + (x2 + x3)
    /// added to the sum (from +0), then the last pixels (pixels % 4) one by one.
    /// The first group (or pixel) is stored, not added to +0: that changes only a
    /// sum of -0 (not +0), which the Double total (from +0) turns into +0 either
    /// way. Groups shorten the rounding chain (49 pixels: 13 adds to the sum, not
    /// 48) and read the sums once per 4 pixels.
    @inline(__always)
    static func blockSums(_ src: UnsafePointer<Float>, _ pixels: Int, _ C: Int, _ n: Int, _ head: Int,
                          _ partial: UnsafeMutablePointer<Float>) {
        let sums = UnsafeMutableRawPointer(partial)
        // Vectors over channels [first, end): the channels before and after one by one.
        let first = Swift.min(head, n), end = first &+ ((n &- first) & ~15)
        let vectorEnd = end &* 4
        let groups = pixels / 4
        let pixelBytes = C &* 4
        var g = 0
        while g < groups {
            let x0 = UnsafeRawPointer(src + g &* 4 &* C), x1 = x0 + pixelBytes, x2 = x1 + pixelBytes, x3 = x2 + pixelBytes
            // Channels outside the 16-channel loop: 8 or 4 lanes at a time, then one by one.
            // (Concrete vector types: generic SIMD code runs lane by lane.)
            @inline(__always) func lanes8(_ c: Int) {
                let o = c &* 4
                var v = (x0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                         + x1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
                    + (x2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                       + x3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
                if g > 0 { v = sums.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + v }
                sums.storeBytes(of: v, toByteOffset: o, as: SIMD8<Float>.self)
            }
            @inline(__always) func lanes4(_ c: Int) {
                let o = c &* 4
                var v = (x0.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
                         + x1.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self))
                    + (x2.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
                       + x3.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self))
                if g > 0 { v = sums.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) + v }
                sums.storeBytes(of: v, toByteOffset: o, as: SIMD4<Float>.self)
            }
            @inline(__always) func rest(_ from: Int, _ to: Int) {
                var c = from
                while c &+ 8 <= to { lanes8(c); c &+= 8 }
                while c &+ 4 <= to { lanes4(c); c &+= 4 }
                while c < to {
                    let y = src + (g &* 4 &* C &+ c)
                    let v = (y[0] + y[C]) + (y[2 &* C] + y[3 &* C])
                    partial[c] = g > 0 ? partial[c] + v : v
                    c &+= 1
                }
            }
            rest(0, first)
            var o = first &* 4
            while o < vectorEnd {
                var a = (x0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                         + x1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
                    + (x2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                       + x3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
                var b = (x0.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self)
                         + x1.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self))
                    + (x2.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self)
                       + x3.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self))
                if g > 0 {
                    a = sums.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + a
                    b = sums.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self) + b
                }
                sums.storeBytes(of: a, toByteOffset: o, as: SIMD8<Float>.self)
                sums.storeBytes(of: b, toByteOffset: o &+ 32, as: SIMD8<Float>.self)
                o &+= 64
            }
            rest(end, n)
            g &+= 1
        }
        var p = groups &* 4
        if groups == 0 { partial.update(from: src, count: n); p = 1 }
        while p < pixels {
            let x = UnsafeRawPointer(src + p &* C)
            let row = src + p &* C
            for c in 0..<first { partial[c] += row[c] }
            var o = first &* 4
            while o < vectorEnd {
                let s0 = sums.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                    + x.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                let s1 = sums.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self)
                    + x.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self)
                sums.storeBytes(of: s0, toByteOffset: o, as: SIMD8<Float>.self)
                sums.storeBytes(of: s1, toByteOffset: o &+ 32, as: SIMD8<Float>.self)
                o &+= 64
            }
            for c in end..<n { partial[c] += row[c] }
            p &+= 1
        }
    }

    /// Chunks of 8 elements per Float partial sum in channelsFirst (64 elements:
    /// 8 adds per lane; 64 chunks, 512 elements, cost the same on 7x7 planes but
    /// doubled the error on 56x56 ones).
    static let chunkBlock = 8

    /// Four 8-lane sums reduced to one lane each: lane k is vk's
    /// ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])) in Float
    /// (the order of two horizontal adds, then the halves).
    @inline(__always)
    static func laneSums(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>,
                         _ v3: SIMD8<Float>) -> SIMD4<Float> {
        #if SWIFTPOOL_AVX2
        return spcpu_lane_sums4(v0, v1, v2, v3)
        #else
        let h01 = SIMD8<Float>(v0[0], v0[2], v1[0], v1[2], v0[4], v0[6], v1[4], v1[6])
            + SIMD8<Float>(v0[1], v0[3], v1[1], v1[3], v0[5], v0[7], v1[5], v1[7])
        let h23 = SIMD8<Float>(v2[0], v2[2], v3[0], v3[2], v2[4], v2[6], v3[4], v3[6])
            + SIMD8<Float>(v2[1], v2[3], v3[1], v3[3], v2[5], v2[7], v3[5], v3[7])
        let h = SIMD8<Float>(h01[0], h01[2], h23[0], h23[2], h01[4], h01[6], h23[4], h23[6])
            + SIMD8<Float>(h01[1], h01[3], h23[1], h23[3], h01[5], h01[7], h23[5], h23[7])
        return SIMD4<Float>(h[0], h[1], h[2], h[3]) + SIMD4<Float>(h[4], h[5], h[6], h[7])
        #endif
    }

    /// One plane's sum in channelsFirst's order (for planes outside groups of four).
    @inline(__always)
    static func planeSum(_ q: UnsafeRawPointer, _ elements: Int) -> Double {
        let chunks = elements / 8
        var total = 0.0
        var k = 0
        while k < chunks {
            let end = Swift.min(k &+ chunkBlock, chunks)
            var a = SIMD8<Float>()
            while k < end { a += q.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self); k &+= 1 }
            total += Double(((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])))
        }
        var i = chunks &* 8
        while i < elements { total += Double(q.load(fromByteOffset: i &* 4, as: Float.self)); i &+= 1 }
        return total
    }

    /// `planes` consecutive planes of `elements` floats from src; dst[p] =
    /// Float(total * scale), scale = 1 / count in Double (a multiplication, not a
    /// division: 4-5% of 32x2048x7x7, and within 2^-52 of the quotient before the
    /// rounding to Float, so the mean of any number of ones is still exactly 1),
    /// plane p's total in this order: the plane's chunks of 8
    /// elements in blocks of chunkBlock; within a block, the chunks added in order
    /// to an 8-lane Float sum from +0, whose lanes are reduced in laneSums' order,
    /// and that block sum added in Double to the total (from +0); then the last
    /// elements % 8 elements in order, in Double. Four planes at a time (four
    /// independent add chains, contiguous loads, no transposes); a plane's result
    /// depends neither on its group nor on the thread count.
    @inline(never)
    static func channelsFirst(_ src: UnsafePointer<Float>, _ planes: Int, _ elements: Int, _ count: Double,
                              _ dst: UnsafeMutablePointer<Float>) {
        // Planes of one chunk block (fewer than 72 elements) in groups of four, with
        // the plane size a constant for the common CNN sizes: the loops unroll and
        // the pointers stay in registers (32x2048x7x7, 1 thread: the general loop
        // below spilled them and took 185-200 us where this takes about 150).
        switch elements {
        case 49: smallPlanes(src, planes, 49, count, dst)  // 7x7 (ResNet, ...)
        case 64: smallPlanes(src, planes, 64, count, dst)  // 8x8 (Inception v3)
        case 16: smallPlanes(src, planes, 16, count, dst)  // 4x4
        case 36: smallPlanes(src, planes, 36, count, dst)  // 6x6
        case 25: smallPlanes(src, planes, 25, count, dst)  // 5x5
        case 9: smallPlanes(src, planes, 9, count, dst)    // 3x3
        default: largePlanes(src, planes, elements, count, dst)
        }
    }

    /// channelsFirst for any plane size, in its order (a general loop).
    @inline(never)
    static func largePlanes(_ src: UnsafePointer<Float>, _ planes: Int, _ elements: Int, _ count: Double,
                            _ dst: UnsafeMutablePointer<Float>) {
        let E = elements, chunks = E / 8
        let scale = 1 / count
        let scales = SIMD4<Double>(repeating: scale)
        // Small planes (e.g. 7x7): the planes 16 ahead are prefetched, as in
        // AvgRows.scalarSums. Large planes are four long streams, which the
        // hardware prefetcher follows.
        let prefetch = E <= 128
        var p = 0
        while p &+ 4 <= planes {
            if prefetch && p &+ 20 <= planes { AvgRows.prefetchPlanes(src + (p &+ 16) &* E, 4 &* E, Float.self) }
            let q0 = UnsafeRawPointer(src + p &* E), q1 = q0 + E &* 4, q2 = q1 + E &* 4, q3 = q2 + E &* 4
            var total = SIMD4<Double>()
            var k = 0
            while k < chunks {
                let end = Swift.min(k &+ chunkBlock, chunks)
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                addChunks(q0, q1, q2, q3, k, end, &a0, &a1, &a2, &a3)
                k = end
                total += widen(laneSums(a0, a1, a2, a3))
            }
            addTail(q0, q1, q2, q3, chunks &* 8, E, &total)
            UnsafeMutableRawPointer(dst + p).storeBytes(of: narrow(total * scales), as: SIMD4<Float>.self)
            p &+= 4
        }
        while p < planes {
            dst[p] = Float(planeSum(UnsafeRawPointer(src + p &* E), E) * scale)
            p &+= 1
        }
    }

    /// Chunks k ..< end (8 elements each) of four planes added, in order, to a0 ... a3.
    @inline(__always)
    static func addChunks(_ q0: UnsafeRawPointer, _ q1: UnsafeRawPointer, _ q2: UnsafeRawPointer,
                          _ q3: UnsafeRawPointer, _ k: Int, _ end: Int, _ a0: inout SIMD8<Float>,
                          _ a1: inout SIMD8<Float>, _ a2: inout SIMD8<Float>, _ a3: inout SIMD8<Float>) {
        var k = k
        while k < end {
            let o = k &* 32
            a0 += q0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            a1 += q1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            a2 += q2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            a3 += q3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            k &+= 1
        }
    }

    /// Elements first ..< E of four planes added, in order, to total (in Double).
    @inline(__always)
    static func addTail(_ q0: UnsafeRawPointer, _ q1: UnsafeRawPointer, _ q2: UnsafeRawPointer,
                        _ q3: UnsafeRawPointer, _ first: Int, _ E: Int, _ total: inout SIMD4<Double>) {
        var i = first
        while i < E {
            let o = i &* 4
            total += SIMD4<Double>(Double(q0.load(fromByteOffset: o, as: Float.self)),
                                   Double(q1.load(fromByteOffset: o, as: Float.self)),
                                   Double(q2.load(fromByteOffset: o, as: Float.self)),
                                   Double(q3.load(fromByteOffset: o, as: Float.self)))
            i &+= 1
        }
    }

    /// channelsFirst for planes of `elements` (8 ..< 72: one chunk block) elements, a
    /// constant at each call: the same order (one 8-lane Float sum of the chunks,
    /// reduced in laneSums' order and added in Double to +0, then the last
    /// elements % 8 elements in Double), four planes at a time.
    @inline(__always)
    static func smallPlanes(_ src: UnsafePointer<Float>, _ planes: Int, _ elements: Int, _ count: Double,
                            _ dst: UnsafeMutablePointer<Float>) {
        let E = elements, chunks = E / 8
        let scales = SIMD4<Double>(repeating: 1 / count)
        let planeBytes = E &* 4
        var p = 0
        while p &+ 4 <= planes {
            if p &+ 20 <= planes { AvgRows.prefetchPlanes(src + (p &+ 16) &* E, 4 &* E, Float.self) }
            let q0 = UnsafeRawPointer(src + p &* E), q1 = q0 + planeBytes, q2 = q1 + planeBytes, q3 = q2 + planeBytes
            var a0 = q0.loadUnaligned(as: SIMD8<Float>.self), a1 = q1.loadUnaligned(as: SIMD8<Float>.self)
            var a2 = q2.loadUnaligned(as: SIMD8<Float>.self), a3 = q3.loadUnaligned(as: SIMD8<Float>.self)
            addChunks(q0, q1, q2, q3, 1, chunks, &a0, &a1, &a2, &a3)
            // +0 + s == s for every s but -0 (whose total, +0 either way, is the same).
            var total = widen(laneSums(a0, a1, a2, a3)) + SIMD4<Double>()
            addTail(q0, q1, q2, q3, chunks &* 8, E, &total)
            UnsafeMutableRawPointer(dst + p).storeBytes(of: narrow(total * scales), as: SIMD4<Float>.self)
            p &+= 4
        }
        while p < planes {
            dst[p] = Float(planeSum(UnsafeRawPointer(src + p &* E), E) * scales[0])
            p &+= 1
        }
    }
}
