// Max unpooling kernel, generic over element type, both layouts. Trusts a validated
// UnpoolGeometry and indices already checked to lie in range.

enum MaxUnpoolKernel {
    static func run<T: PoolElement>(_ g: UnpoolGeometry, _ input: UnsafePointer<T>,
                                    _ indices: UnsafePointer<Int64>, _ output: UnsafeMutablePointer<T>) {
        output.update(repeating: T(poolWide: 0), count: g.outputElements)
        let inPlane = g.inputPlane, outPlane = g.outputPlane, C = g.tensor.channels
        if g.indicesGlobal {
            // A global index may point into another (n, c) plane: walk x in NCHW order
            // in both layouts, so duplicates resolve identically (the last one wins).
            let last = g.tensor.channelsLast
            for plane in 0..<g.planes {
                let n = plane / C, c = plane % C
                for p in 0..<inPlane {
                    let q = last ? (n &* inPlane &+ p) &* C &+ c : plane &* inPlane &+ p
                    let target = Int(indices[q])
                    if last {
                        let tPlane = target / outPlane, tp = target % outPlane
                        output[((tPlane / C) &* outPlane &+ tp) &* C &+ tPlane % C] = input[q]
                    } else {
                        output[target] = input[q]
                    }
                }
            }
        } else if g.tensor.channelsLast {
            // Per-plane indices: planes are disjoint, and within a plane positions are
            // visited in increasing order, as in NCHW.
            for n in 0..<g.tensor.batch {
                let src = input + n &* inPlane &* C, idx = indices + n &* inPlane &* C
                let dst = output + n &* outPlane &* C
                for p in 0..<inPlane {
                    let row = p &* C
                    for c in 0..<C { dst[Int(idx[row &+ c]) &* C &+ c] = src[row &+ c] }
                }
            }
        } else {
            for plane in 0..<g.planes {
                let src = input + plane &* inPlane, idx = indices + plane &* inPlane
                let dst = output + plane &* outPlane
                for p in 0..<inPlane { dst[Int(idx[p])] = src[p] }
            }
        }
    }
}
