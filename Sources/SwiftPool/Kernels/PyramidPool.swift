// Spatial pyramid pooling, all levels from one read of the input.
//
// Every bin edge of every level, along each axis, cuts the sample's valid region
// into cells; each bin of each level is then exactly a rectangle of whole cells
// (bins of one level may share cells when they overlap). The kernel reduces each
// input element once into its cell, one band of cell rows at a time, and folds the
// finished band into every bin that covers it. Max is exact under this regrouping;
// a mean differs from a direct sum only by Double rounding.
import CSwiftPool

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
    /// Scratch the kernel needs, in accumulators: one band of cells and every bin
    /// of one sample (NHWC: for all channels at once; NCHW: for one channel).
    static func scratchCounts(_ g: PyramidGeometry) -> (cells: Int, bins: Int) {
        let width = g.layout == SWIFTPOOL_LAYOUT_NHWC ? g.channels : 1
        // Cells along W are bounded by the map's width and by the bin edges (2 per bin).
        var edges = 0
        for level in g.levels where edges < g.width { edges += 2 * Swift.min(level.columns, g.width) }
        let cellsW = Swift.min(g.width, edges)
        // bins * width <= length, validated.
        return (cellsW * width, g.length / g.channels * width)
    }

    /// The cell edges of an axis of valid length `length`: every bin edge of every
    /// level, sorted and distinct (always starts at 0 and ends at `length`).
    static func edges(length: Int, counts: [Int], rule: PyramidBins) -> [Int] {
        var all: [Int] = []
        for count in counts {
            for i in 0..<count {
                let b = PyramidGeometry.bin(i, of: count, length: length, rule: rule)
                all.append(b.begin)
                all.append(b.end)
            }
        }
        all.sort()
        var distinct: [Int] = []
        for e in all where distinct.last != e { distinct.append(e) }
        return distinct
    }

    static func run<Red: PyramidReducer>(_ g: PyramidGeometry, _: Red.Type,
                                         _ input: UnsafePointer<Red.Element>,
                                         _ output: UnsafeMutablePointer<Red.Element>,
                                         cells: UnsafeMutablePointer<Red.Accumulator>,
                                         bins: UnsafeMutablePointer<Red.Accumulator>) {
        let nhwc = g.layout == SWIFTPOOL_LAYOUT_NHWC
        let C = g.channels, H = g.height, W = g.width
        let width = nhwc ? C : 1, pixelStride = nhwc ? C : 1
        // Start of each level's bins in `bins`, in bins.
        var binOffsets: [Int] = []
        var totalBins = 0
        for level in g.levels { binOffsets.append(totalBins); totalBins += level.rows * level.columns }

        for n in 0..<g.batch {
            let (h, w) = g.validSize(n)
            let rowEdges = edges(length: h, counts: g.levels.map(\.rows), rule: g.bins)
            let colEdges = edges(length: w, counts: g.levels.map(\.columns), rule: g.bins)
            let cellsW = colEdges.count - 1
            // Per level and bin: its cells [first, last) along rows / columns, and its size.
            func cellRange(_ edges: [Int], _ b: (begin: Int, end: Int)) -> (Int, Int) {
                (lowerBound(edges, b.begin), lowerBound(edges, b.end))
            }
            let rowCells = g.levels.map { level in
                (0..<level.rows).map { cellRange(rowEdges, PyramidGeometry.bin($0, of: level.rows, length: h, rule: g.bins)) }
            }
            let colCells = g.levels.map { level in
                (0..<level.columns).map { cellRange(colEdges, PyramidGeometry.bin($0, of: level.columns, length: w, rule: g.bins)) }
            }

            for group in 0..<(nhwc ? 1 : C) {
                let base = nhwc ? input + n &* H &* W &* C : input + (n &* C &+ group) &* H &* W
                for b in 0..<(totalBins &* width) { bins[b] = Red.identity }
                for band in 0..<(rowEdges.count - 1) {
                    // Reduce the band's elements into its cells.
                    for k in 0..<(cellsW &* width) { cells[k] = Red.identity }
                    for r in rowEdges[band]..<rowEdges[band + 1] {
                        let row = base + r &* W &* pixelStride
                        for cj in 0..<cellsW {
                            let cell = cells + cj &* width
                            if width == 1 {
                                var a = cell[0]
                                for col in colEdges[cj]..<colEdges[cj + 1] { a = Red.add(a, row[col]) }
                                cell[0] = a
                            } else {
                                for col in colEdges[cj]..<colEdges[cj + 1] {
                                    let p = row + col &* pixelStride
                                    for k in 0..<width { cell[k] = Red.add(cell[k], p[k]) }
                                }
                            }
                        }
                    }
                    // Fold the band into every bin whose rows cover it.
                    for (l, level) in g.levels.enumerated() {
                        for i in 0..<level.rows where rowCells[l][i].0 <= band && band < rowCells[l][i].1 {
                            for j in 0..<level.columns {
                                let acc = bins + (binOffsets[l] &+ i &* level.columns &+ j) &* width
                                for cj in colCells[l][j].0..<colCells[l][j].1 {
                                    let cell = cells + cj &* width
                                    for k in 0..<width { acc[k] = Red.merge(acc[k], cell[k]) }
                                }
                            }
                        }
                    }
                }
                // Write each level channel-major: element c*rows*columns + i*columns + j.
                let sample = output + n &* g.length
                for (l, level) in g.levels.enumerated() {
                    let dst = sample + g.levelOffsets[l]
                    let plane = level.rows &* level.columns
                    for i in 0..<level.rows {
                        let rb = PyramidGeometry.bin(i, of: level.rows, length: h, rule: g.bins)
                        for j in 0..<level.columns {
                            let cb = PyramidGeometry.bin(j, of: level.columns, length: w, rule: g.bins)
                            let count = (rb.end &- rb.begin) &* (cb.end &- cb.begin)
                            let acc = bins + (binOffsets[l] &+ i &* level.columns &+ j) &* width
                            for k in 0..<width {
                                let c = nhwc ? k : group
                                dst[c &* plane &+ i &* level.columns &+ j] = Red.finish(acc[k], count: count)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Index of the first element of sorted `a` that is >= `value`.
    @inline(__always)
    static func lowerBound(_ a: [Int], _ value: Int) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
