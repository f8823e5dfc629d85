// Global average pooling of channels-last float32 pixels (every output size 1,
// ONNX GlobalAveragePool): every channel sums the image's pixels in scan order in
// Double, then divides by `count` and rounds once, exactly as the reference does.
// 16 channels at a time in two SIMD8<Double> sums held in registers, an 8-channel
// step and a scalar tail.
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
}
