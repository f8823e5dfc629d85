// Window bounds the optimized kernels need on top of AxisGeometry.window(o).
extension AxisGeometry {
    /// Output positions whose whole window lies inside the input: every one of the
    /// `kernel` taps is real, so all of them share one tap pattern (and one
    /// average-pooling divisor). Empty when no window fits.
    var interiorOutputs: Range<Int> {
        // start = o*stride - padding >= 0
        let lower = Swift.min((padding + stride - 1) / stride, outputSize)
        // start + (kernel-1)*dilation <= inputSize - 1 (validated not to overflow)
        let room = inputSize - 1 - (kernel - 1) * dilation + padding
        let upper = room < 0 ? 0 : Swift.min(room / stride + 1, outputSize)
        return lower..<Swift.max(lower, upper)
    }
}
