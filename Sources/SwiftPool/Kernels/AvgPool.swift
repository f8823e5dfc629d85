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
            channelsFirst(g, kernels.avgChannelsFirst, input, output, threads: threads)
        }
    }

    /// The divisor of a block's windows (PyTorch's rule, PoolGeometry.divisor);
    /// blocks reaching a kernel have at least one real tap, so it is >= 1.
    @inline(__always)
    static func divisor(_ g: PoolGeometry, _ block: OutputBlock) -> Double {
        Double(g.divisor(block.windows.0, block.windows.1, block.windows.2))
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
                           divisor(g, block), output + q)
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
                           divisor(g, block), output + q)
                }
            }
        }
    }
}
