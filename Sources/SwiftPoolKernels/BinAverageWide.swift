// Global average pooling of channels-last float32 pixels (every output size 1,
// ONNX GlobalAveragePool): every channel sums the image's pixels in scan order in
// Double, then divides by `count` and rounds once, exactly as the reference does.
// Blocks of channels whose Double sums live in L1 scratch, each pixel's block read
// contiguously. Channels-first planes: each plane read contiguously into
// two 4-lane Double accumulators (not scan order: the reference's global tests
// allow Double rounding differences), four planes at a time.
import SwiftPoolKernelABI

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

    /// Channels per block of channelsLast's sums: 4 KiB of Doubles, which stay in L1
    /// beside the input lines.
    static let channelBlock = 512

    /// src: the bin's first pixel (channel 0); depth x rows x width pixels, slices
    /// `depthStride` and rows `rowStride` elements apart, pixels `channels` apart.
    /// Blocks of channels, their sums in scratch; row by row, 32 channels of the
    /// row's pixels are added in registers (pixels in scan order: each channel's
    /// chain is the reference's). Holding 16 channels' sums in registers across
    /// all the image's pixels instead read one line per pixel per pass, a stream
    /// per pixel the hardware prefetcher does not follow: 32x7x7x2048 took 2.1 ms
    /// (1 thread), 1.3 ms (2); now 1.26 ms, 0.78 ms.
    @inline(never)
    static func channelsLast(_ src: UnsafePointer<Float>, _ depth: Int, _ depthStride: Int, _ rows: Int,
                             _ rowStride: Int, _ width: Int, _ channels: Int, _ count: Double,
                             _ dst: UnsafeMutablePointer<Float>) {
        let C = channels
        withStackScratch(of: Double.self, capacity: Swift.min(C, channelBlock)) { buffer in
            let acc = buffer.baseAddress!
            let sums = UnsafeMutableRawPointer(acc)
            var c0 = 0
            while c0 < C {
                let n = Swift.min(channelBlock, C &- c0)
                acc.update(repeating: 0, count: n)
                for d in 0..<depth {
                    for r in 0..<rows {
                        let row = src + (d &* depthStride &+ r &* rowStride &+ c0)
                        // 32 channels of the row's pixels in registers, then 8, then one.
                        var c = 0
                        while c &+ 32 <= n {
                            let o = c &* 8
                            var a0 = sums.loadUnaligned(fromByteOffset: o, as: SIMD8<Double>.self)
                            var a1 = sums.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD8<Double>.self)
                            var a2 = sums.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD8<Double>.self)
                            var a3 = sums.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD8<Double>.self)
                            var x = UnsafeRawPointer(row + c)
                            for _ in 0..<width {
                                a0 += widen(x.loadUnaligned(as: SIMD8<Float>.self))
                                a1 += widen(x.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                                a2 += widen(x.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
                                a3 += widen(x.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
                                x += C &* 4
                            }
                            sums.storeBytes(of: a0, toByteOffset: o, as: SIMD8<Double>.self)
                            sums.storeBytes(of: a1, toByteOffset: o &+ 64, as: SIMD8<Double>.self)
                            sums.storeBytes(of: a2, toByteOffset: o &+ 128, as: SIMD8<Double>.self)
                            sums.storeBytes(of: a3, toByteOffset: o &+ 192, as: SIMD8<Double>.self)
                            c &+= 32
                        }
                        while c &+ 8 <= n {
                            var a = sums.loadUnaligned(fromByteOffset: c &* 8, as: SIMD8<Double>.self)
                            var x = UnsafeRawPointer(row + c)
                            for _ in 0..<width {
                                a += widen(x.loadUnaligned(as: SIMD8<Float>.self))
                                x += C &* 4
                            }
                            sums.storeBytes(of: a, toByteOffset: c &* 8, as: SIMD8<Double>.self)
                            c &+= 8
                        }
                        while c < n {
                            var a = acc[c]
                            for w in 0..<width { a += Double(row[w &* C &+ c]) }
                            acc[c] = a
                            c &+= 1
                        }
                    }
                }
                let out = dst + c0
                var c = 0
                while c &+ 8 <= n {
                    UnsafeMutableRawPointer(out + c).storeBytes(
                        of: narrow(sums.loadUnaligned(fromByteOffset: c &* 8, as: SIMD8<Double>.self) / count), as: SIMD8<Float>.self)
                    c &+= 8
                }
                while c < n { out[c] = Float(acc[c] / count); c &+= 1 }
                c0 &+= n
            }
        }
    }

    @inline(__always)
    static func widen(_ v: SIMD4<Float>) -> SIMD4<Double> {
        SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]))
    }

    @inline(__always)
    static func narrow(_ v: SIMD4<Double>) -> SIMD4<Float> {
        SIMD4<Float>(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]))
    }

    /// One plane's Double sum in the order every path here uses: 8-element chunks
    /// into two 4-lane accumulators (low and high halves), the accumulators added,
    /// their lanes as (0 + 1) + (2 + 3), then the remaining elements in order.
    @inline(__always)
    static func planeSum(_ q: UnsafePointer<Float>, _ elements: Int) -> Double {
        var a = SIMD4<Double>(), b = SIMD4<Double>()
        var i = 0
        while i &+ 8 <= elements {
            a += widen(UnsafeRawPointer(q + i).loadUnaligned(as: SIMD4<Float>.self))
            b += widen(UnsafeRawPointer(q + i).loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self))
            i &+= 8
        }
        let v = a + b
        var sum = (v[0] + v[1]) + (v[2] + v[3])
        while i < elements { sum += Double(q[i]); i &+= 1 }
        return sum
    }

    /// `planes` consecutive planes of `elements` floats from src; dst[p] gets plane
    /// p's Double sum (planeSum's order) divided by `count`, rounded once to Float.
    /// Each plane is read with contiguous vector loads, no transposes; four planes
    /// at a time give eight independent add chains, and their four sums come out
    /// of the accumulators together (lane sums as planeSum's, bit for bit), so a
    /// plane's result does not depend on its group (nor on the thread count).
    @inline(never)
    static func channelsFirst(_ src: UnsafePointer<Float>, _ planes: Int, _ elements: Int, _ count: Double,
                              _ dst: UnsafeMutablePointer<Float>) {
        let E = elements, chunks = E & ~7
        let divisor = SIMD4<Double>(repeating: count)
        // Small planes (e.g. 7x7): the planes 16 ahead are prefetched, as in
        // AvgRows.scalarSums. Large planes are four long streams, which the
        // hardware prefetcher follows.
        let prefetch = E <= 128
        var p = 0
        while p &+ 4 <= planes {
            if prefetch && p &+ 20 <= planes { AvgRows.prefetchPlanes(src + (p &+ 16) &* E, 4 &* E, Float.self) }
            let q0 = UnsafeRawPointer(src + p &* E), q1 = q0 + E &* 4, q2 = q1 + E &* 4, q3 = q2 + E &* 4
            var a0 = SIMD4<Double>(), b0 = SIMD4<Double>(), a1 = SIMD4<Double>(), b1 = SIMD4<Double>()
            var a2 = SIMD4<Double>(), b2 = SIMD4<Double>(), a3 = SIMD4<Double>(), b3 = SIMD4<Double>()
            var i = 0
            while i < chunks {
                let o = i &* 4
                a0 += widen(q0.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self))
                b0 += widen(q0.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self))
                a1 += widen(q1.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self))
                b1 += widen(q1.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self))
                a2 += widen(q2.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self))
                b2 += widen(q2.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self))
                a3 += widen(q3.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self))
                b3 += widen(q3.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self))
                i &+= 8
            }
            let v0 = a0 + b0, v1 = a1 + b1, v2 = a2 + b2, v3 = a3 + b3
            // Lane k: plane k's (v[0] + v[1]) + (v[2] + v[3]).
            let s01 = SIMD4<Double>(v0[0], v1[0], v0[2], v1[2]) + SIMD4<Double>(v0[1], v1[1], v0[3], v1[3])
            let s23 = SIMD4<Double>(v2[0], v3[0], v2[2], v3[2]) + SIMD4<Double>(v2[1], v3[1], v2[3], v3[3])
            var sum = SIMD4<Double>(s01[0], s01[1], s23[0], s23[1]) + SIMD4<Double>(s01[2], s01[3], s23[2], s23[3])
            while i < E {
                let o = i &* 4
                sum += SIMD4<Double>(Double(q0.load(fromByteOffset: o, as: Float.self)),
                                     Double(q1.load(fromByteOffset: o, as: Float.self)),
                                     Double(q2.load(fromByteOffset: o, as: Float.self)),
                                     Double(q3.load(fromByteOffset: o, as: Float.self)))
                i &+= 1
            }
            UnsafeMutableRawPointer(dst + p).storeBytes(of: narrow(sum / divisor), as: SIMD4<Float>.self)
            p &+= 4
        }
        while p < planes {
            dst[p] = Float(planeSum(src + p &* E, E) / count)
            p &+= 1
        }
    }
}
