// LP pooling parameters: the window geometry is PoolGeometry's (same output sizes
// and window bounds); this adds the norm and the rules PyTorch's lp_pool imposes.
import CSwiftPool

/// How the windows of an LP pooling problem are reduced.
enum LpKind: Equatable {
    /// PyTorch: (S / n * prod(kernel)) ^ (1/p), S = sum of x^p over the n input taps.
    case torchSum
    /// PyTorch norm_type +inf: max |x| (max pooling of |x|).
    case torchMaxAbs
    /// PyTorch norm_type -inf: min |x| (-max pooling of -|x|).
    case torchMinAbs
    /// ONNX LpPool: (sum of |x|^p) ^ (1/p) over the input taps.
    case onnxSum
}

/// A validated LP pooling problem.
struct LpPoolGeometry {
    var pool: PoolGeometry
    var normType: Double
    var kind: LpKind

    /// prod(kernel_size): PyTorch rescales every window by it.
    var kernelCount: Int { pool.axes.0.kernel * pool.axes.1.kernel * pool.axes.2.kernel }

    init(_ desc: swiftpool_pool_desc, normType: Double) throws(PoolError) {
        let name = PoolOperator.lp.rawValue
        let onnx = desc.flags & UInt32(SWIFTPOOL_FLAG_LP_ONNX) != 0
        // Tensor and window fields first (their errors take precedence), then the LP rules.
        let pool = try PoolGeometry(desc, op: .lp)
        guard !normType.isNaN && normType != 0 else {
            throw .invalid("\(name): norm_type is \(normType), must be non-zero and not NaN")
        }
        if onnx {
            guard normType.isFinite && normType > 0 else {
                throw .invalid("\(name): norm_type is \(normType), must be finite and > 0 with SWIFTPOOL_FLAG_LP_ONNX (ONNX LpPool's p)")
            }
            kind = .onnxSum
        } else {
            // torch.nn.functional.lp_pool{1,2,3}d take no padding, dilation or auto_pad.
            // Messages are built only on the error path (validation must not allocate).
            let rank = Int(desc.spatial_rank)
            let hint: StaticString = "PyTorch's lp_pool has none (set SWIFTPOOL_FLAG_LP_ONNX for ONNX LpPool)"
            guard desc.auto_pad == Int32(SWIFTPOOL_AUTO_PAD_NOTSET.rawValue) else {
                throw .invalid("\(name): auto_pad is \(desc.auto_pad), must be 0 (NOTSET): \(hint)")
            }
            for i in 0..<rank {
                func axis() -> String { "\(name): axis \(i) (\(TensorGeometry.axisName(i, rank: rank)))" }
                let padding = tupleElement(desc.padding, i), paddingEnd = tupleElement(desc.padding_end, i)
                let dilation = tupleElement(desc.dilation, i)
                guard padding == 0 else { throw .invalid("\(axis()): padding is \(padding), must be 0: \(hint)") }
                guard paddingEnd == 0 || paddingEnd == -1 else {
                    throw .invalid("\(axis()): padding_end is \(paddingEnd), must be -1 or 0: \(hint)")
                }
                guard dilation == 1 else { throw .invalid("\(axis()): dilation is \(dilation), must be 1: \(hint)") }
            }
            kind = normType == .infinity ? .torchMaxAbs : normType == -.infinity ? .torchMinAbs : .torchSum
            // kernelCount scales every window: a product past Int would wrap.
            let (dh, o1) = pool.axes.0.kernel.multipliedReportingOverflow(by: pool.axes.1.kernel)
            let (_, o2) = dh.multipliedReportingOverflow(by: pool.axes.2.kernel)
            guard !(o1 || o2) else {
                let kernels = [pool.axes.0.kernel, pool.axes.1.kernel, pool.axes.2.kernel].suffix(rank)
                throw .overflow("\(name): prod(kernel_size \(Array(kernels))), PyTorch's window scale, overflows int64")
            }
        }
        self.pool = pool
        self.normType = normType
    }
}
