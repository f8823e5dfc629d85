import CSwiftPool
import SwiftPoolKernelABI

// Max pooling drivers, generic over element type, for both layouts. They trust a
// validated PoolGeometry, cut the work into output rows (bounds from
// AxisGeometry.window, runs from forEachRun), spread rows over threads and hand each
// run to a microkernel of the selected ISA family. Every output element is
// written exactly once per chunk, by the same code for any thread count.

enum MaxPoolKernel {
    static func run<T: PoolElement>(_ g: PoolGeometry, _ kernels: ElementKernels<T>, _ input: UnsafePointer<T>,
                                    _ output: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?,
                                    threads: Int) {
        // An empty window (dilation only) is -inf under both NaN rules, with PyTorch's
        // initial index; see MaxRule.initial(empty:).
        let emptyValue: T = g.nanIgnore ? IgnoreNaN.initial(empty: true) : PropagateNaN.initial(empty: true)
        if g.layout == SWIFTPOOL_LAYOUT_NHWC {
            channelsLast(g, g.nanIgnore ? kernels.maxChannelsLast.1 : kernels.maxChannelsLast.0, emptyValue,
                         input, output, indices, threads: threads)
        } else {
            channelsFirst(g, g.nanIgnore ? kernels.maxChannelsFirst.1 : kernels.maxChannelsFirst.0,
                          g.nanIgnore ? kernels.maxPlanes.1 : kernels.maxPlanes.0, emptyValue,
                          input, output, indices, threads: threads)
        }
    }

    /// Channels-first (NCHW / NCDHW / NCW): rows of one (n, c) plane, vectorised
    /// over output columns; one output per plane (global pooling) is vectorised
    /// over planes instead.
    static func channelsFirst<T: PoolElement>(_ g: PoolGeometry, _ kernel: ElementKernels<T>.MaxRun,
                                              _ planeKernel: ElementKernels<T>.MaxPlanes, _ emptyValue: T,
                                              _ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>,
                                              _ indices: UnsafeMutablePointer<Int64>?, threads: Int) {
        let aw = g.axes.2
        let planes = g.batch * g.channels
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        let strideW = aw.stride
        if outPlane == 1 {
            var only: WindowRun?
            RunPlanner(g).forEachRun(row: 0) { only = $0 }
            if let run = only, !run.isEmpty {
                Parallel.forEachRange(units: planes, unitWork: g.tapsPerWindow, threads: threads) { r in
                    planeKernel(input + (r.lowerBound &* inPlane &+ run.position), inPlane, r.count, run.grid,
                                output + r.lowerBound, indices.map { $0 + r.lowerBound }, run.position)
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
                        for j in 0..<run.count {
                            output[q &+ j] = emptyValue
                            indices?[q &+ j] = Int64(run.position &+ j &* strideW)
                        }
                    } else {
                        kernel(src + run.position, run.grid, run.count, strideW, output + q,
                               indices.map { $0 + q }, run.position)
                    }
                }
            }
        }
    }

    /// Channels-last (NHWC / NDHWC / NWC): rows of one image, vectorised over channels.
    static func channelsLast<T: PoolElement>(_ g: PoolGeometry, _ kernel: ElementKernels<T>.MaxRunChannelsLast,
                                             _ emptyValue: T, _ input: UnsafePointer<T>,
                                             _ output: UnsafeMutablePointer<T>,
                                             _ indices: UnsafeMutablePointer<Int64>?, threads: Int) {
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
                        for j in 0..<run.count {
                            let p = Int64(run.position &+ j &* strideW)
                            for c in 0..<C {
                                output[q &+ j &* C &+ c] = emptyValue
                                indices?[q &+ j &* C &+ c] = p
                            }
                        }
                    } else {
                        kernel(src + run.position &* C, run.grid, C, run.count, strideW, output + q,
                               indices.map { $0 + q }, run.position)
                    }
                }
            }
        }
    }
}

/// Rewrites per-plane row-major argmax positions into ONNX's conventions
/// (SWIFTPOOL_FLAG_INDICES_GLOBAL / _COLUMN_MAJOR), after the kernel ran.
enum IndexLayout {
    static func apply(_ g: PoolGeometry, _ indices: UnsafeMutablePointer<Int64>) {
        guard g.indicesGlobal || g.indicesColumnMajor else { return }
        let D = g.axes.0.inputSize, H = g.axes.1.inputSize, W = g.axes.2.inputSize
        let plane = g.inputPlane, outPlane = g.outputPlane, C = g.channels
        let channelsLast = g.layout == SWIFTPOOL_LAYOUT_NHWC
        for q in 0..<g.outputElements {
            var p = Int(indices[q])
            if g.indicesColumnMajor {
                let w = p % W, h = (p / W) % H, d = p / (W * H)
                p = (w * H + h) * D + d
            }
            if g.indicesGlobal {
                // (n, c) of output element q in its layout.
                let n = q / (C * outPlane)
                let c = channelsLast ? q % C : (q / outPlane) % C
                p += (n * C + c) * plane
            }
            indices[q] = Int64(p)
        }
    }
}
