import SwiftPoolKernelABI
import CSwiftPool

// Average pooling drivers, generic over element type, for both layouts; the same
// row/run structure as MaxPool.swift. Sums are accumulated in Double, taps in scan
// order, then divided (not multiplied by a reciprocal): exact for float32 windows
// of up to 2^29 elements, where a float accumulator (PyTorch, ONNX Runtime) drifts,
// and bitwise equal to the reference kernels.

enum AvgPoolKernel {
    static func run<T: PoolElement>(_ g: PoolGeometry, _ kernels: ElementKernels<T>, _ input: UnsafePointer<T>,
                                    _ output: UnsafeMutablePointer<T>, threads: Int) {
        if g.layout == SWIFTPOOL_LAYOUT_NHWC {
            channelsLast(g, kernels.avgChannelsLast, input, output, threads: threads)
        } else {
            channelsFirst(g, kernels.avgChannelsFirst, kernels.avgPlanes, input, output, threads: threads)
        }
    }

    /// The divisor of a run's windows (PyTorch's rule, PoolGeometry.divisor); runs
    /// reaching a kernel have at least one real tap, so it is >= 1.
    @inline(__always)
    static func divisor(_ g: PoolGeometry, _ run: WindowRun) -> Double {
        Double(g.divisor(run.windows.0, run.windows.1, run.windows.2))
    }

    /// Channels-first: rows vectorised over output columns; one output per plane
    /// (global average pooling) over planes.
    static func channelsFirst<T: PoolElement>(_ g: PoolGeometry, _ kernel: ElementKernels<T>.AvgRun,
                                              _ planeKernel: ElementKernels<T>.AvgPlanes,
                                              _ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>,
                                              threads: Int) {
        let aw = g.axes.2
        let planes = g.batch * g.channels
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let strideW = aw.stride
        if outPlane == 1 {
            var only: WindowRun?
            RunPlanner(g).forEachRun(row: 0) { only = $0 }
            if let run = only, !run.isEmpty {
                let d = divisor(g, run)
                Parallel.forEachRange(units: planes, unitWork: g.tapsPerWindow, threads: threads) { r in
                    planeKernel(input + (r.lowerBound &* inPlane &+ run.position), inPlane, r.count, run.grid, d,
                                output + r.lowerBound)
                }
                return
            }
        }
        let planner = RunPlanner(g)
        let rowWork = PoolGeometry.work(aw.outputSize, g.tapsPerWindow)
        Parallel.forEachRange(units: planes * planner.rowsPerOuter, unitWork: rowWork, threads: threads) { rows in
            planner.forEachRow(rows) { plane, row in
                let src = input + plane &* inPlane
                let outRow = plane &* outPlane &+ row &* aw.outputSize
                planner.forEachRun(row: row) { run in
                    let q = outRow &+ run.ow
                    if run.isEmpty {
                        for j in 0..<run.count { output[q &+ j] = T(poolWide: 0) }
                    } else {
                        kernel(src + run.position, run.grid, run.count, strideW, divisor(g, run), output + q)
                    }
                }
            }
        }
    }

    /// Channels-last: rows of one image, vectorised over channels.
    static func channelsLast<T: PoolElement>(_ g: PoolGeometry, _ kernel: ElementKernels<T>.AvgRunChannelsLast,
                                             _ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>,
                                             threads: Int) {
        let aw = g.axes.2
        let C = g.channels
        let inImage = g.inputPlane * C, outPlane = g.outputPlane
        let strideW = aw.stride
        let planner = RunPlanner(g)
        let rowWork = PoolGeometry.work(aw.outputSize * C, g.tapsPerWindow)
        Parallel.forEachRange(units: g.batch * planner.rowsPerOuter, unitWork: rowWork, threads: threads) { rows in
            planner.forEachRow(rows) { n, row in
                let src = input + n &* inImage
                let outRow = n &* outPlane &+ row &* aw.outputSize
                planner.forEachRun(row: row) { run in
                    let q = (outRow &+ run.ow) &* C
                    if run.isEmpty {
                        for e in 0..<(run.count &* C) { output[q &+ e] = T(poolWide: 0) }
                    } else {
                        kernel(src + run.position &* C, run.grid, C, run.count, strideW, divisor(g, run), output + q)
                    }
                }
            }
        }
    }
}
