import SwiftPoolKernelABI
import CSwiftPool

// Average pooling drivers, generic over element type, for both layouts; the same
// row/run structure as MaxPool.swift. Arithmetic is PyTorch's (aten cpu
// avg_pool kernels): taps summed in scan order from +0 in the element's opmath
// type (PoolElement.PoolSum: float for float32/16/bfloat16, double for float64),
// then divided (not multiplied by a reciprocal). Results are bitwise equal to the
// reference kernels and to torch.nn.functional.avg_pool{1,2,3}d, for every layout
// and thread count (each output's sum is one chain in one fixed order).

enum AvgPoolKernel {
    static func run<T: PoolElement>(_ g: PoolGeometry, _ kernels: ElementKernels<T>, _ input: UnsafePointer<T>,
                                    _ output: UnsafeMutablePointer<T>, threads: Int) {
        if g.layout == SWIFTPOOL_LAYOUT_NHWC {
            channelsLast(g, kernels.avgChannelsLast, input, output, threads: threads)
        } else if let planes = kernels.avgPaddedPlanes, paddedPlanes(g, planes, input, output, threads: threads) {
            return
        } else {
            channelsFirst(g, kernels.avgChannelsFirst, input, output, threads: threads)
        }
    }

    /// The divisor of a block's windows (PyTorch's rule, PoolGeometry.divisor);
    /// blocks reaching a kernel have at least one real tap, so it is >= 1. It is
    /// rounded to the accumulator type here, once (a divisor_override beyond 2^24
    /// converts to float exactly as PyTorch's int64 -> float does), and the Double
    /// carrying it to the kernels holds that value exactly.
    @inline(__always)
    static func divisor<T: PoolElement>(_ g: PoolGeometry, _ block: OutputBlock, _: T.Type) -> Double {
        let (ad, ah, aw) = g.axes, (d, h, w) = block.windowIndex
        return Double(T.PoolSum(g.divisor(ad.window(d), ah.window(h), aw.window(w))))
    }

    /// Channels-first: blocks vectorised over output columns, or over planes for
    /// one output per plane (global average pooling).
    static func channelsFirst<T: PoolElement>(_ g: PoolGeometry, _ kernel: ElementKernels<T>.AvgBlock,
                                              _ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>,
                                              threads: Int) {
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let planner = BlockPlanner(g, channels: 1, elementSize: MemoryLayout<T>.stride)
        Parallel.forEachRange(units: planner.units, unitWork: planner.unitWork, threads: threads) { units in
            planner.forEachBlock(units) { block in
                let q = block.outer &* outPlane &+ block.output
                if block.isEmpty {
                    block.forEachOutput { offset, _ in output[q &+ offset] = T(poolWide: 0) }
                } else {
                    kernel(input + (block.outer &* inPlane &+ block.position), block.grid, block.shape,
                           divisor(g, block, T.self), output + q)
                }
            }
        }
    }

    /// Channels-last: blocks of images, vectorised over channels.
    static func channelsLast<T: PoolElement>(_ g: PoolGeometry, _ kernel: ElementKernels<T>.AvgBlockChannelsLast,
                                             _ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>,
                                             threads: Int) {
        let C = g.channels
        let inImage = g.inputPlane * C, outPlane = g.outputPlane
        let planner = BlockPlanner(g, channels: C, elementSize: MemoryLayout<T>.stride)
        Parallel.forEachRange(units: planner.units, unitWork: planner.unitWork, threads: threads) { units in
            planner.forEachBlock(units) { block in
                let q = (block.outer &* outPlane &+ block.output) &* C
                if block.isEmpty {
                    block.forEachOutput { offset, _ in
                        for c in 0..<C { output[q &+ offset &* C &+ c] = T(poolWide: 0) }
                    }
                } else {
                    kernel(input + (block.outer &* inImage &+ block.position &* C), block.grid, C, block.shape,
                           divisor(g, block, T.self), output + q)
                }
            }
        }
    }

    /// Largest zero-padded plane copy (AvgRows.paddedPlanes), in bytes: about L1.
    static let paddedPlaneBytes = 32 * 1024
    /// Lanes of the widest vector of any family, for overrun room.
    static let maxLanes = 16

    /// Channels-first 1D/2D pooling of small planes at width stride 1 or 2, through
    /// a zero-padded copy of each plane; false (nothing written) when the problem
    /// is not of that kind. The divisors of one plane's outputs are computed here,
    /// once per call, from the geometry's windows (kernels never derive bounds).
    static func paddedPlanes<T: PoolElement>(_ g: PoolGeometry, _ kernel: ElementKernels<T>.AvgPaddedPlanes,
                                             _ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>,
                                             threads: Int) -> Bool {
        let (ad, ah, aw) = g.axes
        let OH = ah.outputSize, OW = aw.outputSize
        // Rows of at least a Float vector; shorter ones (global pooling) use the block kernels.
        guard ad == .unit, aw.stride == 1 || aw.stride == 2, OW >= 8 else { return false }
        let wide = Swift.max(OW, maxLanes)
        // Rows and columns the windows reach: sizes are validated, but a window span
        // near Int.max (auto_pad SAME with a huge dilation) still overflows these.
        func extent(_ a: AxisGeometry, _ outputs: Int) -> Int? {
            let (reach, o1) = (outputs - 1).multipliedReportingOverflow(by: a.stride)
            let (span, o2) = (a.kernel - 1).multipliedReportingOverflow(by: a.dilation)
            let (last, o3) = reach.addingReportingOverflow(span)
            return o1 || o2 || o3 || last == Int.max ? nil : Swift.max(a.padding + a.inputSize, last + 1)
        }
        guard let rows = extent(ah, OH), let columns = extent(aw, wide) else { return false }
        let (width, o4) = columns.addingReportingOverflow(2 * maxLanes)
        let (size, overflow) = rows.multipliedReportingOverflow(by: width)
        guard !o4, !overflow, size <= paddedPlaneBytes / MemoryLayout<T>.stride, OH * wide <= size else { return false }
        let wd = ad.window(0)
        return withStackScratch(of: T.self, capacity: OH * wide) { buffer in
            let divisors = buffer.baseAddress!
            divisors.initialize(repeating: T(poolSum: 1), count: OH * wide)
            for oh in 0..<OH {
                let wh = ah.window(oh)
                for ow in 0..<OW {
                    let divisor = g.divisor(wd, wh, aw.window(ow))
                    // An empty window averages to 0 (the block kernels handle it).
                    guard divisor > 0 else { return false }
                    divisors[oh * wide + ow] = T(poolSum: T.PoolSum(divisor))
                }
            }
            let inPlane = g.inputPlane, outPlane = g.outputPlane
            let work = PoolGeometry.work(OH * OW, g.tapsPerWindow)
            Parallel.forEachRange(units: g.batch * g.channels, unitWork: work, threads: threads) { range in
                let planes = PaddedPlanes(
                    planes: range.count, inPlaneStride: inPlane, outPlaneStride: outPlane,
                    H: ah.inputSize, W: aw.inputSize, OH: OH, OW: OW, padTop: ah.padding, padLeft: aw.padding,
                    scratchRows: rows, scratchWidth: width, kernelH: ah.kernel, kernelW: aw.kernel,
                    strideH: ah.stride, strideW: aw.stride, dilationH: ah.dilation, dilationW: aw.dilation,
                    divisorRowStride: wide)
                kernel(input + range.lowerBound * inPlane, planes, UnsafePointer(divisors),
                       output + range.lowerBound * outPlane)
            }
            return true
        }
    }
}
