// The one place that validates pooling parameters and computes output sizes and
// window bounds. Kernels (reference and optimized) only consume `PoolGeometry`.
import CSwiftPool

/// A validation failure: the pinned C status plus a message naming the argument and value.
struct PoolError: Error {
    let status: swiftpool_status
    let message: String

    static func invalid(_ message: String) -> PoolError { .init(status: SWIFTPOOL_ERROR_INVALID_ARGUMENT, message: message) }
    static func shape(_ message: String) -> PoolError { .init(status: SWIFTPOOL_ERROR_INVALID_SHAPE, message: message) }
    static func overflow(_ message: String) -> PoolError { .init(status: SWIFTPOOL_ERROR_OVERFLOW, message: message) }
    static func unsupported(_ message: String) -> PoolError { .init(status: SWIFTPOOL_ERROR_UNSUPPORTED, message: message) }
    static func null(_ message: String) -> PoolError { .init(status: SWIFTPOOL_ERROR_NULL_POINTER, message: message) }
    static func tooSmall(_ message: String) -> PoolError { .init(status: SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, message: message) }
}

/// Which operator the parameters are for: average pooling has extra rules.
enum PoolOperator: String {
    case max = "max_pool"
    case average = "avg_pool"
    case lp = "lp_pool"
    /// Shape queries: output sizes do not depend on the operator, so every defined flag is accepted.
    case shape = "pool_output_shape"
}

/// The window of one output position along one axis.
///
/// Taps `k` in `tapBegin..<tapEnd` are the kernel taps that land inside the input,
/// at input coordinate `start + k * dilation`. An empty range (possible only with
/// dilation) means the whole window lies in the padding.
struct Window {
    /// Input coordinate of tap 0; negative inside the left padding.
    var start: Int
    var tapBegin: Int
    var tapEnd: Int
    /// Taps inside the padded input [-padding, input + paddingEnd): the
    /// count_include_pad divisor factor along this axis (PyTorch, ONNX).
    var paddedCount: Int

    /// Input coordinate of the first tap at or after 0: PyTorch's initial argmax
    /// position, reported even when that tap lies past the input end (empty window).
    var firstTap: Int
    /// No tap lands on a real input element (only possible with dilation).
    @inline(__always) var isEmpty: Bool { tapEnd <= tapBegin }
    /// Number of taps on real input elements.
    @inline(__always) var validCount: Int { tapEnd - tapBegin }
}

/// Sizes and window rule of one spatial axis.
struct AxisGeometry: Equatable {
    var inputSize: Int
    var outputSize: Int
    var kernel: Int
    var stride: Int
    /// Padding before the first and after the last input element.
    var padding: Int
    var paddingEnd: Int
    var dilation: Int

    /// A degenerate axis (size 1, kernel 1) used to lift 1D/2D problems to 3D.
    static let unit = AxisGeometry(inputSize: 1, outputSize: 1, kernel: 1, stride: 1, padding: 0, paddingEnd: 0, dilation: 1)

    /// The window of output position `o` (0 <= o < outputSize).
    @inline(__always)
    func window(_ o: Int) -> Window {
        let start = o &* stride &- padding
        if dilation == 1 {
            // The formulas below with dilation 1, without their divisions: kernels
            // ask for windows per block of outputs, and an integer division costs tens of cycles.
            let tapBegin = start >= 0 ? 0 : -start
            let room = inputSize &- start
            let tapEnd = room <= 0 ? 0 : Swift.min(kernel, room)
            let paddedRoom = inputSize &+ paddingEnd &- start
            let paddedCount = paddedRoom <= 0 ? 0 : Swift.min(kernel, paddedRoom)
            return Window(start: start, tapBegin: tapBegin, tapEnd: Swift.max(tapEnd, tapBegin),
                          paddedCount: paddedCount, firstTap: start &+ tapBegin)
        }
        // First tap with start + k*dilation >= 0: ceil(-start / dilation), as
        // (-start - 1) / dilation + 1 because -start + dilation - 1 can pass Int.max
        // (auto_pad SAME pads about half of a dilation near Int.max: the taps then
        // started before the input and read wild addresses).
        let tapBegin = start >= 0 ? 0 : (-start &- 1) / dilation &+ 1
        // Taps with start + k*dilation < inputSize.
        let room = inputSize &- start
        let tapEnd = room <= 0 ? 0 : Swift.min(kernel, (room &- 1) / dilation &+ 1)
        // Taps with start + k*dilation < inputSize + paddingEnd (tap 0 is never before -padding).
        let paddedRoom = inputSize &+ paddingEnd &- start
        let paddedCount = paddedRoom <= 0 ? 0 : Swift.min(kernel, (paddedRoom &- 1) / dilation &+ 1)
        return Window(start: start, tapBegin: tapBegin, tapEnd: Swift.max(tapEnd, tapBegin),
                      paddedCount: paddedCount, firstTap: start &+ tapBegin &* dilation)
    }
}

/// A validated pooling problem, always lifted to three spatial axes (D, H, W);
/// 1D and 2D problems get leading unit axes, which leaves PyTorch's per-plane
/// flattened index `(d*H + h)*W + w` unchanged.
struct PoolGeometry {
    var spatialRank: Int
    var layout: swiftpool_layout
    var dtype: swiftpool_dtype
    var batch: Int
    var channels: Int
    /// Axes D, H, W (unit axes first for rank < 3).
    var axes: (AxisGeometry, AxisGeometry, AxisGeometry)
    var ceilMode: Bool
    var countIncludePad: Bool
    /// 0 when not set.
    var divisorOverride: Int
    /// SWIFTPOOL_FLAG_* bits, validated.
    var flags: UInt32

    var nanIgnore: Bool { flags & UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) != 0 }
    var indicesGlobal: Bool { flags & UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL) != 0 }
    var indicesColumnMajor: Bool { flags & UInt32(SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR) != 0 }

    var inputPlane: Int { axes.0.inputSize * axes.1.inputSize * axes.2.inputSize }
    var outputPlane: Int { axes.0.outputSize * axes.1.outputSize * axes.2.outputSize }
    /// Element counts; validated not to overflow.
    var inputElements: Int { batch * channels * inputPlane }
    var outputElements: Int { batch * channels * outputPlane }

    /// Output spatial sizes, outermost first, `spatialRank` entries.
    var outputSizes: SmallInts {
        SmallInts(axes.0.outputSize, axes.1.outputSize, axes.2.outputSize).suffix(spatialRank)
    }

    /// Bytes per element of each supported dtype.
    static func elementSize(_ dtype: swiftpool_dtype) -> Int? {
        switch dtype {
        case SWIFTPOOL_DTYPE_FLOAT32: return 4
        case SWIFTPOOL_DTYPE_FLOAT64: return 8
        case SWIFTPOOL_DTYPE_FLOAT16, SWIFTPOOL_DTYPE_BFLOAT16: return 2
        case SWIFTPOOL_DTYPE_UINT8, SWIFTPOOL_DTYPE_INT8: return 1
        default: return nil
        }
    }

    /// Averaging needs a floating-point result type (PyTorch rejects integer avg_pool too).
    static func isFloatingPoint(_ dtype: swiftpool_dtype) -> Bool {
        switch dtype {
        case SWIFTPOOL_DTYPE_FLOAT32, SWIFTPOOL_DTYPE_FLOAT64, SWIFTPOOL_DTYPE_FLOAT16, SWIFTPOOL_DTYPE_BFLOAT16: return true
        default: return false
        }
    }

    /// PyTorch's `pooling_output_shape` (also ONNX MaxPool-22's): floor or ceil of
    /// the window count, and a ceil-mode window that would start inside the end
    /// padding is dropped. Arguments are range-checked and small enough not to overflow.
    static func outputSize(input: Int, kernel: Int, stride: Int, padding: Int, paddingEnd: Int, dilation: Int,
                           ceilMode: Bool) -> Int {
        // Left to right, every partial sum fits: the caller checked input + padding +
        // paddingEnd + stride and dilation * (kernel - 1).
        let numerator = input + padding + paddingEnd - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)
        // Floor division (numerator may be negative) with no intermediate past the
        // operands: -numerator + stride - 1 would overflow for a ~2^63 window and stride.
        let quotient = numerator / stride
        var out = (numerator < 0 && numerator % stride != 0 ? quotient - 1 : quotient) + 1
        if ceilMode && out >= 1 && (out - 1) * stride >= input + padding {
            out -= 1
        }
        return out
    }

    /// Flag bits each operator accepts.
    static func allowedFlags(_ op: PoolOperator) -> UInt32 {
        switch op {
        case .max:
            return UInt32(SWIFTPOOL_FLAG_NAN_IGNORE | SWIFTPOOL_FLAG_INDICES_GLOBAL
                          | SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR)
        case .average:
            return 0
        case .lp:
            return UInt32(SWIFTPOOL_FLAG_LP_ONNX)
        case .shape:
            return allowedFlags(.max) | allowedFlags(.average) | allowedFlags(.lp)
        }
    }

    /// Validates every field of `desc` for operator `op` and computes the output shape.
    /// Throws `PoolError` naming the first bad field and its value.
    init(_ desc: swiftpool_pool_desc, op: PoolOperator) throws(PoolError) {
        let name = op.rawValue
        guard desc.struct_size == UInt32(MemoryLayout<swiftpool_pool_desc>.size) else {
            throw .unsupported("\(name): desc.struct_size is \(desc.struct_size), expected \(MemoryLayout<swiftpool_pool_desc>.size) (call swiftpool_pool_desc_init)")
        }
        guard (1...3).contains(desc.spatial_rank) else {
            throw .unsupported("\(name): spatial_rank is \(desc.spatial_rank), expected 1, 2 or 3")
        }
        let dtype = swiftpool_dtype(rawValue: UInt32(bitPattern: desc.dtype))
        guard let elementSize = PoolGeometry.elementSize(dtype) else {
            throw .unsupported("\(name): dtype \(desc.dtype) is unknown (expected SWIFTPOOL_DTYPE_FLOAT32=1 ... SWIFTPOOL_DTYPE_INT8=6)")
        }
        guard op == .max || op == .shape || PoolGeometry.isFloatingPoint(dtype) else {
            throw .unsupported("\(name): dtype \(desc.dtype) is an integer type; \(name) needs a floating-point dtype")
        }
        let layout = swiftpool_layout(rawValue: UInt32(bitPattern: desc.layout))
        guard layout == SWIFTPOOL_LAYOUT_NCHW || layout == SWIFTPOOL_LAYOUT_NHWC else {
            throw .unsupported("\(name): layout \(desc.layout) is unknown (expected SWIFTPOOL_LAYOUT_NCHW=1 or SWIFTPOOL_LAYOUT_NHWC=2)")
        }
        let unknownFlags = desc.flags & ~PoolGeometry.allowedFlags(op)
        guard unknownFlags == 0 else {
            throw .unsupported("\(name): flags 0x\(String(desc.flags, radix: 16)) hold bits 0x\(String(unknownFlags, radix: 16)) that \(name) does not define")
        }
        let autoPad = swiftpool_auto_pad(rawValue: UInt32(bitPattern: desc.auto_pad))
        guard (0...3).contains(desc.auto_pad) else {
            throw .unsupported("\(name): auto_pad is \(desc.auto_pad), expected 0 (NOTSET), 1 (VALID), 2 (SAME_UPPER) or 3 (SAME_LOWER)")
        }
        guard desc.ceil_mode == 0 || desc.ceil_mode == 1 else {
            throw .invalid("\(name): ceil_mode is \(desc.ceil_mode), expected 0 or 1")
        }
        guard desc.batch >= 0 else { throw .invalid("\(name): batch is \(desc.batch), must be >= 0") }
        guard desc.channels >= 1 else { throw .invalid("\(name): channels is \(desc.channels), must be >= 1") }
        if op == .average {
            guard desc.count_include_pad == 0 || desc.count_include_pad == 1 else {
                throw .invalid("\(name): count_include_pad is \(desc.count_include_pad), expected 0 or 1")
            }
            guard desc.divisor_override >= 0 else {
                throw .invalid("\(name): divisor_override is \(desc.divisor_override), must be > 0 (or 0 for none)")
            }
        }

        let rank = Int(desc.spatial_rank)
        // Messages are built only on the error path: validation runs on every call
        // and must stay allocation-free (a tiny pooling call costs well under 1 us).
        func axis(_ i: Int) -> String { "\(name): axis \(i) (\(TensorGeometry.axisName(i, rank: rank)))" }
        var built = (AxisGeometry.unit, AxisGeometry.unit, AxisGeometry.unit)
        for i in 0..<rank {
            // Fixed-size C arrays arrive as tuples.
            let input = tupleElement(desc.input_size, i), kernel = tupleElement(desc.kernel_size, i)
            let stride = tupleElement(desc.stride, i), dilation = tupleElement(desc.dilation, i)
            var padding = tupleElement(desc.padding, i), paddingEnd = tupleElement(desc.padding_end, i)
            guard input >= 1 else { throw .invalid("\(axis(i)): input_size is \(input), must be >= 1") }
            guard kernel >= 1 else { throw .invalid("\(axis(i)): kernel_size is \(kernel), must be >= 1") }
            guard stride >= 1 else { throw .invalid("\(axis(i)): stride is \(stride), must be >= 1") }
            guard dilation >= 1 else { throw .invalid("\(axis(i)): dilation is \(dilation), must be >= 1") }
            guard padding >= 0 else { throw .invalid("\(axis(i)): padding is \(padding), must be >= 0") }
            guard paddingEnd >= -1 else {
                throw .invalid("\(axis(i)): padding_end is \(paddingEnd), must be >= 0 (or -1 for the same as padding)")
            }
            // Every intermediate of the output-size and padding formulas must fit in Int64.
            let (span, o1) = dilation.multipliedReportingOverflow(by: kernel - 1)
            let (padded, o2) = input.addingReportingOverflow(padding)
            let (padded2, o3) = padded.addingReportingOverflow(Swift.max(paddingEnd, padding))
            let (_, o4) = padded2.addingReportingOverflow(stride)
            // (input + span + stride is not needed: outputSize subtracts the span
            // from the padded size, and SAME padding is derived from the span below.)
            guard !(o1 || o2 || o3 || o4) else {
                throw .overflow("\(axis(i)): input_size \(input), padding \(padding), stride \(stride), dilation \(dilation) x kernel_size \(kernel) overflow int64")
            }
            var ceilMode = desc.ceil_mode == 1
            if autoPad != SWIFTPOOL_AUTO_PAD_NOTSET {
                guard padding == 0 && (paddingEnd == 0 || paddingEnd == -1) else {
                    throw .invalid("\(axis(i)): padding \(padding) / padding_end \(paddingEnd) given with auto_pad \(desc.auto_pad); auto_pad derives the padding, leave it 0")
                }
                // ONNX: VALID pads nothing; SAME_* pads so that out = ceil(in / stride).
                ceilMode = false
                paddingEnd = 0
                if autoPad != SWIFTPOOL_AUTO_PAD_VALID {
                    let target = (input - 1) / stride + 1
                    // (target - 1) * stride + span + 1 - input, without leaving Int:
                    // input - (target - 1) * stride lies in 1...stride.
                    let total = Swift.max(0, span - (input - (target - 1) * stride - 1))
                    padding = autoPad == SWIFTPOOL_AUTO_PAD_SAME_LOWER ? (total + 1) / 2 : total / 2
                    paddingEnd = total - padding
                    let (paddedSame, o5) = input.addingReportingOverflow(total)
                    let (_, o6) = paddedSame.addingReportingOverflow(stride)
                    guard !(o5 || o6) else {
                        throw .overflow("\(axis(i)): input_size \(input) + auto_pad padding \(total) + stride \(stride) overflow int64")
                    }
                }
            } else if paddingEnd == -1 {
                paddingEnd = padding
                guard padding <= kernel / 2 else {
                    throw .invalid("\(axis(i)): padding is \(padding), must be at most half the kernel_size (\(kernel) / 2 = \(kernel / 2))")
                }
            } else {
                guard padding < kernel && paddingEnd < kernel else {
                    throw .invalid("\(axis(i)): padding \(padding) / padding_end \(paddingEnd) must each be smaller than kernel_size \(kernel)")
                }
            }
            let out = PoolGeometry.outputSize(input: input, kernel: kernel, stride: stride, padding: padding,
                                              paddingEnd: paddingEnd, dilation: dilation, ceilMode: ceilMode)
            guard out >= 1 else {
                throw .shape("\(axis(i)): output size is \(out) for input_size \(input), kernel_size \(kernel), stride \(stride), padding \(padding)+\(paddingEnd), dilation \(dilation) (window \(span + 1) is larger than the padded input \(input + padding + paddingEnd)); it must be >= 1")
            }
            let geometry = AxisGeometry(inputSize: input, outputSize: out, kernel: kernel, stride: stride,
                                        padding: padding, paddingEnd: paddingEnd, dilation: dilation)
            // Axis i of a rank-r problem is axis 3 - r + i of the lifted (D, H, W) problem.
            switch 3 - rank + i {
            case 0: built.0 = geometry
            case 1: built.1 = geometry
            default: built.2 = geometry
            }
        }
        if op == .average && desc.count_include_pad == 1 && desc.divisor_override == 0 {
            // The count_include_pad divisor is a window area (kernel taps clipped to the
            // padded input); huge kernels would wrap it, so it must fit in Int.
            func clipped(_ a: AxisGeometry) -> Int { Swift.min(a.kernel, a.inputSize + a.padding + a.paddingEnd) }
            let (dh, o1) = clipped(built.0).multipliedReportingOverflow(by: clipped(built.1))
            let (_, o2) = dh.multipliedReportingOverflow(by: clipped(built.2))
            guard !(o1 || o2) else {
                let kernels = [built.0.kernel, built.1.kernel, built.2.kernel].suffix(rank)
                throw .overflow("\(name): count_include_pad divisor (window area of kernel_size \(Array(kernels)) within the padded input) overflows int64")
            }
        }

        self.spatialRank = rank
        self.layout = layout
        self.dtype = dtype
        self.batch = Int(desc.batch)
        self.channels = Int(desc.channels)
        self.axes = built
        self.ceilMode = desc.ceil_mode == 1
        self.countIncludePad = desc.count_include_pad == 1
        self.divisorOverride = op == .average ? Int(desc.divisor_override) : 0
        self.flags = desc.flags

        // Element and byte counts of both tensors must fit in Int64; the plane sizes
        // alone too (indices are per-plane even when batch is 0).
        for pass in 0..<2 {
            let output = pass == 1
            var overflow = false
            func mul(_ a: Int, _ b: Int) -> Int {
                let (p, o) = a.multipliedReportingOverflow(by: b)
                overflow = overflow || o
                return p
            }
            let (d, h, w) = output ? (built.0.outputSize, built.1.outputSize, built.2.outputSize)
                                   : (built.0.inputSize, built.1.inputSize, built.2.inputSize)
            _ = mul(mul(mul(mul(mul(d, h), w), Int(desc.channels)), Int(desc.batch)), elementSize)
            guard !overflow else {
                let plane = [d, h, w].suffix(rank)
                throw .overflow("\(name): \(output ? "output" : "input") size batch \(desc.batch) x channels \(desc.channels) x spatial \(Array(plane)) x \(elementSize) bytes overflows int64")
            }
        }
    }
}

/// Entry `i` (0..<3) of a fixed-size C array imported as a tuple.
@inline(__always)
func tupleElement(_ t: (Int64, Int64, Int64), _ i: Int) -> Int {
    Int(i == 0 ? t.0 : i == 1 ? t.1 : t.2)
}

extension PoolGeometry {
    /// Average-pooling divisor of the window (wd, wh, ww), PyTorch's rule:
    /// divisor_override, else the window clipped to the padded input when
    /// count_include_pad, else the number of real input elements.
    @inline(__always)
    func divisor(_ wd: Window, _ wh: Window, _ ww: Window) -> Int {
        if divisorOverride != 0 { return divisorOverride }
        if countIncludePad { return wd.paddedCount &* wh.paddedCount &* ww.paddedCount }
        // May be 0 for a dilated window wholly in the padding; kernels output 0 then.
        return wd.validCount &* wh.validCount &* ww.validCount
    }
}
