// The separable max path of channels-first blocks (MaxRows.separableBlock: stride-2
// windows 3 taps wide and 3 rows high, consecutive output rows sharing an input
// row, values without indices) against the reference, bit for bit: 2-D and 3-D,
// odd sizes, padding, ceil mode, D dilation, H dilation 2 at H stride 4, rows wider
// than one scratch chunk, NaN (sparse, dense, payloads), +-inf, ties of -0 / +0,
// both NaN rules, with and without indices, several thread counts. The reordered
// edge columns (MaxPool.channelsFirst) are covered by the same problems.
import CSwiftPool
import Foundation
import XCTest
@testable import SwiftPool

final class SeparableMaxTests: XCTestCase {
    /// A channels-first problem that reaches separableBlock (and its edges).
    func separableDesc(_ rng: inout SeededRNG, dtype: swiftpool_dtype) -> swiftpool_pool_desc {
        while true {
            let rank = [2, 2, 3].randomElement(using: &rng)!
            var input: [Int] = [], kernel: [Int] = [], stride: [Int] = [], padding: [Int] = [], dilation: [Int] = []
            if rank == 3 {
                input.append(Int.random(in: 1...7, using: &rng))
                kernel.append(Int.random(in: 1...3, using: &rng))
                stride.append(Int.random(in: 1...2, using: &rng))
                dilation.append(Int.random(in: 1...2, using: &rng))
                padding.append(Int.random(in: 0...(kernel[0] / 2), using: &rng))
            }
            // H: 3 taps at stride 2, or dilation 2 at stride 4 (row step = stride / 2).
            let dilatedH = Int.random(in: 0..<5, using: &rng) == 0
            input.append(Int.random(in: 3...23, using: &rng))
            kernel.append(3)
            stride.append(dilatedH ? 4 : 2)
            dilation.append(dilatedH ? 2 : 1)
            padding.append(Int.random(in: 0...1, using: &rng))
            // W: stride 2, 3 taps; rows now and then longer than one scratch chunk.
            let wide = Int.random(in: 0..<12, using: &rng)
            input.append(wide == 0 ? Int.random(in: 520...700, using: &rng)
                         : wide == 1 ? 2_070 : Int.random(in: 16...90, using: &rng))
            kernel.append(3)
            stride.append(2)
            dilation.append(1)
            padding.append(Int.random(in: 0...1, using: &rng))
            let desc = makeDesc(rank: rank, layout: SWIFTPOOL_LAYOUT_NCHW, batch: Int.random(in: 1...2, using: &rng),
                                channels: Int.random(in: 1...3, using: &rng), input: input, kernel: kernel,
                                stride: stride, padding: padding, dilation: dilation,
                                ceilMode: Bool.random(using: &rng), flags: UInt32(Int.random(in: 0..<2, using: &rng)),
                                dtype: dtype)
            var elements: Int64 = 0
            if swiftpool_pool_output_shape([desc], nil, &elements) == statusOK, elements < 400_000 { return desc }
        }
    }

    /// kind 0: plain values with many ties (and -0 / +0); 1: NaN (distinct payloads),
    /// +-inf everywhere; 2: one NaN; 3: dense NaN (windows of NaN only).
    func values<T: BinaryFloatingPoint>(_ count: Int, _ rng: inout SeededRNG, kind: Int, as: T.Type) -> [T] {
        let quiet = T.RawSignificand(1) << (T.significandBitCount - 1)
        func nan(_ i: Int) -> T {
            T(sign: Bool.random(using: &rng) ? .minus : .plus, exponentBitPattern: (T.RawExponent(1) << T.exponentBitCount) - 1,
              significandBitPattern: quiet | T.RawSignificand(i % 1000 + 1))
        }
        var v: [T] = (0..<count).map { i in
            let r = Int.random(in: 0..<100, using: &rng)
            if kind == 3 && r < 70 { return nan(i) }
            if kind == 1 && r < 5 { return nan(i) }
            if kind == 1 && r < 9 { return .infinity }
            if (kind == 1 || kind == 3) && r < 14 { return -.infinity }
            if r < 30 { return Bool.random(using: &rng) ? -0.0 : 0.0 }
            return T(Int.random(in: -3...3, using: &rng)) / 2
        }
        if kind == 2 && count > 0 { let i = Int.random(in: 0..<count, using: &rng); v[i] = nan(i) }
        return v
    }

    func check<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int) throws {
        defer { swiftpool_set_num_threads(0) }
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let desc = separableDesc(&rng, dtype: dtype)
            let g = try PoolGeometry(desc, op: .max)
            let input = values(g.inputElements, &rng, kind: trial % 4, as: T.self)
            let want = ReferencePool.maxPool(g, input)
            let threads = [1, 2, 3][trial % 3]
            XCTAssertEqual(swiftpool_set_num_threads(Int32(threads)), statusOK)
            let (valuesOnly, _) = FastPathTests.runMax(desc, input, withIndices: false)
            let (values, indices) = FastPathTests.runMax(desc, input, withIndices: true)
            let context = "seed \(seed) trial \(trial) threads \(threads): \(describe(desc))"
            if let bad = firstBitMismatch(valuesOnly, want.values) {
                XCTFail("values only, element \(bad): got \(valuesOnly[bad]), want \(want.values[bad]); " + context)
                return
            }
            // The far-ahead prefetches of large inputs (RunShape.farPrefetch), forced on.
            var far = [T](repeating: 7, count: g.outputElements)
            input.withUnsafeBytes { src in far.withUnsafeMutableBytes { dst in
                PoolDispatch.maxPool(g, input: src.baseAddress!, output: dst.baseAddress!, indices: nil,
                                     farPrefetchMinimum: 0)
            }}
            if let bad = firstBitMismatch(far, want.values) {
                XCTFail("far prefetches, element \(bad): got \(far[bad]), want \(want.values[bad]); " + context)
                return
            }
            if let bad = firstBitMismatch(values, want.values) ?? indices.indices.first(where: { indices[$0] != want.indices[$0] }) {
                XCTFail("with indices, element \(bad): got \(values[bad]) index \(indices[bad]), want \(want.values[bad]) index \(want.indices[bad]); " + context)
                return
            }
        }
    }

    func testSeparableMaxFloat() throws {
        try check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x5E9A_0001), trials: 160)
    }

    func testSeparableMaxDouble() throws {
        try check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x5E9A_0002), trials: 80)
    }

    /// 3x3 stride-1 windows without indices (MaxRows.rowQuad: four output rows from
    /// six input rows' shared horizontal maxima, rows one by one after a NaN):
    /// every output row count from 1 to 13 (quads plus leftover rows), rows of 8 to
    /// 45 outputs, padding 0 and 1, ceil mode, ties of -0 / +0, sparse and dense
    /// NaN, +-inf, both NaN rules, Float and Double, 1 and 2 threads; with indices
    /// too (the per-row path), bit for bit against the reference.
    func testThreeByThreeStrideOneRowQuads() throws {
        defer { swiftpool_set_num_threads(0) }
        var rng = SeededRNG(seed: testSeed(0x5E9A_0004))
        for trial in 0..<156 {
            let pad = trial % 2, outH = 1 + trial % 13, outW = Int.random(in: 8...45, using: &rng)
            let double = trial % 4 == 3
            let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NCHW, batch: 1, channels: Int.random(in: 1...3, using: &rng),
                                input: [outH + 2 - 2 * pad, outW + 2 - 2 * pad], kernel: [3, 3], stride: [1, 1],
                                padding: [pad, pad], dilation: [1, 1], ceilMode: trial % 5 == 0,
                                flags: UInt32(trial / 13 % 2),
                                dtype: double ? SWIFTPOOL_DTYPE_FLOAT64 : SWIFTPOOL_DTYPE_FLOAT32)
            let g = try PoolGeometry(desc, op: .max)
            XCTAssertEqual(g.axes.1.outputSize, outH)
            swiftpool_set_num_threads(Int32(1 + trial % 2))
            let context = "trial \(trial): \(describe(desc))"
            if double {
                let x = values(g.inputElements, &rng, kind: trial % 4, as: Double.self)
                let want = ReferencePool.maxPool(g, x)
                let (valuesOnly, _) = FastPathTests.runMax(desc, x, withIndices: false)
                let (values, indices) = FastPathTests.runMax(desc, x, withIndices: true)
                XCTAssertNil(firstBitMismatch(valuesOnly, want.values), context)
                XCTAssertNil(firstBitMismatch(values, want.values), context)
                XCTAssertEqual(indices, want.indices, context)
            } else {
                let x = values(g.inputElements, &rng, kind: trial % 4, as: Float.self)
                let want = ReferencePool.maxPool(g, x)
                let (valuesOnly, _) = FastPathTests.runMax(desc, x, withIndices: false)
                let (values, indices) = FastPathTests.runMax(desc, x, withIndices: true)
                XCTAssertNil(firstBitMismatch(valuesOnly, want.values), context)
                XCTAssertNil(firstBitMismatch(values, want.values), context)
                XCTAssertEqual(indices, want.indices, context)
            }
        }
    }

    /// The benchmark shapes, scaled down (ResNet stem, 3-D), with a NaN in every
    /// lane position of a vector in turn, under both rules.
    func testSeparableNaNInEveryLane() throws {
        for (rank, input) in [(2, [12, 45]), (3, [5, 9, 37])] {
            for flags: UInt32 in [0, 1] {
                let desc = makeDesc(rank: rank, channels: 2, input: input, kernel: Array(repeating: 3, count: rank),
                                    stride: Array(repeating: 2, count: rank), padding: Array(repeating: 1, count: rank),
                                    flags: flags)
                let g = try PoolGeometry(desc, op: .max)
                for phase in 0..<13 {
                    var x = [Float](repeating: -0.0, count: g.inputElements)
                    for i in x.indices where i % 5 == 1 { x[i] = 0.0 }
                    for i in x.indices where i % 13 == phase { x[i] = Float(nan: UInt32(i % 4000 + 1), signaling: false) }
                    let want = ReferencePool.maxPool(g, x)
                    let (valuesOnly, _) = FastPathTests.runMax(desc, x, withIndices: false)
                    XCTAssertNil(firstBitMismatch(valuesOnly, want.values), "phase \(phase): \(describe(desc))")
                }
            }
        }
    }

    /// One NaN, at every input position in turn (the fast pass checks the last tap
    /// of each row's last vector on its own), under both rules and paddings.
    func testSeparableSingleNaNAnywhere() throws {
        var rng = SeededRNG(seed: testSeed(0x5E9A_0003))
        for (rank, input) in [(2, [7, 37]), (2, [6, 36]), (3, [3, 5, 21])] {
            for flags: UInt32 in [0, 1] {
                for pad in [0, 1] {
                    let desc = makeDesc(rank: rank, input: input, kernel: Array(repeating: 3, count: rank),
                                        stride: Array(repeating: 2, count: rank), padding: Array(repeating: pad, count: rank),
                                        flags: flags)
                    let g = try PoolGeometry(desc, op: .max)
                    if !checkSingleNaN(desc, g, at: 0..<g.inputElements, &rng) { return }
                }
            }
        }
    }

    /// As testSeparableSingleNaNAnywhere, in a 3-D block of output D slices sharing
    /// input slices (planes over 16 KiB, so not grouped): 7x9x70 with padding 1 has
    /// two interior output D slices, the second reusing the first's last slice
    /// (MaxRows.separableRows3D): slices 3 (shared) to 5 get the NaN in turn.
    func testSeparableSharedSliceSingleNaNAnywhere() throws {
        var rng = SeededRNG(seed: testSeed(0x5E9A_0004))
        for flags: UInt32 in [0, 1] {
            let desc = makeDesc(rank: 3, input: [7, 9, 70], kernel: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1],
                                flags: flags)
            let g = try PoolGeometry(desc, op: .max)
            let slice = 9 * 70
            if !checkSingleNaN(desc, g, at: (3 * slice)..<(6 * slice), &rng) { return }
        }
    }

    /// Random numbers with one NaN at each of `positions` in turn, max pooled without
    /// indices against the reference, bit for bit. Returns false (after XCTFail) at
    /// the first mismatch.
    func checkSingleNaN(_ desc: swiftpool_pool_desc, _ g: PoolGeometry, at positions: Range<Int>,
                        _ rng: inout SeededRNG) -> Bool {
        let base: [Float] = values(g.inputElements, &rng, kind: 0, as: Float.self)
        for i in positions {
            var x = base
            x[i] = Float(nan: UInt32(i + 1), signaling: false)
            let want = ReferencePool.maxPool(g, x)
            let (got, _) = FastPathTests.runMax(desc, x, withIndices: false)
            if let bad = firstBitMismatch(got, want.values) {
                XCTFail("NaN at \(i): element \(bad) got \(got[bad]) want \(want.values[bad]); \(describe(desc))")
                return false
            }
        }
        return true
    }

    // ---- 3-D blocks spanning output D slices (BlockPlanner slicePlanes) ----------
    // Without indices, interior D slices form one block whose planes are output
    // slices; separableBlock then computes the input slice shared by two
    // consecutive windows (k3 s2, k2 s1, k2 d2 s2) once, through two plane scratches.

    /// A 3-D channels-first problem with D windows overlapping in one input slice
    /// and several interior output D slices (and other D windows now and then).
    func sharedSliceDesc(_ rng: inout SeededRNG, dtype: swiftpool_dtype) -> swiftpool_pool_desc {
        while true {
            // (kernel, stride, dilation) along D: the last slice of window o is the first of o+1.
            let (kd, sd, dd) = [(3, 2, 1), (3, 2, 1), (3, 2, 1), (2, 1, 1), (2, 2, 2), (3, 1, 1), (2, 2, 1)]
                .randomElement(using: &rng)!
            let dilatedH = Int.random(in: 0..<6, using: &rng) == 0
            let wide = Int.random(in: 0..<10, using: &rng)
            let input = [Int.random(in: 2...14, using: &rng), Int.random(in: 3...21, using: &rng),
                         wide == 0 ? Int.random(in: 300...700, using: &rng) : Int.random(in: 16...75, using: &rng)]
            let desc = makeDesc(rank: 3, layout: SWIFTPOOL_LAYOUT_NCHW, batch: Int.random(in: 1...2, using: &rng),
                                channels: Int.random(in: 1...3, using: &rng), input: input, kernel: [kd, 3, 3],
                                stride: [sd, dilatedH ? 4 : 2, 2], padding: [Int.random(in: 0...(kd / 2), using: &rng),
                                                                          Int.random(in: 0...1, using: &rng),
                                                                          Int.random(in: 0...1, using: &rng)],
                                dilation: [dd, dilatedH ? 2 : 1, 1], ceilMode: Bool.random(using: &rng),
                                flags: UInt32(Int.random(in: 0..<2, using: &rng)), dtype: dtype)
            var elements: Int64 = 0
            if swiftpool_pool_output_shape([desc], nil, &elements) == statusOK, elements < 300_000 { return desc }
        }
    }

    /// Random problems from `make` against the reference, bit for bit, values only
    /// and with indices, at thread counts cycling through `threadCycle`.
    func checkRandomProblems<T: BinaryFloatingPoint & PoolElement>(
        _: T.Type, seed: UInt64, trials: Int, threadCycle: [Int],
        _ make: (inout SeededRNG) -> swiftpool_pool_desc
    ) throws {
        defer { swiftpool_set_num_threads(0) }
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let desc = make(&rng)
            let g = try PoolGeometry(desc, op: .max)
            let input = values(g.inputElements, &rng, kind: trial % 4, as: T.self)
            let want = ReferencePool.maxPool(g, input)
            let threads = threadCycle[trial % threadCycle.count]
            XCTAssertEqual(swiftpool_set_num_threads(Int32(threads)), statusOK)
            let (valuesOnly, _) = FastPathTests.runMax(desc, input, withIndices: false)
            let (values, indices) = FastPathTests.runMax(desc, input, withIndices: true)
            let context = "seed \(seed) trial \(trial) threads \(threads): \(describe(desc))"
            if let bad = firstBitMismatch(valuesOnly, want.values) {
                XCTFail("values only, element \(bad): got \(valuesOnly[bad]), want \(want.values[bad]); " + context)
                return
            }
            if let bad = firstBitMismatch(values, want.values) ?? indices.indices.first(where: { indices[$0] != want.indices[$0] }) {
                XCTFail("with indices, element \(bad): got \(values[bad]) index \(indices[bad]), want \(want.values[bad]) index \(want.indices[bad]); " + context)
                return
            }
        }
    }

    func checkSharedSlices<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64,
                                                                 trials: Int) throws {
        try checkRandomProblems(T.self, seed: seed, trials: trials, threadCycle: [1, 3, 2]) {
            sharedSliceDesc(&$0, dtype: dtype)
        }
    }

    func testSharedSliceMaxFloat() throws {
        try checkSharedSlices(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x5E9A_0011), trials: 120)
    }

    func testSharedSliceMaxDouble() throws {
        try checkSharedSlices(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x5E9A_0012), trials: 60)
    }

    /// One NaN (and, separately, one +inf / one -inf; ties of -0 / +0 throughout) at every input
    /// position of 3-D problems with several interior D slices, both rules, 1 and 3
    /// threads: a NaN in a shared slice must reach both windows, and the plane
    /// after an exactly recomputed one must still see the kept slice's values.
    func testSharedSliceSingleSpecialAnywhere() throws {
        defer { swiftpool_set_num_threads(0) }
        var rng = SeededRNG(seed: testSeed(0x5E9A_0013))
        for (input, pad) in [([9, 5, 19], 1), ([8, 6, 17], 0), ([10, 3, 16], 1)] {
            for flags: UInt32 in [0, 1] {
                let desc = makeDesc(rank: 3, channels: 1, input: input, kernel: [3, 3, 3], stride: [2, 2, 2],
                                    padding: [pad, pad, pad], flags: flags)
                let g = try PoolGeometry(desc, op: .max)
                // Mostly distinct values (a wrong slice changes the max), some ties of -0 / +0.
                var base = [Float](repeating: 0, count: g.inputElements)
                for k in base.indices {
                    let distinct = Float((k * 37) % 101 - 50)
                    let zero: Float = Bool.random(using: &rng) ? -0.0 : 0.0
                    base[k] = k % 9 == 4 ? zero : distinct
                }
                for i in 0..<g.inputElements {
                    for special in 0..<3 {
                        var x = base
                        x[i] = special == 0 ? Float(nan: UInt32(i + 1), signaling: false)
                            : special == 1 ? .infinity : -.infinity
                        let threads = (i + special) % 2 == 0 ? 1 : 3
                        XCTAssertEqual(swiftpool_set_num_threads(Int32(threads)), statusOK)
                        let want = ReferencePool.maxPool(g, x)
                        let (got, _) = FastPathTests.runMax(desc, x, withIndices: false)
                        if let bad = firstBitMismatch(got, want.values) {
                            XCTFail("special \(special) at \(i), threads \(threads): element \(bad) got \(got[bad]) want \(want.values[bad]); \(describe(desc))")
                            return
                        }
                    }
                }
            }
        }
    }

    // ---- Three D taps sharing a slice, slice loop unrolled (separableChunk) ------
    // The fast pass of 3-tap D windows whose planes keep one slice (k3 s2, or k3
    // dilation 2 at stride 4) takes an unrolled path; the edge columns of such blocks
    // (MaxRows.strided) fold each D slice on its own, then the slices. Both against
    // the reference, bit for bit: padding, ceil mode, H / W sizes around the vector
    // width and past one scratch chunk, NaN payloads, +-inf, ties of -0 / +0, both
    // NaN rules, with and without indices, 1 to 3 threads.

    func threeSliceDesc(_ rng: inout SeededRNG, dtype: swiftpool_dtype) -> swiftpool_pool_desc {
        while true {
            let dilatedD = Int.random(in: 0..<4, using: &rng) == 0
            let dilatedH = Int.random(in: 0..<6, using: &rng) == 0
            let wide = Int.random(in: 0..<8, using: &rng)
            let input = [Int.random(in: 5...17, using: &rng), Int.random(in: 3...25, using: &rng),
                         wide == 0 ? Int.random(in: 300...700, using: &rng) : Int.random(in: 15...80, using: &rng)]
            let desc = makeDesc(rank: 3, layout: SWIFTPOOL_LAYOUT_NCHW, batch: Int.random(in: 1...2, using: &rng),
                                channels: Int.random(in: 1...3, using: &rng), input: input, kernel: [3, 3, 3],
                                stride: [dilatedD ? 4 : 2, dilatedH ? 4 : 2, 2],
                                padding: [Int.random(in: 0...1, using: &rng), Int.random(in: 0...1, using: &rng),
                                          Int.random(in: 0...1, using: &rng)],
                                dilation: [dilatedD ? 2 : 1, dilatedH ? 2 : 1, 1], ceilMode: Bool.random(using: &rng),
                                flags: UInt32(Int.random(in: 0..<2, using: &rng)), dtype: dtype)
            var elements: Int64 = 0
            if swiftpool_pool_output_shape([desc], nil, &elements) == statusOK, elements < 300_000 { return desc }
        }
    }

    func checkThreeSlices<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64,
                                                                trials: Int) throws {
        try checkRandomProblems(T.self, seed: seed, trials: trials, threadCycle: [2, 1, 3]) {
            threeSliceDesc(&$0, dtype: dtype)
        }
    }

    func testThreeSliceMaxFloat() throws {
        try checkThreeSlices(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x5E9A_0021), trials: 120)
    }

    func testThreeSliceMaxDouble() throws {
        try checkThreeSlices(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x5E9A_0022), trials: 60)
    }

    /// Ties of -0 / +0 (and whole D slices of -1), so that the first zero in scan
    /// order varies between D slices, rows and columns: any reordering of the fold
    /// (slices, rows or taps out of scan order) flips the sign of some output.
    func testThreeSliceZeroTies() throws {
        defer { swiftpool_set_num_threads(0) }
        var rng = SeededRNG(seed: testSeed(0x5E9A_0023))
        for (input, pad) in [([11, 9, 37], 1), ([12, 10, 40], 0), ([9, 17, 26], 1)] {
            for flags: UInt32 in [0, 1] {
                let desc = makeDesc(rank: 3, channels: 2, input: input, kernel: [3, 3, 3], stride: [2, 2, 2],
                                    padding: [pad, pad, pad], flags: flags)
                let g = try PoolGeometry(desc, op: .max)
                let slices = g.batch * g.channels * input[0], slice = input[1] * input[2]
                for trial in 0..<12 {
                    // Whole D slices of -1 now and then, so that the first zero of a
                    // window may come from its second or third slice.
                    var x = [Float](repeating: 0, count: g.inputElements)
                    for d in 0..<slices {
                        let negative = Int.random(in: 0..<3, using: &rng) == 0
                        for k in 0..<slice {
                            x[d * slice + k] = negative || Int.random(in: 0..<8, using: &rng) == 0
                                ? -1 : (Bool.random(using: &rng) ? -0.0 : 0.0)
                        }
                    }
                    XCTAssertEqual(swiftpool_set_num_threads(Int32(trial % 3 + 1)), statusOK)
                    let want = ReferencePool.maxPool(g, x)
                    let (got, _) = FastPathTests.runMax(desc, x, withIndices: false)
                    if let bad = firstBitMismatch(got, want.values) {
                        XCTFail("trial \(trial): element \(bad) got \(got[bad]) want \(want.values[bad]); \(describe(desc))")
                        return
                    }
                }
            }
        }
    }

    // ---- Channels-first planes longer than one strip ------------------------------
    // BlockPlanner cuts channels-first planes into strips of up to 256 KiB of input
    // rows, and the separable max (2D) prefetches past its block's last row. Planes
    // of 2-5 strips (rows of 2,500-4,500 elements): max 3x3 stride 2 (separable),
    // 3x3 stride 1 (row quads), 2x2 stride 2, and average 3x3 stride 2, with and
    // without padding and ceil mode, NaN and +-inf, 1 to 3 threads, bit for bit.
    func testPlanesLongerThanOneStrip() throws {
        defer { swiftpool_set_num_threads(0) }
        var rng = SeededRNG(seed: testSeed(0x5E9A_0031))
        let shapes: [(k: Int, s: Int)] = [(3, 2), (3, 1), (2, 2), (3, 2)]
        for trial in 0..<8 {
            let (k, s) = shapes[trial % 4]
            let average = trial % 4 == 3
            let H = Int.random(in: 40...70, using: &rng), W = Int.random(in: 2_500...4_500, using: &rng)
            let pad = k == 3 ? Int.random(in: 0...1, using: &rng) : 0
            let desc = makeDesc(rank: 2, channels: 2, input: [H, W], kernel: [k, k], stride: [s, s],
                                padding: [pad, pad], ceilMode: trial % 3 == 1, countIncludePad: trial % 2 == 0)
            let g = try PoolGeometry(desc, op: average ? .average : .max)
            // Rows per strip, as BlockPlanner computes them: more than one strip per plane.
            let stripRows = 256 * 1024 / (s * W * MemoryLayout<Float>.stride)
            XCTAssertGreaterThan(g.axes.1.outputSize, stripRows, describe(desc))
            let input = values(g.inputElements, &rng, kind: trial % 3 == 2 ? 1 : 0, as: Float.self)
            let threads = trial % 3 + 1
            XCTAssertEqual(swiftpool_set_num_threads(Int32(threads)), statusOK)
            let context = "trial \(trial) threads \(threads): \(describe(desc))"
            if average {
                let want = ReferencePool.avgPool(g, input)
                let got = FastPathTests.runAvg(desc, input)
                if let bad = firstBitMismatch(got, want) {
                    XCTFail("element \(bad): got \(got[bad]), want \(want[bad]); " + context)
                }
            } else {
                let want = ReferencePool.maxPool(g, input)
                let (got, _) = FastPathTests.runMax(desc, input, withIndices: false)
                if let bad = firstBitMismatch(got, want.values) {
                    XCTFail("element \(bad): got \(got[bad]), want \(want.values[bad]); " + context)
                }
            }
        }
    }
}
