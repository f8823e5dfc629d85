// Max pooling kernels, generic over element type, for both layouts. They trust a
// validated PoolGeometry (bounds come from AxisGeometry.window) and write each
// output element exactly once.

enum MaxPoolKernel {
    /// Channels-first (NCHW / NCDHW / NCW): one (n, c) plane at a time.
    static func channelsFirst<T: PoolElement>(_ g: PoolGeometry, _ input: UnsafePointer<T>,
                                              _ output: UnsafeMutablePointer<T>,
                                              _ indices: UnsafeMutablePointer<Int64>?) {
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
                        var best = T.poolLowest
                        var bestIndex = (wd.firstTap &* H &+ wh.firstTap) &* W &+ ww.firstTap
                        var kd = wd.tapBegin
                        while kd < wd.tapEnd {
                            let id = wd.start &+ kd &* ad.dilation
                            var kh = wh.tapBegin
                            while kh < wh.tapEnd {
                                let row = (id &* H &+ wh.start &+ kh &* ah.dilation) &* W
                                var kw = ww.tapBegin
                                while kw < ww.tapEnd {
                                    let p = row &+ ww.start &+ kw &* aw.dilation
                                    let v = src[p]
                                    if poolMaxReplaces(v, best) { best = v; bestIndex = p }
                                    kw &+= 1
                                }
                                kh &+= 1
                            }
                            kd &+= 1
                        }
                        output[q] = best
                        if let indices { indices[q] = Int64(bestIndex) }
                        q &+= 1
                    }
                }
            }
        }
    }

    /// Channels-last (NHWC / NDHWC / NWC): the output row of C channels is the
    /// running maximum, so the inner loop runs over contiguous channels.
    static func channelsLast<T: PoolElement>(_ g: PoolGeometry, _ input: UnsafePointer<T>,
                                             _ output: UnsafeMutablePointer<T>,
                                             _ indices: UnsafeMutablePointer<Int64>?) {
        let (ad, ah, aw) = g.axes
        let C = g.channels, H = ah.inputSize, W = aw.inputSize
        var q = 0
        for n in 0..<g.batch {
            let src = input + n * g.inputPlane * C
            for od in 0..<ad.outputSize {
                let wd = ad.window(od)
                for oh in 0..<ah.outputSize {
                    let wh = ah.window(oh)
                    for ow in 0..<aw.outputSize {
                        let ww = aw.window(ow)
                        let dst = output + q &* C
                        let first = Int64((wd.firstTap &* H &+ wh.firstTap) &* W &+ ww.firstTap)
                        for c in 0..<C { dst[c] = T.poolLowest }
                        if let indices { for c in 0..<C { indices[q &* C &+ c] = first } }
                        var kd = wd.tapBegin
                        while kd < wd.tapEnd {
                            let id = wd.start &+ kd &* ad.dilation
                            var kh = wh.tapBegin
                            while kh < wh.tapEnd {
                                let row = (id &* H &+ wh.start &+ kh &* ah.dilation) &* W
                                var kw = ww.tapBegin
                                while kw < ww.tapEnd {
                                    let p = row &+ ww.start &+ kw &* aw.dilation
                                    let s = src + p &* C
                                    if let indices {
                                        let idx = indices + q &* C
                                        let p64 = Int64(p)
                                        for c in 0..<C where poolMaxReplaces(s[c], dst[c]) {
                                            dst[c] = s[c]; idx[c] = p64
                                        }
                                    } else {
                                        for c in 0..<C {
                                            let v = s[c], m = dst[c]
                                            dst[c] = poolMaxReplaces(v, m) ? v : m
                                        }
                                    }
                                    kw &+= 1
                                }
                                kh &+= 1
                            }
                            kd &+= 1
                        }
                        q &+= 1
                    }
                }
            }
        }
    }
}
