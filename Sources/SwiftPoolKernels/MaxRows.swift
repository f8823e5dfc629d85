// Max pooling kernels. Each computes a block of outputs whose windows share one
// TapGrid (same real taps), laid out as a RunShape (planes x rows x count). Callers
// (SwiftPool's Kernels layer) cut the output into such blocks: the interior, where
// every tap is real, and the edges clipped by the padding.
//
// Bitwise contract with the reference: every output folds its taps in scan order
// with the rule's step, starting from the first tap. That equals the reference's
// start from -inf / NaN for a window with at least one real tap (PyTorch keeps the
// initial -inf and the first tap's index when every tap is -inf). The separable
// path (separableBlock) folds each row of taps first, then the rows in scan order:
// the same sequence regrouped, which the rules' associative steps allow.
//
// Arguments: see ElementKernels in SwiftPoolKernelABI. Row functions below take
// one row of a block: `count` outputs (>= 1), windows `stride` positions apart,
// outputs consecutive (channels-first) or C apart (channels-last), `position` the
// plane position of the row's first tap.
import SwiftPoolKernelABI
import _SwiftPoolCPU

enum MaxRows {
    /// A channels-first block: rows of planes, or (one output per plane, global
    /// pooling) four planes at a time.
    @inline(never)
    static func channelsFirstBlock<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        // One output per plane (global pooling): lanes are planes.
        if shape.count == 1 && shape.rows == 1 && shape.planes >= T.lanes
            && (indices == nil || position &+ grid.span <= T.maxVectorPosition) {
            strided(src, grid, shape.planes, shape.planeStride, dst, shape.outPlaneStride, indices, position, 0,
                    T.self, R.self)
            return
        }
        // A column of edge outputs (one per row): lanes are rows.
        let column = shape.count == 1 && shape.rows >= T.lanes
            && (indices == nil || position &+ (shape.rows &- 1) &* shape.rowStride &+ grid.span <= T.maxVectorPosition)
        // Rows shorter than a vector but at least half one go in pairs: half the
        // lanes per row.
        let pairs = shape.count < T.lanes && shape.count &* 2 >= T.lanes
            && (shape.stride == 1 || (shape.stride == 2 && grid.countW >= 2))
            && (indices == nil || position &+ (shape.rows &- 1) &* shape.rowStride
                &+ (shape.count &- 1) &* shape.stride &+ grid.span <= T.maxVectorPosition)
        if pairs && !column {
            pairBlock(src, grid, shape, dst, indices, position, T.self, R.self)
            return
        }
        if indices == nil && separable(grid, shape, T.self) {
            separableBlock(src, grid, shape, dst, T.self, R.self)
            return
        }
        // Rows of input a couple of output rows ahead are prefetched (small windows):
        // the block reads whole planes once, rows far apart for the hardware prefetcher.
        let ahead = 2 &* shape.rowStride
        let prefetchBytes = ((shape.count &- 1) &* shape.stride &+ (grid.countW &- 1) &* grid.stepW &+ 1)
            &* MemoryLayout<T>.stride
        let prefetch = !column && shape.rows > 2 && grid.countD &* grid.countH <= 9 && prefetchBytes <= 4096
        // Rows no later output row reads again (2D, window rows within one row
        // stride, e.g. 2x2 stride 2) are prefetched non-temporally; shared rows
        // (3x3 stride 1) stay in cache for the next output rows.
        let rowsOnce = grid.countD == 1 && grid.countH &* grid.stepH <= shape.rowStride
        // Single rows of several planes (e.g. the top edge row of consecutive output D
        // slices, far apart in memory): the window rows of the plane two ahead.
        let prefetchPlanes = !column && shape.rows == 1 && shape.planes > 2 && grid.countD &* grid.countH <= 9
            && prefetchBytes <= 4096
        let quads = !column && indices == nil && shape.stride == 1 && shape.count >= T.lanes && grid.countD == 1
            && grid.countH == 3 && grid.countW == 3 && grid.stepW == 1 && grid.stepH == shape.rowStride
        var p = 0
        while p < shape.planes {
            let plane = src + p &* shape.planeStride, out = p &* shape.outPlaneStride
            var r = 0
            if column {
                strided(plane, grid, shape.rows, shape.rowStride, dst + out, shape.outRowStride,
                        indices.map { $0 + out }, position, shape.rowStride, T.self, R.self)
            } else {
                if prefetchPlanes && p &+ 2 < shape.planes {
                    prefetchWindowRows(plane + 2 &* shape.planeStride, grid, prefetchBytes, once: true)
                }
                while r < shape.rows {
                    // 3x3 stride 1: four output rows from six input rows, each row's
                    // horizontal maxima computed once; with a NaN, the rows one by one.
                    if quads && r &+ 4 <= shape.rows {
                        if prefetch {
                            for k in 0..<4 where r &+ k &+ 2 < shape.rows {
                                prefetchWindowRows(plane + ((r &+ k) &* shape.rowStride &+ ahead), grid, prefetchBytes,
                                                   once: false)
                            }
                        }
                        if rowQuad(plane + r &* shape.rowStride, shape.rowStride, shape.count,
                                   dst + (out &+ r &* shape.outRowStride), shape.outRowStride, T.self) {
                            r &+= 4
                            continue
                        }
                        for k in r..<(r &+ 4) {
                            let output = out &+ k &* shape.outRowStride
                            channelsFirst(plane + k &* shape.rowStride, grid, shape.count, shape.stride, dst + output,
                                          nil, position &+ k &* shape.rowStride, T.self, R.self)
                        }
                        r &+= 4
                        continue
                    }
                    if prefetch && r &+ 2 < shape.rows {
                        prefetchWindowRows(plane + (r &* shape.rowStride &+ ahead), grid, prefetchBytes, once: rowsOnce)
                    }
                    if prefetch && shape.farPrefetch && r &+ 8 < shape.rows {
                        farPrefetchWindowRows(plane + (r &+ 8) &* shape.rowStride, grid, prefetchBytes)
                    }
                    let output = out &+ r &* shape.outRowStride
                    channelsFirst(plane + r &* shape.rowStride, grid, shape.count, shape.stride, dst + output,
                                  indices.map { $0 + output }, position &+ r &* shape.rowStride, T.self, R.self,
                                  stream: shape.streamStores && indices == nil)
                    r &+= 1
                }
            }
            p &+= 1
        }
        // Rows streamed (RunShape.streamStores) reach memory before the block returns.
        if shape.streamStores && indices == nil { spcpu_store_fence() }
    }

    /// Four output rows of 3x3 stride-1 windows (undilated, no indices): input rows
    /// `rowStride` apart from `row`, `count` (>= lanes) outputs per row, the last
    /// vector overlapping. Each input row's 3-tap maxima are computed once for the
    /// three output rows that read them, then folded top to bottom: the scan-order
    /// fold regrouped by rows, which first-of-ties max allows (as separableBlock).
    /// Returns false, outputs partly written, when a tap was NaN: the caller
    /// recomputes the four rows with the NaN rule.
    @inline(never)
    static func rowQuad<T: VectorElement>(
        _ row: UnsafePointer<T>, _ rowStride: Int, _ count: Int, _ dst: UnsafeMutablePointer<T>, _ outRowStride: Int,
        _: T.Type
    ) -> Bool {
        let lanes = T.lanes, last = count &- lanes
        var ok = T.allOrdered
        @inline(__always) func rowMax(_ k: Int, _ j: Int) -> T.Vector {
            let (t0, t1, t2) = UnitStride().load3(row + (k &* rowStride &+ j), T.self)
            ok = T.and(ok, T.and(T.ordered(t0, t1), T.ordered(t2, t2)))
            return T.maxNumber(T.maxNumber(t0, t1), t2)
        }
        var j = 0
        while j < count {
            let j0 = Swift.min(j, last)
            let h0 = rowMax(0, j0), h1 = rowMax(1, j0), h2 = rowMax(2, j0)
            let h3 = rowMax(3, j0), h4 = rowMax(4, j0), h5 = rowMax(5, j0)
            let o = dst + j0
            T.store(T.maxNumber(T.maxNumber(h0, h1), h2), o)
            T.store(T.maxNumber(T.maxNumber(h1, h2), h3), o + outRowStride)
            T.store(T.maxNumber(T.maxNumber(h2, h3), h4), o + 2 &* outRowStride)
            T.store(T.maxNumber(T.maxNumber(h3, h4), h5), o + 3 &* outRowStride)
            j = j0 &+ lanes
        }
        return T.all(ok)
    }

    /// Whether separableBlock takes a block: rows of stride-2 windows three taps wide
    /// (undilated) and three rows high, consecutive output rows sharing one input row
    /// (row stride twice the tap row step), in every D slice of the window.
    @inline(__always)
    static func separable<T: VectorElement>(_ grid: TapGrid, _ shape: RunShape, _: T.Type) -> Bool {
        shape.stride == 2 && grid.stepW == 1 && grid.countW == 3 && grid.countH == 3
            && shape.rowStride == 2 &* grid.stepH && shape.count >= T.lanes && shape.rows >= 2
            && grid.countD <= separableSlices
    }

    /// Most D slices a separable window may have (scratch rows kept per slice).
    static var separableSlices: Int { 4 }

    /// Separable max of a block without indices (see `separable`): each input row's
    /// horizontal 3-tap maxima (de-interleaved even / odd lanes) are computed once,
    /// then folded down the window's rows and D slices. Row 2 of output row r's
    /// window is row 0 of output row r+1's: its horizontal maxima are kept in a
    /// stack scratch (one vector per output vector and D slice), so every input row
    /// is read and reduced once per block.
    ///
    /// Bitwise equal to folding the taps in scan order: both NaN rules' steps are
    /// associative (PropagateNaNLanes, IgnoreNaNLanes), and grouping the taps of a
    /// window by row (D, then H), each row folded in W order, then the row results
    /// folded in (D, H) order, keeps the scan order; only the grouping changes.
    /// The fast pass uses one max instruction per step and checks every loaded tap
    /// for NaN; a chunk that met a NaN is recomputed with the rule's exact step.
    @inline(never)
    static func separableBlock<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape, _ dst: UnsafeMutablePointer<T>,
        _: T.Type, _: R.Type
    ) {
        let lanes = T.lanes, slices = grid.countD
        let vectorsPerRow = (shape.count &+ lanes &- 1) / lanes
        let scratchElements = separableScratchBytes / MemoryLayout<T>.stride
        // Planes that are consecutive D slices of windows overlapping in one input
        // slice (the last slice of plane p is the first of plane p+1, e.g. 3 taps
        // at stride 2): each such slice's 2D window maxima are computed once, kept
        // for the next plane (two plane scratches, so that an exact recomputation
        // still finds the previous plane's values).
        let shareVectors = scratchElements / lanes / (slices &+ 2 &* shape.rows)
        let share = slices >= 2 && shape.planes >= 2 && shape.planeStride == (slices &- 1) &* grid.stepD
            && shareVectors >= 1
        let chunkVectors = share ? shareVectors : scratchElements / lanes / slices
        // Uninitialised: every scratch vector is written before it is read.
        withStackScratch(of: T.self, capacity: scratchElements) { buffer in
            let scratch = buffer.baseAddress!
            var v0 = 0
            while v0 < vectorsPerRow {
                let n = Swift.min(chunkVectors, vectorsPerRow &- v0)
                let planeScratch = n &* lanes &* shape.rows
                let shared0 = scratch + slices &* n &* lanes, shared1 = shared0 + planeScratch
                var p = 0
                while p < shape.planes {
                    let plane = src + p &* shape.planeStride, out = dst + p &* shape.outPlaneStride
                    // Plane p reads the kept slice from one scratch and keeps its own in the other.
                    let reuse: UnsafePointer<T>? = share && p > 0 ? UnsafePointer(p & 1 == 1 ? shared0 : shared1) : nil
                    let keep: UnsafeMutablePointer<T>? = share ? (p & 1 == 0 ? shared0 : shared1) : nil
                    if !separableChunk(plane, grid, shape, out, scratch, reuse, keep, v0, n, T.self, R.self,
                                       FastSteps.self) {
                        _ = separableChunk(plane, grid, shape, out, scratch, reuse, keep, v0, n, T.self, R.self,
                                           ExactSteps.self)
                    }
                    p &+= 1
                }
                v0 &+= n
            }
        }
    }

    /// Output rows ahead whose input rows separableChunk prefetches: 3D blocks
    /// (several slices per row, more compute per fetched row) further ahead.
    @inline(__always)
    static func separableAhead(_ slices: Int) -> Int { slices > 1 ? 4 : 2 }

    /// Bytes of separableBlock's scratch (stack).
    static var separableScratchBytes: Int { 16 * 1024 }

    /// Output vectors v0 ..< v0+n of every row of one plane of a separable block
    /// (vector v covers outputs min(v*lanes, count-lanes) ..< +lanes). Returns false
    /// when the fast pass (FastSteps) met a NaN: its outputs must be recomputed.
    /// One specialisation per step kind, each small enough for its helpers to inline.
    ///
    /// `reuse`: D slice 0's window maxima (one vector per row and chunk vector,
    /// row-major), computed with the last slice of the previous plane, instead of
    /// reading slice 0 (the fast pass checks them for NaN like taps); `keep`: where
    /// to store the last slice's window maxima.
    @inline(never)
    static func separableChunk<T: VectorElement, R: VectorMaxRule, S: SeparableSteps>(
        _ plane: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape, _ out: UnsafeMutablePointer<T>,
        _ scratch: UnsafeMutablePointer<T>, _ reuse: UnsafePointer<T>?, _ keep: UnsafeMutablePointer<T>?,
        _ v0: Int, _ n: Int, _: T.Type, _: R.Type, _: S.Type
    ) -> Bool {
        let lanes = T.lanes, last = shape.count &- lanes
        let slices = grid.countD, stepD = grid.stepD, stepH = grid.stepH, rowStride = shape.rowStride
        // The first slice read from the plane (slice 0 comes from `reuse`).
        let firstSlice = reuse == nil ? 0 : 1
        var ok = T.allOrdered
        // Input span of the chunk's windows along a row, for the prefetches.
        let first = Swift.min(v0 &* lanes, last) &* 2
        let bytes = (Swift.min((v0 &+ n &- 1) &* lanes, last) &* 2 &+ 2 &* lanes &+ 1 &- first) &* MemoryLayout<T>.stride
        // NaN checks of the fast pass: the even / odd loads of the chunk's vectors
        // cover row positions [first, lastTap) of every input row they read; the
        // third tap of the last vector adds position lastTap, checked alone.
        let lastTap = Swift.min((v0 &+ n &- 1) &* lanes, last) &* 2 &+ 2 &* lanes
        var numbers = true
        // Row 0 of every slice's window for output row 0.
        var a = firstSlice
        while a < slices {
            let row = plane + a &* stepD
            if !S.exact { numbers = numbers && !row[lastTap].isNaN }
            var v = 0
            while v < n {
                let j0 = Swift.min((v0 &+ v) &* lanes, last)
                let q = row + 2 &* j0
                let e = T.loadEvenPermuted(q), o = T.loadOddPermuted(q), f = T.loadOddPermuted(q + 1)
                let h: T.Vector
                if S.exact {
                    h = R.step(R.step(e, o, T.self), f, T.self)
                } else {
                    ok = T.and(ok, T.ordered(e, o))
                    h = T.maxNumber(T.maxNumber(e, o), f)
                }
                T.store(h, scratch + (a &* n &+ v) &* lanes)
                v &+= 1
            }
            a &+= 1
        }
        let separableAhead = separableAhead(slices)
        // 2D blocks of a large input (more would need the slices' rows too): rows
        // farAhead output rows ahead into the outer caches (shape.farPrefetch: an
        // input that does not stay in the caches; where it stays in L2 or L3, 6%
        // slower). 8x64x112x112 k3 s2 p1, 1 thread: 1.35-1.64 -> 1.21-1.37 ms with
        // 8 rows ahead and L1 prefetches too; 12 rows alone, 1.18-1.21 -> 1.01-1.05.
        let far = slices == 1 && shape.farPrefetch, farAhead = 12
        if !S.exact, slices == 1 {
            // 2D (nothing kept or reused): the rows in a function of their own.
            let rowsOK = separableRows2D(plane, shape.rows, rowStride, stepH, out, shape.outRowStride, scratch, v0, n,
                                         last, lastTap, first, bytes, far ? farAhead : separableAhead, far, T.self)
            return numbers && rowsOK && T.all(ok)
        }
        if !S.exact, slices == 3, let reuse, let keep {
            // The common 3D case (3 D taps, slice 0 kept from the previous plane).
            let rowsOK = separableRows3D(plane, shape, stepH, stepD, out, scratch + n &* lanes, reuse, keep, v0, n,
                                         last, lastTap, first, bytes, separableAhead, T.self)
            return numbers && rowsOK && T.all(ok)
        }
        var r = 0
        while r < shape.rows {
            let rowBase = plane + r &* rowStride
            // The two new rows of each slice (NaN checks of their last taps), and
            // those separableAhead output rows ahead (prefetches). 2D blocks prefetch
            // past their last row too: what follows in memory (the next strip or
            // plane) is what the caller computes next (8x64x112x112 k3 s2 p1: -4%).
            if !S.exact {
                var a = firstSlice
                while a < slices {
                    let row = rowBase + (a &* stepD &+ lastTap)
                    numbers = numbers && !row[stepH].isNaN && !row[2 &* stepH].isNaN
                    a &+= 1
                }
            }
            if r &+ separableAhead < shape.rows || slices == 1 {
                var a = firstSlice
                while a < slices {
                    let ahead = rowBase + (separableAhead &* rowStride &+ a &* stepD &+ stepH &+ first)
                    prefetchBytes(ahead, bytes)
                    prefetchBytes(ahead + stepH, bytes)
                    a &+= 1
                }
            } else if slices > 1 && shape.planes >= 2 {
                // 3D: the last output rows prefetch the next plane's first rows
                // (its new slices when it shares one with this plane; past the
                // last plane, the input that follows the block, e.g. the next
                // outer's first slices). A hint: any address.
                let nextRow = r &+ separableAhead &- shape.rows
                let next = plane + (shape.planeStride &+ nextRow &* rowStride &+ first)
                var a = shape.planeStride == (slices &- 1) &* stepD ? 1 : 0
                while a < slices {
                    let ahead = next + a &* stepD
                    if nextRow == 0 { prefetchBytes(ahead, bytes) }
                    prefetchBytes(ahead + stepH, bytes)
                    prefetchBytes(ahead + 2 &* stepH, bytes)
                    a &+= 1
                }
            }
            let o = out + r &* shape.outRowStride
            var v = 0
            while v < n {
                let j0 = Swift.min((v0 &+ v) &* lanes, last)
                let kept = (r &* n &+ v) &* lanes
                var m = T.splat(0)
                if let reuse {
                    m = T.load(reuse + kept)
                    if !S.exact { ok = T.and(ok, T.ordered(m, m)) }
                }
                var a = firstSlice
                while a < slices {
                    let row = rowBase + (a &* stepD &+ 2 &* j0)
                    let s = scratch + (a &* n &+ v) &* lanes
                    let p1 = row + stepH, p2 = row + 2 &* stepH
                    let e1 = T.loadEvenPermuted(p1), o1 = T.loadOddPermuted(p1), f1 = T.loadOddPermuted(p1 + 1)
                    let e2 = T.loadEvenPermuted(p2), o2 = T.loadOddPermuted(p2), f2 = T.loadOddPermuted(p2 + 1)
                    let ma: T.Vector
                    if S.exact {
                        let h1 = R.step(R.step(e1, o1, T.self), f1, T.self)
                        let h2 = R.step(R.step(e2, o2, T.self), f2, T.self)
                        ma = R.step(R.step(T.load(s), h1, T.self), h2, T.self)
                        T.store(h2, s)
                    } else {
                        ok = T.and(ok, T.and(T.ordered(e1, o1), T.ordered(e2, o2)))
                        let h1 = T.maxNumber(T.maxNumber(e1, o1), f1)
                        let h2 = T.maxNumber(T.maxNumber(e2, o2), f2)
                        ma = T.maxNumber(T.maxNumber(T.load(s), h1), h2)
                        T.store(h2, s)
                    }
                    if a == 0 {
                        m = ma
                    } else {
                        m = S.exact ? R.step(m, ma, T.self) : T.maxNumber(m, ma)
                    }
                    if let keep, a == slices &- 1 { T.store(ma, keep + kept) }
                    a &+= 1
                }
                T.store(T.permute(m), o + j0)
                v &+= 1
            }
            r &+= 1
        }
        return S.exact || (numbers && T.all(ok))
    }

    /// The output rows of a 2D separable chunk, fast steps (see separableChunk, which
    /// has computed row 0's horizontal maxima into `scratch`): per output row, the NaN
    /// checks of the new rows' last taps, the prefetch of the two input rows `ahead`
    /// output rows ahead (`far`: into the outer caches, else into L1), then
    /// separableRow. Returns false when a tap was NaN.
    /// A loop of its own with few live values: inside separableChunk, whose other
    /// cases keep many more, its bookkeeping went through the stack. With far
    /// prefetches, rows closer ahead are not prefetched into L1 as well: a C model of
    /// 8x64x112x112 k3 s2 p1 ran as fast without them (0.84-0.88 ms), and they
    /// cost instructions.
    @inline(never)
    static func separableRows2D<T: VectorElement>(
        _ plane: UnsafePointer<T>, _ rows: Int, _ rowStride: Int, _ stepH: Int, _ out: UnsafeMutablePointer<T>,
        _ outRowStride: Int, _ scratch: UnsafeMutablePointer<T>, _ v0: Int, _ n: Int, _ last: Int,
        _ lastTap: Int, _ first: Int, _ bytes: Int, _ ahead: Int, _ far: Bool, _: T.Type
    ) -> Bool {
        var ok = T.allOrdered
        var numbers = true
        // The lines of [first, first + bytes) of the first window row `ahead` rows ahead
        // (past the last row too: what follows in memory, the next strip or plane, is
        // what the caller computes next), and those of the row after it.
        let offset = (ahead &* rowStride &+ stepH &+ first) &* MemoryLayout<T>.stride
        let rowBytes = UInt(bitPattern: stepH &* MemoryLayout<T>.stride)
        var rowBase = plane, o = out, r = 0
        while r < rows {
            numbers = numbers && !rowBase[lastTap &+ stepH].isNaN && !rowBase[lastTap &+ 2 &* stepH].isNaN
            let start = UInt(bitPattern: UnsafeRawPointer(rowBase)) &+ UInt(bitPattern: offset)
            let end = start &+ UInt(bitPattern: bytes)
            var line = start & ~63
            if far {
                while line < end {
                    spcpu_prefetch_far(UnsafeRawPointer(bitPattern: line))
                    spcpu_prefetch_far(UnsafeRawPointer(bitPattern: line &+ rowBytes))
                    line &+= 64
                }
            } else {
                while line < end {
                    spcpu_prefetch(UnsafeRawPointer(bitPattern: line))
                    spcpu_prefetch(UnsafeRawPointer(bitPattern: line &+ rowBytes))
                    line &+= 64
                }
            }
            ok = T.and(ok, separableRow(rowBase + stepH, rowBase + 2 &* stepH, scratch, o, v0, n, last))
            rowBase += rowStride
            o += outRowStride
            r &+= 1
        }
        return numbers && T.all(ok)
    }

    /// The output rows of a 3D separable chunk with 3 D taps, fast steps, slice 0's
    /// window maxima coming from `reuse` and slice 2's going to `keep` (see
    /// separableChunk, which has computed row 0's horizontal maxima of slices 1 and 2
    /// into `scratch`): per output row, the NaN checks of the new rows' last taps,
    /// the prefetch of slices 1 and 2's new rows `ahead` output rows ahead (the last
    /// rows: the next plane's first rows), then separableRow3. Returns false when a
    /// tap was NaN. A loop of its own, as separableRows2D.
    @inline(never)
    static func separableRows3D<T: VectorElement>(
        _ plane: UnsafePointer<T>, _ shape: RunShape, _ stepH: Int, _ stepD: Int, _ out: UnsafeMutablePointer<T>,
        _ scratch: UnsafeMutablePointer<T>, _ reuse: UnsafePointer<T>, _ keep: UnsafeMutablePointer<T>,
        _ v0: Int, _ n: Int, _ last: Int, _ lastTap: Int, _ first: Int, _ bytes: Int, _ ahead: Int, _: T.Type
    ) -> Bool {
        let rows = shape.rows, rowStride = shape.rowStride, outRowStride = shape.outRowStride
        let planeStride = shape.planeStride, nextPlane = shape.planes >= 2
        let vector = n &* T.lanes
        var ok = T.allOrdered
        var numbers = true
        let check = stepD &+ lastTap &+ stepH
        var rowBase = plane, o = out, r = 0
        while r < rows {
            numbers = numbers && !rowBase[check].isNaN && !rowBase[check &+ stepH].isNaN
                && !rowBase[check &+ stepD].isNaN && !rowBase[check &+ stepD &+ stepH].isNaN
            if r &+ ahead < rows {
                let p = rowBase + (ahead &* rowStride &+ stepD &+ stepH &+ first)
                prefetchLines(p, bytes)
                prefetchLines(p + stepH, bytes)
                prefetchLines(p + stepD, bytes)
                prefetchLines(p + (stepD &+ stepH), bytes)
            } else if nextPlane {
                // The next plane's first rows (its new slices when it shares one with
                // this plane; past the last plane, the input that follows the block,
                // e.g. the next outer's first slices). A hint: any address.
                let nextRow = r &+ ahead &- rows
                let next = plane + (planeStride &+ nextRow &* rowStride &+ first)
                var a = planeStride == 2 &* stepD ? 1 : 0
                while a < 3 {
                    let q = next + a &* stepD
                    if nextRow == 0 { prefetchLines(q, bytes) }
                    prefetchLines(q + stepH, bytes)
                    prefetchLines(q + 2 &* stepH, bytes)
                    a &+= 1
                }
            }
            let kept = r &* vector
            ok = T.and(ok, separableRow3(rowBase + (stepD &+ stepH), rowBase + (2 &* stepD &+ stepH), stepH,
                                         scratch, reuse + kept, keep + kept, o, v0, n, last))
            rowBase += rowStride
            o += outRowStride
            r &+= 1
        }
        return numbers && T.all(ok)
    }

    /// Prefetches (into L1) the cache lines of [p, p + bytes): one per line.
    @inline(__always)
    static func prefetchLines<T>(_ p: UnsafePointer<T>, _ bytes: Int) {
        let start = UInt(bitPattern: UnsafeRawPointer(p))
        let end = start &+ UInt(bitPattern: bytes)
        var line = start & ~63
        while line < end {
            spcpu_prefetch(UnsafeRawPointer(bitPattern: line))
            line &+= 64
        }
    }

    /// One output row of a 2D separable chunk, fast steps: `row1` and `row2` are the
    /// window's new input rows (row 0's horizontal maxima are in `scratch`, where
    /// row 2's replace them). Returns the lanes where no even / odd tap was NaN.
    /// Functions of their own (this and separableRow3) keep their few pointers in
    /// registers: inlined in separableChunk, the loop spilled to the stack and ran
    /// 1.4x slower in cache.
    @inline(never)
    static func separableRow<T: VectorElement>(
        _ row1: UnsafePointer<T>, _ row2: UnsafePointer<T>, _ scratch: UnsafeMutablePointer<T>,
        _ o: UnsafeMutablePointer<T>, _ v0: Int, _ n: Int, _ last: Int
    ) -> T.Mask {
        let lanes = T.lanes
        var ok = T.allOrdered
        var v = 0, j = v0 &* lanes
        while v < n {
            let j0 = Swift.min(j, last)
            let m = sliceMax(row1 + 2 &* j0, row2 + 2 &* j0, scratch + v &* lanes, &ok)
            T.store(T.permute(m), o + j0)
            v &+= 1
            j &+= lanes
        }
        return ok
    }

    /// One output row of a 3D separable chunk with 3 D taps, fast steps: slice 0's
    /// window maxima come from `reuse` (one vector per chunk vector), slice 2's go
    /// to `keep`; `row1` / `row2` are slices 1 and 2's first new input rows (the
    /// second `stepH` further), their row-0 maxima in `scratch` (slice 1's, then
    /// slice 2's, n vectors each).
    @inline(never)
    static func separableRow3<T: VectorElement>(
        _ row1: UnsafePointer<T>, _ row2: UnsafePointer<T>, _ stepH: Int, _ scratch: UnsafeMutablePointer<T>,
        _ reuse: UnsafePointer<T>, _ keep: UnsafeMutablePointer<T>, _ o: UnsafeMutablePointer<T>,
        _ v0: Int, _ n: Int, _ last: Int
    ) -> T.Mask {
        let lanes = T.lanes
        var ok = T.allOrdered
        var v = 0, j = v0 &* lanes
        while v < n {
            let j0 = Swift.min(j, last), p1 = row1 + 2 &* j0, p2 = row2 + 2 &* j0, t = v &* lanes
            let m0 = T.load(reuse + t)
            ok = T.and(ok, T.ordered(m0, m0))
            let q1 = p1 + stepH, q2 = p2 + stepH, s1 = scratch + t, s2 = scratch + (n &* lanes &+ t)
            let e11 = T.loadEvenPermuted(p1), o11 = T.loadOddPermuted(p1), f11 = T.loadOddPermuted(p1 + 1)
            let e12 = T.loadEvenPermuted(q1), o12 = T.loadOddPermuted(q1), f12 = T.loadOddPermuted(q1 + 1)
            let e21 = T.loadEvenPermuted(p2), o21 = T.loadOddPermuted(p2), f21 = T.loadOddPermuted(p2 + 1)
            let e22 = T.loadEvenPermuted(q2), o22 = T.loadOddPermuted(q2), f22 = T.loadOddPermuted(q2 + 1)
            ok = T.and(ok, T.and(T.and(T.ordered(e11, o11), T.ordered(e12, o12)),
                                 T.and(T.ordered(e21, o21), T.ordered(e22, o22))))
            let h11 = T.maxNumber(T.maxNumber(e11, o11), f11), h12 = T.maxNumber(T.maxNumber(e12, o12), f12)
            let h21 = T.maxNumber(T.maxNumber(e21, o21), f21), h22 = T.maxNumber(T.maxNumber(e22, o22), f22)
            let ma1 = T.maxNumber(T.maxNumber(T.load(s1), h11), h12)
            let ma2 = T.maxNumber(T.maxNumber(T.load(s2), h21), h22)
            T.store(h12, s1)
            T.store(h22, s2)
            T.store(ma2, keep + t)
            T.store(T.permute(T.maxNumber(T.maxNumber(m0, ma1), ma2)), o + j0)
            v &+= 1
            j &+= lanes
        }
        return ok
    }

    /// Fast steps of one chunk vector of one window slice: max of the row-0 maxima
    /// in `s` and the 3-tap maxima of rows p1 and p2 (de-interleaved loads at 2*j0),
    /// folded in row order; p2's maxima replace those in `s`. `ok` loses the lanes
    /// where an even / odd tap is NaN.
    @inline(__always)
    static func sliceMax<T: VectorElement>(
        _ p1: UnsafePointer<T>, _ p2: UnsafePointer<T>, _ s: UnsafeMutablePointer<T>, _ ok: inout T.Mask
    ) -> T.Vector {
        let e1 = T.loadEvenPermuted(p1), o1 = T.loadOddPermuted(p1), f1 = T.loadOddPermuted(p1 + 1)
        let e2 = T.loadEvenPermuted(p2), o2 = T.loadOddPermuted(p2), f2 = T.loadOddPermuted(p2 + 1)
        ok = T.and(ok, T.and(T.ordered(e1, o1), T.ordered(e2, o2)))
        let h1 = T.maxNumber(T.maxNumber(e1, o1), f1)
        let h2 = T.maxNumber(T.maxNumber(e2, o2), f2)
        let ma = T.maxNumber(T.maxNumber(T.load(s), h1), h2)
        T.store(h2, s)
        return ma
    }

    /// Prefetches the cache lines of `bytes` bytes from p (a hint: any address).
    @inline(__always)
    static func prefetchBytes<T>(_ p: UnsafePointer<T>, _ bytes: Int, once: Bool = false) {
        var b = 0
        if once {
            // Off where non-temporal hints are (spcpu_nontemporal_hints).
            if spcpu_prefetch_once_enabled() == 0 { return }
            while b < bytes { spcpu_prefetch_once(UnsafeRawPointer(p) + b); b &+= 64 }
            if bytes & 63 != 0 { spcpu_prefetch_once(UnsafeRawPointer(p) + (bytes &- 1)) }
        } else {
            while b < bytes { spcpu_prefetch(UnsafeRawPointer(p) + b); b &+= 64 }
            if bytes & 63 != 0 { spcpu_prefetch(UnsafeRawPointer(p) + (bytes &- 1)) }
        }
    }

    /// Prefetches every tap row of a window grid, `bytes` bytes each, from p, into
    /// the outer caches (spcpu_prefetch_far).
    @inline(__always)
    static func farPrefetchWindowRows<T>(_ p: UnsafePointer<T>, _ grid: TapGrid, _ bytes: Int) {
        var a = 0
        while a < grid.countD {
            var h = 0
            while h < grid.countH {
                let row = UnsafeRawPointer(p + (a &* grid.stepD &+ h &* grid.stepH))
                var b = 0
                while b < bytes { spcpu_prefetch_far(row + b); b &+= 64 }
                h &+= 1
            }
            a &+= 1
        }
    }

    /// Prefetches every tap row of a window grid, `bytes` bytes each, from p.
    @inline(__always)
    static func prefetchWindowRows<T>(_ p: UnsafePointer<T>, _ grid: TapGrid, _ bytes: Int, once: Bool) {
        var a = 0
        while a < grid.countD {
            var b = 0
            while b < grid.countH {
                prefetchBytes(p + (a &* grid.stepD &+ b &* grid.stepH), bytes, once: once)
                b &+= 1
            }
            a &+= 1
        }
    }

    /// A channels-last block: rows of images.
    @inline(never)
    static func channelsLastBlock<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ shape: RunShape,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        // Window rows (of each D slice) that the previous output row's windows read
        // too, when the kernel is taller than the row stride: channelsLast does not
        // prefetch them again.
        let shared = grid.stepH > 0 && shape.rowStride % grid.stepH == 0 ? grid.countH &- shape.rowStride / grid.stepH : 0
        let newRows = Swift.max(0, shared)
        var p = 0
        while p < shape.planes {
            var r = 0
            while r < shape.rows {
                let input = (p &* shape.planeStride &+ r &* shape.rowStride) &* channels
                let output = (p &* shape.outPlaneStride &+ r &* shape.outRowStride) &* channels
                channelsLast(src + input, grid, channels, shape.count, shape.stride, dst + output,
                             indices.map { $0 + output }, position &+ r &* shape.rowStride, T.self, R.self,
                             stream: shape.streamStores && indices == nil, newRows: r == 0 ? 0 : newRows)
                r &+= 1
            }
            p &+= 1
        }
        // Lines streamed (RunShape.streamStores) reach memory before the block returns.
        if shape.streamStores && indices == nil { spcpu_store_fence() }
    }

    /// Channels-first run: lanes are consecutive outputs of one row. Stride 1 and 2
    /// use vector loads (stride 2 needs a window at least two columns wide, so
    /// that its double-width loads end inside the last window); other strides and
    /// runs shorter than a vector are scalar. A run length that is not a multiple of
    /// the lane count ends with a vector that overlaps the previous one (the
    /// overlapped outputs are written twice, with the same values), so nothing past
    /// the run's last window is read.
    ///
    /// Without indices, lanes first take one max instruction per tap and check that
    /// no tap is NaN; a vector that met a NaN is recomputed with the NaN rule.
    @inline(__always)
    static func channelsFirst<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ stride: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type, stream: Bool = false
    ) {
        if count >= T.lanes
            && (indices == nil || position &+ (count &- 1) &* stride &+ grid.span <= T.maxVectorPosition) {
            if stride == 1 {
                vectorRun(src, grid, count, dst, indices, position, T.self, R.self, UnitStride(), stream: stream)
                return
            }
            if stride == 2 && grid.countW >= 2 {
                vectorRun(src, grid, count, dst, indices, position, T.self, R.self, DoubleStride(), stream: stream)
                return
            }
        }
        // Single outputs: the vector step on splatted taps (lane 0 used), branch-free.
        var j = 0
        if let indices, grid.span > T.maxVectorPosition {
            while j < count {
                let w = src + j &* stride
                var m = w[0], best = 0
                for off in TapOffsets(grid, skipFirst: true) where R.replaces(w[off], m) {
                    m = w[off]
                    best = off
                }
                dst[j] = m
                indices[j] = Int64(position &+ j &* stride &+ best)
                j &+= 1
            }
        } else if let indices {
            while j < count {
                let w = src + j &* stride
                var m = T.splat(w[0]), index = T.positionSplat(0)
                for off in TapOffsets(grid, skipFirst: true) {
                    R.step(&m, &index, T.splat(w[off]), T.positionSplat(off), T.self)
                }
                dst[j] = T.firstLane(m)
                indices[j] = Int64(position &+ j &* stride &+ T.firstLane(index))
                j &+= 1
            }
        } else {
            while j < count {
                let w = src + j &* stride
                var m = T.splat(w[0])
                for off in TapOffsets(grid, skipFirst: true) { m = R.step(m, T.splat(w[off]), T.self) }
                dst[j] = T.firstLane(m)
                j &+= 1
            }
        }
    }

    /// `count` windows `step` input positions apart (edge column rows, or planes),
    /// outputs `outStep` apart, lanes across them: element loads and inserts, used
    /// where no row is long enough to vectorise along. The last vector overlaps.
    /// Window l's argmax positions are offset by l*positionStep.
    @inline(never)
    static func strided<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ step: Int,
        _ dst: UnsafeMutablePointer<T>, _ outStep: Int, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _ positionStep: Int, _: T.Type, _: R.Type
    ) {
        let lanes = T.lanes
        var k = 0
        while k < count {
            let k0 = Swift.min(k, count &- lanes)
            let base = src + k0 &* step
            var m = T.gather(base, step)
            if let indices {
                let first = T.positionRamp(position &+ k0 &* positionStep, positionStep)
                var index = first
                for off in TapOffsets(grid, skipFirst: true) {
                    R.step(&m, &index, T.gather(base + off, step), T.add(first, T.positionSplat(off)), T.self)
                }
                T.scatter(m, dst + k0 &* outStep, outStep)
                T.scatterPositions(index, indices + k0 &* outStep, outStep)
            } else {
                // Each D slice's taps folded on their own, then the slices in order:
                // the scan-order fold regrouped (the rules' steps are associative),
                // as independent dependency chains instead of one.
                let slice = TapGrid(countD: 1, countH: grid.countH, countW: grid.countW,
                                    stepD: grid.stepD, stepH: grid.stepH, stepW: grid.stepW)
                for off in TapOffsets(slice, skipFirst: true) { m = R.step(m, T.gather(base + off, step), T.self) }
                var a = 1
                while a < grid.countD {
                    let sliceBase = base + a &* grid.stepD
                    var s = T.gather(sliceBase, step)
                    for off in TapOffsets(slice, skipFirst: true) {
                        s = R.step(s, T.gather(sliceBase + off, step), T.self)
                    }
                    m = R.step(m, s, T.self)
                    a &+= 1
                }
                T.scatter(m, dst + k0 &* outStep, outStep)
            }
            k = k0 &+ lanes
        }
    }

    /// Picks the row shape (2 or 3 adjacent taps, or any) of a vector run.
    @inline(__always)
    static func vectorRun<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type, _ loader: S, stream: Bool
    ) {
        if grid.stepW == 1 && grid.countW == 3 {
            vectorRun(src, grid, count, dst, indices, position, T.self, R.self, loader, ThreeTapRow.self, stream: stream)
        } else if grid.stepW == 1 && grid.countW == 2 {
            vectorRun(src, grid, count, dst, indices, position, T.self, R.self, loader, TwoTapRow.self, stream: stream)
        } else {
            vectorRun(src, grid, count, dst, indices, position, T.self, R.self, loader, AnyTapRow.self, stream: stream)
        }
    }

    /// `count` outputs (>= the loader's width) of one row or row pair; the last
    /// vector overlaps the previous one when count is not a multiple of the width.
    @inline(never)
    static func vectorRun<T: VectorElement, R: VectorMaxRule, S: LaneLoader, Shape: RowShape>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type, _ loader: S, _: Shape.Type, stream: Bool
    ) {
        vectors(src, grid, count, dst, indices, position, T.self, R.self, loader, Shape.self, stream: stream)
    }

    /// The rows of a block two at a time (rows narrower than a vector): one call for
    /// all its planes, so small planes pay no call per row pair.
    @inline(__always)
    static func pairBlock<T: VectorElement, R: VectorMaxRule>(
        _ plane: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        // A single row pairs with itself; the last pair of an odd row count overlaps
        // the previous one (outputs written twice, with the same values).
        let second = shape.rows >= 2 ? shape.rowStride : 0, secondOutput = shape.rows >= 2 ? shape.outRowStride : 0
        if shape.stride == 1 {
            pairRows(plane, grid, shape, dst, indices, position, T.self, R.self,
                     UnitStridePairs(second: second, secondOutput: secondOutput))
        } else {
            pairRows(plane, grid, shape, dst, indices, position, T.self, R.self,
                     DoubleStridePairs(second: second, secondOutput: secondOutput))
        }
    }

    @inline(__always)
    static func pairRows<T: VectorElement, R: VectorMaxRule, S: LaneLoader>(
        _ plane: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type, _ loader: S
    ) {
        if grid.stepW == 1 && grid.countW == 3 {
            pairRows(plane, grid, shape, dst, indices, position, T.self, R.self, loader, ThreeTapRow.self)
        } else if grid.stepW == 1 && grid.countW == 2 {
            pairRows(plane, grid, shape, dst, indices, position, T.self, R.self, loader, TwoTapRow.self)
        } else {
            pairRows(plane, grid, shape, dst, indices, position, T.self, R.self, loader, AnyTapRow.self)
        }
    }

    @inline(never)
    static func pairRows<T: VectorElement, R: VectorMaxRule, S: LaneLoader, Shape: RowShape>(
        _ plane: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type, _ loader: S, _: Shape.Type
    ) {
        for p in 0..<shape.planes {
            var r = 0
            while r < shape.rows {
                let r0 = Swift.max(0, Swift.min(r, shape.rows &- 2))
                let output = p &* shape.outPlaneStride &+ r0 &* shape.outRowStride
                vectors(plane + (p &* shape.planeStride &+ r0 &* shape.rowStride), grid, shape.count, dst + output,
                        indices.map { $0 + output }, position &+ r0 &* shape.rowStride, T.self, R.self, loader,
                        Shape.self)
                r = r0 &+ 2
            }
        }
    }

    @inline(__always)
    static func vectors<T: VectorElement, R: VectorMaxRule, S: LaneLoader, Shape: RowShape>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type, _ loader: S, _: Shape.Type, stream: Bool = false
    ) {
        let width = S.width(T.self)
        var j = 0
        if let indices {
            while j < count {
                let j0 = Swift.min(j, count &- width)
                let base = src + j0 &* S.stride
                let first = loader.positions(position &+ j0 &* S.stride, T.self)
                var m = loader.load(base, 0, T.self)
                var index = first
                Shape.maxIndexed(&m, &index, base, first, grid, first: true, T.self, R.self, loader)
                for off in LaterRows(grid) {
                    Shape.maxIndexed(&m, &index, base + off, T.add(first, T.positionSplat(off)), grid,
                                     first: false, T.self, R.self, loader)
                }
                loader.store(m, dst + j0)
                loader.store(index, indices + j0, T.self)
                j = j0 &+ width
            }
        } else {
            // Two vectors at a time: their independent max chains overlap. The fast
            // step is exact unless a window holds a NaN; whether any did is tested
            // once per run (a mask reduction per vector pair cost 20% of the 1D
            // stride-2 loop), and a run with one is then recomputed exactly.
            var okRun = T.allOrdered
            // Streaming stores (RunShape.streamStores), each vector pair one whole
            // 64-byte line, written without being read first: the outputs before the
            // first line boundary are stored normally (whole vectors, the last one
            // overlapping the first pair; same values), and so are those after the
            // last whole pair. A streamed part line would be merged in memory, slowly
            // (the interior rows of 8x64x112x112 k3 s2 p1, which start one element
            // past a boundary, took 3.5x as long with their aligned vectors streamed).
            let streaming = stream && count >= 6 &* width && 2 &* width &* MemoryLayout<T>.stride == 64
            if streaming {
                let gap = T.alignmentGap(dst, 64)
                while j < gap {
                    let j0 = Swift.max(0, Swift.min(j, gap &- width))
                    let base = src + j0 &* S.stride
                    var m = loader.load(base, 0, T.self)
                    var ok = T.allOrdered
                    Shape.maxFast(&m, &ok, base, grid, first: true, T.self, loader)
                    for off in LaterRows(grid) { Shape.maxFast(&m, &ok, base + off, grid, first: false, T.self, loader) }
                    okRun = T.and(okRun, ok)
                    if gap < width {
                        // Only the gap's elements: a whole vector would also store into
                        // the first streamed line, which the streaming store then finds
                        // in the cache (8x128x112x112 k2 s2, every other output row 16
                        // bytes before a boundary: 4.5x as long).
                        var lanes = m
                        withUnsafeMutablePointer(to: &lanes) { p in
                            let t = UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
                            loader.store(m, t)
                            for k in 0..<gap { dst[k] = t[k] }
                        }
                    } else {
                        loader.store(m, dst + j0)
                    }
                    j = j0 &+ width
                }
                j = gap
            }
            while j &+ 2 &* width <= count {
                let base0 = src + j &* S.stride, base1 = base0 + width &* S.stride
                var m0 = loader.load(base0, 0, T.self), m1 = loader.load(base1, 0, T.self)
                var ok0 = T.allOrdered, ok1 = T.allOrdered
                Shape.maxFast(&m0, &ok0, base0, grid, first: true, T.self, loader)
                Shape.maxFast(&m1, &ok1, base1, grid, first: true, T.self, loader)
                for off in LaterRows(grid) {
                    Shape.maxFast(&m0, &ok0, base0 + off, grid, first: false, T.self, loader)
                    Shape.maxFast(&m1, &ok1, base1 + off, grid, first: false, T.self, loader)
                }
                okRun = T.and(okRun, T.and(ok0, ok1))
                if streaming {
                    loader.storeStreamingAligned(m0, dst + j)
                    loader.storeStreamingAligned(m1, dst + (j &+ width))
                } else {
                    loader.store(m0, dst + j)
                    loader.store(m1, dst + (j &+ width))
                }
                j &+= 2 &* width
            }
            while j < count {
                let j0 = Swift.min(j, count &- width)
                let base = src + j0 &* S.stride
                var m = loader.load(base, 0, T.self)
                var ok = T.allOrdered
                Shape.maxFast(&m, &ok, base, grid, first: true, T.self, loader)
                for off in LaterRows(grid) {
                    Shape.maxFast(&m, &ok, base + off, grid, first: false, T.self, loader)
                }
                okRun = T.and(okRun, ok)
                if streaming && j0 < j {
                    // Only outputs j ..< count: the whole vector would store into the
                    // last streamed line too (8x128x112x112 k2 s2 with every other
                    // output row ending 16 bytes past a boundary: 4.5x as long).
                    var lanes = m
                    withUnsafeMutablePointer(to: &lanes) { p in
                        let t = UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
                        loader.store(m, t)
                        for k in (j &- j0)..<width { dst[j0 &+ k] = t[k] }
                    }
                } else {
                    loader.store(m, dst + j0)
                }
                j = j0 &+ width
            }
            if !T.all(okRun) {
                // Streamed outputs reach memory before the exact pass rewrites them
                // (else the caller fences once per block: a fence per row cost 3x on
                // 8x128x112x112 k2 s2).
                if streaming { spcpu_store_fence() }
                exactVectors(src, grid, count, dst, T.self, R.self, loader, Shape.self)
            }
        }
    }

    /// The outputs of `vectors` (without indices) in the exact step, for a run
    /// with a NaN in some window.
    @inline(never)
    static func exactVectors<T: VectorElement, R: VectorMaxRule, S: LaneLoader, Shape: RowShape>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ dst: UnsafeMutablePointer<T>,
        _: T.Type, _: R.Type, _ loader: S, _: Shape.Type
    ) {
        let width = S.width(T.self)
        var j = 0
        while j < count {
            let j0 = Swift.min(j, count &- width)
            let base = src + j0 &* S.stride
            var m = loader.load(base, 0, T.self)
            Shape.maxExact(&m, base, grid, first: true, T.self, R.self, loader)
            for off in LaterRows(grid) {
                Shape.maxExact(&m, base + off, grid, first: false, T.self, R.self, loader)
            }
            loader.store(m, dst + j0)
            j = j0 &+ width
        }
    }

    /// Channels-last run: lanes are channels. Blocks of four vectors keep four
    /// running maxima in registers over all taps; a channel count that is not a
    /// multiple of the lane count ends with an overlapping vector.
    /// Without indices, fewer channels than lanes take one vector per pixel
    /// while enough pixels follow in the run (the scalar loop ends the run).
    @inline(__always)
    static func channelsLast<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ count: Int, _ stride: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type, stream: Bool = false, newRows: Int = 0
    ) {
        let C = channels
        let elementGrid = TapGrid(countD: grid.countD, countH: grid.countH, countW: grid.countW,
                                  stepD: grid.stepD &* C, stepH: grid.stepH &* C, stepW: grid.stepW &* C)
        // Windows that do not overlap along the row (2x2 stride 2): each window row's
        // next stride * C elements, about 4 KiB ahead, non-temporal (read once).
        // The hardware prefetcher alone left 2x2 stride 2 over 128 channels at 72% of
        // copy bandwidth; overlapping windows (3x3 stride 2) were slower with it.
        let advanceBytes = stride &* C &* MemoryLayout<T>.stride
        // Overlapping windows (3x3 stride 2): the rows' next 4 KiB too, into L1
        // (prefetcht0: the next window reads them again), but only the window rows
        // that the previous output row did not read (`newRows`: those are in the
        // cache). 8x64x112x112 k3 s2 p1 at 1 thread: 1518-1603 -> 1158-1257 us
        // (min of 5, interleaved), 2 threads 604 -> 532; every window row, or 8 or
        // 16 KiB ahead, or into the outer caches (prefetcht2): 1266-1670.
        // 3D windows are not prefetched: their slices repeat across output planes
        // (2x64x16x56x56 k3 s2 p1: 1290-1550 -> 1750-1880 us with the 2D rule).
        let prefetchOnce = grid.countW <= stride
        let prefetchAhead = advanceBytes >= 256 && (prefetchOnce || grid.countD == 1) ? Swift.max(1, 4096 / advanceBytes) : 0
        // Without indices, the fast max step is exact unless a window holds a NaN;
        // whether any did is tested once per run (a mask reduction per 32 channels
        // cost 20% on 2x2 stride 2 over 128 channels), and a run with one is then
        // computed again, whole and in the same order, with the NaN rule.
        var okRun = T.allOrdered
        channelsLastPixels(src, grid, elementGrid, C, count, stride, dst, indices, position, prefetchAhead,
                           advanceBytes, prefetchOnce, newRows, &okRun, exact: false, stream: stream, T.self, R.self)
        if indices == nil && !T.all(okRun) {
            // Streamed lines reach memory before the exact pass rewrites them.
            if stream { spcpu_store_fence() }
            channelsLastPixels(src, grid, elementGrid, C, count, stride, dst, indices, position, prefetchAhead,
                               advanceBytes, prefetchOnce, newRows, &okRun, exact: true, stream: false, T.self, R.self)
        }
    }

    /// One pass of channelsLast over the run's pixels (`exact`: the NaN rule's
    /// steps; else the fast steps, clearing okRun's lanes where a tap was NaN).
    /// A static function, not a local one: a local function capturing okRun cost
    /// a heap allocation per call.
    @inline(__always)
    static func channelsLastPixels<T: VectorElement, R: VectorMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ elementGrid: TapGrid, _ C: Int, _ count: Int, _ stride: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _ prefetchAhead: Int, _ advanceBytes: Int, _ prefetchOnce: Bool, _ newRows: Int, _ okRun: inout T.Mask,
        exact: Bool, stream: Bool,
        _: T.Type, _: R.Type
    ) {
        let lanes = T.lanes
        var j = 0
        while j < count {
            let w = src + j &* stride &* C
            let out = dst + j &* C
            let pos = position &+ j &* stride
            if C >= lanes && (indices == nil || pos &+ grid.span <= T.maxVectorPosition) {
                if let indices {
                    let idx = indices + j &* C
                    var c0 = 0
                    while c0 &+ lanes <= C {
                        channelBlockIndexed(w + c0, grid, elementGrid, out + c0, idx + c0, pos, T.self, R.self)
                        c0 &+= lanes
                    }
                    if c0 < C {
                        channelBlockIndexed(w + (C &- lanes), grid, elementGrid, out + (C &- lanes),
                                            idx + (C &- lanes), pos, T.self, R.self)
                    }
                } else {
                    if prefetchAhead > 0 && j &+ prefetchAhead < count {
                        if prefetchOnce {
                            prefetchWindowRows(w + prefetchAhead &* stride &* C, elementGrid, advanceBytes, once: true)
                        } else {
                            let q = w + prefetchAhead &* stride &* C
                            var a = 0
                            while a < elementGrid.countD {
                                var b = newRows
                                while b < elementGrid.countH {
                                    prefetchBytes(q + (a &* elementGrid.stepD &+ b &* elementGrid.stepH), advanceBytes)
                                    b &+= 1
                                }
                                a &+= 1
                            }
                        }
                    }
                    var c0 = 0
                    while c0 &+ 4 &* lanes <= C {
                        channelBlock4(w + c0, elementGrid, out + c0, &okRun, exact: exact, stream: stream,
                                      T.self, R.self)
                        c0 &+= 4 &* lanes
                    }
                    while c0 &+ lanes <= C {
                        channelBlock1(w + c0, elementGrid, out + c0, &okRun, exact: exact, T.self, R.self)
                        c0 &+= lanes
                    }
                    if c0 < C {
                        channelBlock1(w + (C &- lanes), elementGrid, out + (C &- lanes), &okRun, exact: exact,
                                      T.self, R.self)
                    }
                }
            } else if indices == nil && (count &- 1 &- j) &* C >= lanes &- C {
                // Fewer channels than lanes: one vector per pixel. Lanes past C hold
                // the next pixels' channels at the same taps; their results spill
                // into the next pixels' outputs, which this run rewrites later, and
                // their loads stay inside the windows those pixels read.
                channelBlock1(w, elementGrid, out, &okRun, exact: exact, T.self, R.self)
            } else {
                var c = 0
                while c < C {
                    let wc = w + c
                    var m = wc[0], best = 0
                    for (off, element) in TapPairs(grid, elementGrid, skipFirst: true) {
                        let v = wc[element]
                        let take = R.replaces(v, m)
                        m = take ? v : m
                        best = take ? off : best
                    }
                    out[c] = m
                    indices?[j &* C &+ c] = Int64(pos &+ best)
                    c &+= 1
                }
            }
            j &+= 1
        }
    }

    /// Four vectors of channels over all taps: max instructions, clearing `ok`'s
    /// lanes where a tap was NaN (the caller then runs again with `exact`), or with
    /// `exact` (a constant after inlining) the NaN rule's steps.
    @inline(__always)
    static func channelBlock4<T: VectorElement, R: VectorMaxRule>(
        _ w: UnsafePointer<T>, _ elementGrid: TapGrid, _ out: UnsafeMutablePointer<T>, _ ok: inout T.Mask,
        exact: Bool, stream: Bool = false, _: T.Type, _: R.Type
    ) {
        let l = T.lanes
        var m0 = T.load(w), m1 = T.load(w + l), m2 = T.load(w + 2 &* l), m3 = T.load(w + 3 &* l)
        if exact {
            for off in TapOffsets(elementGrid, skipFirst: true) {
                let t = w + off
                m0 = R.step(m0, T.load(t), T.self)
                m1 = R.step(m1, T.load(t + l), T.self)
                m2 = R.step(m2, T.load(t + 2 &* l), T.self)
                m3 = R.step(m3, T.load(t + 3 &* l), T.self)
            }
        } else {
            var okHere = T.and(T.ordered(m0, m1), T.ordered(m2, m3))
            for off in TapOffsets(elementGrid, skipFirst: true) {
                let t = w + off
                let v0 = T.load(t), v1 = T.load(t + l), v2 = T.load(t + 2 &* l), v3 = T.load(t + 3 &* l)
                m0 = T.maxNumber(m0, v0)
                m1 = T.maxNumber(m1, v1)
                m2 = T.maxNumber(m2, v2)
                m3 = T.maxNumber(m3, v3)
                okHere = T.and(okHere, T.and(T.ordered(v0, v1), T.ordered(v2, v3)))
            }
            ok = T.and(ok, okHere)
        }
        // RunShape.streamStores: four vectors from a line boundary are two whole
        // lines (float32 and float64 alike), streamed (the block fences).
        if stream && MemoryLayout<T.Vector>.size == 32 && UInt(bitPattern: out) & 63 == 0 {
            T.storeStreamingAligned(m0, out); T.storeStreamingAligned(m1, out + l)
            T.storeStreamingAligned(m2, out + 2 &* l); T.storeStreamingAligned(m3, out + 3 &* l)
        } else {
            T.store(m0, out); T.store(m1, out + l); T.store(m2, out + 2 &* l); T.store(m3, out + 3 &* l)
        }
    }

    @inline(__always)
    static func channelBlock1<T: VectorElement, R: VectorMaxRule>(
        _ w: UnsafePointer<T>, _ elementGrid: TapGrid, _ out: UnsafeMutablePointer<T>, _ ok: inout T.Mask,
        exact: Bool, _: T.Type, _: R.Type
    ) {
        var m = T.load(w)
        if exact {
            for off in TapOffsets(elementGrid, skipFirst: true) { m = R.step(m, T.load(w + off), T.self) }
        } else {
            var okHere = T.ordered(m, m)
            for off in TapOffsets(elementGrid, skipFirst: true) {
                let v = T.load(w + off)
                m = T.maxNumber(m, v)
                okHere = T.and(okHere, T.ordered(v, v))
            }
            ok = T.and(ok, okHere)
        }
        T.store(m, out)
    }

    @inline(__always)
    static func channelBlockIndexed<T: VectorElement, R: VectorMaxRule>(
        _ w: UnsafePointer<T>, _ grid: TapGrid, _ elementGrid: TapGrid, _ out: UnsafeMutablePointer<T>,
        _ idx: UnsafeMutablePointer<Int64>, _ pos: Int, _: T.Type, _: R.Type
    ) {
        var m = T.load(w)
        var index = T.positionSplat(pos)
        for (off, element) in TapPairs(grid, elementGrid, skipFirst: true) {
            R.step(&m, &index, T.load(w + element), T.positionSplat(pos &+ off), T.self)
        }
        T.store(m, out)
        T.storePositions(index, idx)
    }
}

/// Offsets of a grid's taps in scan order (D, H, W), in the grid's own units;
/// `skipFirst` leaves out tap (0, 0, 0). A struct iterator rather than a closure,
/// so that hot loops compile to plain nested loops.
struct TapOffsets: Sequence, IteratorProtocol {
    let grid: TapGrid
    var a = 0, b = 0, c: Int, row = 0

    @inline(__always)
    init(_ grid: TapGrid, skipFirst: Bool) {
        self.grid = grid
        c = skipFirst ? 1 : 0
    }

    @inline(__always)
    mutating func next() -> Int? {
        if c == grid.countW {
            c = 0
            b &+= 1
            if b == grid.countH {
                b = 0
                a &+= 1
            }
            row = a &* grid.stepD &+ b &* grid.stepH
        }
        guard a < grid.countD else { return nil }
        defer { c &+= 1 }
        return row &+ c &* grid.stepW
    }
}

/// As TapOffsets, with a second grid of equal counts walked along (plane positions
/// and element offsets of channels-last tensors): (position, element) pairs.
struct TapPairs: Sequence, IteratorProtocol {
    var positions: TapOffsets
    var elements: TapOffsets

    @inline(__always)
    init(_ grid: TapGrid, _ elementGrid: TapGrid, skipFirst: Bool) {
        positions = TapOffsets(grid, skipFirst: skipFirst)
        elements = TapOffsets(elementGrid, skipFirst: skipFirst)
    }

    @inline(__always)
    mutating func next() -> (Int, Int)? {
        guard let p = positions.next(), let e = elements.next() else { return nil }
        return (p, e)
    }
}

/// Step kinds of MaxRows.separableChunk: one max instruction plus NaN checks, or
/// the NaN rule's exact step.
protocol SeparableSteps { static var exact: Bool { get } }
enum FastSteps: SeparableSteps { static var exact: Bool { false } }
enum ExactSteps: SeparableSteps { static var exact: Bool { true } }
