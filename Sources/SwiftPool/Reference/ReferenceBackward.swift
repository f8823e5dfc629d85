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
}
