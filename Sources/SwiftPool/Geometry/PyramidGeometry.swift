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

/// A validated spatial pyramid pooling problem (2D).
struct PyramidGeometry {
    static let name = "spatial_pyramid_pool"

    var tensor: PoolTensorFields
    var levels: [PyramidLevel]
    var mode: PyramidMode
    var bins: PyramidBins
    /// Valid (rows, columns) per sample, the top-left corner of the map; nil when
    /// every sample is the whole H x W map.
    var sampleSizes: [(rows: Int, columns: Int)]?
    /// Elements per sample: C * sum(rows * columns).
    var length: Int
    /// Start of each level in a sample's vector.
    var levelOffsets: [Int]

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

    /// Levels from the caller's (h, w) pairs.
    static func levels(_ flat: [Int64], name: String) throws(PoolError) -> [PyramidLevel] {
        guard !flat.isEmpty else { throw .invalid("\(name): num_levels is 0, must be >= 1") }
        var levels: [PyramidLevel] = []
        for l in 0..<(flat.count / 2) {
            let h = flat[2 * l], w = flat[2 * l + 1]
            guard h >= 1 else { throw .invalid("\(name): levels[\(2 * l)] (level \(l) rows) is \(h), must be >= 1") }
            guard w >= 1 else { throw .invalid("\(name): levels[\(2 * l + 1)] (level \(l) columns) is \(w), must be >= 1") }
            levels.append(PyramidLevel(rows: Int(h), columns: Int(w)))
        }
        return levels
    }

    /// channels * sum(rows * columns), and where each level starts in a sample's vector.
    static func layout(channels: Int, levels: [PyramidLevel], name: String) throws(PoolError) -> (length: Int, offsets: [Int]) {
        guard channels >= 1 else { throw .invalid("\(name): channels is \(channels), must be >= 1") }
        var offsets: [Int] = []
        var length = 0
        for (l, level) in levels.enumerated() {
            offsets.append(length)
            let size = try PoolTensorFields.checkedProduct([channels, level.rows, level.columns],
                "\(name): level \(l) (\(level.rows) x \(level.columns)) x channels \(channels) overflows int64")
            let (sum, overflow) = length.addingReportingOverflow(size)
            guard !overflow else { throw .overflow("\(name): output length of \(levels.count) levels x channels \(channels) overflows int64") }
            length = sum
        }
        return (length, offsets)
    }

    /// The SPP-net rule needs n windows of ceil(L/n) at stride floor(L/n) tiling
    /// [0, L) exactly: L >= n and L mod n in {0, 1}. Otherwise names what breaks.
    static func checkSppnet(length: Int, count: Int, what: String) throws(PoolError) {
        guard length >= count else {
            throw .shape("\(what) is \(length), smaller than the level's \(count) bins: the SPP-net stride floor(\(length)/\(count)) is 0 (use SWIFTPOOL_SPP_BINS_ADAPTIVE)")
        }
        let stride = length / count, window = (length + count - 1) / count
        let windows = (length - window) / stride + 1
        guard windows == count else {
            throw .shape("\(what) is \(length): SPP-net window \(window), stride \(stride) gives \(windows) bins, not \(count) (use SWIFTPOOL_SPP_BINS_ADAPTIVE)")
        }
        let covered = (count - 1) * stride + window
        guard covered == length else {
            throw .shape("\(what) is \(length): SPP-net window \(window), stride \(stride) leaves elements [\(covered), \(length)) never pooled (use SWIFTPOOL_SPP_BINS_ADAPTIVE)")
        }
    }

    /// `levels`: the caller's (h, w) pairs; `sizes`: nil or the caller's N (h, w) pairs.
    init(_ desc: swiftpool_pool_desc, levels flatLevels: [Int64], mode rawMode: Int32, bins rawBins: Int32,
         sizes: [Int64]?) throws(PoolError) {
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
        let (length, offsets) = try PyramidGeometry.layout(channels: tensor.channels, levels: levels, name: name)
        try PoolTensorFields.checkedProduct([length, tensor.batch, tensor.elementSize],
            "\(name): output size batch \(tensor.batch) x length \(length) x \(tensor.elementSize) bytes overflows int64")
        let (H, W) = (tensor.inputSizes[0], tensor.inputSizes[1])
        for (l, level) in levels.enumerated() {
            // Adaptive bin arithmetic must not overflow on the largest map.
            _ = try AdaptiveAxis.validated(input: H, output: level.rows, name: "\(name): level \(l) rows")
            _ = try AdaptiveAxis.validated(input: W, output: level.columns, name: "\(name): level \(l) columns")
        }

        var sampleSizes: [(rows: Int, columns: Int)]? = nil
        if let sizes {
            guard sizes.count >= 2 * tensor.batch else {
                throw .tooSmall("\(name): \(sizes.count) sizes entries, batch \(tensor.batch) needs \(2 * tensor.batch) ((h, w) per sample)")
            }
            var list: [(rows: Int, columns: Int)] = []
            list.reserveCapacity(tensor.batch)
            for n in 0..<tensor.batch {
                let h = sizes[2 * n], w = sizes[2 * n + 1]
                guard (1...Int64(H)).contains(h) else {
                    throw .invalid("\(name): sizes[\(2 * n)] (sample \(n) height) is \(h), must be in 1...\(H) (input_size H)")
                }
                guard (1...Int64(W)).contains(w) else {
                    throw .invalid("\(name): sizes[\(2 * n + 1)] (sample \(n) width) is \(w), must be in 1...\(W) (input_size W)")
                }
                list.append((Int(h), Int(w)))
            }
            sampleSizes = list
        }

        if bins == .sppnet {
            // Every distinct (height, width) against every level.
            let distinct: [(rows: Int, columns: Int, sample: Int?)] = sampleSizes.map { list in
                var seen = Set<[Int]>()
                return list.enumerated().compactMap { n, s in seen.insert([s.rows, s.columns]).inserted ? (s.rows, s.columns, n) : nil }
            } ?? [(H, W, nil)]
            for size in distinct {
                let whose = size.sample.map { "sample \($0) (sizes) " } ?? "input "
                for (l, level) in levels.enumerated() {
                    let prefix = "\(name): bins SPPNET, level \(l) (\(level.rows) x \(level.columns)): \(whose)"
                    try PyramidGeometry.checkSppnet(length: size.rows, count: level.rows, what: prefix + "height")
                    try PyramidGeometry.checkSppnet(length: size.columns, count: level.columns, what: prefix + "width")
                }
            }
        }

        self.tensor = tensor
        self.levels = levels
        self.sampleSizes = sampleSizes
        self.length = length
        self.levelOffsets = offsets
    }
}
