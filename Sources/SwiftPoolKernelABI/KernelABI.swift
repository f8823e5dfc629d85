// The interface between SwiftPool and its kernel families: the shape of a run of
// windows (TapGrid) and tables of kernels as plain function values. Each family
// module (SwiftPoolKernels, SwiftPoolKernelsAVX2) compiles the same kernel sources
// with its own code-generation flags and returns a KernelTable; SwiftPool picks
// one per process (Runtime/ISA.swift). Nothing here depends on an instruction set.

/// The taps of one window that land on real input elements: countD x countH x countW
/// taps, visited in scan order (D outermost), tap (a, b, c) at plane position
/// `a*stepD + b*stepH + c*stepW` from the window's first real tap. Steps are in
/// positions of one (n, c) plane (they include the dilation); channels-last kernels
/// multiply them by the channel count to get element offsets. Every count is >= 1.
public struct TapGrid: Equatable {
    public var countD: Int
    public var countH: Int
    public var countW: Int
    public var stepD: Int
    public var stepH: Int
    public var stepW: Int

    @inlinable
    public init(countD: Int, countH: Int, countW: Int, stepD: Int, stepH: Int, stepW: Int) {
        self.countD = countD; self.countH = countH; self.countW = countW
        self.stepD = stepD; self.stepH = stepH; self.stepW = stepW
    }

    /// Position offset of the last tap: a window spans positions [0, span].
    @inlinable public var span: Int { (countD &- 1) &* stepD &+ (countH &- 1) &* stepH &+ (countW &- 1) &* stepW }
}

/// The kernels of one element type (argument meanings: MaxRows.swift, AvgRows.swift).
public struct ElementKernels<T> {
    /// (src, grid, count, stride, dst, indices, position)
    public typealias MaxRun = (UnsafePointer<T>, TapGrid, Int, Int, UnsafeMutablePointer<T>,
                               UnsafeMutablePointer<Int64>?, Int) -> Void
    /// (src, grid, channels, count, stride, dst, indices, position)
    public typealias MaxRunChannelsLast = (UnsafePointer<T>, TapGrid, Int, Int, Int, UnsafeMutablePointer<T>,
                                           UnsafeMutablePointer<Int64>?, Int) -> Void
    /// (src, planeStride, planes, grid, dst, indices, position)
    public typealias MaxPlanes = (UnsafePointer<T>, Int, Int, TapGrid, UnsafeMutablePointer<T>,
                                  UnsafeMutablePointer<Int64>?, Int) -> Void
    /// (src, grid, count, stride, divisor, dst)
    public typealias AvgRun = (UnsafePointer<T>, TapGrid, Int, Int, Double, UnsafeMutablePointer<T>) -> Void
    /// (src, grid, channels, count, stride, divisor, dst)
    public typealias AvgRunChannelsLast = (UnsafePointer<T>, TapGrid, Int, Int, Int, Double,
                                           UnsafeMutablePointer<T>) -> Void
    /// (src, planeStride, planes, grid, divisor, dst)
    public typealias AvgPlanes = (UnsafePointer<T>, Int, Int, TapGrid, Double, UnsafeMutablePointer<T>) -> Void

    /// Max kernels by NaN rule: index 0 PyTorch's propagation, 1 NaN-ignoring.
    public var maxChannelsFirst: (MaxRun, MaxRun)
    public var maxChannelsLast: (MaxRunChannelsLast, MaxRunChannelsLast)
    public var maxPlanes: (MaxPlanes, MaxPlanes)
    public var avgChannelsFirst: AvgRun
    public var avgChannelsLast: AvgRunChannelsLast
    public var avgPlanes: AvgPlanes

    @inlinable
    public init(maxChannelsFirst: (MaxRun, MaxRun), maxChannelsLast: (MaxRunChannelsLast, MaxRunChannelsLast),
                maxPlanes: (MaxPlanes, MaxPlanes), avgChannelsFirst: @escaping AvgRun,
                avgChannelsLast: @escaping AvgRunChannelsLast, avgPlanes: @escaping AvgPlanes) {
        self.maxChannelsFirst = maxChannelsFirst
        self.maxChannelsLast = maxChannelsLast
        self.maxPlanes = maxPlanes
        self.avgChannelsFirst = avgChannelsFirst
        self.avgChannelsLast = avgChannelsLast
        self.avgPlanes = avgPlanes
    }
}

/// Every kernel of one instruction-set family.
public struct KernelTable {
    public var float: ElementKernels<Float>
    public var double: ElementKernels<Double>

    @inlinable
    public init(float: ElementKernels<Float>, double: ElementKernels<Double>) {
        self.float = float
        self.double = double
    }
}

// Tables hold only pointers to stateless functions: safe to share between threads.
extension ElementKernels: @unchecked Sendable {}
extension KernelTable: @unchecked Sendable {}
