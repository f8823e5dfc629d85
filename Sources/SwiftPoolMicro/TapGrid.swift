// The shape of a run of pooling windows, in primitive terms.

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

/// Loads `lanes` taps at one kernel offset for `lanes` consecutive outputs whose
/// windows start `stride` positions apart: a plain load (stride 1), or even/odd
/// de-interleaving of a double-width load (stride 2) — never a gather.
public protocol LaneLoader {
    static var stride: Int { get }
    /// Lanes row[offset + l*stride], l < lanes; reads only positions inside
    /// [0, offset + (lanes-1)*stride] when `offset` >= 1 or the window span is >= 1.
    static func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector
}

public enum UnitStride: LaneLoader {
    @inlinable public static var stride: Int { 1 }
    @inlinable @inline(__always)
    public static func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector {
        T.load(row + offset)
    }
}

public enum DoubleStride: LaneLoader {
    @inlinable public static var stride: Int { 2 }
    /// Offset 0: even lanes of row[0 ..< 2L] (the last one, row[2L-1], is inside the
    /// last window when its span is >= 1). Offset o >= 1: odd lanes of
    /// row[o-1 ..< o-1+2L], which ends exactly at the last lane's tap.
    @inlinable @inline(__always)
    public static func load<T: VectorElement>(_ row: UnsafePointer<T>, _ offset: Int, _: T.Type) -> T.Vector {
        offset == 0 ? T.loadEven(row) : T.loadOdd(row + (offset &- 1))
    }
}
