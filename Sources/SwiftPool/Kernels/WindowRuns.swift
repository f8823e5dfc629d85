// Cuts the output into blocks of windows that share one tap pattern, the unit the
// kernels (SwiftPoolKernels) work on. Along H and W, the interior outputs (every
// tap real) form one segment and each edge output, clipped by the padding, its
// own; a block is one H segment x one W segment of one D slice, for one or (when
// planes are small) several planes. Typical layers need a handful of kernel calls
// per plane, so per-call overhead vanishes even for small planes, and rows cost no
// integer divisions (tens of cycles each).
import SwiftPoolKernelABI

/// A block of outputs with one tap pattern, relative to its first plane / image.
struct OutputBlock {
    /// First plane (channels-first) or image (channels-last) of the block.
    var outer: Int
    var grid: TapGrid
    var shape: RunShape
    /// Plane position of the first window's first real tap, or for an empty window
    /// PyTorch's initial argmax position (first tap at or past 0 on every axis).
    var position: Int
    /// Output position, within its plane, of the block's first output.
    var output: Int
    /// No tap of these windows is real (only possible with dilation).
    var isEmpty: Bool
    /// The windows of the block's first output, for average-pooling divisors.
    var windows: (Window, Window, Window)

    /// Calls body(output offset, argmax position) for every output of the block,
    /// offsets in output positions from the block's first output.
    @inline(__always)
    func forEachOutput(_ body: (Int, Int) -> Void) {
        for p in 0..<shape.planes {
            for r in 0..<shape.rows {
                for j in 0..<shape.count {
                    body(p &* shape.outPlaneStride &+ r &* shape.outRowStride &+ j,
                         position &+ r &* shape.rowStride &+ j &* shape.stride)
                }
            }
        }
    }
}

/// Per-call constants of the block walk.
struct BlockPlanner {
    let g: PoolGeometry
    let interiorH: Range<Int>, interiorW: Range<Int>
    /// Output rows (od, oh) per plane / image: OD * OH.
    let rowsPerOuter: Int
    /// Most whole planes / images one block may span.
    let outerGroup: Int

    /// `elementsPerOuter`: input elements of one plane (channels-first) or image.
    init(_ g: PoolGeometry, elementsPerOuter: Int, elementSize: Int) {
        self.g = g
        interiorH = g.axes.1.interiorOutputs
        interiorW = g.axes.2.interiorOutputs
        rowsPerOuter = g.axes.0.outputSize * g.axes.1.outputSize
        // Group planes while a group's input stays within L1/L2 (64 KiB): a block is
        // walked plane by plane, edge blocks after the interior one.
        let bytes = elementsPerOuter * elementSize
        outerGroup = bytes <= 16 * 1024 ? Swift.max(1, 64 * 1024 / Swift.max(bytes, 1)) : 1
    }

    /// Calls `body` for the blocks covering the flat output rows `rows` of the
    /// (outer, od, oh) grid, in memory order.
    @inline(__always)
    func forEachBlock(_ rows: Range<Int>, _ body: (OutputBlock) -> Void) {
        let OH = g.axes.1.outputSize
        var r = rows.lowerBound
        while r < rows.upperBound {
            let outer = r / rowsPerOuter
            let row = r &- outer &* rowsPerOuter
            if row == 0 && outerGroup > 1 {
                let whole = Swift.min((rows.upperBound &- r) / rowsPerOuter, outerGroup)
                if whole >= 2 {
                    for od in 0..<g.axes.0.outputSize {
                        slab(outer: outer, outers: whole, od: od, oh: 0..<OH, body)
                    }
                    r &+= whole &* rowsPerOuter
                    continue
                }
            }
            let od = OH == 1 ? row : row / OH
            let oh0 = row &- od &* OH
            let oh1 = Swift.min(OH, oh0 &+ (rows.upperBound &- r))
            slab(outer: outer, outers: 1, od: od, oh: oh0..<oh1, body)
            r &+= oh1 &- oh0
        }
    }

    /// Blocks of output rows `oh` of D slice `od`, for `outers` planes / images.
    @inline(__always)
    private func slab(outer: Int, outers: Int, od: Int, oh: Range<Int>, _ body: (OutputBlock) -> Void) {
        let (ad, ah, aw) = g.axes
        let H = ah.inputSize, W = aw.inputSize
        let wd = ad.window(od)
        BlockPlanner.forEachSegment(oh, interior: interiorH) { hs in
            let wh = ah.window(hs.lowerBound)
            let rowPosition = (wd.firstTap &* H &+ wh.firstTap) &* W
            BlockPlanner.forEachSegment(0..<aw.outputSize, interior: interiorW) { ws in
                let ww = aw.window(ws.lowerBound)
                let grid = TapGrid(countD: wd.validCount, countH: wh.validCount, countW: ww.validCount,
                                   stepD: ad.dilation &* H &* W, stepH: ah.dilation &* W, stepW: aw.dilation)
                let shape = RunShape(count: ws.count, stride: aw.stride,
                                     rows: hs.count, rowStride: ah.stride &* W, outRowStride: aw.outputSize,
                                     planes: outers, planeStride: g.inputPlane, outPlaneStride: g.outputPlane)
                body(OutputBlock(outer: outer, grid: grid, shape: shape, position: rowPosition &+ ww.firstTap,
                                 output: (od &* ah.outputSize &+ hs.lowerBound) &* aw.outputSize &+ ws.lowerBound,
                                 isEmpty: wd.isEmpty || wh.isEmpty || ww.isEmpty, windows: (wd, wh, ww)))
            }
        }
    }

    /// Splits `range` into single edge positions and the part inside `interior`.
    @inline(__always)
    static func forEachSegment(_ range: Range<Int>, interior: Range<Int>, _ body: (Range<Int>) -> Void) {
        var o = range.lowerBound
        while o < range.upperBound {
            if interior.contains(o) {
                let end = Swift.min(interior.upperBound, range.upperBound)
                body(o..<end)
                o = end
            } else {
                body(o..<(o &+ 1))
                o &+= 1
            }
        }
    }
}

extension PoolGeometry {
    /// Taps per window (saturating): the work estimate of one output.
    var tapsPerWindow: Int {
        let (ad, ah, aw) = axes
        let (dh, o1) = ad.kernel.multipliedReportingOverflow(by: ah.kernel)
        let (dhw, o2) = dh.multipliedReportingOverflow(by: aw.kernel)
        return o1 || o2 ? Int.max : dhw
    }

    /// Work of `outputs` outputs of `perOutput` element-taps each (saturating).
    static func work(_ outputs: Int, _ perOutput: Int) -> Int {
        let (w, o) = outputs.multipliedReportingOverflow(by: perOutput)
        return o ? Int.max : w
    }
}
