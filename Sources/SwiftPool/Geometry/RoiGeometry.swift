// ROI max pooling: parameter validation and the bins of each box (torchvision's
// roi_pool CPU kernel, ONNX MaxRoiPool), the one place that computes them.
import CSwiftPool

/// A validated ROI max-pooling problem (torchvision.ops.roi_pool, ONNX MaxRoiPool).
struct RoiGeometry {
    var tensor: TensorGeometry
    var height: Int
    var width: Int
    var numBoxes: Int
    var pooledHeight: Int
    var pooledWidth: Int

    var inputPlane: Int { height * width }
    var inputElements: Int { tensor.batch * tensor.channels * inputPlane }
    var outputPlane: Int { pooledHeight * pooledWidth }
    var outputElements: Int { numBoxes * tensor.channels * outputPlane }
    var boxElements: Int { numBoxes * 5 }

    /// For tests: the output size as an array.
    init(_ desc: swiftpool_pool_desc, numBoxes: Int, outputSize: [Int], function: String) throws(PoolError) {
        try self.init(desc, numBoxes: numBoxes, outputSize: SmallInts(outputSize.prefix(2)), function: function)
    }

    init(_ desc: swiftpool_pool_desc, numBoxes: Int, outputSize: SmallInts, function: String) throws(PoolError) {
        let t = try TensorGeometry(desc, function: function, ranks: 2...2, allowedFlags: 0, floatOnly: true)
        guard numBoxes >= 0 else { throw .invalid("\(function): num_boxes is \(numBoxes), must be >= 0") }
        guard outputSize[0] >= 1 else { throw .invalid("\(function): output_size[0] (pooled_height) is \(outputSize[0]), must be >= 1") }
        guard outputSize[1] >= 1 else { throw .invalid("\(function): output_size[1] (pooled_width) is \(outputSize[1]), must be >= 1") }
        _ = try TensorGeometry.elements(SmallInts(numBoxes, t.channels) + outputSize, elementSize: t.elementSize,
                                        what: "output", function: function)
        _ = try TensorGeometry.elements(SmallInts(numBoxes, 5), elementSize: t.elementSize, what: "boxes", function: function)
        self.tensor = t
        self.height = t.sizes[0]
        self.width = t.sizes[1]
        self.numBoxes = numBoxes
        self.pooledHeight = outputSize[0]
        self.pooledWidth = outputSize[1]
    }

    /// spatial_scale rounded to the element type (torchvision passes it as T); finite and > 0.
    static func scale<T: BinaryFloatingPoint>(_ spatialScale: Double, as _: T.Type, function: String) throws(PoolError) -> T {
        let s = T(spatialScale)
        guard s.isFinite && s > 0 else {
            throw .invalid("\(function): spatial_scale is \(spatialScale) (\(s) in the element type), must be finite and > 0")
        }
        return s
    }

    /// One box, decoded: its batch element and the clipped input range of every bin row
    /// and column (an empty range is an empty bin).
    struct Box<T: BinaryFloatingPoint> {
        var batch: Int
        var rows: Bins<T>
        var columns: Bins<T>
    }

    /// The bins along one box side, computed on demand (`bins[p]`): a box may have
    /// millions of them, and an array of ranges per box would be a Swift allocation,
    /// which aborts the host when memory runs out.
    struct Bins<T: BinaryFloatingPoint> {
        var size: T
        var offset: Int
        var limit: Int

        subscript(p: Int) -> Range<Int> {
            // floor/ceil of values in [0, 2^33]: exact integers, so the conversions are safe.
            let start = Int((T(p) * size).rounded(.down)) + offset
            let end = Int((T(p + 1) * size).rounded(.up)) + offset
            let lo = Swift.min(Swift.max(start, 0), limit), hi = Swift.min(Swift.max(end, 0), limit)
            return lo..<Swift.max(lo, hi)
        }
    }

    /// Decodes box `k` from its five values (batch_index, x1, y1, x2, y2) with all
    /// arithmetic in T, as torchvision: coordinates scaled and rounded half away from
    /// zero, malformed boxes forced to 1x1, bins floor/ceil of multiples of the bin size,
    /// offset by the box corner and clipped to the map.
    func box<T: BinaryFloatingPoint>(_ k: Int, _ v: (T, T, T, T, T), scale: T,
                                     function: String) -> Result<Box<T>, PoolError> {
        // Built only on failure: the kernel decodes every box again.
        func place() -> String { "\(function): boxes[\(k)]" }
        guard v.0.isFinite else { return .failure(.invalid("\(place()).batch_index is \(v.0), must be finite")) }
        let b = v.0.rounded(.towardZero)          // C's (int) conversion
        guard b >= 0 && b < 0x1p62 && Int(b) < tensor.batch else {
            return .failure(.invalid("\(place()).batch_index is \(v.0), must be in [0, \(tensor.batch)) (batch)"))
        }
        // The four corners in order, without an array (this runs per box, twice per call).
        func corner(_ name: StaticString, _ x: T) -> Result<Int, PoolError> {
            guard x.isFinite else { return .failure(.invalid("\(place()).\(name) is \(x), must be finite")) }
            let r = (x * scale).rounded(.toNearestOrAwayFromZero)
            guard r >= -0x1p31 && r < 0x1p31 else {
                return .failure(.invalid("\(place()).\(name) is \(x); scaled by \(scale) and rounded it is \(r), outside int32 (torchvision's coordinate type)"))
            }
            return .success(Int(r))
        }
        let x1: Int, y1: Int, x2: Int, y2: Int
        switch corner("x1", v.1) { case .success(let c): x1 = c; case .failure(let e): return .failure(e) }
        switch corner("y1", v.2) { case .success(let c): y1 = c; case .failure(let e): return .failure(e) }
        switch corner("x2", v.3) { case .success(let c): x2 = c; case .failure(let e): return .failure(e) }
        switch corner("y2", v.4) { case .success(let c): y2 = c; case .failure(let e): return .failure(e) }
        let roiWidth = Swift.max(x2 - x1 + 1, 1), roiHeight = Swift.max(y2 - y1 + 1, 1)
        return .success(Box(batch: Int(b),
                            rows: RoiGeometry.bins(roiHeight, pooledHeight, offset: y1, limit: height, as: T.self),
                            columns: RoiGeometry.bins(roiWidth, pooledWidth, offset: x1, limit: width, as: T.self)))
    }

    /// Input ranges of the `pooled` bins across a box side of `length` elements.
    static func bins<T: BinaryFloatingPoint>(_ length: Int, _ pooled: Int, offset: Int, limit: Int,
                                             as _: T.Type) -> Bins<T> {
        Bins(size: T(length) / T(pooled), offset: offset, limit: limit)
    }

    /// Checks every box before anything is written.
    func validate<T: BinaryFloatingPoint>(boxes: UnsafeBufferPointer<T>, scale: T, function: String) throws(PoolError) {
        for k in 0..<numBoxes {
            let r = 5 * k
            let values = (boxes[r], boxes[r + 1], boxes[r + 2], boxes[r + 3], boxes[r + 4])
            if case .failure(let error) = box(k, values, scale: scale, function: function) {
                throw error
            }
        }
    }
}
