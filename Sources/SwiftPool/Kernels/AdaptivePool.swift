// Adaptive max and average pooling kernels, generic over element type (and NaN
// rule for max), for both layouts. Bins come from AdaptiveAxis.bin; they are
// never empty, so no padding or empty-window cases arise.
import CSwiftPool

enum AdaptiveMaxKernel {
    /// Channels-first: one (n, c) plane at a time.
    static func channelsFirst<T: PoolElement, R: MaxRule>(_ g: AdaptiveGeometry, rule: R.Type, _ input: UnsafePointer<T>,
                                                         _ output: UnsafeMutablePointer<T>,
                                                         _ indices: UnsafeMutablePointer<Int64>?) {
        let (ad, ah, aw) = g.axes
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let H = ah.inputSize, W = aw.inputSize
        for plane in 0..<(g.batch * g.channels) {
            let src = input + plane &* inPlane
            var q = plane &* outPlane
            for od in 0..<ad.outputSize {
                let bd = ad.bin(od)
                for oh in 0..<ah.outputSize {
                    let bh = ah.bin(oh)
                    for ow in 0..<aw.outputSize {
                        let bw = aw.bin(ow)
                        // PyTorch starts the argmax at the bin's first element.
                        var best: T = R.initial(empty: false)
                        var bestIndex = (bd.begin &* H &+ bh.begin) &* W &+ bw.begin
                        for d in bd.begin..<bd.end {
                            for h in bh.begin..<bh.end {
                                let row = (d &* H &+ h) &* W
                                for w in bw.begin..<bw.end {
                                    let v = src[row &+ w]
                                    if R.replaces(v, best) { best = v; bestIndex = row &+ w }
                                }
                            }
                        }
                        output[q] = best
                        if let indices { indices[q] = Int64(bestIndex) }
                        q &+= 1
                    }
                }
            }
        }
    }

    /// Channels-last: the output row of C channels holds the running maxima, so the
    /// inner loop runs over contiguous channels.
    static func channelsLast<T: PoolElement, R: MaxRule>(_ g: AdaptiveGeometry, rule: R.Type, _ input: UnsafePointer<T>,
                                                        _ output: UnsafeMutablePointer<T>,
                                                        _ indices: UnsafeMutablePointer<Int64>?) {
        let (ad, ah, aw) = g.axes
        let C = g.channels, H = ah.inputSize, W = aw.inputSize
        var q = 0
        for n in 0..<g.batch {
            let src = input + n &* g.inputPlane &* C
            for od in 0..<ad.outputSize {
                let bd = ad.bin(od)
                for oh in 0..<ah.outputSize {
                    let bh = ah.bin(oh)
                    for ow in 0..<aw.outputSize {
                        let bw = aw.bin(ow)
                        let dst = output + q &* C
                        let initial: T = R.initial(empty: false)
                        for c in 0..<C { dst[c] = initial }
                        if let indices {
                            let first = Int64((bd.begin &* H &+ bh.begin) &* W &+ bw.begin)
                            for c in 0..<C { indices[q &* C &+ c] = first }
                        }
                        for d in bd.begin..<bd.end {
                            for h in bh.begin..<bh.end {
                                let row = (d &* H &+ h) &* W
                                for w in bw.begin..<bw.end {
                                    let p = row &+ w
                                    let s = src + p &* C
                                    if let indices {
                                        // Branch-free selects: random data would mispredict a branch.
                                        let idx = indices + q &* C
                                        let p64 = Int64(p)
                                        for c in 0..<C {
                                            let v = s[c], m = dst[c]
                                            let take = R.replaces(v, m)
                                            dst[c] = take ? v : m
                                            idx[c] = take ? p64 : idx[c]
                                        }
                                    } else {
                                        for c in 0..<C {
                                            let v = s[c], m = dst[c]
                                            dst[c] = R.replaces(v, m) ? v : m
                                        }
                                    }
                                }
                            }
                        }
                        q &+= 1
                    }
                }
            }
        }
    }
}

enum AdaptiveAvgKernel {
    /// Sum of `count` contiguous elements in Double. Four independent accumulators
    /// break the add latency chain: global average pooling of an NCHW plane is one call.
    @inline(__always)
    static func wideSum<T: PoolElement>(_ p: UnsafePointer<T>, _ count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i &+ 4 <= count {
            s0 += p[i].poolWide; s1 += p[i &+ 1].poolWide
            s2 += p[i &+ 2].poolWide; s3 += p[i &+ 3].poolWide
            i &+= 4
        }
        while i < count { s0 += p[i].poolWide; i &+= 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// Channels-first: rows of a bin are contiguous runs; a bin spanning whole rows
    /// is one run per depth slice (the whole plane for global pooling).
    static func channelsFirst<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafePointer<T>,
                                             _ output: UnsafeMutablePointer<T>) {
        let (ad, ah, aw) = g.axes
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let H = ah.inputSize, W = aw.inputSize
        for plane in 0..<(g.batch * g.channels) {
            let src = input + plane &* inPlane
            var q = plane &* outPlane
            for od in 0..<ad.outputSize {
                let bd = ad.bin(od)
                for oh in 0..<ah.outputSize {
                    let bh = ah.bin(oh)
                    for ow in 0..<aw.outputSize {
                        let bw = aw.bin(ow)
                        var sum = 0.0
                        for d in bd.begin..<bd.end {
                            if bw.end &- bw.begin == W {
                                sum += wideSum(src + (d &* H &+ bh.begin) &* W, (bh.end &- bh.begin) &* W)
                            } else {
                                for h in bh.begin..<bh.end {
                                    sum += wideSum(src + ((d &* H &+ h) &* W &+ bw.begin), bw.end &- bw.begin)
                                }
                            }
                        }
                        let count = (bd.end &- bd.begin) &* (bh.end &- bh.begin) &* (bw.end &- bw.begin)
                        output[q] = T(poolWide: sum / Double(count))
                        q &+= 1
                    }
                }
            }
        }
    }

    /// Channels-last: blocks of channels accumulate side by side in a stack buffer.
    static func channelsLast<T: PoolElement>(_ g: AdaptiveGeometry, _ input: UnsafePointer<T>,
                                            _ output: UnsafeMutablePointer<T>) {
        let (ad, ah, aw) = g.axes
        let C = g.channels, H = ah.inputSize, W = aw.inputSize
        let block = Swift.min(C, 512)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: block) { acc in
            var q = 0
            for n in 0..<g.batch {
                let src = input + n &* g.inputPlane &* C
                for od in 0..<ad.outputSize {
                    let bd = ad.bin(od)
                    for oh in 0..<ah.outputSize {
                        let bh = ah.bin(oh)
                        for ow in 0..<aw.outputSize {
                            let bw = aw.bin(ow)
                            let count = Double((bd.end &- bd.begin) &* (bh.end &- bh.begin) &* (bw.end &- bw.begin))
                            let dst = output + q &* C
                            var c0 = 0
                            while c0 < C {
                                let width = Swift.min(block, C &- c0)
                                for c in 0..<width { acc[c] = 0 }
                                for d in bd.begin..<bd.end {
                                    for h in bh.begin..<bh.end {
                                        let row = (d &* H &+ h) &* W
                                        for w in bw.begin..<bw.end {
                                            let s = src + ((row &+ w) &* C &+ c0)
                                            for c in 0..<width { acc[c] += s[c].poolWide }
                                        }
                                    }
                                }
                                for c in 0..<width { dst[c0 &+ c] = T(poolWide: acc[c] / count) }
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
