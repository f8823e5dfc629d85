// Cuts output rows into runs of windows that share one tap pattern, the unit the
// microkernels (SwiftPoolKernels) work on: the interior of a row (every tap real) is
// one run; each edge output, whose window is clipped by the padding, is its own.
// Everything that does not change from row to row is computed once per call:
// rows cost no integer divisions (tens of cycles each) beyond AxisGeometry.window.
import SwiftPoolKernelABI

/// `count` consecutive outputs of one row, from output column `ow`.
struct WindowRun {
    var ow: Int
    var count: Int
    /// The real taps of each window of the run.
    var grid: TapGrid
    /// Plane position of the first window's first real tap, or for an empty window
    /// PyTorch's initial argmax position (first tap at or past 0 on every axis).
    /// Later windows start `axes.2.stride` positions further each.
    var position: Int
    /// No tap of these windows is real (only possible with dilation).
    var isEmpty: Bool
    /// The windows of the run's first output, for average-pooling divisors.
    var windows: (Window, Window, Window)
}

/// Per-call constants of the row/run walk.
struct RunPlanner {
    let g: PoolGeometry
    let interior: Range<Int>
    let stepD: Int, stepH: Int
    /// Output rows per outer index (plane or image): OD * OH.
    let rowsPerOuter: Int

    init(_ g: PoolGeometry) {
        self.g = g
        let (ad, ah, aw) = g.axes
        interior = aw.interiorOutputs
        stepD = ad.dilation * ah.inputSize * aw.inputSize
        stepH = ah.dilation * aw.inputSize
        rowsPerOuter = ad.outputSize * ah.outputSize
    }

    /// Calls `body(outer, row)` for the flat row indices in `rows` of an
    /// (outer, OD*OH) grid, with `row` = od*OH + oh; one division per call.
    @inline(__always)
    func forEachRow(_ rows: Range<Int>, _ body: (_ outer: Int, _ row: Int) -> Void) {
        guard !rows.isEmpty else { return }
        var outer = rows.lowerBound / rowsPerOuter, row = rows.lowerBound % rowsPerOuter
        for _ in rows {
            body(outer, row)
            row &+= 1
            if row == rowsPerOuter { row = 0; outer &+= 1 }
        }
    }

    /// Calls `body` for the runs of output row `row` (= od*OH + oh), left to right.
    @inline(__always)
    func forEachRun(row: Int, _ body: (WindowRun) -> Void) {
        let (ad, ah, aw) = g.axes
        let od: Int, oh: Int
        if ad.outputSize == 1 { od = 0; oh = row } else { od = row / ah.outputSize; oh = row &- od &* ah.outputSize }
        let wd = ad.window(od), wh = ah.window(oh)
        let rowPosition = (wd.firstTap &* ah.inputSize &+ wh.firstTap) &* aw.inputSize
        let rowEmpty = wd.isEmpty || wh.isEmpty
        func run(_ ow: Int, _ count: Int) -> WindowRun {
            let ww = aw.window(ow)
            let grid = TapGrid(countD: wd.validCount, countH: wh.validCount, countW: ww.validCount,
                               stepD: stepD, stepH: stepH, stepW: aw.dilation)
            return WindowRun(ow: ow, count: count, grid: grid, position: rowPosition &+ ww.firstTap,
                             isEmpty: rowEmpty || ww.isEmpty, windows: (wd, wh, ww))
        }
        var ow = 0
        while ow < interior.lowerBound { body(run(ow, 1)); ow &+= 1 }
        if !interior.isEmpty { body(run(interior.lowerBound, interior.count)) }
        ow = interior.upperBound
        while ow < aw.outputSize { body(run(ow, 1)); ow &+= 1 }
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
