// Max pooling backward through the C ABI against the reference kernel on
// randomized problems (every float dtype, both layouts, 1D/2D/3D, padding,
// dilation, ceil_mode, ONNX index flags, NaN/inf, 1 and 3 threads), plus
// PyTorch facts checked with torch 2.13.
import CSwiftPool
import XCTest
@testable import SwiftPool

/// Bit patterns of a float array with every NaN mapped to one value: NaN payloads
/// of sums are not specified (x86 keeps one operand's, and LLVM may swap operands).
func canonicalBits<T: GradElement>(_ a: [T]) -> [UInt64] {
    a.map { v in
        if v.poolIsNaN { return UInt64.max }
        var bits: UInt64 = 0
        withUnsafeBytes(of: v) { src in withUnsafeMutableBytes(of: &bits) { $0.copyMemory(from: src) } }
        return bits
    }
}

/// Forward max pooling through the C ABI, with indices.
func runMaxForward<T>(_ desc: swiftpool_pool_desc, _ x: [T]) -> (values: [T], indices: [Int64])? {
    var d = desc
    var elements: Int64 = 0
    guard swiftpool_pool_output_shape(&d, nil, &elements) == statusOK else { return nil }
    var out = [UInt8](repeating: 0, count: Int(elements) * MemoryLayout<T>.stride)
    var idx = [Int64](repeating: 0, count: Int(elements))
    let rc = x.withUnsafeBytes { src in out.withUnsafeMutableBytes { dst in idx.withUnsafeMutableBufferPointer { ip in
        swiftpool_max_pool_forward(&d, src.baseAddress ?? UnsafeRawPointer(bitPattern: 64), Int64(x.count),
                                   dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 128), elements,
                                   ip.baseAddress ?? UnsafeMutablePointer(bitPattern: 256), elements)
    }}}
    XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()))
    guard rc == statusOK else { return nil }
    return (out.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }, idx)
}

/// The last error message of the last runMaxBackward (read before the thread
/// count is restored, which clears it).
nonisolated(unsafe) var lastBackwardMessage = ""

/// Backward through the C ABI; returns the status and grad_input (prefilled with 0x5A bytes).
func runMaxBackward<T>(_ desc: swiftpool_pool_desc, _ gradOutput: [T], _ indices: [Int64], inputElements: Int,
                       threads: Int32 = 0) -> (Int32, [T]) {
    var d = desc
    var gi = [T](unsafeUninitializedCapacity: inputElements) { buffer, count in
        UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0x5A)
        count = inputElements
    }
    XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
    defer { _ = swiftpool_set_num_threads(0) }
    let rc = gradOutput.withUnsafeBytes { go in indices.withUnsafeBufferPointer { ip in gi.withUnsafeMutableBytes { dst in
        swiftpool_max_pool_backward(&d, go.baseAddress ?? UnsafeRawPointer(bitPattern: 64), Int64(gradOutput.count),
                                    ip.baseAddress ?? UnsafePointer(bitPattern: 256), Int64(indices.count),
                                    dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 128), Int64(inputElements))
    }}}
    lastBackwardMessage = String(cString: swiftpool_last_error_message())
    return (rc, gi)
}

final class MaxPoolBackwardTests: XCTestCase {
    /// Gradients of varied magnitude (sums round), ties, and (when `special`) NaN and ±inf.
    func randomGrads(_ count: Int, _ rng: inout SeededRNG, special: Bool) -> [Float] {
        (0..<count).map { _ in
            let r = Int.random(in: 0..<100, using: &rng)
            if special && r < 3 { return .nan }
            if special && r < 5 { return .infinity }
            if special && r < 7 { return -.infinity }
            if r < 15 { return Float(Int.random(in: -2...2, using: &rng)) }
            return Float(Int.random(in: -100_000...100_000, using: &rng)) / 997 * Float(sign: .plus, exponent: Int.random(in: -12...12, using: &rng), significand: 1)
        }
    }

    func check<T: GradElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int,
                               convert: (Float) -> T) {
        var rng = SeededRNG(seed: seed)
        var checked = 0
        for trial in 0..<trials {
            let desc = randomDesc(&rng, average: false, dtype: dtype)
            guard let g = try? PoolGeometry(desc, op: .max) else { XCTFail("invalid random desc"); return }
            let x = randomValues(g.inputElements, &rng, special: trial % 3 == 0).map(convert)
            guard let forward = runMaxForward(desc, x) else { return }
            var indices = forward.indices
            let flagged = g.indicesGlobal || g.indicesColumnMajor
            if !flagged && Bool.random(using: &rng) && g.inputPlane > 0 {
                // Any in-plane index is valid: a tiny range forces many collisions; the
                // whole plane sends indices far ahead of (and behind) their windows.
                let span = Bool.random(using: &rng) ? g.inputPlane : min(g.inputPlane, Int.random(in: 1...3, using: &rng))
                indices = indices.map { _ in Int64(Int.random(in: 0..<span, using: &rng)) }
            }
            let grads = randomGrads(g.outputElements, &rng, special: trial % 2 == 0).map(convert)
            guard let want = ReferenceBackward.maxPool(g, gradOutput: grads, indices: indices) else {
                XCTFail("reference rejected the forward's indices: \(describe(desc))"); return
            }
            for threads: Int32 in [1, 3] {
                let (rc, got) = runMaxBackward(desc, grads, indices, inputElements: g.inputElements, threads: threads)
                XCTAssertEqual(rc, statusOK, "\(lastBackwardMessage) \(describe(desc))")
                XCTAssertEqual(canonicalBits(got), canonicalBits(want),
                               "seed \(seed) trial \(trial) threads \(threads): \(describe(desc))")
                if rc != statusOK || canonicalBits(got) != canonicalBits(want) { return }
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, trials / 2)
    }

    func testMatchesReferenceEveryDtype() {
        check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0xBD_0001), trials: 400) { $0 }
        check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0xBD_0002), trials: 200) { Double($0) }
        check(Float16.self, dtype: SWIFTPOOL_DTYPE_FLOAT16, seed: testSeed(0xBD_0003), trials: 200) { Float16($0) }
        check(BFloat16.self, dtype: SWIFTPOOL_DTYPE_BFLOAT16, seed: testSeed(0xBD_0004), trials: 200) { BFloat16($0) }
    }

    /// Problems big enough to run on several threads (and, NHWC with one image, in
    /// channel blocks; NCHW above 8 MiB, streamed planes): 1 and 3 threads give the
    /// reference's bits.
    func testThreadedProblemsMatchReference() {
        var rng = SeededRNG(seed: testSeed(0xBD_0010))
        let cases: [(rank: Int, layout: swiftpool_layout, n: Int, c: Int, input: [Int])] = [
            (2, SWIFTPOOL_LAYOUT_NCHW, 2, 37, [40, 41]),
            (2, SWIFTPOOL_LAYOUT_NHWC, 1, 70, [40, 41]),
            (2, SWIFTPOOL_LAYOUT_NHWC, 3, 64, [33, 30]),
            (3, SWIFTPOOL_LAYOUT_NHWC, 1, 48, [9, 20, 21]),
            (1, SWIFTPOOL_LAYOUT_NCHW, 4, 40, [999]),
            // 171 planes of 112x112: 9.6 MB of grad_input, above the size at which
            // channels-first planes are built in scratch and streamed out; an odd
            // number of planes for its two-plane loop.
            (2, SWIFTPOOL_LAYOUT_NCHW, 3, 57, [112, 112]),
        ]
        for (rank, layout, n, c, input) in cases {
            let k = Array(repeating: 3, count: rank), s = Array(repeating: 2, count: rank)
            let desc = makeDesc(rank: rank, layout: layout, batch: n, channels: c, input: input, kernel: k, stride: s,
                                padding: Array(repeating: 1, count: rank), ceilMode: true)
            let g = try! PoolGeometry(desc, op: .max)
            if input == [112, 112] {
                XCTAssertGreaterThanOrEqual(g.inputElements * 4, MaxPoolBackwardKernel.streamedTotalMinimum)
            }
            let x = randomValues(g.inputElements, &rng, special: false, as: Float.self)
            guard let forward = runMaxForward(desc, x) else { return }
            let grads = randomGrads(g.outputElements, &rng, special: true)
            let want = ReferenceBackward.maxPool(g, gradOutput: grads, indices: forward.indices)!
            for threads: Int32 in [1, 3] {
                let (rc, got) = runMaxBackward(desc, grads, forward.indices, inputElements: g.inputElements, threads: threads)
                XCTAssertEqual(rc, statusOK)
                XCTAssertEqual(canonicalBits(got), canonicalBits(want), "threads \(threads): \(describe(desc))")
            }
        }
    }

    /// Channels-first grad_input too large for the caches is built a plane at a time
    /// in scratch and streamed out (MaxPoolBackwardKernel.channelsFirstStreamed). With
    /// its size threshold lowered to 0, random problems (every float dtype, ONNX index
    /// flags, empty windows, indices far from their windows, odd and even plane
    /// counts, 1-3 threads) give the reference's bits and write every element.
    func testStreamedPlanesMatchReference() {
        func check<T: GradElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, convert: (Float) -> T) {
            var rng = SeededRNG(seed: seed)
            var checked = 0
            for trial in 0..<150 {
                var desc = randomDesc(&rng, average: false, dtype: dtype)
                desc.layout = Int32(SWIFTPOOL_LAYOUT_NCHW.rawValue)
                desc.batch = Int64.random(in: 1...3, using: &rng)
                guard let g = try? PoolGeometry(desc, op: .max), g.inputPlane > 0 else { continue }
                let x = randomValues(g.inputElements, &rng, special: trial % 3 == 0).map(convert)
                guard let forward = runMaxForward(desc, x) else { return }
                var indices = forward.indices
                if !(g.indicesGlobal || g.indicesColumnMajor) && Bool.random(using: &rng) {
                    indices = indices.map { _ in Int64(Int.random(in: 0..<g.inputPlane, using: &rng)) }
                }
                let grads = randomGrads(g.outputElements, &rng, special: trial % 2 == 0).map(convert)
                guard let want = ReferenceBackward.maxPool(g, gradOutput: grads, indices: indices) else {
                    XCTFail("reference rejected the forward's indices: \(describe(desc))"); return
                }
                for threads: Int32 in [1, 2, 3] {
                    XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
                    var got = [T](unsafeUninitializedCapacity: g.inputElements) { buffer, count in
                        UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0x5A)
                        count = g.inputElements
                    }
                    let ok: Bool = grads.withUnsafeBytes { go in indices.withUnsafeBufferPointer { ip in
                        got.withUnsafeMutableBytes { gi in
                            do {
                                try PoolBackwardDispatch.maxPool(g, gradOutput: go.baseAddress!, indices: ip.baseAddress!,
                                                                 gradInput: gi.baseAddress!, function: "test",
                                                                 streamedMinimum: 0)
                                return true
                            } catch let error as PoolError {
                                XCTFail("\(error.message) \(describe(desc))"); return false
                            } catch { XCTFail("\(error)"); return false }
                        }
                    }}
                    _ = swiftpool_set_num_threads(0)
                    XCTAssertTrue(ok)
                    XCTAssertEqual(canonicalBits(got), canonicalBits(want),
                                   "trial \(trial) threads \(threads): \(describe(desc))")
                    if !ok || canonicalBits(got) != canonicalBits(want) { return }
                }
                checked += 1
            }
            XCTAssertGreaterThan(checked, 75)
        }
        check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0xBD_0020)) { $0 }
        check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0xBD_0021)) { Double($0) }
        check(Float16.self, dtype: SWIFTPOOL_DTYPE_FLOAT16, seed: testSeed(0xBD_0022)) { Float16($0) }
        check(BFloat16.self, dtype: SWIFTPOOL_DTYPE_BFLOAT16, seed: testSeed(0xBD_0023)) { BFloat16($0) }
    }

    /// torch 2.13: max_pool2d_with_indices_backward adds in the element type in output
    /// scan order. Element (1, 1) of a 5x5 input is the max of 4 overlapping k3 s2 p1
    /// windows; gradients 1, e, e, e with e half an ulp of 1 give exactly 1.0 in every
    /// dtype (each addition rounds back to 1), not 1 + 3e as a wider accumulator would.
    func testAccumulatesInElementTypeInScanOrder() {
        func run<T: GradElement>(_: T.Type, dtype: swiftpool_dtype, eps: Float, convert: (Float) -> T, layout: swiftpool_layout) -> [T] {
            let desc = makeDesc(rank: 2, layout: layout, input: [5, 5], kernel: [3, 3], stride: [2, 2], padding: [1, 1], dtype: dtype)
            var g = [Float](repeating: 0, count: 9)
            g[0] = 1; g[1] = eps; g[3] = eps; g[4] = eps
            let idx: [Int64] = [6, 6, 8, 6, 6, 8, 16, 16, 18]
            let (rc, got) = runMaxBackward(desc, g.map(convert), idx, inputElements: 25)
            XCTAssertEqual(rc, statusOK)
            return got
        }
        for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
            XCTAssertEqual(run(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, eps: 0x1p-24, convert: { $0 }, layout: layout)[6], 1)
            XCTAssertEqual(run(Float16.self, dtype: SWIFTPOOL_DTYPE_FLOAT16, eps: 0x1p-11, convert: { Float16($0) }, layout: layout)[6], 1)
            XCTAssertEqual(run(BFloat16.self, dtype: SWIFTPOOL_DTYPE_BFLOAT16, eps: 0x1p-8, convert: { BFloat16($0) }, layout: layout)[6].float, 1)
        }
        // Order: (1e4 + 1) - 1e4 in bfloat16 is 0 (1 is lost first); in float32, 1.
        let desc = makeDesc(rank: 2, input: [5, 5], kernel: [3, 3], stride: [2, 2], padding: [1, 1], dtype: SWIFTPOOL_DTYPE_BFLOAT16)
        let g: [Float] = [1e4, 1, 0, -1e4, 0, 0, 0, 0, 0]
        let (rc, got) = runMaxBackward(desc, g.map { BFloat16($0) }, [6, 6, 8, 6, 6, 8, 16, 16, 18], inputElements: 25)
        XCTAssertEqual(rc, statusOK)
        XCTAssertEqual(got[6].float, 0)
    }

    /// A window wholly in the padding (W 3, kernel 2, padding 1, dilation 4: taps -1
    /// and 3) gets forward index 3, past the input; the backward ignores it.
    func testEmptyWindowIsIgnored() {
        for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
            let desc = makeDesc(rank: 2, layout: layout, input: [2, 3], kernel: [1, 2], stride: [1, 1], padding: [0, 1], dilation: [1, 4])
            guard let forward = runMaxForward(desc, [Float](repeating: 1, count: 6)) else { return }
            XCTAssertEqual(forward.indices, [3, 6])
            XCTAssertEqual(forward.values, [-.infinity, -.infinity])
            let (rc, got) = runMaxBackward(desc, [Float](repeating: 5, count: 2), forward.indices, inputElements: 6)
            XCTAssertEqual(rc, statusOK, lastBackwardMessage)
            XCTAssertEqual(got, [Float](repeating: 0, count: 6))
        }
    }

    func testBadIndexRejectedBeforeAnyWrite() {
        let desc = makeDesc(rank: 2, layout: SWIFTPOOL_LAYOUT_NHWC, batch: 2, channels: 3, input: [4, 4], kernel: [2, 2])
        let g = try! PoolGeometry(desc, op: .max)
        // Values whose low 32 bits are a valid index (the scan checks the high bits first).
        for bad: Int64 in [16, -1, .min, .max, 1 << 31, (1 << 32) + 5, (1 << 40) + 5] {
            var idx = [Int64](repeating: 5, count: g.outputElements)
            idx[g.outputElements - 2] = bad   // n 1, c 1, h 1, w 1
            let (rc, got) = runMaxBackward(desc, [Float](repeating: 1, count: g.outputElements), idx, inputElements: g.inputElements)
            XCTAssertEqual(rc, status(SWIFTPOOL_ERROR_INVALID_ARGUMENT))
            let message = lastBackwardMessage
            XCTAssertTrue(message.contains("indices[22] (n 1, c 1, h 1, w 1) is \(bad)"), message)
            XCTAssertTrue(got.allSatisfy { $0.bitPattern == 0x5A5A_5A5A }, "grad_input written on failure")
        }
        // Integer dtypes: no gradients.
        let int8 = makeDesc(rank: 1, input: [4], kernel: [2], dtype: SWIFTPOOL_DTYPE_INT8)
        let (rc, _) = runMaxBackward(int8, [Int8](repeating: 1, count: 2), [0, 2], inputElements: 4)
        XCTAssertEqual(rc, status(SWIFTPOOL_ERROR_UNSUPPORTED))
    }

    /// ONNX index conventions: global indices must point into their own plane.
    func testGlobalIndexOutsideOwnPlaneRejected() {
        let desc = makeDesc(rank: 1, batch: 1, channels: 2, input: [4], kernel: [2], flags: UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL))
        let (ok, good) = runMaxBackward(desc, [Float]([1, 2, 3, 4]), [1, 2, 4, 7], inputElements: 8)
        XCTAssertEqual(ok, statusOK)
        XCTAssertEqual(good, [0, 1, 2, 0, 3, 0, 0, 4])
        let (rc, _) = runMaxBackward(desc, [Float]([1, 2, 3, 4]), [1, 2, 3, 7], inputElements: 8)
        XCTAssertEqual(rc, status(SWIFTPOOL_ERROR_INVALID_ARGUMENT))
        XCTAssertTrue(lastBackwardMessage.contains("indices[2] (n 0, c 1, w 0) is 3"), lastBackwardMessage)
    }
}
