// The narrow dtypes (float16, bfloat16, uint8, int8) through LP, adaptive and
// spatial pyramid pooling: max-type operators take all of them, averaging ones
// (adaptive average, LP, SPP average) the floating-point ones only.
import CSwiftPool
import XCTest
@testable import SwiftPool

final class LpAdaptiveSppDtypeTests: XCTestCase {
    /// Float test values (NaN, inf, ties) mapped onto each narrow type.
    static func toInt(_ x: Float) -> Int { x.isNaN ? 0 : x.isInfinite ? (x > 0 ? 1000 : -1000) : Int(x * 2) }

    func adaptiveMax<T: PoolElement>(_ dtype: swiftpool_dtype, seed: UInt64, _ convert: (Float) -> T) throws {
        var rng = SeededRNG(seed: testSeed(seed))
        for trial in 0..<60 {
            let rank = Int.random(in: 1...3, using: &rng)
            let input = (0..<rank).map { _ in Int.random(in: 1...(rank == 3 ? 5 : 9), using: &rng) }
            let output = input.map { Int.random(in: 1...($0 + 2), using: &rng) }
            let desc = makeDesc(rank: rank, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                                batch: 2, channels: [1, 3, 8].randomElement(using: &rng)!, input: input, kernel: input,
                                flags: Bool.random(using: &rng) ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0, dtype: dtype)
            let g = try AdaptiveGeometry(desc, outputSize: output.map(Int64.init), op: .max)
            let x = randomValues(g.inputElements, &rng, special: true, as: Float.self).map(convert)
            let want = ReferenceLpAdaptiveSpp.adaptivePool(g, x, max: true)
            let (rc, got, indices) = callAdaptive(desc, outputSize: output, x, max: true)
            let context = "dtype \(dtype.rawValue) trial \(trial) output \(output): \(describe(desc))"
            XCTAssertEqual(rc, statusOK, context)
            XCTAssertEqual(bits(got), bits(want.values), context)
            XCTAssertEqual(indices, want.indices, context)
            if bits(got) != bits(want.values) || indices != want.indices { return }
        }
    }

    /// Adaptive average of every float dtype, ranks 1-3, both layouts, outputs of 1,
    /// = input and above it, values spread over many binades (so summation order and
    /// division rounding show), NaN/inf, 1 and 3 threads: bitwise the reference
    /// (PyTorch's arithmetic; global pooling: the reference's Double sum, exact here
    /// for small planes), NaN payloads aside.
    func adaptiveAverages<T: PoolElement>(_ dtype: swiftpool_dtype, seed: UInt64, _ convert: (Float) -> T) throws {
        var rng = SeededRNG(seed: testSeed(seed))
        for trial in 0..<80 {
            let rank = Int.random(in: 1...3, using: &rng)
            let input = (0..<rank).map { _ in Int.random(in: 1...(rank == 3 ? 6 : rank == 2 ? 15 : 40), using: &rng) }
            let style = Int.random(in: 0..<4, using: &rng)
            let output = input.map { style == 0 ? 1 : style == 1 ? $0 : Int.random(in: 1...($0 + 3), using: &rng) }
            let desc = makeDesc(rank: rank, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                                batch: Int.random(in: 1...2, using: &rng), channels: [1, 3, 8, 9, 17, 40].randomElement(using: &rng)!,
                                input: input, kernel: input, dtype: dtype)
            let g = try AdaptiveGeometry(desc, outputSize: output.map(Int64.init), op: .average)
            let special = trial % 3 == 0
            let x = randomValues(g.inputElements, &rng, special: special, as: Float.self).map {
                convert($0 * Float(sign: .plus, exponent: Int.random(in: -10...10, using: &rng), significand: 1))
            }
            let want = ReferenceLpAdaptiveSpp.adaptivePool(g, x, max: false).values
            for threads: Int32 in [1, 3] {
                XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
                let (rc, got, _) = callAdaptive(desc, outputSize: output, x, max: false)
                let context = "dtype \(dtype.rawValue) trial \(trial) output \(output) threads \(threads): \(describe(desc))"
                XCTAssertEqual(rc, statusOK, context)
                if g.outputPlane == 1 && !special {
                    // Global float32/float64 planes are summed with four accumulators in Double.
                    continue
                }
                XCTAssertEqual(nanCanonicalBits(got), nanCanonicalBits(want), context)
                if nanCanonicalBits(got) != nanCanonicalBits(want) { _ = swiftpool_set_num_threads(0); return }
            }
        }
        _ = swiftpool_set_num_threads(0)
    }

    func testAdaptiveAverageAllFloatDtypes() throws {
        try adaptiveAverages(SWIFTPOOL_DTYPE_FLOAT32, seed: 0x7D00_0011) { $0 }
        try adaptiveAverages(SWIFTPOOL_DTYPE_FLOAT64, seed: 0x7D00_0012) { Double($0) }
        try adaptiveAverages(SWIFTPOOL_DTYPE_FLOAT16, seed: 0x7D00_0013) { Float16($0) }
        try adaptiveAverages(SWIFTPOOL_DTYPE_BFLOAT16, seed: 0x7D00_0014) { BFloat16($0) }
    }

    func testAdaptiveMaxAllDtypes() throws {
        try adaptiveMax(SWIFTPOOL_DTYPE_UINT8, seed: 0x7D00_0001) { UInt8(clamping: Self.toInt($0) + 8) }
        try adaptiveMax(SWIFTPOOL_DTYPE_INT8, seed: 0x7D00_0002) { Int8(clamping: Self.toInt($0)) }
        try adaptiveMax(SWIFTPOOL_DTYPE_FLOAT16, seed: 0x7D00_0003) { Float16($0) }
        try adaptiveMax(SWIFTPOOL_DTYPE_BFLOAT16, seed: 0x7D00_0004) { BFloat16($0) }
    }

    /// Half-precision averages: small exact values, so every summation order agrees bit for bit.
    func averages<T: PoolElement>(_ dtype: swiftpool_dtype, seed: UInt64, _ convert: (Float) -> T) throws {
        var rng = SeededRNG(seed: testSeed(seed))
        for trial in 0..<40 {
            let (h, w) = (Int.random(in: 1...9, using: &rng), Int.random(in: 1...9, using: &rng))
            let out = [Int.random(in: 1...(h + 2), using: &rng), Int.random(in: 1...(w + 2), using: &rng)]
            let desc = makeDesc(rank: 2, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                                batch: 2, channels: 3, input: [h, w], kernel: [1, 1], dtype: dtype)
            let x = randomValues(2 * 3 * h * w, &rng, special: false, as: Float.self).map(convert)
            let context = "dtype \(dtype.rawValue) trial \(trial): \(describe(desc))"
            let g = try AdaptiveGeometry(desc, outputSize: out.map(Int64.init), op: .average)
            XCTAssertEqual(bits(callAdaptive(desc, outputSize: out, x, max: false).1),
                           bits(ReferenceLpAdaptiveSpp.adaptivePool(g, x, max: false).values), context)
            let levels = [(2, 3), (1, 1)]
            let flat = levels.flatMap { [Int64($0.0), Int64($0.1)] }
            for mode in [SWIFTPOOL_SPP_MAX, SWIFTPOOL_SPP_AVG] {
                let sg = try PyramidGeometry(desc, levels: flat, mode: Int32(mode.rawValue),
                                             bins: Int32(SWIFTPOOL_SPP_BINS_ADAPTIVE.rawValue), sizes: nil)
                let (rc, got) = callPyramid(desc, levels: levels, mode: mode, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE, x)
                XCTAssertEqual(rc, statusOK, context)
                XCTAssertEqual(bits(got), bits(ReferenceLpAdaptiveSpp.pyramidPool(sg, x)), "mode \(mode.rawValue) " + context)
            }
            // LP: x*x vs pow and sqrt vs pow may differ in the last bit of a double, which the
            // rounding to 16 bits almost always hides: allow one unit of the narrow type.
            var lpDesc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NCHW, batch: 2, channels: 3, input: [h, w],
                                  kernel: [Swift.min(h, 2), Swift.min(w, 3)], ceilMode: true, dtype: dtype)
            for p in [1.0, 2, 3] {
                lpDesc.flags = p == 3 ? UInt32(SWIFTPOOL_FLAG_LP_ONNX) : 0
                let lg = try LpPoolGeometry(lpDesc, normType: p)
                let want = ReferenceLpAdaptiveSpp.lpPool(lg, x)
                let (rc, got) = callLpPool(lpDesc, p, x, outputCount: lg.pool.outputElements)
                XCTAssertEqual(rc, statusOK, context)
                for i in got.indices where !closeRelative(got[i], want[i], relative: 1.0 / 128) {
                    XCTFail("p \(p) element \(i): \(got[i].poolWide) vs \(want[i].poolWide), \(context)"); return
                }
            }
        }
    }

    func testHalfPrecisionAverages() throws {
        try averages(SWIFTPOOL_DTYPE_FLOAT16, seed: 0x7D00_0011) { Float16($0) }
        try averages(SWIFTPOOL_DTYPE_BFLOAT16, seed: 0x7D00_0012) { BFloat16($0) }
    }

    /// SPP max over integers: exact.
    func testPyramidMaxIntegers() throws {
        var rng = SeededRNG(seed: testSeed(0x7D00_0021))
        let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NHWC, batch: 2, channels: 3, input: [7, 5], kernel: [1, 1],
                            dtype: SWIFTPOOL_DTYPE_INT8)
        let x = (0..<(2 * 3 * 35)).map { _ in Int8.random(in: .min ... .max, using: &rng) }
        let levels = [(3, 3), (2, 1)]
        let g = try PyramidGeometry(desc, levels: [3, 3, 2, 1], mode: Int32(SWIFTPOOL_SPP_MAX.rawValue),
                                    bins: Int32(SWIFTPOOL_SPP_BINS_ADAPTIVE.rawValue), sizes: [7, 5, 4, 2])
        let (rc, got) = callPyramid(desc, levels: levels, mode: SWIFTPOOL_SPP_MAX, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE,
                                    sizes: [7, 5, 4, 2], x)
        XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()))
        XCTAssertEqual(got, ReferenceLpAdaptiveSpp.pyramidPool(g, x))
    }

    /// Averaging integer data is UNSUPPORTED (as PyTorch), and nothing is written.
    func testIntegerAveragingIsUnsupported() {
        for dtype in [SWIFTPOOL_DTYPE_UINT8, SWIFTPOOL_DTYPE_INT8] {
            let desc = makeDesc(rank: 2, input: [2, 2], kernel: [2, 2], dtype: dtype)
            let x = [UInt8](repeating: 3, count: 4)
            let checks: [(String, Int32, [UInt8])] = [
                ("swiftpool_lp_pool_forward", callLpPool(desc, 2, x, outputCount: 1).0, callLpPool(desc, 2, x, outputCount: 1).1),
                ("swiftpool_adaptive_avg_pool_forward", callAdaptive(desc, outputSize: [1, 1], x, max: false).0,
                 callAdaptive(desc, outputSize: [1, 1], x, max: false).1),
                ("swiftpool_spatial_pyramid_pool_forward",
                 callPyramid(desc, levels: [(1, 1)], mode: SWIFTPOOL_SPP_AVG, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE, x).0,
                 callPyramid(desc, levels: [(1, 1)], mode: SWIFTPOOL_SPP_AVG, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE, x).1),
            ]
            for (function, rc, out) in checks {
                XCTAssertEqual(rc, status(SWIFTPOOL_ERROR_UNSUPPORTED), function)
                XCTAssertEqual(out, [77], function)
            }
            // The max-type operators accept them.
            XCTAssertEqual(callAdaptive(desc, outputSize: [1, 1], x, max: true).0, statusOK)
            XCTAssertEqual(callPyramid(desc, levels: [(1, 1)], mode: SWIFTPOOL_SPP_MAX, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE, x).0, statusOK)
            // The shape query is operator-neutral.
            var d = desc
            var elements: Int64 = 0
            XCTAssertEqual(swiftpool_pool_output_shape(&d, nil, &elements), statusOK)
            XCTAssertEqual(elements, 1)
        }
        // The message names the function and the dtype.
        let desc = makeDesc(rank: 1, input: [2], kernel: [2], dtype: SWIFTPOOL_DTYPE_INT8)
        _ = callLpPool(desc, 2, [Int8(1), 2], outputCount: 1)
        XCTAssertTrue(String(cString: swiftpool_last_error_message())
            .hasPrefix("swiftpool_lp_pool_forward: dtype 6 is an integer type"), String(cString: swiftpool_last_error_message()))
    }
}
