// The microkernels of one instruction-set family as plain function values.
// `KernelTable.instantiate()` is inlinable: the module that calls it specialises
// every kernel with its own code-generation flags. This module's
// `baselineKernelTable()` gives the portable x86-64 family; SwiftPoolAVX2's
// `avx2KernelTable()` the AVX2 one. SwiftPool picks one per process (Runtime/ISA.swift).

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

extension ElementKernels where T: VectorElement {
    @inlinable
    public static func instantiate<F: KernelFamily>(_: F.Type) -> ElementKernels<T> {
        ElementKernels(
            maxChannelsFirst: (
                { MaxRows.channelsFirst($0, $1, $2, $3, $4, $5, $6, T.self, PropagateNaNLanes.self, F.self) },
                { MaxRows.channelsFirst($0, $1, $2, $3, $4, $5, $6, T.self, IgnoreNaNLanes.self, F.self) }),
            maxChannelsLast: (
                { MaxRows.channelsLast($0, $1, $2, $3, $4, $5, $6, $7, T.self, PropagateNaNLanes.self, F.self) },
                { MaxRows.channelsLast($0, $1, $2, $3, $4, $5, $6, $7, T.self, IgnoreNaNLanes.self, F.self) }),
            maxPlanes: (
                { MaxRows.planes($0, $1, $2, $3, $4, $5, $6, T.self, PropagateNaNLanes.self, F.self) },
                { MaxRows.planes($0, $1, $2, $3, $4, $5, $6, T.self, IgnoreNaNLanes.self, F.self) }),
            avgChannelsFirst: { AvgRows.channelsFirst($0, $1, $2, $3, $4, $5, T.self, F.self) },
            avgChannelsLast: { AvgRows.channelsLast($0, $1, $2, $3, $4, $5, $6, T.self, F.self) },
            avgPlanes: { AvgRows.planes($0, $1, $2, $3, $4, $5, T.self, F.self) })
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

    /// Specialises every kernel in the calling module (with that module's target
    /// flags), for family `F`, a type declared in that module.
    @inlinable
    public static func instantiate<F: KernelFamily>(_: F.Type) -> KernelTable {
        KernelTable(float: .instantiate(F.self), double: .instantiate(F.self))
    }
}

/// Tags the kernels of one instruction-set family. Each family's module declares
/// its own tag and instantiates every kernel with it, so that its specialisations
/// get symbol names of their own: identical names in two modules would be merged
/// by the linker (they are link-once), keeping one family's code for both.
public protocol KernelFamily {}

/// The portable x86-64 (SSE2) family, compiled in this module.
public enum BaselineFamily: KernelFamily {}

@inline(never)
public func baselineKernelTable() -> KernelTable { .instantiate(BaselineFamily.self) }

// Tables hold only pointers to stateless functions: safe to share between threads.
extension ElementKernels: @unchecked Sendable {}
extension KernelTable: @unchecked Sendable {}
