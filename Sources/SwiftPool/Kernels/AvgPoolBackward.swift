// Average pooling backward (swiftpool_avg_pool_backward), generic over element
// type, both layouts. Trusts a validated PoolGeometry (op .average). PyTorch's
// arithmetic (aten cpu avg_pool backward kernels): grad_input = +0; for each output
// in scan order, delta = grad_output / divisor (GradElement.gradDivide, the
// forward's divisor rule from PoolGeometry.divisor) is added to every real tap of
// its window in scan order, each addition rounded to the element type. Each
// grad_input element belongs to one (n, c) plane and one chunk, so results are
// bitwise identical for every thread count and equal between the layouts.
import CSwiftPool
import SwiftPoolKernelABI

enum AvgPoolBackwardKernel {
    static func run<T: GradElement>(_ g: PoolGeometry, _ gradOutput: UnsafePointer<T>,
                                    _ gradInput: UnsafeMutablePointer<T>, threads: Int) {
        if g.layout == SWIFTPOOL_LAYOUT_NHWC {
            channelsLast(g, gradOutput, gradInput, threads: threads)
        } else {
            channelsFirst(g, gradOutput, gradInput, threads: threads)
        }
    }

    /// Calls body(o, divisor, wd, wh, ww) for every output position with at least one
    /// real tap, in scan order (o: flattened output position). Windows are derived
    /// on the fly (AxisGeometry.window: no division without dilation), not kept in
    /// per-axis tables: a table of a long axis (40 bytes per output) is an
    /// allocation that can fail, and a failed Swift allocation aborts the host.
    @inline(__always)
    static func forEachWindow(_ g: PoolGeometry, _ body: (Int, Int, Window, Window, Window) -> Void) {
        let (ad, ah, aw) = g.axes
        var o = 0
        for od in 0..<ad.outputSize {
            let d = ad.window(od)
            for oh in 0..<ah.outputSize {
                let h = ah.window(oh)
                for ow in 0..<aw.outputSize {
                    let w = aw.window(ow)
                    if !(d.isEmpty || h.isEmpty || w.isEmpty) { body(o, g.divisor(d, h, w), d, h, w) }
                    o &+= 1
                }
            }
        }
    }

    static func channelsFirst<T: GradElement>(_ g: PoolGeometry, _ gradOutput: UnsafePointer<T>, _ gradInput: UnsafeMutablePointer<T>,
                                              threads: Int) {
        let (ad, ah, aw) = g.axes
        let H = ah.inputSize, W = aw.inputSize
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let work = PoolGeometry.work(outPlane, g.tapsPerWindow)
        // Planes in groups whose gradient planes stay in L2 together: each window and
        // divisor is derived once per group, not once per plane. Every plane still
        // adds its outputs' gradients in scan order, so results do not change.
        let group = Swift.max(1, Swift.min(8, (256 * 1024) / Swift.max(1, inPlane &* MemoryLayout<T>.stride)))
        Parallel.forEachRange(units: g.batch &* g.channels, unitWork: work, threads: threads) { range in
            var first = range.lowerBound
            while first < range.upperBound {
                let planes = Swift.min(group, range.upperBound &- first)
                let gi0 = gradInput + first &* inPlane, go0 = gradOutput + first &* outPlane
                gi0.update(repeating: T.gradZero, count: planes &* inPlane)
                forEachWindow(g) { o, divisor, d, h, w in
                    for q in 0..<planes {
                        let gi = gi0 + q &* inPlane
                        let delta = T.gradDivide(go0[q &* outPlane &+ o], divisor)
                        for kd in d.tapBegin..<d.tapEnd {
                            let id = d.start &+ kd &* ad.dilation
                            for kh in h.tapBegin..<h.tapEnd {
                                let row = gi + ((id &* H &+ h.start &+ kh &* ah.dilation) &* W &+ w.start)
                                for kw in w.tapBegin..<w.tapEnd {
                                    let p = kw &* aw.dilation
                                    row[p] = T.gradAdd(row[p], delta)
                                }
                            }
                        }
                    }
                }
                first &+= planes
            }
        }
    }

    static func channelsLast<T: GradElement>(_ g: PoolGeometry, _ gradOutput: UnsafePointer<T>, _ gradInput: UnsafeMutablePointer<T>,
                                             threads: Int) {
        let (ad, ah, aw) = g.axes
        let H = ah.inputSize, W = aw.inputSize
        let N = g.batch, C = g.channels, inPlane = g.inputPlane, outPlane = g.outputPlane
        let (width, blockCount) = MaxPoolBackwardKernel.channelBlocks(g, threads: threads)
        let work = PoolGeometry.work(PoolGeometry.work(outPlane, g.tapsPerWindow), width)
        Parallel.forEachRange(units: N &* blockCount, unitWork: work, threads: threads) { range in
            withStackScratch(of: T.self, capacity: width) { scratch in
                let deltas = scratch.baseAddress!
                for unit in range {
                    let n = unit / blockCount, c0 = (unit % blockCount) &* width
                    let c1 = Swift.min(C, c0 &+ width)
                    let gi = gradInput + n &* inPlane &* C, go = gradOutput + n &* outPlane &* C
                    MaxPoolBackwardKernel.zeroChannels(gi, positions: inPlane, C: C, c0: c0, c1: c1)
                    forEachWindow(g) { o, divisor, d, h, w in
                        let src = go + o &* C
                        for c in c0..<c1 { deltas[c &- c0] = T.gradDivide(src[c], divisor) }
                        for kd in d.tapBegin..<d.tapEnd {
                            let id = d.start &+ kd &* ad.dilation
                            for kh in h.tapBegin..<h.tapEnd {
                                let row = (id &* H &+ h.start &+ kh &* ah.dilation) &* W &+ w.start
                                for kw in w.tapBegin..<w.tapEnd {
                                    let dst = gi + ((row &+ kw &* aw.dilation) &* C)
                                    for c in c0..<c1 { dst[c] = T.gradAdd(dst[c], deltas[c &- c0]) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension PoolBackwardDispatch {
    static func avgPool(_ g: PoolGeometry, gradOutput: UnsafeRawPointer, gradInput: UnsafeMutableRawPointer,
                        function: String) throws(PoolError) {
        let threads = ThreadSettings.current
        guard g.batch > 0 else { return }
        func run<T: GradElement>(_: T.Type) {
            AvgPoolBackwardKernel.run(g, gradOutput.assumingMemoryBound(to: T.self),
                                      gradInput.assumingMemoryBound(to: T.self), threads: threads)
        }
        switch g.dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: run(Float.self)
        case SWIFTPOOL_DTYPE_FLOAT64: run(Double.self)
        case SWIFTPOOL_DTYPE_FLOAT16: run(Float16.self)
        case SWIFTPOOL_DTYPE_BFLOAT16: run(BFloat16.self)
        default:
            throw PoolError(status: SWIFTPOOL_ERROR_INTERNAL,
                            message: "\(function): dtype \(g.dtype.rawValue) passed validation but has no kernel")
        }
    }
}
