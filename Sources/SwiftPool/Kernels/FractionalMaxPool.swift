// Fractional max pooling kernel, generic over element type and NaN rule, both
// layouts (a stride of 1 or C between spatial neighbours). Window starts come
// from FractionalGeometry.starts; samples are validated beforehand.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftPoolKernelABI

enum FractionalMaxPoolKernel {
    /// `sample(j)` is entry j of the (N, C, rank) samples tensor. The window-start
    /// scratch (OD + OH + OW integers) is on the stack up to stackScratchLimit (no
    /// allocation per call); a larger one is malloc'd. Returns false, having written
    /// nothing, when that fails: malloc, not a Swift allocation, which would abort the
    /// host instead.
    static func run<T: PoolElement & BinaryFloatingPoint, R: MaxRule>(
        _ g: FractionalGeometry, rule _: R.Type, sample: (Int) -> T, _ input: UnsafePointer<T>,
        _ output: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?
    ) -> Bool {
        let (OD, OH, OW) = g.outputSize
        let (bytes, overflow) = (OD + OH + OW).multipliedReportingOverflow(by: MemoryLayout<Int>.stride)
        guard !overflow else { return false }
        if bytes <= stackScratchLimit {
            withStackScratch(of: Int.self, capacity: OD + OH + OW) { starts in
                run(g, rule: R.self, sample: sample, input, output, indices, starts: starts.baseAddress!)
            }
            return true
        }
        guard let raw = malloc(bytes) else { return false }
        defer { free(raw) }
        run(g, rule: R.self, sample: sample, input, output, indices, starts: raw.assumingMemoryBound(to: Int.self))
        return true
    }

    /// The kernel proper, with OD + OH + OW integers of scratch at `starts`.
    private static func run<T: PoolElement & BinaryFloatingPoint, R: MaxRule>(
        _ g: FractionalGeometry, rule _: R.Type, sample: (Int) -> T, _ input: UnsafePointer<T>,
        _ output: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, starts: UnsafeMutablePointer<Int>
    ) {
        let (ID, IH, IW) = g.inputSize, (KD, KH, KW) = g.kernel, (OD, OH, OW) = g.outputSize
        let C = g.tensor.channels, inPlane = g.inputPlane, outPlane = g.outputPlane
        let last = g.tensor.channelsLast
        let step = last ? C : 1
        do {
            let startD = starts
            let startH = startD + OD, startW = startH + OH
            for plane in 0..<g.planes {
                let n = plane / C, c = plane % C
                func u(_ axis: Int) -> T {
                    guard let slot = g.sampleSlot(axis: axis) else { return 0 }
                    return sample(plane &* g.rank &+ slot)
                }
                FractionalGeometry.starts(sample: u(0), input: ID, output: OD, kernel: KD, into: startD)
                FractionalGeometry.starts(sample: u(1), input: IH, output: OH, kernel: KH, into: startH)
                FractionalGeometry.starts(sample: u(2), input: IW, output: OW, kernel: KW, into: startW)
                // Element p of this plane is at src[p * step]; output o at dst[o * step].
                let src = input + (last ? n &* inPlane &* C &+ c : plane &* inPlane)
                let dst = output + (last ? n &* outPlane &* C &+ c : plane &* outPlane)
                let idx = indices.map { $0 + (last ? n &* outPlane &* C &+ c : plane &* outPlane) }
                var o = 0
                for od in 0..<OD {
                    let d0 = startD[od]
                    for oh in 0..<OH {
                        let h0 = startH[oh]
                        for ow in 0..<OW {
                            let w0 = startW[ow]
                            var best: T = R.initial(empty: false)
                            var bestIndex = (d0 &* IH &+ h0) &* IW &+ w0
                            for d in d0..<(d0 &+ KD) {
                                for h in h0..<(h0 &+ KH) {
                                    let row = (d &* IH &+ h) &* IW
                                    for w in w0..<(w0 &+ KW) {
                                        let p = row &+ w
                                        let v = src[p &* step]
                                        if R.replaces(v, best) { best = v; bestIndex = p }
                                    }
                                }
                            }
                            dst[o &* step] = best
                            idx?[o &* step] = Int64(bestIndex)
                            o &+= 1
                        }
                    }
                }
            }
        }
    }
}
