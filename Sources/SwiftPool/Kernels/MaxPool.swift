import CSwiftPool
import SwiftPoolKernelABI
import _SwiftPoolCPU

// Max pooling drivers, generic over element type, for both layouts. They trust a
// validated PoolGeometry, cut the work into output rows (bounds from
// AxisGeometry.window, runs from forEachRun), spread rows over threads and hand each
// run to a microkernel of the selected ISA family. Every output element is
// written exactly once per chunk, by the same code for any thread count.

enum MaxPoolKernel {
    static func run<T: PoolElement>(_ g: PoolGeometry, _ kernels: ElementKernels<T>, _ input: UnsafePointer<T>,
                                    _ output: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?,
                                    threads: Int, streamedMinimum: Int? = nil, farPrefetchMinimum: Int? = nil,
                                    streamStoresMinimum: Int? = nil) {
        // streamedMinimum (tests): one threshold for both layouts; a streamStoresMinimum
        // given (tests) lets blocks of every size stream too.
        // An empty window (dilation only) is -inf under both NaN rules, with PyTorch's
        // initial index; see MaxRule.initial(empty:).
        let emptyValue: T = g.nanIgnore ? IgnoreNaN.initial(empty: true) : PropagateNaN.initial(empty: true)
        if g.layout == SWIFTPOOL_LAYOUT_NHWC {
            channelsLast(g, g.nanIgnore ? kernels.maxChannelsLast.1 : kernels.maxChannelsLast.0, emptyValue,
                         input, output, indices, threads: threads,
                         streamedMinimum: streamedMinimum ?? streamedOutputMinimum,
                         streamStoresMinimum: streamStoresMinimum ?? self.streamStoresMinimum)
        } else {
            channelsFirst(g, g.nanIgnore ? kernels.maxChannelsFirst.1 : kernels.maxChannelsFirst.0, emptyValue,
                          input, output, indices, threads: threads,
                          streamedMinimum: streamedMinimum
                            ?? (T.self == Float16.self || T.self == BFloat16.self ? Int.max : streamedBlocksMinimum),
                          farPrefetchMinimum: farPrefetchMinimum ?? self.farPrefetchMinimum,
                          streamStoresMinimum: streamStoresMinimum ?? self.streamStoresMinimum,
                          streamStoresBlockBytes: streamStoresMinimum == nil ? self.streamStoresBlockBytes : 0)
        }
    }

    /// Channels-first (NCHW / NCDHW / NCW): blocks of (n, c) planes, vectorised over
    /// output columns, or over planes for one output per plane (global pooling).
    static func channelsFirst<T: PoolElement>(_ g: PoolGeometry, _ kernel: ElementKernels<T>.MaxBlock,
                                              _ emptyValue: T, _ input: UnsafePointer<T>,
                                              _ output: UnsafeMutablePointer<T>,
                                              _ indices: UnsafeMutablePointer<Int64>?, threads: Int,
                                              streamedMinimum: Int, farPrefetchMinimum: Int,
                                              streamStoresMinimum: Int = Int.max, streamStoresBlockBytes: Int = 0) {
        let inPlane = g.inputPlane, outPlane = g.outputPlane
        // Without indices, blocks may span output D slices (kernels share their
        // windows' common input slices); positions are per block's first plane.
        let planner = BlockPlanner(g, channels: 1, elementSize: MemoryLayout<T>.stride, slicePlanes: indices == nil,
                                   mergeRows: indices == nil)
        // As channelsLast: a large output without indices goes through scratch and
        // streaming stores. A unit's outputs (whole planes, strips of rows) are one
        // range: all its blocks, edges included, are computed into scratch (`out`
        // is then scratch, `shift` the range's start) and streamed in one copy.
        let scratchLimit = streamedUnitBytes / MemoryLayout<T>.stride
        let streamed = indices == nil && g.outputElements &* MemoryLayout<T>.stride >= streamedMinimum
        let farPrefetch = g.inputElements >= farPrefetchMinimum / MemoryLayout<T>.stride
        // Streaming stores from the row kernels (StoreTuning.direct), where the
        // output does not go through scratch.
        // Only for an output that starts on 32 bytes or whose rows are whole lines: the
        // 224-byte rows of 8x128x112x112 k2 s2 with the output 16 bytes past a line
        // boundary (NumPy's large arrays) took 4.6 ms streamed against 3.0 ms stored
        // normally (2.7 ms aligned and streamed); the 2 KiB rows of 32x256x1024 k3 s2
        // p1 at that offset, 1.53 ms streamed against 1.84 ms.
        let rowBytes = g.axes.2.outputSize &* MemoryLayout<T>.stride
        let streamStores = indices == nil && !streamed
            && g.outputElements >= streamStoresMinimum / MemoryLayout<T>.stride
            && (UInt(bitPattern: output) & 31 == 0 || rowBytes & 63 == 0 || streamStoresMinimum == 0)
        @inline(__always)
        func run(_ block: OutputBlock, _ out: UnsafeMutablePointer<T>, _ shift: Int) {
            let q = block.outer &* outPlane &+ block.output &- shift
            if block.isEmpty {
                block.forEachOutput { offset, position in
                    out[q &+ offset] = emptyValue
                    indices?[q &+ offset] = Int64(position)
                }
            } else {
                var shape = block.shape
                shape.farPrefetch = farPrefetch
                // Blocks of fewer than streamStoresBlockBytes of output (edge rows and
                // columns) store normally: each streaming block ends with a fence,
                // which cost more than the streamed lines saved (workload 1 NCHW:
                // its interior is separable and never streams).
                shape.streamStores = streamStores
                    && shape.planes &* shape.rows &* shape.count >= streamStoresBlockBytes / MemoryLayout<T>.stride
                kernel(input + (block.outer &* inPlane &+ block.position), block.grid, shape, out + q,
                       indices.map { $0 + q }, block.position)
            }
        }
        // Edge columns after the block that follows them (BlockPlanner.forEachBlock):
        // only the order of blocks changes (each output is still computed once, by
        // the same kernel).
        @inline(__always)
        func walk(_ units: Range<Int>, _ out: UnsafeMutablePointer<T>, _ shift: Int) {
            planner.forEachBlock(units, columnsAfter: true) { block in run(block, out, shift) }
        }
        Parallel.forEachRange(units: planner.units, unitWork: planner.unitWork, threads: threads) { units in
            guard streamed else { return walk(units, output, 0) }
            withStackScratch(of: T.self, capacity: scratchLimit) { buffer in
                for u in units {
                    if let r = planner.outputRange(ofUnit: u), r.count <= scratchLimit {
                        walk(u ..< u &+ 1, buffer.baseAddress!, r.lowerBound)
                        spcpu_stream_out(output + r.lowerBound, buffer.baseAddress!, r.count &* MemoryLayout<T>.stride)
                    } else {
                        walk(u ..< u &+ 1, output, 0)
                    }
                }
            }
        }
    }

    /// Output bytes from which a channels-first block streams its stores (when the
    /// call does). 8x64x112x112 k3 s2 p1, min / median of 5 interleaved runs: 1
    /// thread 1378 / 1423 -> 1299 / 1313 us, 2 threads 713 / 750 -> 645 / 692 us;
    /// 2x2 stride 2 (planes of 3136 outputs) and 1D rows unchanged; 16 KiB made the
    /// 2x2 planes store normally, 5% slower.
    static let streamStoresBlockBytes = 4096

    /// Largest channels-first unit output computed in scratch for streaming (units
    /// of stride-2 windows: at most a quarter of a 256 KiB strip). Blocks streamed
    /// row by row instead, from a scratch mirroring the output's strides, made the
    /// 1D workload 9 slower at 1 thread (its rows have an edge output between them).
    static let streamedUnitBytes = 96 << 10
    /// Channels-first inputs of at least this many bytes get RunShape.farPrefetch:
    /// about where an input stops staying in this machine's 32 MiB L3 between calls
    /// (8x64x112x112 k3 s2 p1 with far prefetches: 2 images 5% slower, 4 the same,
    /// 8 (25.7 MB) 10-15% faster).
    static let farPrefetchMinimum = 16 << 20
    /// Channels-first outputs (without indices) of at least this many bytes get
    /// RunShape.streamStores where StoreTuning.direct (else never): as the
    /// scratch path, half the last-level cache (smaller ones are better left in
    /// cache for whatever reads them next).
    static let streamStoresMinimum = StoreTuning.direct ? 4 << 20 : Int.max

    /// Channels-last (NHWC / NDHWC / NWC): blocks of images, vectorised over channels.
    static func channelsLast<T: PoolElement>(_ g: PoolGeometry, _ kernel: ElementKernels<T>.MaxBlockChannelsLast,
                                             _ emptyValue: T, _ input: UnsafePointer<T>,
                                             _ output: UnsafeMutablePointer<T>,
                                             _ indices: UnsafeMutablePointer<Int64>?, threads: Int,
                                             streamedMinimum: Int, streamStoresMinimum: Int = Int.max) {
        let C = g.channels
        let inImage = g.inputPlane * C, outPlane = g.outputPlane
        let planner = BlockPlanner(g, channels: C, elementSize: MemoryLayout<T>.stride)
        // Output too large for the caches, without indices: each output row is
        // computed into stack scratch and copied out with non-temporal stores,
        // which write it without first reading its lines (a sixth of the memory
        // traffic of 2x2 stride-2 windows). Same kernel, one row per call.
        let rowLimit = streamedRowBytes / MemoryLayout<T>.stride
        let streamed = indices == nil && g.outputElements &* MemoryLayout<T>.stride >= streamedMinimum
        // Else whole lines streamed by the kernel (StoreTuning.direct), as channelsFirst.
        // Only for an output that starts on 32 bytes or whose rows are whole lines: the
        // 224-byte rows of 8x128x112x112 k2 s2 with the output 16 bytes past a line
        // boundary (NumPy's large arrays) took 4.6 ms streamed against 3.0 ms stored
        // normally (2.7 ms aligned and streamed); the 2 KiB rows of 32x256x1024 k3 s2
        // p1 at that offset, 1.53 ms streamed against 1.84 ms.
        let rowBytes = g.axes.2.outputSize &* MemoryLayout<T>.stride
        let streamStores = indices == nil && !streamed
            && g.outputElements >= streamStoresMinimum / MemoryLayout<T>.stride
            && (UInt(bitPattern: output) & 31 == 0 || rowBytes & 63 == 0 || streamStoresMinimum == 0)
        Parallel.forEachRange(units: planner.units, unitWork: planner.unitWork, threads: threads) { units in
            withStackScratch(of: T.self, capacity: streamed ? rowLimit : 0) { scratch in
                planner.forEachBlock(units) { block in
                    let q = (block.outer &* outPlane &+ block.output) &* C
                    let src = input + (block.outer &* inImage &+ block.position &* C)
                    let s = block.shape
                    if block.isEmpty {
                        block.forEachOutput { offset, position in
                            for c in 0..<C {
                                output[q &+ offset &* C &+ c] = emptyValue
                                indices?[q &+ offset &* C &+ c] = Int64(position)
                            }
                        }
                    } else if streamed && s.count &* C <= rowLimit {
                        let row = scratch.baseAddress!, bytes = s.count &* C &* MemoryLayout<T>.stride
                        for p in 0..<s.planes {
                            for r in 0..<s.rows {
                                let at = p &* s.planeStride &+ r &* s.rowStride
                                kernel(src + at &* C, block.grid, C, RunShape(count: s.count, stride: s.stride),
                                       row, nil, block.position &+ at)
                                spcpu_stream_out(output + (q &+ (p &* s.outPlaneStride &+ r &* s.outRowStride) &* C),
                                                 row, bytes)
                            }
                        }
                    } else {
                        var shape = s
                        shape.streamStores = streamStores
                        kernel(src, block.grid, C, shape, output + q, indices.map { $0 + q }, block.position)
                    }
                }
            }
        }
    }

    /// Channels-last outputs of at least this many bytes are written with streaming
    /// stores where StoreTuning.streaming (else never) (half the last-level cache: smaller ones are better left in cache for
    /// whatever reads them next). 8x64x112x112 k3 s2 p1 (6.4 MB), 2 threads: 1.69 ->
    /// 1.53 ms; float16 8x128x112x112 k2 s2: 2.6 -> 2.35 ms.
    static let streamedOutputMinimum = StoreTuning.streaming ? 4 << 20 : Int.max
    /// The same for channels-first units: 8x64x112x112 k3 s2 p1 (6.4 MB), 1 thread
    /// 3.3 -> 3.1 ms, 2 threads 2.24 -> 1.95 ms; 32x256x1024 k3 s2 p1: 5.9 -> 5.3 ms,
    /// 3.95 -> 3.2 ms. Not for float16 / bfloat16, whose channels-first kernels are
    /// compute-bound (every element widened): the copy only adds work (float16
    /// 8x128x112x112 k2 s2: 5.4 -> 5.75 ms at 1 thread, 2.85 -> 3.1 ms at 2).
    static let streamedBlocksMinimum = StoreTuning.streaming ? 4 << 20 : Int.max
    /// Largest output row (channels x outputs) computed in scratch for streaming.
    static let streamedRowBytes = 64 << 10
}

/// Rewrites per-plane row-major argmax positions into ONNX's conventions
/// (SWIFTPOOL_FLAG_INDICES_GLOBAL / _COLUMN_MAJOR), after the kernel ran.
enum IndexLayout {
    static func apply(_ g: PoolGeometry, _ indices: UnsafeMutablePointer<Int64>) {
        guard g.indicesGlobal || g.indicesColumnMajor else { return }
        let (ad, ah, aw) = g.axes
        let D = ad.inputSize, H = ah.inputSize, W = aw.inputSize
        let plane = g.inputPlane, C = g.channels
        let channelsLast = g.layout == SWIFTPOOL_LAYOUT_NHWC
        var q = 0
        for n in 0..<g.batch {
            for outer in 0..<(channelsLast ? 1 : C) {
                for od in 0..<ad.outputSize {
                    let wd = ad.window(od)
                    for oh in 0..<ah.outputSize {
                        let wh = ah.window(oh)
                        for ow in 0..<aw.outputSize {
                            let ww = aw.window(ow)
                            for inner in 0..<(channelsLast ? C : 1) {
                                let c = channelsLast ? inner : outer
                                var p = Int(indices[q])
                                if g.indicesColumnMajor {
                                    // A window wholly in the padding reports its first taps,
                                    // which may lie past the input: use them, not p's digits.
                                    let (d, h, w) = wd.isEmpty || wh.isEmpty || ww.isEmpty
                                        ? (wd.firstTap, wh.firstTap, ww.firstTap)
                                        : (p / (W * H), (p / W) % H, p % W)
                                    p = (w * H + h) * D + d
                                }
                                if g.indicesGlobal { p += (n * C + c) * plane }
                                indices[q] = Int64(p)
                                q += 1
                            }
                        }
                    }
                }
            }
        }
    }
}
