// Adaptive max/average pooling through the C ABI: against the reference on
// randomized problems (ranks 1-3, both layouts, output sizes above the input,
// NaN payloads, inf, ties), hand-checked PyTorch behaviour, global pooling
// accuracy, and the bad-input matrix.
import CSwiftPool
import XCTest
@testable import SwiftPool

/// The bytes of `a` with every NaN replaced by one quiet NaN: which NaN operand an
/// add returns depends on the instruction's operand order, which the compiler may
/// swap (the contract is only "a NaN in the bin gives NaN").
func nanCanonicalBits<T: PoolElement>(_ a: [T]) -> [UInt8] {
    bits(a.map { $0.poolIsNaN ? T.poolNaNOrLowest : $0 })
}

final class AdaptivePoolTests: XCTestCase {
    /// A random adaptive problem; window fields get junk values (they must be ignored).
    func randomProblem(_ rng: inout SeededRNG, dtype: swiftpool_dtype, max: Bool) -> (swiftpool_pool_desc, [Int]) {
        let rank = Int.random(in: 1...3, using: &rng)
        let maxSize = rank == 3 ? 6 : rank == 2 ? 10 : 17
        var input: [Int] = [], output: [Int] = []
        let style = Int.random(in: 0..<5, using: &rng)
        for _ in 0..<rank {
            let size = Int.random(in: 1...maxSize, using: &rng)
            input.append(size)
            // 0: global (1), 1: identity (= input), else anything up to input + 3.
            output.append(style == 0 ? 1 : style == 1 ? size : Int.random(in: 1...(size + 3), using: &rng))
        }
        var desc = makeDesc(rank: rank, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                            batch: Int.random(in: 0..<8, using: &rng) == 0 ? 0 : Int.random(in: 1...2, using: &rng),
                            channels: [1, 2, 3, 8, 9].randomElement(using: &rng)!, input: input, kernel: input,
                            flags: max && Bool.random(using: &rng) ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0, dtype: dtype)
        desc.kernel_size = (0, -3, 99)
        desc.stride = (0, 0, 0)
        desc.padding = (-1, 7, 7)
        desc.ceil_mode = 5
        desc.auto_pad = 9
        return (desc, output)
    }

    func check<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, max: Bool, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let (desc, outputSize) = randomProblem(&rng, dtype: dtype, max: max)
            let g = try AdaptiveGeometry(desc, outputSize: outputSize.map(Int64.init), op: max ? .max : .average)
            var input = randomValues(g.inputElements, &rng, special: trial % 2 == 0, as: T.self)
            if !max { input = input.map { $0 + T(Int.random(in: 0..<1000, using: &rng)) / 997 } }
            let want = ReferenceLpAdaptiveSpp.adaptivePool(g, input, max: max)
            let context = "seed \(seed) trial \(trial) output_size \(outputSize): \(describe(desc))"
            let (rc, got, indices) = callAdaptive(desc, outputSize: outputSize, input, max: max)
            XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()) + " " + context)
            if max {
                // Bitwise: NaN payloads show which NaN was reported.
                let (rc2, valuesOnly, _) = callAdaptive(desc, outputSize: outputSize, input, max: true, withIndices: false)
                XCTAssertEqual(rc2, statusOK, context)
                XCTAssertEqual(bits(got), bits(want.values), context)
                XCTAssertEqual(bits(valuesOnly), bits(want.values), "values-only path, " + context)
                XCTAssertEqual(indices, want.indices, context)
                if bits(got) != bits(want.values) || indices != want.indices { return }
            } else if g.outputPlane > 1 {
                // PyTorch's arithmetic: the reference's chains exactly (NaN payloads aside).
                XCTAssertEqual(nanCanonicalBits(got), nanCanonicalBits(want.values), context)
                if nanCanonicalBits(got) != nanCanonicalBits(want.values) { return }
            } else {
                // Global: the kernel sums runs with four accumulators, Double rounding may differ.
                let scale = input.map { abs($0) }.filter(\.isFinite).max() ?? 0
                if !assertAllClose(got, want.values, ulps: 4, scale: scale, context) { return }
            }
        }
    }

    func testMaxMatchesReference() throws {
        try check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, max: true, seed: testSeed(0xADA0_0001), trials: 300)
    }

    func testMaxFloat64MatchesReference() throws {
        try check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, max: true, seed: testSeed(0xADA0_0002), trials: 150)
    }

    func testAvgMatchesReference() throws {
        try check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, max: false, seed: testSeed(0xADA0_0003), trials: 300)
    }

    func testAvgFloat64MatchesReference() throws {
        try check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, max: false, seed: testSeed(0xADA0_0004), trials: 150)
    }

    /// Float32 channels-first 2D averages whose bins are uniform windows (W = OW,
    /// OW + 1, 2 OW or 2 OW + 1: 1 or 2 wide at stride 1, 2 or 3 wide at stride 2)
    /// with up to 8 outputs per row go straight from the planes, lanes along output
    /// rows (BinAverage.uniformRows), four output rows at a time across planes:
    /// against the reference (PyTorch's chains), with NaN, inf and -0, 1-3 threads,
    /// and guard elements after the output that must stay untouched (rows of fewer
    /// than 8 outputs are stored as whole vectors except the last).
    func testUniformBinRowsMatchReference() throws {
        defer { swiftpool_set_num_threads(0) }
        var rng = SeededRNG(seed: testSeed(0xADA0_0011))
        for trial in 0..<240 {
            func axis(_ outMax: Int) -> (input: Int, output: Int) {
                let o = Int.random(in: (trial < 16 ? 2 : 1)...outMax, using: &rng)
                // The first trials: bins three wide at stride 2 on both axes (13 -> 6),
                // whose rows share input rows (uniformRows' shared-row path).
                switch trial < 16 ? 3 : Int.random(in: 0..<5, using: &rng) {
                case 0: return (o, o)
                case 1: return (o + 1, o)
                case 2: return (2 * o, o)
                case 3: return (2 * o + 1, o)
                default: return (Int.random(in: 1...20, using: &rng), o)
                }
            }
            let (H, OH) = axis(9), (W, OW) = axis(10)
            // One output per plane is global pooling, which sums in its own order
            // (testGlobalAverageFloatKernels), not the reference's.
            if OH * OW == 1 { continue }
            let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NCHW, batch: Int.random(in: 1...3, using: &rng),
                                channels: Int.random(in: 1...9, using: &rng), input: [H, W], kernel: [H, W],
                                dtype: SWIFTPOOL_DTYPE_FLOAT32)
            let g = try AdaptiveGeometry(desc, outputSize: [Int64(OH), Int64(OW)], op: .average)
            var input = randomValues(g.inputElements, &rng, special: trial % 2 == 0, as: Float.self)
            input = input.map { $0 + Float(Int.random(in: 0..<1000, using: &rng)) / 997 }
            let want = ReferenceLpAdaptiveSpp.adaptivePool(g, input, max: false).values
            let threads = Int32(trial % 3 + 1)
            XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
            let count = g.outputElements, guardCount = 16
            var out = [Float](repeating: 1234.5, count: count + guardCount)
            var d = desc
            let rc = input.withUnsafeBytes { src in out.withUnsafeMutableBytes { dst in
                swiftpool_adaptive_avg_pool_forward(&d, [Int64(OH), Int64(OW)], src.baseAddress!, Int64(input.count),
                                                    dst.baseAddress!, Int64(count))
            }}
            let context = "trial \(trial) threads \(threads) output_size [\(OH), \(OW)]: \(describe(desc))"
            XCTAssertEqual(rc, statusOK, context)
            XCTAssertEqual(nanCanonicalBits(Array(out[..<count])), nanCanonicalBits(want), context)
            XCTAssertEqual(Array(out[count...]), [Float](repeating: 1234.5, count: guardCount), "guard, " + context)
            if nanCanonicalBits(Array(out[..<count])) != nanCanonicalBits(want) { return }
        }
    }

    /// Behaviour observed in torch 2.13 (adaptive_max_pool1d / adaptive_avg_pool1d).
    func testHandCheckedTorchValues() {
        let nan1 = Float(nan: 1, signaling: false), nan2 = Float(nan: 2, signaling: false)
        let d = makeDesc(rank: 1, input: [6], kernel: [1])
        // Bins [0,3) and [3,6): each reports its own last NaN, value and index.
        let (_, v, i) = callAdaptive(d, outputSize: [2], [1, nan1, 3, nan2, 2, 5] as [Float], max: true)
        XCTAssertEqual(v.map(\.bitPattern), [nan1.bitPattern, nan2.bitPattern])
        XCTAssertEqual(i, [1, 3])
        let (_, g, gi) = callAdaptive(d, outputSize: [1], [1, nan1, 3, nan2, 2, 5] as [Float], max: true)
        XCTAssertEqual(g[0].bitPattern, nan2.bitPattern)
        XCTAssertEqual(gi, [3])
        // NaN ignored: the maximum of the numbers.
        var ignoring = d
        ignoring.flags = UInt32(SWIFTPOOL_FLAG_NAN_IGNORE)
        let (_, vi, ii) = callAdaptive(ignoring, outputSize: [2], [1, nan1, 3, nan2, 2, 5] as [Float], max: true)
        XCTAssertEqual(vi, [3, 5])
        XCTAssertEqual(ii, [2, 5])
        // Ties: the first; all -inf: the bin's first element.
        let four = makeDesc(rank: 1, input: [4], kernel: [1])
        XCTAssertEqual(callAdaptive(four, outputSize: [1], [2, 2, 1, 2] as [Float], max: true).2, [0])
        let (_, ninf, ninfIdx) = callAdaptive(four, outputSize: [2], [Float](repeating: -.infinity, count: 4), max: true)
        XCTAssertEqual(ninf, [-.infinity, -.infinity])
        XCTAssertEqual(ninfIdx, [0, 2])
        // Output larger than the input: 3 -> 5 repeats elements.
        let three = makeDesc(rank: 1, input: [3], kernel: [1])
        let (_, up, upIdx) = callAdaptive(three, outputSize: [5], [0, 1, 2] as [Float], max: true)
        XCTAssertEqual(up, [0, 1, 1, 2, 2])
        XCTAssertEqual(upIdx, [0, 1, 1, 2, 2])
        XCTAssertEqual(callAdaptive(three, outputSize: [5], [0, 1, 2] as [Float], max: false).1, [0, 0.5, 1, 1.5, 2])
        // Overlapping bins: 5 -> 3 is [0,2), [1,4), [3,5).
        let five = makeDesc(rank: 1, input: [5], kernel: [1])
        XCTAssertEqual(callAdaptive(five, outputSize: [3], [1, 2, 3, 4, 5] as [Float], max: false).1, [1.5, 3, 4.5])
    }

    /// PyTorch's average arithmetic, hand-checked against torch 2.13: float32 sums
    /// from +0 in scan order, then `sum / kh / kw` (not one division by kh*kw, not
    /// a Double sum); 3D float16 sums round to float16 after every add.
    func testAverageIsPyTorchArithmetic() {
        // 3x3 -> 1x2: bins [0,2) and [1,3) of every row: kh = 3, kw = 2.
        // torch.nn.functional.adaptive_avg_pool2d(x, (1, 2)) for x below gives
        // [0.1f / 3 / 2 ..] computed as below; a Double sum or sum / 6 differ.
        let x: [Float] = [0.1, 0.7, 1e-8, 0.3, 0.2, 0.9, 0.6, 1e8, 0.4]
        let d = makeDesc(rank: 2, input: [3, 3], kernel: [1, 1])
        var want: [Float] = []
        for (w0, w1) in [(0, 2), (1, 3)] {
            var s: Float = 0
            for h in 0..<3 { for w in w0..<w1 { s += x[h * 3 + w] } }
            want.append(s / 3 / 2)
        }
        XCTAssertEqual(callAdaptive(d, outputSize: [1, 2], x, max: false).1.map(\.bitPattern), want.map(\.bitPattern))
        // 7 taps of 1/3 in a 1x1x7 3D bin: float16 sums round after each add.
        let h: [Float16] = [Float16](repeating: Float16(0.333), count: 7) + [Float16(2048), Float16(1), Float16(1)]
        let d3 = makeDesc(rank: 3, input: [1, 1, 10], kernel: [1, 1, 1], dtype: SWIFTPOOL_DTYPE_FLOAT16)
        var s16 = Float16(0)
        for v in h[0..<5] { s16 = s16 + v }
        var t16 = Float16(0)
        for v in h[5..<10] { t16 = t16 + v }
        // Bins of 10 -> 2: [0,5) and [5,10); torch: (2048 + 1 + 1) in float16 is 2048.
        XCTAssertEqual(callAdaptive(d3, outputSize: [1, 1, 2], h, max: false).1.map(\.bitPattern),
                       [s16 / 5, t16 / 5].map(\.bitPattern))
        // The same values in 2D: float sums, one rounding at the end.
        let d2 = makeDesc(rank: 2, input: [1, 10], kernel: [1, 1], dtype: SWIFTPOOL_DTYPE_FLOAT16)
        let f = h.map(Float.init)
        XCTAssertEqual(callAdaptive(d2, outputSize: [1, 2], h, max: false).1.map(\.bitPattern),
                       [Float16(f[0..<5].reduce(0, +) / 5), Float16(f[5..<10].reduce(0, +) / 5)].map(\.bitPattern))
    }

    /// 2D indices are per (n, c) plane and row-major in both layouts (torch: same
    /// indices for channels_last input).
    func testLayoutsAgree() {
        var rng = SeededRNG(seed: testSeed(0xADA0_0005))
        let (n, c, h, w) = (2, 3, 5, 7)
        let x = randomValues(n * c * h * w, &rng, special: true)
        let first = makeDesc(rank: 2, batch: n, channels: c, input: [h, w], kernel: [1, 1])
        var last = first
        last.layout = Int32(SWIFTPOOL_LAYOUT_NHWC.rawValue)
        let (_, v1, i1) = callAdaptive(first, outputSize: [2, 3], x, max: true)
        let (_, v2, i2) = callAdaptive(last, outputSize: [2, 3], toChannelsLast(x, batch: n, channels: c, plane: h * w), max: true)
        XCTAssertEqual(bits(toChannelsLast(v1, batch: n, channels: c, plane: 6)), bits(v2))
        XCTAssertEqual(toChannelsLast(i1, batch: n, channels: c, plane: 6), i2)
    }

    /// Global average pooling's float32 kernels (BinAverageWide), on shapes that reach
    /// every branch, each bitwise an element-by-element implementation of its
    /// documented order (below) and within 4 ulps (of the largest input) of the
    /// reference's Double scan-order mean: channels-last (blocks of 16 and single
    /// channels; more than one 2048-channel block; more than one 64-pixel block;
    /// images of 1-3 pixels and pixel counts off a multiple of 4), channels-first
    /// (groups of four planes and single planes; planes of more than one 64-element
    /// block, with and without a tail), whichever group and thread
    /// range a plane falls in (1-3 threads split the work differently). Planted
    /// +-2^80 pairs (which absorb everything else) make any change of order visible.
    func testGlobalAverageFloatKernels() throws {
        var rng = SeededRNG(seed: testSeed(0xADA0_0031))
        for (batch, channels, h, w) in [(3, 700, 9, 9), (2, 37, 5, 3), (1, 1100, 2, 3), (5, 3, 1, 1), (2, 45, 4, 4),
                                        (1, 9, 17, 1), (1, 2100, 3, 5), (2, 5, 40, 30), (1, 6, 32, 32), (3, 20, 1, 2),
                                        (2, 33, 3, 1), (1, 18, 9, 8),
                                        // Plane sizes with a kernel of their own (7x7 ... 3x3).
                                        (2, 11, 7, 7), (1, 23, 8, 8), (3, 2, 6, 6), (1, 21, 5, 5), (2, 13, 3, 3)] {
            for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
                let desc = makeDesc(rank: 2, layout: layout, batch: batch, channels: channels, input: [h, w], kernel: [1, 1])
                let g = try AdaptiveGeometry(desc, outputSize: [1, 1], op: .average)
                var input = randomValues(g.inputElements, &rng, special: false, as: Float.self)
                    .map { $0 * Float(Int.random(in: 1...1000, using: &rng)) }
                let E = h * w
                if E >= 3 {
                    for plane in 0..<(batch * channels) {
                        let at = { (i: Int) in layout == SWIFTPOOL_LAYOUT_NCHW ? plane * E + i
                                                                              : (plane / channels * E + i) * channels + plane % channels }
                        let i = Int.random(in: 0..<E, using: &rng), j = (i + Int.random(in: 1..<E, using: &rng)) % E
                        input[at(i)] = 0x1p80
                        input[at(j)] = -0x1p80
                    }
                }
                let want = ReferenceLpAdaptiveSpp.adaptivePool(g, input, max: false).values
                // The documented orders (include/swiftpool.h), element by element, on one
                // plane's values in scan order. Channels-first: chunks of 8 in blocks of
                // 8 chunks, 8 Float lanes per block reduced pairwise, then the tail.
                func chunkedMean(_ q: [Float]) -> Float {
                    var total = 0.0
                    var i = 0
                    while i + 8 <= q.count {
                        var lanes = [Float](repeating: 0, count: 8)
                        var k = 0
                        while k < 8 && i + 8 <= q.count {
                            for l in 0..<8 { lanes[l] += q[i + l] }
                            i += 8
                            k += 1
                        }
                        let l = lanes
                        total += Double(((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])))
                    }
                    while i < q.count { total += Double(q[i]); i += 1 }
                    return Float(total * (1 / Double(q.count)))
                }
                let blockedMean = Self.blockedMean
                let documented: [Float] = (0..<(batch * channels)).map { plane in
                    if layout == SWIFTPOOL_LAYOUT_NCHW { return chunkedMean(Array(input[plane * E ..< (plane + 1) * E])) }
                    let (n, c) = (plane / channels, plane % channels)
                    return blockedMean((0..<E).map { input[(n * E + $0) * channels + c] })
                }
                // One output per plane: the same positions in both layouts.
                let chunked = documented
                let scale = input.map { abs($0) }.max() ?? 0
                var first: [Float]? = nil
                for threads: Int32 in [1, 2, 3] {
                    XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
                    let (rc, got, _) = callAdaptive(desc, outputSize: [1, 1], input, max: false)
                    _ = swiftpool_set_num_threads(0)
                    let context = "\(batch)x\(channels)x\(h)x\(w) layout \(layout.rawValue) threads \(threads)"
                    XCTAssertEqual(rc, statusOK, context)
                    XCTAssertEqual(bits(got), bits(chunked), context)
                    _ = assertAllClose(got, want, ulps: 4, scale: scale, context)
                    if let first { XCTAssertEqual(bits(got), bits(first), context) } else { first = got }
                }
            }
        }
    }

    /// The documented channels-last global average order (include/swiftpool.h) of one
    /// channel's values in scan order: blocks of 64 pixels, each summed in Float,
    /// groups of 4 pixels as (x0 + x1) + (x2 + x3), then single pixels; the block
    /// sums added in Double from +0, times 1 / count.
    static func blockedMean(_ q: [Float]) -> Float {
        var total = 0.0
        var i = 0
        while i < q.count {
            let b = Array(q[i ..< min(i + 64, q.count)])
            var partial: Float = 0
            var j = 0
            while j + 4 <= b.count { partial += (b[j] + b[j + 1]) + (b[j + 2] + b[j + 3]); j += 4 }
            while j < b.count { partial += b[j]; j += 1 }
            total += Double(partial)
            i += 64
        }
        return Float(total * (1 / Double(q.count)))
    }

    /// Channels-last global average of channel counts that are multiples of 8 (the
    /// kernel then sums the first channels of each block alone so that its vector
    /// loads start on 32 bytes): inputs starting 0 to 7 floats past a 64-byte
    /// boundary, channel counts around the 16-channel loop and the 1024-channel
    /// blocks, 1 to 81 pixels (one or two 64-pixel blocks, a last pixel outside the
    /// groups of 4 or not). Bits of the documented order; nothing written outside.
    func testGlobalAverageChannelsLastAnyAlignment() {
        var rng = SeededRNG(seed: testSeed(0xADA0_0032))
        for (channels, h, w) in [(8, 7, 7), (16, 1, 1), (24, 1, 2), (40, 2, 3), (64, 9, 9), (1032, 7, 7),
                                 (2056, 1, 5), (1024, 4, 4), (2048, 7, 7)] {
            let pixels = h * w, batch = 2
            let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NHWC, batch: batch, channels: channels, input: [h, w],
                                kernel: [1, 1])
            var input = randomValues(batch * pixels * channels, &rng, special: false, as: Float.self)
                .map { $0 * Float(Int.random(in: 1...1000, using: &rng)) }
            if pixels >= 3 {
                // +-2^80 pairs: any change of summation order shows.
                for plane in 0..<(batch * channels) {
                    let at = { (i: Int) in (plane / channels * pixels + i) * channels + plane % channels }
                    let i = Int.random(in: 0..<pixels, using: &rng), j = (i + Int.random(in: 1..<pixels, using: &rng)) % pixels
                    input[at(i)] = 0x1p80
                    input[at(j)] = -0x1p80
                }
            }
            let want: [Float] = (0..<(batch * channels)).map { plane in
                let (n, c) = (plane / channels, plane % channels)
                return Self.blockedMean((0..<pixels).map { input[(n * pixels + $0) * channels + c] })
            }
            for shift in 0..<8 {
                let raw = UnsafeMutableRawPointer.allocate(byteCount: (input.count + 8) * 4, alignment: 64)
                defer { raw.deallocate() }
                let src = raw.bindMemory(to: Float.self, capacity: input.count + 8) + shift
                src.initialize(from: input, count: input.count)
                var out = [Float](repeating: 77, count: batch * channels + 1)
                var d = desc
                let rc = out.withUnsafeMutableBufferPointer { o in
                    swiftpool_adaptive_avg_pool_forward(&d, [1, 1], src, Int64(input.count), o.baseAddress!,
                                                        Int64(batch * channels))
                }
                let context = "C \(channels) \(h)x\(w) shift \(shift)"
                XCTAssertEqual(rc, statusOK, context)
                XCTAssertEqual(bits(Array(out.prefix(batch * channels))), bits(want), context)
                XCTAssertEqual(out.last, 77, context)
            }
        }
    }

    /// Global average of -0 values is +0 (the reference's Double sum from +0), in both
    /// layouts and both paths of the channels-last kernel (one or several pixel blocks).
    func testGlobalAverageOfNegativeZerosIsPositiveZero() {
        for (h, w) in [(3, 5), (9, 9), (7, 7)] {
            for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
                let d = makeDesc(rank: 2, layout: layout, batch: 2, channels: 37, input: [h, w], kernel: [1, 1])
                let x = [Float](repeating: -0.0, count: 2 * 37 * h * w)
                let (rc, got, _) = callAdaptive(d, outputSize: [1, 1], x, max: false)
                XCTAssertEqual(rc, statusOK)
                XCTAssertEqual(bits(got), [UInt8](repeating: 0, count: 2 * 37 * 4), "\(h)x\(w) layout \(layout.rawValue)")
            }
        }
    }

    /// Global average pooling (output_size 1) of a 5000 x 5000 map of ones is exactly 1:
    /// a float32 running sum would stall at 2^24.
    func testGlobalAverageOfHugeMapIsExact() {
        let side = 5000
        let ones = [Float](repeating: 1, count: side * side)
        let d = makeDesc(rank: 2, input: [side, side], kernel: [1, 1])
        XCTAssertEqual(callAdaptive(d, outputSize: [1, 1], ones, max: false).1, [1])
        // Any rank: flattened to one axis, in both layouts.
        let flat = makeDesc(rank: 1, layout: SWIFTPOOL_LAYOUT_NHWC, input: [side * side], kernel: [1])
        XCTAssertEqual(callAdaptive(flat, outputSize: [1], ones, max: false).1, [1])
        // Global max with its index, flattened: the row-major position of the first maximum.
        var x = [Float](repeating: 0, count: 12 * 13)
        x[5 * 13 + 7] = 2
        x[9 * 13 + 1] = 2
        let small = makeDesc(rank: 1, input: [12 * 13], kernel: [1])
        let (_, m, mi) = callAdaptive(small, outputSize: [1], x, max: true)
        XCTAssertEqual(m, [2])
        XCTAssertEqual(mi, [5 * 13 + 7])
    }

    /// One bad call: expected status, message naming the argument, outputs untouched.
    func expectFailure(_ expected: swiftpool_status, mentions: String, avg: Bool = false,
                       outputSize: [Int64]? = [2, 2], inputLen: Int64 = 16, outputLen: Int64 = 4, indicesLen: Int64 = 4,
                       nullDesc: Bool = false, nullInput: Bool = false, nullOutput: Bool = false,
                       _ mutate: (inout swiftpool_pool_desc) -> Void = { _ in },
                       file: StaticString = #filePath, line: UInt = #line) {
        var d = makeDesc(rank: 2, input: [4, 4], kernel: [2, 2])
        mutate(&d)
        let input = [Float](repeating: 1, count: 64)
        var output = [Float](repeating: -99, count: 64)
        var indices = [Int64](repeating: -99, count: 64)
        let rc: Int32 = input.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                indices.withUnsafeMutableBufferPointer { idx in
                    withUnsafePointer(to: d) { dp in
                        let sizes: [Int64]? = outputSize
                        return (sizes ?? []).withUnsafeBufferPointer { sp in
                            let sizePtr = sizes == nil ? nil : sp.baseAddress
                            if avg {
                                return swiftpool_adaptive_avg_pool_forward(nullDesc ? nil : dp, sizePtr, nullInput ? nil : src.baseAddress,
                                                                           inputLen, nullOutput ? nil : dst.baseAddress, outputLen)
                            }
                            return swiftpool_adaptive_max_pool_forward(nullDesc ? nil : dp, sizePtr, nullInput ? nil : src.baseAddress,
                                                                       inputLen, nullOutput ? nil : dst.baseAddress, outputLen,
                                                                       idx.baseAddress, indicesLen)
                        }
                    }
                }
            }
        }
        let message = String(cString: swiftpool_last_error_message())
        let function = avg ? "swiftpool_adaptive_avg_pool_forward" : "swiftpool_adaptive_max_pool_forward"
        XCTAssertEqual(rc, status(expected), "message: \(message)", file: file, line: line)
        XCTAssertTrue(message.contains(mentions), "message '\(message)' should mention '\(mentions)'", file: file, line: line)
        XCTAssertTrue(message.hasPrefix(function), "message '\(message)' should name \(function)", file: file, line: line)
        XCTAssertTrue(output.allSatisfy { $0 == -99 }, "output was written", file: file, line: line)
        XCTAssertTrue(indices.allSatisfy { $0 == -99 }, "indices were written", file: file, line: line)
    }

    func testBadInputMatrix() {
        for avg in [false, true] {
            expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "desc is NULL", avg: avg, nullDesc: true)
            expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output_size is NULL", avg: avg, outputSize: nil)
            expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "input is NULL", avg: avg, nullInput: true)
            expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output is NULL", avg: avg, nullOutput: true)
            expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "axis 1 (W): output_size is 0", avg: avg, outputSize: [2, 0])
            expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "axis 0 (H): output_size is -2", avg: avg, outputSize: [-2, 2])
            expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "input_size is 0", avg: avg) { $0.input_size.1 = 0 }
            expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "batch is -1", avg: avg) { $0.batch = -1 }
            expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "channels is 0", avg: avg) { $0.channels = 0 }
            expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "output_size 4611686018427387904 x input_size 4", avg: avg,
                          outputSize: [1 << 62, 1])
            expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "output size", avg: avg, outputSize: [1 << 40, 1 << 30])
            expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "input size", avg: avg) { $0.channels = Int64.max / 8 }
            expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "input_len is 15", avg: avg, inputLen: 15)
            expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "output_len is 3", avg: avg, outputLen: 3)
            expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 0", avg: avg) { $0.dtype = 0 }
            expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "layout 3", avg: avg) { $0.layout = 3 }
            expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "spatial_rank is 0", avg: avg) { $0.spatial_rank = 0 }
            expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "struct_size is 0", avg: avg) { $0.struct_size = 0 }
            expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags 0x2", avg: avg) { $0.flags = UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL) }
        }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags 0x1", avg: true) { $0.flags = UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 6 is an integer type", avg: true) { $0.dtype = 6 }
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "indices_len is 3", indicesLen: 3)
    }

    /// Window fields are documented as ignored: junk there changes nothing.
    func testWindowFieldsAreIgnored() {
        var d = makeDesc(rank: 2, input: [3, 3], kernel: [1, 1])
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let clean = callAdaptive(d, outputSize: [2, 2], x, max: true)
        d.kernel_size = (0, 0, 0); d.stride = (-1, -1, -1); d.padding = (9, 9, 9); d.padding_end = (-5, -5, -5)
        d.dilation = (0, 0, 0); d.ceil_mode = 7; d.count_include_pad = 3; d.divisor_override = -4; d.auto_pad = 11
        let junk = callAdaptive(d, outputSize: [2, 2], x, max: true)
        XCTAssertEqual(junk.0, statusOK, String(cString: swiftpool_last_error_message()))
        XCTAssertEqual(junk.1, clean.1)
        XCTAssertEqual(junk.1, [5, 6, 8, 9])
        XCTAssertEqual(junk.2, [4, 5, 7, 8])
    }
}
