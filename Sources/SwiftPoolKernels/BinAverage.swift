// Adaptive average pooling of float32 in PyTorch's arithmetic (aten's cpu
// adaptive_avg_pool kernels): each output sums its bin's elements in scan order
// (D, H, W) in Float from +0, then divides by the bin's depth, by its rows and by
// its width in turn, each quotient rounded (`sum / kd / kh / kw`; a division by 1
// is exact and skipped). SIMD lanes run across channels (channels-last) or across
// planes copied into a channels-last tile (channels-first); every lane is one
// output's own chain, so results do not depend on the family or the lane count.
import SwiftPoolKernelABI
import _SwiftPoolCPU

enum BinAverage {
    /// `sum / depth / rows / width`, lane by lane.
    @inline(__always)
    static func mean(_ sum: SIMD8<Float>, _ depth: Int, _ rows: Int, _ width: Int) -> SIMD8<Float> {
        var v = sum
        if depth != 1 { v = v / SIMD8<Float>(repeating: Float(depth)) }
        if rows != 1 { v = v / SIMD8<Float>(repeating: Float(rows)) }
        if width != 1 { v = v / SIMD8<Float>(repeating: Float(width)) }
        return v
    }

    @inline(__always)
    static func mean(_ sum: Float, _ depth: Int, _ rows: Int, _ width: Int) -> Float {
        var v = sum
        if depth != 1 { v = v / Float(depth) }
        if rows != 1 { v = v / Float(rows) }
        if width != 1 { v = v / Float(width) }
        return v
    }

    /// src: the bin's first pixel (channel 0); depth x rows x width pixels, slices
    /// `depthStride` and rows `rowStride` elements apart, pixels `channels` apart.
    @inline(never)
    static func channelsLast(_ src: UnsafePointer<Float>, _ depth: Int, _ depthStride: Int, _ rows: Int,
                             _ rowStride: Int, _ width: Int, _ channels: Int,
                             _ dst: UnsafeMutablePointer<Float>) {
        let C = channels
        var c0 = 0
        while c0 &+ 32 <= C {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            for d in 0..<depth {
                for r in 0..<rows {
                    var s = UnsafeRawPointer(src + (d &* depthStride &+ r &* rowStride &+ c0))
                    for _ in 0..<width {
                        a0 += s.loadUnaligned(as: SIMD8<Float>.self)
                        a1 += s.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                        a2 += s.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                        a3 += s.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                        s += C &* 4
                    }
                }
            }
            let out = UnsafeMutableRawPointer(dst + c0)
            out.storeBytes(of: mean(a0, depth, rows, width), as: SIMD8<Float>.self)
            out.storeBytes(of: mean(a1, depth, rows, width), toByteOffset: 32, as: SIMD8<Float>.self)
            out.storeBytes(of: mean(a2, depth, rows, width), toByteOffset: 64, as: SIMD8<Float>.self)
            out.storeBytes(of: mean(a3, depth, rows, width), toByteOffset: 96, as: SIMD8<Float>.self)
            c0 &+= 32
        }
        while c0 &+ 8 <= C {
            var a = SIMD8<Float>()
            for d in 0..<depth {
                for r in 0..<rows {
                    var s = UnsafeRawPointer(src + (d &* depthStride &+ r &* rowStride &+ c0))
                    for _ in 0..<width {
                        a += s.loadUnaligned(as: SIMD8<Float>.self)
                        s += C &* 4
                    }
                }
            }
            UnsafeMutableRawPointer(dst + c0).storeBytes(of: mean(a, depth, rows, width), as: SIMD8<Float>.self)
            c0 &+= 8
        }
        while c0 < C {
            var a: Float = 0
            for d in 0..<depth {
                for r in 0..<rows {
                    let s = src + (d &* depthStride &+ r &* rowStride &+ c0)
                    for w in 0..<width { a += s[w &* C] }
                }
            }
            dst[c0] = mean(a, depth, rows, width)
            c0 &+= 1
        }
    }

    /// A 4x4 transpose in 128-bit shuffles (unpck/movlh/movhl: one micro-op each
    /// even where 256-bit shuffles are split or lane-crossing ones slow).
    @inline(__always)
    static func transpose4(_ r0: SIMD4<Float>, _ r1: SIMD4<Float>, _ r2: SIMD4<Float>,
                           _ r3: SIMD4<Float>) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let t0 = SIMD4<Float>(r0[0], r1[0], r0[1], r1[1]), t1 = SIMD4<Float>(r2[0], r3[0], r2[1], r3[1])
        let t2 = SIMD4<Float>(r0[2], r1[2], r0[3], r1[3]), t3 = SIMD4<Float>(r2[2], r3[2], r2[3], r3[3])
        return (SIMD4<Float>(t0[0], t0[1], t1[0], t1[1]), SIMD4<Float>(t0[2], t0[3], t1[2], t1[3]),
                SIMD4<Float>(t2[0], t2[1], t3[0], t3[1]), SIMD4<Float>(t2[2], t2[3], t3[2], t3[3]))
    }

    /// Pixels first ..< first + count of 8 planes (lane k from q[k]) into tile
    /// slots slot ..< slot + count (32 bytes each): blocks of 4 pixels as two 4x4
    /// transposes (planes 0-3 and 4-7; the AVX2 family: spcpu_transpose_4x8, both
    /// at once in 256-bit registers), then single pixels.
    @inline(__always)
    static func copy(_ q0: UnsafePointer<Float>, _ q1: UnsafePointer<Float>, _ q2: UnsafePointer<Float>,
                     _ q3: UnsafePointer<Float>, _ q4: UnsafePointer<Float>, _ q5: UnsafePointer<Float>,
                     _ q6: UnsafePointer<Float>, _ q7: UnsafePointer<Float>, first: Int, count: Int,
                     _ tile: UnsafeMutableRawPointer, slot: Int, next: UnsafeRawPointer? = nil) {
        _ = copy(q0, q1, q2, q3, q4, q5, q6, q7, first: first, count: count, tile, slot: slot, checkNaN: false,
                 next: next)
    }

    /// As copy; with `checkNaN` (a constant after inlining), also whether any
    /// copied value is NaN. With `next` (whole planes: the next 8 planes, 8 x count
    /// floats from there), two lines of it are prefetched per 4 pixels copied: the 8
    /// short streams otherwise waited on L2 (8x256x13x13 in a C loop: 26.5 -> 19.5 us
    /// per 2048 planes; prefetching the next group all at once took 30 us).
    @inline(__always)
    static func copy(_ q0: UnsafePointer<Float>, _ q1: UnsafePointer<Float>, _ q2: UnsafePointer<Float>,
                     _ q3: UnsafePointer<Float>, _ q4: UnsafePointer<Float>, _ q5: UnsafePointer<Float>,
                     _ q6: UnsafePointer<Float>, _ q7: UnsafePointer<Float>, first: Int, count: Int,
                     _ tile: UnsafeMutableRawPointer, slot: Int, checkNaN: Bool,
                     next: UnsafeRawPointer? = nil) -> Bool {
        var t = tile + slot &* 32
        var i = first
        let end = first &+ count
        // A hint: any address (the last group's "next" lies past the input).
        let ahead = next ?? UnsafeRawPointer(q0), aheadBytes = next == nil ? 0 : count &* 32
        var pf = 0
        #if SWIFTPOOL_AVX2
        var unordered8 = SIMD8<Float>()
        while i &+ 4 <= end {
            if pf < aheadBytes { spcpu_prefetch(ahead + pf); spcpu_prefetch(ahead + (pf &+ 64)); pf &+= 128 }
            unordered8 = spcpu_transpose_4x8(q0 + i, q1 + i, q2 + i, q3 + i, q4 + i, q5 + i, q6 + i, q7 + i,
                                             t.assumingMemoryBound(to: Float.self), unordered8)
            t += 128
            i &+= 4
        }
        var tailNaN = checkNaN && spcpu_any_sign8(unordered8) != 0
        #else
        var unordered = SIMDMask<SIMD4<Int32>>(repeating: false)
        while i &+ 4 <= end {
            if pf < aheadBytes { spcpu_prefetch(ahead + pf); spcpu_prefetch(ahead + (pf &+ 64)); pf &+= 128 }
            let a = transpose4(UnsafeRawPointer(q0 + i).loadUnaligned(as: SIMD4<Float>.self),
                               UnsafeRawPointer(q1 + i).loadUnaligned(as: SIMD4<Float>.self),
                               UnsafeRawPointer(q2 + i).loadUnaligned(as: SIMD4<Float>.self),
                               UnsafeRawPointer(q3 + i).loadUnaligned(as: SIMD4<Float>.self))
            let b = transpose4(UnsafeRawPointer(q4 + i).loadUnaligned(as: SIMD4<Float>.self),
                               UnsafeRawPointer(q5 + i).loadUnaligned(as: SIMD4<Float>.self),
                               UnsafeRawPointer(q6 + i).loadUnaligned(as: SIMD4<Float>.self),
                               UnsafeRawPointer(q7 + i).loadUnaligned(as: SIMD4<Float>.self))
            if checkNaN {
                unordered = unordered .| (a.0 .!= a.0) .| (a.1 .!= a.1) .| (a.2 .!= a.2) .| (a.3 .!= a.3)
                    .| (b.0 .!= b.0) .| (b.1 .!= b.1) .| (b.2 .!= b.2) .| (b.3 .!= b.3)
            }
            t.storeBytes(of: a.0, as: SIMD4<Float>.self)
            t.storeBytes(of: b.0, toByteOffset: 16, as: SIMD4<Float>.self)
            t.storeBytes(of: a.1, toByteOffset: 32, as: SIMD4<Float>.self)
            t.storeBytes(of: b.1, toByteOffset: 48, as: SIMD4<Float>.self)
            t.storeBytes(of: a.2, toByteOffset: 64, as: SIMD4<Float>.self)
            t.storeBytes(of: b.2, toByteOffset: 80, as: SIMD4<Float>.self)
            t.storeBytes(of: a.3, toByteOffset: 96, as: SIMD4<Float>.self)
            t.storeBytes(of: b.3, toByteOffset: 112, as: SIMD4<Float>.self)
            t += 128
            i &+= 4
        }
        var tailNaN = checkNaN && any(unordered)
        #endif
        while i < end {
            let v = SIMD8<Float>(q0[i], q1[i], q2[i], q3[i], q4[i], q5[i], q6[i], q7[i])
            if checkNaN && any(v .!= v) { tailNaN = true }
            t.storeBytes(of: v, as: SIMD8<Float>.self)
            t += 32
            i &+= 1
        }
        return tailNaN
    }

    /// Four bins (or, with `pair`, the first two) of one width (constants after
    /// inlining: the tap loop unrolls): bin j's taps start at byte offset oj of
    /// each row; each sum in scan order.
    @inline(__always)
    static func sum4(_ base: UnsafeMutableRawPointer, _ o0: Int, _ o1: Int, _ o2: Int, _ o3: Int, _ width: Int,
                     _ depth: Int, _ rows: Int, _ sliceBytes: Int, _ rowBytes: Int,
                     _ s0: inout SIMD8<Float>, _ s1: inout SIMD8<Float>, _ s2: inout SIMD8<Float>,
                     _ s3: inout SIMD8<Float>, pair: Bool = false) {
        var slice = base
        for _ in 0..<depth {
            var row = slice
            for _ in 0..<rows {
                for k in 0..<width {
                    s0 += row.loadUnaligned(fromByteOffset: o0 &+ k &* 32, as: SIMD8<Float>.self)
                    s1 += row.loadUnaligned(fromByteOffset: o1 &+ k &* 32, as: SIMD8<Float>.self)
                    if !pair {
                        s2 += row.loadUnaligned(fromByteOffset: o2 &+ k &* 32, as: SIMD8<Float>.self)
                        s3 += row.loadUnaligned(fromByteOffset: o3 &+ k &* 32, as: SIMD8<Float>.self)
                    }
                }
                row += rowBytes
            }
            slice += sliceBytes
        }
    }

    /// The output tile (`count` outputs, lane k of slot q: plane k's output q) to
    /// `lanes` planes `count` floats apart from `out`: blocks of 4 outputs as 4x4
    /// transposes (the AVX2 family, 8 lanes: spcpu_untranspose_4x8, both halves at
    /// once), then single outputs.
    @inline(__always)
    static func storePlanes(_ tile: UnsafeMutableRawPointer, _ count: Int, _ lanes: Int,
                            _ out: UnsafeMutablePointer<Float>) {
        var q = 0
        #if SWIFTPOOL_AVX2
        if lanes == 8 {
            let t = tile.assumingMemoryBound(to: Float.self)
            while q &+ 4 <= count {
                let o = out + q
                spcpu_untranspose_4x8(t + q &* 8, o, o + count, o + 2 &* count, o + 3 &* count, o + 4 &* count,
                                      o + 5 &* count, o + 6 &* count, o + 7 &* count)
                q &+= 4
            }
        }
        #endif
        while q &+ 4 <= count {
            let t = tile + q &* 32
            for half in 0..<2 where half &* 4 < lanes {
                let h = half &* 16
                let r = transpose4(t.loadUnaligned(fromByteOffset: h, as: SIMD4<Float>.self),
                                   t.loadUnaligned(fromByteOffset: h &+ 32, as: SIMD4<Float>.self),
                                   t.loadUnaligned(fromByteOffset: h &+ 64, as: SIMD4<Float>.self),
                                   t.loadUnaligned(fromByteOffset: h &+ 96, as: SIMD4<Float>.self))
                let first = out + (half &* 4 &* count &+ q)
                let n = lanes &- half &* 4
                UnsafeMutableRawPointer(first).storeBytes(of: r.0, as: SIMD4<Float>.self)
                if n > 1 { UnsafeMutableRawPointer(first + count).storeBytes(of: r.1, as: SIMD4<Float>.self) }
                if n > 2 { UnsafeMutableRawPointer(first + 2 &* count).storeBytes(of: r.2, as: SIMD4<Float>.self) }
                if n > 3 { UnsafeMutableRawPointer(first + 3 &* count).storeBytes(of: r.3, as: SIMD4<Float>.self) }
            }
            q &+= 4
        }
        while q < count {
            let v = tile.loadUnaligned(fromByteOffset: q &* 32, as: SIMD8<Float>.self)
            store(v, out + q, lanes, count)
            q &+= 1
        }
    }

    /// Lane k of v to out[k * stride], k < lanes.
    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ out: UnsafeMutablePointer<Float>, _ lanes: Int, _ stride: Int) {
        if lanes == 8 {
            out[0] = v[0]; out[stride] = v[1]; out[2 &* stride] = v[2]; out[3 &* stride] = v[3]
            out[4 &* stride] = v[4]; out[5 &* stride] = v[5]; out[6 &* stride] = v[6]; out[7 &* stride] = v[7]
        } else {
            for k in 0..<lanes { out[k &* stride] = v[k] }
        }
    }

    /// Bins of one axis that are uniform windows: bin o is [o * stride, o * stride +
    /// width). Returns (stride, width), or nil.
    @inline(__always)
    static func uniformBins(_ bins: UnsafePointer<Int>, _ count: Int) -> (stride: Int, width: Int)? {
        let width = bins[1] &- bins[0]
        let stride = count > 1 ? bins[2] &- bins[0] : 1
        guard bins[0] == 0, stride >= 1 else { return nil }
        for o in 0..<count where bins[2 &* o] != o &* stride || bins[2 &* o &+ 1] &- bins[2 &* o] != width {
            return nil
        }
        return (stride, width)
    }

    /// Planes (2D) whose bins are uniform windows along both axes, `width` <= 4
    /// wide at stride 1 or 2 along W, with at most 8 outputs per row (13 -> 6: three
    /// wide at stride 2): straight from the planes, lanes along an output row (the
    /// tile's transposes cost about as much as the sums there). Stride 2 uses
    /// de-interleaving loads. Each output sums its bin in scan order from +0 and
    /// divides as `mean`, as channelsFirst's tile path does: the same bits.
    /// Reads up to 18 elements from the start of a window row, past the plane for
    /// its last rows: the caller leaves its last plane out. Rows shorter than 8
    /// outputs are stored as whole vectors whose extra lanes land in the next
    /// outputs (rewritten later: the caller computes its last plane afterwards),
    /// except where a vector would pass `outputLimit` (the caller's output end).
    @inline(never)
    static func uniformRows(_ src: UnsafePointer<Float>, planes: Int, H: Int, W: Int, OH: Int, OW: Int,
                            strideH: Int, rows: Int, strideW: Int, width: Int, _ dst: UnsafeMutablePointer<Float>,
                            outputLimit: Int) {
        if strideW == 2 && width == 3 {
            uniformRows(src, planes: planes, H: H, W: W, OH: OH, OW: OW, strideH: strideH, rows: rows, dst,
                        outputLimit: outputLimit, ThreeWideStrideTwo())
        } else {
            uniformRows(src, planes: planes, H: H, W: W, OH: OH, OW: OW, strideH: strideH, rows: rows, dst,
                        outputLimit: outputLimit, AnyUniformRow(strideW: strideW, width: width))
        }
    }

    /// Four output rows at a time (independent addition and division chains), the
    /// planes' output rows taken as one sequence (contiguous in the output).
    @inline(__always)
    static func uniformRows<S: UniformRowSum>(_ src: UnsafePointer<Float>, planes: Int, H: Int, W: Int, OH: Int,
                                              OW: Int, strideH: Int, rows: Int, _ dst: UnsafeMutablePointer<Float>,
                                              outputLimit: Int, _ sum: S) {
        let plane = H &* W, rowStep = strideH &* W, total = planes &* OH
        // Input of output row `oh` of the current plane, advanced row by row.
        var oh = 0, input = src
        @inline(__always) func next() -> UnsafePointer<Float> {
            let here = input
            oh &+= 1
            if oh == OH {
                oh = 0
                input += plane &- (OH &- 1) &* rowStep
            } else {
                input += rowStep
            }
            return here
        }
        @inline(__always) func rowSum(_ first: UnsafePointer<Float>) -> SIMD8<Float> {
            var s = SIMD8<Float>(), r = first
            for _ in 0..<rows { sum.add(&s, r); r += W }
            return s
        }
        @inline(__always) func put(_ s: SIMD8<Float>, _ row: Int) {
            let v = sum.natural(mean(s, 1, rows, sum.width)), o = dst + row &* OW
            // A whole vector spills into the next outputs, written after it (by this
            // loop, or the caller's last plane); not past `outputLimit`.
            if row &* OW &+ 8 <= outputLimit {
                Float.store(v, o)
            } else {
                for l in 0..<OW { o[l] = v[l] }
            }
        }
        if S.self == ThreeWideStrideTwo.self && strideH == 2 && rows == 3 {
            // Bins three rows high at stride 2 (13 -> 6): row 2k ends output row k - 1's
            // window and starts row k's, so each input row's taps are loaded and
            // de-interleaved once for both (8x256x13x13 -> 6x6, 1 thread: 48.4-48.9 ->
            // 42.1-43.0 us). Each output still adds its nine taps in scan order from
            // +0. Two planes at a time (more independent chains) was no faster.
            @inline(__always) func taps(_ r: UnsafePointer<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                #if SWIFTPOOL_AVX2
                return (spcpu_even_stride2(r), spcpu_odd_stride2(r), spcpu_odd_stride2(r + 1))
                #else
                return (Float.loadEvenPermuted(r), Float.loadOddPermuted(r), Float.loadOddPermuted(r + 1))
                #endif
            }
            var p = 0
            while p < planes {
                var r = src + p &* plane
                var (e0, o0, f0) = taps(r)
                var k = 0
                while k < OH {
                    let (e1, o1, f1) = taps(r + W), (e2, o2, f2) = taps(r + 2 &* W)
                    var s = SIMD8<Float>() + e0
                    s += o0; s += f0; s += e1; s += o1; s += f1; s += e2; s += o2; s += f2
                    put(s, p &* OH &+ k)
                    (e0, o0, f0) = (e2, o2, f2)
                    r += 2 &* W
                    k &+= 1
                }
                p &+= 1
            }
            return
        }
        var row = 0
        while row &+ 4 <= total {
            let a = next(), b = next(), c = next(), d = next()
            var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
            var r0 = a, r1 = b, r2 = c, r3 = d
            for _ in 0..<rows {
                sum.add(&s0, r0); sum.add(&s1, r1); sum.add(&s2, r2); sum.add(&s3, r3)
                r0 += W; r1 += W; r2 += W; r3 += W
            }
            put(s0, row); put(s1, row &+ 1); put(s2, row &+ 2); put(s3, row &+ 3)
            row &+= 4
        }
        while row < total {
            put(rowSum(next()), row)
            row &+= 1
        }
    }

    /// Channels-first planes, 8 at a time (AdaptivePlanes).
    @inline(never)
    static func channelsFirst(_ src: UnsafePointer<Float>, _ p: AdaptivePlanes, _ dst: UnsafeMutablePointer<Float>) {
        let H = p.H, W = p.W, OD = p.OD, OH = p.OH, OW = p.OW
        let plane = p.D &* H &* W, outPlane = OD &* OH &* OW
        let binsD = p.bins, binsH = p.bins + 2 &* OD, binsW = binsH + 2 &* OH
        let tile = UnsafeMutableRawPointer(p.tile)
        let outTile = p.outTile.map { UnsafeMutableRawPointer($0) }
        let whole = p.wholePlane
        var p0 = 0
        // Uniform 2D bins, rows of at most 8 outputs: all planes but the last
        // straight from the planes (uniformRows reads past a plane's end).
        if p.D == 1 && OD == 1 && OW <= 8 && p.planes >= 2 && plane >= 16,
           let (strideW, width) = uniformBins(binsW, OW), strideW <= 2, width <= 4,
           let (strideH, rows) = uniformBins(binsH, OH) {
            uniformRows(src, planes: p.planes &- 1, H: H, W: W, OH: OH, OW: OW, strideH: strideH, rows: rows,
                        strideW: strideW, width: width, dst, outputLimit: p.planes &* outPlane)
            p0 = p.planes &- 1
        }
        while p0 < p.planes {
            let lanes = Swift.min(8, p.planes &- p0)
            // Missing lanes repeat the last plane (computed, never stored).
            let q0 = src + p0 &* plane
            @inline(__always) func lane(_ k: Int) -> UnsafePointer<Float> { q0 + Swift.min(k, lanes &- 1) &* plane }
            let q1 = lane(1), q2 = lane(2), q3 = lane(3), q4 = lane(4), q5 = lane(5), q6 = lane(6), q7 = lane(7)
            if whole {
                copy(q0, q1, q2, q3, q4, q5, q6, q7, first: 0, count: plane, tile, slot: 0,
                     next: UnsafeRawPointer(q0 + 8 &* plane))
            }
            let out0 = dst + p0 &* outPlane
            var q = 0
            for od in 0..<OD {
                let d0 = binsD[2 &* od], d1 = binsD[2 &* od &+ 1]
                for oh in 0..<OH {
                    let h0 = binsH[2 &* oh], h1 = binsH[2 &* oh &+ 1]
                    let rows = h1 &- h0
                    // Tile slot of pixel (d, h0, 0), and of the next slice.
                    let slotBase: Int, sliceSlots: Int
                    if whole {
                        slotBase = (d0 &* H &+ h0) &* W
                        sliceSlots = H &* W
                    } else {
                        for d in d0..<d1 {
                            copy(q0, q1, q2, q3, q4, q5, q6, q7, first: (d &* H &+ h0) &* W, count: rows &* W,
                                 tile, slot: (d &- d0) &* rows &* W)
                        }
                        slotBase = 0
                        sliceSlots = rows &* W
                    }
                    // Four bins of the row at a time: independent add and divide chains
                    // overlap. A last group of one or two bins sums only those; of three,
                    // it repeats the last bin (computed, not stored).
                    var ow = 0
                    while ow < OW {
                        let count = Swift.min(4, OW &- ow)
                        let j1 = Swift.min(ow &+ 1, OW &- 1), j2 = Swift.min(ow &+ 2, OW &- 1)
                        let j3 = Swift.min(ow &+ 3, OW &- 1)
                        let b0 = binsW[2 &* ow], e0 = binsW[2 &* ow &+ 1], b1 = binsW[2 &* j1], e1 = binsW[2 &* j1 &+ 1]
                        let b2 = binsW[2 &* j2], e2 = binsW[2 &* j2 &+ 1], b3 = binsW[2 &* j3], e3 = binsW[2 &* j3 &+ 1]
                        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
                        let base = tile + slotBase &* 32
                        let k0 = e0 &- b0
                        let depth = d1 &- d0
                        if count <= 2 && k0 == e1 &- b1 && k0 <= 4 {
                            let o0 = b0 &* 32, o1 = b1 &* 32
                            switch k0 {
                            case 1: sum4(base, o0, o1, o0, o1, 1, depth, rows, sliceSlots &* 32, W &* 32, &s0, &s1, &s2, &s3, pair: true)
                            case 2: sum4(base, o0, o1, o0, o1, 2, depth, rows, sliceSlots &* 32, W &* 32, &s0, &s1, &s2, &s3, pair: true)
                            case 3: sum4(base, o0, o1, o0, o1, 3, depth, rows, sliceSlots &* 32, W &* 32, &s0, &s1, &s2, &s3, pair: true)
                            default: sum4(base, o0, o1, o0, o1, 4, depth, rows, sliceSlots &* 32, W &* 32, &s0, &s1, &s2, &s3, pair: true)
                            }
                        } else if k0 == e1 &- b1 && k0 == e2 &- b2 && k0 == e3 &- b3 && k0 <= 4 {
                            // Equal short widths (the common case): a branch-free row body.
                            let o0 = b0 &* 32, o1 = b1 &* 32, o2 = b2 &* 32, o3 = b3 &* 32
                            switch k0 {
                            case 1: sum4(base, o0, o1, o2, o3, 1, depth, rows, sliceSlots &* 32, W &* 32, &s0, &s1, &s2, &s3)
                            case 2: sum4(base, o0, o1, o2, o3, 2, depth, rows, sliceSlots &* 32, W &* 32, &s0, &s1, &s2, &s3)
                            case 3: sum4(base, o0, o1, o2, o3, 3, depth, rows, sliceSlots &* 32, W &* 32, &s0, &s1, &s2, &s3)
                            default: sum4(base, o0, o1, o2, o3, 4, depth, rows, sliceSlots &* 32, W &* 32, &s0, &s1, &s2, &s3)
                            }
                        } else {
                            var slice = base
                            for _ in d0..<d1 {
                                var row = slice
                                for _ in 0..<rows {
                                    var w = b0
                                    while w < e0 { s0 += row.loadUnaligned(fromByteOffset: w &* 32, as: SIMD8<Float>.self); w &+= 1 }
                                    w = b1
                                    while w < e1 { s1 += row.loadUnaligned(fromByteOffset: w &* 32, as: SIMD8<Float>.self); w &+= 1 }
                                    w = b2
                                    while w < e2 { s2 += row.loadUnaligned(fromByteOffset: w &* 32, as: SIMD8<Float>.self); w &+= 1 }
                                    w = b3
                                    while w < e3 { s3 += row.loadUnaligned(fromByteOffset: w &* 32, as: SIMD8<Float>.self); w &+= 1 }
                                    row += W &* 32
                                }
                                slice += sliceSlots &* 32
                            }
                        }
                        s0 = mean(s0, depth, rows, e0 &- b0)
                        if count > 1 { s1 = mean(s1, depth, rows, e1 &- b1) }
                        if count > 2 { s2 = mean(s2, depth, rows, e2 &- b2) }
                        if count > 3 { s3 = mean(s3, depth, rows, e3 &- b3) }
                        if let outTile {
                            let t = outTile + q &* 32
                            t.storeBytes(of: s0, as: SIMD8<Float>.self)
                            if count > 1 { t.storeBytes(of: s1, toByteOffset: 32, as: SIMD8<Float>.self) }
                            if count > 2 { t.storeBytes(of: s2, toByteOffset: 64, as: SIMD8<Float>.self) }
                            if count > 3 { t.storeBytes(of: s3, toByteOffset: 96, as: SIMD8<Float>.self) }
                        } else {
                            let out = out0 + q
                            store(s0, out, lanes, outPlane)
                            if count > 1 { store(s1, out + 1, lanes, outPlane) }
                            if count > 2 { store(s2, out + 2, lanes, outPlane) }
                            if count > 3 { store(s3, out + 3, lanes, outPlane) }
                        }
                        q &+= count
                        ow &+= 4
                    }
                }
            }
            if let outTile { storePlanes(outTile, outPlane, lanes, out0) }
            p0 &+= 8
        }
    }
}

/// One window row's taps added in order to an output row's sums (BinAverage.uniformRows).
protocol UniformRowSum {
    var width: Int { get }
    /// Adds the row's taps, left to right, to every lane's sum.
    func add(_ s: inout SIMD8<Float>, _ row: UnsafePointer<Float>)
    /// The sums' lanes in output order.
    func natural(_ v: SIMD8<Float>) -> SIMD8<Float>
}

/// Three taps at stride 2 (13 -> 6 and the like): de-interleaved loads.
struct ThreeWideStrideTwo: UniformRowSum {
    var width: Int { 3 }
    @inline(__always)
    func add(_ s: inout SIMD8<Float>, _ row: UnsafePointer<Float>) {
        #if SWIFTPOOL_AVX2
        s = spcpu_add_taps3_stride2(s, row)
        #else
        s += Float.loadEvenPermuted(row)
        s += Float.loadOddPermuted(row)
        s += Float.loadOddPermuted(row + 1)
        #endif
    }
    @inline(__always)
    func natural(_ v: SIMD8<Float>) -> SIMD8<Float> { Float.permute(v) }
}

/// Up to four taps at stride 1 or 2.
struct AnyUniformRow: UniformRowSum {
    let strideW: Int, width: Int
    @inline(__always)
    func add(_ s: inout SIMD8<Float>, _ row: UnsafePointer<Float>) {
        if strideW == 2 {
            s += Float.loadEvenPermuted(row)
            if width > 1 { s += Float.loadOddPermuted(row) }
            if width > 2 { s += Float.loadOddPermuted(row + 1) }
            if width > 3 { s += Float.loadOddPermuted(row + 2) }
        } else {
            s += Float.load(row)
            if width > 1 { s += Float.load(row + 1) }
            if width > 2 { s += Float.load(row + 2) }
            if width > 3 { s += Float.load(row + 3) }
        }
    }
    @inline(__always)
    func natural(_ v: SIMD8<Float>) -> SIMD8<Float> { strideW == 2 ? Float.permute(v) : v }
}
