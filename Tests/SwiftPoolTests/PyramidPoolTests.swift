// Spatial pyramid pooling through the C ABI: against the reference (which pools
// every bin directly) on randomized problems, against a composition of adaptive
// pooling calls, hand-computed cases for both bin rules, per-sample sizes vs
// cropped samples, the SPP-net rule's errors, and the bad-input matrix.
import CSwiftPool
import XCTest
@testable import SwiftPool

final class PyramidPoolTests: XCTestCase {
    struct Problem {
        var desc: swiftpool_pool_desc
        var levels: [(Int, Int)]
        var mode: swiftpool_spp_mode
        var bins: swiftpool_spp_bins
        var sizes: [Int]?
    }

    /// A random valid problem (SPP-net problems are redrawn until the rule accepts them).
    func randomProblem(_ rng: inout SeededRNG, dtype: swiftpool_dtype) -> Problem {
        while true {
            let batch = Int.random(in: 0..<6, using: &rng) == 0 ? 0 : Int.random(in: 1...3, using: &rng)
            let (h, w) = (Int.random(in: 1...13, using: &rng), Int.random(in: 1...13, using: &rng))
            let levels: [(Int, Int)] = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                let a = Int.random(in: 1...5, using: &rng)
                return Bool.random(using: &rng) ? (a, a) : (a, Int.random(in: 1...5, using: &rng))
            }
            let mode = Bool.random(using: &rng) ? SWIFTPOOL_SPP_MAX : SWIFTPOOL_SPP_AVG
            let bins = Int.random(in: 0..<3, using: &rng) == 0 ? SWIFTPOOL_SPP_BINS_SPPNET : SWIFTPOOL_SPP_BINS_ADAPTIVE
            var sizes: [Int]? = nil
            if Bool.random(using: &rng) {
                sizes = (0..<batch).flatMap { _ in [Int.random(in: 1...h, using: &rng), Int.random(in: 1...w, using: &rng)] }
            }
            let desc = makeDesc(rank: 2, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                                batch: batch, channels: [1, 2, 3, 8].randomElement(using: &rng)!, input: [h, w], kernel: [1, 1],
                                flags: mode == SWIFTPOOL_SPP_MAX && Bool.random(using: &rng) ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0,
                                dtype: dtype)
            let problem = Problem(desc: desc, levels: levels, mode: mode, bins: bins, sizes: sizes)
            if (try? geometry(problem)) != nil { return problem }
        }
    }

    func geometry(_ p: Problem) throws -> PyramidGeometry {
        try PyramidGeometry(p.desc, levels: p.levels.flatMap { [Int64($0.0), Int64($0.1)] }, mode: Int32(p.mode.rawValue),
                            bins: Int32(p.bins.rawValue), sizes: p.sizes?.map(Int64.init))
    }

    func run<T: PoolElement>(_ p: Problem, _ input: [T], file: StaticString = #filePath, line: UInt = #line) -> [T] {
        let (rc, out) = callPyramid(p.desc, levels: p.levels, mode: p.mode, bins: p.bins, sizes: p.sizes, input)
        XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()), file: file, line: line)
        return out
    }

    func check<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let p = randomProblem(&rng, dtype: dtype)
            let g = try geometry(p)
            // Junk (NaN included) in the padded region of a sized batch must not leak in.
            var input = randomValues(g.inputElements, &rng, special: trial % 2 == 0, as: T.self)
            if p.mode == SWIFTPOOL_SPP_AVG { input = input.map { $0 + T(Int.random(in: 0..<1000, using: &rng)) / 997 } }
            let want = ReferenceLpAdaptiveSpp.pyramidPool(g, input)
            let got = run(p, input)
            let context = "seed \(seed) trial \(trial) levels \(p.levels) mode \(p.mode.rawValue) bins \(p.bins.rawValue) sizes \(p.sizes ?? []): \(describe(p.desc))"
            // Max regrouped by cells is exact (which NaN is unspecified); means round differently.
            let scale = p.mode == SWIFTPOOL_SPP_MAX ? 0 : input.map { abs($0) }.filter(\.isFinite).max() ?? 0
            if !assertAllClose(got, want, ulps: p.mode == SWIFTPOOL_SPP_MAX ? 0 : 8, scale: scale, context) { return }
        }
    }

    func testMatchesReference() throws {
        try check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x5BB0_0001), trials: 300)
    }

    /// Float32 max, both layouts: a single NaN at every (pixel, channel) position in
    /// turn must reach exactly the bins covering it (propagate) or none (ignore); the
    /// tiled kernels check NaN once per group of 8 channels (NHWC: per 4 pixels
    /// gathered) and take the plain-max path when they see none.
    func testEverySingleNaNPositionIsSeen() throws {
        var rng = SeededRNG(seed: testSeed(0x5BB0_0011))
        for (channels, h, w) in [(8, 5, 7), (11, 6, 5)] {
            for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
                for flags in [UInt32(0), UInt32(SWIFTPOOL_FLAG_NAN_IGNORE)] {
                    let desc = makeDesc(rank: 2, layout: layout, batch: 1, channels: channels, input: [h, w], kernel: [1, 1],
                                        flags: flags)
                    let p = Problem(desc: desc, levels: [(3, 3), (2, 2), (1, 1)], mode: SWIFTPOOL_SPP_MAX,
                                    bins: SWIFTPOOL_SPP_BINS_ADAPTIVE, sizes: nil)
                    let g = try geometry(p)
                    let base = randomValues(g.inputElements, &rng, special: false, as: Float.self)
                    for position in 0..<g.inputElements {
                        var input = base
                        input[position] = .nan
                        let want = ReferenceLpAdaptiveSpp.pyramidPool(g, input)
                        let got = run(p, input)
                        let context = "C \(channels) \(h)x\(w) layout \(layout.rawValue) flags \(flags) NaN at \(position)"
                        if !assertAllClose(got, want, ulps: 0, scale: 0, context) { return }
                    }
                }
            }
        }
    }

    func testFloat64MatchesReference() throws {
        try check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x5BB0_0002), trials: 150)
    }

    /// The vector length depends on C and the levels only.
    func testSameLengthForEveryImageSize() {
        let levels = [(4, 4), (2, 2), (1, 1)]
        var length: Int64 = 0
        XCTAssertEqual(swiftpool_spatial_pyramid_pool_output_length(3, [4, 4, 2, 2, 1, 1], 3, &length), statusOK)
        XCTAssertEqual(length, 3 * 21)
        var rng = SeededRNG(seed: testSeed(0x5BB0_0003))
        for (h, w) in [(13, 17), (4, 4), (1, 1), (37, 5), (2, 9)] {
            let p = Problem(desc: makeDesc(rank: 2, channels: 3, input: [h, w], kernel: [1, 1]), levels: levels,
                            mode: SWIFTPOOL_SPP_MAX, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE)
            let out = run(p, randomValues(3 * h * w, &rng, special: false))
            XCTAssertEqual(out.count, 63, "\(h) x \(w)")
            XCTAssertFalse(out.contains(Float(untouched)), "\(h) x \(w): output not fully written")
        }
    }

    /// 5 x 5 map holding 0...24 (value = 5*row + col), levels (2, 2) and (1, 1). Both rules
    /// give bins [0,3) and [2,5) here (SPP-net: window ceil(5/2) = 3, stride floor(5/2) = 2).
    func testHandComputedTinyCase() {
        let x = (0..<25).map(Float.init)
        for bins in [SWIFTPOOL_SPP_BINS_ADAPTIVE, SWIFTPOOL_SPP_BINS_SPPNET] {
            let d = makeDesc(rank: 2, input: [5, 5], kernel: [1, 1])
            // Max: the bottom-right element of each bin.
            XCTAssertEqual(run(Problem(desc: d, levels: [(2, 2), (1, 1)], mode: SWIFTPOOL_SPP_MAX, bins: bins), x),
                           [12, 14, 22, 24, 24])
            // Mean of rows r0..<r1, columns c0..<c1: 5 * mean(row) + mean(column).
            XCTAssertEqual(run(Problem(desc: d, levels: [(2, 2), (1, 1)], mode: SWIFTPOOL_SPP_AVG, bins: bins), x),
                           [6, 8, 16, 18, 12])
        }
        // Two channels (the second negated), NHWC input, a (1, 2) level: channel-major output.
        let two = x.flatMap { [$0, -$0] }   // NHWC: channel fastest
        let d = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NHWC, channels: 2, input: [5, 5], kernel: [1, 1])
        XCTAssertEqual(run(Problem(desc: d, levels: [(1, 2)], mode: SWIFTPOOL_SPP_MAX, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE), two),
                       [22, 24, 0, -2])
        // Adaptive on a map smaller than the level: 1 x 2 map, level 3 x 3 repeats elements.
        let small = makeDesc(rank: 2, input: [1, 2], kernel: [1, 1])
        XCTAssertEqual(run(Problem(desc: small, levels: [(3, 3)], mode: SWIFTPOOL_SPP_AVG, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE), [1, 3] as [Float]),
                       [1, 2, 3, 1, 2, 3, 1, 2, 3])
        // SPP-net with overlapping windows: 13 columns, 4 bins: window 4, stride 3.
        let wide = makeDesc(rank: 2, input: [1, 13], kernel: [1, 1])
        XCTAssertEqual(run(Problem(desc: wide, levels: [(1, 4)], mode: SWIFTPOOL_SPP_AVG, bins: SWIFTPOOL_SPP_BINS_SPPNET),
                           (0..<13).map(Float.init)), [1.5, 4.5, 7.5, 10.5])
    }

    /// sizes=: each sample equals the same sample cropped to its size and pooled alone.
    func testSizesEqualPoolingEachCroppedSample() {
        var rng = SeededRNG(seed: testSeed(0x5BB0_0004))
        for trial in 0..<40 {
            let (n, c, H, W) = (3, Int.random(in: 1...3, using: &rng), Int.random(in: 1...9, using: &rng), Int.random(in: 1...9, using: &rng))
            let nhwc = Bool.random(using: &rng)
            let mode = Bool.random(using: &rng) ? SWIFTPOOL_SPP_MAX : SWIFTPOOL_SPP_AVG
            let sizes = (0..<n).flatMap { _ in [Int.random(in: 1...H, using: &rng), Int.random(in: 1...W, using: &rng)] }
            let x = randomValues(n * c * H * W, &rng, special: true)
            let layout = nhwc ? SWIFTPOOL_LAYOUT_NHWC : SWIFTPOOL_LAYOUT_NCHW
            let levels = [(3, 3), (2, 1), (1, 1)]
            let batch = Problem(desc: makeDesc(rank: 2, layout: layout, batch: n, channels: c, input: [H, W], kernel: [1, 1]),
                                levels: levels, mode: mode, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE, sizes: sizes)
            let all = run(batch, x)
            let length = all.count / n
            for s in 0..<n {
                let (h, w) = (sizes[2 * s], sizes[2 * s + 1])
                var crop: [Float] = []
                for i in 0..<(c * h * w) {
                    // Crop index i in the layout's order.
                    let (ch, y, xx) = nhwc ? (i % c, i / c / w, i / c % w) : (i / (h * w), i / w % h, i % w)
                    let src = nhwc ? ((s * H + y) * W + xx) * c + ch : ((s * c + ch) * H + y) * W + xx
                    crop.append(x[src])
                }
                let alone = run(Problem(desc: makeDesc(rank: 2, layout: layout, channels: c, input: [h, w], kernel: [1, 1]),
                                        levels: levels, mode: mode, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE), crop)
                // Which of several NaN payloads a max bin reports is unspecified (header);
                // the float32 NCHW kernel (whole samples) and the per-size path may differ.
                XCTAssertEqual(nanCanonicalBits(Array(all[(s * length)..<((s + 1) * length)])), nanCanonicalBits(alone),
                               "trial \(trial) sample \(s) size \(h) x \(w)")
            }
        }
    }

    /// SPP (adaptive bins) equals adaptive pooling per level, flattened channel-major and
    /// concatenated: torch.cat([adaptive_max_pool2d(x, l).flatten(1) for l in levels], 1).
    func testEqualsCompositionOfAdaptivePools() {
        var rng = SeededRNG(seed: testSeed(0x5BB0_0005))
        let (n, c, h, w) = (2, 3, 11, 7)
        let x = randomValues(n * c * h * w, &rng, special: true)
        let levels = [(4, 4), (3, 2), (1, 1)]
        for max in [true, false] {
            let desc = makeDesc(rank: 2, batch: n, channels: c, input: [h, w], kernel: [1, 1])
            let spp = run(Problem(desc: desc, levels: levels, mode: max ? SWIFTPOOL_SPP_MAX : SWIFTPOOL_SPP_AVG,
                                  bins: SWIFTPOOL_SPP_BINS_ADAPTIVE), x)
            var composed: [Float] = []
            let perLevel = levels.map { callAdaptive(desc, outputSize: [$0.0, $0.1], x, max: max).1 }
            for s in 0..<n {
                for (l, level) in levels.enumerated() {
                    let size = c * level.0 * level.1
                    composed += perLevel[l][(s * size)..<((s + 1) * size)]
                }
            }
            assertAllClose(spp, composed, ulps: max ? 0 : 4, scale: 4, "max \(max)")
        }
    }

    func sppnetError(_ h: Int, _ w: Int, levels: [(Int, Int)], sizes: [Int]? = nil, batch: Int = 1,
                     file: StaticString = #filePath, line: UInt = #line) -> String {
        let p = Problem(desc: makeDesc(rank: 2, batch: batch, input: [h, w], kernel: [1, 1]), levels: levels,
                        mode: SWIFTPOOL_SPP_MAX, bins: SWIFTPOOL_SPP_BINS_SPPNET, sizes: sizes)
        let (rc, out) = callPyramid(p.desc, levels: levels, mode: p.mode, bins: p.bins, sizes: sizes,
                                    [Float](repeating: 1, count: batch * h * w))
        XCTAssertEqual(rc, status(SWIFTPOOL_ERROR_INVALID_SHAPE), file: file, line: line)
        XCTAssertTrue(out.allSatisfy { $0 == Float(untouched) }, "output was written", file: file, line: line)
        return String(cString: swiftpool_last_error_message())
    }

    /// Where the SPP-net rule breaks, the call fails and names the size.
    func testSppnetRuleErrors() {
        // Stride 0: 3 columns, 4 bins.
        XCTAssertTrue(sppnetError(8, 3, levels: [(4, 4)]).contains("input width is 3, smaller than the level's 4 bins"))
        // 10 = 4*2 + 2: window 3, stride 2 covers [0, 9); element 9 never pooled.
        XCTAssertTrue(sppnetError(10, 8, levels: [(2, 2), (4, 4)]).contains("level 1 (4 x 4): input height is 10: SPP-net window 3, stride 2 leaves elements [9, 10) never pooled"))
        // 7 = 4*1 + 3: window 2, stride 1 gives 6 windows.
        XCTAssertTrue(sppnetError(8, 7, levels: [(4, 4)]).contains("input width is 7: SPP-net window 2, stride 1 gives 6 bins, not 4"))
        // Per-sample sizes are checked sample by sample.
        let m = sppnetError(9, 9, levels: [(4, 4)], sizes: [9, 9, 6, 9], batch: 2)
        XCTAssertTrue(m.contains("sample 1 (sizes) height is 6"), m)
        XCTAssertTrue(m.hasPrefix("swiftpool_spatial_pyramid_pool_forward: bins SPPNET"), m)
        // Valid everywhere for L mod n in {0, 1}: 9 and 13 with levels 4, 2, 1.
        for side in [9, 12, 13] {
            let p = Problem(desc: makeDesc(rank: 2, input: [side, side], kernel: [1, 1]), levels: [(4, 4), (2, 2), (1, 1)],
                            mode: SWIFTPOOL_SPP_AVG, bins: SWIFTPOOL_SPP_BINS_SPPNET)
            let x = (0..<(side * side)).map(Float.init)
            let adaptive = Problem(desc: p.desc, levels: p.levels, mode: p.mode, bins: SWIFTPOOL_SPP_BINS_ADAPTIVE)
            XCTAssertEqual(run(p, x), run(adaptive, x), "side \(side): SPP-net bins equal adaptive ones where valid")
        }
    }

    /// One bad call: expected status, message naming the argument, output untouched.
    func expectFailure(_ expected: swiftpool_status, mentions: String, levels: [Int64]? = [2, 2, 1, 1], numLevels: Int64 = 2,
                       mode: Int32 = 1, bins: Int32 = 1, sizes: [Int64]? = nil, sizesLen: Int64? = nil,
                       inputLen: Int64 = 32, outputLen: Int64 = 10, nullDesc: Bool = false, nullInput: Bool = false,
                       nullOutput: Bool = false, _ mutate: (inout swiftpool_pool_desc) -> Void = { _ in },
                       file: StaticString = #filePath, line: UInt = #line) {
        var d = makeDesc(rank: 2, batch: 2, input: [4, 4], kernel: [1, 1])
        mutate(&d)
        let input = [Float](repeating: 1, count: 64)
        var output = [Float](repeating: -99, count: 64)
        let rc: Int32 = input.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                withUnsafePointer(to: d) { dp in
                    (levels ?? []).withUnsafeBufferPointer { lp in
                        (sizes ?? []).withUnsafeBufferPointer { sp in
                            swiftpool_spatial_pyramid_pool_forward(nullDesc ? nil : dp, levels == nil ? nil : lp.baseAddress, numLevels,
                                                                   mode, bins, sizes == nil ? nil : sp.baseAddress,
                                                                   sizesLen ?? Int64(sizes?.count ?? 0),
                                                                   nullInput ? nil : src.baseAddress, inputLen,
                                                                   nullOutput ? nil : dst.baseAddress, outputLen)
                        }
                    }
                }
            }
        }
        let message = String(cString: swiftpool_last_error_message())
        XCTAssertEqual(rc, status(expected), "message: \(message)", file: file, line: line)
        XCTAssertTrue(message.contains(mentions), "message '\(message)' should mention '\(mentions)'", file: file, line: line)
        XCTAssertTrue(message.hasPrefix("swiftpool_spatial_pyramid_pool_forward"), "message '\(message)'", file: file, line: line)
        XCTAssertTrue(output.allSatisfy { $0 == -99 }, "output was written", file: file, line: line)
    }

    func testBadInputMatrix() {
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "desc is NULL", nullDesc: true)
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "levels is NULL", levels: nil)
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "input is NULL", nullInput: true)
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output is NULL", nullOutput: true)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "num_levels is 0", numLevels: 0)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "num_levels is -1", numLevels: -1)
        expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "num_levels", numLevels: Int64.max)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "levels[3] (level 1 columns) is 0", levels: [2, 2, 1, 0])
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "levels[0] (level 0 rows) is -4", levels: [-4, 2, 1, 1])
        expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "level 0", levels: [1 << 32, 1 << 32, 1, 1])
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "mode is 0", mode: 0)
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "bins is 3", bins: 3)
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "spatial_rank is 3, expected 2") { $0.spatial_rank = 3 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "spatial_rank is 1, expected 2") { $0.spatial_rank = 1 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags 0x1", mode: 2) { $0.flags = UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags 0x4") { $0.flags = UInt32(SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR) }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 7 is unknown") { $0.dtype = 7 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 5 is an integer type", mode: 2) { $0.dtype = 5 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "struct_size is 8") { $0.struct_size = 8 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "batch is -2") { $0.batch = -2 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "axis 1 (W): input_size is 0") { $0.input_size.1 = 0 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "sizes[2] (sample 1 height) is 5, must be in 1...4",
                      sizes: [4, 4, 5, 4])
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "sizes[1] (sample 0 width) is 0", sizes: [4, 0, 4, 4])
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "sizes_len is 3", sizes: [4, 4, 4], sizesLen: 3)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "sizes_len is -1", sizes: [4, 4, 4, 4], sizesLen: -1)
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "input_len is 31", inputLen: 31)
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "output_len is 9", outputLen: 9)
        expectFailure(SWIFTPOOL_ERROR_INVALID_SHAPE, mentions: "level 0 (5 x 5): input height is 4", levels: [5, 5], numLevels: 1, bins: 2)
        expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "overflows") { $0.channels = Int64.max / 16 }
    }

    func testOutputLengthErrors() {
        var length: Int64 = -5
        func expect(_ s: swiftpool_status, _ mentions: String, _ rc: Int32, file: StaticString = #filePath, line: UInt = #line) {
            let message = String(cString: swiftpool_last_error_message())
            XCTAssertEqual(rc, status(s), message, file: file, line: line)
            XCTAssertTrue(message.hasPrefix("swiftpool_spatial_pyramid_pool_output_length") && message.contains(mentions),
                          "message '\(message)' should mention '\(mentions)'", file: file, line: line)
            XCTAssertEqual(length, -5, "length was written", file: file, line: line)
        }
        expect(SWIFTPOOL_ERROR_NULL_POINTER, "length is NULL", swiftpool_spatial_pyramid_pool_output_length(1, [1, 1], 1, nil))
        expect(SWIFTPOOL_ERROR_NULL_POINTER, "levels is NULL", swiftpool_spatial_pyramid_pool_output_length(1, nil, 1, &length))
        expect(SWIFTPOOL_ERROR_INVALID_ARGUMENT, "channels is 0", swiftpool_spatial_pyramid_pool_output_length(0, [1, 1], 1, &length))
        expect(SWIFTPOOL_ERROR_INVALID_ARGUMENT, "num_levels is 0", swiftpool_spatial_pyramid_pool_output_length(1, [1, 1], 0, &length))
        expect(SWIFTPOOL_ERROR_INVALID_ARGUMENT, "levels[1] (level 0 columns) is 0",
               swiftpool_spatial_pyramid_pool_output_length(1, [1, 0], 1, &length))
        expect(SWIFTPOOL_ERROR_OVERFLOW, "overflows", swiftpool_spatial_pyramid_pool_output_length(1 << 40, [1 << 20, 1 << 20], 1, &length))
        XCTAssertEqual(swiftpool_spatial_pyramid_pool_output_length(256, [6, 6, 3, 3, 2, 2, 1, 1], 4, &length), statusOK)
        XCTAssertEqual(length, 256 * 50)
        XCTAssertEqual(swiftpool_spatial_pyramid_pool_output_length(2, [1, 3], 1, &length), statusOK)
        XCTAssertEqual(length, 6)
    }
}
