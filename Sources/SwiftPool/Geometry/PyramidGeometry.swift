// Spatial pyramid pooling (SPP-net, He et al. 2014): validation of levels, bin
// rule and per-sample sizes, the output vector's layout, and the bins of a level.
import CSwiftPool

/// Reduction of each bin (swiftpool_spp_mode).
enum PyramidMode { case max, average }

/// How a level of n bins divides an axis (swiftpool_spp_bins).
enum PyramidBins { case adaptive, sppnet }

/// One pyramid level: rows x columns bins.
struct PyramidLevel: Equatable {
    var rows: Int
    var columns: Int
}

/// (first, second) pairs of a flat int64 list: the caller's levels or per-sample
/// sizes. The C layer copies the caller's list into scratch that lives for the whole
/// call (on the stack; see LpAdaptiveSppExports) and the geometry reads it in place,
/// so a call builds no array; tests pass Swift arrays.
struct Int64Pairs {
    enum Storage {
        case buffer(UnsafePointer<Int64>)
        case array([Int64])
    }
    var storage: Storage
    /// Number of pairs, and of int64 entries (2 * count, or one more).
    var count: Int
    var entries: Int

    init(_ base: UnsafePointer<Int64>, pairs: Int) {
        storage = .buffer(base)
        count = pairs
        entries = 2 &* pairs
    }

    init(_ flat: [Int64]) {
        storage = .array(flat)
        count = flat.count / 2
        entries = flat.count
    }

    @inline(__always)
    subscript(i: Int) -> (Int64, Int64) {
        switch storage {
        case .buffer(let p): return (p[2 &* i], p[2 &* i &+ 1])
        case .array(let a): return (a[2 &* i], a[2 &* i &+ 1])
        }
    }
}

/// The pyramid's levels, validated (every entry >= 1), read from an Int64Pairs.
struct PyramidLevels: RandomAccessCollection {
    var pairs: Int64Pairs
    var startIndex: Int { 0 }
    var endIndex: Int { pairs.count }
    @inline(__always)
    subscript(l: Int) -> PyramidLevel {
        let (h, w) = pairs[l]
        return PyramidLevel(rows: Int(h), columns: Int(w))
    }
}

/// Per-sample valid sizes, validated (1...H, 1...W), read from an Int64Pairs.
struct PyramidSampleSizes {
    var pairs: Int64Pairs
    var count: Int { pairs.count }
    @inline(__always)
    subscript(n: Int) -> (rows: Int, columns: Int) {
        let (h, w) = pairs[n]
        return (Int(h), Int(w))
    }
}

/// A validated spatial pyramid pooling problem (2D).
struct PyramidGeometry {
    static let name = "spatial_pyramid_pool"

    var tensor: PoolTensorFields
    var levels: PyramidLevels
    var mode: PyramidMode
    var bins: PyramidBins
    /// Valid (rows, columns) per sample, the top-left corner of the map; nil when
    /// every sample is the whole H x W map.
    var sampleSizes: PyramidSampleSizes?
    /// Elements per sample: C * sum(rows * columns).
    var length: Int

    var layout: swiftpool_layout { tensor.layout }
    var dtype: swiftpool_dtype { tensor.dtype }
    var batch: Int { tensor.batch }
    var channels: Int { tensor.channels }
    var height: Int { tensor.inputSizes[0] }
    var width: Int { tensor.inputSizes[1] }
    var nanIgnore: Bool { tensor.flags & UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) != 0 }
    var inputElements: Int { tensor.inputElements }
    var outputElements: Int { batch * length }

    /// Valid rows and columns of sample `n`.
    @inline(__always)
    func validSize(_ n: Int) -> (rows: Int, columns: Int) {
        sampleSizes?[n] ?? (height, width)
    }

    /// The input range [begin, end) of bin `i` of `count` bins over an axis of
    /// valid length `length` (validated for the rule).
    @inline(__always)
    static func bin(_ i: Int, of count: Int, length: Int, rule: PyramidBins) -> (begin: Int, end: Int) {
        switch rule {
        case .adaptive:
            return AdaptiveAxis(inputSize: length, outputSize: count).bin(i)
        case .sppnet:
            // The paper's pooling layer: window ceil(L/n), stride floor(L/n), no padding.
            let stride = length / count, window = (length + count - 1) / count
            return (i * stride, i * stride + window)
        }
    }

    /// Bins first...last of a level of `count` bins whose union is exactly the
    /// range [begin, end) (consecutive bins overlap or touch), if there are at most
    /// `limit` of them; else nil. A coarser level's max bin is then the max of
    /// those finer bins' maxima. Bin begins and ends never decrease with i.
    static func cover(_ begin: Int, _ end: Int, of count: Int, length: Int, rule: PyramidBins,
                      limit: Int) -> (first: Int, last: Int)? {
        // The first bin that begins at or after `begin`.
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo &+ hi) / 2
            if bin(mid, of: count, length: length, rule: rule).begin < begin { lo = mid &+ 1 } else { hi = mid }
        }
        guard lo < count, bin(lo, of: count, length: length, rule: rule).begin == begin else { return nil }
        var i = lo
        var reach = bin(i, of: count, length: length, rule: rule).end
        while reach < end {
            i &+= 1
            guard i < count, i &- lo < limit else { return nil }
            let b = bin(i, of: count, length: length, rule: rule)
            guard b.begin <= reach else { return nil }
            reach = b.end
        }
        return reach == end ? (lo, i) : nil
    }

    /// Levels from the caller's (h, w) pairs, validated.
    static func levels(_ pairs: Int64Pairs, name: String) throws(PoolError) -> PyramidLevels {
        guard pairs.entries > 0 else { throw .invalid("\(name): num_levels is 0, must be >= 1") }
        for l in 0..<pairs.count {
            let (h, w) = pairs[l]
            guard h >= 1 else { throw .invalid("\(name): levels[\(2 * l)] (level \(l) rows) is \(h), must be >= 1") }
            guard w >= 1 else { throw .invalid("\(name): levels[\(2 * l + 1)] (level \(l) columns) is \(w), must be >= 1") }
        }
        return PyramidLevels(pairs: pairs)
    }

    /// channels * sum(rows * columns): elements per sample. (Level l starts at the
    /// sum over the levels before it: see levelOffset.)
    static func layout(channels: Int, levels: PyramidLevels, name: String) throws(PoolError) -> Int {
        guard channels >= 1 else { throw .invalid("\(name): channels is \(channels), must be >= 1") }
        var length = 0
        for (l, level) in levels.enumerated() {
            let size = try PoolTensorFields.checkedProduct(SmallInts(channels, level.rows, level.columns),
                "\(name): level \(l) (\(level.rows) x \(level.columns)) x channels \(channels) overflows int64")
            let (sum, overflow) = length.addingReportingOverflow(size)
            guard !overflow else { throw .overflow("\(name): output length of \(levels.count) levels x channels \(channels) overflows int64") }
            length = sum
        }
        return length
    }

    /// Elements of one level in a sample's vector (channels * rows * columns;
    /// validated not to overflow).
    @inline(__always)
    func levelSize(_ l: Int) -> Int {
        let level = levels[l]
        return channels &* level.rows &* level.columns
    }

    /// The SPP-net rule needs n windows of ceil(L/n) at stride floor(L/n) tiling
    /// [0, L) exactly: L >= n and L mod n in {0, 1}. Otherwise names what breaks.
    static func checkSppnet(length: Int, count: Int, what: @autoclosure () -> String) throws(PoolError) {
        guard length >= count else {
            throw .shape("\(what()) is \(length), smaller than the level's \(count) bins: the SPP-net stride floor(\(length)/\(count)) is 0 (use SWIFTPOOL_SPP_BINS_ADAPTIVE)")
        }
        let stride = length / count, window = (length + count - 1) / count
        let windows = (length - window) / stride + 1
        guard windows == count else {
            throw .shape("\(what()) is \(length): SPP-net window \(window), stride \(stride) gives \(windows) bins, not \(count) (use SWIFTPOOL_SPP_BINS_ADAPTIVE)")
        }
        let covered = (count - 1) * stride + window
        guard covered == length else {
            throw .shape("\(what()) is \(length): SPP-net window \(window), stride \(stride) leaves elements [\(covered), \(length)) never pooled (use SWIFTPOOL_SPP_BINS_ADAPTIVE)")
        }
    }

    /// For tests: levels and sizes as flat arrays.
    init(_ desc: swiftpool_pool_desc, levels flatLevels: [Int64], mode rawMode: Int32, bins rawBins: Int32,
         sizes: [Int64]?) throws(PoolError) {
        try self.init(desc, levels: Int64Pairs(flatLevels), mode: rawMode, bins: rawBins, sizes: sizes.map(Int64Pairs.init))
    }

    /// `levels`: the caller's (h, w) pairs; `sizes`: nil or the caller's (h, w) pairs
    /// (at least N of them: fewer is BUFFER_TOO_SMALL). Both must stay valid and
    /// unchanged while the geometry is used.
    init(_ desc: swiftpool_pool_desc, levels flatLevels: Int64Pairs, mode rawMode: Int32, bins rawBins: Int32,
         sizes: Int64Pairs?) throws(PoolError) {
        let name = PyramidGeometry.name
        switch UInt32(bitPattern: rawMode) {
        case SWIFTPOOL_SPP_MAX.rawValue: mode = .max
        case SWIFTPOOL_SPP_AVG.rawValue: mode = .average
        default: throw .unsupported("\(name): mode is \(rawMode), expected SWIFTPOOL_SPP_MAX=1 or SWIFTPOOL_SPP_AVG=2")
        }
        switch UInt32(bitPattern: rawBins) {
        case SWIFTPOOL_SPP_BINS_ADAPTIVE.rawValue: bins = .adaptive
        case SWIFTPOOL_SPP_BINS_SPPNET.rawValue: bins = .sppnet
        default: throw .unsupported("\(name): bins is \(rawBins), expected SWIFTPOOL_SPP_BINS_ADAPTIVE=1 or SWIFTPOOL_SPP_BINS_SPPNET=2")
        }
        let tensor = try PoolTensorFields(desc, name: name,
                                          allowedFlags: mode == .max ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0,
                                          ranks: 2...2, floatingPoint: mode == .average)
        let levels = try PyramidGeometry.levels(flatLevels, name: name)
        let length = try PyramidGeometry.layout(channels: tensor.channels, levels: levels, name: name)
        try PoolTensorFields.checkedProduct(SmallInts(length, tensor.batch, tensor.elementSize),
            "\(name): output size batch \(tensor.batch) x length \(length) x \(tensor.elementSize) bytes overflows int64")
        let (H, W) = (tensor.inputSizes[0], tensor.inputSizes[1])
        for (l, level) in levels.enumerated() {
            // Adaptive bin arithmetic must not overflow on the largest map.
            _ = try AdaptiveAxis.validated(input: H, output: level.rows, name: "\(name): level \(l) rows")
            _ = try AdaptiveAxis.validated(input: W, output: level.columns, name: "\(name): level \(l) columns")
        }

        var sampleSizes: PyramidSampleSizes? = nil
        if let sizes {
            guard sizes.entries >= 2 * tensor.batch else {
                throw .tooSmall("\(name): \(sizes.entries) sizes entries, batch \(tensor.batch) needs \(2 * tensor.batch) ((h, w) per sample)")
            }
            for n in 0..<tensor.batch {
                let (h, w) = sizes[n]
                guard (1...Int64(H)).contains(h) else {
                    throw .invalid("\(name): sizes[\(2 * n)] (sample \(n) height) is \(h), must be in 1...\(H) (input_size H)")
                }
                guard (1...Int64(W)).contains(w) else {
                    throw .invalid("\(name): sizes[\(2 * n + 1)] (sample \(n) width) is \(w), must be in 1...\(W) (input_size W)")
                }
            }
            sampleSizes = PyramidSampleSizes(pairs: sizes)
        }

        if bins == .sppnet {
            // Every (height, width) against every level, samples in order. The first
            // failure is the same as when only distinct sizes were checked (a repeated
            // size fails first where it first appears); a size equal to the previous
            // sample's is skipped (no set to track the others: no allocation).
            let samples = sampleSizes == nil ? 1 : tensor.batch
            var previous: (rows: Int, columns: Int)? = nil
            for n in 0..<samples {
                let size: (rows: Int, columns: Int) = sampleSizes.map { $0[n] } ?? (H, W)
                if let previous, previous == size { continue }
                previous = size
                func prefix(_ l: Int, _ level: PyramidLevel) -> String {
                    let whose = sampleSizes == nil ? "input " : "sample \(n) (sizes) "
                    return "\(name): bins SPPNET, level \(l) (\(level.rows) x \(level.columns)): \(whose)"
                }
                for (l, level) in levels.enumerated() {
                    try PyramidGeometry.checkSppnet(length: size.rows, count: level.rows, what: prefix(l, level) + "height")
                    try PyramidGeometry.checkSppnet(length: size.columns, count: level.columns, what: prefix(l, level) + "width")
                }
            }
        }

        self.tensor = tensor
        self.levels = levels
        self.sampleSizes = sampleSizes
        self.length = length
    }
}
