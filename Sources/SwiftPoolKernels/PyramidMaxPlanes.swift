// Spatial pyramid max pooling of float32 channels-first planes: 8 planes of one
// sample at a time are copied into a channels-last tile (BinAverage.copy's 8x8
// transposes), then every bin of every level takes its maximum across the 8
// planes in SIMD. Max is exact under any grouping, so each bin runs two
// independent chains (even and odd rows) that overlap their latencies and merge
// at the end; which NaN payload a bin reports is unspecified (header).
import SwiftPoolKernelABI

/// A NaN rule on 8 float lanes.
protocol PyramidLaneRule {
    static var initial: SIMD8<Float> { get }
    static func step(_ m: SIMD8<Float>, _ v: SIMD8<Float>) -> SIMD8<Float>
}

/// PyTorch's: a larger value or a NaN replaces the maximum (NaN propagates).
enum PyramidPropagateNaN: PyramidLaneRule {
    @inline(__always) static var initial: SIMD8<Float> { SIMD8(repeating: -.infinity) }
    @inline(__always)
    static func step(_ m: SIMD8<Float>, _ v: SIMD8<Float>) -> SIMD8<Float> {
        m.replacing(with: v, where: (v .> m) .| (v .!= v))
    }
}

/// fmax: NaN never beats a number; starting from NaN, all-NaN bins stay NaN.
enum PyramidIgnoreNaN: PyramidLaneRule {
    @inline(__always) static var initial: SIMD8<Float> { SIMD8(repeating: .nan) }
    @inline(__always)
    static func step(_ m: SIMD8<Float>, _ v: SIMD8<Float>) -> SIMD8<Float> {
        m.replacing(with: v, where: (v .> m) .| (m .!= m))
    }
}

enum PyramidMaxPlanesKernel {
    @inline(never)
    static func run<R: PyramidLaneRule>(_ src: UnsafePointer<Float>, _ p: PyramidPlanes,
                                        _ dst: UnsafeMutablePointer<Float>, _: R.Type) {
        let W = p.W, plane = p.H &* W
        let tile = UnsafeMutableRawPointer(p.tile)
        let rowBytes = W &* 32
        var p0 = 0
        while p0 < p.planes {
            let lanes = Swift.min(8, p.planes &- p0)
            let q0 = src + p0 &* plane
            @inline(__always) func lane(_ k: Int) -> UnsafePointer<Float> { q0 + Swift.min(k, lanes &- 1) &* plane }
            BinAverage.copy(q0, lane(1), lane(2), lane(3), lane(4), lane(5), lane(6), lane(7), first: 0, count: plane,
                            tile, slot: 0)
            let channel = p.channelBase &+ p0
            for b in 0..<p.binCount {
                let e = p.bins + 6 &* b
                let h0 = e[0], h1 = e[1], w0 = e[2], w1 = e[3]
                var a0 = R.initial, a1 = R.initial
                var row = tile + (h0 &* W &+ w0) &* 32
                var h = h0
                while h &+ 2 <= h1 {
                    var t = row
                    for _ in w0..<w1 {
                        a0 = R.step(a0, t.loadUnaligned(as: SIMD8<Float>.self))
                        a1 = R.step(a1, t.loadUnaligned(fromByteOffset: rowBytes, as: SIMD8<Float>.self))
                        t += 32
                    }
                    row += 2 &* rowBytes
                    h &+= 2
                }
                if h < h1 {
                    var t = row
                    for _ in w0..<w1 {
                        a0 = R.step(a0, t.loadUnaligned(as: SIMD8<Float>.self))
                        t += 32
                    }
                }
                BinAverage.store(R.step(a0, a1), dst + (e[4] &+ channel &* e[5]), lanes, e[5])
            }
            p0 &+= 8
        }
    }
}
