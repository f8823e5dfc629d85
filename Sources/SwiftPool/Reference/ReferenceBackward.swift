// Slow, obviously-correct backward passes: the oracles of the optimized kernels.
// They follow PyTorch's CPU definitions literally on Swift arrays, with their own
// index arithmetic and window tests; only the validated sizes are shared.
import CSwiftPool

enum ReferenceBackward {
    /// Max pooling backward (torch.ops.aten.max_pool{2,3}d_with_indices_backward):
    /// grad_input = +0; then for n, c and the outputs in scan order, the output's
    /// gradient is added at its index, in the element type. Outputs whose window
    /// has no tap on the input are skipped. Indices are read as the forward wrote
    /// them (per plane, or with the INDICES_GLOBAL / COLUMN_MAJOR flags).
    /// nil when an index (of a non-empty window) is out of range.
    static func maxPool<T: GradElement>(_ g: PoolGeometry, gradOutput: [T], indices: [Int64]) -> [T]? {
        let (ad, ah, aw) = g.axes
        let D = ad.inputSize, H = ah.inputSize, W = aw.inputSize
        var gradInput = [T](repeating: T.gradZero, count: g.inputElements)
        /// Whether any tap k of output o lands inside [0, inputSize).
        func hasTap(_ a: AxisGeometry, _ o: Int) -> Bool {
            (0..<a.kernel).contains { k in (0..<a.inputSize).contains(o * a.stride - a.padding + k * a.dilation) }
        }
        for n in 0..<g.batch { for c in 0..<g.channels {
            for od in 0..<ad.outputSize { for oh in 0..<ah.outputSize { for ow in 0..<aw.outputSize {
                guard hasTap(ad, od) && hasTap(ah, oh) && hasTap(aw, ow) else { continue }
                let q = ReferencePool.offset(g, n: n, c: c, p: (od * ah.outputSize + oh) * aw.outputSize + ow,
                                             plane: g.outputPlane)
                var p = Int(indices[q])
                if g.indicesGlobal { p -= (n * g.channels + c) * g.inputPlane }
                guard p >= 0 && p < D * H * W else { return nil }
                if g.indicesColumnMajor {
                    let d = p % D, h = (p / D) % H, w = p / (D * H)
                    p = (d * H + h) * W + w
                }
                let i = ReferencePool.offset(g, n: n, c: c, p: p, plane: g.inputPlane)
                gradInput[i] = T.gradAdd(gradInput[i], gradOutput[q])
            }}}
        }}
        return gradInput
    }

    /// Average pooling backward (torch.ops.aten.avg_pool{2,3}d_backward): grad_input = +0;
    /// for n, c and the outputs in scan order, delta = grad_output / divisor (the
    /// forward's divisor rule, counted here tap by tap) is added to every tap of the
    /// window that lands on the input, in scan order, in the element type.
    static func avgPool<T: GradElement>(_ g: PoolGeometry, gradOutput: [T]) -> [T] {
        let (ad, ah, aw) = g.axes
        var gradInput = [T](repeating: T.gradZero, count: g.inputElements)
        /// Taps of output o inside the padded extent [-padding, input + paddingEnd).
        func paddedLength(_ a: AxisGeometry, _ o: Int) -> Int {
            (0..<a.kernel).filter { k in
                let i = o * a.stride - a.padding + k * a.dilation
                return i >= -a.padding && i < a.inputSize + a.paddingEnd
            }.count
        }
        for n in 0..<g.batch { for c in 0..<g.channels {
            for od in 0..<ad.outputSize { for oh in 0..<ah.outputSize { for ow in 0..<aw.outputSize {
                var taps: [Int] = []
                for kd in 0..<ad.kernel { for kh in 0..<ah.kernel { for kw in 0..<aw.kernel {
                    guard let id = ReferencePool.tap(ad, od, kd), let ih = ReferencePool.tap(ah, oh, kh),
                          let iw = ReferencePool.tap(aw, ow, kw) else { continue }
                    taps.append((id * ah.inputSize + ih) * aw.inputSize + iw)
                }}}
                if taps.isEmpty { continue }
                let divisor = g.divisorOverride != 0 ? g.divisorOverride
                    : g.countIncludePad ? paddedLength(ad, od) * paddedLength(ah, oh) * paddedLength(aw, ow)
                    : taps.count
                let q = ReferencePool.offset(g, n: n, c: c, p: (od * ah.outputSize + oh) * aw.outputSize + ow,
                                             plane: g.outputPlane)
                let delta = T.gradDivide(gradOutput[q], divisor)
                for p in taps {
                    let i = ReferencePool.offset(g, n: n, c: c, p: p, plane: g.inputPlane)
                    gradInput[i] = T.gradAdd(gradInput[i], delta)
                }
            }}}
        }}
        return gradInput
    }
}
