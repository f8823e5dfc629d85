// Cuts an output row into runs of windows that share one tap pattern, the unit the
// microkernels (SwiftPoolMicro) work on: the interior of the row (every tap real)
// is one run; each edge output, whose window is clipped by the padding, is its own.
import SwiftPoolMicro

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

extension PoolGeometry {
    /// Calls `body` for the runs of output row (od, oh), left to right.
    @inline(__always)
    func forEachRun(od: Int, oh: Int, _ body: (WindowRun) -> Void) {
        let (ad, ah, aw) = axes
        let H = ah.inputSize, W = aw.inputSize
        let wd = ad.window(od), wh = ah.window(oh)
        let rowPosition = (wd.firstTap &* H &+ wh.firstTap) &* W
        let rowEmpty = wd.isEmpty || wh.isEmpty
        func run(_ ow: Int, _ count: Int) -> WindowRun {
            let ww = aw.window(ow)
            let grid = TapGrid(countD: wd.validCount, countH: wh.validCount, countW: ww.validCount,
                               stepD: ad.dilation &* H &* W, stepH: ah.dilation &* W, stepW: aw.dilation)
            return WindowRun(ow: ow, count: count, grid: grid, position: rowPosition &+ ww.firstTap,
                             isEmpty: rowEmpty || ww.isEmpty, windows: (wd, wh, ww))
        }
        let interior = aw.interiorOutputs
        var ow = 0
        while ow < interior.lowerBound { body(run(ow, 1)); ow &+= 1 }
        if !interior.isEmpty { body(run(interior.lowerBound, interior.count)) }
        ow = interior.upperBound
        while ow < aw.outputSize { body(run(ow, 1)); ow &+= 1 }
    }

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
