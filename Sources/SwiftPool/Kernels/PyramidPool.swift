// Spatial pyramid pooling, all levels from one read of the input.
//
// Every bin edge of every level, along each axis, cuts the sample's valid region
// into cells; each bin of each level is then exactly a rectangle of whole cells
// (bins of one level may share cells when they overlap). The kernel reduces each
// input element once into its cell, one band of cell rows at a time, and folds the
// finished band into every bin that covers it. Max is exact under this regrouping;
// a mean differs from a direct sum only by Double rounding.
import CSwiftPool
import SwiftPoolKernelABI

/// The reduction of a bin: how elements and partial results combine.
protocol PyramidReducer {
    associatedtype Element: PoolElement
    associatedtype Accumulator
    static var identity: Accumulator { get }
    static func add(_ a: Accumulator, _ x: Element) -> Accumulator
    static func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator
    /// `count`: the bin's element count.
    static func finish(_ a: Accumulator, count: Int) -> Element
}

/// Max under a NaN rule. Cells and bins are never empty, so NaN handling composes:
/// a NaN cell taints its bins (propagate) or loses to any number (ignore).
enum PyramidMax<T: PoolElement, R: MaxRule>: PyramidReducer {
    @inline(__always) static var identity: T { R.initial(empty: false) }
    @inline(__always) static func add(_ a: T, _ x: T) -> T { R.replaces(x, a) ? x : a }
    @inline(__always) static func merge(_ a: T, _ b: T) -> T { R.replaces(b, a) ? b : a }
    @inline(__always) static func finish(_ a: T, count: Int) -> T { a }
}

/// Mean, accumulated in Double.
enum PyramidAvg<T: PoolElement>: PyramidReducer {
    @inline(__always) static var identity: Double { 0 }
    @inline(__always) static func add(_ a: Double, _ x: T) -> Double { a + x.poolWide }
    @inline(__always) static func merge(_ a: Double, _ b: Double) -> Double { a + b }
    @inline(__always) static func finish(_ a: Double, count: Int) -> T { T(poolWide: a / Double(count)) }
}

enum PyramidPoolKernel {
    /// Channels reduced side by side: NHWC takes all C of a pixel; NCHW copies
    /// this many planes into a channels-last tile first, so its loops run across
    /// channels too (one element per plane would leave them scalar).
    static let tileChannels = 16

    /// Scratch the kernel needs per worker, in accumulators: one band of cells and
    /// every bin of one sample, for `width` channels side by side (NHWC: C; NCHW: a
    /// tile). NCHW also needs the tile itself (scratchTile elements).
    static func scratchCounts(_ g: PyramidGeometry) -> (cells: Int, bins: Int) {
        let width = laneWidth(g)
        // Cells along W are bounded by the map's width and by the bin edges (2 per bin).
        var edges = 0
        for level in g.levels where edges < g.width { edges += 2 * Swift.min(level.columns, g.width) }
        let cellsW = Swift.min(g.width, edges)
        // bins * width <= length, validated (width <= C).
        return (cellsW * width, g.length / g.channels * width)
    }

    /// Largest NCHW plane copied into a tile (elements): larger maps are reduced in
    /// place, one plane at a time, and keep the stack scratch small.
    static let tilePlaneLimit = 4096

    static func laneWidth(_ g: PyramidGeometry) -> Int {
        if g.layout == SWIFTPOOL_LAYOUT_NHWC { return g.channels }
        return g.height * g.width <= tilePlaneLimit ? Swift.min(g.channels, tileChannels) : 1
    }

    /// Elements of the NCHW tile (0 for NHWC and untiled NCHW).
    static func scratchTile(_ g: PyramidGeometry) -> Int {
        let width = laneWidth(g)
        return g.layout == SWIFTPOOL_LAYOUT_NHWC || width == 1 ? 0 : g.height * g.width * width
    }

    /// The cell edges of an axis of valid length `length` (rows: the levels' row
    /// counts, else their column counts): every bin edge of every level, sorted and
    /// distinct (always 0 first and `length` last), written to e; returns their count
    /// (at most length + 1).
    static func edges(_ g: PyramidGeometry, length: Int, rows: Bool, into e: UnsafeMutablePointer<Int>) -> Int {
        var n = 0
        // Insertion into the sorted distinct list (edges are few).
        func insert(_ v: Int) {
            var lo = 0, hi = n
            while lo < hi {
                let mid = (lo &+ hi) / 2
                if e[mid] < v { lo = mid &+ 1 } else { hi = mid }
            }
            if lo < n && e[lo] == v { return }
            var i = n
            while i > lo { e[i] = e[i &- 1]; i &-= 1 }
            e[lo] = v
            n &+= 1
        }
        for level in g.levels {
            let count = rows ? level.rows : level.columns
            if count >= length {
                // At least one bin per element: every position is an edge (and a
                // huge level costs no more than the map).
                for v in 0...length { insert(v) }
                continue
            }
            for i in 0..<count {
                let b = PyramidGeometry.bin(i, of: count, length: length, rule: g.bins)
                insert(b.begin)
                insert(b.end)
            }
        }
        return n
    }

    /// Runs every sample; work units are samples (NHWC) or tiles of channels of a
    /// sample (NCHW), spread over `threads`. Each unit gets its own scratch, on the
    /// stack of the thread running it (`scratchBytes` per unit).
    /// Bytes of one worker's scratch (cells and bins, then the tile), nil when that
    /// overflows Int.
    static func scratchBytes<Red: PyramidReducer>(_ g: PyramidGeometry, _: Red.Type) -> Int? {
        let (cells, bins) = scratchCounts(g)
        let (accBytes, o1) = Swift.max(cells &+ bins, 1).multipliedReportingOverflow(
            by: MemoryLayout<Red.Accumulator>.stride)
        let (tileBytes, o2) = Swift.max(scratchTile(g), 1).multipliedReportingOverflow(
            by: MemoryLayout<Red.Element>.stride)
        let (total, o3) = tileOffset(accBytes, Red.self).addingReportingOverflow(tileBytes)
        return o1 || o2 || o3 ? nil : total
    }

    /// Byte offset of the tile after `accBytes` of accumulators, aligned for elements.
    @inline(__always)
    static func tileOffset<Red: PyramidReducer>(_ accBytes: Int, _: Red.Type) -> Int {
        let a = MemoryLayout<Red.Element>.alignment
        return (accBytes &+ a &- 1) / a &* a
    }

    /// Scratch up to this size lives on each worker's stack; a larger one is one
    /// checked heap block from the caller (`heapScratch`, OUT_OF_MEMORY if that
    /// fails) and the call runs on the calling thread.
    static let stackScratchLimit = 64 * 1024

    static func run<Red: PyramidReducer>(_ g: PyramidGeometry, _: Red.Type,
                                         _ input: UnsafePointer<Red.Element>,
                                         _ output: UnsafeMutablePointer<Red.Element>, threads: Int,
                                         heapScratch: UnsafeMutableRawPointer? = nil) {
        if Red.self == PyramidMax<Float, PropagateNaN>.self || Red.self == PyramidMax<Float, IgnoreNaN>.self,
           floatMaxTiled(g, nanIgnore: Red.self == PyramidMax<Float, IgnoreNaN>.self,
                                 UnsafeRawPointer(input).assumingMemoryBound(to: Float.self),
                                 UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self), threads: threads) {
            return
        }
        let threads = heapScratch == nil ? threads : 1
        let nhwc = g.layout == SWIFTPOOL_LAYOUT_NHWC
        let C = g.channels, H = g.height, W = g.width
        let width = laneWidth(g)
        let (cellCount, binCount) = scratchCounts(g)
        let tileCount = scratchTile(g)
        let groups = nhwc ? 1 : (C &+ width &- 1) / width
        let length = g.length
        // The bin -> cell tables depend only on the sample's size: one per distinct
        // size, built before the parallel loop (read-only inside it).
        // The tables live in one buffer sized for the largest sample (on the stack
        // unless the pyramid is huge): no allocation per call or per size.
        withTableBuffer(tableCapacity(g, H, W)) { buffer in
            if g.sampleSizes == nil {
                let t = UnsafeBufferPointer(rebasing: buffer[0..<tables(g, H, W, into: buffer)])
                Parallel.forEachRange(units: g.batch &* groups, unitWork: H &* W &* width &* 2, threads: threads) { range in
                    withScratch(Red.self, cells: cellCount, bins: binCount, tile: tileCount, heap: heapScratch) { cells, bins, tile in
                        for u in range {
                            let n = u / groups, group = u &- n &* groups
                            unit(Red.self, t, nhwc: nhwc, C: C, H: H, W: W, width: width, n: n, group: group, input, tile,
                                 output + n &* length, cells: cells, bins: bins)
                        }
                    }
                }
                return
            }
            // Per-sample sizes: samples in order, tables rebuilt when the size changes.
            withScratch(Red.self, cells: cellCount, bins: binCount, tile: tileCount, heap: heapScratch) { cells, bins, tile in
                var lastH = -1, lastW = -1, used = 0
                for n in 0..<g.batch {
                    let (h, w) = g.validSize(n)
                    if h != lastH || w != lastW {
                        used = tables(g, h, w, into: buffer)
                        lastH = h
                        lastW = w
                    }
                    let t = UnsafeBufferPointer(rebasing: buffer[0..<used])
                    for group in 0..<groups {
                        unit(Red.self, t, nhwc: nhwc, C: C, H: H, W: W, width: width, n: n, group: group, input, tile,
                             output + n &* length, cells: cells, bins: bins)
                    }
                }
            }
        }
    }

    /// Entries tables() needs for samples of at most h x w: the edges along an axis
    /// are distinct positions in 0...h (0...w).
    static func tableCapacity(_ g: PyramidGeometry, _ h: Int, _ w: Int) -> Int {
        var ranges = 0
        for level in g.levels { ranges &+= level.rows &+ level.columns }
        return 6 &* g.levels.count &+ 3 &* ranges &+ (h &+ 1) &+ (w &+ 1) &+ 6
    }

    /// Tables of up to stackScratchLimit bytes (16,384 entries) are built on the
    /// stack; larger ones (thousands of bins) on the heap (withStackScratch).
    @inline(__always)
    static func withTableBuffer(_ capacity: Int, _ body: (UnsafeMutableBufferPointer<Int>) -> Void) {
        withStackScratch(of: Int.self, capacity: capacity) { body($0) }
    }

    /// Largest plane (elements) of the float32 channels-first max kernel: its tile
    /// holds 8 planes (64 KiB of stack at most).
    static let floatMaxPlaneLimit = 2048
    /// Largest number of bins (all levels) it takes; its bin table is on the stack.
    static let floatMaxBinLimit = 1024

    /// Float32 max (every sample H x W, either layout) through the family's
    /// PyramidMaxPlanes kernel: 8 channels at a time, SIMD across them (NCHW planes
    /// transposed into a tile; NHWC pixels' 8 channels gathered, one load each), the
    /// bin table built here once on the stack (no allocation). False (nothing
    /// written) for other problems. NHWC went through the generic cell kernel
    /// before: 8x256x13x13, levels (4,2,1), 136 us at 1 thread.
    static func floatMaxTiled(_ g: PyramidGeometry, nanIgnore: Bool, _ input: UnsafePointer<Float>,
                                      _ output: UnsafeMutablePointer<Float>, threads: Int) -> Bool {
        let H = g.height, W = g.width, C = g.channels
        guard g.sampleSizes == nil, H &* W <= floatMaxPlaneLimit else { return false }
        let nhwc = g.layout == SWIFTPOOL_LAYOUT_NHWC
        var binCount = 0
        for level in g.levels {
            // Levels are validated to fit the output length; stop counting once too many.
            guard binCount <= floatMaxBinLimit, level.rows <= floatMaxBinLimit, level.columns <= floatMaxBinLimit else {
                return false
            }
            binCount &+= level.rows &* level.columns
        }
        guard binCount <= floatMaxBinLimit else { return false }
        let kernel = nanIgnore ? ISA.kernels.floatPyramidMax.1 : ISA.kernels.floatPyramidMax.0
        let length = g.length
        let levelCount = g.levels.count
        withStackScratch(of: Int.self, capacity: PyramidPlanes.entries &* binCount &+ 3 &* levelCount) { table in
            let t = table.baseAddress!
            // Levels in order of decreasing bin count (stable): a coarse level's bins
            // can then be the max of finer bins already computed (composition).
            // placed[k]: the level at table position k; start[k]: its first bin;
            // offsets[l]: where level l starts in a sample's vector.
            let placed = t + PyramidPlanes.entries &* binCount, start = placed + levelCount
            let offsets = start + levelCount
            var offset = 0
            for l in 0..<levelCount {
                placed[l] = l
                offsets[l] = offset
                offset &+= g.levelSize(l)
            }
            for a in 1..<Swift.max(levelCount, 1) {
                let l = placed[a], size = g.levels[l].rows &* g.levels[l].columns
                var b = a
                while b > 0 && g.levels[placed[b &- 1]].rows &* g.levels[placed[b &- 1]].columns < size {
                    placed[b] = placed[b &- 1]
                    b &-= 1
                }
                placed[b] = l
            }
            var k = 0
            var bin = 0
            for position in 0..<levelCount {
                let l = placed[position]
                let level = g.levels[l]
                let plane = level.rows &* level.columns
                let levelOffset = offsets[l]
                start[position] = bin
                for i in 0..<level.rows {
                    let rb = PyramidGeometry.bin(i, of: level.rows, length: H, rule: g.bins)
                    for j in 0..<level.columns {
                        let cb = PyramidGeometry.bin(j, of: level.columns, length: W, rule: g.bins)
                        t[k] = rb.begin; t[k &+ 1] = rb.end; t[k &+ 2] = cb.begin; t[k &+ 3] = cb.end
                        t[k &+ 4] = levelOffset &+ i &* level.columns &+ j
                        t[k &+ 5] = plane
                        // The cheapest cover by a recent finer level's bins, if cheaper than the taps.
                        var best = (rb.end &- rb.begin) &* (cb.end &- cb.begin)
                        t[k &+ 6] = -1; t[k &+ 7] = 0; t[k &+ 8] = 0; t[k &+ 9] = 0
                        for f in Swift.max(0, position &- 4)..<position {
                            let fine = g.levels[placed[f]]
                            guard let r = PyramidGeometry.cover(rb.begin, rb.end, of: fine.rows, length: H, rule: g.bins,
                                                                limit: best),
                                  let c = PyramidGeometry.cover(cb.begin, cb.end, of: fine.columns, length: W, rule: g.bins,
                                                                limit: best / (r.last &- r.first &+ 1))
                            else { continue }
                            let cost = (r.last &- r.first &+ 1) &* (c.last &- c.first &+ 1)
                            if cost < best {
                                best = cost
                                t[k &+ 6] = start[f] &+ r.first &* fine.columns &+ c.first
                                t[k &+ 7] = r.last &- r.first &+ 1
                                t[k &+ 8] = c.last &- c.first &+ 1
                                t[k &+ 9] = fine.columns
                            }
                        }
                        k &+= PyramidPlanes.entries
                        bin &+= 1
                    }
                }
            }
            let groups = (C &+ 7) / 8
            Parallel.forEachRange(units: g.batch &* groups, unitWork: H &* W &* 8 &* 2, threads: threads) { range in
                withStackScratch(of: Float.self, capacity: (H &* W &+ binCount) &* 8) { tile in
                    for u in range {
                        let n = u / groups, c0 = (u &- n &* groups) &* 8
                        let p = PyramidPlanes(planes: Swift.min(8, C &- c0), channelBase: c0, H: H, W: W,
                                              bins: UnsafePointer(t), binCount: binCount, tile: tile.baseAddress!,
                                              results: tile.baseAddress! + H &* W &* 8, pixelStride: nhwc ? C : 0)
                        kernel(input + (nhwc ? n &* H &* W &* C &+ c0 : (n &* C &+ c0) &* H &* W), p, output + n &* length)
                    }
                }
            }
        }
        return true
    }

    /// Scratch for one worker: cells, bins and (NCHW) the tile; carved from `heap`
    /// (scratchBytes of it) when given, else on the stack.
    @inline(__always)
    static func withScratch<Red: PyramidReducer>(
        _: Red.Type, cells: Int, bins: Int, tile: Int, heap: UnsafeMutableRawPointer?,
        _ body: (UnsafeMutablePointer<Red.Accumulator>, UnsafeMutablePointer<Red.Accumulator>,
                 UnsafeMutablePointer<Red.Element>) -> Void
    ) {
        if let heap {
            let acc = heap.bindMemory(to: Red.Accumulator.self, capacity: Swift.max(cells &+ bins, 1))
            let offset = tileOffset(Swift.max(cells &+ bins, 1) &* MemoryLayout<Red.Accumulator>.stride, Red.self)
            let t = (heap + offset).bindMemory(to: Red.Element.self, capacity: Swift.max(tile, 1))
            body(acc, acc + cells, t)
            return
        }
        withStackScratch(of: Red.Accumulator.self, capacity: Swift.max(cells &+ bins, 1)) { acc in
            withStackScratch(of: Red.Element.self, capacity: Swift.max(tile, 1)) { t in
                body(acc.baseAddress!, acc.baseAddress! + cells, t.baseAddress!)
            }
        }
    }

    /// One work unit: sample `n`, all channels (NHWC) or the channels of tile `group`
    /// (NCHW, copied channels-last into `tile` first).
    @inline(__always)
    static func unit<Red: PyramidReducer>(
        _: Red.Type, _ t: UnsafeBufferPointer<Int>, nhwc: Bool, C: Int, H: Int, W: Int, width: Int, n: Int, group: Int,
        _ input: UnsafePointer<Red.Element>, _ tile: UnsafeMutablePointer<Red.Element>,
        _ sample: UnsafeMutablePointer<Red.Element>,
        cells: UnsafeMutablePointer<Red.Accumulator>, bins: UnsafeMutablePointer<Red.Accumulator>
    ) {
        if nhwc {
            reduce(Red.self, t, input + n &* H &* W &* C, pixelStride: C, lanes: C, W: W, channelBase: 0, sample,
                   cells: cells, bins: bins)
            return
        }
        // NCHW: planes c0 ..< c0 + lanes of sample n, transposed into the tile (only
        // the sample's valid rows and columns are read by reduce; copy them all).
        let c0 = group &* width, lanes = Swift.min(width, C &- c0)
        let plane = H &* W
        if width == 1 {
            reduce(Red.self, t, input + (n &* C &+ c0) &* plane, pixelStride: 1, lanes: 1, W: W, channelBase: c0, sample,
                   cells: cells, bins: bins)
            return
        }
        let src = input + (n &* C &+ c0) &* plane
        for k in 0..<lanes {
            let s = src + k &* plane
            var p = 0
            while p < plane { tile[p &* lanes &+ k] = s[p]; p &+= 1 }
        }
        reduce(Red.self, t, UnsafePointer(tile), pixelStride: lanes, lanes: lanes, W: W, channelBase: c0, sample,
               cells: cells, bins: bins)
    }

    /// Every level of `lanes` channels stored side by side (pixel p's channel k at
    /// base[p*pixelStride + k]), into the sample's vector (channels channelBase...).
    @inline(__always)
    static func reduce<Red: PyramidReducer>(
        _: Red.Type, _ t: UnsafeBufferPointer<Int>, _ base: UnsafePointer<Red.Element>, pixelStride: Int, lanes width: Int,
        W: Int, channelBase: Int, _ sample: UnsafeMutablePointer<Red.Element>,
        cells: UnsafeMutablePointer<Red.Accumulator>, bins: UnsafeMutablePointer<Red.Accumulator>
    ) {
        // Layout of `t` (see tables()): per level 6 entries, then row and column
        // ranges (cell begin, cell end, elements) of every bin row / column,
        // then the row and column cell edges.
        let rowEdges = t[t.count &- 2], colEdges = t[t.count &- 1]
        let cellsH = t[t.count &- 4], cellsW = t[t.count &- 3]
        let totalBins = t[t.count &- 5], levelCount = t[t.count &- 6]
        for b in 0..<(totalBins &* width) { bins[b] = Red.identity }
        for band in 0..<cellsH {
            // Reduce the band's elements into its cells.
            for k in 0..<(cellsW &* width) { cells[k] = Red.identity }
            for r in t[rowEdges &+ band]..<t[rowEdges &+ band &+ 1] {
                let row = base + r &* W &* pixelStride
                for cj in 0..<cellsW {
                    let cell = cells + cj &* width
                    let c0 = t[colEdges &+ cj], c1 = t[colEdges &+ cj &+ 1]
                    for col in c0..<c1 {
                        let p = row + col &* pixelStride
                        for k in 0..<width { cell[k] = Red.add(cell[k], p[k]) }
                    }
                }
            }
            // Fold the band into every bin whose rows cover it.
            for l in 0..<levelCount {
                let rows = t[6 &* l], columns = t[6 &* l &+ 1]
                let rowRanges = t[6 &* l &+ 2], colRanges = t[6 &* l &+ 3], binBase = t[6 &* l &+ 4]
                for i in 0..<rows where t[rowRanges &+ 3 &* i] <= band && band < t[rowRanges &+ 3 &* i &+ 1] {
                    for j in 0..<columns {
                        let acc = bins + (binBase &+ i &* columns &+ j) &* width
                        let c0 = t[colRanges &+ 3 &* j], c1 = t[colRanges &+ 3 &* j &+ 1]
                        for cj in c0..<c1 {
                            let cell = cells + cj &* width
                            for k in 0..<width { acc[k] = Red.merge(acc[k], cell[k]) }
                        }
                    }
                }
            }
        }
        // Write each level channel-major: element c*rows*columns + i*columns + j.
        for l in 0..<levelCount {
            let rows = t[6 &* l], columns = t[6 &* l &+ 1]
            let rowRanges = t[6 &* l &+ 2], colRanges = t[6 &* l &+ 3], binBase = t[6 &* l &+ 4]
            let plane = rows &* columns
            let dst = sample + (t[6 &* l &+ 5] &+ channelBase &* plane)
            for i in 0..<rows {
                let rowElements = t[rowRanges &+ 3 &* i &+ 2]
                for j in 0..<columns {
                    let count = rowElements &* t[colRanges &+ 3 &* j &+ 2]
                    let acc = bins + (binBase &+ i &* columns &+ j) &* width
                    let o = dst + (i &* columns &+ j)
                    for k in 0..<width { o[k &* plane] = Red.finish(acc[k], count: count) }
                }
            }
        }
    }

    /// The bin/cell bookkeeping of one sample size, flattened into one Int table
    /// (`t`, at least tableCapacity entries; returns the entries used) so the loops
    /// above touch no nested arrays:
    ///   [6 per level: rows, columns, start of its row ranges, start of its column
    ///   ranges, its first bin, its offset in a sample's vector] + [(cell begin, cell
    ///   end, elements) per bin row, then per bin column] + row edges + column edges
    ///   + [levels, total bins, cellsH, cellsW, start of row edges, start of column edges].
    static func tables(_ g: PyramidGeometry, _ h: Int, _ w: Int, into t: UnsafeMutableBufferPointer<Int>) -> Int {
        let base = t.baseAddress!
        var ranges = 0
        for level in g.levels { ranges &+= level.rows &+ level.columns }
        let rowStart = 6 &* g.levels.count &+ 3 &* ranges
        let rowCount = edges(g, length: h, rows: true, into: base + rowStart)
        let colStart = rowStart &+ rowCount
        let colCount = edges(g, length: w, rows: false, into: base + colStart)
        /// Index of the first edge >= value among `count` sorted edges at `start`.
        func lowerBound(_ start: Int, _ count: Int, _ value: Int) -> Int {
            var lo = 0, hi = count
            while lo < hi {
                let mid = (lo &+ hi) / 2
                if t[start &+ mid] < value { lo = mid &+ 1 } else { hi = mid }
            }
            return lo
        }
        var totalBins = 0
        var k = 6 &* g.levels.count
        var levelOffset = 0   // start of level l in a sample's vector
        for l in 0..<g.levels.count {
            let level = g.levels[l]
            t[6 &* l] = level.rows
            t[6 &* l &+ 1] = level.columns
            t[6 &* l &+ 4] = totalBins
            t[6 &* l &+ 5] = levelOffset
            levelOffset &+= g.levelSize(l)
            totalBins &+= level.rows &* level.columns
            t[6 &* l &+ 2] = k
            for i in 0..<level.rows {
                let b = PyramidGeometry.bin(i, of: level.rows, length: h, rule: g.bins)
                t[k] = lowerBound(rowStart, rowCount, b.begin)
                t[k &+ 1] = lowerBound(rowStart, rowCount, b.end)
                t[k &+ 2] = b.end &- b.begin
                k &+= 3
            }
            t[6 &* l &+ 3] = k
            for j in 0..<level.columns {
                let b = PyramidGeometry.bin(j, of: level.columns, length: w, rule: g.bins)
                t[k] = lowerBound(colStart, colCount, b.begin)
                t[k &+ 1] = lowerBound(colStart, colCount, b.end)
                t[k &+ 2] = b.end &- b.begin
                k &+= 3
            }
        }
        let end = colStart &+ colCount
        t[end] = g.levels.count
        t[end &+ 1] = totalBins
        t[end &+ 2] = rowCount &- 1
        t[end &+ 3] = colCount &- 1
        t[end &+ 4] = rowStart
        t[end &+ 5] = colStart
        return end &+ 6
    }
}
