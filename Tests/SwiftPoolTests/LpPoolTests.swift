// LP pooling through the C ABI: against the reference on randomized problems
// (PyTorch and ONNX semantics, many norms, NaN/inf/ties), hand-checked PyTorch
// values, and the bad-input matrix.
import CSwiftPool
import XCTest
@testable import SwiftPool

final class LpPoolTests: XCTestCase {
    static let onnx = UInt32(SWIFTPOOL_FLAG_LP_ONNX)

    /// A random problem PyTorch's lp_pool accepts: no padding or dilation; ceil_mode,
    /// strides other than the kernel, 1x1 and whole-input kernels.
    func randomTorchDesc(_ rng: inout SeededRNG, dtype: swiftpool_dtype) -> swiftpool_pool_desc {
        while true {
            let rank = Int.random(in: 1...3, using: &rng)
            let maxSize = rank == 3 ? 6 : rank == 2 ? 9 : 15
            let style = Int.random(in: 0..<5, using: &rng)
            var input: [Int] = [], kernel: [Int] = [], stride: [Int] = []
            for _ in 0..<rank {
                let size = Int.random(in: 1...maxSize, using: &rng)
                input.append(size)
                kernel.append(style == 0 ? 1 : style == 1 ? size : Int.random(in: 1...min(size, 4), using: &rng))
                stride.append(Int.random(in: 1...3, using: &rng))
            }
            let desc = makeDesc(rank: rank, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                                batch: Int.random(in: 0..<8, using: &rng) == 0 ? 0 : Int.random(in: 1...2, using: &rng),
                                channels: [1, 2, 3, 8, 9].randomElement(using: &rng)!, input: input, kernel: kernel,
                                stride: Bool.random(using: &rng) ? kernel : stride, ceilMode: Bool.random(using: &rng),
                                dtype: dtype)
            var elements: Int64 = 0
            if swiftpool_pool_output_shape([desc], nil, &elements) == statusOK { return desc }
        }
    }

    func check<T: BinaryFloatingPoint & PoolElement>(_: T.Type, dtype: swiftpool_dtype, onnx: Bool, seed: UInt64, trials: Int) throws {
        var rng = SeededRNG(seed: seed)
        let norms: [Double] = onnx ? [1, 2, 3, 1.5, 0.5, 4] : [1, 2, 3, 1.5, 0.5, 4, -1, -2.5, .infinity, -.infinity]
        for trial in 0..<trials {
            var desc = onnx ? randomDesc(&rng, average: true, dtype: dtype) : randomTorchDesc(&rng, dtype: dtype)
            if onnx { desc.flags = LpPoolTests.onnx }
            let p = norms.randomElement(using: &rng)!
            let g = try LpPoolGeometry(desc, normType: p)
            // Non-negative data half the time: odd and fractional norms are then defined.
            var input = randomValues(g.pool.inputElements, &rng, special: trial % 3 == 0, as: T.self)
                .map { $0 + T(Int.random(in: 0..<1000, using: &rng)) / 997 }
            if trial % 2 == 1 { input = input.map { abs($0) } }
            let want = ReferenceLpAdaptiveSpp.lpPool(g, input)
            let (rc, got) = callLpPool(desc, p, input, outputCount: g.pool.outputElements)
            let context = "seed \(seed) trial \(trial) p \(p): \(describe(desc))"
            XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()) + " " + context)
            // Same taps in the same order; only x*x vs pow and sqrt vs pow may round differently.
            if !assertAllClose(got, want, ulps: 4, context) { return }
        }
    }

    func testTorchSemanticsMatchReference() throws {
        try check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, onnx: false, seed: testSeed(0x1B00_0001), trials: 300)
    }

    func testTorchSemanticsFloat64MatchReference() throws {
        try check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, onnx: false, seed: testSeed(0x1B00_0002), trials: 150)
    }

    func testOnnxSemanticsMatchReference() throws {
        try check(Float.self, dtype: SWIFTPOOL_DTYPE_FLOAT32, onnx: true, seed: testSeed(0x1B00_0003), trials: 300)
    }

    func testOnnxSemanticsFloat64MatchReference() throws {
        try check(Double.self, dtype: SWIFTPOOL_DTYPE_FLOAT64, onnx: true, seed: testSeed(0x1B00_0004), trials: 150)
    }

    func lp(_ desc: swiftpool_pool_desc, _ p: Double, _ input: [Float], file: StaticString = #filePath, line: UInt = #line) -> [Float] {
        var d = desc
        var elements: Int64 = 0
        XCTAssertEqual(swiftpool_pool_output_shape(&d, nil, &elements), statusOK, file: file, line: line)
        let (rc, out) = callLpPool(desc, p, input, outputCount: Int(elements))
        XCTAssertEqual(rc, statusOK, String(cString: swiftpool_last_error_message()), file: file, line: line)
        return out
    }

    /// Values printed by torch 2.13 (torch.nn.functional.lp_pool1d/2d).
    func testHandCheckedTorchValues() {
        // lp_pool1d(arange(1,6), 2, 2, ceil_mode=True) = [sqrt 5, 5, sqrt(2 * 25)]: the cut-off
        // last window [5] is scaled up by kernel_size / 1.
        let ceil = lp(makeDesc(rank: 1, input: [5], kernel: [2], ceilMode: true), 2, [1, 2, 3, 4, 5])
        XCTAssertEqual(ceil, [Float(5).squareRoot(), 5, Float(50).squareRoot()])
        // stride 3 over 7: [1,2], [4,5], [7] -> [sqrt 5, sqrt 41, sqrt 98].
        let strided = lp(makeDesc(rank: 1, input: [7], kernel: [2], stride: [3], ceilMode: true), 2, [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(strided, [Float(5).squareRoot(), Float(41).squareRoot(), Float(98).squareRoot()])
        // No absolute value: p=1 sums signed values; p=3 and p=1.5 on negative sums give NaN.
        let x: [Float] = [-1, -2, 3, -4]
        let d = makeDesc(rank: 1, input: [4], kernel: [2])
        XCTAssertEqual(lp(d, 1, x), [-3, -1])
        XCTAssertTrue(lp(d, 3, x).allSatisfy(\.isNaN))
        XCTAssertTrue(lp(d, 1.5, x).allSatisfy(\.isNaN))
        // +-inf: max / min of |x| (PyTorch's max_pool route).
        XCTAssertEqual(lp(d, .infinity, x), [2, 4])
        XCTAssertEqual(lp(d, -.infinity, x), [1, 3])
        // Negative norms: lp_pool1d([1,2,3,4], -1, 2) = [2/3, 12/7].
        let neg = lp(d, -1, [1, 2, 3, 4])
        XCTAssertEqual(neg[0], 2.0 / 3, accuracy: 1e-7)
        XCTAssertEqual(neg[1], 12.0 / 7, accuracy: 1e-7)
        // 2D, ceil_mode: lp_pool2d(arange(9).view(3,3), 2, 2, ceil_mode=True): corner windows
        // hold 2 and 1 elements and are scaled by 4/2 and 4/1.
        let out = lp(makeDesc(rank: 2, input: [3, 3], kernel: [2, 2], ceilMode: true), 2, (0..<9).map(Float.init))
        let squares: [Double] = [0 + 1 + 9 + 16, (4 + 25) * 2, (36 + 49) * 2, 64 * 4]
        XCTAssertEqual(out, squares.map { Float($0.squareRoot()) })
    }

    /// ONNX LpPool: |x|, zero padding, dilation, no rescaling of partial windows.
    func testHandCheckedOnnxValues() {
        var d = makeDesc(rank: 1, input: [4], kernel: [2], flags: LpPoolTests.onnx)
        XCTAssertEqual(lp(d, 1, [-1, -2, 3, -4]), [3, 7])
        XCTAssertEqual(lp(d, 2, [3, -4, 0, 0]), [5, 0])
        // pads 1/0, dilation 2, ceil_mode: taps {-1,1}, {1,3}, {3,5}: 2, 2^2+4^2, 4 (5 is past the end).
        d = makeDesc(rank: 1, input: [5], kernel: [2], stride: [2], padding: [1], dilation: [2], ceilMode: true,
                     paddingEnd: [0], flags: LpPoolTests.onnx)
        XCTAssertEqual(lp(d, 2, [1, -2, 3, 4, 9]), [2, Float(20).squareRoot(), 4])
        // Global LP: kernel = input. (3^3 + 4^3 + 5^3)^(1/3) = 6.
        d = makeDesc(rank: 2, input: [1, 3], kernel: [1, 3], flags: LpPoolTests.onnx)
        XCTAssertEqual(lp(d, 3, [3, -4, 5])[0], 6, accuracy: 1e-6)
    }

    /// Powers in double: float32 x^2 of 1e20 would overflow, the norm does not.
    func testPowersDoNotOverflowInFloat32() {
        let d = makeDesc(rank: 1, input: [2], kernel: [2])
        XCTAssertEqual(lp(d, 2, [3e20, 4e20])[0], 5e20, accuracy: 1e14)
    }

    func testLayoutsAgree() throws {
        var rng = SeededRNG(seed: testSeed(0x1B00_0005))
        let (n, c, h, w) = (2, 5, 7, 6)
        let x = randomValues(n * c * h * w, &rng, special: true).map(abs)
        for p in [1.0, 2, 3, .infinity] {
            let first = makeDesc(rank: 2, batch: n, channels: c, input: [h, w], kernel: [3, 2], stride: [2, 2], ceilMode: true)
            var last = first
            last.layout = Int32(SWIFTPOOL_LAYOUT_NHWC.rawValue)
            let a = lp(first, p, x), b = lp(last, p, toChannelsLast(x, batch: n, channels: c, plane: h * w))
            XCTAssertEqual(a.count, n * c * 3 * 3)
            XCTAssertEqual(bits(toChannelsLast(a, batch: n, channels: c, plane: 3 * 3)), bits(b), "p \(p)")
        }
    }

    /// The shape query accepts the LP flag; LP pooling shares the window operators' output sizes.
    func testOutputShapeAcceptsLpFlag() {
        var d = makeDesc(rank: 2, input: [7, 7], kernel: [3, 3], stride: [2, 2], flags: LpPoolTests.onnx)
        var sizes: [Int64] = [0, 0, 0]
        XCTAssertEqual(swiftpool_pool_output_shape(&d, &sizes, nil), statusOK)
        XCTAssertEqual(Array(sizes.prefix(2)), [3, 3])
    }

    /// One bad call: the expected status, a message naming the argument, the output untouched.
    func expectFailure(_ expected: swiftpool_status, mentions: String, p: Double = 2, inputLen: Int64 = 16,
                       outputLen: Int64 = 4, nullDesc: Bool = false, nullInput: Bool = false, nullOutput: Bool = false,
                       _ mutate: (inout swiftpool_pool_desc) -> Void = { _ in },
                       file: StaticString = #filePath, line: UInt = #line) {
        var d = makeDesc(rank: 2, input: [4, 4], kernel: [2, 2])
        mutate(&d)
        let input = [Float](repeating: 1, count: 64)
        var output = [Float](repeating: -99, count: 64)
        let rc: Int32 = input.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                withUnsafePointer(to: d) { dp in
                    swiftpool_lp_pool_forward(nullDesc ? nil : dp, p, nullInput ? nil : src.baseAddress, inputLen,
                                              nullOutput ? nil : dst.baseAddress, outputLen)
                }
            }
        }
        let message = String(cString: swiftpool_last_error_message())
        XCTAssertEqual(rc, status(expected), "message: \(message)", file: file, line: line)
        XCTAssertTrue(message.contains(mentions), "message '\(message)' should mention '\(mentions)'", file: file, line: line)
        XCTAssertTrue(message.hasPrefix("swiftpool_lp_pool_forward"), "message '\(message)' should name the function", file: file, line: line)
        XCTAssertTrue(output.allSatisfy { $0 == -99 }, "output was written", file: file, line: line)
    }

    func testBadInputMatrix() {
        let onnx = LpPoolTests.onnx
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "desc is NULL", nullDesc: true)
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "input is NULL", nullInput: true)
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output is NULL", nullOutput: true)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "norm_type is 0.0", p: 0)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "norm_type is nan", p: .nan)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "norm_type is inf", p: .infinity) { $0.flags = onnx }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "norm_type is -2.0", p: -2) { $0.flags = onnx }
        // PyTorch's lp_pool has no padding, dilation or auto_pad.
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "padding is 1") { $0.padding.1 = 1 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "padding_end is 1") { $0.padding_end.0 = 1 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "dilation is 2") { $0.dilation.1 = 2 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "auto_pad is 2") { $0.auto_pad = 2 }
        // Window rules as for the other operators.
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "kernel_size is 0") { $0.kernel_size.0 = 0 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "stride is 0") { $0.stride.1 = 0 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "batch is -1") { $0.batch = -1 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "padding is 2") { $0.flags = onnx; $0.padding.0 = 2 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_SHAPE, mentions: "output size is 0") { $0.kernel_size.0 = 5 }
        expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "overflows") { $0.channels = Int64.max / 4 }
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "input_len is 15", inputLen: 15)
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "output_len is 3", outputLen: 3)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "output_len is -1", outputLen: -1)
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags 0x1") { $0.flags = UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags 0x10") { $0.flags = 1 << 4 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 9 is unknown") { $0.dtype = 9 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 5 is an integer type") { $0.dtype = 5 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "layout 0") { $0.layout = 0 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "spatial_rank is 4") { $0.spatial_rank = 4 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "struct_size is 12") { $0.struct_size = 12 }
        // A failed call is followed by a clean message after a good one.
        XCTAssertEqual(lp(makeDesc(rank: 1, input: [2], kernel: [2]), 2, [3, 4]), [5])
        XCTAssertEqual(String(cString: swiftpool_last_error_message()), "")
    }
}
