// LP pooling kernels, generic over element type and over the window reduction
// (LpReduction), for both layouts. Window bounds come from PoolGeometry; powers
// and sums are taken in Double, rounded once to the element type at the end.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSwiftPool
import SwiftPoolKernelABI

/// How LP pooling folds a window's elements (as Double) and finishes the result.
/// Each conformance compiles to its own inner loop; the common norms get exact
/// shortcuts (x*x and sqrt for p = 2, identity for p = 1), as PyTorch's pow does.
protocol LpReduction {
    var initial: Double { get }
    func add(_ accumulator: Double, _ x: Double) -> Double
    /// `count`: the window's taps on input elements; `kernelCount`: prod(kernel_size).
    func finish(_ accumulator: Double, count: Int, kernelCount: Int) -> Double
}

/// PyTorch rescales the window mean of x^p to a full window: S / n * prod(kernel).
@inline(__always) private func torchScaled(_ s: Double, _ count: Int, _ kernelCount: Int) -> Double {
    s / Double(count) * Double(kernelCount)
}

/// PyTorch, p = 1: the (rescaled) signed sum.
struct TorchL1: LpReduction {
    var initial: Double { 0 }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { a + x }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { torchScaled(a, count, kernelCount) }
}

/// PyTorch, p = 2.
struct TorchL2: LpReduction {
    var initial: Double { 0 }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { a + x * x }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { torchScaled(a, count, kernelCount).squareRoot() }
}

/// x^n for a small positive integer n by repeated squaring: a few exact-ish
/// multiplications instead of a pow call (PyTorch's pow also special-cases
/// small integer exponents). Sign, zeros, inf and NaN behave as pow's.
@inline(__always) func lpIntegerPower(_ x: Double, _ n: Int) -> Double {
    var result = 1.0, base = x, e = n
    while e > 0 {
        if e & 1 == 1 { result *= base }
        base *= base
        e >>= 1
    }
    return result
}

/// PyTorch, integer p in 3...16.
struct TorchIntLp: LpReduction {
    var n: Int
    var initial: Double { 0 }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { a + lpIntegerPower(x, n) }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { pow(torchScaled(a, count, kernelCount), 1 / Double(n)) }
}

/// PyTorch, any other finite p: x^p without absolute value (negative x with a
/// fractional p gives NaN, as there).
struct TorchLp: LpReduction {
    var p: Double
    var initial: Double { 0 }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { a + pow(x, p) }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { pow(torchScaled(a, count, kernelCount), 1 / p) }
}

/// PyTorch, p = +inf: max pooling of |x| (NaN propagates, as max_pool).
struct TorchMaxAbs: LpReduction {
    var initial: Double { -.infinity }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { let m = abs(x); return m > a || m.isNaN ? m : a }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { a }
}

/// PyTorch, p = -inf: -(max pooling of -|x|), i.e. the minimum of |x| (NaN propagates).
struct TorchMinAbs: LpReduction {
    var initial: Double { -.infinity }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { let m = -abs(x); return m > a || m.isNaN ? m : a }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { -a }
}

/// ONNX, p = 1: sum of |x|.
struct OnnxL1: LpReduction {
    var initial: Double { 0 }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { a + abs(x) }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { a }
}

/// ONNX, p = 2.
struct OnnxL2: LpReduction {
    var initial: Double { 0 }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { a + x * x }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { a.squareRoot() }
}

/// ONNX, integer p in 3...16.
struct OnnxIntLp: LpReduction {
    var n: Int
    var initial: Double { 0 }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { a + lpIntegerPower(abs(x), n) }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { pow(a, 1 / Double(n)) }
}

/// ONNX, any other p > 0.
struct OnnxLp: LpReduction {
    var p: Double
    var initial: Double { 0 }
    @inline(__always) func add(_ a: Double, _ x: Double) -> Double { a + pow(abs(x), p) }
    @inline(__always) func finish(_ a: Double, count: Int, kernelCount: Int) -> Double { pow(a, 1 / p) }
}

enum LpPoolKernel {
    /// Channels-first (NCHW / NCDHW / NCW).
    static func channelsFirst<T: PoolElement, R: LpReduction>(_ lp: LpPoolGeometry, _ r: R, _ input: UnsafePointer<T>,
                                                             _ output: UnsafeMutablePointer<T>) {
        let g = lp.pool
        let (ad, ah, aw) = g.axes
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let H = ah.inputSize, W = aw.inputSize, kernelCount = lp.kernelCount
        for plane in 0..<(g.batch * g.channels) {
            let src = input + plane &* inPlane
            var q = plane &* outPlane
            for od in 0..<ad.outputSize {
                let wd = ad.window(od)
                for oh in 0..<ah.outputSize {
                    let wh = ah.window(oh)
                    for ow in 0..<aw.outputSize {
                        let ww = aw.window(ow)
                        var acc = r.initial
                        for kd in wd.tapBegin..<wd.tapEnd {
                            let id = wd.start &+ kd &* ad.dilation
                            for kh in wh.tapBegin..<wh.tapEnd {
                                let row = src + ((id &* H &+ wh.start &+ kh &* ah.dilation) &* W &+ ww.start)
                                for kw in ww.tapBegin..<ww.tapEnd { acc = r.add(acc, row[kw &* aw.dilation].poolWide) }
                            }
                        }
                        let count = wd.validCount &* wh.validCount &* ww.validCount
                        output[q] = T(poolWide: r.finish(acc, count: count, kernelCount: kernelCount))
                        q &+= 1
                    }
                }
            }
        }
    }

    /// Channels-last (NHWC / NDHWC / NWC): blocks of channels accumulate side by
    /// side in a stack buffer, so the inner loop runs over contiguous channels.
    static func channelsLast<T: PoolElement, R: LpReduction>(_ lp: LpPoolGeometry, _ r: R, _ input: UnsafePointer<T>,
                                                            _ output: UnsafeMutablePointer<T>) {
        let g = lp.pool
        let (ad, ah, aw) = g.axes
        let C = g.channels, H = ah.inputSize, W = aw.inputSize, kernelCount = lp.kernelCount
        let block = Swift.min(C, 512)
        withStackScratch(of: Double.self, capacity: block) { acc in
            var q = 0
            for n in 0..<g.batch {
                let src = input + n &* g.inputPlane &* C
                for od in 0..<ad.outputSize {
                    let wd = ad.window(od)
                    for oh in 0..<ah.outputSize {
                        let wh = ah.window(oh)
                        for ow in 0..<aw.outputSize {
                            let ww = aw.window(ow)
                            let count = wd.validCount &* wh.validCount &* ww.validCount
                            let dst = output + q &* C
                            var c0 = 0
                            while c0 < C {
                                let width = Swift.min(block, C &- c0)
                                for c in 0..<width { acc[c] = r.initial }
                                for kd in wd.tapBegin..<wd.tapEnd {
                                    let id = wd.start &+ kd &* ad.dilation
                                    for kh in wh.tapBegin..<wh.tapEnd {
                                        let row = (id &* H &+ wh.start &+ kh &* ah.dilation) &* W &+ ww.start
                                        for kw in ww.tapBegin..<ww.tapEnd {
                                            let s = src + ((row &+ kw &* aw.dilation) &* C &+ c0)
                                            for c in 0..<width { acc[c] = r.add(acc[c], s[c].poolWide) }
                                        }
                                    }
                                }
                                for c in 0..<width {
                                    dst[c0 &+ c] = T(poolWide: r.finish(acc[c], count: count, kernelCount: kernelCount))
                                }
                                c0 &+= width
                            }
                            q &+= 1
                        }
                    }
                }
            }
        }
    }
}
