// The 16-lane max kernels of uint8, int8 and float16 (NarrowMaxRows), and the
// threaded adaptive-average and spatial-pyramid kernels, against the reference:
// shapes that reach the vector paths and their edges (row lengths around 16 and
// 17, stride 1 and 2, odd sizes, channel counts around 16, padding and dilation),
// values with ties, NaN payloads of both signs, ±inf and ±0, and several thread
// counts (problems large enough to be split). Run under both kernel families
// (SWIFTPOOL_MAX_ISA=baseline and the default), as every Swift test.
import CSwiftPool
import XCTest
@testable import SwiftPool

final class NarrowAndBinKernelTests: XCTestCase {
    static let threadCounts: [Int32] = [1, 2, 3]

    override func tearDown() { swiftpool_set_num_threads(0) }

    /// float16 bit patterns: few distinct values (ties), ±0, subnormals, ±inf and
    /// (when `special`) NaNs of both signs with distinct payloads.
    func halfValues(_ count: Int, _ rng: inout SeededRNG, special: Bool) -> [Float16] {
        (0..<count).map { i in
            let r = Int.random(in: 0..<100, using: &rng)
            let bits: UInt16
            if special && r < 4 {
                bits = (Bool.random(using: &rng) ? 0x8000 : 0) | 0x7E00 | UInt16(i % 500 + 1)   // quiet NaN, payload
            } else if special && r < 5 {
                bits = (Bool.random(using: &rng) ? 0x8000 : 0) | 0x7C00 | UInt16(i % 200 + 1)   // signalling NaN
            } else if special && r < 8 {
                bits = 0x7C00                                                                  // +inf
            } else if special && r < 11 {
                bits = 0xFC00                                                                  // -inf
            } else if r < 20 {
                bits = Bool.random(using: &rng) ? 0x8000 : 0x0000                              // -0 / +0
            } else if r < 25 {
                bits = (Bool.random(using: &rng) ? 0x8000 : 0) | UInt16(Int.random(in: 1...3, using: &rng))  // subnormal
            } else {
                return Float16(Float(Int.random(in: -6...6, using: &rng)) / 4)
            }
            return Float16(bitPattern: bits)
        }
    }

    /// Equal arrays, or one failure naming the first difference (not whole arrays).
    func expectSame<E: Equatable>(_ got: [E], _ want: [E], _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        guard got != want else { return }
        let i = (0..<Swift.min(got.count, want.count)).first { got[$0] != want[$0] } ?? Swift.min(got.count, want.count)
        XCTFail("\(context): \(got.count) vs \(want.count) elements, first difference at \(i): got \(i < got.count ? "\(got[i])" : "-"), want \(i < want.count ? "\(want[i])" : "-")",
                file: file, line: line)
    }

    func runMax<T: PoolElement>(_ desc: swiftpool_pool_desc, _ input: [T], withIndices: Bool, threads: Int32,
                                file: StaticString = #filePath, line: UInt = #line) -> ([T], [Int64]) {
        XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
        var d = desc
        var elements: Int64 = 0
        XCTAssertEqual(swiftpool_pool_output_shape(&d, nil, &elements), statusOK, file: file, line: line)
        var out = [T](repeating: T(poolWide: 77), count: Int(elements))
        var idx = [Int64](repeating: -7, count: Int(elements))
        let rc = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                idx.withUnsafeMutableBufferPointer { ip in
                    swiftpool_max_pool_forward(&d, src.baseAddress!, Int64(input.count), dst.baseAddress!, elements,
                                               withIndices ? ip.baseAddress! : nil, withIndices ? elements : 0)
                }
            }
        }
        XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()), file: file, line: line)
        return (out, idx)
    }

    /// A problem for the narrow kernels: 2D, rows of about 16 outputs (vector edges),
    /// stride 1 or 2, small kernels, sometimes padding / dilation / ceil_mode, both
    /// layouts, channels around 16; every few trials one large enough for threads.
    func narrowProblem(_ rng: inout SeededRNG, dtype: swiftpool_dtype, trial: Int) -> swiftpool_pool_desc {
        while true {
            let big = trial % 5 == 0
            let stride = [1, 2, 2, 3].randomElement(using: &rng)!
            let kernel = [Int.random(in: 1...3, using: &rng), Int.random(in: 1...3, using: &rng)]
            let dilation = Int.random(in: 0..<6, using: &rng) == 0 ? [1, 2] : [1, 1]
            let padding = Int.random(in: 0..<4, using: &rng) == 0 ? [kernel[0] / 2, kernel[1] / 2] : [0, 0]
            // Output row lengths near 16, 17, 33 (and short ones).
            let outW = [3, 15, 16, 17, 18, 31, 33, 40].randomElement(using: &rng)!
            let width = (outW - 1) * stride + (kernel[1] - 1) * dilation[1] + 1 - 2 * padding[1] + Int.random(in: 0...1, using: &rng)
            let height = big ? 64 : Int.random(in: 1...9, using: &rng) + kernel[0]
            let layout = Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC
            let channels = big ? 32 : [1, 3, 15, 16, 17, 33].randomElement(using: &rng)!
            let desc = makeDesc(rank: 2, layout: layout, batch: big ? 4 : Int.random(in: 1...2, using: &rng),
                                channels: channels, input: [height, Swift.max(width, 1)], kernel: kernel,
                                stride: [stride, stride], padding: padding, dilation: dilation,
                                ceilMode: Int.random(in: 0..<4, using: &rng) == 0,
                                flags: Bool.random(using: &rng) ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0, dtype: dtype)
            var elements: Int64 = 0
            if swiftpool_pool_output_shape([desc], nil, &elements) == statusOK { return desc }
        }
    }

    func checkNarrow<T: PoolElement>(_ dtype: swiftpool_dtype, seed: UInt64, trials: Int,
                                     _ values: (Int, inout SeededRNG, Bool) -> [T]) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let desc = narrowProblem(&rng, dtype: dtype, trial: trial)
            let g = try PoolGeometry(desc, op: .max)
            let input = values(g.inputElements, &rng, trial % 3 != 2)
            let want = ReferencePool.maxPool(g, input)
            for threads in NarrowAndBinKernelTests.threadCounts {
                let context = "seed \(seed) trial \(trial) threads \(threads): \(describe(desc))"
                let (valuesOnly, _) = runMax(desc, input, withIndices: false, threads: threads)
                expectSame(bits(valuesOnly), bits(want.values), "values-only (vector) path, " + context)
                let (values, indices) = runMax(desc, input, withIndices: true, threads: threads)
                expectSame(bits(values), bits(want.values), context)
                expectSame(indices, want.indices, "indices, " + context)
                if bits(valuesOnly) != bits(want.values) || bits(values) != bits(want.values) || indices != want.indices {
                    return
                }
            }
        }
    }

    func testUInt8MaxMatchesReference() throws {
        try checkNarrow(SWIFTPOOL_DTYPE_UINT8, seed: testSeed(0x4A11_0001), trials: 60) { count, rng, _ in
            // Few distinct values (ties), the extremes included.
            (0..<count).map { _ in [UInt8]([0, 1, 2, 7, 127, 128, 200, 254, 255]).randomElement(using: &rng)! }
        }
    }

    func testInt8MaxMatchesReference() throws {
        try checkNarrow(SWIFTPOOL_DTYPE_INT8, seed: testSeed(0x4A11_0002), trials: 60) { count, rng, _ in
            (0..<count).map { _ in [Int8]([-128, -127, -1, 0, 1, 5, 126, 127]).randomElement(using: &rng)! }
        }
    }

    func testFloat16MaxMatchesReference() throws {
        try checkNarrow(SWIFTPOOL_DTYPE_FLOAT16, seed: testSeed(0x4A11_0003), trials: 90) { count, rng, special in
            halfValues(count, &rng, special: special)
        }
    }

    /// The benchmark's shape (VGG k2 s2), both layouts, NaN-free and with NaN.
    func testVggShapeNarrowTypes() throws {
        var rng = SeededRNG(seed: testSeed(0x4A11_0004))
        for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
            for special in [false, true] {
                let desc = makeDesc(rank: 2, layout: layout, batch: 2, channels: 24, input: [56, 56], kernel: [2, 2],
                                    stride: [2, 2], dtype: SWIFTPOOL_DTYPE_FLOAT16)
                let g = try PoolGeometry(desc, op: .max)
                let input = halfValues(g.inputElements, &rng, special: special)
                let want = ReferencePool.maxPool(g, input)
                var u8 = desc
                u8.dtype = Int32(SWIFTPOOL_DTYPE_UINT8.rawValue)
                let bytes = (0..<g.inputElements).map { _ in UInt8.random(in: 250...255, using: &rng) }
                let wantBytes = ReferencePool.maxPool(try PoolGeometry(u8, op: .max), bytes)
                for threads in NarrowAndBinKernelTests.threadCounts {
                    let context = "layout \(layout) special \(special) threads \(threads)"
                    expectSame(bits(runMax(desc, input, withIndices: false, threads: threads).0), bits(want.values), context)
                    expectSame(runMax(u8, bytes, withIndices: false, threads: threads).0, wantBytes.values, context)
                }
            }
        }
    }

    /// Undilated 2x2 stride-2 windows, channels-first (the bytes' unrolled
    /// max2x2 path, and float16's loop): row lengths with 15 to 40 outputs (the
    /// last vector overlapping), odd and even widths (a trailing unused column),
    /// ceil_mode's partial last window (a scalar edge), both NaN rules, special
    /// values, and every test thread count.
    func testTwoByTwoStrideTwoChannelsFirst() throws {
        var rng = SeededRNG(seed: testSeed(0x4A11_0005))
        for trial in 0..<24 {
            let outW = [15, 16, 17, 24, 31, 32, 33, 40][trial % 8]
            let width = 2 * outW + trial % 2
            let ceilMode = trial % 3 == 2
            let flags = trial % 4 >= 2 ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0
            let special = trial % 6 != 5
            for dtype in [SWIFTPOOL_DTYPE_UINT8, SWIFTPOOL_DTYPE_INT8, SWIFTPOOL_DTYPE_FLOAT16] {
                let desc = makeDesc(rank: 2, batch: 2, channels: 3, input: [2 * (trial % 5) + 3, width],
                                    kernel: [2, 2], stride: [2, 2], ceilMode: ceilMode, flags: flags, dtype: dtype)
                let g = try PoolGeometry(desc, op: .max)
                for threads in NarrowAndBinKernelTests.threadCounts {
                    let context = "trial \(trial) dtype \(dtype) threads \(threads): \(describe(desc))"
                    switch dtype {
                    case SWIFTPOOL_DTYPE_UINT8:
                        let input = (0..<g.inputElements).map { _ in [UInt8]([0, 1, 127, 128, 254, 255]).randomElement(using: &rng)! }
                        let want = ReferencePool.maxPool(g, input)
                        expectSame(runMax(desc, input, withIndices: false, threads: threads).0, want.values, context)
                    case SWIFTPOOL_DTYPE_INT8:
                        let input = (0..<g.inputElements).map { _ in [Int8]([-128, -1, 0, 1, 127]).randomElement(using: &rng)! }
                        let want = ReferencePool.maxPool(g, input)
                        expectSame(runMax(desc, input, withIndices: false, threads: threads).0, want.values, context)
                    default:
                        let input = halfValues(g.inputElements, &rng, special: special)
                        let want = ReferencePool.maxPool(g, input)
                        expectSame(bits(runMax(desc, input, withIndices: false, threads: threads).0), bits(want.values),
                                   context)
                    }
                }
            }
        }
    }

    // MARK: Adaptive average and spatial pyramid pooling, threaded

    /// Problems large enough to be split over threads (the benchmark's shapes,
    /// smaller batch), odd channel counts, and small ones.
    func testAdaptiveAverageThreadsMatchReference() throws {
        var rng = SeededRNG(seed: testSeed(0x4A11_0011))
        let cases: [(n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int)] = [
            (2, 256, 13, 13, 6, 6), (3, 37, 17, 11, 5, 4), (1, 5, 7, 7, 3, 3), (2, 300, 9, 9, 4, 2), (1, 9, 40, 40, 3, 7),
            // Rows ending in groups of 1, 2 and 3 bins; planes with more outputs than the
            // float kernel's output tile holds (stored lane by lane).
            (2, 13, 21, 19, 4, 5), (1, 11, 40, 40, 20, 17), (3, 6, 23, 29, 17, 18),
            // Global (1x1 output): channels-first planes 8 at a time, a tail of planes,
            // plane sizes below, at and off a multiple of 4, and a plane of one element.
            (4, 67, 7, 7, 1, 1), (2, 9, 3, 5, 1, 1), (1, 16, 1, 1, 1, 1), (3, 40, 33, 31, 1, 1), (5, 3, 2, 2, 1, 1),
        ]
        for (i, t) in cases.enumerated() {
            for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
                let desc = makeDesc(rank: 2, layout: layout, batch: t.n, channels: t.c, input: [t.h, t.w], kernel: [1, 1])
                let g = try AdaptiveGeometry(desc, outputSize: [Int64(t.oh), Int64(t.ow)], op: .average)
                let input = randomValues(g.inputElements, &rng, special: i % 2 == 1, as: Float.self)
                    .map { $0 + Float(Int.random(in: 0..<1000, using: &rng)) / 997 }
                let want = ReferenceLpAdaptiveSpp.adaptivePool(g, input, max: false).values
                let scale = input.map { abs($0) }.filter(\.isFinite).max() ?? 0
                for threads in NarrowAndBinKernelTests.threadCounts {
                    XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
                    let (rc, got, _) = callAdaptive(desc, outputSize: [t.oh, t.ow], input, max: false)
                    XCTAssertEqual(rc, statusOK)
                    let context = "case \(i) layout \(layout) threads \(threads)"
                    if !assertAllClose(got, want, ulps: 4, scale: scale, context) { return }
                    // Sums run in the reference's order: bitwise, but for NaN payloads (which
                    // NaN operand an add returns is up to the instruction selection; the
                    // contract is only "a NaN in the bin gives NaN"). Global float32 pooling
                    // adds Float partial sums in Double instead (its documented order is
                    // checked bit for bit in AdaptivePoolTests.testGlobalAverageFloatKernels).
                    if t.oh * t.ow == 1 { continue }
                    expectSame(nanCanonicalBits(got), nanCanonicalBits(want), "bitwise, " + context)
                }
            }
        }
    }

    /// The pyramid through the C ABI at every test thread count, against `want`.
    func checkPyramidThreads(_ desc: swiftpool_pool_desc, _ levels: [(Int, Int)], _ mode: swiftpool_spp_mode,
                             _ bins: swiftpool_spp_bins, _ input: [Float], _ want: [Float], ulps: Float, scale: Float,
                             _ context: String) -> Bool {
        for threads in NarrowAndBinKernelTests.threadCounts {
            XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
            let (rc, got) = callPyramid(desc, levels: levels, mode: mode, bins: bins, sizes: nil, input)
            XCTAssertEqual(rc, statusOK)
            if !assertAllClose(got, want, ulps: ulps, scale: scale, context + " threads \(threads)") { return false }
        }
        return true
    }

    func testPyramidThreadsMatchReference() throws {
        var rng = SeededRNG(seed: testSeed(0x4A11_0012))
        let cases: [(n: Int, c: Int, h: Int, w: Int, levels: [(Int, Int)])] = [
            (4, 128, 13, 13, [(4, 4), (2, 2), (1, 1)]), (3, 37, 11, 9, [(3, 2), (1, 1)]), (2, 17, 5, 7, [(6, 6), (2, 3)]),
            (1, 3, 70, 70, [(4, 4), (1, 1)]),   // plane above the tile limit: reduced in place
        ]
        for (i, t) in cases.enumerated() {
            for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
                for mode in [SWIFTPOOL_SPP_MAX, SWIFTPOOL_SPP_AVG] {
                    for nanIgnore in mode == SWIFTPOOL_SPP_MAX ? [false, true] : [false] {
                        let desc = makeDesc(rank: 2, layout: layout, batch: t.n, channels: t.c, input: [t.h, t.w],
                                            kernel: [1, 1], flags: nanIgnore ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0)
                        let g = try PyramidGeometry(desc, levels: t.levels.flatMap { [Int64($0.0), Int64($0.1)] },
                                                    mode: Int32(mode.rawValue), bins: Int32(SWIFTPOOL_SPP_BINS_ADAPTIVE.rawValue),
                                                    sizes: nil)
                        var input = randomValues(g.inputElements, &rng, special: mode == SWIFTPOOL_SPP_MAX, as: Float.self)
                        if mode == SWIFTPOOL_SPP_AVG { input = input.map { $0 + Float(Int.random(in: 0..<1000, using: &rng)) / 997 } }
                        let want = ReferenceLpAdaptiveSpp.pyramidPool(g, input)
                        let scale = mode == SWIFTPOOL_SPP_MAX ? 0 : input.map { abs($0) }.filter(\.isFinite).max() ?? 0
                        let context = "case \(i) layout \(layout) mode \(mode.rawValue) ignore \(nanIgnore)"
                        if !checkPyramidThreads(desc, t.levels, mode, SWIFTPOOL_SPP_BINS_ADAPTIVE, input, want,
                                                ulps: mode == SWIFTPOOL_SPP_MAX ? 0 : 8, scale: scale, context) { return }
                    }
                }
            }
        }
    }

    /// The float32 NCHW max kernel computes a coarse bin from finer bins that cover
    /// it exactly (levels reordered finest first). Level orders, covers that do
    /// and do not exist, both bin rules; planes without NaN (where covers are
    /// used) and with NaN/inf.
    func testPyramidCoversMatchReference() throws {
        var rng = SeededRNG(seed: testSeed(0x4A11_0013))
        let cases: [(n: Int, c: Int, h: Int, w: Int, levels: [(Int, Int)])] = [
            (2, 20, 13, 13, [(1, 1), (2, 2), (4, 4)]), (1, 9, 13, 17, [(3, 3), (6, 6), (1, 2), (2, 4)]),
            (2, 11, 10, 10, [(5, 5), (2, 2), (1, 1), (10, 10)]), (1, 16, 12, 12, [(4, 4), (3, 3), (2, 2), (6, 6), (1, 1)]),
            (3, 5, 3, 5, [(1, 1), (4, 4), (2, 2)]), (1, 8, 16, 16, [(8, 8), (4, 4), (2, 2), (1, 1), (16, 16)]),
        ]
        for (i, t) in cases.enumerated() {
            for rule in [SWIFTPOOL_SPP_BINS_ADAPTIVE, SWIFTPOOL_SPP_BINS_SPPNET] {
                for special in [false, true] {
                    for nanIgnore in [false, true] {
                        let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NCHW, batch: t.n, channels: t.c,
                                            input: [t.h, t.w], kernel: [1, 1],
                                            flags: nanIgnore ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0)
                        guard let g = try? PyramidGeometry(desc, levels: t.levels.flatMap { [Int64($0.0), Int64($0.1)] },
                                                           mode: Int32(SWIFTPOOL_SPP_MAX.rawValue),
                                                           bins: Int32(rule.rawValue), sizes: nil) else {
                            continue   // the SPP-net rule cannot divide every size
                        }
                        let input = randomValues(g.inputElements, &rng, special: special, as: Float.self)
                        let want = ReferenceLpAdaptiveSpp.pyramidPool(g, input)
                        let context = "case \(i) rule \(rule.rawValue) special \(special) ignore \(nanIgnore)"
                        if !checkPyramidThreads(desc, t.levels, SWIFTPOOL_SPP_MAX, rule, input, want, ulps: 0, scale: 0,
                                                context) { return }
                    }
                }
            }
        }
    }
}
