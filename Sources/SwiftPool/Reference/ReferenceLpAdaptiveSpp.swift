// Slow, obviously-correct LP, adaptive and spatial pyramid pooling: the oracles
// the optimized kernels are tested against. They follow the definitions
// literally (every tap of every window, bins recomputed here from their
// definition, pow for every power, one Double sum in scan order) and take only
// validated sizes and parameters from the Geometry types.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSwiftPool

enum ReferenceLpAdaptiveSpp {
    /// Element offset of (n, c, spatial index p) in a dense tensor with `plane`
    /// elements per channel.
    static func offset(nhwc: Bool, channels: Int, n: Int, c: Int, p: Int, plane: Int) -> Int {
        nhwc ? (n * plane + p) * channels + c : (n * channels + c) * plane + p
    }

    /// Max of `window` (values in scan order, with positions): PyTorch's rule (the
    /// last NaN if any) or, with `nanIgnore`, the first maximum of the numbers (the
    /// last NaN when there are none); ties go to the first maximum.
    static func maximum<T: PoolElement>(_ window: [(value: T, position: Int)], nanIgnore: Bool) -> (value: T, position: Int) {
        let numbers = window.filter { !$0.value.poolIsNaN }
        if numbers.count < window.count && (!nanIgnore || numbers.isEmpty) {
            return window.last { $0.value.poolIsNaN }!
        }
        let top = numbers.map(\.value).max()!
        return numbers.first { $0.value == top }!
    }

    // MARK: LP pooling

    /// LP pooling by definition: PyTorch's avg_pool-based formula, its +-inf
    /// special cases, or ONNX's (sum |x|^p)^(1/p).
    static func lpPool<T: PoolElement>(_ lp: LpPoolGeometry, _ input: [T]) -> [T] {
        let g = lp.pool
        let (ad, ah, aw) = g.axes
        let p = lp.normType, nhwc = g.layout == SWIFTPOOL_LAYOUT_NHWC
        var values = [T](repeating: T(poolWide: 0), count: g.outputElements)
        func tap(_ a: AxisGeometry, _ o: Int, _ k: Int) -> Int? {
            let i = o * a.stride - a.padding + k * a.dilation
            return (0..<a.inputSize).contains(i) ? i : nil
        }
        for n in 0..<g.batch { for c in 0..<g.channels {
            for od in 0..<ad.outputSize { for oh in 0..<ah.outputSize { for ow in 0..<aw.outputSize {
                var window: [Double] = []
                for kd in 0..<ad.kernel { for kh in 0..<ah.kernel { for kw in 0..<aw.kernel {
                    guard let id = tap(ad, od, kd), let ih = tap(ah, oh, kh), let iw = tap(aw, ow, kw) else { continue }
                    let q = (id * ah.inputSize + ih) * aw.inputSize + iw
                    window.append(input[offset(nhwc: nhwc, channels: g.channels, n: n, c: c, p: q, plane: g.inputPlane)].poolWide)
                }}}
                let result: Double
                switch lp.kind {
                case .torchSum:
                    // avg_pool2d(x.pow(p), kernel, stride, 0, ceil_mode) * prod(kernel), then .pow(1/p):
                    // the divisor is the window's count of input elements.
                    let mean = window.reduce(0.0) { $0 + pow($1, p) } / Double(window.count)
                    result = pow(mean * Double(lp.kernelCount), 1 / p)
                case .torchMaxAbs:
                    result = window.contains { $0.isNaN } ? .nan : window.map { abs($0) }.max()!
                case .torchMinAbs:
                    result = window.contains { $0.isNaN } ? .nan : window.map { abs($0) }.min()!
                case .onnxSum:
                    result = pow(window.reduce(0.0) { $0 + pow(abs($1), p) }, 1 / p)
                }
                let q = (od * ah.outputSize + oh) * aw.outputSize + ow
                values[offset(nhwc: nhwc, channels: g.channels, n: n, c: c, p: q, plane: g.outputPlane)] = T(poolWide: result)
            }}}
        }}
        return values
    }

    // MARK: Adaptive pooling

    /// PyTorch's adaptive bin by definition: [floor(o*L/n), ceil((o+1)*L/n)).
    static func adaptiveBin(_ o: Int, input L: Int, output n: Int) -> Range<Int> {
        let begin = (o * L) / n
        var end = ((o + 1) * L) / n
        if end * n < (o + 1) * L { end += 1 }
        return begin..<end
    }

    /// Adaptive max (values and per-plane row-major argmax) or average pooling.
    static func adaptivePool<T: PoolElement>(_ g: AdaptiveGeometry, _ input: [T], max: Bool) -> (values: [T], indices: [Int64]) {
        let (ad, ah, aw) = g.axes
        let nhwc = g.layout == SWIFTPOOL_LAYOUT_NHWC
        var values = [T](repeating: T(poolWide: 0), count: g.outputElements)
        var indices = [Int64](repeating: 0, count: g.outputElements)
        for n in 0..<g.batch { for c in 0..<g.channels {
            for od in 0..<ad.outputSize { for oh in 0..<ah.outputSize { for ow in 0..<aw.outputSize {
                var window: [(value: T, position: Int)] = []
                for d in adaptiveBin(od, input: ad.inputSize, output: ad.outputSize) {
                    for h in adaptiveBin(oh, input: ah.inputSize, output: ah.outputSize) {
                        for w in adaptiveBin(ow, input: aw.inputSize, output: aw.outputSize) {
                            let p = (d * ah.inputSize + h) * aw.inputSize + w
                            window.append((input[offset(nhwc: nhwc, channels: g.channels, n: n, c: c, p: p, plane: g.inputPlane)], p))
                        }
                    }
                }
                let q = offset(nhwc: nhwc, channels: g.channels, n: n, c: c,
                               p: (od * ah.outputSize + oh) * aw.outputSize + ow, plane: g.outputPlane)
                if max {
                    let chosen = maximum(window, nanIgnore: g.nanIgnore)
                    values[q] = chosen.value
                    indices[q] = Int64(chosen.position)
                } else if g.outputPlane == 1 {
                    // Global (every output size 1): one Double sum, one division.
                    values[q] = T(poolWide: window.reduce(0.0) { $0 + $1.value.poolWide } / Double(window.count))
                } else {
                    // PyTorch's adaptive_avg_pool kernels: sum in scan order from +0 in the
                    // opmath type (T.PoolSum), then `sum / kd / kh / kw`. Its 3D kernel keeps
                    // float16/bfloat16 sums in the element type: each add and each
                    // quotient rounded to T.
                    let roundEach = g.tensor.spatialRank == 3 && MemoryLayout<T>.size < MemoryLayout<T.PoolSum>.size
                    func rounded(_ x: T.PoolSum) -> T.PoolSum { roundEach ? T(poolSum: x).poolSum : x }
                    var sum = T.PoolSum(0)
                    for tap in window { sum = rounded(sum + tap.value.poolSum) }
                    for k in [adaptiveBin(od, input: ad.inputSize, output: ad.outputSize).count,
                              adaptiveBin(oh, input: ah.inputSize, output: ah.outputSize).count,
                              adaptiveBin(ow, input: aw.inputSize, output: aw.outputSize).count] {
                        sum = rounded(sum / T.PoolSum(k))
                    }
                    values[q] = T(poolSum: sum)
                }
            }}}
        }}
        return (values, indices)
    }

    // MARK: Spatial pyramid pooling

    /// Every level's bins pooled directly from the input, one bin at a time.
    static func pyramidPool<T: PoolElement>(_ g: PyramidGeometry, _ input: [T]) -> [T] {
        let nhwc = g.layout == SWIFTPOOL_LAYOUT_NHWC
        let (H, W, C) = (g.height, g.width, g.channels)
        let length = C * g.levels.reduce(0) { $0 + $1.rows * $1.columns }
        var out = [T](repeating: T(poolWide: 0), count: g.batch * length)
        func bin(_ i: Int, _ count: Int, _ L: Int) -> Range<Int> {
            switch g.bins {
            case .adaptive: return adaptiveBin(i, input: L, output: count)
            case .sppnet:
                let window = (L + count - 1) / count, stride = L / count
                return (i * stride)..<(i * stride + window)
            }
        }
        for n in 0..<g.batch {
            let (h, w) = g.sampleSizes?[n] ?? (H, W)
            var levelStart = n * length
            for level in g.levels {
                for c in 0..<C {
                    for i in 0..<level.rows { for j in 0..<level.columns {
                        var window: [(value: T, position: Int)] = []
                        for y in bin(i, level.rows, h) { for x in bin(j, level.columns, w) {
                            window.append((input[offset(nhwc: nhwc, channels: C, n: n, c: c, p: y * W + x, plane: H * W)], y * W + x))
                        }}
                        let v: T = g.mode == .max ? maximum(window, nanIgnore: g.nanIgnore).value
                            : T(poolWide: window.reduce(0.0) { $0 + $1.value.poolWide } / Double(window.count))
                        out[levelStart + (c * level.rows + i) * level.columns + j] = v
                    }}
                }
                levelStart += C * level.rows * level.columns
            }
        }
        return out
    }
}
