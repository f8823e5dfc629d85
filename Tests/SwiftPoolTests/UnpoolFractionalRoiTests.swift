// Max unpooling, fractional and ROI max pooling through the C ABI, against the
// reference kernels on randomized problems, plus PyTorch/torchvision facts.
import CSwiftPool
import XCTest
@testable import SwiftPool

// MARK: - Calls through the C ABI

/// Max unpooling; nil (and a test failure unless `expectFailure`) when the call fails.
func runUnpool<T>(_ desc: swiftpool_pool_desc, outputSize: [Int]?, _ x: [T], _ indices: [Int64],
                  file: StaticString = #filePath, line: UInt = #line) -> [T]? {
    var d = desc
    let requested = outputSize.map { $0.map(Int64.init) }
    var elements: Int64 = 0
    let shapeRC = requested.withOptionalPointer { swiftpool_max_unpool_output_shape(&d, $0, nil, &elements) }
    XCTAssertEqual(shapeRC, statusOK, String(cString: swiftpool_last_error_message()), file: file, line: line)
    guard shapeRC == statusOK else { return nil }
    var out = [UInt8](repeating: 0xA5, count: Int(elements) * MemoryLayout<T>.stride)
    let rc = requested.withOptionalPointer { size in
        x.withUnsafeBytes { src in indices.withUnsafeBufferPointer { idx in out.withUnsafeMutableBytes { dst in
            swiftpool_max_unpool_forward(&d, size, src.baseAddress ?? UnsafeRawPointer(bitPattern: 64), Int64(x.count),
                                         idx.baseAddress ?? UnsafePointer(bitPattern: 64), Int64(indices.count),
                                         dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 128), elements)
        }}}
    }
    XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()), file: file, line: line)
    guard rc == statusOK else { return nil }
    return out.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
}

/// Fractional max pooling with explicit samples (or nil: from `seed`).
func runFractional<T: BinaryFloatingPoint>(_ desc: swiftpool_pool_desc, outputSize: [Int], _ x: [T], samples: [T]?,
                                           seed: UInt64 = 0, withIndices: Bool = true,
                                           file: StaticString = #filePath, line: UInt = #line) -> ([T], [Int64]) {
    var d = desc
    let count = Int(d.batch * d.channels) * outputSize.reduce(1, *)
    var out = [T](repeating: 12345, count: count)
    var idx = [Int64](repeating: -7, count: count)
    let sizes = outputSize.map(Int64.init)
    let rc = x.withUnsafeBytes { src in out.withUnsafeMutableBytes { dst in idx.withUnsafeMutableBufferPointer { ip in
        samples.withOptionalBytes { sp in
            swiftpool_fractional_max_pool_forward(&d, sizes, sp, Int64(samples?.count ?? 0), seed,
                                                  src.baseAddress ?? UnsafeRawPointer(bitPattern: 64), Int64(x.count),
                                                  dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 128), Int64(count),
                                                  withIndices ? (ip.baseAddress ?? UnsafeMutablePointer(bitPattern: 256)) : nil,
                                                  withIndices ? Int64(count) : 0)
        }
    }}}
    XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()), file: file, line: line)
    return (out, idx)
}

/// ROI max pooling; returns values and argmax.
func runRoi<T: BinaryFloatingPoint>(_ desc: swiftpool_pool_desc, _ x: [T], boxes: [T], pooled: [Int], scale: Double,
                                    withArgmax: Bool = true,
                                    file: StaticString = #filePath, line: UInt = #line) -> ([T], [Int64]) {
    var d = desc
    let k = boxes.count / 5
    let count = k * Int(d.channels) * pooled[0] * pooled[1]
    var out = [T](repeating: 12345, count: count)
    var arg = [Int64](repeating: -7, count: count)
    let sizes = pooled.map(Int64.init)
    let rc = x.withUnsafeBytes { src in boxes.withUnsafeBytes { bp in out.withUnsafeMutableBytes { dst in
        arg.withUnsafeMutableBufferPointer { ap in
            swiftpool_roi_max_pool_forward(&d, bp.baseAddress ?? UnsafeRawPointer(bitPattern: 32), Int64(k), Int64(boxes.count),
                                           sizes, scale, src.baseAddress ?? UnsafeRawPointer(bitPattern: 64), Int64(x.count),
                                           dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 128), Int64(count),
                                           withArgmax ? (ap.baseAddress ?? UnsafeMutablePointer(bitPattern: 256)) : nil,
                                           withArgmax ? Int64(count) : 0)
        }
    }}}
    XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()), file: file, line: line)
    return (out, arg)
}

extension Optional where Wrapped == [Int64] {
    func withOptionalPointer<R>(_ body: (UnsafePointer<Int64>?) -> R) -> R {
        switch self {
        case .none: return body(nil)
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}

extension Optional {
    func withOptionalBytes<R, E>(_ body: (UnsafeRawPointer?) -> R) -> R where Wrapped == [E] {
        switch self {
        case .none: return body(nil)
        case .some(let a): return a.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 64)) }
        }
    }
}

func tensorDesc(rank: Int, layout: swiftpool_layout, batch: Int, channels: Int, input: [Int], kernel: [Int]? = nil,
                dtype: swiftpool_dtype) -> swiftpool_pool_desc {
    makeDesc(rank: rank, layout: layout, batch: batch, channels: channels, input: input,
             kernel: kernel ?? Array(repeating: 1, count: rank), dtype: dtype)
}

final class UnpoolFractionalRoiTests: XCTestCase {
    // MARK: - Max unpooling

    func checkUnpool<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let rank = Int.random(in: 1...3, using: &rng)
            var input: [Int] = [], kernel: [Int] = [], stride: [Int] = [], padding: [Int] = [], paddingEnd: [Int] = []
            let onnxPads = Bool.random(using: &rng)
            for _ in 0..<rank {
                input.append(Int.random(in: 1...(rank == 3 ? 3 : 5), using: &rng))
                let k = Int.random(in: 1...4, using: &rng)
                kernel.append(k)
                stride.append(Int.random(in: 1...3, using: &rng))
                padding.append(Int.random(in: 0...(k / 2), using: &rng))
                paddingEnd.append(onnxPads ? Int.random(in: 0...(k / 2), using: &rng) : -1)
            }
            let global = Int.random(in: 0..<3, using: &rng) == 0
            var desc = makeDesc(rank: rank, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                                batch: Int.random(in: 0..<6, using: &rng) == 0 ? 0 : Int.random(in: 1...2, using: &rng),
                                channels: [1, 2, 3, 8, 9].randomElement(using: &rng)!, input: input, kernel: kernel,
                                stride: stride, padding: padding, paddingEnd: paddingEnd,
                                flags: global ? UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL) : 0, dtype: dtype)
            // Default size, or PyTorch's allowed range default - stride < size < default + stride.
            var requested: [Int]? = nil
            if Bool.random(using: &rng) {
                var d = desc
                var sizes: [Int64] = [0, 0, 0]
                guard swiftpool_max_unpool_output_shape(&d, nil, &sizes, nil) == statusOK else { continue }
                requested = (0..<rank).map { i in max(1, Int(sizes[i]) + Int.random(in: (1 - stride[i])...(stride[i] - 1), using: &rng)) }
            }
            guard let g = try? UnpoolGeometry(desc, outputSize: requested, function: "test") else { continue }
            desc.flags = g.indicesGlobal ? UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL) : 0
            let x = randomValues(g.inputElements, &rng, special: trial % 2 == 0, as: T.self)
            // Small index ranges force duplicates (last write wins).
            let limit = g.indicesGlobal ? g.outputElements : g.outputPlane
            let span = Bool.random(using: &rng) ? limit : min(limit, 3)
            let indices = (0..<g.inputElements).map { _ in Int64(Int.random(in: 0..<max(span, 1), using: &rng)) }
            guard let want = ReferenceSpecialPool.maxUnpool(g, x, indices) else { XCTFail("reference rejected valid indices"); return }
            guard let got = runUnpool(desc, outputSize: requested, x, indices) else { return }
            XCTAssertEqual(bits(got), bits(want), "seed \(seed) trial \(trial): \(describe(desc)) out \(String(describing: requested))")
            if bits(got) != bits(want) { return }
        }
    }

    func testMaxUnpoolMatchesReference() throws {
        try checkUnpool(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x0B_0001), trials: 300)
        try checkUnpool(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x0B_0002), trials: 150)
    }

    /// PyTorch: duplicates keep the last write (checked with torch 2.13:
    /// max_unpool2d([[1,2],[3,4]], [[0,0],[5,0]], 2) puts 4 at 0 and 3 at 5).
    func testDuplicateIndicesLastWriteWinsAndIntegerTypes() {
        let d = makeDesc(rank: 2, input: [2, 2], kernel: [2, 2])
        let got: [Float]? = runUnpool(d, outputSize: nil, [1, 2, 3, 4], [0, 0, 5, 0])
        XCTAssertEqual(got, [4, 0, 0, 0, 0, 3] + [Float](repeating: 0, count: 10))
        // Unpooling moves data only: every dtype works.
        var d8 = d
        d8.dtype = Int32(SWIFTPOOL_DTYPE_INT8.rawValue)
        let got8: [Int8]? = runUnpool(d8, outputSize: [3, 5], [-1, -2, -3, -4], [14, 0, 1, 2])
        XCTAssertEqual(got8, [-2, -3, -4] + [Int8](repeating: 0, count: 11) + [-1])
    }

    /// ONNX: global indices may cross planes, and index into the given output_shape
    /// (ONNX Runtime 1.32: [[1,2],[3,4]] / [[5,6],[7,8]] with indices [0,0,5,0] /
    /// [16,17,31,16] gives 4, 3 in plane 0 and 8, 6, 7 in plane 1).
    func testGlobalIndicesAcrossPlanesBothLayouts() {
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        let idx: [Int64] = [0, 0, 5, 0, 16, 17, 31, 16]
        let nchw = makeDesc(rank: 2, batch: 2, input: [2, 2], kernel: [2, 2], flags: UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL))
        var want = [Float](repeating: 0, count: 32)
        want[0] = 4; want[5] = 3; want[16] = 8; want[17] = 6; want[31] = 7
        XCTAssertEqual(runUnpool(nchw, outputSize: nil, x, idx), want)
        // Cross-plane write: x[0] (n 0) lands in n 1's plane.
        XCTAssertEqual(runUnpool(nchw, outputSize: nil, [9, 0, 0, 0, 0, 0, 0, 0] as [Float], [20, 1, 1, 1, 1, 1, 1, 1])?[20], 9)
        // NHWC with C = 2: same logical result.
        var nhwc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NHWC, channels: 2, input: [2, 2], kernel: [2, 2],
                            flags: UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL))
        nhwc.batch = 1
        // Logical (c0: 1,2,3,4 at 0,0,5,0), (c1: 5,6,7,8 at 16,17,31,16) in NHWC order.
        let xl: [Float] = [1, 5, 2, 6, 3, 7, 4, 8], il: [Int64] = [0, 16, 0, 17, 5, 31, 0, 16]
        guard let out = runUnpool(nhwc, outputSize: nil, xl, il) else { return }
        for c in 0..<2 { for p in 0..<16 { XCTAssertEqual(out[p * 2 + c], want[c * 16 + p]) } }
    }

    /// Max pooling then unpooling puts each maximum back at its argmax, zero elsewhere.
    func testUnpoolInvertsMaxPoolIndices() {
        var rng = SeededRNG(seed: testSeed(0x0B_0003))
        for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
            let pool = makeDesc(rank: 2, layout: layout, batch: 2, channels: 3, input: [6, 7], kernel: [3, 2],
                                stride: [2, 2], padding: [1, 1])
            let x = (0..<(2 * 3 * 42)).map { _ in Float(Int.random(in: 0..<1000, using: &rng)) }
            var p = pool
            var sizes: [Int64] = [0, 0, 0]
            var elements: Int64 = 0
            XCTAssertEqual(swiftpool_pool_output_shape(&p, &sizes, &elements), statusOK)
            var y = [Float](repeating: 0, count: Int(elements)), idx = [Int64](repeating: 0, count: Int(elements))
            XCTAssertEqual(swiftpool_max_pool_forward(&p, x, Int64(x.count), &y, elements, &idx, elements), statusOK)
            var unpool = pool
            unpool.input_size = (sizes[0], sizes[1], 1)
            guard let back = runUnpool(unpool, outputSize: [6, 7], y, idx) else { return }
            // The input positions each (n, c) plane's argmax picked.
            let P = Int(elements) / 6
            var picked = Set<[Int]>()
            for e in 0..<Int(elements) {
                let n = e / (3 * P), c = layout == SWIFTPOOL_LAYOUT_NHWC ? e % 3 : (e / P) % 3
                picked.insert([n, c, Int(idx[e])])
            }
            for n in 0..<2 { for c in 0..<3 { for q in 0..<42 {
                let o = layout == SWIFTPOOL_LAYOUT_NHWC ? (n * 42 + q) * 3 + c : (n * 3 + c) * 42 + q
                XCTAssertEqual(back[o], picked.contains([n, c, q]) ? x[o] : 0)
            }}}
        }
    }

    // MARK: - Fractional max pooling

    func checkFractional<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let rank = Int.random(in: 2...3, using: &rng)
            var input: [Int] = [], kernel: [Int] = [], output: [Int] = []
            for _ in 0..<rank {
                let size = Int.random(in: 1...(rank == 3 ? 7 : 12), using: &rng)
                let k = Int.random(in: 1...min(size, 4), using: &rng)
                input.append(size); kernel.append(k)
                // Output 1, the largest allowed (stride 1 windows), or in between.
                let most = size - k + 1
                output.append([1, most, Int.random(in: 1...most, using: &rng)].randomElement(using: &rng)!)
            }
            let desc = makeDesc(rank: rank, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                                batch: Int.random(in: 0..<6, using: &rng) == 0 ? 0 : Int.random(in: 1...2, using: &rng),
                                channels: [1, 2, 3, 8].randomElement(using: &rng)!, input: input, kernel: kernel,
                                flags: Int.random(in: 0..<4, using: &rng) == 0 ? UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) : 0,
                                dtype: dtype)
            let g = try FractionalGeometry(desc, outputSize: output, function: "test")
            let x = randomValues(g.inputElements, &rng, special: trial % 2 == 0, as: T.self)
            // Samples in [0, 1), with the extremes 0 and the largest value below 1.
            let samples: [T] = (0..<g.sampleCount).map { _ in
                [T(0), T(1).nextDown, T(Int.random(in: 0..<1 << 20, using: &rng)) / T(1 << 20)].randomElement(using: &rng)!
            }
            let want = ReferenceSpecialPool.fractionalMaxPool(g, x, samples: samples)
            let (values, indices) = runFractional(desc, outputSize: output, x, samples: samples)
            let (valuesOnly, _) = runFractional(desc, outputSize: output, x, samples: samples, withIndices: false)
            let context = "seed \(seed) trial \(trial): \(describe(desc)) out \(output) samples \(samples)"
            XCTAssertEqual(bits(values), bits(want.values), context)
            XCTAssertEqual(bits(valuesOnly), bits(want.values), "values only, " + context)
            XCTAssertEqual(indices, want.indices, context)
            if bits(values) != bits(want.values) || indices != want.indices { return }
        }
    }

    func testFractionalMaxPoolMatchesReference() throws {
        try checkFractional(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x0B_0011), trials: 300)
        try checkFractional(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x0B_0012), trials: 150)
    }

    /// Outputs of torch.nn.functional.fractional_max_pool2d/3d (torch 2.13 CPU) with the
    /// same _random_samples: 2D samples are (u_W, u_H), 3D (u_D, u_H, u_W).
    func testFractionalMatchesPyTorchExamples() {
        let x2 = (0..<63).map { Float($0 * 37 % 23) }
        let d2 = makeDesc(rank: 2, input: [7, 9], kernel: [2, 3])
        let (v2, i2) = runFractional(d2, outputSize: [4, 5], x2, samples: [0.3, 0.8] as [Float])
        XCTAssertEqual(v2, [16, 19, 21, 21, 20, 22, 18, 21, 21, 19, 21, 17, 22, 22, 18, 20, 16, 21, 21, 17])
        XCTAssertEqual(i2, [11, 3, 13, 13, 8, 18, 21, 13, 13, 26, 36, 39, 41, 41, 44, 54, 57, 59, 59, 62])
        let x3 = (0..<210).map { Double($0 * 13 % 17) }
        let d3 = makeDesc(rank: 3, input: [5, 6, 7], kernel: [2, 2, 2], dtype: SWIFTPOOL_DTYPE_FLOAT64)
        let (v3, i3) = runFractional(d3, outputSize: [3, 4, 5], x3, samples: [0.1, 0.5, 0.9] as [Double])
        XCTAssertEqual(v3.map { Int($0) }, [15, 15, 15, 13, 16, 16, 16, 12, 15, 15, 16, 16, 16, 14, 15, 15, 16, 16, 16, 12,
                                            15, 15, 15, 15, 16, 16, 16, 14, 15, 15, 16, 16, 16, 16, 15, 15, 13, 16, 16, 14,
                                            14, 15, 15, 15, 16, 16, 16, 16, 14, 15, 15, 16, 16, 16, 12, 15, 15, 13, 16, 16])
        XCTAssertEqual(i3, [43, 9, 9, 52, 13, 64, 64, 65, 60, 26, 64, 30, 30, 73, 26, 77, 30, 30, 81, 82,
                            43, 43, 94, 94, 47, 64, 64, 107, 60, 111, 64, 64, 115, 115, 111, 77, 120, 115, 81, 124,
                            175, 128, 128, 179, 132, 183, 149, 149, 192, 145, 196, 149, 149, 200, 201, 162, 162, 205, 200, 166])
        // output 1: the single window ends at the input's end (PyTorch: index 24 of a 5x5 arange).
        let (v1, i1) = runFractional(makeDesc(rank: 2, input: [5, 5], kernel: [2, 2]), outputSize: [1, 1],
                                     (0..<25).map(Float.init), samples: [0.99, 0.5] as [Float])
        XCTAssertEqual(v1, [24]); XCTAssertEqual(i1, [24])
        // NaN: the last NaN of the window is reported (PyTorch: index 3 for [1, nan, 3, nan]).
        let (vn, iN) = runFractional(makeDesc(rank: 2, input: [1, 4], kernel: [1, 4]), outputSize: [1, 1],
                                     [1, .nan, 3, .nan] as [Float], samples: [0.5, 0.5] as [Float])
        XCTAssertTrue(vn[0].isNaN); XCTAssertEqual(iN, [3])
    }

    /// NULL samples: drawn from SplitMix64 at `seed` (checked against the tests' own
    /// SplitMix64), identical on every call, different for another seed.
    func testSeededSamplesAreSplitMix64() throws {
        var rng = SeededRNG(seed: testSeed(0x0B_0013))
        for dtype in [SWIFTPOOL_DTYPE_FLOAT32, SWIFTPOOL_DTYPE_FLOAT64] {
            let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NHWC, batch: 2, channels: 3, input: [9, 11], kernel: [2, 3], dtype: dtype)
            let seed: UInt64 = 0xDEAD_BEEF
            var mix = SeededRNG(seed: seed)
            if dtype == SWIFTPOOL_DTYPE_FLOAT32 {
                let x = randomValues(2 * 3 * 99, &rng, special: true, as: Float.self)
                let samples = (0..<12).map { _ in Float(mix.next() >> 40) / Float(1 << 24) }
                let seeded = runFractional(desc, outputSize: [4, 5], x, samples: nil, seed: seed)
                let explicit = runFractional(desc, outputSize: [4, 5], x, samples: samples)
                XCTAssertEqual(bits(seeded.0), bits(explicit.0)); XCTAssertEqual(seeded.1, explicit.1)
                XCTAssertNotEqual(runFractional(desc, outputSize: [4, 5], x, samples: nil, seed: seed + 1).1, seeded.1)
            } else {
                let x = randomValues(2 * 3 * 99, &rng, special: true, as: Double.self)
                let samples = (0..<12).map { _ in Double(mix.next() >> 11) / Double(UInt64(1) << 53) }
                let seeded = runFractional(desc, outputSize: [4, 5], x, samples: nil, seed: seed)
                let explicit = runFractional(desc, outputSize: [4, 5], x, samples: samples)
                XCTAssertEqual(bits(seeded.0), bits(explicit.0)); XCTAssertEqual(seeded.1, explicit.1)
            }
        }
        // Never 1, even from the largest generator outputs.
        for j in 0..<10_000 {
            XCTAssertLessThan(FractionalSampleGenerator.sample(seed: UInt64(j) &* 0x1234_5678_9ABC, index: j, as: Float.self), 1)
        }
    }

    // MARK: - ROI max pooling

    func checkRoi<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let N = Int.random(in: 1...2, using: &rng), C = [1, 2, 3, 8].randomElement(using: &rng)!
            let H = Int.random(in: 1...9, using: &rng), W = Int.random(in: 1...9, using: &rng)
            let pooled = [Int.random(in: 1...4, using: &rng), Int.random(in: 1...4, using: &rng)]
            let scale = [1.0, 0.5, 0.25, 0.625, 2.0, 1.0 / 3].randomElement(using: &rng)!
            let K = Int.random(in: 0...4, using: &rng)
            // Coordinates on a quarter grid around the map: ties of round(), malformed
            // (x2 < x1) and outside boxes, batch indices with fractions (truncated).
            func coordinate(_ extent: Int) -> T { T(Int.random(in: -8...(4 * extent + 8), using: &rng)) / T(4 / scale) }
            var boxes: [T] = []
            for _ in 0..<K {
                boxes += [T(Int.random(in: 0..<N, using: &rng)) + T(Int.random(in: 0...3, using: &rng)) / 4,
                          coordinate(W), coordinate(H), coordinate(W), coordinate(H)]
            }
            let desc = makeDesc(rank: 2, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                                batch: N, channels: C, input: [H, W], kernel: [1, 1], dtype: dtype)
            let g = try RoiGeometry(desc, numBoxes: K, outputSize: pooled, function: "test")
            var x = randomValues(g.inputElements, &rng, special: trial % 2 == 0, as: T.self)
            if T.self == Double.self && trial % 3 == 0 {
                // Below -FLT_MAX: torchvision's start value, so these never win.
                for i in x.indices where Int.random(in: 0..<3, using: &rng) == 0 { x[i] = -1e300 }
            }
            let want = ReferenceSpecialPool.roiMaxPool(g, x, boxes: boxes, scale: T(scale))
            let (values, argmax) = runRoi(desc, x, boxes: boxes, pooled: pooled, scale: scale)
            let (valuesOnly, _) = runRoi(desc, x, boxes: boxes, pooled: pooled, scale: scale, withArgmax: false)
            let context = "seed \(seed) trial \(trial): \(describe(desc)) pooled \(pooled) scale \(scale) boxes \(boxes)"
            XCTAssertEqual(bits(values), bits(want.values), context)
            XCTAssertEqual(bits(valuesOnly), bits(want.values), "values only, " + context)
            XCTAssertEqual(argmax, want.argmax, context)
            if bits(values) != bits(want.values) || argmax != want.argmax { return }
        }
    }

    func testRoiMaxPoolMatchesReference() throws {
        try checkRoi(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0x0B_0021), trials: 300)
        try checkRoi(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0x0B_0022), trials: 150)
    }

    /// torchvision's roi_pool CPU kernel, by its source: bins floor/ceil, NaN ignored,
    /// -FLT_MAX start, empty bins 0 with argmax -1, malformed boxes 1x1.
    func testRoiTorchvisionRules() {
        let d = makeDesc(rank: 2, input: [4, 4], kernel: [1, 1])
        let x = (0..<16).map(Float.init)
        var (v, a) = runRoi(d, x, boxes: [0, 0, 0, 3, 3], pooled: [2, 2], scale: 1)
        XCTAssertEqual(v, [5, 7, 13, 15]); XCTAssertEqual(a, [5, 7, 13, 15])
        // Overlapping bins: 3 rows into 2 bins are [0, 2) and [1, 3).
        (v, a) = runRoi(d, x, boxes: [0, 0, 0, 0, 2], pooled: [2, 1], scale: 1)
        XCTAssertEqual(v, [4, 8]); XCTAssertEqual(a, [4, 8])
        // Malformed box (x2 < x1): forced to 1x1 at (x1, y1).
        (v, a) = runRoi(d, x, boxes: [0, 3, 1, 0, 0], pooled: [1, 1], scale: 1)
        XCTAssertEqual(v, [7]); XCTAssertEqual(a, [7])
        // Outside the map: empty bin, 0 and -1.
        (v, a) = runRoi(d, x, boxes: [0, 10, 10, 12, 12], pooled: [1, 1], scale: 1)
        XCTAssertEqual(v, [0]); XCTAssertEqual(a, [-1])
        // round() half away from zero: 0.5 * 3 = 1.5 -> 2, 2.5 -> 3 (C's round, not banker's).
        (v, a) = runRoi(d, x, boxes: [0, 0.5, 0.5, 0.5, 0.5], pooled: [1, 1], scale: 3)
        XCTAssertEqual(v, [10]); XCTAssertEqual(a, [10])
        // NaN ignored; only NaN/-inf gives -FLT_MAX with argmax -1; ties keep the first.
        let d1 = makeDesc(rank: 2, input: [1, 4], kernel: [1, 1])
        (v, a) = runRoi(d1, [.nan, 2, .nan, 2] as [Float], boxes: [0, 0, 0, 3, 0], pooled: [1, 1], scale: 1)
        XCTAssertEqual(v, [2]); XCTAssertEqual(a, [1])
        (v, a) = runRoi(d1, [.nan, -.infinity, .nan, -.infinity] as [Float], boxes: [0, 0, 0, 3, 0], pooled: [1, 1], scale: 1)
        XCTAssertEqual(v, [-Float.greatestFiniteMagnitude]); XCTAssertEqual(a, [-1])
        var dd = d1
        dd.dtype = Int32(SWIFTPOOL_DTYPE_FLOAT64.rawValue)
        let (vd, ad) = runRoi(dd, [-1e300, -1e39, .nan, -.infinity] as [Double], boxes: [0, 0, 0, 3, 0], pooled: [1, 1], scale: 1)
        XCTAssertEqual(vd, [-Double(Float.greatestFiniteMagnitude)]); XCTAssertEqual(ad, [-1])
    }

    func testLayoutsAgreeForAllThree() throws {
        var rng = SeededRNG(seed: testSeed(0x0B_0031))
        let (n, c, h, w) = (2, 5, 7, 6)
        let nchw = randomValues(n * c * h * w, &rng, special: true)
        var nhwc = [Float](repeating: 0, count: nchw.count)
        func toLast(_ a: [Float], _ hw: Int) -> [Float] {
            var r = a
            for b in 0..<n { for ch in 0..<c { for p in 0..<hw { r[(b * hw + p) * c + ch] = a[(b * c + ch) * hw + p] } } }
            return r
        }
        nhwc = toLast(nchw, h * w)
        let first = makeDesc(rank: 2, batch: n, channels: c, input: [h, w], kernel: [2, 2])
        var last = first
        last.layout = Int32(SWIFTPOOL_LAYOUT_NHWC.rawValue)
        let samples = (0..<(n * c * 2)).map { _ in Float(Int.random(in: 0..<1000, using: &rng)) / 1000 }
        let f1 = runFractional(first, outputSize: [4, 3], nchw, samples: samples)
        let f2 = runFractional(last, outputSize: [4, 3], nhwc, samples: samples)
        XCTAssertEqual(bits(toLast(f1.0, 12)), bits(f2.0))
        let boxes: [Float] = [1, 0.4, 1.2, 5.6, 6.1, 0, 2, 2, 1, 1, 1, -3, -3, 9, 9]
        let r1 = runRoi(first, nchw, boxes: boxes, pooled: [3, 2], scale: 1)
        let r2 = runRoi(last, nhwc, boxes: boxes, pooled: [3, 2], scale: 1)
        XCTAssertEqual(bits(r1.0).count, bits(r2.0).count)
        for k in 0..<3 { for ch in 0..<c { for p in 0..<6 {
            XCTAssertEqual(r1.0[(k * c + ch) * 6 + p].bitPattern, r2.0[(k * 6 + p) * c + ch].bitPattern)
            XCTAssertEqual(r1.1[(k * c + ch) * 6 + p], r2.1[(k * 6 + p) * c + ch])
        }}}
    }
}
