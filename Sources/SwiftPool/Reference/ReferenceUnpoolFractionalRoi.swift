// Slow, obviously-correct max unpooling, fractional and ROI max pooling: the
// oracles of the optimized kernels. Each follows its source's definition
// literally on Swift arrays, with its own index arithmetic (logical (n, c, spatial)
// coordinates mapped to memory by one `offset` function) and its own window
// formulas; only validated sizes are shared with the optimized path.
import CSwiftPool

enum ReferenceSpecialPool {
    /// Memory offset of (n, c, spatial position p) in a dense tensor of `planeSize`
    /// positions per channel.
    static func offset(channelsLast: Bool, channels: Int, n: Int, c: Int, p: Int, planeSize: Int) -> Int {
        channelsLast ? (n * planeSize + p) * channels + c : (n * channels + c) * planeSize + p
    }

    // MARK: - Max unpooling (torch.nn.functional.max_unpool*d, ONNX MaxUnpool)

    /// Zero output, then every x element in NCHW order writes itself at its index
    /// (the last write wins). nil when an index is out of range.
    static func maxUnpool<T: PoolElement>(_ g: UnpoolGeometry, _ x: [T], _ indices: [Int64]) -> [T]? {
        let N = g.tensor.batch, C = g.tensor.channels, last = g.tensor.channelsLast
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        var out = [T](repeating: T(poolWide: 0), count: g.outputElements)
        for n in 0..<N { for c in 0..<C { for p in 0..<inPlane {
            let q = offset(channelsLast: last, channels: C, n: n, c: c, p: p, planeSize: inPlane)
            let index = Int(indices[q])
            var (tn, tc, tp) = (n, c, index)
            if g.indicesGlobal {
                guard index >= 0 && index < N * C * outPlane else { return nil }
                (tn, tc, tp) = (index / (C * outPlane), (index / outPlane) % C, index % outPlane)
            } else {
                guard index >= 0 && index < outPlane else { return nil }
            }
            out[offset(channelsLast: last, channels: C, n: tn, c: tc, p: tp, planeSize: outPlane)] = x[q]
        }}}
        return out
    }

    // MARK: - Fractional max pooling (torch.nn.functional.fractional_max_pool{2,3}d)

    /// PyTorch's generate_intervals, in T: the start of every window along one axis.
    static func intervals<T: BinaryFloatingPoint>(_ u: T, input: Int, output: Int, kernel: Int) -> [Int] {
        if output == 1 { return [input - kernel] }
        let alpha: T = T(input - kernel) / T(output - 1)
        var starts: [Int] = []
        for i in 0..<(output - 1) {
            let a: T = (T(i) + u) * alpha
            let b: T = u * alpha
            starts.append(Int(a.rounded(.towardZero)) - Int(b.rounded(.towardZero)))
        }
        return starts + [input - kernel]
    }

    /// Values and per-plane row-major argmax; `samples` is the (N, C, rank) tensor in
    /// PyTorch's order (2D: W, H; 3D: D, H, W).
    static func fractionalMaxPool<T: PoolElement & BinaryFloatingPoint>(_ g: FractionalGeometry, _ x: [T],
                                                                        samples: [T]) -> (values: [T], indices: [Int64]) {
        let N = g.tensor.batch, C = g.tensor.channels, last = g.tensor.channelsLast, rank = g.rank
        let inSizes = [g.inputSize.0, g.inputSize.1, g.inputSize.2]
        let kernels = [g.kernel.0, g.kernel.1, g.kernel.2]
        let outSizes = [g.outputSize.0, g.outputSize.1, g.outputSize.2]
        var values = [T](repeating: 0, count: g.outputElements)
        var indices = [Int64](repeating: 0, count: g.outputElements)
        for n in 0..<N { for c in 0..<C {
            let row = Array(samples[((n * C + c) * rank)..<((n * C + c + 1) * rank)])
            // Lifted axis (D, H, W) -> its sample; unit axes take 0 (their only start is 0).
            let u: [T] = rank == 2 ? [0, row[1], row[0]] : row
            let starts = (0..<3).map { intervals(u[$0], input: inSizes[$0], output: outSizes[$0], kernel: kernels[$0]) }
            for od in 0..<outSizes[0] { for oh in 0..<outSizes[1] { for ow in 0..<outSizes[2] {
                var window: [(value: T, position: Int)] = []
                for d in starts[0][od]..<(starts[0][od] + kernels[0]) {
                    for h in starts[1][oh]..<(starts[1][oh] + kernels[1]) {
                        for w in starts[2][ow]..<(starts[2][ow] + kernels[2]) {
                            let p = (d * inSizes[1] + h) * inSizes[2] + w
                            window.append((x[offset(channelsLast: last, channels: C, n: n, c: c, p: p, planeSize: g.inputPlane)], p))
                        }
                    }
                }
                let numbers = window.filter { !$0.value.isNaN }
                let chosen: (value: T, position: Int)
                if numbers.count < window.count && (!g.nanIgnore || numbers.isEmpty) {
                    chosen = window.last { $0.value.isNaN }!        // PyTorch: the last NaN
                } else {
                    let top = numbers.map(\.value).max()!
                    chosen = numbers.first { $0.value == top }!     // the first maximum
                }
                let o = (od * outSizes[1] + oh) * outSizes[2] + ow
                let q = offset(channelsLast: last, channels: C, n: n, c: c, p: o, planeSize: g.outputPlane)
                values[q] = chosen.value
                indices[q] = Int64(chosen.position)
            }}}
        }}
        return (values, indices)
    }

    // MARK: - ROI max pooling (torchvision.ops.roi_pool, ONNX MaxRoiPool)

    /// Values and argmax (-1 for none). `boxes` holds (batch, x1, y1, x2, y2) rows and
    /// must be valid; `scale` is spatial_scale in T.
    static func roiMaxPool<T: PoolElement & BinaryFloatingPoint>(_ g: RoiGeometry, _ x: [T], boxes: [T],
                                                                 scale: T) -> (values: [T], argmax: [Int64]) {
        let C = g.tensor.channels, H = g.height, W = g.width, last = g.tensor.channelsLast
        let PH = g.pooledHeight, PW = g.pooledWidth
        var values = [T](repeating: 0, count: g.outputElements)
        var argmax = [Int64](repeating: 0, count: g.outputElements)
        for k in 0..<g.numBoxes {
            let b = Array(boxes[(5 * k)..<(5 * k + 5)])
            let batch = Int(b[0].rounded(.towardZero))
            // round(): half away from zero, like C's.
            let x1 = Int((b[1] * scale).rounded(.toNearestOrAwayFromZero))
            let y1 = Int((b[2] * scale).rounded(.toNearestOrAwayFromZero))
            let x2 = Int((b[3] * scale).rounded(.toNearestOrAwayFromZero))
            let y2 = Int((b[4] * scale).rounded(.toNearestOrAwayFromZero))
            let roiW = max(x2 - x1 + 1, 1), roiH = max(y2 - y1 + 1, 1)
            let binH: T = T(roiH) / T(PH), binW: T = T(roiW) / T(PW)
            for ph in 0..<PH { for pw in 0..<PW {
                let h0 = min(max(Int((T(ph) * binH).rounded(.down)) + y1, 0), H)
                let h1 = min(max(Int((T(ph + 1) * binH).rounded(.up)) + y1, 0), H)
                let w0 = min(max(Int((T(pw) * binW).rounded(.down)) + x1, 0), W)
                let w1 = min(max(Int((T(pw + 1) * binW).rounded(.up)) + x1, 0), W)
                let empty = h1 <= h0 || w1 <= w0
                for c in 0..<C {
                    var best: T = empty ? 0 : T(-Float.greatestFiniteMagnitude)
                    var at = -1
                    if !empty {
                        for h in h0..<h1 { for w in w0..<w1 {
                            let v = x[offset(channelsLast: last, channels: C, n: batch, c: c, p: h * W + w, planeSize: H * W)]
                            if v > best { best = v; at = h * W + w }
                        }}
                    }
                    let q = offset(channelsLast: last, channels: C, n: k, c: c, p: ph * PW + pw, planeSize: PH * PW)
                    values[q] = best
                    argmax[q] = Int64(at)
                }
            }}
        }
        return (values, argmax)
    }
}
