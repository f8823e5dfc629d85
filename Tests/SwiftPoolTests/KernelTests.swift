// Every kernel, through the C ABI, against the reference on randomized problems.
import CSwiftPool
import XCTest
@testable import SwiftPool

final class KernelTests: XCTestCase {
    /// Runs max pooling through the C ABI; returns values and indices.
    func runMax<T: PoolElement>(_ desc: swiftpool_pool_desc, _ input: [T], withIndices: Bool = true,
                                file: StaticString = #filePath, line: UInt = #line) -> ([T], [Int64]) {
        var d = desc
        var elements: Int64 = 0
        XCTAssertEqual(swiftpool_pool_output_shape(&d, nil, &elements), statusOK, file: file, line: line)
        var out = [T](repeating: T(poolWide: 77), count: Int(elements))
        var idx = [Int64](repeating: -7, count: Int(elements))
        let rc = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                idx.withUnsafeMutableBufferPointer { ip in
                    swiftpool_max_pool_forward(&d, src.baseAddress ?? UnsafeRawPointer(bitPattern: 16), Int64(input.count),
                                               dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64), elements,
                                               withIndices ? (ip.baseAddress ?? UnsafeMutablePointer(bitPattern: 128)) : nil,
                                               withIndices ? elements : 0)
                }
            }
        }
        XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()), file: file, line: line)
        return (out, idx)
    }

    func runAvg<T: PoolElement>(_ desc: swiftpool_pool_desc, _ input: [T],
                                file: StaticString = #filePath, line: UInt = #line) -> [T] {
        var d = desc
        var elements: Int64 = 0
        XCTAssertEqual(swiftpool_pool_output_shape(&d, nil, &elements), statusOK, file: file, line: line)
        var out = [T](repeating: T(poolWide: 77), count: Int(elements))
        let rc = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                swiftpool_avg_pool_forward(&d, src.baseAddress ?? UnsafeRawPointer(bitPattern: 16), Int64(input.count),
                                           dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64), elements)
            }
        }
        XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()), file: file, line: line)
        return out
    }

    func checkMaxAgainstReference<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let desc = randomDesc(&rng, average: false, dtype: dtype)
            let g = try PoolGeometry(desc, op: .max)
            let input = randomValues(g.inputElements, &rng, special: trial % 2 == 0, as: T.self)
            let want = ReferencePool.maxPool(g, input)
            let (values, indices) = runMax(desc, input)
            let (valuesOnly, _) = runMax(desc, input, withIndices: false)
            let context = "seed \(seed) trial \(trial): \(describe(desc))"
            // Bitwise: NaN payloads tell which NaN was reported.
            XCTAssertEqual(bits(values), bits(want.values), context)
            XCTAssertEqual(bits(valuesOnly), bits(want.values), "values-only path, " + context)
            XCTAssertEqual(indices, want.indices, context)
            if bits(values) != bits(want.values) || indices != want.indices { return }
        }
    }

    func checkAvgAgainstReference<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let desc = randomDesc(&rng, average: true, dtype: dtype)
            let g = try PoolGeometry(desc, op: .average)
            let input = randomValues(g.inputElements, &rng, special: trial % 4 == 0, as: T.self)
                .map { $0 + T(Int.random(in: 0..<1000, using: &rng)) / 997 }
            let want = ReferencePool.avgPool(g, input)
            let got = runAvg(desc, input)
            let context = "seed \(seed) trial \(trial): \(describe(desc))"
            XCTAssertEqual(got.count, want.count, context)
            for (i, (a, b)) in zip(got, want).enumerated() {
                let close = (a.isNaN && b.isNaN) || a == b || abs(a - b) <= 2 * b.ulp
                if !close { XCTFail("\(context): element \(i) got \(a), want \(b)"); return }
            }
        }
    }

    /// Max pooling of the narrow types: values generated as Float (NaN, ±inf, ties), converted.
    func checkMaxNarrow<T: PoolElement>(_ dtype: swiftpool_dtype, seed: UInt64, trials: Int, _ convert: (Float) -> T) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let desc = randomDesc(&rng, average: false, dtype: dtype)
            let g = try PoolGeometry(desc, op: .max)
            let input = randomValues(g.inputElements, &rng, special: trial % 2 == 0, as: Float.self).map(convert)
            let want = ReferencePool.maxPool(g, input)
            let (values, indices) = runMax(desc, input)
            let context = "seed \(seed) trial \(trial): \(describe(desc))"
            XCTAssertEqual(bits(values), bits(want.values), context)
            XCTAssertEqual(indices, want.indices, context)
            if bits(values) != bits(want.values) || indices != want.indices { return }
        }
    }

    /// Streaming stores straight from the row kernels (RunShape.streamStores, forced
    /// on with a threshold of 0, the scratch path off): channels-first rows long
    /// enough to stream and channels-last rows of pixels of whole lines or not (1D
    /// and 2D, strides 1 and 2, kernels 2-4, padding), float32 and float64, the
    /// output starting at every element offset within a cache line (so the part
    /// before the first line boundary and after the last whole pair are written
    /// normally), NaN (a run that met one is rewritten by the exact pass after its
    /// streamed stores), 1-3 threads: the reference's bits, and nothing written
    /// outside the output.
    func testStreamStoresMatchReference() throws {
        func check<T: PoolElement>(_ dtype: swiftpool_dtype, seed: UInt64, _ convert: (Float) -> T) throws {
            var rng = SeededRNG(seed: seed)
            let lineElements = 64 / MemoryLayout<T>.stride
            for trial in 0..<64 {
                let rank = trial % 2 == 0 ? 1 : 2
                let stride = Int.random(in: 1...2, using: &rng), k = Int.random(in: 2...4, using: &rng)
                let pad = Int.random(in: 0...(k / 2), using: &rng)
                // Every fourth trial channels-last: pixels of whole lines (32 or 64
                // float32 channels) or not (24, 40, 48), rows of a few dozen pixels.
                let nhwc = trial % 4 >= 2
                let width = nhwc ? Int.random(in: 8...40, using: &rng) : Int.random(in: 100...400, using: &rng)
                let channels = nhwc ? [24, 32, 40, 48, 64][trial % 5] : Int.random(in: 1...3, using: &rng)
                let desc = makeDesc(rank: rank, layout: nhwc ? SWIFTPOOL_LAYOUT_NHWC : SWIFTPOOL_LAYOUT_NCHW,
                                    batch: Int.random(in: 1...2, using: &rng), channels: channels,
                                    input: rank == 1 ? [width] : [Int.random(in: 4...7, using: &rng), width],
                                    kernel: [Int](repeating: k, count: rank), stride: [Int](repeating: stride, count: rank),
                                    padding: [Int](repeating: pad, count: rank), dtype: dtype)
                let g = try PoolGeometry(desc, op: .max)
                let input = randomValues(g.inputElements, &rng, special: trial % 3 == 0, as: Float.self).map(convert)
                let want = ReferencePool.maxPool(g, input).values
                // Channels-last: starts at 0, 1/4, 1/2 and 3/4 of a line, so that
                // pixels of whole lines start on one (or, 24-48 channels, some do).
                let shift = nhwc ? (trial / 4) % 4 * (lineElements / 4) : trial % lineElements
                let guardCount = 2 * lineElements
                for threads: Int32 in [1, 2, 3] {
                    XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
                    // The output `shift` elements past a line boundary (Array storage
                    // is 16-byte aligned: an aligned scratch, written through a pointer).
                    let total = shift + g.outputElements + guardCount
                    let raw = UnsafeMutableRawPointer.allocate(byteCount: total * MemoryLayout<T>.stride, alignment: 64)
                    defer { raw.deallocate() }
                    let base = raw.bindMemory(to: T.self, capacity: total)
                    base.initialize(repeating: convert(77), count: total)
                    input.withUnsafeBytes { src in
                        PoolDispatch.maxPool(g, input: src.baseAddress!, output: UnsafeMutableRawPointer(base + shift),
                                             indices: nil, streamedMinimum: Int.max, streamStoresMinimum: 0)
                    }
                    _ = swiftpool_set_num_threads(0)
                    let got = Array(UnsafeBufferPointer(start: base + shift, count: g.outputElements))
                    let context = "trial \(trial) shift \(shift) threads \(threads): \(describe(desc))"
                    XCTAssertEqual(bits(got), bits(want), context)
                    let outside = Array(UnsafeBufferPointer(start: base, count: shift))
                        + Array(UnsafeBufferPointer(start: base + shift + g.outputElements, count: guardCount))
                    XCTAssertEqual(bits(outside), bits([T](repeating: convert(77), count: shift + guardCount)), context)
                    if bits(got) != bits(want) { return }
                }
            }
        }
        try check(SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x5EED_0041)) { $0 }
        try check(SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x5EED_0042)) { Double($0) }
    }

    /// Max pooling without indices and an output too large for the caches writes
    /// channels-last output rows, and channels-first units (planes, strips of rows,
    /// edges included), through scratch with streaming stores (MaxPoolKernel). With the size
    /// threshold lowered to 0: random problems of every dtype and both layouts
    /// (padding, dilation, ceil_mode, NaN, ties, 1-3 threads) give the reference's
    /// bits, including ranges that start or end mid-line, and write every output.
    /// Far-ahead prefetches (RunShape.farPrefetch) are forced on too.
    func testStreamedOutputsMatchReference() throws {
        func check<T: PoolElement>(_ dtype: swiftpool_dtype, seed: UInt64, _ convert: (Float) -> T) throws {
            var rng = SeededRNG(seed: seed)
            for trial in 0..<160 {
                var desc = randomDesc(&rng, average: false, dtype: dtype)
                desc.layout = Int32((trial % 2 == 0 ? SWIFTPOOL_LAYOUT_NHWC : SWIFTPOOL_LAYOUT_NCHW).rawValue)
                let g = try PoolGeometry(desc, op: .max)
                let input = randomValues(g.inputElements, &rng, special: trial % 4 < 2, as: Float.self).map(convert)
                let want = ReferencePool.maxPool(g, input).values
                for threads: Int32 in [1, 2, 3] {
                    XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
                    var got = [T](repeating: convert(77), count: g.outputElements)
                    input.withUnsafeBytes { src in got.withUnsafeMutableBytes { dst in
                        PoolDispatch.maxPool(g, input: src.baseAddress ?? UnsafeRawPointer(bitPattern: 16)!,
                                             output: dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64)!,
                                             indices: nil, streamedMinimum: 0, farPrefetchMinimum: 0)
                    }}
                    _ = swiftpool_set_num_threads(0)
                    let context = "trial \(trial) threads \(threads): \(describe(desc))"
                    XCTAssertEqual(bits(got), bits(want), context)
                    if bits(got) != bits(want) { return }
                }
            }
        }
        try check(SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x5EED_0031)) { $0 }
        try check(SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x5EED_0032)) { Double($0) }
        try check(SWIFTPOOL_DTYPE_FLOAT16, seed: testSeed(0x5EED_0033)) { Float16($0) }
        try check(SWIFTPOOL_DTYPE_BFLOAT16, seed: testSeed(0x5EED_0034)) { BFloat16($0) }
        func toInt(_ x: Float) -> Int { x.isNaN ? 0 : x.isInfinite ? (x > 0 ? 1000 : -1000) : Int(x * 2) }
        try check(SWIFTPOOL_DTYPE_UINT8, seed: testSeed(0x5EED_0035)) { UInt8(clamping: toInt($0) + 8) }
        try check(SWIFTPOOL_DTYPE_INT8, seed: testSeed(0x5EED_0036)) { Int8(clamping: toInt($0)) }
    }

    func testMaxPoolNarrowTypesMatchReference() throws {
        func toInt(_ x: Float) -> Int { x.isNaN ? 0 : x.isInfinite ? (x > 0 ? 1000 : -1000) : Int(x * 2) }
        try checkMaxNarrow(SWIFTPOOL_DTYPE_UINT8, seed: testSeed(0x5EED_0021), trials: 150) { UInt8(clamping: toInt($0) + 8) }
        try checkMaxNarrow(SWIFTPOOL_DTYPE_INT8, seed: testSeed(0x5EED_0022), trials: 150) { Int8(clamping: toInt($0)) }
        try checkMaxNarrow(SWIFTPOOL_DTYPE_FLOAT16, seed: testSeed(0x5EED_0023), trials: 150) { Float16($0) }
        try checkMaxNarrow(SWIFTPOOL_DTYPE_BFLOAT16, seed: testSeed(0x5EED_0024), trials: 150) { BFloat16($0) }
    }

    func testAvgPoolHalfTypesMatchReference() throws {
        for (dtype, seed) in [(SWIFTPOOL_DTYPE_FLOAT16, UInt64(0x5EED_0031)), (SWIFTPOOL_DTYPE_BFLOAT16, 0x5EED_0032)] {
            var rng = SeededRNG(seed: testSeed(seed))
            for trial in 0..<100 {
                let desc = randomDesc(&rng, average: true, dtype: dtype)
                let g = try PoolGeometry(desc, op: .average)
                let floats = randomValues(g.inputElements, &rng, special: false, as: Float.self)
                let context = "seed \(seed) trial \(trial): \(describe(desc))"
                if dtype == SWIFTPOOL_DTYPE_FLOAT16 {
                    let input = floats.map { Float16($0) }
                    XCTAssertEqual(bits(runAvg(desc, input)), bits(ReferencePool.avgPool(g, input)), context)
                } else {
                    let input = floats.map { BFloat16($0) }
                    XCTAssertEqual(bits(runAvg(desc, input)), bits(ReferencePool.avgPool(g, input)), context)
                }
            }
        }
    }

    func testIntegerAverageIsUnsupported() {
        var d = makeDesc(rank: 1, input: [4], kernel: [2], dtype: SWIFTPOOL_DTYPE_UINT8)
        var x = [UInt8](repeating: 1, count: 4), y = [UInt8](repeating: 9, count: 2)
        XCTAssertEqual(swiftpool_avg_pool_forward(&d, &x, 4, &y, 2), status(SWIFTPOOL_ERROR_UNSUPPORTED))
        XCTAssertEqual(y, [9, 9])
    }

    func testMaxPoolMatchesReferenceOnRandomProblems() throws {
        try checkMaxAgainstReference(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x5EED_0001), trials: 500)
    }

    func testMaxPoolFloat64MatchesReference() throws {
        try checkMaxAgainstReference(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x5EED_0011), trials: 200)
    }

    func testAvgPoolMatchesReferenceOnRandomProblems() throws {
        try checkAvgAgainstReference(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x5EED_0002), trials: 500)
    }

    func testAvgPoolFloat64MatchesReference() throws {
        try checkAvgAgainstReference(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x5EED_0012), trials: 200)
    }

    /// PyTorch's NaN rule: the *last* NaN of the window (scan order) is reported,
    /// value and index; an all -inf window reports its first position.
    func testNaNAndInfinitySemantics() {
        let nan1 = Float(nan: 1, signaling: false), nan2 = Float(nan: 2, signaling: false)
        let desc = makeDesc(rank: 2, input: [1, 4], kernel: [1, 4])
        let (v, i) = runMax(desc, [1, nan1, 3, nan2] as [Float])
        XCTAssertEqual(v[0].bitPattern, nan2.bitPattern)
        XCTAssertEqual(i, [3])
        let (v2, i2) = runMax(desc, [Float](repeating: -.infinity, count: 4))
        XCTAssertEqual(v2, [-.infinity])
        XCTAssertEqual(i2, [0])
        let (v3, i3) = runMax(desc, [2, 5, 5, .infinity] as [Float])
        XCTAssertEqual(v3, [.infinity])
        XCTAssertEqual(i3, [3])
    }

    func testTiesGoToFirstMaximum() {
        let desc = makeDesc(rank: 2, input: [2, 3], kernel: [2, 3])
        let (v, i) = runMax(desc, [1, 7, 7, 7, 2, 7] as [Float])
        XCTAssertEqual(v, [7])
        XCTAssertEqual(i, [1])
    }

    /// A window entirely inside the padding (possible only with dilation): PyTorch
    /// reports -inf and the first tap position at or past 0.
    func testWindowInsidePadding() {
        let desc = makeDesc(rank: 2, input: [1, 1], kernel: [2, 2], stride: [1, 1], padding: [1, 1], dilation: [2, 2])
        let (v, i) = runMax(desc, [5] as [Float])
        XCTAssertEqual(v, [-.infinity])
        XCTAssertEqual(i, [2])
    }

    /// Hand-computed PyTorch results (checked with torch 2.13).
    func testAverageDivisorsUnderCeilMode() {
        // avg_pool1d(ones(5), 2, 2, 1, ceil_mode=True, count_include_pad=True) == [0.5, 1, 1]
        let d1 = makeDesc(rank: 1, input: [5], kernel: [2], stride: [2], padding: [1], ceilMode: true)
        XCTAssertEqual(runAvg(d1, [1, 1, 1, 1, 1] as [Float]), [0.5, 1, 1])
        // avg_pool2d(ones(5,5), 3, 2, 1, ceil_mode=True): corners 4/9, edges 6/9, centre 1.
        let d2 = makeDesc(rank: 2, input: [5, 5], kernel: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true)
        let out = runAvg(d2, [Float](repeating: 1, count: 25))
        XCTAssertEqual(out.count, 9)
        XCTAssertEqual(out[0], 4.0 / 9, accuracy: 1e-7)
        XCTAssertEqual(out[1], 6.0 / 9, accuracy: 1e-7)
        XCTAssertEqual(out[4], 1)
        // count_include_pad=False divides by the real element count.
        let d3 = makeDesc(rank: 1, input: [4], kernel: [3], stride: [1], padding: [1], countIncludePad: false)
        XCTAssertEqual(runAvg(d3, [1, 2, 3, 4] as [Float]), [1.5, 2, 3, 3.5])
        let d4 = makeDesc(rank: 1, input: [4], kernel: [2], divisorOverride: 4)
        XCTAssertEqual(runAvg(d4, [1, 2, 3, 4] as [Float]), [0.75, 1.75])
    }

    /// Global average of a large map of ones is exactly 1 (float accumulators drift here).
    func testLargeWindowAverageIsExact() {
        let side = 1500
        let desc = makeDesc(rank: 2, input: [side, side], kernel: [side, side])
        XCTAssertEqual(runAvg(desc, [Float](repeating: 1, count: side * side)), [1])
    }

    func testLayoutsAgree() {
        var rng = SeededRNG(seed: testSeed(0x5EED_0003))
        let (n, c, h, w) = (2, 5, 9, 7)
        let nchw = randomValues(n * c * h * w, &rng, special: true)
        var nhwc = [Float](repeating: 0, count: nchw.count)
        for b in 0..<n { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
            nhwc[((b * h + y) * w + x) * c + ch] = nchw[((b * c + ch) * h + y) * w + x]
        }}}}
        let first = makeDesc(rank: 2, batch: n, channels: c, input: [h, w], kernel: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true)
        var last = first
        last.layout = Int32(SWIFTPOOL_LAYOUT_NHWC.rawValue)
        let (v1, i1) = runMax(first, nchw)
        let (v2, i2) = runMax(last, nhwc)
        let (oh, ow) = (5, 4)
        for b in 0..<n { for ch in 0..<c { for p in 0..<(oh * ow) {
            let a = (b * c + ch) * oh * ow + p, z = (b * oh * ow + p) * c + ch
            XCTAssertEqual(v1[a].bitPattern, v2[z].bitPattern)
            XCTAssertEqual(i1[a], i2[z])
        }}}
    }
}
