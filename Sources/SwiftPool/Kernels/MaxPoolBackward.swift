// Max pooling backward (swiftpool_max_pool_backward), generic over element type,
// both layouts. Trusts a validated PoolGeometry and indices already checked (or
// converted) to be per-plane row-major positions in [0, inputPlane) for every
// output whose window is not empty. PyTorch's arithmetic (aten cpu
// max_pool backward kernels): grad_input = +0, then grad_output is added at each
// index in output scan order, every addition rounded to the element type. Each
// grad_input element belongs to one (n, c) plane and one chunk, and its additions
// happen in that fixed order whatever the partition, so results are bitwise
// identical for every thread count and equal between the layouts.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSwiftPool
import SwiftPoolKernelABI
import _SwiftPoolCPU

/// A floating-point element with PyTorch's scalar `+=` (float16 / bfloat16 add in
/// float and round back, as c10::Half / c10::BFloat16 do) and its
/// `scalar_t / int64_t` (average pooling backward's grad_output / divisor: the
/// divisor converted to float (double for float64) and, for float16 / bfloat16,
/// rounded to the element type first, as c10's mixed Half-int operators do).
protocol GradElement: PoolElement {
    static var gradZero: Self { get }
    static func gradAdd(_ a: Self, _ b: Self) -> Self
    static func gradDivide(_ a: Self, _ divisor: Int) -> Self
}

extension Float: GradElement {
    @inline(__always) static var gradZero: Float { 0 }
    @inline(__always) static func gradAdd(_ a: Float, _ b: Float) -> Float { a + b }
    @inline(__always) static func gradDivide(_ a: Float, _ divisor: Int) -> Float { a / Float(divisor) }
}

extension Double: GradElement {
    @inline(__always) static var gradZero: Double { 0 }
    @inline(__always) static func gradAdd(_ a: Double, _ b: Double) -> Double { a + b }
    @inline(__always) static func gradDivide(_ a: Double, _ divisor: Int) -> Double { a / Double(divisor) }
}

extension Float16: GradElement {
    @inline(__always) static var gradZero: Float16 { 0 }
    // Float has 24 >= 2*11 + 2 significand bits, so rounding the float sum to
    // half is the correctly rounded half sum (what c10::Half's float round trip gives).
    @inline(__always) static func gradAdd(_ a: Float16, _ b: Float16) -> Float16 { Float16(Float(a) + Float(b)) }
    @inline(__always) static func gradDivide(_ a: Float16, _ divisor: Int) -> Float16 {
        Float16(Float(a) / Float(Float16(Float(divisor))))
    }
}

extension BFloat16: GradElement {
    @inline(__always) static var gradZero: BFloat16 { BFloat16(bits: 0) }
    @inline(__always) static func gradAdd(_ a: BFloat16, _ b: BFloat16) -> BFloat16 { BFloat16(a.float + b.float) }
    @inline(__always) static func gradDivide(_ a: BFloat16, _ divisor: Int) -> BFloat16 {
        BFloat16(a.float / BFloat16(Float(divisor)).float)
    }
}

enum MaxPoolBackwardKernel {
    /// Channels-last images are split into blocks of at least this many channels
    /// when there are too few images to share among the threads.
    static let minChannelBlock = 16

    /// (channels per block, number of blocks) of a channels-last image: enough
    /// units for the threads, blocks a multiple of 16 channels (whole cache lines).
    static func channelBlocks(_ g: PoolGeometry, threads: Int) -> (width: Int, count: Int) {
        let N = g.batch, C = g.channels
        let wanted = N >= threads &* 4 ? 1 : (threads &* 4 &+ N &- 1) / Swift.max(N, 1)
        let maxBlocks = (C &+ minChannelBlock &- 1) / minChannelBlock
        let blocks = Swift.max(1, Swift.min(wanted, maxBlocks))
        let width = ((C &+ blocks &- 1) / blocks &+ minChannelBlock &- 1) / minChannelBlock &* minChannelBlock
        return (width, (C &+ width &- 1) / width)
    }

    /// Zeroes channels c0..<c1 of every position of one channels-last image.
    @inline(__always)
    static func zeroChannels<T: GradElement>(_ gi: UnsafeMutablePointer<T>, positions: Int, C: Int, c0: Int, c1: Int) {
        if c1 &- c0 == C {
            gi.update(repeating: T.gradZero, count: positions &* C)
        } else {
            for p in 0..<positions { (gi + (p &* C &+ c0)).update(repeating: T.gradZero, count: c1 &- c0) }
        }
    }

    /// `streamedMinimum`: channels-first grad_input of at least this many bytes
    /// takes channelsFirstStreamed (tests lower it to run that path on small problems).
    static func run<T: GradElement, M: BackwardIndexMap>(_ g: PoolGeometry, _ gradOutput: UnsafePointer<T>,
                                                         _ indices: UnsafePointer<Int64>, map: M,
                                                         _ gradInput: UnsafeMutablePointer<T>, empty: EmptyWindows?,
                                                         threads: Int, streamedMinimum: Int = streamedTotalMinimum) {
        if g.layout == SWIFTPOOL_LAYOUT_NHWC {
            channelsLast(g, gradOutput, indices, map: map, gradInput, empty: empty, threads: threads)
        } else {
            let planeBytes = g.inputPlane &* MemoryLayout<T>.stride
            if planeBytes <= streamedPlaneLimit && planeBytes &* g.batch &* g.channels >= streamedMinimum {
                channelsFirstStreamed(g, gradOutput, indices, map: map, gradInput, empty: empty, threads: threads)
            } else {
                channelsFirst(g, gradOutput, indices, map: map, gradInput, empty: empty, threads: threads)
            }
        }
    }

    /// Channels-first: one (n, c) plane per unit. Its grad_input plane is zeroed
    /// by a frontier running ahead of the scatter, as channelsLast does (a row at
    /// a time, just before the first index that reaches it; the rest at the end),
    /// rather than in a pass of its own: the rows are zeroed where the additions
    /// then find them, in L1. Each element is zeroed before its first addition
    /// whatever the indices; additions keep output scan order.
    static func channelsFirst<T: GradElement, M: BackwardIndexMap>(
        _ g: PoolGeometry, _ gradOutput: UnsafePointer<T>, _ indices: UnsafePointer<Int64>, map: M,
        _ gradInput: UnsafeMutablePointer<T>, empty: EmptyWindows?, threads: Int
    ) {
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let row = Swift.max(1, g.axes.2.inputSize)
        Parallel.forEachRange(units: g.batch &* g.channels, unitWork: inPlane &+ outPlane, threads: threads,
                              lastFirst: true) { range in
            for plane in range.reversed() {
                let gi = gradInput + plane &* inPlane
                let go = gradOutput + plane &* outPlane, ix = indices + plane &* outPlane
                var zeroed = 0   // elements [0, zeroed) hold +0 or sums
                @inline(__always) func add(_ o: Int) {
                    let p = map.position(ix[o], plane: plane)
                    if p >= zeroed {
                        let upTo = Swift.min(inPlane, Swift.max(p &+ 1, zeroed &+ row))
                        (gi + zeroed).update(repeating: T.gradZero, count: upTo &- zeroed)
                        zeroed = upTo
                    }
                    gi[p] = T.gradAdd(gi[p], go[o])
                }
                if let empty {
                    for o in 0..<outPlane where !empty.isEmpty(o) { add(o) }
                } else {
                    for o in 0..<outPlane { add(o) }
                }
                if zeroed < inPlane { (gi + zeroed).update(repeating: T.gradZero, count: inPlane &- zeroed) }
            }
        }
    }

    /// grad_input of at least this many bytes is written with streaming stores
    /// (channelsFirstStreamed): about the size of the last-level cache, above which
    /// the data would leave the caches before it is read again anyway.
    static let streamedTotalMinimum = 8 << 20
    /// Largest plane built in stack scratch by channelsFirstStreamed.
    static let streamedPlaneLimit = 64 << 10

    /// channelsFirst for a grad_input too large for the caches: each plane is built
    /// in a zeroed scratch plane (L1/L2 resident, the same additions in the same
    /// order) and then copied out with non-temporal stores, which write grad_input
    /// without first reading it into the cache (plain stores would: a third of the
    /// memory traffic). The copy leaves the scratch zeroed for the next plane; +0 is
    /// all-zero bits in every GradElement.
    static func channelsFirstStreamed<T: GradElement, M: BackwardIndexMap>(
        _ g: PoolGeometry, _ gradOutput: UnsafePointer<T>, _ indices: UnsafePointer<Int64>, map: M,
        _ gradInput: UnsafeMutablePointer<T>, empty: EmptyWindows?, threads: Int
    ) {
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let planeBytes = inPlane &* MemoryLayout<T>.stride
        Parallel.forEachRange(units: g.batch &* g.channels, unitWork: inPlane &+ outPlane, threads: threads,
                              lastFirst: true) { range in
            withStackScratch(of: T.self, capacity: 2 &* inPlane) { scratch in
                let s = scratch.baseAddress!, t = s + inPlane
                s.initialize(repeating: T.gradZero, count: 2 &* inPlane)
                var plane = range.upperBound
                // Two planes at a time: their additions are independent, so one
                // plane's chain through a repeated index (store, then load of the
                // same element) overlaps the other's.
                while plane &- 2 >= range.lowerBound {
                    plane &-= 2
                    let b = plane &+ 1
                    let goA = gradOutput + plane &* outPlane, ixA = indices + plane &* outPlane
                    let goB = goA + outPlane, ixB = ixA + outPlane
                    if let empty {
                        for o in 0..<outPlane where !empty.isEmpty(o) {
                            let p = map.position(ixA[o], plane: plane)
                            s[p] = T.gradAdd(s[p], goA[o])
                            let q = map.position(ixB[o], plane: b)
                            t[q] = T.gradAdd(t[q], goB[o])
                        }
                    } else {
                        for o in 0..<outPlane {
                            let p = map.position(ixA[o], plane: plane)
                            s[p] = T.gradAdd(s[p], goA[o])
                            let q = map.position(ixB[o], plane: b)
                            t[q] = T.gradAdd(t[q], goB[o])
                        }
                    }
                    spcpu_stream_out_and_zero(gradInput + b &* inPlane, t, planeBytes)
                    spcpu_stream_out_and_zero(gradInput + plane &* inPlane, s, planeBytes)
                }
                if plane > range.lowerBound {
                    plane &-= 1
                    let go = gradOutput + plane &* outPlane, ix = indices + plane &* outPlane
                    for o in 0..<outPlane where empty.map({ !$0.isEmpty(o) }) ?? true {
                        let p = map.position(ix[o], plane: plane)
                        s[p] = T.gradAdd(s[p], go[o])
                    }
                    spcpu_stream_out_and_zero(gradInput + plane &* inPlane, s, planeBytes)
                }
            }
        }
    }

    /// Channels-last: units are (image, channel block). A channels-last image is
    /// usually too large for the cache, so its grad_input is not zeroed up front:
    /// a frontier runs ahead of the scatter, zeroing positions (a row of the
    /// innermost axis at a time) just before the first index that reaches them,
    /// and the rest at the end. Each element is zeroed before its first addition
    /// whatever the indices, and the additions keep output scan order.
    static func channelsLast<T: GradElement, M: BackwardIndexMap>(
        _ g: PoolGeometry, _ gradOutput: UnsafePointer<T>, _ indices: UnsafePointer<Int64>, map: M,
        _ gradInput: UnsafeMutablePointer<T>, empty: EmptyWindows?, threads: Int
    ) {
        let N = g.batch, C = g.channels, inPlane = g.inputPlane, outPlane = g.outputPlane
        let chunk = Swift.max(1, g.axes.2.inputSize)
        let (width, blockCount) = channelBlocks(g, threads: threads)
        // Images in ascending order: running them last first, as channelsFirst does,
        // made workload 8 NHWC slower at 2 threads (4.4-4.5 -> 6.5-7.0 ms).
        Parallel.forEachRange(units: N &* blockCount, unitWork: (inPlane &+ outPlane) &* width, threads: threads) { range in
            for unit in range {
                let n = unit / blockCount, c0 = (unit % blockCount) &* width
                let c1 = Swift.min(C, c0 &+ width)
                let gi = gradInput + n &* inPlane &* C
                var zeroed = 0   // positions [0, zeroed) hold +0 or sums (channels c0..<c1)
                let go = gradOutput + n &* outPlane &* C, ix = indices + n &* outPlane &* C
                // The indices and gradients of the output 8 KiB of indices ahead: the
                // scalar loop otherwise waits on their loads (workload 8 NHWC, 1
                // thread: 3250-3460 -> 2920-3150 us; 2 threads 1550-1650 -> 1440-1500).
                let indexBytes = (c1 &- c0) &* 8, gradBytes = (c1 &- c0) &* MemoryLayout<T>.stride
                let ahead = Swift.max(1, 8192 / indexBytes)
                for o in 0..<outPlane {
                    if o &+ ahead < outPlane {
                        let ip = UnsafeRawPointer(ix + ((o &+ ahead) &* C &+ c0))
                        let gp = UnsafeRawPointer(go + ((o &+ ahead) &* C &+ c0))
                        var b = 0
                        while b < indexBytes { spcpu_prefetch(ip + b); b &+= 64 }
                        b = 0
                        while b < gradBytes { spcpu_prefetch(gp + b); b &+= 64 }
                    }
                    if let empty, empty.isEmpty(o) { continue }
                    let row = o &* C
                    for c in c0..<c1 {
                        let q = map.position(ix[row &+ c], plane: n &* C &+ c)
                        if q >= zeroed {
                            let upTo = Swift.min(inPlane, Swift.max(q &+ 1, zeroed &+ chunk))
                            zeroChannels(gi + zeroed &* C, positions: upTo &- zeroed, C: C, c0: c0, c1: c1)
                            zeroed = upTo
                        }
                        let p = q &* C &+ c
                        gi[p] = T.gradAdd(gi[p], go[row &+ c])
                    }
                }
                if zeroed < inPlane {
                    zeroChannels(gi + zeroed &* C, positions: inPlane &- zeroed, C: C, c0: c0, c1: c1)
                }
            }
        }
    }
}

enum PoolBackwardDispatch {
    /// Checks (or converts) the indices, then runs the kernel. Nothing is written
    /// to grad_input unless every index passed.
    static func maxPool(_ g: PoolGeometry, gradOutput: UnsafeRawPointer, indices: UnsafePointer<Int64>,
                        gradInput: UnsafeMutableRawPointer, function: String,
                        streamedMinimum: Int = MaxPoolBackwardKernel.streamedTotalMinimum) throws(PoolError) {
        let threads = ThreadSettings.current
        guard g.batch > 0 else { return }
        let empty = EmptyWindows(g)
        // ONNX index conventions are checked here and converted by the kernel as it
        // reads them (no scratch copy of the converted indices: no allocation).
        let onnx = g.indicesGlobal || g.indicesColumnMajor
        if onnx {
            try g.validateConvertedBackwardIndices(indices, empty: empty, function: function)
        } else {
            try g.validateBackward(indices: indices, empty: empty, threads: threads, function: function)
        }
        func run<T: GradElement>(_: T.Type) {
            let go = gradOutput.assumingMemoryBound(to: T.self), gi = gradInput.assumingMemoryBound(to: T.self)
            if onnx {
                MaxPoolBackwardKernel.run(g, go, indices, map: ConvertedIndices(g), gi, empty: empty, threads: threads,
                                           streamedMinimum: streamedMinimum)
            } else {
                MaxPoolBackwardKernel.run(g, go, indices, map: PlaneIndices(), gi, empty: empty, threads: threads,
                                           streamedMinimum: streamedMinimum)
            }
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
