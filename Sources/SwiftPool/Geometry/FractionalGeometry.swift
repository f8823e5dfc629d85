// Fractional max pooling: parameter validation, sample checks and the window
// rule (PyTorch's generate_intervals), the one place that computes its windows.
import CSwiftPool

/// A validated fractional max-pooling problem (torch.nn.functional.fractional_max_pool{2,3}d).
struct FractionalGeometry {
    var tensor: TensorGeometry
    /// Input, kernel and output sizes lifted to (D, H, W) with unit axes.
    var inputSize: (Int, Int, Int)
    var kernel: (Int, Int, Int)
    var outputSize: (Int, Int, Int)
    var nanIgnore: Bool

    var rank: Int { tensor.spatialRank }
    var planes: Int { tensor.batch * tensor.channels }
    var inputPlane: Int { inputSize.0 * inputSize.1 * inputSize.2 }
    var outputPlane: Int { outputSize.0 * outputSize.1 * outputSize.2 }
    var inputElements: Int { planes * inputPlane }
    var outputElements: Int { planes * outputPlane }
    /// Samples per (n, c) plane, and in all.
    var sampleCount: Int { planes * rank }

    /// For tests: the output size as an array.
    init(_ desc: swiftpool_pool_desc, outputSize requested: [Int], function: String) throws(PoolError) {
        try self.init(desc, outputSize: SmallInts(requested.prefix(3)), function: function)
    }

    init(_ desc: swiftpool_pool_desc, outputSize requested: SmallInts, function: String) throws(PoolError) {
        let t = try TensorGeometry(desc, function: function, ranks: 2...3,
                                   allowedFlags: UInt32(SWIFTPOOL_FLAG_NAN_IGNORE), floatOnly: true)
        let rank = t.spatialRank
        var kernels = SmallInts()
        for i in 0..<rank { kernels.append(tupleElement(desc.kernel_size, i)) }
        for i in 0..<rank {
            // Built only on the error path (validation must not allocate).
            var axis: String { "\(function): axis \(i) (\(TensorGeometry.axisName(i, rank: rank)))" }
            guard kernels[i] >= 1 else { throw .invalid("\(axis): kernel_size is \(kernels[i]), must be >= 1") }
            guard requested[i] >= 1 else { throw .invalid("\(axis): output_size is \(requested[i]), must be >= 1") }
            // out + k - 1 <= in, written so that it cannot overflow (all terms >= 1).
            guard requested[i] <= t.sizes[i] - kernels[i] + 1 else {
                throw .shape("\(axis): output_size \(requested[i]) + kernel_size \(kernels[i]) - 1 exceeds input_size \(t.sizes[i]) (PyTorch: pool size too large relative to input)")
            }
        }
        _ = try TensorGeometry.elements(SmallInts(t.batch, t.channels) + requested, elementSize: t.elementSize,
                                        what: "output", function: function)
        _ = try TensorGeometry.elements(SmallInts(t.batch, t.channels, rank), elementSize: t.elementSize,
                                        what: "samples", function: function)
        self.tensor = t
        self.inputSize = TensorGeometry.lift(t.sizes)
        self.kernel = TensorGeometry.lift(kernels)
        self.outputSize = TensorGeometry.lift(requested)
        self.nanIgnore = t.flags & UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) != 0
    }

    /// Which entry of a plane's `rank` samples drives lifted axis `axis` (0 D, 1 H, 2 W),
    /// nil for a unit axis. PyTorch's order: 2D (W, H), 3D (D, H, W).
    func sampleSlot(axis: Int) -> Int? {
        if rank == 2 { return axis == 2 ? 0 : axis == 1 ? 1 : nil }
        return axis
    }

    /// Every sample finite and in [0, 1); the message names the first bad one.
    func validate<T: BinaryFloatingPoint>(samples: UnsafeBufferPointer<T>, function: String) throws(PoolError) {
        for j in 0..<sampleCount {
            let u = samples[j]
            if u >= 0 && u < 1 { continue }      // false for NaN
            let plane = j / rank
            let names = rank == 2 ? ["W", "H"] : ["D", "H", "W"]
            throw .invalid("\(function): samples[\(j)] (n \(plane / tensor.channels), c \(plane % tensor.channels), axis \(names[j % rank])) is \(u), must be finite and in [0, 1)")
        }
    }

    /// Window starts along one axis for sample `u`, in the element type exactly as
    /// PyTorch's generate_intervals: alpha = (in - k) / (out - 1),
    /// start(i) = trunc((i + u) * alpha) - trunc(u * alpha), and the last window ends
    /// at the input's end. `u` must be validated (in [0, 1)); starts land in [0, in - k].
    static func starts<T: BinaryFloatingPoint>(sample u: T, input: Int, output: Int, kernel: Int,
                                               into result: UnsafeMutablePointer<Int>) {
        let last = input - kernel
        if output > 1 {
            let alpha = T(last) / T(output - 1)
            let base = truncated(u * alpha)
            for i in 0..<(output - 1) {
                // Monotone rounding keeps this in [0, last] for u in [0, 1); the clamp only
                // guards memory should that ever not hold.
                result[i] = Swift.min(Swift.max(truncated((T(i) + u) * alpha) - base, 0), last)
            }
        }
        result[output - 1] = last
    }

    /// C's float-to-integer conversion (toward zero) for the non-negative, bounded
    /// values above; never traps.
    @inline(__always)
    static func truncated<T: BinaryFloatingPoint>(_ x: T) -> Int {
        x.isFinite && x > -9.0e18 && x < 9.0e18 ? Int(x) : 0
    }
}

/// The generator behind a NULL samples pointer: SplitMix64 started at the seed, one
/// output per sample. SplitMix64's state after j steps is seed + j * gamma, so sample j
/// is computed directly: no state, identical for every thread count.
enum FractionalSampleGenerator {
    /// Sample `index` (counting the (N, C, rank) samples tensor in order), in [0, 1),
    /// from as many top bits as the type's significand holds, so rounding never reaches 1.
    static func sample<T: BinaryFloatingPoint>(seed: UInt64, index: Int, as _: T.Type) -> T {
        var z = seed &+ (UInt64(truncatingIfNeeded: index) &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let bits = T.significandBitCount + 1      // 24 for Float, 53 for Double
        return T(z >> UInt64(64 - bits)) * T(sign: .plus, exponent: T.Exponent(-bits), significand: 1)
    }
}
