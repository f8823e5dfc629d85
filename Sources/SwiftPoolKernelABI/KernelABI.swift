// The interface between SwiftPool and its kernel families: which taps a window
// has (TapGrid), how a block of windows is laid out (RunShape), and tables of
// kernels as plain function values. Each family module (SwiftPoolKernels,
// SwiftPoolKernelsAVX2) compiles the same kernel sources with its own
// code-generation flags and returns a KernelTable; SwiftPool picks one per process
// (Runtime/ISA.swift). Only counts, strides and pointers cross this boundary.

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

/// A block of outputs whose windows all have the same TapGrid: `planes` x `rows` x
/// `count` outputs. Along a row, consecutive windows start `stride` input positions
/// apart; consecutive rows `rowStride` positions apart; consecutive planes (channels-
/// first planes, or channels-last images) `planeStride` positions apart. Outputs
/// are `outRowStride` and `outPlaneStride` output positions apart (consecutive
/// along a row). Channels-last kernels multiply positions by the channel count.
public struct RunShape: Equatable {
    public var count: Int
    public var stride: Int
    public var rows: Int
    public var rowStride: Int
    public var outRowStride: Int
    public var planes: Int
    public var planeStride: Int
    public var outPlaneStride: Int
    /// A hint: the call's input is too large to stay in the caches between calls,
    /// so kernels that stream rows may prefetch them far ahead into the outer caches.
    public var farPrefetch: Bool
    /// A hint: the call's output is too large to stay in the caches, so kernels may
    /// write whole aligned vectors of it with streaming stores (and fence before
    /// they return). Never set with indices.
    public var streamStores: Bool

    @inlinable
    public init(count: Int, stride: Int, rows: Int = 1, rowStride: Int = 0, outRowStride: Int = 0,
                planes: Int = 1, planeStride: Int = 0, outPlaneStride: Int = 0, farPrefetch: Bool = false,
                streamStores: Bool = false) {
        self.count = count; self.stride = stride
        self.rows = rows; self.rowStride = rowStride; self.outRowStride = outRowStride
        self.planes = planes; self.planeStride = planeStride; self.outPlaneStride = outPlaneStride
        self.farPrefetch = farPrefetch
        self.streamStores = streamStores
    }
}

/// Channels-first average pooling of whole small planes through a zero-padded copy
/// (AvgRows.paddedPlanes): `planes` planes of H x W elements, `inPlaneStride` /
/// `outPlaneStride` apart, to OH x OW outputs. The copy is `scratchRows` x
/// `scratchWidth` elements with the plane at (padTop, padLeft) and zeros around it,
/// large enough that every tap of every window (including ceil_mode's and the
/// vector overrun of rows shorter than a vector) lands inside it.
public struct PaddedPlanes: Equatable {
    public var planes: Int, inPlaneStride: Int, outPlaneStride: Int
    public var H: Int, W: Int, OH: Int, OW: Int
    public var padTop: Int, padLeft: Int
    public var scratchRows: Int, scratchWidth: Int
    public var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, dilationH: Int, dilationW: Int
    /// Elements between rows of the divisor plane (>= OW and >= the vector width).
    public var divisorRowStride: Int

    @inlinable
    public init(planes: Int, inPlaneStride: Int, outPlaneStride: Int, H: Int, W: Int, OH: Int, OW: Int,
                padTop: Int, padLeft: Int, scratchRows: Int, scratchWidth: Int, kernelH: Int, kernelW: Int,
                strideH: Int, strideW: Int, dilationH: Int, dilationW: Int, divisorRowStride: Int) {
        self.planes = planes; self.inPlaneStride = inPlaneStride; self.outPlaneStride = outPlaneStride
        self.H = H; self.W = W; self.OH = OH; self.OW = OW; self.padTop = padTop; self.padLeft = padLeft
        self.scratchRows = scratchRows; self.scratchWidth = scratchWidth
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
        self.dilationH = dilationH; self.dilationW = dilationW; self.divisorRowStride = divisorRowStride
    }
}

/// The kernels of one element type. Arguments (details in MaxRows.swift, AvgRows.swift):
///   src       first real tap of the block's first window (channel 0 for channels-last)
///   grid      real taps of every window of the block
///   channels  channel count C (channels-last kernels only)
///   shape     layout of the block's windows and outputs
///   dst       the block's first output
///   indices   argmax positions, laid out as dst, or nil (then never computed)
///   position  plane position of the first window's first tap (row-major in its plane)
///   divisor   the average of every window of the block divides by this (>= 1)
///   divisors  per-output divisors of a plane, OH rows `divisorRowStride` apart (>= 1)
public struct ElementKernels<T> {
    public typealias MaxBlock = (_ src: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape,
                                 _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?,
                                 _ position: Int) -> Void
    public typealias MaxBlockChannelsLast = (_ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int,
                                             _ shape: RunShape, _ dst: UnsafeMutablePointer<T>,
                                             _ indices: UnsafeMutablePointer<Int64>?, _ position: Int) -> Void
    public typealias AvgBlock = (_ src: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape, _ divisor: Double,
                                 _ dst: UnsafeMutablePointer<T>) -> Void
    public typealias AvgBlockChannelsLast = (_ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int,
                                             _ shape: RunShape, _ divisor: Double,
                                             _ dst: UnsafeMutablePointer<T>) -> Void
    public typealias AvgPaddedPlanes = (_ src: UnsafePointer<T>, _ planes: PaddedPlanes,
                                        _ divisors: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) -> Void

    /// Max kernels by NaN rule: .0 PyTorch's propagation, .1 NaN-ignoring (fmax).
    public var maxChannelsFirst: (MaxBlock, MaxBlock)
    public var maxChannelsLast: (MaxBlockChannelsLast, MaxBlockChannelsLast)
    public var avgChannelsFirst: AvgBlock
    public var avgChannelsLast: AvgBlockChannelsLast
    /// Small channels-first planes at width stride 1 or 2 (nil: not available for T).
    public var avgPaddedPlanes: AvgPaddedPlanes?

    @inlinable
    public init(maxChannelsFirst: (MaxBlock, MaxBlock), maxChannelsLast: (MaxBlockChannelsLast, MaxBlockChannelsLast),
                avgChannelsFirst: @escaping AvgBlock, avgChannelsLast: @escaping AvgBlockChannelsLast,
                avgPaddedPlanes: AvgPaddedPlanes? = nil) {
        self.maxChannelsFirst = maxChannelsFirst
        self.maxChannelsLast = maxChannelsLast
        self.avgChannelsFirst = avgChannelsFirst
        self.avgChannelsLast = avgChannelsLast
        self.avgPaddedPlanes = avgPaddedPlanes
    }
}

/// The max kernels of an element type that has no average kernels in the
/// families (uint8, int8: no averaging; float16: averaged by SwiftPool's portable
/// kernels). Same arguments and NaN-rule order as ElementKernels' max kernels.
public struct NarrowMaxKernels<T> {
    public var channelsFirst: (ElementKernels<T>.MaxBlock, ElementKernels<T>.MaxBlock)
    public var channelsLast: (ElementKernels<T>.MaxBlockChannelsLast, ElementKernels<T>.MaxBlockChannelsLast)

    @inlinable
    public init(channelsFirst: (ElementKernels<T>.MaxBlock, ElementKernels<T>.MaxBlock),
                channelsLast: (ElementKernels<T>.MaxBlockChannelsLast, ElementKernels<T>.MaxBlockChannelsLast)) {
        self.channelsFirst = channelsFirst
        self.channelsLast = channelsLast
    }
}

/// The mean of one adaptive-pooling bin of channels-last float32 pixels, every
/// channel, in PyTorch's arithmetic: src is the bin's first pixel (channel 0);
/// depth x rows x width pixels, slices `depthStride` and rows `rowStride` elements
/// apart, pixels `channels` apart; each channel sums in scan order in Float from
/// +0, then divides by depth, by rows and by width in turn (each rounded; a
/// division by 1 is exact and skipped); results to dst[0 ..< channels].
public typealias BinAverageChannelsLast = (_ src: UnsafePointer<Float>, _ depth: Int, _ depthStride: Int,
                                           _ rows: Int, _ rowStride: Int, _ width: Int, _ channels: Int,
                                           _ dst: UnsafeMutablePointer<Float>) -> Void

/// Global average pooling of one channels-last float32 image: `pixels` pixels
/// (the image flattened in scan order) `channels` apart from src; dst[c] =
/// Float(total * (1 / count)), channel c's total the Double sum of Float partial sums
/// of consecutive blocks of 64 pixels (BinAverageWide.blockSums' order).
public typealias GlobalAverageChannelsLast = (_ src: UnsafePointer<Float>, _ pixels: Int, _ channels: Int,
                                              _ count: Double, _ dst: UnsafeMutablePointer<Float>) -> Void

/// Global average pooling of `planes` consecutive channels-first float32 planes of
/// `elements` elements each: dst[p] = Float(total * (1 / count)), each plane's total the
/// Double sum of Float partial sums of blocks of 64 elements (8-lane vector sums,
/// one fixed lane order; the order is BinAverageWide.channelsFirst's), the same
/// for every plane whatever its group or thread.
public typealias GlobalAveragePlanes = (_ src: UnsafePointer<Float>, _ planes: Int, _ elements: Int,
                                        _ count: Double, _ dst: UnsafeMutablePointer<Float>) -> Void

/// Channels-first float32 adaptive average pooling of consecutive planes, in the
/// arithmetic of BinAverageChannelsLast: planes are copied `lanes` at a time into
/// a channels-last tile (the whole plane when `wholePlane`, else the slab of D/H
/// rows under each (od, oh) bin row) and every bin is summed across them in SIMD.
public struct AdaptivePlanes {
    public var planes: Int
    public var D: Int, H: Int, W: Int
    public var OD: Int, OH: Int, OW: Int
    /// (begin, end) per output along D, then H, then W: 2 * (OD + OH + OW) entries
    /// (AdaptiveGeometry's bins; kernels never derive them).
    public var bins: UnsafePointer<Int>
    /// Scratch of `tileCapacity` floats: D*H*W*8 when wholePlane, else the largest
    /// bin slab (depth x rows x W) times 8.
    public var tile: UnsafeMutablePointer<Float>
    public var wholePlane: Bool
    /// Scratch of OD*OH*OW*8 floats (32-byte aligned), or nil: with it, a group's
    /// outputs are gathered lane-interleaved and written out per plane in 4-wide
    /// transposes instead of element by element.
    public var outTile: UnsafeMutablePointer<Float>?

    @inlinable
    public init(planes: Int, D: Int, H: Int, W: Int, OD: Int, OH: Int, OW: Int, bins: UnsafePointer<Int>,
                tile: UnsafeMutablePointer<Float>, wholePlane: Bool, outTile: UnsafeMutablePointer<Float>? = nil) {
        self.planes = planes
        self.D = D; self.H = H; self.W = W
        self.OD = OD; self.OH = OH; self.OW = OW
        self.bins = bins
        self.tile = tile
        self.wholePlane = wholePlane
        self.outTile = outTile
    }
}

/// src: the first plane; planes D*H*W (input) and OD*OH*OW (output) elements apart.
public typealias AdaptiveAvgPlanes = (_ src: UnsafePointer<Float>, _ p: AdaptivePlanes,
                                      _ dst: UnsafeMutablePointer<Float>) -> Void

/// Spatial pyramid max pooling of `planes` consecutive float32 channels-first
/// planes (channels channelBase ..< channelBase + planes) of one H x W sample.
public struct PyramidPlanes {
    public var planes: Int
    public var channelBase: Int
    public var H: Int, W: Int
    /// Per bin, `entries` entries: row begin, row end, column begin, column end
    /// (PyramidGeometry's bins; kernels never derive them), the output offset of
    /// channel 0's value, the distance between channels (its level's bins); then
    /// a cover by earlier bins or -1: the first covering bin's index, the covering
    /// rows and columns of bins, and the distance between covering rows (bins).
    /// A level's bins are consecutive, in output order.
    public var bins: UnsafePointer<Int>
    public var binCount: Int
    /// Scratch of H * W * 8 floats.
    public var tile: UnsafeMutablePointer<Float>
    /// Scratch of binCount * 8 floats (32-byte aligned): every bin's 8 lanes.
    public var results: UnsafeMutablePointer<Float>
    /// 0: the source is `planes` channels-first planes; else the source is
    /// channels-last, src channel channelBase of pixel 0, pixels this many
    /// elements apart (the channel count).
    public var pixelStride: Int

    public static let entries = 10

    @inlinable
    public init(planes: Int, channelBase: Int, H: Int, W: Int, bins: UnsafePointer<Int>, binCount: Int,
                tile: UnsafeMutablePointer<Float>, results: UnsafeMutablePointer<Float>, pixelStride: Int = 0) {
        self.planes = planes
        self.channelBase = channelBase
        self.H = H; self.W = W
        self.bins = bins
        self.binCount = binCount
        self.tile = tile
        self.results = results
        self.pixelStride = pixelStride
    }
}

/// src: channel channelBase's plane (channels-last: its value in pixel 0); dst: the
/// sample's output vector.
public typealias PyramidMaxPlanes = (_ src: UnsafePointer<Float>, _ p: PyramidPlanes,
                                     _ dst: UnsafeMutablePointer<Float>) -> Void

/// An upper bound of `count` indices read as UInt64 (max pooling backward's index
/// check): `small` (the valid range ends at or below 2^31): their maximum when all
/// lie in [0, 2^31), else UInt64.max; otherwise their exact maximum.
public typealias IndexBound = (_ p: UnsafePointer<Int64>, _ count: Int, _ small: Bool) -> UInt64

/// Every kernel of one instruction-set family.
public struct KernelTable {
    public var float: ElementKernels<Float>
    public var double: ElementKernels<Double>
    public var uint8: NarrowMaxKernels<UInt8>
    public var int8: NarrowMaxKernels<Int8>
    public var float16: NarrowMaxKernels<Float16>
    public var floatBinAverage: BinAverageChannelsLast
    public var floatAdaptivePlanes: AdaptiveAvgPlanes
    public var floatGlobalAverage: GlobalAverageChannelsLast
    public var floatGlobalAveragePlanes: GlobalAveragePlanes
    /// By NaN rule: .0 PyTorch's propagation, .1 NaN-ignoring.
    public var floatPyramidMax: (PyramidMaxPlanes, PyramidMaxPlanes)
    public var indexBound: IndexBound

    @inlinable
    public init(float: ElementKernels<Float>, double: ElementKernels<Double>, uint8: NarrowMaxKernels<UInt8>,
                int8: NarrowMaxKernels<Int8>, float16: NarrowMaxKernels<Float16>,
                floatBinAverage: @escaping BinAverageChannelsLast,
                floatAdaptivePlanes: @escaping AdaptiveAvgPlanes,
                floatGlobalAverage: @escaping GlobalAverageChannelsLast,
                floatGlobalAveragePlanes: @escaping GlobalAveragePlanes,
                floatPyramidMax: (PyramidMaxPlanes, PyramidMaxPlanes),
                indexBound: @escaping IndexBound) {
        self.float = float
        self.double = double
        self.uint8 = uint8
        self.int8 = int8
        self.float16 = float16
        self.floatBinAverage = floatBinAverage
        self.floatAdaptivePlanes = floatAdaptivePlanes
        self.floatGlobalAverage = floatGlobalAverage
        self.floatGlobalAveragePlanes = floatGlobalAveragePlanes
        self.floatPyramidMax = floatPyramidMax
        self.indexBound = indexBound
    }
}

// Tables hold only pointers to stateless functions: safe to share between threads.
extension ElementKernels: @unchecked Sendable {}
extension NarrowMaxKernels: @unchecked Sendable {}
extension KernelTable: @unchecked Sendable {}
