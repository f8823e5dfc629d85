// Max unpooling: parameter validation, the output size rule, and index checks.
import CSwiftPool

/// A validated max-unpooling problem (torch.nn.functional.max_unpool{1,2,3}d, ONNX MaxUnpool).
struct UnpoolGeometry {
    var tensor: TensorGeometry
    /// Spatial sizes of x (the pooled tensor) and of the output, lifted to (D, H, W).
    var inputSize: (Int, Int, Int)
    var outputSize: (Int, Int, Int)
    /// SWIFTPOOL_FLAG_INDICES_GLOBAL: indices count over the whole output (ONNX).
    var indicesGlobal: Bool

    var inputPlane: Int { inputSize.0 * inputSize.1 * inputSize.2 }
    var outputPlane: Int { outputSize.0 * outputSize.1 * outputSize.2 }
    var planes: Int { tensor.batch * tensor.channels }
    var inputElements: Int { planes * inputPlane }
    var outputElements: Int { planes * outputPlane }
    /// Output spatial sizes, outermost first, `spatialRank` entries.
    var outputSizes: SmallInts { SmallInts(outputSize.0, outputSize.1, outputSize.2).suffix(tensor.spatialRank) }

    /// Validates `desc` (the pooled tensor and the pooling it undoes) and the requested
    /// output size (nil: the default of PyTorch and ONNX).
    /// For tests: the requested size as an array.
    init(_ desc: swiftpool_pool_desc, outputSize requested: [Int]?, function: String) throws(PoolError) {
        try self.init(desc, outputSize: requested.map { SmallInts($0.prefix(3)) }, function: function)
    }

    init(_ desc: swiftpool_pool_desc, outputSize requested: SmallInts?, function: String) throws(PoolError) {
        let t = try TensorGeometry(desc, function: function, ranks: 1...3,
                                   allowedFlags: UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL), floatOnly: false)
        let rank = t.spatialRank
        guard desc.ceil_mode == 0 else {
            throw .invalid("\(function): ceil_mode is \(desc.ceil_mode), must be 0 (unpooling has no ceil_mode)")
        }
        guard desc.auto_pad == Int32(bitPattern: SWIFTPOOL_AUTO_PAD_NOTSET.rawValue) else {
            throw .invalid("\(function): auto_pad is \(desc.auto_pad), must be 0 (NOTSET): ONNX MaxUnpool has no auto_pad")
        }
        var outputs = SmallInts()
        for i in 0..<rank {
            // Built only on the error path (validation must not allocate).
            var axis: String { "\(function): axis \(i) (\(TensorGeometry.axisName(i, rank: rank)))" }
            let input = t.sizes[i], kernel = tupleElement(desc.kernel_size, i), stride = tupleElement(desc.stride, i)
            let padding = tupleElement(desc.padding, i)
            let dilation = tupleElement(desc.dilation, i), requestedEnd = tupleElement(desc.padding_end, i)
            guard kernel >= 1 else { throw .invalid("\(axis): kernel_size is \(kernel), must be >= 1") }
            guard stride >= 1 else { throw .invalid("\(axis): stride is \(stride), must be >= 1") }
            guard dilation == 1 else {
                throw .invalid("\(axis): dilation is \(dilation), must be 1 (unpooling has no dilation)")
            }
            guard padding >= 0 else { throw .invalid("\(axis): padding is \(padding), must be >= 0") }
            guard requestedEnd >= -1 else {
                throw .invalid("\(axis): padding_end is \(requestedEnd), must be >= 0 (or -1 for the same as padding)")
            }
            let paddingEnd = requestedEnd == -1 ? padding : requestedEnd
            if let requested {
                guard requested[i] >= 1 else { throw .invalid("\(axis): output_size is \(requested[i]), must be >= 1") }
                outputs.append(requested[i])
                continue
            }
            // (in - 1) * stride - padding - padding_end + kernel_size, overflow-checked.
            let (span, o1) = (input - 1).multipliedReportingOverflow(by: stride)
            let (grown, o2) = span.addingReportingOverflow(kernel)
            let (pads, o3) = padding.addingReportingOverflow(paddingEnd)
            guard !(o1 || o2) else {
                throw .overflow("\(axis): (input_size \(input) - 1) * stride \(stride) + kernel_size \(kernel) overflows int64")
            }
            // Paddings past Int.max exceed any (in - 1) * stride + kernel: no output.
            guard !o3 else {
                throw .shape("\(axis): padding \(padding) + padding_end \(paddingEnd) exceed (input_size \(input) - 1) * stride \(stride) + kernel_size \(kernel); the output size must be >= 1")
            }
            let out = grown - pads
            guard out >= 1 else {
                throw .shape("\(axis): output size is \(out) = (input_size \(input) - 1) * stride \(stride) - padding \(padding) - padding_end \(paddingEnd) + kernel_size \(kernel); it must be >= 1")
            }
            outputs.append(out)
        }
        _ = try TensorGeometry.elements(SmallInts(t.batch, t.channels) + outputs, elementSize: t.elementSize,
                                        what: "output", function: function)
        self.tensor = t
        self.inputSize = TensorGeometry.lift(t.sizes)
        self.outputSize = TensorGeometry.lift(outputs)
        self.indicesGlobal = t.flags & UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL) != 0
    }

    /// Checks every index before anything is written: in [0, plane) per (n, c) plane,
    /// or [0, N*C*plane) with SWIFTPOOL_FLAG_INDICES_GLOBAL. `indices` is dense in the
    /// tensor's layout; the message names the first bad one in memory order.
    func validate(indices: UnsafeBufferPointer<Int64>, function: String) throws(PoolError) {
        let limit = Int64(indicesGlobal ? outputElements : outputPlane)
        for q in 0..<inputElements {
            let index = indices[q]
            if index >= 0 && index < limit { continue }
            throw .invalid("\(function): indices[\(q)] (\(describe(inputElement: q))) is \(index), outside the output's valid range [0, \(limit))")
        }
    }

    /// "n 0, c 1, (h 2, w 3)" for element q of a dense input-shaped tensor.
    func describe(inputElement q: Int) -> String {
        let C = tensor.channels, plane = inputPlane
        let n: Int, c: Int, p: Int
        if tensor.channelsLast {
            n = q / (plane * C); p = (q / C) % plane; c = q % C
        } else {
            n = q / (plane * C); c = (q / plane) % C; p = q % plane
        }
        let coords = [p / (inputSize.1 * inputSize.2), (p / inputSize.2) % inputSize.1, p % inputSize.2]
        let rank = tensor.spatialRank
        let named = zip(["d", "h", "w"].suffix(rank), coords.suffix(rank)).map { "\($0) \($1)" }
        return "n \(n), c \(c), " + named.joined(separator: ", ")
    }
}
