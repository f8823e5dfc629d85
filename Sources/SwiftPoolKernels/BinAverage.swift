// Adaptive average pooling of float32 in PyTorch's arithmetic (aten's cpu
// adaptive_avg_pool kernels): each output sums its bin's elements in scan order
// (D, H, W) in Float from +0, then divides by the bin's depth, by its rows and by
// its width in turn, each quotient rounded (`sum / kd / kh / kw`; a division by 1
// is exact and skipped). SIMD lanes run across channels (channels-last) or across
// planes copied into a channels-last tile (channels-first); every lane is one
// output's own chain, so results do not depend on the family or the lane count.
import SwiftPoolKernelABI

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

    /// Pixels first ..< first + count of 8 planes (lane k from q[k]) into tile
    /// slots slot ..< slot + count (32 bytes each).
    @inline(__always)
    static func copy(_ q0: UnsafePointer<Float>, _ q1: UnsafePointer<Float>, _ q2: UnsafePointer<Float>,
                     _ q3: UnsafePointer<Float>, _ q4: UnsafePointer<Float>, _ q5: UnsafePointer<Float>,
                     _ q6: UnsafePointer<Float>, _ q7: UnsafePointer<Float>, first: Int, count: Int,
                     _ tile: UnsafeMutableRawPointer, slot: Int) {
        var t = tile + slot &* 32
        for i in first..<(first &+ count) {
            t.storeBytes(of: SIMD8<Float>(q0[i], q1[i], q2[i], q3[i], q4[i], q5[i], q6[i], q7[i]),
                         as: SIMD8<Float>.self)
            t += 32
        }
    }

    /// Channels-first planes, 8 at a time (AdaptivePlanes).
    @inline(never)
    static func channelsFirst(_ src: UnsafePointer<Float>, _ p: AdaptivePlanes, _ dst: UnsafeMutablePointer<Float>) {
        let H = p.H, W = p.W, OD = p.OD, OH = p.OH, OW = p.OW
        let plane = p.D &* H &* W, outPlane = OD &* OH &* OW
        let binsD = p.bins, binsH = p.bins + 2 &* OD, binsW = binsH + 2 &* OH
        let tile = UnsafeMutableRawPointer(p.tile)
        let whole = p.wholePlane
        var p0 = 0
        while p0 < p.planes {
            let lanes = Swift.min(8, p.planes &- p0)
            // Missing lanes repeat the last plane (computed, never stored).
            let q0 = src + p0 &* plane
            @inline(__always) func lane(_ k: Int) -> UnsafePointer<Float> { q0 + Swift.min(k, lanes &- 1) &* plane }
            let q1 = lane(1), q2 = lane(2), q3 = lane(3), q4 = lane(4), q5 = lane(5), q6 = lane(6), q7 = lane(7)
            if whole { copy(q0, q1, q2, q3, q4, q5, q6, q7, first: 0, count: plane, tile, slot: 0) }
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
                    for ow in 0..<OW {
                        let w0 = binsW[2 &* ow], w1 = binsW[2 &* ow &+ 1]
                        var acc = SIMD8<Float>()
                        var slice = tile + (slotBase &+ w0) &* 32
                        for _ in d0..<d1 {
                            var row = slice
                            for _ in 0..<rows {
                                var t = row
                                for _ in w0..<w1 {
                                    acc += t.loadUnaligned(as: SIMD8<Float>.self)
                                    t += 32
                                }
                                row += W &* 32
                            }
                            slice += sliceSlots &* 32
                        }
                        acc = mean(acc, d1 &- d0, rows, w1 &- w0)
                        let out = out0 + q
                        for k in 0..<lanes { out[k &* outPlane] = acc[k] }
                        q &+= 1
                    }
                }
            }
            p0 &+= 8
        }
    }
}
