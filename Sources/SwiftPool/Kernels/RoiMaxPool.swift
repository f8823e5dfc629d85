// ROI max pooling kernel, generic over element type, both layouts. Boxes are
// decoded by RoiGeometry.box and were validated before this runs.

enum RoiMaxPoolKernel {
    static func run<T: PoolElement & BinaryFloatingPoint>(
        _ g: RoiGeometry, _ input: UnsafePointer<T>, boxes: UnsafePointer<T>, scale: T,
        _ output: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int64>?
    ) {
        let C = g.tensor.channels, W = g.width, plane = g.inputPlane
        let PH = g.pooledHeight, PW = g.pooledWidth
        let last = g.tensor.channelsLast
        // torchvision starts every non-empty bin at -FLT_MAX, for float64 too.
        let lowest = T(-Float.greatestFiniteMagnitude)
        for k in 0..<g.numBoxes {
            let r = boxes + 5 &* k
            guard case .success(let box) = g.box(k, (r[0], r[1], r[2], r[3], r[4]), scale: scale, function: "")
            else { continue }      // unreachable: every box was validated
            for ph in 0..<PH {
                let rows = box.rows[ph]
                for pw in 0..<PW {
                    let columns = box.columns[pw]
                    let empty = rows.isEmpty || columns.isEmpty
                    let initial = empty ? T(poolWide: 0) : lowest
                    if last {
                        // Channels innermost: running maxima over a contiguous row of C.
                        let q = ((k &* PH &+ ph) &* PW &+ pw) &* C
                        let dst = output + q
                        let src = input + box.batch &* plane &* C
                        for c in 0..<C { dst[c] = initial }
                        argmax?.advanced(by: q).update(repeating: -1, count: C)
                        for h in rows {
                            for w in columns {
                                let p = h &* W &+ w
                                let s = src + p &* C
                                for c in 0..<C where s[c] > dst[c] {
                                    dst[c] = s[c]
                                    argmax?[q &+ c] = Int64(p)
                                }
                            }
                        }
                    } else {
                        for c in 0..<C {
                            let src = input + (box.batch &* C &+ c) &* plane
                            var best = initial
                            var bestIndex = -1
                            for h in rows {
                                for w in columns {
                                    let p = h &* W &+ w
                                    if src[p] > best { best = src[p]; bestIndex = p }
                                }
                            }
                            let q = ((k &* C &+ c) &* PH &+ ph) &* PW &+ pw
                            output[q] = best
                            argmax?[q] = Int64(bestIndex)
                        }
                    }
                }
            }
        }
    }
}
