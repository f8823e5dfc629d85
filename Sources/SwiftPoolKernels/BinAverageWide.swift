// Global average pooling of channels-last float32 pixels (every output size 1,
// ONNX GlobalAveragePool): every channel sums the image's pixels in scan order in
// Double, then divides by `count` and rounds once, exactly as the reference does.
// 16 channels at a time in two SIMD8<Double> sums held in registers, an 8-channel
// step and a scalar tail. Channels-first planes: 8 planes at a time, transposed
// 4x4 in registers so each SIMD lane carries one plane's chain in scan order.
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

    /// src: the bin's first pixel (channel 0); depth x rows x width pixels, slices
    /// `depthStride` and rows `rowStride` elements apart, pixels `channels` apart.
    @inline(never)
    static func channelsLast(_ src: UnsafePointer<Float>, _ depth: Int, _ depthStride: Int, _ rows: Int,
                             _ rowStride: Int, _ width: Int, _ channels: Int, _ count: Double,
                             _ dst: UnsafeMutablePointer<Float>) {
        let C = channels
        var c0 = 0
        while c0 &+ 16 <= C {
            var a0 = SIMD8<Double>(), a1 = SIMD8<Double>()
            for d in 0..<depth {
                for r in 0..<rows {
                    var s = UnsafeRawPointer(src + (d &* depthStride &+ r &* rowStride &+ c0))
                    for _ in 0..<width {
                        a0 += widen(s.loadUnaligned(as: SIMD8<Float>.self))
                        a1 += widen(s.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                        s += C &* 4
                    }
                }
            }
            let out = UnsafeMutableRawPointer(dst + c0)
            out.storeBytes(of: narrow(a0 / count), as: SIMD8<Float>.self)
            out.storeBytes(of: narrow(a1 / count), toByteOffset: 32, as: SIMD8<Float>.self)
            c0 &+= 16
        }
        while c0 &+ 8 <= C {
            var a = SIMD8<Double>()
            for d in 0..<depth {
                for r in 0..<rows {
                    var s = UnsafeRawPointer(src + (d &* depthStride &+ r &* rowStride &+ c0))
                    for _ in 0..<width {
                        a += widen(s.loadUnaligned(as: SIMD8<Float>.self))
                        s += C &* 4
                    }
                }
            }
            UnsafeMutableRawPointer(dst + c0).storeBytes(of: narrow(a / count), as: SIMD8<Float>.self)
            c0 &+= 8
        }
        while c0 < C {
            var a = 0.0
            for d in 0..<depth {
                for r in 0..<rows {
                    let s = src + (d &* depthStride &+ r &* rowStride &+ c0)
                    for w in 0..<width { a += Double(s[w &* C]) }
                }
            }
            dst[c0] = Float(a / count)
            c0 &+= 1
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

    /// `planes` consecutive planes of `elements` floats from src; dst[p] gets plane
    /// p's scan-order Double sum divided by `count`, rounded once to Float.
    @inline(never)
    static func channelsFirst(_ src: UnsafePointer<Float>, _ planes: Int, _ elements: Int, _ count: Double,
                              _ dst: UnsafeMutablePointer<Float>) {
        let E = elements
        let divisor = SIMD4<Double>(repeating: count)
        // Small planes (e.g. 7x7): the group two ahead is prefetched, as in
        // AvgRows.scalarSums. Large planes are eight long streams, which the
        // hardware prefetcher follows.
        let prefetch = E <= 128
        var p = 0
        while p &+ 8 <= planes {
            if prefetch && p &+ 24 <= planes { AvgRows.prefetchPlanes(src + (p &+ 16) &* E, 8 &* E, Float.self) }
            let q0 = src + p &* E, q1 = q0 + E, q2 = q1 + E, q3 = q2 + E
            let q4 = q3 + E, q5 = q4 + E, q6 = q5 + E, q7 = q6 + E
            // Lane k of lo / hi: plane k / k + 4 of the group.
            var lo = SIMD4<Double>(), hi = SIMD4<Double>()
            var i = 0
            while i &+ 4 <= E {
                let a = BinAverage.transpose4(UnsafeRawPointer(q0 + i).loadUnaligned(as: SIMD4<Float>.self),
                                              UnsafeRawPointer(q1 + i).loadUnaligned(as: SIMD4<Float>.self),
                                              UnsafeRawPointer(q2 + i).loadUnaligned(as: SIMD4<Float>.self),
                                              UnsafeRawPointer(q3 + i).loadUnaligned(as: SIMD4<Float>.self))
                let b = BinAverage.transpose4(UnsafeRawPointer(q4 + i).loadUnaligned(as: SIMD4<Float>.self),
                                              UnsafeRawPointer(q5 + i).loadUnaligned(as: SIMD4<Float>.self),
                                              UnsafeRawPointer(q6 + i).loadUnaligned(as: SIMD4<Float>.self),
                                              UnsafeRawPointer(q7 + i).loadUnaligned(as: SIMD4<Float>.self))
                lo += widen(a.0); hi += widen(b.0)
                lo += widen(a.1); hi += widen(b.1)
                lo += widen(a.2); hi += widen(b.2)
                lo += widen(a.3); hi += widen(b.3)
                i &+= 4
            }
            while i < E {
                lo += SIMD4<Double>(Double(q0[i]), Double(q1[i]), Double(q2[i]), Double(q3[i]))
                hi += SIMD4<Double>(Double(q4[i]), Double(q5[i]), Double(q6[i]), Double(q7[i]))
                i &+= 1
            }
            let out = UnsafeMutableRawPointer(dst + p)
            out.storeBytes(of: narrow(lo / divisor), as: SIMD4<Float>.self)
            out.storeBytes(of: narrow(hi / divisor), toByteOffset: 16, as: SIMD4<Float>.self)
            p &+= 8
        }
        while p < planes {
            let q = src + p &* E
            var a = 0.0
            for i in 0..<E { a += Double(q[i]) }
            dst[p] = Float(a / count)
            p &+= 1
        }
    }
}
