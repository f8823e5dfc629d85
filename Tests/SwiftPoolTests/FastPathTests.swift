// The optimized kernels' special paths against the reference, bit for bit: vector
// runs (stride 1 and 2, 2- and 3-tap rows, overlapping last vectors), channel
// blocks of every width, the one-output-per-plane path, NaN fallbacks, indices;
// then thread counts, concurrent callers and the ISA switch.
import CSwiftPool
import Foundation
import Synchronization
import XCTest
@testable import SwiftPool

/// Index of the first element whose bits differ (NaN payloads count), or nil.
func firstBitMismatch<T: BinaryFloatingPoint>(_ a: [T], _ b: [T], anyNaN: Bool = false) -> Int? {
    guard a.count == b.count else { return min(a.count, b.count) }
    for i in a.indices {
        if anyNaN && a[i].isNaN && b[i].isNaN { continue }
        if bits([a[i]]) != bits([b[i]]) { return i }
    }
    return nil
}

final class FastPathTests: XCTestCase {
    /// A problem shaped to reach the vector paths: rows of 8 to 40 outputs, channel
    /// counts around 8 and 32, 2x2 / 3x3 windows most of the time.
    func vectorFriendlyDesc(_ rng: inout SeededRNG, average: Bool, dtype: swiftpool_dtype) -> swiftpool_pool_desc {
        while true {
            let rank = [1, 2, 2, 2, 3].randomElement(using: &rng)!
            let layout = Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC
            var input: [Int] = [], kernel: [Int] = [], stride: [Int] = [], padding: [Int] = [], dilation: [Int] = []
            for axis in 0..<rank {
                let last = axis == rank - 1
                let size = last ? Int.random(in: 8...44, using: &rng) : Int.random(in: 1...(rank == 3 ? 5 : 9), using: &rng)
                input.append(size)
                let k = [1, 2, 2, 3, 3, 3, 4, 5].randomElement(using: &rng)!
                kernel.append(Swift.min(k, size + 1))
                stride.append([1, 1, 2, 2, 2, 3].randomElement(using: &rng)!)
                padding.append(Int.random(in: 0...(kernel.last! / 2), using: &rng))
                dilation.append(Int.random(in: 0..<5, using: &rng) == 0 ? 2 : 1)
            }
            let channels = layout == SWIFTPOOL_LAYOUT_NHWC
                ? [1, 3, 7, 8, 9, 15, 16, 24, 31, 32, 33, 40, 64, 65].randomElement(using: &rng)!
                : Int.random(in: 1...3, using: &rng)
            let desc = makeDesc(rank: rank, layout: layout, batch: Int.random(in: 1...2, using: &rng), channels: channels,
                                input: input, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                                ceilMode: Bool.random(using: &rng), countIncludePad: Bool.random(using: &rng),
                                divisorOverride: average && Int.random(in: 0..<5, using: &rng) == 0 ? 3 : 0,
                                flags: average ? 0 : UInt32(Int.random(in: 0..<2, using: &rng)), dtype: dtype)
            var elements: Int64 = 0
            if swiftpool_pool_output_shape([desc], nil, &elements) == statusOK { return desc }
        }
    }

    static func runMax<T: BinaryFloatingPoint>(_ desc: swiftpool_pool_desc, _ input: [T], withIndices: Bool) -> ([T], [Int64]) {
        var d = desc
        var elements: Int64 = 0
        XCTAssertEqual(swiftpool_pool_output_shape(&d, nil, &elements), statusOK)
        var out = [T](repeating: 12345, count: Int(elements))
        var idx = [Int64](repeating: -7, count: Int(elements))
        let rc = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                idx.withUnsafeMutableBufferPointer { ip in
                    swiftpool_max_pool_forward(&d, src.baseAddress, Int64(input.count), dst.baseAddress, elements,
                                               withIndices ? ip.baseAddress : nil, withIndices ? elements : 0)
                }
            }
        }
        XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()))
        return (out, idx)
    }

    static func runAvg<T: BinaryFloatingPoint>(_ desc: swiftpool_pool_desc, _ input: [T]) -> [T] {
        var d = desc
        var elements: Int64 = 0
        XCTAssertEqual(swiftpool_pool_output_shape(&d, nil, &elements), statusOK)
        var out = [T](repeating: 12345, count: Int(elements))
        let rc = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                swiftpool_avg_pool_forward(&d, src.baseAddress, Int64(input.count), dst.baseAddress, elements)
            }
        }
        XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()))
        return out
    }

    /// Inputs: NaN-free (the max fast path), with rare NaNs (its exact fallback), or
    /// with wide exponents (average: sums that round, so order matters).
    func inputs<T: BinaryFloatingPoint>(_ count: Int, _ rng: inout SeededRNG, kind: Int, as: T.Type) -> [T] {
        switch kind {
        case 0: return randomValues(count, &rng, special: false, as: T.self)
        case 1: return randomValues(count, &rng, special: true, as: T.self)
        default:
            // Small values with full significands, and huge values (2^60 scale) that
            // cancel each other: whether the small ones are added before or after a
            // huge pair cancels changes the result, even after rounding to Float, so
            // any change of summation order shows.
            return (0..<count).map { _ in
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    let huge = T(sign: .plus, exponent: 60, significand: 1) * (1 + T(Int.random(in: 0..<4, using: &rng)) / 8)
                    return Bool.random(using: &rng) ? huge : -huge
                }
                return T(Int.random(in: -(1 << 23)...(1 << 23), using: &rng)) / T(1 << 13)
            }
        }
    }

    func checkMax<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let desc = vectorFriendlyDesc(&rng, average: false, dtype: dtype)
            let g = try PoolGeometry(desc, op: .max)
            let input = inputs(g.inputElements, &rng, kind: trial % 3 == 2 ? 1 : 0, as: T.self)
            let want = ReferencePool.maxPool(g, input)
            let (values, indices) = Self.runMax(desc, input, withIndices: true)
            let (valuesOnly, _) = Self.runMax(desc, input, withIndices: false)
            let context = "seed \(seed) trial \(trial): \(describe(desc))"
            let bad = firstBitMismatch(values, want.values) ?? firstBitMismatch(valuesOnly, want.values)
                ?? indices.indices.first { indices[$0] != want.indices[$0] }
            if let bad {
                XCTFail("element \(bad): got \(values[bad]) (values only \(valuesOnly[bad])) index \(indices[bad]), want \(want.values[bad]) index \(want.indices[bad]); " + context)
                return
            }
        }
    }

    /// Average pooling is compared bit for bit: the kernels sum in the accumulation
    /// type (PyTorch's opmath) in scan order exactly as the reference does (inputs with wide exponents make any
    /// other order visible). Only NaN payloads may differ: which NaN operand an
    /// addition returns is not specified (IEEE 754), and compilers commute additions.
    func checkAvg<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let desc = vectorFriendlyDesc(&rng, average: true, dtype: dtype)
            let g = try PoolGeometry(desc, op: .average)
            let input = inputs(g.inputElements, &rng, kind: trial % 3, as: T.self)
            let want = ReferencePool.avgPool(g, input)
            let got = Self.runAvg(desc, input)
            if let bad = firstBitMismatch(got, want, anyNaN: true) {
                XCTFail("element \(bad): got \(got[bad]), want \(want[bad]); seed \(seed) trial \(trial): \(describe(desc))")
                return
            }
        }
    }

    func testMaxVectorPathsFloat() throws {
        try checkMax(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0xFA57_0001), trials: 180)
    }

    func testMaxVectorPathsDouble() throws {
        try checkMax(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0xFA57_0002), trials: 90)
    }

    func testAvgVectorPathsFloat() throws {
        try checkAvg(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0xFA57_0003), trials: 180)
    }

    func testAvgVectorPathsDouble() throws {
        try checkAvg(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0xFA57_0004), trials: 90)
    }

    /// The channels-first padded-plane path (AvgPool.paddedPlanes: 1D/2D, width
    /// stride 1 or 2, small planes, rows of >= 8 outputs) and the problems next to
    /// it that fall back to the block kernels (stride 3, short rows, empty dilated
    /// windows): padding on both sides and ONNX's asymmetric padding_end, ceil_mode
    /// windows past the padded end, dilation, every divisor rule, NaN/inf inputs and
    /// order-sensitive ones, at 1, 2 and 3 threads. Bit for bit (any NaN matches).
    func testAvgPaddedPlanesKeepSumOrder() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_000B))
        defer { swiftpool_set_num_threads(0) }
        for trial in 0..<240 {
            let rank = trial % 3 == 0 ? 1 : 2
            var input: [Int] = [], kernel: [Int] = [], stride: [Int] = [], padding: [Int] = []
            var paddingEnd: [Int] = [], dilation: [Int] = []
            for axis in 0..<rank {
                let last = axis == rank - 1
                input.append(last ? Int.random(in: 1...70, using: &rng) : Int.random(in: 1...24, using: &rng))
                kernel.append(Int.random(in: 1...5, using: &rng))
                stride.append(last ? [1, 1, 2, 2, 3].randomElement(using: &rng)! : Int.random(in: 1...3, using: &rng))
                dilation.append(Int.random(in: 0..<4, using: &rng) == 0 ? 2 : 1)
                padding.append(Int.random(in: 0...(kernel.last! / 2), using: &rng))
                paddingEnd.append(Int.random(in: 0..<3, using: &rng) == 0 ? Int.random(in: 0..<kernel.last!, using: &rng) : -1)
            }
            let asymmetric = paddingEnd.contains { $0 >= 0 }
            let double = trial % 5 == 4
            let desc = makeDesc(rank: rank, layout: SWIFTPOOL_LAYOUT_NCHW, batch: Int.random(in: 1...2, using: &rng),
                                channels: Int.random(in: 1...5, using: &rng), input: input, kernel: kernel,
                                stride: stride, padding: padding, dilation: dilation,
                                ceilMode: Bool.random(using: &rng), countIncludePad: Bool.random(using: &rng),
                                divisorOverride: Int.random(in: 0..<6, using: &rng) == 0 ? 7 : 0,
                                paddingEnd: asymmetric ? paddingEnd.map { $0 < 0 ? 0 : $0 } : nil,
                                dtype: double ? SWIFTPOOL_DTYPE_FLOAT64 : SWIFTPOOL_DTYPE_FLOAT32)
            var elements: Int64 = 0
            guard swiftpool_pool_output_shape([desc], nil, &elements) == statusOK else { continue }
            let g = try PoolGeometry(desc, op: .average)
            swiftpool_set_num_threads(Int32(1 + trial % 3))
            let context = "trial \(trial): \(describe(desc))"
            if double {
                let x = inputs(g.inputElements, &rng, kind: trial % 3, as: Double.self)
                if let bad = firstBitMismatch(Self.runAvg(desc, x), ReferencePool.avgPool(g, x), anyNaN: true) {
                    XCTFail("element \(bad); " + context); return
                }
            } else {
                let x = inputs(g.inputElements, &rng, kind: trial % 3, as: Float.self)
                if let bad = firstBitMismatch(Self.runAvg(desc, x), ReferencePool.avgPool(g, x), anyNaN: true) {
                    XCTFail("element \(bad); " + context); return
                }
            }
        }
    }

    /// Padded planes with kernel height 3 at height stride 1 and dilation 1
    /// (AvgRows.rowQuad: four output rows per pass sharing their input rows' loads),
    /// next to the one-row loop for the last OH % 4 rows: every OH from 1 to 13,
    /// rows of 8 to 45 outputs at width stride 1 and 2, kernel widths 1 to 5,
    /// padding 0 or 1, both divisor rules, order-sensitive and NaN/inf inputs,
    /// Float and Double, 1 and 2 threads. Bit for bit against the reference.
    func testAvgPaddedPlanesFourRowBlocks() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_0011))
        defer { swiftpool_set_num_threads(0) }
        for trial in 0..<104 {
            let padH = trial % 2, outH = 1 + trial % 13
            let strideW = trial % 4 < 2 ? 1 : 2
            let kernelW = Int.random(in: 1...5, using: &rng), padW = Int.random(in: 0...(kernelW / 2), using: &rng)
            let outW = Int.random(in: 8...45, using: &rng)
            let width = (outW - 1) * strideW + kernelW - 2 * padW
            let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NCHW, batch: 1,
                                channels: Int.random(in: 1...3, using: &rng), input: [outH + 2 - 2 * padH, width],
                                kernel: [3, kernelW], stride: [1, strideW], padding: [padH, padW], dilation: [1, 1],
                                ceilMode: false, countIncludePad: trial % 3 == 0, divisorOverride: 0, paddingEnd: nil,
                                dtype: trial % 4 == 3 ? SWIFTPOOL_DTYPE_FLOAT64 : SWIFTPOOL_DTYPE_FLOAT32)
            let g = try PoolGeometry(desc, op: .average)
            XCTAssertEqual(g.axes.1.outputSize, outH)
            XCTAssertEqual(g.axes.2.outputSize, outW)
            swiftpool_set_num_threads(Int32(1 + trial % 2))
            let context = "trial \(trial): \(describe(desc))"
            let kind = trial % 5 == 4 ? 1 : 2
            if trial % 4 == 3 {
                let x = inputs(g.inputElements, &rng, kind: kind, as: Double.self)
                if let bad = firstBitMismatch(Self.runAvg(desc, x), ReferencePool.avgPool(g, x), anyNaN: true) {
                    XCTFail("element \(bad); " + context); return
                }
            } else {
                let x = inputs(g.inputElements, &rng, kind: kind, as: Float.self)
                if let bad = firstBitMismatch(Self.runAvg(desc, x), ReferencePool.avgPool(g, x), anyNaN: true) {
                    XCTFail("element \(bad); " + context); return
                }
            }
        }
    }

    /// 3x3 windows at stride 1, padding 1 on small channels-first planes
    /// (AvgRows.directPlane: the planes between a thread range's first and last
    /// are read in place, the taps outside the plane masked to +0): heights 4 to
    /// 13 (a last block of four rows overlapping the one before) and 28, widths of
    /// one vector (both edge masks in one Float vector) to 45, 3 to 14 planes at
    /// 1-3 threads, both divisor rules, Float and Double, NaN/inf and
    /// order-sensitive inputs; every other trial puts NaN or +-inf in the first
    /// and last column of every row, where the neighbouring rows' and planes'
    /// edge loads see them in masked lanes. Bit for bit (any NaN matches).
    func testAvgDirectPlanesMaskEdges() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_0013))
        defer { swiftpool_set_num_threads(0) }
        for trial in 0..<90 {
            let h = trial < 10 ? 4 + trial : trial == 10 ? 28 : Int.random(in: 4...13, using: &rng)
            let w = trial < 6 ? 8 + trial : trial == 10 ? 28 : Int.random(in: 8...45, using: &rng)
            let double = trial % 4 == 3
            let batch = Int.random(in: 1...2, using: &rng)
            let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NCHW, batch: batch,
                                channels: Int.random(in: 3...7, using: &rng), input: [h, w], kernel: [3, 3],
                                stride: [1, 1], padding: [1, 1], dilation: [1, 1], ceilMode: trial % 5 == 1,
                                countIncludePad: trial % 3 == 0, divisorOverride: 0, paddingEnd: nil,
                                dtype: double ? SWIFTPOOL_DTYPE_FLOAT64 : SWIFTPOOL_DTYPE_FLOAT32)
            let g = try PoolGeometry(desc, op: .average)
            swiftpool_set_num_threads(Int32(1 + trial % 3))
            let context = "trial \(trial): \(describe(desc))"
            func edged<T: BinaryFloatingPoint>(_ x: [T]) -> [T] {
                guard trial % 2 == 0 else { return x }
                var y = x
                let specials: [T] = [.nan, .infinity, -.infinity]
                for row in 0..<(y.count / w) {
                    y[row * w] = specials.randomElement(using: &rng)!
                    y[row * w + w - 1] = specials.randomElement(using: &rng)!
                }
                return y
            }
            if double {
                let x = edged(inputs(g.inputElements, &rng, kind: trial % 3, as: Double.self))
                if let bad = firstBitMismatch(Self.runAvg(desc, x), ReferencePool.avgPool(g, x), anyNaN: true) {
                    XCTFail("element \(bad); " + context); return
                }
            } else {
                let x = edged(inputs(g.inputElements, &rng, kind: trial % 3, as: Float.self))
                if let bad = firstBitMismatch(Self.runAvg(desc, x), ReferencePool.avgPool(g, x), anyNaN: true) {
                    XCTFail("element \(bad); " + context); return
                }
            }
        }
    }

    /// Channels-last windows of >= 16 taps over >= 256 channels (AvgRows.tapsOuter:
    /// taps four at a time through registers, then a last group of 1, 2, 3 or 4):
    /// tap counts of every remainder mod 4, channel counts with and without a
    /// scalar tail, Float and Double, special and order-sensitive values. Bitwise.
    func testAvgChannelsLastTapGroups() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_0012))
        let windows = [(4, 4), (5, 5), (5, 6), (5, 7), (4, 7), (7, 7), (3, 6), (6, 3), (8, 8)]
        for (trial, channels) in [256, 263, 300, 520, 1030, 2048, 257, 384, 777].enumerated() {
            for (k, (h, w)) in windows.enumerated() where (trial + k) % 3 == 0 || channels == 263 {
                let double = (trial + k) % 4 == 3
                let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NHWC, batch: 1 + k % 2, channels: channels,
                                    input: [h + k % 2, w], kernel: [h, w], stride: [1, 1],
                                    dtype: double ? SWIFTPOOL_DTYPE_FLOAT64 : SWIFTPOOL_DTYPE_FLOAT32)
                let g = try PoolGeometry(desc, op: .average)
                let kind = (trial + k) % 3
                if double {
                    let input = inputs(g.inputElements, &rng, kind: kind, as: Double.self)
                    XCTAssertNil(firstBitMismatch(Self.runAvg(desc, input), ReferencePool.avgPool(g, input), anyNaN: true),
                                 describe(desc))
                } else {
                    let input = inputs(g.inputElements, &rng, kind: kind, as: Float.self)
                    XCTAssertNil(firstBitMismatch(Self.runAvg(desc, input), ReferencePool.avgPool(g, input), anyNaN: true),
                                 describe(desc))
                }
            }
        }
    }

    /// Channels-last large windows (global pooling): channel blocks of four vectors,
    /// single vectors and an overlapping last vector, wide channel counts.
    func testAvgChannelsLastLargeWindows() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_000C))
        for (trial, channels) in [32, 33, 40, 64, 263, 300].enumerated() {
            let double = trial % 3 == 2
            let h = Int.random(in: 4...7, using: &rng), w = Int.random(in: 4...7, using: &rng)
            let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NHWC, batch: 2, channels: channels, input: [h, w],
                                kernel: [h, trial % 2 == 0 ? w : 4], stride: [1, 1],
                                dtype: double ? SWIFTPOOL_DTYPE_FLOAT64 : SWIFTPOOL_DTYPE_FLOAT32)
            let g = try PoolGeometry(desc, op: .average)
            if double {
                let input = inputs(g.inputElements, &rng, kind: 2, as: Double.self)
                XCTAssertNil(firstBitMismatch(Self.runAvg(desc, input), ReferencePool.avgPool(g, input)), describe(desc))
            } else {
                let input = inputs(g.inputElements, &rng, kind: 2, as: Float.self)
                XCTAssertNil(firstBitMismatch(Self.runAvg(desc, input), ReferencePool.avgPool(g, input)), describe(desc))
            }
        }
    }

    /// The random-problem tests of KernelTests allow average pooling 2 ulp; on the
    /// same generator, the kernels are in fact bitwise equal to the reference.
    func testAvgBitwiseOnGeneralProblems() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_0005))
        for trial in 0..<300 {
            let desc = randomDesc(&rng, average: true)
            let g = try PoolGeometry(desc, op: .average)
            let input: [Float] = inputs(g.inputElements, &rng, kind: trial % 3, as: Float.self)
            let got = Self.runAvg(desc, input)
            let want = ReferencePool.avgPool(g, input)
            if let bad = firstBitMismatch(got, want, anyNaN: true) {
                XCTFail("element \(bad): got \(got[bad]), want \(want[bad]); trial \(trial): \(describe(desc))")
                return
            }
        }
    }

    /// Rows shorter than a vector but at least half one are computed two rows per
    /// vector (odd row counts overlap, a single row pairs with itself).
    func testShortRowsInPairs() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_0009))
        for trial in 0..<160 {
            let double = trial % 4 == 3
            let lanes = double ? 4 : 8
            let stride = [1, 2, 2].randomElement(using: &rng)!
            let kernel = [2, 3, 3, 4].randomElement(using: &rng)!
            let padding = Int.random(in: 0...(kernel / 2), using: &rng)
            // Interior count in [lanes/2, lanes): W = (count-1)*stride + kernel (+ padding on both sides).
            let count = Int.random(in: (lanes / 2)..<lanes, using: &rng)
            let w = (count - 1) * stride + kernel - 2 * padding + Int.random(in: 0...1, using: &rng)
            guard w >= 1 else { continue }
            let h = Int.random(in: 1...7, using: &rng)
            let desc = makeDesc(rank: 2, batch: Int.random(in: 1...2, using: &rng), channels: Int.random(in: 1...5, using: &rng),
                                input: [h, w], kernel: [Swift.min(kernel, h + 2 * padding), kernel], stride: [stride, stride],
                                padding: [Swift.min(padding, Swift.min(kernel, h + 2 * padding) / 2), padding],
                                ceilMode: Bool.random(using: &rng), flags: UInt32(trial % 2),
                                dtype: double ? SWIFTPOOL_DTYPE_FLOAT64 : SWIFTPOOL_DTYPE_FLOAT32)
            var elements: Int64 = 0
            guard swiftpool_pool_output_shape([desc], nil, &elements) == statusOK else { continue }
            if double {
                try checkOne(desc, Double.self, &rng, kind: trial % 3)
            } else {
                try checkOne(desc, Float.self, &rng, kind: trial % 3)
            }
        }
    }

    /// One problem, max (values, values only, indices) and average, against the reference.
    func checkOne<T: BinaryFloatingPoint & PoolElement>(_ desc: swiftpool_pool_desc, _: T.Type, _ rng: inout SeededRNG,
                                                        kind: Int) throws {
        let g = try PoolGeometry(desc, op: .max)
        let input = inputs(g.inputElements, &rng, kind: kind, as: T.self)
        let want = ReferencePool.maxPool(g, input)
        let (values, indices) = Self.runMax(desc, input, withIndices: true)
        let (valuesOnly, _) = Self.runMax(desc, input, withIndices: false)
        XCTAssertNil(firstBitMismatch(values, want.values), describe(desc))
        XCTAssertNil(firstBitMismatch(valuesOnly, want.values), describe(desc))
        XCTAssertEqual(indices, want.indices, describe(desc))
        var avgDesc = desc
        avgDesc.flags = 0
        let ga = try PoolGeometry(avgDesc, op: .average)
        XCTAssertNil(firstBitMismatch(Self.runAvg(avgDesc, input), ReferencePool.avgPool(ga, input), anyNaN: true),
                     describe(avgDesc))
    }

    /// Global pooling (one output per plane) goes through the plane kernels.
    func testOneOutputPerPlane() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_0006))
        for trial in 0..<40 {
            let h = Int.random(in: 1...9, using: &rng), w = Int.random(in: 1...9, using: &rng)
            let layout = trial % 4 == 3 ? SWIFTPOOL_LAYOUT_NHWC : SWIFTPOOL_LAYOUT_NCHW
            let desc = makeDesc(rank: 2, layout: layout, batch: Int.random(in: 1...3, using: &rng),
                                channels: Int.random(in: 1...11, using: &rng), input: [h, w], kernel: [h, w],
                                flags: UInt32(trial % 2))
            let g = try PoolGeometry(desc, op: .max)
            let input: [Float] = inputs(g.inputElements, &rng, kind: trial % 3, as: Float.self)
            let want = ReferencePool.maxPool(g, input)
            let (values, indices) = Self.runMax(desc, input, withIndices: true)
            XCTAssertNil(firstBitMismatch(values, want.values), describe(desc))
            XCTAssertEqual(indices, want.indices, describe(desc))
            var avgDesc = desc
            avgDesc.flags = 0
            let ga = try PoolGeometry(avgDesc, op: .average)
            XCTAssertNil(firstBitMismatch(Self.runAvg(avgDesc, input), ReferencePool.avgPool(ga, input), anyNaN: true),
                         describe(desc))
        }
    }

    /// Global average pooling over many planes (eight planes' scalar chains at a
    /// time, the rest one by one): 1D/2D/3D planes, divisor_override, NaN/inf,
    /// 1 and 3 threads.
    func testOneOutputPerPlaneManyPlanes() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_0016))
        for trial in 0..<60 {
            let rank = Int.random(in: 1...3, using: &rng)
            let sizes = (0..<rank).map { _ in Int.random(in: 1...(rank == 3 ? 4 : 9), using: &rng) }
            let desc = makeDesc(rank: rank, batch: Int.random(in: 1...3, using: &rng),
                                channels: Int.random(in: 5...70, using: &rng), input: sizes, kernel: sizes,
                                divisorOverride: trial % 3 == 0 ? Int.random(in: 1...50, using: &rng) : 0)
            let g = try PoolGeometry(desc, op: .average)
            let input: [Float] = inputs(g.inputElements, &rng, kind: trial % 3, as: Float.self)
            let want = ReferencePool.avgPool(g, input)
            for threads: Int32 in [1, 3] {
                XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
                XCTAssertNil(firstBitMismatch(Self.runAvg(desc, input), want, anyNaN: true),
                             "threads \(threads): \(describe(desc))")
            }
            _ = swiftpool_set_num_threads(0)
        }
    }

    /// Rows long enough to vectorise, with NaN and -0/+0 ties placed in every lane
    /// position of a vector: the fast path must hand these to the exact rule.
    func testNaNAndSignedZeroInEveryLane() throws {
        for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
            for stride in [1, 2] {
                for flags: UInt32 in [0, 1] {
                    let desc = makeDesc(rank: 2, layout: layout, channels: layout == SWIFTPOOL_LAYOUT_NHWC ? 40 : 1,
                                        input: [3, 37], kernel: [3, 3], stride: [1, stride], padding: [1, 1], flags: flags)
                    let g = try PoolGeometry(desc, op: .max)
                    // Phase p puts NaNs (distinct payloads) at positions = p mod 11 (prime to
                    // the lane counts): every lane gets its turn; windows see 0-2 NaNs.
                    for phase in 0..<11 {
                        var input = [Float](repeating: -0.0, count: g.inputElements)
                        for i in input.indices where i % 7 == stride { input[i] = 0.0 }
                        for i in input.indices where i % 11 == phase {
                            input[i] = Float(nan: UInt32(i % 4000 + 1), signaling: false)
                        }
                        let want = ReferencePool.maxPool(g, input)
                        let (values, indices) = Self.runMax(desc, input, withIndices: true)
                        let (valuesOnly, _) = Self.runMax(desc, input, withIndices: false)
                        XCTAssertNil(firstBitMismatch(values, want.values), "phase \(phase): \(describe(desc))")
                        XCTAssertNil(firstBitMismatch(valuesOnly, want.values), "phase \(phase): \(describe(desc))")
                        XCTAssertEqual(indices, want.indices, "phase \(phase): \(describe(desc))")
                    }
                }
            }
        }
    }

    // MARK: - Buffer bounds

    /// `count` elements placed so that the page after the last one and the page
    /// before the first one are inaccessible: reading or writing outside the
    /// tensor crashes the test instead of passing unnoticed.
    final class GuardedBuffer<T> {
        let base: UnsafeMutableRawPointer
        let mapped: Int
        let pointer: UnsafeMutablePointer<T>

        init(_ values: [T]) {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let bytes = values.count * MemoryLayout<T>.stride
            let dataPages = (bytes + page - 1) / page
            mapped = (dataPages + 2) * page
            base = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
            mprotect(base, page, PROT_NONE)
            mprotect(base + (dataPages + 1) * page, page, PROT_NONE)
            pointer = (base + (dataPages + 1) * page - bytes).bindMemory(to: T.self, capacity: values.count)
            values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
        }

        deinit { munmap(base, mapped) }
    }

    /// Every kernel path on tensors that end (and start) at a guard page.
    func testNoAccessOutsideBuffers() throws {
        var rng = SeededRNG(seed: testSeed(0xFA57_000A))
        for trial in 0..<200 {
            let average = trial % 3 == 2
            var desc = trial % 2 == 0 ? vectorFriendlyDesc(&rng, average: average, dtype: SWIFTPOOL_DTYPE_FLOAT32)
                                      : randomDesc(&rng, average: average)
            if average { desc.flags = 0 }
            let g = try PoolGeometry(desc, op: average ? .average : .max)
            guard g.inputElements > 0 else { continue }
            let input = GuardedBuffer(inputs(g.inputElements, &rng, kind: trial % 3, as: Float.self))
            let output = GuardedBuffer([Float](repeating: 0, count: g.outputElements))
            let indices = GuardedBuffer([Int64](repeating: 0, count: g.outputElements))
            let n = Int64(g.inputElements), m = Int64(g.outputElements)
            let rc = average
                ? swiftpool_avg_pool_forward(&desc, input.pointer, n, output.pointer, m)
                : swiftpool_max_pool_forward(&desc, input.pointer, n, output.pointer, m,
                                             trial % 4 == 1 ? nil : indices.pointer, trial % 4 == 1 ? 0 : m)
            XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()))
        }
    }

    // MARK: - Threads

    /// Problems large enough to be split into chunks.
    func parallelDescs() -> [(swiftpool_pool_desc, Bool)] {
        [
            (makeDesc(rank: 2, batch: 2, channels: 16, input: [64, 64], kernel: [3, 3], stride: [2, 2], padding: [1, 1]), false),
            (makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NHWC, batch: 2, channels: 24, input: [40, 40], kernel: [3, 3],
                      stride: [2, 2], padding: [1, 1], ceilMode: true), false),
            (makeDesc(rank: 2, batch: 2, channels: 32, input: [30, 30], kernel: [3, 3], stride: [1, 1], padding: [1, 1],
                      countIncludePad: false), true),
            (makeDesc(rank: 2, batch: 8, channels: 512, input: [7, 7], kernel: [7, 7]), true),
            (makeDesc(rank: 1, batch: 4, channels: 64, input: [1024], kernel: [3], stride: [2], padding: [1]), false),
            (makeDesc(rank: 3, layout: SWIFTPOOL_LAYOUT_NHWC, batch: 1, channels: 16, input: [8, 20, 20], kernel: [3, 3, 3],
                      stride: [2, 2, 2], padding: [1, 1, 1]), true),
        ]
    }

    func testEveryThreadCountGivesIdenticalResults() throws {
        defer { swiftpool_set_num_threads(0) }
        var rng = SeededRNG(seed: testSeed(0xFA57_0007))
        for (desc, average) in parallelDescs() {
            let g = try PoolGeometry(desc, op: average ? .average : .max)
            let planner = BlockPlanner(g, channels: g.layout == SWIFTPOOL_LAYOUT_NHWC ? g.channels : 1, elementSize: 4)
            XCTAssertGreaterThan(Parallel.chunkCount(units: planner.units, unitWork: planner.unitWork, threads: 4), 1,
                                 "problem too small to be split: \(describe(desc))")
            let input: [Float] = inputs(g.inputElements, &rng, kind: 1, as: Float.self)
            XCTAssertEqual(swiftpool_set_num_threads(1), statusOK)
            let single = average ? (Self.runAvg(desc, input), []) : Self.runMax(desc, input, withIndices: true)
            for threads: Int32 in [2, 3, 4, 7, 16] {
                XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
                let multi = average ? (Self.runAvg(desc, input), []) : Self.runMax(desc, input, withIndices: true)
                XCTAssertNil(firstBitMismatch(multi.0, single.0), "threads \(threads): \(describe(desc))")
                XCTAssertEqual(multi.1, single.1, "threads \(threads): \(describe(desc))")
            }
        }
    }

    /// Several host threads, each with its own thread count, share the worker pool.
    func testConcurrentCallersShareWorkers() throws {
        let (desc, _) = parallelDescs()[0]
        let g = try PoolGeometry(desc, op: .max)
        var rng = SeededRNG(seed: testSeed(0xFA57_0008))
        let input: [Float] = inputs(g.inputElements, &rng, kind: 1, as: Float.self)
        let want = ReferencePool.maxPool(g, input)
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            swiftpool_set_num_threads(Int32(i % 3 + 1))
            for _ in 0..<5 {
                let (values, indices) = FastPathTests.runMax(desc, input, withIndices: true)
                if bits(values) != bits(want.values) || indices != want.indices { failures.withLock { $0 += 1 } }
            }
            swiftpool_set_num_threads(0)
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }

    /// The worker pool runs every chunk exactly once, and its workers join calls,
    /// both back to back (idle workers still polling for work) and after pauses
    /// longer than the poll time (workers asleep, woken through the condition
    /// variable). A lost wake-up would hang here; a chunk claimed twice or never
    /// shows in the counts.
    func testWorkerPoolPollingAndSleepingWorkers() {
        let caller = pthread_self()
        let units = 64
        var joinedAfterPause = 0, joinedBackToBack = 0
        for call in 0..<90 {
            let afterPause = call % 3 == 2
            if afterPause { usleep(3_000) }  // > WorkerPool.spinNanoseconds: the workers sleep
            let counts = Mutex([Int](repeating: 0, count: units))
            let helped = Atomic<Bool>(false)
            Parallel.forEachRange(units: units, unitWork: 1 << 20, threads: 2) { range in
                if pthread_equal(pthread_self(), caller) == 0 { helped.store(true, ordering: .relaxed) }
                // Chunks long enough (about 20 us each) for a waking worker to find some left.
                let start = DispatchTime.now().uptimeNanoseconds
                while DispatchTime.now().uptimeNanoseconds &- start < 20_000 {}
                counts.withLock { c in for u in range { c[u] += 1 } }
            }
            XCTAssertEqual(counts.withLock { $0 }, [Int](repeating: 1, count: units), "call \(call)")
            if helped.load(ordering: .relaxed) {
                if afterPause { joinedAfterPause += 1 } else { joinedBackToBack += 1 }
            }
        }
        XCTAssertGreaterThan(joinedBackToBack, 0, "no worker joined a back-to-back call")
        XCTAssertGreaterThan(joinedAfterPause, 0, "no sleeping worker was woken for a call")
    }

    /// A forked child (no worker threads there) still runs multi-threaded calls.
    func testParallelCallsAfterFork() throws {
        defer { swiftpool_set_num_threads(0) }
        let (desc, _) = parallelDescs()[0]
        let g = try PoolGeometry(desc, op: .max)
        var rng = SeededRNG(seed: testSeed(0xFA57_000D))
        let input: [Float] = inputs(g.inputElements, &rng, kind: 0, as: Float.self)
        swiftpool_set_num_threads(2)
        let (want, _) = Self.runMax(desc, input, withIndices: false)
        let pid = fork()
        if pid == 0 {
            swiftpool_set_num_threads(2)
            let (got, _) = Self.runMax(desc, input, withIndices: false)
            _exit(bits(got) == bits(want) ? 0 : 1)
        }
        XCTAssertGreaterThan(pid, 0)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        XCTAssertEqual(status, 0, "child exit status")
    }

    // MARK: - ISA and geometry helpers

    func testISASelection() {
        let name = String(cString: swiftpool_isa())
        XCTAssertTrue(["avx2", "baseline"].contains(name))
        if ProcessInfo.processInfo.environment["SWIFTPOOL_MAX_ISA"] == "baseline" {
            XCTAssertEqual(name, "baseline")
        } else {
            XCTAssertEqual(name == "avx2", ISA.detected == .avx2)
        }
    }

    /// AxisGeometry.window's division-free dilation-1 branch against the general formulas.
    func testUndilatedWindowsMatchGeneralFormula() {
        for input in 1...9 { for kernel in 1...5 { for stride in 1...3 { for padding in 0...2 { for paddingEnd in 0...2 {
            let axis = AxisGeometry(inputSize: input, outputSize: 12, kernel: kernel, stride: stride, padding: padding,
                                    paddingEnd: paddingEnd, dilation: 1)
            for o in 0..<12 {
                let w = axis.window(o)
                let start = o * stride - padding
                let taps = (0..<kernel).map { start + $0 }
                let real = taps.filter { (0..<input).contains($0) }
                XCTAssertEqual(w.start, start)
                XCTAssertEqual(w.validCount, real.count)
                if let first = real.first { XCTAssertEqual(w.firstTap, first) }
                XCTAssertEqual(w.paddedCount, taps.filter { $0 >= -padding && $0 < input + paddingEnd }.count)
            }
            let interior = axis.interiorOutputs
            for o in 0..<12 {
                let start = o * stride - padding
                XCTAssertEqual(interior.contains(o), start >= 0 && start + kernel - 1 < input)
            }
        }}}}}
    }

    /// Every average is the correctly rounded division, as PyTorch's: no kernel may
    /// multiply by a reciprocal (that differs in the last bit, and near underflow
    /// by more). A 1x1 window with divisor_override d averages to (+0 + x) / d, so x
    /// can be anything: random bit patterns (every exponent, subnormals), normal
    /// values, ±0, ±inf, NaN, the extremes, and quotients near 2^-96 (2^-960), where
    /// a reciprocal-and-fma quotient stops being exact, for divisors around powers
    /// of two and far beyond, through each kernel path: padded planes, long rows,
    /// channels-last.
    func testAverageQuotientsAreCorrectlyRounded() {
        var rng = SeededRNG(seed: testSeed(0xD1F1_0001))
        let divisors = Array(1...40) + [47, 49, 63, 64, 65, 97, 127, 255, 1000, 4095, 65537, (1 << 24) + 1,
                                        3_486_784_401, Int(Int64.max)]
        let shapes: [(layout: swiftpool_layout, channels: Int, input: [Int])] = [
            (SWIFTPOOL_LAYOUT_NCHW, 3, [5, 24]),     // padded planes (small plane, rows >= 8)
            (SWIFTPOOL_LAYOUT_NCHW, 1, [3, 4500]),   // block kernels (plane beyond the padded copy)
            (SWIFTPOOL_LAYOUT_NHWC, 37, [4, 9]),     // channels-last
        ]
        func check<T: BinaryFloatingPoint>(_: T.Type, dtype: swiftpool_dtype, bits randomBits: () -> T) {
            for d in divisors {
                let shape = shapes[d % shapes.count]
                let desc = makeDesc(rank: 2, layout: shape.layout, channels: shape.channels, input: shape.input,
                                    kernel: [1, 1], divisorOverride: d, dtype: dtype)
                let count = shape.channels * shape.input[0] * shape.input[1]
                let divisor = T(d)
                let bound = T(sign: .plus, exponent: T.significandBitCount == 23 ? -96 : -960, significand: 1)
                let tiny = bound * divisor
                let specials: [T] = [0, -0, .infinity, -.infinity, .nan, .greatestFiniteMagnitude,
                                     -.greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude,
                                     -.leastNormalMagnitude, tiny, tiny.nextUp, tiny.nextDown, -tiny]
                var input = [T]()
                input.reserveCapacity(count)
                while input.count < count {
                    switch Int.random(in: 0..<8, using: &rng) {
                    case 0: input.append(specials.randomElement(using: &rng)!)
                    case 1, 2, 3: input.append(randomBits())
                    default:
                        // Mostly normal values, so most vectors hold no special lane.
                        let e = Int.random(in: -60...60, using: &rng)
                        input.append(T(sign: Bool.random(using: &rng) ? .minus : .plus, exponent: T.Exponent(e),
                                       significand: 1 + T(Int.random(in: 0..<(1 << 20), using: &rng)) / T(1 << 20)))
                    }
                }
                let want = input.map { ((0 as T) + $0) / divisor }
                XCTAssertNil(firstBitMismatch(Self.runAvg(desc, input), want, anyNaN: true),
                             "divisor \(d) \(T.self) \(describe(desc))")
            }
        }
        check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32) { Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) }
        check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64) { Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng)) }
    }
}
