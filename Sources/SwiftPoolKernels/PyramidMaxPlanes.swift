// Spatial pyramid max pooling of float32 channels-first planes: 8 planes of one
// sample at a time are copied into a channels-last tile (BinAverage.copy's 8x8
// transposes), then every bin of every level takes its maximum across the 8
// planes in SIMD. Max is exact under any grouping, so each bin runs two
// independent chains (even and odd rows) that overlap their latencies and merge
// at the end; which NaN payload a bin reports is unspecified (header). Without
// NaN, a bin whose table entry names a cover by finer bins (computed first) is
// the max of their results. Every bin's 8 lanes go to a results tile, written
// out per level and plane in 4x4 transposes.
import SwiftPoolKernelABI

/// A NaN rule on 8 float lanes. The kernel keeps, per chain, the maximum of the
/// numbers (`v > m ? v : m`: one vmaxps, NaN never taken), the last NaN seen and
/// whether a number was seen, on separate dependency chains (the maximum never
/// waits for the NaN bookkeeping); `finish` combines them.
protocol PyramidLaneRule {
    /// m: maximum of the numbers (-inf if none); nan: the last NaN (a number if
    /// none); seen: 1 in lanes that saw a number, else 0.
    static func finish(_ m: SIMD8<Float>, _ nan: SIMD8<Float>, _ seen: SIMD8<Float>) -> SIMD8<Float>
}

/// PyTorch's: a NaN in the bin gives NaN (propagates), else the maximum.
enum PyramidPropagateNaN: PyramidLaneRule {
    @inline(__always)
    static func finish(_ m: SIMD8<Float>, _ nan: SIMD8<Float>, _ seen: SIMD8<Float>) -> SIMD8<Float> {
        m.replacing(with: nan, where: nan .!= nan)
    }
}

/// fmax: the maximum of the numbers; a bin of NaNs only gives NaN.
enum PyramidIgnoreNaN: PyramidLaneRule {
    @inline(__always)
    static func finish(_ m: SIMD8<Float>, _ nan: SIMD8<Float>, _ seen: SIMD8<Float>) -> SIMD8<Float> {
        nan.replacing(with: m, where: seen .> 0)
    }
}

enum PyramidMaxPlanesKernel {
    @inline(never)
    static func run<R: PyramidLaneRule>(_ src: UnsafePointer<Float>, _ p: PyramidPlanes,
                                        _ dst: UnsafeMutablePointer<Float>, _: R.Type) {
        let W = p.W, plane = p.H &* W
        let tile = UnsafeMutableRawPointer(p.tile)
        let rowBytes = W &* 32
        let results = UnsafeMutableRawPointer(p.results)
        let entries = PyramidPlanes.entries
        var p0 = 0
        while p0 < p.planes {
            let lanes = Swift.min(8, p.planes &- p0)
            let hasNaN: Bool
            if p.pixelStride > 0 {
                hasNaN = gather(src + p0, p.pixelStride, plane, lanes, tile)
            } else {
                let q0 = src + p0 &* plane
                @inline(__always) func lane(_ k: Int) -> UnsafePointer<Float> { q0 + Swift.min(k, lanes &- 1) &* plane }
                hasNaN = BinAverage.copy(q0, lane(1), lane(2), lane(3), lane(4), lane(5), lane(6), lane(7), first: 0,
                                         count: plane, tile, slot: 0, checkNaN: true,
                                         next: UnsafeRawPointer(q0 + 8 &* plane))
            }
            let channel = p.channelBase &+ p0
            if !hasNaN {
                // No NaN in these planes (the usual case): both rules are the plain
                // maximum, one vmaxps per tap.
                for b in 0..<p.binCount {
                    let e = p.bins + entries &* b
                    if e[6] >= 0 {
                        var m = SIMD8<Float>(repeating: -.infinity)
                        var r = results + e[6] &* 32
                        for _ in 0..<e[7] {
                            for c in 0..<e[8] {
                                let v = r.loadUnaligned(fromByteOffset: c &* 32, as: SIMD8<Float>.self)
                                m = m.replacing(with: v, where: v .> m)
                            }
                            r += e[9] &* 32
                        }
                        results.storeBytes(of: m, toByteOffset: b &* 32, as: SIMD8<Float>.self)
                        continue
                    }
                    let h0 = e[0], h1 = e[1], w0 = e[2], w1 = e[3]
                    // Four chains (rows mod 4) hide vmaxps latency.
                    var m0 = SIMD8<Float>(repeating: -.infinity), m1 = m0, m2 = m0, m3 = m0
                    var row = tile + (h0 &* W &+ w0) &* 32
                    var h = h0
                    while h &+ 4 <= h1 {
                        var t = row
                        for _ in w0..<w1 {
                            let v0 = t.loadUnaligned(as: SIMD8<Float>.self)
                            let v1 = t.loadUnaligned(fromByteOffset: rowBytes, as: SIMD8<Float>.self)
                            let v2 = t.loadUnaligned(fromByteOffset: 2 &* rowBytes, as: SIMD8<Float>.self)
                            let v3 = t.loadUnaligned(fromByteOffset: 3 &* rowBytes, as: SIMD8<Float>.self)
                            m0 = m0.replacing(with: v0, where: v0 .> m0)
                            m1 = m1.replacing(with: v1, where: v1 .> m1)
                            m2 = m2.replacing(with: v2, where: v2 .> m2)
                            m3 = m3.replacing(with: v3, where: v3 .> m3)
                            t += 32
                        }
                        row += 4 &* rowBytes
                        h &+= 4
                    }
                    while h < h1 {
                        var t = row
                        var w = w0
                        while w &+ 2 <= w1 {
                            let v0 = t.loadUnaligned(as: SIMD8<Float>.self)
                            let v1 = t.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                            m0 = m0.replacing(with: v0, where: v0 .> m0)
                            m1 = m1.replacing(with: v1, where: v1 .> m1)
                            t += 64
                            w &+= 2
                        }
                        if w < w1 {
                            let v = t.loadUnaligned(as: SIMD8<Float>.self)
                            m2 = m2.replacing(with: v, where: v .> m2)
                        }
                        row += rowBytes
                        h &+= 1
                    }
                    m0 = m0.replacing(with: m1, where: m1 .> m0)
                    m2 = m2.replacing(with: m3, where: m3 .> m2)
                    results.storeBytes(of: m0.replacing(with: m2, where: m2 .> m0), toByteOffset: b &* 32,
                                       as: SIMD8<Float>.self)
                }
                storeLevels(results, p, channel, lanes, dst)
                p0 &+= 8
                continue
            }
            for b in 0..<p.binCount {
                let e = p.bins + entries &* b
                let h0 = e[0], h1 = e[1], w0 = e[2], w1 = e[3]
                // Two chains (even and odd rows): m, nan, seen each.
                let lowest = SIMD8<Float>(repeating: -.infinity), zero = SIMD8<Float>(), one = SIMD8<Float>(repeating: 1)
                var m0 = lowest, m1 = lowest, n0 = zero, n1 = zero, s0 = zero, s1 = zero
                var row = tile + (h0 &* W &+ w0) &* 32
                var h = h0
                while h &+ 2 <= h1 {
                    var t = row
                    for _ in w0..<w1 {
                        let v = t.loadUnaligned(as: SIMD8<Float>.self)
                        let u = t.loadUnaligned(fromByteOffset: rowBytes, as: SIMD8<Float>.self)
                        m0 = m0.replacing(with: v, where: v .> m0)
                        m1 = m1.replacing(with: u, where: u .> m1)
                        n0 = n0.replacing(with: v, where: v .!= v)
                        n1 = n1.replacing(with: u, where: u .!= u)
                        s0 = s0.replacing(with: one, where: v .== v)
                        s1 = s1.replacing(with: one, where: u .== u)
                        t += 32
                    }
                    row += 2 &* rowBytes
                    h &+= 2
                }
                if h < h1 {
                    var t = row
                    for _ in w0..<w1 {
                        let v = t.loadUnaligned(as: SIMD8<Float>.self)
                        m0 = m0.replacing(with: v, where: v .> m0)
                        n0 = n0.replacing(with: v, where: v .!= v)
                        s0 = s0.replacing(with: one, where: v .== v)
                        t += 32
                    }
                }
                let m = m0.replacing(with: m1, where: m1 .> m0)
                let n = n0.replacing(with: n1, where: n1 .!= n1)
                let seen = s0.replacing(with: s1, where: s1 .> s0)
                results.storeBytes(of: R.finish(m, n, seen), toByteOffset: b &* 32, as: SIMD8<Float>.self)
            }
            storeLevels(results, p, channel, lanes, dst)
            p0 &+= 8
        }
    }

    /// Channels-last source: `lanes` consecutive channels of `pixels` pixels (`stride`
    /// elements apart, from src) into tile slots 0 ..< pixels (missing lanes repeat
    /// the last channel: computed, never stored); whether any is NaN. One 32-byte
    /// load per pixel when lanes is 8, no transposes.
    @inline(__always)
    static func gather(_ src: UnsafePointer<Float>, _ stride: Int, _ pixels: Int, _ lanes: Int,
                       _ tile: UnsafeMutableRawPointer) -> Bool {
        var unordered = SIMDMask<SIMD8<Int32>>(repeating: false)
        var t = tile
        if lanes == 8 {
            var q = UnsafeRawPointer(src)
            let step = stride &* 4
            var i = 0
            while i &+ 4 <= pixels {
                let a = q.loadUnaligned(as: SIMD8<Float>.self)
                let b = q.loadUnaligned(fromByteOffset: step, as: SIMD8<Float>.self)
                let c = q.loadUnaligned(fromByteOffset: 2 &* step, as: SIMD8<Float>.self)
                let d = q.loadUnaligned(fromByteOffset: 3 &* step, as: SIMD8<Float>.self)
                unordered = unordered .| (a .!= a) .| (b .!= b) .| (c .!= c) .| (d .!= d)
                t.storeBytes(of: a, as: SIMD8<Float>.self)
                t.storeBytes(of: b, toByteOffset: 32, as: SIMD8<Float>.self)
                t.storeBytes(of: c, toByteOffset: 64, as: SIMD8<Float>.self)
                t.storeBytes(of: d, toByteOffset: 96, as: SIMD8<Float>.self)
                t += 128
                q += 4 &* step
                i &+= 4
            }
            while i < pixels {
                let a = q.loadUnaligned(as: SIMD8<Float>.self)
                unordered = unordered .| (a .!= a)
                t.storeBytes(of: a, as: SIMD8<Float>.self)
                t += 32
                q += step
                i &+= 1
            }
            return any(unordered)
        }
        for i in 0..<pixels {
            let q = src + i &* stride
            var v = SIMD8<Float>(repeating: q[lanes &- 1])
            for k in 0..<(lanes &- 1) { v[k] = q[k] }
            unordered = unordered .| (v .!= v)
            t.storeBytes(of: v, as: SIMD8<Float>.self)
            t += 32
        }
        return any(unordered)
    }

    /// Each level's bins (consecutive in the table) from the results tile to the
    /// output: channel `channel + k`'s values of a level are consecutive.
    @inline(__always)
    static func storeLevels(_ results: UnsafeMutableRawPointer, _ p: PyramidPlanes, _ channel: Int, _ lanes: Int,
                            _ dst: UnsafeMutablePointer<Float>) {
        var b = 0
        while b < p.binCount {
            let e = p.bins + PyramidPlanes.entries &* b
            let count = e[5]
            BinAverage.storePlanes(results + b &* 32, count, lanes, dst + (e[4] &+ channel &* count))
            b &+= count
        }
    }
}
