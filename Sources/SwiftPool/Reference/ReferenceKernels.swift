// Slow, obviously-correct pooling: the oracle the optimized kernels are tested
import CSwiftPool
// against. It follows the definitions literally — every kernel tap of every
// window, explicit padding checks, PyTorch's accumulation order — and shares nothing with
// the optimized kernels except the validated output sizes.

/// Reference pooling over a validated geometry. Input and output are dense tensors
/// in `geometry.layout`.
enum ReferencePool {
    /// Element offset of (n, c, spatial index p) in a tensor with `plane` elements per channel.
    static func offset(_ g: PoolGeometry, n: Int, c: Int, p: Int, plane: Int) -> Int {
        g.layout == SWIFTPOOL_LAYOUT_NHWC ? (n * plane + p) * g.channels + c : (n * g.channels + c) * plane + p
    }

    /// Input coordinates of tap `k` of output `o` along an axis, or nil inside the padding.
    static func tap(_ a: AxisGeometry, _ o: Int, _ k: Int) -> Int? {
        let i = o * a.stride - a.padding + k * a.dilation
        return (0..<a.inputSize).contains(i) ? i : nil
    }

    /// Max pooling: values and argmax, PyTorch's rules or (nanIgnore) fmax rules;
    /// indices per plane row-major, or as the ONNX flags ask.
    static func maxPool<T: PoolElement>(_ g: PoolGeometry, _ input: [T]) -> (values: [T], indices: [Int64]) {
        let (ad, ah, aw) = g.axes
        var values = [T](repeating: T.poolLowest, count: g.outputElements)
        var indices = [Int64](repeating: 0, count: g.outputElements)
        for n in 0..<g.batch { for c in 0..<g.channels {
            for od in 0..<ad.outputSize { for oh in 0..<ah.outputSize { for ow in 0..<aw.outputSize {
                // Every real (non-padding) element of the window, in scan order.
                var window: [(value: T, position: Int)] = []
                // PyTorch starts the argmax at the first tap at or past 0 on every axis,
                // even if it is past the input end (then the window is all padding).
                func firstTap(_ a: AxisGeometry, _ o: Int) -> Int {
                    var i = o * a.stride - a.padding
                    while i < 0 { i += a.dilation }
                    return i
                }
                let initial = (firstTap(ad, od) * ah.inputSize + firstTap(ah, oh)) * aw.inputSize + firstTap(aw, ow)
                for kd in 0..<ad.kernel { for kh in 0..<ah.kernel { for kw in 0..<aw.kernel {
                    guard let id = tap(ad, od, kd), let ih = tap(ah, oh, kh), let iw = tap(aw, ow, kw) else { continue }
                    let p = (id * ah.inputSize + ih) * aw.inputSize + iw
                    window.append((input[offset(g, n: n, c: c, p: p, plane: g.inputPlane)], p))
                }}}
                let numbers = window.filter { !$0.value.poolIsNaN }
                let chosen: (value: T, position: Int)
                if window.isEmpty {
                    chosen = (T.poolLowest, initial)
                } else if numbers.count < window.count && (!g.nanIgnore || numbers.isEmpty) {
                    chosen = window.last { $0.value.poolIsNaN }!          // the last NaN
                } else {
                    let top = numbers.map(\.value).max()!
                    chosen = numbers.first { $0.value == top }!          // the first maximum
                }
                var p = chosen.position
                if g.indicesColumnMajor {
                    let (d, h, w) = window.isEmpty
                        ? (firstTap(ad, od), firstTap(ah, oh), firstTap(aw, ow))
                        : (p / (aw.inputSize * ah.inputSize), (p / aw.inputSize) % ah.inputSize, p % aw.inputSize)
                    p = (w * ah.inputSize + h) * ad.inputSize + d
                }
                if g.indicesGlobal { p += (n * g.channels + c) * g.inputPlane }
                let q = offset(g, n: n, c: c, p: (od * ah.outputSize + oh) * aw.outputSize + ow, plane: g.outputPlane)
                values[q] = chosen.value
                indices[q] = Int64(p)
            }}}
        }}
        return (values, indices)
    }

    /// Average pooling with PyTorch's divisor rules and arithmetic: taps summed in
    /// scan order in T.PoolSum from +0, then one division in T.PoolSum.
    static func avgPool<T: PoolElement>(_ g: PoolGeometry, _ input: [T]) -> [T] {
        let (ad, ah, aw) = g.axes
        var values = [T](repeating: T(poolWide: 0), count: g.outputElements)
        // Taps inside the padded extent [-padding, input + paddingEnd).
        func paddedLength(_ a: AxisGeometry, _ o: Int) -> Int {
            (0..<a.kernel).filter { k in
                let i = o * a.stride - a.padding + k * a.dilation
                return i >= -a.padding && i < a.inputSize + a.paddingEnd
            }.count
        }
        for n in 0..<g.batch { for c in 0..<g.channels {
            for od in 0..<ad.outputSize { for oh in 0..<ah.outputSize { for ow in 0..<aw.outputSize {
                var sum = T.PoolSum(0)
                var count = 0
                for kd in 0..<ad.kernel { for kh in 0..<ah.kernel { for kw in 0..<aw.kernel {
                    guard let id = tap(ad, od, kd), let ih = tap(ah, oh, kh), let iw = tap(aw, ow, kw) else { continue }
                    let p = (id * ah.inputSize + ih) * aw.inputSize + iw
                    sum += input[offset(g, n: n, c: c, p: p, plane: g.inputPlane)].poolSum
                    count += 1
                }}}
                let divisor = g.divisorOverride != 0 ? g.divisorOverride
                    : g.countIncludePad ? paddedLength(ad, od) * paddedLength(ah, oh) * paddedLength(aw, ow)
                    : count
                let q = offset(g, n: n, c: c, p: (od * ah.outputSize + oh) * aw.outputSize + ow, plane: g.outputPlane)
                values[q] = T(poolSum: divisor == 0 ? 0 : sum / T.PoolSum(divisor))
            }}}
        }}
        return values
    }
}
