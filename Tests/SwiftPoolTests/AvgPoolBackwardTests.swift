// Average pooling backward through the C ABI against the reference kernel on
// randomized problems (every float dtype, both layouts, 1D/2D/3D, padding,
// asymmetric/auto padding, dilation, ceil_mode, count_include_pad,
// divisor_override, NaN/inf, 1 and 3 threads), plus PyTorch facts (torch 2.13).
import CSwiftPool
import XCTest
@testable import SwiftPool

nonisolated(unsafe) var lastAvgBackwardMessage = ""

/// Backward through the C ABI; returns the status and grad_input (prefilled with 0x5A bytes).
func runAvgBackward<T>(_ desc: swiftpool_pool_desc, _ gradOutput: [T], inputElements: Int,
                       threads: Int32 = 0) -> (Int32, [T]) {
    var d = desc
    var gi = [T](unsafeUninitializedCapacity: inputElements) { buffer, count in
        UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0x5A)
        count = inputElements
    }
    XCTAssertEqual(swiftpool_set_num_threads(threads), statusOK)
    defer { _ = swiftpool_set_num_threads(0) }
    let rc = gradOutput.withUnsafeBytes { go in gi.withUnsafeMutableBytes { dst in
        swiftpool_avg_pool_backward(&d, go.baseAddress ?? UnsafeRawPointer(bitPattern: 64), Int64(gradOutput.count),
                                    dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 128), Int64(inputElements))
    }}
    lastAvgBackwardMessage = String(cString: swiftpool_last_error_message())
    return (rc, gi)
}

final class AvgPoolBackwardTests: XCTestCase {
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

    func check<T: GradElement>(_: T.Type, dtype: swiftpool_dtype, seed: UInt64, trials: Int, convert: (Float) -> T) {
        var rng = SeededRNG(seed: seed)
        for trial in 0..<trials {
            let desc = randomDesc(&rng, average: true, dtype: dtype)
            guard let g = try? PoolGeometry(desc, op: .average) else { XCTFail("invalid random desc"); return }
            let grads = randomGrads(g.outputElements, &rng, special: trial % 2 == 0).map(convert)
            let want = ReferenceBackward.avgPool(g, gradOutput: grads)
            for threads: Int32 in [1, 3] {
                let (rc, got) = runAvgBackward(desc, grads, inputElements: g.inputElements, threads: threads)
                XCTAssertEqual(rc, statusOK, "\(lastAvgBackwardMessage) \(describe(desc))")
                XCTAssertEqual(canonicalBits(got), canonicalBits(want),
                               "seed \(seed) trial \(trial) threads \(threads): \(describe(desc))")
                if rc != statusOK || canonicalBits(got) != canonicalBits(want) { return }
            }
        }
    }

    /// The stride-1 float32 gather (AvgPoolBackwardKernel.channelsFirstUnitStride)
    /// against the reference on its own shapes: rows of 8 to 70 (vector tails), 1D
    /// and 2D, kernels 1 to 5, PyTorch and ONNX (asymmetric) padding, ceil_mode,
    /// count_include_pad, divisor_override, NaN/inf/-0 gradients, 1 and 3 threads.
    func testUnitStrideGatherMatchesReference() {
        var rng = SeededRNG(seed: testSeed(0xAB_0010))
        for trial in 0..<300 {
            let rank = trial % 4 == 0 ? 1 : 2
            let k = (0..<rank).map { _ in Int.random(in: 1...5, using: &rng) }
            let w = Int.random(in: 8...70, using: &rng), h = Int.random(in: 1...9, using: &rng)
            let input = rank == 1 ? [w] : [h, w]
            let padding = k.map { Int.random(in: 0...($0 / 2), using: &rng) }
            let onnx = trial % 3 == 1
            let paddingEnd = onnx ? k.map { Int.random(in: 0...($0 - 1), using: &rng) } : nil
            let desc = makeDesc(rank: rank, batch: Int.random(in: 1...2, using: &rng),
                                channels: Int.random(in: 1...5, using: &rng), input: input, kernel: k,
                                stride: Array(repeating: 1, count: rank), padding: padding,
                                ceilMode: Bool.random(using: &rng), countIncludePad: Bool.random(using: &rng),
                                divisorOverride: trial % 5 == 0 ? Int.random(in: 1...7, using: &rng) : 0,
                                paddingEnd: paddingEnd)
            guard let g = try? PoolGeometry(desc, op: .average) else { continue }
            XCTAssertTrue(AvgPoolBackwardKernel.unitStrideRows(g), describe(desc))
            var grads = randomGrads(g.outputElements, &rng, special: trial % 2 == 0)
            if trial % 7 == 3 { for i in grads.indices where i % 3 == 0 { grads[i] = -0.0 } }
            let want = ReferenceBackward.avgPool(g, gradOutput: grads)
            for threads: Int32 in [1, 3] {
                let (rc, got) = runAvgBackward(desc, grads, inputElements: g.inputElements, threads: threads)
                XCTAssertEqual(rc, statusOK, "\(lastAvgBackwardMessage) \(describe(desc))")
                XCTAssertEqual(canonicalBits(got), canonicalBits(want), "trial \(trial) threads \(threads): \(describe(desc))")
                if canonicalBits(got) != canonicalBits(want) { return }
            }
        }
    }

    func testMatchesReferenceEveryDtype() {
        check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, seed: testSeed(0xAB_0001), trials: 400) { $0 }
        check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, seed: testSeed(0xAB_0002), trials: 200) { Double($0) }
        check(Float16.self, dtype: SWIFTPOOL_DTYPE_FLOAT16, seed: testSeed(0xAB_0003), trials: 200) { Float16($0) }
        check(BFloat16.self, dtype: SWIFTPOOL_DTYPE_BFLOAT16, seed: testSeed(0xAB_0004), trials: 200) { BFloat16($0) }
    }

    /// Problems big enough for several threads and channel blocks.
    func testThreadedProblemsMatchReference() {
        var rng = SeededRNG(seed: testSeed(0xAB_0010))
        let cases: [(rank: Int, layout: swiftpool_layout, n: Int, c: Int, input: [Int])] = [
            (2, SWIFTPOOL_LAYOUT_NCHW, 2, 37, [30, 31]),
            (2, SWIFTPOOL_LAYOUT_NHWC, 1, 70, [30, 31]),
            (3, SWIFTPOOL_LAYOUT_NHWC, 1, 48, [9, 12, 11]),
        ]
        for (rank, layout, n, c, input) in cases {
            let desc = makeDesc(rank: rank, layout: layout, batch: n, channels: c, input: input,
                                kernel: Array(repeating: 3, count: rank), stride: Array(repeating: 2, count: rank),
                                padding: Array(repeating: 1, count: rank), ceilMode: true, countIncludePad: false)
            let g = try! PoolGeometry(desc, op: .average)
            let grads = randomGrads(g.outputElements, &rng, special: true)
            let want = ReferenceBackward.avgPool(g, gradOutput: grads)
            for threads: Int32 in [1, 3] {
                let (rc, got) = runAvgBackward(desc, grads, inputElements: g.inputElements, threads: threads)
                XCTAssertEqual(rc, statusOK)
                XCTAssertEqual(canonicalBits(got), canonicalBits(want), "threads \(threads): \(describe(desc))")
            }
        }
    }

    /// torch 2.13: avg_pool2d_backward(ones(1,1,1,1), zeros(1,1,4,4), 4, 4, 0, False,
    /// True, 2049) is 1/2048 in float16 and bfloat16 (the divisor is rounded to the
    /// dtype first) and 1/2049 in float32.
    func testDivisorRoundedToElementType() {
        let half = makeDesc(rank: 2, input: [4, 4], kernel: [4, 4], divisorOverride: 2049, dtype: SWIFTPOOL_DTYPE_FLOAT16)
        XCTAssertEqual(runAvgBackward(half, [Float16(1)], inputElements: 16).1[5], Float16(0x1p-11))
        let bf = makeDesc(rank: 2, input: [4, 4], kernel: [4, 4], divisorOverride: 2049, dtype: SWIFTPOOL_DTYPE_BFLOAT16)
        XCTAssertEqual(runAvgBackward(bf, [BFloat16(1)], inputElements: 16).1[5].float, 0x1p-11)
        let f = makeDesc(rank: 2, input: [4, 4], kernel: [4, 4], divisorOverride: 2049)
        XCTAssertEqual(runAvgBackward(f, [Float(1)], inputElements: 16).1[5], 1 / Float(2049))
        // float16 accumulates in float16: 1 + 0.001/3 rounds back to 1 (torch: [1, 1, 1, ...]).
        let acc = makeDesc(rank: 1, input: [5], kernel: [3], stride: [1], dtype: SWIFTPOOL_DTYPE_FLOAT16)
        let got = runAvgBackward(acc, [Float16(3), Float16(0.001), Float16(0.001)], inputElements: 5).1
        XCTAssertEqual(got[1], 1)
        XCTAssertEqual(got[2], 1)
    }

    func testErrorsWriteNothing() {
        let desc = makeDesc(rank: 2, input: [4, 4], kernel: [2, 2], dtype: SWIFTPOOL_DTYPE_UINT8)
        let (rc, got) = runAvgBackward(desc, [UInt8](repeating: 1, count: 4), inputElements: 16)
        XCTAssertEqual(rc, status(SWIFTPOOL_ERROR_UNSUPPORTED))
        XCTAssertTrue(got.allSatisfy { $0 == 0x5A })
        let flagged = makeDesc(rank: 2, input: [4, 4], kernel: [2, 2], flags: UInt32(SWIFTPOOL_FLAG_NAN_IGNORE))
        XCTAssertEqual(runAvgBackward(flagged, [Float](repeating: 1, count: 4), inputElements: 16).0,
                       status(SWIFTPOOL_ERROR_UNSUPPORTED))
        let ok = makeDesc(rank: 2, input: [4, 4], kernel: [2, 2])
        XCTAssertEqual(runAvgBackward(ok, [Float](repeating: 1, count: 4), inputElements: 15).0,
                       status(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL))
        XCTAssertTrue(lastAvgBackwardMessage.contains("swiftpool_avg_pool_backward: grad_input_len is 15"), lastAvgBackwardMessage)
    }
}
