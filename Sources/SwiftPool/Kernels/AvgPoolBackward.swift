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
        } else if T.self == Float.self, unitStrideRows(g) {
            channelsFirstUnitStride(g, UnsafeRawPointer(gradOutput).assumingMemoryBound(to: Float.self),
                                    UnsafeMutableRawPointer(gradInput).assumingMemoryBound(to: Float.self),
                                    threads: threads)
        } else {
            channelsFirst(g, gradOutput, gradInput, threads: threads)
        }
    }

    /// Whether channelsFirstUnitStride takes the problem: 1D/2D, stride 1 and no
    /// dilation on every axis, rows of at least a vector, and a padded delta plane
    /// that fits the stack scratch (no heap allocation).
    static func unitStrideRows(_ g: PoolGeometry) -> Bool {
        let (ad, ah, aw) = g.axes
        guard ad == .unit && ah.stride == 1 && aw.stride == 1 && ah.dilation == 1 && aw.dilation == 1
            && aw.inputSize >= 8 else { return false }
        // Every window has a real tap (windows are monotone: the first and the last
        // decide), so every output has a divisor.
        guard !ah.window(0).isEmpty, !ah.window(ah.outputSize &- 1).isEmpty,
              !aw.window(0).isEmpty, !aw.window(aw.outputSize &- 1).isEmpty else { return false }
        // The padded delta rows and a divisor plane laid out the same way.
        let (size, overflow) = ah.outputSize.multipliedReportingOverflow(by: 2 &* unitStrideRowWidth(aw))
        return !overflow && size <= stackScratchLimit / MemoryLayout<Float>.stride
    }

    /// Elements of a padded delta row: kernel zeros, the row's deltas, kernel + 8 zeros.
    static func unitStrideRowWidth(_ aw: AxisGeometry) -> Int { aw.outputSize &+ 2 &* aw.kernel &+ 8 }

    /// Channels-first float32 at stride 1 (the Inception-style 3x3 stride-1 pool), as
    /// a gather: input (h, w) receives the deltas of the outputs whose windows cover
    /// it, in scan order, which at stride 1 are output rows oh with
    /// window(oh).start <= h < window(oh).start + kernel (ascending), and in each the
    /// outputs ow = w + left - kernel + 1 ... w + left, left = padding (ascending):
    /// the same additions in the same order as the scatter, so bitwise equal. Eight
    /// inputs of a row at a time: each lane reads its own outputs from a delta row
    /// copied with kernel zeros on both sides (an extra +0 changes no sum: the sum
    /// starts at +0 and so is never -0). Each delta is grad_output / divisor, as
    /// the scatter computes it.
    static func channelsFirstUnitStride(_ g: PoolGeometry, _ gradOutput: UnsafePointer<Float>,
                                        _ gradInput: UnsafeMutablePointer<Float>, threads: Int) {
        let (_, ah, aw) = g.axes
        let H = ah.inputSize, W = aw.inputSize, OH = ah.outputSize, OW = aw.outputSize
        let kh = ah.kernel, kw = aw.kernel
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let rowWidth = unitStrideRowWidth(aw)
        let work = PoolGeometry.work(outPlane, g.tapsPerWindow)
        Parallel.forEachRange(units: g.batch &* g.channels, unitWork: work, threads: threads) { range in
            withStackScratch(of: Float.self, capacity: 2 &* OH &* rowWidth) { buffer in
                let rows = buffer.baseAddress!, divisors = rows + OH &* rowWidth
                rows.update(repeating: 0, count: OH &* rowWidth)
                // Each output's divisor, once per range of planes, as a Float (what
                // gradDivide divides by), at its delta's place in the padded rows.
                forEachWindow(g) { o, divisor, _, _, _ in
                    let oh = o / OW, ow = o &- oh &* OW
                    divisors[oh &* rowWidth &+ kw &+ ow] = Float(divisor)
                }
                for plane in range {
                    let go = gradOutput + plane &* outPlane, gi = gradInput + plane &* inPlane
                    // Deltas, grad_output / divisor as in the scatter (a vector division
                    // rounds each lane as the scalar one does).
                    for oh in 0..<OH {
                        let src = go + oh &* OW, at = oh &* rowWidth &+ kw
                        var ow = 0
                        while ow &+ 8 <= OW {
                            let q = UnsafeRawPointer(src + ow).loadUnaligned(as: SIMD8<Float>.self)
                                / UnsafeRawPointer(divisors + (at &+ ow)).loadUnaligned(as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(rows + (at &+ ow)).storeBytes(of: q, as: SIMD8<Float>.self)
                            ow &+= 8
                        }
                        while ow < OW { rows[at &+ ow] = src[ow] / divisors[at &+ ow]; ow &+= 1 }
                    }
                    for h in 0..<H {
                        // Output rows covering input row h, ascending.
                        var first = OH, last = -1
                        for oh in Swift.max(0, h &- kh &+ 1 &+ ah.padding)..<Swift.min(OH, h &+ 1 &+ ah.padding) {
                            let start = ah.window(oh).start
                            if start <= h && h < start &+ kh { first = Swift.min(first, oh); last = oh }
                        }
                        let out = gi + h &* W
                        // Lane w's first output is ow = w + padding - kw + 1: row position
                        // kw + ow = w + padding + 1 in the padded row.
                        let base = aw.padding &+ 1
                        var j = 0
                        while j < W {
                            let j0 = Swift.min(j, W &- 8)
                            var sum = SIMD8<Float>()
                            var oh = first
                            while oh <= last {
                                let row = UnsafeRawPointer(rows + (oh &* rowWidth &+ base &+ j0))
                                var t = 0
                                while t < kw {
                                    sum += row.loadUnaligned(fromByteOffset: t &* 4, as: SIMD8<Float>.self)
                                    t &+= 1
                                }
                                oh &+= 1
                            }
                            UnsafeMutableRawPointer(out + j0).storeBytes(of: sum, as: SIMD8<Float>.self)
                            j = j0 &+ 8
                        }
                    }
                }
            }
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
