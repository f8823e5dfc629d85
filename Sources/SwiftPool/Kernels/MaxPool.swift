import CSwiftPool

// Max pooling kernels, generic over element type, for both layouts. They trust a
// validated PoolGeometry (bounds come from AxisGeometry.window) and write each
// output element exactly once.

enum MaxPoolKernel {
    /// Channels-first (NCHW / NCDHW / NCW): one (n, c) plane at a time.
    static func channelsFirst<T: PoolElement, R: MaxRule>(_ g: PoolGeometry, rule: R.Type, _ input: UnsafePointer<T>,
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
                        var best: T = R.initial(empty: wd.isEmpty || wh.isEmpty || ww.isEmpty)
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
                                    if R.replaces(v, best) { best = v; bestIndex = p }
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
    static func channelsLast<T: PoolElement, R: MaxRule>(_ g: PoolGeometry, rule: R.Type, _ input: UnsafePointer<T>,
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
                        let initial: T = R.initial(empty: wd.isEmpty || wh.isEmpty || ww.isEmpty)
                        for c in 0..<C { dst[c] = initial }
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
                                        for c in 0..<C where R.replaces(s[c], dst[c]) {
                                            dst[c] = s[c]; idx[c] = p64
                                        }
                                    } else {
                                        for c in 0..<C {
                                            let v = s[c], m = dst[c]
                                            dst[c] = R.replaces(v, m) ? v : m
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

/// Rewrites per-plane row-major argmax positions into ONNX's conventions
/// (SWIFTPOOL_FLAG_INDICES_GLOBAL / _COLUMN_MAJOR), after the kernel ran.
enum IndexLayout {
    static func apply(_ g: PoolGeometry, _ indices: UnsafeMutablePointer<Int64>) {
        guard g.indicesGlobal || g.indicesColumnMajor else { return }
        let (ad, ah, aw) = g.axes
        let D = ad.inputSize, H = ah.inputSize, W = aw.inputSize
        let plane = g.inputPlane, C = g.channels
        let channelsLast = g.layout == SWIFTPOOL_LAYOUT_NHWC
        var q = 0
        for n in 0..<g.batch {
            for outer in 0..<(channelsLast ? 1 : C) {
                for od in 0..<ad.outputSize {
                    let wd = ad.window(od)
                    for oh in 0..<ah.outputSize {
                        let wh = ah.window(oh)
                        for ow in 0..<aw.outputSize {
                            let ww = aw.window(ow)
                            for inner in 0..<(channelsLast ? C : 1) {
                                let c = channelsLast ? inner : outer
                                var p = Int(indices[q])
                                if g.indicesColumnMajor {
                                    // A window wholly in the padding reports its first taps,
                                    // which may lie past the input: use them, not p's digits.
                                    let (d, h, w) = wd.isEmpty || wh.isEmpty || ww.isEmpty
                                        ? (wd.firstTap, wh.firstTap, ww.firstTap)
                                        : (p / (W * H), (p / W) % H, p % W)
                                    p = (w * H + h) * D + d
                                }
                                if g.indicesGlobal { p += (n * C + c) * plane }
                                indices[q] = Int64(p)
                                q += 1
                            }
                        }
                    }
                }
            }
        }
    }
}
