// Helpers for the LP, adaptive and spatial pyramid pooling tests: calls through
// the C ABI and a tolerant comparison for results summed in different orders.
import CSwiftPool
import XCTest
@testable import SwiftPool

/// A dummy non-NULL pointer for empty arrays (the C API rejects NULL tensors).
private func nonNull(_ p: UnsafeRawPointer?) -> UnsafeRawPointer { p ?? UnsafeRawPointer(bitPattern: 64)! }
private func nonNull(_ p: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer { p ?? UnsafeMutableRawPointer(bitPattern: 64)! }

/// Value every output element starts as: a failed call must leave it untouched.
let untouched = 77.0

/// swiftpool_lp_pool_forward; returns (status, output).
func callLpPool<T: PoolElement>(_ desc: swiftpool_pool_desc, _ p: Double, _ input: [T],
                                        outputCount: Int) -> (Int32, [T]) {
    var d = desc
    var out = [T](repeating: T(poolWide: untouched), count: outputCount)
    let rc = input.withUnsafeBytes { src in
        out.withUnsafeMutableBytes { dst in
            swiftpool_lp_pool_forward(&d, p, nonNull(src.baseAddress), Int64(input.count),
                                      nonNull(dst.baseAddress), Int64(outputCount))
        }
    }
    return (rc, out)
}

/// swiftpool_adaptive_{max,avg}_pool_forward; returns (status, output, indices).
func callAdaptive<T: PoolElement>(_ desc: swiftpool_pool_desc, outputSize: [Int], _ input: [T], max: Bool,
                                          withIndices: Bool = true) -> (Int32, [T], [Int64]) {
    var d = desc
    let rank = Int(desc.spatial_rank)
    let count = Int(desc.batch) * Int(desc.channels) * outputSize.prefix(rank).reduce(1, *)
    var out = [T](repeating: T(poolWide: untouched), count: count)
    var idx = [Int64](repeating: -7, count: count)
    let sizes = outputSize.map(Int64.init)
    let rc = input.withUnsafeBytes { src in
        out.withUnsafeMutableBytes { dst in
            idx.withUnsafeMutableBufferPointer { ip in
                if max {
                    return swiftpool_adaptive_max_pool_forward(&d, sizes, nonNull(src.baseAddress), Int64(input.count),
                                                               nonNull(dst.baseAddress), Int64(count),
                                                               withIndices ? (ip.baseAddress ?? UnsafeMutablePointer(bitPattern: 128)) : nil,
                                                               withIndices ? Int64(count) : 0)
                }
                return swiftpool_adaptive_avg_pool_forward(&d, sizes, nonNull(src.baseAddress), Int64(input.count),
                                                           nonNull(dst.baseAddress), Int64(count))
            }
        }
    }
    return (rc, out, idx)
}

/// swiftpool_spatial_pyramid_pool_forward with levels as (rows, columns) pairs.
func callPyramid<T: PoolElement>(_ desc: swiftpool_pool_desc, levels: [(Int, Int)], mode: swiftpool_spp_mode,
                                         bins: swiftpool_spp_bins, sizes: [Int]? = nil, _ input: [T]) -> (Int32, [T]) {
    var d = desc
    let flat = levels.flatMap { [Int64($0.0), Int64($0.1)] }
    var length: Int64 = 0
    _ = swiftpool_spatial_pyramid_pool_output_length(desc.channels, flat, Int64(levels.count), &length)
    let count = Int(desc.batch) * Int(length)
    var out = [T](repeating: T(poolWide: untouched), count: count)
    let sizes64 = sizes?.map(Int64.init)
    let rc = input.withUnsafeBytes { src in
        out.withUnsafeMutableBytes { dst in
            swiftpool_spatial_pyramid_pool_forward(&d, flat, Int64(levels.count), Int32(mode.rawValue), Int32(bins.rawValue),
                                                   sizes64, Int64(sizes64?.count ?? 0),
                                                   nonNull(src.baseAddress), Int64(input.count),
                                                   nonNull(dst.baseAddress), Int64(count))
        }
    }
    return (rc, out)
}

/// Equal, both NaN (any payload), or within `ulps` units in the last place of the
/// expected value (at least of `scale`, for sums that cancel).
func closeOrBothNaN<T: BinaryFloatingPoint>(_ got: T, _ want: T, ulps: T = 4, scale: T = 0) -> Bool {
    if got.isNaN || want.isNaN { return got.isNaN && want.isNaN }
    if got == want { return true }
    return abs(got - want) <= ulps * Swift.max(want.ulp, scale.ulp)
}

/// Fails (once) at the first element that is not `closeOrBothNaN`; true when all are.
@discardableResult
func assertAllClose<T: BinaryFloatingPoint>(_ got: [T], _ want: [T], ulps: T = 4, scale: T = 0, _ context: @autoclosure () -> String,
                                            file: StaticString = #filePath, line: UInt = #line) -> Bool {
    guard got.count == want.count else {
        XCTFail("\(context()): \(got.count) elements, want \(want.count)", file: file, line: line)
        return false
    }
    for i in got.indices where !closeOrBothNaN(got[i], want[i], ulps: ulps, scale: scale) {
        XCTFail("\(context()): element \(i) is \(got[i]), want \(want[i])", file: file, line: line)
        return false
    }
    return true
}

/// Equal, both NaN, or within relative error `relative` (for types without ulp, e.g. bfloat16).
func closeRelative<T: PoolElement>(_ got: T, _ want: T, relative: Double) -> Bool {
    let a = got.poolWide, b = want.poolWide
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return a == b || abs(a - b) <= relative * abs(b)
}

/// NCHW -> NHWC for a tensor with `plane` spatial elements per channel.
func toChannelsLast<T>(_ x: [T], batch: Int, channels: Int, plane: Int) -> [T] {
    var y = x
    for n in 0..<batch { for c in 0..<channels { for p in 0..<plane {
        y[(n * plane + p) * channels + c] = x[(n * channels + c) * plane + p]
    }}}
    return y
}
