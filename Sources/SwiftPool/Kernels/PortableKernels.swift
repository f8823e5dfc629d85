// Scalar kernels for the dtypes without vector kernels (bfloat16; average pooling
// of float16; the max kernels of float16, uint8 and int8 are the families'
// NarrowMaxRows, see *Vector below): the same blocks (RunShape) as the vector families, so the drivers,
// threading and bounds are shared. Each output folds its taps in scan order from
// the first one (max, PoolElement's MaxRule) or sums them in Double (average),
// exactly as the reference does.
import SwiftPoolKernelABI

enum PortableKernels {
    static let float16: ElementKernels<Float16> = table()
    static let bfloat16: ElementKernels<BFloat16> = table()
    static let uint8: ElementKernels<UInt8> = table()
    static let int8: ElementKernels<Int8> = table()

    /// The portable table with the max kernels of the selected ISA family
    /// (NarrowMaxRows: 16-lane integer steps), for the types the families cover.
    static let float16Vector: ElementKernels<Float16> = withFamilyMax(float16, ISA.kernels.float16)
    static let uint8Vector: ElementKernels<UInt8> = withFamilyMax(uint8, ISA.kernels.uint8)
    static let int8Vector: ElementKernels<Int8> = withFamilyMax(int8, ISA.kernels.int8)

    static func withFamilyMax<T>(_ portable: ElementKernels<T>, _ max: NarrowMaxKernels<T>) -> ElementKernels<T> {
        var table = portable
        table.maxChannelsFirst = max.channelsFirst
        table.maxChannelsLast = max.channelsLast
        return table
    }

    static func table<T: PoolElement>() -> ElementKernels<T> {
        ElementKernels(
            maxChannelsFirst: ({ maxBlock($0, $1, 1, $2, $3, $4, $5, PropagateNaN.self) },
                               { maxBlock($0, $1, 1, $2, $3, $4, $5, IgnoreNaN.self) }),
            maxChannelsLast: ({ maxBlock($0, $1, $2, $3, $4, $5, $6, PropagateNaN.self) },
                              { maxBlock($0, $1, $2, $3, $4, $5, $6, IgnoreNaN.self) }),
            avgChannelsFirst: { avgBlock($0, $1, 1, $2, $3, $4) },
            avgChannelsLast: { avgBlock($0, $1, $2, $3, $4, $5) })
    }

    /// Calls body(input offset, output offset, position) for every output and
    /// channel of a block; offsets in elements (positions times `channels`).
    @inline(__always)
    static func forEachOutput(_ shape: RunShape, _ channels: Int, _ position: Int, _ body: (Int, Int, Int) -> Void) {
        for p in 0..<shape.planes {
            for r in 0..<shape.rows {
                for j in 0..<shape.count {
                    let input = p &* shape.planeStride &+ r &* shape.rowStride &+ j &* shape.stride
                    let output = p &* shape.outPlaneStride &+ r &* shape.outRowStride &+ j
                    let windowPosition = position &+ r &* shape.rowStride &+ j &* shape.stride
                    for c in 0..<channels { body(input &* channels &+ c, output &* channels &+ c, windowPosition) }
                }
            }
        }
    }

    /// Element offsets (positions times `channels`) of a grid's taps after the first, in scan order.
    @inline(__always)
    static func forEachLaterTap(_ grid: TapGrid, _ channels: Int, _ body: (Int, Int) -> Void) {
        for a in 0..<grid.countD {
            for b in 0..<grid.countH {
                for c in (a == 0 && b == 0 ? 1 : 0)..<grid.countW {
                    let offset = a &* grid.stepD &+ b &* grid.stepH &+ c &* grid.stepW
                    body(offset, offset &* channels)
                }
            }
        }
    }

    static func maxBlock<T: PoolElement, R: MaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ shape: RunShape,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int, _: R.Type
    ) {
        forEachOutput(shape, channels, position) { input, output, windowPosition in
            let w = src + input
            var m = w[0], best = 0
            forEachLaterTap(grid, channels) { offset, element in
                if R.replaces(w[element], m) {
                    m = w[element]
                    best = offset
                }
            }
            dst[output] = m
            indices?[output] = Int64(windowPosition &+ best)
        }
    }

    static func avgBlock<T: PoolElement>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ shape: RunShape, _ divisor: Double,
        _ dst: UnsafeMutablePointer<T>
    ) {
        forEachOutput(shape, channels, 0) { input, output, _ in
            let w = src + input
            var sum = T.PoolSum(0) + w[0].poolSum
            forEachLaterTap(grid, channels) { _, element in sum += w[element].poolSum }
            dst[output] = T(poolSum: sum / T.PoolSum(divisor))
        }
    }
}
