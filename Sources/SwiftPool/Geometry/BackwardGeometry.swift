// Backward passes: which forward windows have no input element, and the checks
// and conversions of the forward's argmax indices. Kernels (reference and
// optimized) consume the results; nothing here writes a caller's buffer.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSwiftPool
import SwiftPoolKernelABI

/// Per-axis masks of the forward outputs whose window lies wholly in the padding
/// (possible only with dilation): such an output depends on no input element, so
/// the backward drops its gradient and ignores its index.
///
/// The windows are recomputed from the axes on each query rather than kept in
/// per-axis [Bool] masks: building those allocated on every dilated backward call.
/// Queries happen only when some window is empty (rare: dilation and padding).
struct EmptyWindows {
    var d: AxisGeometry, h: AxisGeometry, w: AxisGeometry

    /// nil when no window of `g` is empty (the common case: no per-output test).
    init?(_ g: PoolGeometry) {
        let (ad, ah, aw) = g.axes
        // Only dilation can empty a window; skip scanning huge axes otherwise.
        guard ad.dilation > 1 || ah.dilation > 1 || aw.dilation > 1 else { return nil }
        func anyEmpty(_ a: AxisGeometry) -> Bool { (0..<a.outputSize).contains { a.window($0).isEmpty } }
        guard anyEmpty(ad) || anyEmpty(ah) || anyEmpty(aw) else { return nil }
        d = ad; h = ah; w = aw
    }

    /// Whether output position o (flattened (od*OH + oh)*OW + ow) has an empty window.
    @inline(__always) func isEmpty(_ o: Int) -> Bool {
        let ow = o % w.outputSize, rest = o / w.outputSize
        return w.window(ow).isEmpty || h.window(rest % h.outputSize).isEmpty || d.window(rest / h.outputSize).isEmpty
    }
}

extension PoolGeometry {
    /// (n, c, output position) of element q of a dense output-shaped tensor.
    func outputCoordinates(_ q: Int) -> (n: Int, c: Int, o: Int) {
        let C = channels, plane = outputPlane
        if layout == SWIFTPOOL_LAYOUT_NHWC { return (q / (plane * C), q % C, (q / C) % plane) }
        return (q / (plane * C), (q / plane) % C, q % plane)
    }

    /// "n 0, c 1, h 2, w 3" for element q of a dense output-shaped tensor.
    func describe(outputElement q: Int) -> String {
        let (n, c, o) = outputCoordinates(q)
        let (_, ah, aw) = axes
        let coords = [o / (ah.outputSize * aw.outputSize), (o / aw.outputSize) % ah.outputSize, o % aw.outputSize]
        let named = zip(["d", "h", "w"].suffix(spatialRank), coords.suffix(spatialRank)).map { "\($0) \($1)" }
        return (["n \(n)", "c \(c)"] + named).joined(separator: ", ")
    }

    /// Checks the forward's per-plane row-major indices (no INDICES_* flag) before
    /// anything is written: each in [0, inputPlane), except those of empty windows.
    /// The common case is one vectorisable pass (the maximum as unsigned, spread over
    /// threads); only when it fails are the indices scanned for the first bad one.
    func validateBackward(indices: UnsafePointer<Int64>, empty: EmptyWindows?, threads: Int,
                          function: String) throws(PoolError) {
        let count = outputElements, limit = UInt64(inputPlane)
        guard count > 0 else { return }
        let block = 1 << 14
        let blocks = (count &+ block &- 1) / block
        // The scan runs in the ISA family's code (IndexScan): 32-bit lanes when the
        // limit allows (no 64-bit compare before SSE4.2; values are first checked to
        // lie in [0, 2^31)).
        let bound = ISA.kernels.indexBound, small = limit <= 1 << 31
        let worst: UInt64 = withStackScratch(of: UInt64.self, capacity: blocks) { maxima in
            let maxima = maxima.baseAddress!
            Parallel.forEachRange(units: blocks, unitWork: block, threads: threads) { range in
                for b in range {
                    let lower = b &* block, upper = Swift.min(count, lower &+ block)
                    maxima[b] = bound(indices + lower, upper &- lower, small)
                }
            }
            var m: UInt64 = 0
            for b in 0..<blocks { m = Swift.max(m, maxima[b]) }
            return m
        }
        guard worst >= limit else { return }
        for q in 0..<count where UInt64(bitPattern: indices[q]) >= limit {
            if let empty, empty.isEmpty(outputCoordinates(q).o) { continue }
            throw .invalid("\(function): indices[\(q)] (\(describe(outputElement: q))) is \(indices[q]), outside the input plane's valid range [0, \(inputPlane))")
        }
    }

    /// Checks indices written with SWIFTPOOL_FLAG_INDICES_GLOBAL / _COLUMN_MAJOR before
    /// anything is written: each must name an element of its own (n, c) plane; empty
    /// windows' indices are ignored. The kernel converts them as it reads them
    /// (ConvertedIndices), so no converted copy is made.
    func validateConvertedBackwardIndices(_ indices: UnsafePointer<Int64>, empty: EmptyWindows?,
                                          function: String) throws(PoolError) {
        let count = outputElements
        let plane = inputPlane
        for q in 0..<count {
            let (n, c, o) = outputCoordinates(q)
            if let empty, empty.isEmpty(o) { continue }
            let value = indices[q]
            var p = Int(value)
            let base = (n * channels + c) * plane
            if indicesGlobal {
                let (local, overflow) = p.subtractingReportingOverflow(base)
                p = overflow ? -1 : local
            }
            guard p >= 0 && p < plane else {
                let range = indicesGlobal ? "[\(base), \(base + plane)) of its (n, c) plane" : "[0, \(plane))"
                throw .invalid("\(function): indices[\(q)] (\(describe(outputElement: q))) is \(value), outside the input plane's valid range \(range)")
            }
        }
    }
}

/// How the backward kernel reads an index: as the per-plane row-major position it
/// is (PyTorch), or converted from ONNX's conventions. Only validated indices of
/// non-empty windows are read.
protocol BackwardIndexMap {
    /// The per-plane row-major position of `value`, an index of (n, c) plane `plane`
    /// (n * C + c).
    func position(_ value: Int64, plane: Int) -> Int
}

/// PyTorch's indices: already per-plane row-major positions.
struct PlaneIndices: BackwardIndexMap {
    @inline(__always) func position(_ value: Int64, plane: Int) -> Int { Int(truncatingIfNeeded: value) }
}

/// SWIFTPOOL_FLAG_INDICES_GLOBAL ((n*C + c) * plane + position) and/or
/// SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR (position (w*H + h)*D + d), as
/// validateConvertedBackwardIndices accepted them.
struct ConvertedIndices: BackwardIndexMap {
    var global: Bool, columnMajor: Bool
    var inputPlane: Int, D: Int, H: Int, W: Int

    init(_ g: PoolGeometry) {
        global = g.indicesGlobal
        columnMajor = g.indicesColumnMajor
        inputPlane = g.inputPlane
        (D, H, W) = (g.axes.0.inputSize, g.axes.1.inputSize, g.axes.2.inputSize)
    }

    @inline(__always) func position(_ value: Int64, plane: Int) -> Int {
        var p = Int(truncatingIfNeeded: value)
        if global { p &-= plane &* inputPlane }
        if columnMajor {
            // p = (w*H + h)*D + d
            let d = p % D, h = (p / D) % H, w = p / (D &* H)
            p = (d &* H &+ h) &* W &+ w
        }
        return p
    }
}
