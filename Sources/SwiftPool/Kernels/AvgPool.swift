// Average pooling kernels, generic over element type, for both layouts. Sums are
// accumulated in Double: exact for float32 windows of up to 2^29 elements, where
// a float accumulator (PyTorch, ONNX Runtime) drifts.

enum AvgPoolKernel {
    /// Channels-first (NCHW / NCDHW / NCW).
    static func channelsFirst<T: PoolElement>(_ g: PoolGeometry, _ input: UnsafePointer<T>,
                                              _ output: UnsafeMutablePointer<T>) {
        let (ad, ah, aw) = g.axes
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let H = ah.inputSize, W = aw.inputSize
        for plane in 0..<(g.batch * g.channels) {
            let src = input + plane * inPlane
            var q = plane * outPlane
            for od in 0..<ad.outputSize {
                let wd = ad.window(od)
                for oh in 0..<ah.outputSize {
                    let wh = ah.window(oh)
                    for ow in 0..<aw.outputSize {
                        let ww = aw.window(ow)
                        var sum = 0.0
                        for kd in wd.tapBegin..<wd.tapEnd {
                            let id = wd.start &+ kd &* ad.dilation
                            for kh in wh.tapBegin..<wh.tapEnd {
                                let ih = wh.start &+ kh &* ah.dilation
                                let row = src + ((id &* H &+ ih) &* W &+ ww.start)
                                for kw in ww.tapBegin..<ww.tapEnd { sum += row[kw &* aw.dilation].poolWide }
                            }
                        }
                        let divisor = g.divisor(wd, wh, ww)
                        output[q] = T(poolWide: divisor == 0 ? 0 : sum / Double(divisor))
                        q &+= 1
                    }
                }
            }
        }
    }

    /// Channels-last (NHWC / NDHWC / NWC): channels are summed in blocks into a
    /// stack buffer of wide accumulators, so the inner loop is contiguous.
    static func channelsLast<T: PoolElement>(_ g: PoolGeometry, _ input: UnsafePointer<T>,
                                             _ output: UnsafeMutablePointer<T>) {
        let (ad, ah, aw) = g.axes
        let C = g.channels, H = ah.inputSize, W = aw.inputSize
        let block = Swift.min(C, 512)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: block) { acc in
            var q = 0
            for n in 0..<g.batch {
                let src = input + n * g.inputPlane * C
                for od in 0..<ad.outputSize {
                    let wd = ad.window(od)
                    for oh in 0..<ah.outputSize {
                        let wh = ah.window(oh)
                        for ow in 0..<aw.outputSize {
                            let ww = aw.window(ow)
                            // Divide (not multiply by a reciprocal) so both layouts round identically.
                            let count = g.divisor(wd, wh, ww)
                            let divisor = Double(count == 0 ? 1 : count)
                            let dst = output + q &* C
                            var c0 = 0
                            while c0 < C {
                                let width = Swift.min(block, C &- c0)
                                for c in 0..<width { acc[c] = 0 }
                                for kd in wd.tapBegin..<wd.tapEnd {
                                    let id = wd.start &+ kd &* ad.dilation
                                    for kh in wh.tapBegin..<wh.tapEnd {
                                        let row = (id &* H &+ wh.start &+ kh &* ah.dilation) &* W &+ ww.start
                                        for kw in ww.tapBegin..<ww.tapEnd {
                                            let s = src + ((row &+ kw &* aw.dilation) &* C &+ c0)
                                            for c in 0..<width { acc[c] += s[c].poolWide }
                                        }
                                    }
                                }
                                for c in 0..<width { dst[c0 &+ c] = T(poolWide: acc[c] / divisor) }
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
