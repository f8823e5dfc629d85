// Cuts the output into blocks of windows that share one tap pattern, the unit the
// kernels (SwiftPoolKernels) work on. Along H and W, the interior outputs (every
// tap real) form one segment and each edge output, clipped by the padding, its
// own; a block is one H segment x one W segment of a strip of rows of one D slice,
// for one or (when planes are small) several planes. Typical layers need a handful
// of kernel calls per plane, so per-call overhead vanishes even for small planes,
// and rows cost no integer divisions (tens of cycles each).
import CSwiftPool
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
    /// Output indices (D, H, W) of the block's first output, whose windows give
    /// average pooling's divisor (AxisGeometry.window). Indices rather than the
    /// windows: the block is copied several times per kernel call, and 272 bytes
    /// went through memcpy (8x64x112x112 k3 s2 p1: 14 calls per plane, 7% of the
    /// time with the input in cache).
    var windowIndex: (Int, Int, Int)

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
///
/// The output is cut into units, the grain of parallel work: groups of whole small
/// planes (channels-first) or images, else strips of output rows of one D slice.
/// Units, and the blocks inside them, depend only on the problem, never on the
/// thread count: each output is computed by the same code whatever the threads
/// (bitwise identical results, NaN payloads of averages included).
struct BlockPlanner {
    let g: PoolGeometry
    let interiorH: Range<Int>, interiorW: Range<Int>
    /// Planes (channels-first) or images (channels-last).
    let outers: Int
    /// Whole outers per unit when they are small (> 1), else 1.
    let outerGroup: Int
    /// Output rows per strip, and strips per D slice.
    let stripRows: Int, strips: Int
    /// Number of units, and work (element-taps) of one.
    let units: Int, unitWork: Int
    /// Output D slices per unit (planes of one outer, one strip): > 1 only when
    /// `slicePlanes` asked for blocks spanning several D slices.
    let sliceGroup: Int
    let interiorD: Range<Int>
    /// 1 for channels-first, C for channels-last (elements per output position).
    let channels: Int
    /// Groups of 1D planes whose windows continue across plane boundaries (input
    /// length = outputs x stride, planes contiguous): a group's interior outputs
    /// are one long run over the flattened planes, and the edge outputs (whose
    /// flattened windows straddle two planes, so the run gets them wrong) are
    /// recomputed after it by their own blocks. One run instead of a call per
    /// plane: the per-plane runs kept the hardware prefetcher from streaming
    /// through the planes (32x256x1024 k3 s2 p1, 1 thread: 2.35-2.6 ms, against
    /// 1.6 ms for the same data as one plane; merged: 1.86-1.89 ms).
    let mergedRows: Bool

    /// Most output D slices per unit with `slicePlanes`.
    static let maxSliceGroup = 8

    /// `channels`: 1 for channels-first, C for channels-last. `slicePlanes`: blocks
    /// of planes may be runs of consecutive output D slices of one outer (plane
    /// stride = D stride in input planes, output planes OH*OW apart), so that a
    /// kernel can share the input slices of overlapping D windows; only for
    /// callers whose kernels need no per-plane positions (max pooling without
    /// indices), and only for channels-first planes that are not grouped.
    /// `mergeRows`: mergedRows may be used (callers whose kernels need no per-plane
    /// positions and whose outputs may be written twice: max pooling without indices).
    init(_ g: PoolGeometry, channels: Int, elementSize: Int, slicePlanes: Bool = false, mergeRows: Bool = false) {
        self.g = g
        self.channels = channels
        let (ad, ah, aw) = g.axes
        interiorH = ah.interiorOutputs
        interiorW = aw.interiorOutputs
        interiorD = ad.interiorOutputs
        let planes = channels == 1 && g.layout != SWIFTPOOL_LAYOUT_NHWC
        outers = planes ? g.batch * g.channels : g.batch
        let outerBytes = g.inputPlane * channels * elementSize
        // Small planes are grouped while a group's input stays within 64 KiB (L1/L2).
        outerGroup = outerBytes <= 16 * 1024 ? Swift.max(1, 64 * 1024 / Swift.max(outerBytes, 1)) : 1
        // 1D: the D and H axes one element, one tap, no padding.
        let flat = ad.inputSize == 1 && ah.inputSize == 1 && ad.outputSize == 1 && ah.outputSize == 1
            && ad.kernel == 1 && ah.kernel == 1 && ad.padding == 0 && ah.padding == 0
        mergedRows = mergeRows && planes && outerGroup > 1 && flat && aw.inputSize == aw.outputSize * aw.stride
            && interiorW.count >= 2
        // Channels-last: a strip's input rows stay within 16 KiB, so the edge blocks
        // of a strip bring into L1 the lines its interior block reads next.
        // Channels-first: strips of up to 256 KiB (whole planes of typical CNN
        // sizes). Every strip restarts the interior's stream of row prefetches after
        // edge blocks that gather a column; with 16 KiB strips that cost 12% on
        // 8x64x112x112 k3 s2 p1 (4.2 -> 3.75 ms) and 8% on 2x64x16x56x56 k3 s2 p1.
        let stripBytes = planes ? 256 * 1024 : 16 * 1024
        let rowBytes = Swift.max(1, Swift.min(ah.stride, ah.inputSize) * aw.inputSize * channels * elementSize)
        stripRows = outerGroup > 1 ? ah.outputSize : Swift.max(1, Swift.min(ah.outputSize, stripBytes / rowBytes))
        strips = (ah.outputSize + stripRows - 1) / stripRows
        let outputWork = PoolGeometry.work(aw.outputSize * channels, g.tapsPerWindow)
        // D windows overlap when the kernel's span exceeds the stride.
        let overlapD = (ad.kernel - 1) * ad.dilation >= ad.stride  // span + 1 > stride; the span may be Int.max
        sliceGroup = slicePlanes && outerGroup == 1 && channels == 1 && overlapD
            ? Swift.min(ad.outputSize, BlockPlanner.maxSliceGroup) : 1
        let sliceGroups = (ad.outputSize + sliceGroup - 1) / sliceGroup
        if outerGroup > 1 {
            units = (outers + outerGroup - 1) / outerGroup
            unitWork = PoolGeometry.work(outputWork, outerGroup * ad.outputSize * ah.outputSize)
        } else {
            units = outers * sliceGroups * strips
            unitWork = PoolGeometry.work(outputWork, stripRows * sliceGroup)
        }
    }

    /// Calls `body` for the blocks of units `units`, in memory order, except that
    /// with `columnsAfter` a column of edge outputs (one per row of several rows,
    /// e.g. the left edge of a strip) comes after the block that follows it: that
    /// block streams the rows' lines in, and the column then finds them in cache
    /// instead of fetching one line per row itself.
    @inline(__always)
    func forEachBlock(_ units: Range<Int>, columnsAfter: Bool = false, _ body: (OutputBlock) -> Void) {
        let OD = g.axes.0.outputSize, OH = g.axes.1.outputSize
        for u in units {
            if outerGroup > 1 {
                let outer = u &* outerGroup
                let count = Swift.min(outerGroup, outers &- outer)
                if mergedRows {
                    mergedRow(outer: outer, outers: count, body)
                    slab(outer: outer, outers: count, od: 0, oh: 0..<OH, edgesOnly: true, body)
                } else {
                    for od in 0..<OD { slab(outer: outer, outers: count, od: od, oh: 0..<OH, columnsAfter: columnsAfter, body) }
                }
            } else if sliceGroup > 1 {
                let groups = (OD &+ sliceGroup &- 1) / sliceGroup
                let outer = u / (groups &* strips)
                let slice = u &- outer &* groups &* strips
                let group = slice / strips, strip = slice &- group &* strips
                let oh = strip &* stripRows
                let od = group &* sliceGroup
                let rows = oh..<Swift.min(OH, oh &+ stripRows)
                BlockPlanner.forEachSegment(od..<Swift.min(OD, od &+ sliceGroup), interior: interiorD) { ds in
                    slab(outer: outer, outers: 1, od: ds.lowerBound, slices: ds.count, oh: rows, columnsAfter: columnsAfter,
                         body)
                }
            } else {
                let outer = u / (OD &* strips)
                let slice = u &- outer &* OD &* strips
                let od = slice / strips, strip = slice &- od &* strips
                let oh = strip &* stripRows
                slab(outer: outer, outers: 1, od: od, oh: oh..<Swift.min(OH, oh &+ stripRows), columnsAfter: columnsAfter,
                     body)
            }
        }
    }

    /// The output elements unit `u` writes, when they are one contiguous range (from
    /// the output's start): groups of whole planes / images, strips of rows of one
    /// D slice, and runs of whole D slices. Nil for runs of D slices cut into strips.
    func outputRange(ofUnit u: Int) -> Range<Int>? {
        let OD = g.axes.0.outputSize, OH = g.axes.1.outputSize, OW = g.axes.2.outputSize
        let plane = g.outputPlane &* channels, row = OW &* channels
        if outerGroup > 1 {
            let outer = u &* outerGroup
            return outer &* plane ..< Swift.min(outers, outer &+ outerGroup) &* plane
        }
        if sliceGroup > 1 {
            guard strips == 1 else { return nil }
            let groups = (OD &+ sliceGroup &- 1) / sliceGroup
            let outer = u / groups, od = (u &- outer &* groups) &* sliceGroup
            let base = outer &* plane
            return base &+ od &* OH &* row ..< base &+ Swift.min(OD, od &+ sliceGroup) &* OH &* row
        }
        let outer = u / (OD &* strips)
        let slice = u &- outer &* OD &* strips
        let od = slice / strips, oh = (slice &- od &* strips) &* stripRows
        let base = outer &* plane &+ od &* OH &* row
        return base &+ oh &* row ..< base &+ Swift.min(OH, oh &+ stripRows) &* row
    }

    /// Blocks of output rows `oh` of D slice `od`, for `outers` planes / images, or
    /// (`slices` > 1, one outer) of output D slices od ..< od+slices, whose windows
    /// have the same D taps (interior slices): the blocks' planes are those slices.
    /// The interior outputs of 1D planes outer ..< outer+outers as one run over the
    /// flattened planes (mergedRows): from the first plane's first interior output
    /// to the last plane's last, every window inside the group's input; the
    /// outputs between planes' interiors (edges) come out wrong here and are
    /// rewritten by the edge blocks that follow.
    @inline(__always)
    private func mergedRow(outer: Int, outers: Int, _ body: (OutputBlock) -> Void) {
        let (ad, ah, aw) = g.axes
        let first = interiorW.lowerBound
        let ww = aw.window(first)
        let grid = TapGrid(countD: 1, countH: 1, countW: ww.validCount, stepD: 0, stepH: 0, stepW: aw.dilation)
        let count = (outers &- 1) &* aw.outputSize &+ interiorW.count
        let shape = RunShape(count: count, stride: aw.stride, rows: 1, rowStride: 0, outRowStride: count,
                             planes: 1, planeStride: g.inputPlane, outPlaneStride: g.outputPlane)
        body(OutputBlock(outer: outer, grid: grid, shape: shape, position: ww.firstTap, output: first,
                         isEmpty: false, windowIndex: (0, 0, first)))
    }

    @inline(__always)
    private func slab(outer: Int, outers: Int, od: Int, slices: Int = 1, oh: Range<Int>, edgesOnly: Bool = false,
                      columnsAfter: Bool = false, _ body: (OutputBlock) -> Void) {
        let (ad, ah, aw) = g.axes
        let H = ah.inputSize, W = aw.inputSize
        let wd = ad.window(od)
        BlockPlanner.forEachSegment(oh, interior: interiorH) { hs in
            let wh = ah.window(hs.lowerBound)
            let rowPosition = (wd.firstTap &* H &+ wh.firstTap) &* W
            @inline(__always)
            func block(_ ws: Range<Int>) {
                let ww = aw.window(ws.lowerBound)
                let grid = TapGrid(countD: wd.validCount, countH: wh.validCount, countW: ww.validCount,
                                   stepD: ad.dilation &* H &* W, stepH: ah.dilation &* W, stepW: aw.dilation)
                let shape = slices > 1
                    ? RunShape(count: ws.count, stride: aw.stride,
                               rows: hs.count, rowStride: ah.stride &* W, outRowStride: aw.outputSize,
                               planes: slices, planeStride: ad.stride &* H &* W,
                               outPlaneStride: ah.outputSize &* aw.outputSize)
                    : RunShape(count: ws.count, stride: aw.stride,
                               rows: hs.count, rowStride: ah.stride &* W, outRowStride: aw.outputSize,
                               planes: outers, planeStride: g.inputPlane, outPlaneStride: g.outputPlane)
                body(OutputBlock(outer: outer, grid: grid, shape: shape, position: rowPosition &+ ww.firstTap,
                                 output: (od &* ah.outputSize &+ hs.lowerBound) &* aw.outputSize &+ ws.lowerBound,
                                 isEmpty: wd.isEmpty || wh.isEmpty || ww.isEmpty,
                                 windowIndex: (od, hs.lowerBound, ws.lowerBound)))
            }
            // A deferred edge column (columnsAfter): its W index, or -1.
            var column = -1
            BlockPlanner.forEachSegment(0..<aw.outputSize, interior: interiorW) { ws in
                if edgesOnly && interiorW.contains(ws.lowerBound) { return }
                if columnsAfter && ws.count == 1 && hs.count > 1 {
                    if column >= 0 { block(column..<column &+ 1) }
                    column = ws.lowerBound
                    return
                }
                block(ws)
                if column >= 0 {
                    block(column..<column &+ 1)
                    column = -1
                }
            }
            if column >= 0 { block(column..<column &+ 1) }
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
