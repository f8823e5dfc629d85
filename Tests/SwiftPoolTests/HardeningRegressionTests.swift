// Regression tests for bugs the hardening work (fuzzer, Tests/fuzz/) found.
// Each test names the fuzz finding it pins down.
import CSwiftPool
import XCTest
@testable import SwiftPool

final class HardeningRegressionTests: XCTestCase {
    /// Fuzz finding 1: `dilation*(kernel-1) + stride` was added without an overflow
    /// check, so a window of ~2^63 with a stride of ~2^63 wrapped: release builds
    /// accepted the impossible shape (output 1), debug builds trapped.
    func testHugeWindowPlusHugeStrideIsRejected() {
        let huge = Int(Int64.max - 1)
        var d = makeDesc(rank: 2, channels: 5, input: [1, 1], kernel: [huge, 1], stride: [huge, 1])
        var sizes: [Int64] = [-7, -7, -7]
        var elements: Int64 = -7
        let rc = swiftpool_pool_output_shape(&d, &sizes, &elements)
        XCTAssertTrue(rc == status(SWIFTPOOL_ERROR_INVALID_SHAPE) || rc == status(SWIFTPOOL_ERROR_OVERFLOW),
                      "status \(rc): \(String(cString: swiftpool_last_error_message()))")
        XCTAssertEqual(sizes, [-7, -7, -7])
        XCTAssertEqual(elements, -7)
        // Same for the operators, which share the validation.
        let input = [Float](repeating: 1, count: 5)
        var output = [Float](repeating: -99, count: 5)
        let avg = swiftpool_avg_pool_forward(&d, input, 5, &output, 5)
        XCTAssertNotEqual(avg, statusOK)
        XCTAssertEqual(output, [Float](repeating: -99, count: 5))
    }

    /// Fuzz finding 2: with SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR, a window lying wholly
    /// in the padding (dilation) reports its first tap, which can be past the input
    /// end; the flattened row-major index was decomposed as if in range, naming
    /// another element. PyTorch's row-major indices here are [2, 4] (torch 2.x:
    /// max_pool2d(arange(4).view(1,1,2,2), (1,2), stride=1, padding=(0,1),
    /// dilation=(1,3), return_indices=True)); the tap coordinates are (h, w=2), so
    /// column-major (w*H + h) gives [4, 5].
    func testColumnMajorIndexOfAllPaddingWindow() {
        for layout in [SWIFTPOOL_LAYOUT_NCHW, SWIFTPOOL_LAYOUT_NHWC] {
            for (flags, expected) in [(UInt32(0), [Int64(2), 4]),
                                      (UInt32(SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR), [4, 5])] {
                var d = makeDesc(rank: 2, layout: layout, input: [2, 2], kernel: [1, 2], stride: [1, 1],
                                 padding: [0, 1], dilation: [1, 3], flags: flags)
                let input: [Float] = [0, 1, 2, 3]
                var output = [Float](repeating: 0, count: 2)
                var indices = [Int64](repeating: -1, count: 2)
                XCTAssertEqual(swiftpool_max_pool_forward(&d, input, 4, &output, 2, &indices, 2), statusOK)
                XCTAssertEqual(output, [-.infinity, -.infinity])
                XCTAssertEqual(indices, expected, "layout \(layout) flags \(flags)")
            }
        }
        // Rank 1: column-major is the identity, also for a tap past the end.
        var d1 = makeDesc(rank: 1, input: [2], kernel: [2], stride: [1], padding: [1], dilation: [3],
                          flags: UInt32(SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR))
        var output: Float = 0
        var index: Int64 = -1
        XCTAssertEqual(swiftpool_max_pool_forward(&d1, [Float(5), 6], 2, &output, 1, &index, 1), statusOK)
        XCTAssertEqual(index, 2)
    }

    /// Fuzz finding 3: the count_include_pad divisor (window area within the padded
    /// input) was a wrapping product: huge kernels (here via auto_pad SAME) gave a
    /// wrong, even negative, divisor. Such an area is now refused with OVERFLOW;
    /// divisor_override and count_include_pad=0 do not need it and still run.
    func testCountIncludePadAreaOverflowIsRefused() {
        let k = 1 << 61
        var d = makeDesc(rank: 3, input: [4, 1, 1], kernel: [k, 5, 1], stride: [1, 4, 1],
                         autoPad: SWIFTPOOL_AUTO_PAD_SAME_UPPER)
        let input: [Float] = [1, 2, 3, 4]
        var output = [Float](repeating: -99, count: 4)
        XCTAssertEqual(swiftpool_avg_pool_forward(&d, input, 4, &output, 4), status(SWIFTPOOL_ERROR_OVERFLOW))
        XCTAssertTrue(String(cString: swiftpool_last_error_message()).contains("count_include_pad"))
        XCTAssertEqual(output, [Float](repeating: -99, count: 4))
        d.divisor_override = 2
        XCTAssertEqual(swiftpool_avg_pool_forward(&d, input, 4, &output, 4), statusOK)
        XCTAssertEqual(output, [5, 5, 5, 5])   // every window covers the whole input: 10 / 2
        d.divisor_override = 0
        d.count_include_pad = 0
        XCTAssertEqual(swiftpool_avg_pool_forward(&d, input, 4, &output, 4), statusOK)
        XCTAssertEqual(output, [2.5, 2.5, 2.5, 2.5])
    }
}

final class HardeningUnpoolRegressionTests: XCTestCase {
    /// Fuzz finding 4: max_unpool's default output size with padding + padding_end
    /// past Int.max reported OVERFLOW with a message naming only input_size, stride
    /// and kernel_size; the true size, (in-1)*stride + kernel - padding - padding_end,
    /// fits in int64 and is < 1: INVALID_SHAPE, naming the paddings.
    func testUnpoolHugePaddingsAreAnInvalidShape() {
        var d = makeDesc(rank: 1, input: [1], kernel: [3], stride: [Int(Int64.max)], padding: [Int(Int64.max)],
                         paddingEnd: [1])
        var size: [Int64] = [-7, -7, -7]
        var elements: Int64 = -7
        XCTAssertEqual(swiftpool_max_unpool_output_shape(&d, nil, &size, &elements),
                       status(SWIFTPOOL_ERROR_INVALID_SHAPE))
        let message = String(cString: swiftpool_last_error_message())
        XCTAssertTrue(message.contains("padding \(Int64.max)") && message.contains("padding_end 1"), message)
        XCTAssertEqual(size, [-7, -7, -7])
        XCTAssertEqual(elements, -7)
    }
}

final class HardeningFractionalRegressionTests: XCTestCase {
    /// Fuzz finding 5: fractional max pooling allocated its window-start scratch
    /// (output_size summed over the axes) with a Swift allocation, even for batch 0,
    /// where no buffer backs the sizes: an output of 2^60 x 1 asked for 2^63 bytes
    /// and the Swift runtime aborted the host process. Batch 0 is now a no-op, and a
    /// failed scratch allocation is SWIFTPOOL_ERROR_OUT_OF_MEMORY (exercised under
    /// RLIMIT_AS by Tests/hardening/test_limits.c).
    func testFractionalBatchZeroWithHugeSizesIsANoOp() {
        var d = makeDesc(rank: 2, batch: 0, input: [1 << 60, 1], kernel: [1, 1])
        let outputSize: [Int64] = [1 << 60, 1]
        var input: Float = 0, output: Float = -7
        XCTAssertEqual(swiftpool_fractional_max_pool_forward(&d, outputSize, nil, 0, 1, &input, 0, &output, 0, nil, 0),
                       statusOK, String(cString: swiftpool_last_error_message()))
        XCTAssertEqual(output, -7)
    }

    /// Found with it: the shared tensor check multiplied batch first, so with batch 0
    /// an input plane past Int.max passed, and the kernels' plane arithmetic then
    /// wrapped (release) or trapped (debug). Planes must fit on their own, as
    /// max/avg pooling already required.
    func testBatchZeroPlanePastInt64IsOverflow() {
        var d = makeDesc(rank: 2, batch: 0, input: [1 << 40, 1 << 40], kernel: [1, 1])
        let outputSize: [Int64] = [1, 1]
        var input: Float = 0, output: Float = -7
        XCTAssertEqual(swiftpool_fractional_max_pool_forward(&d, outputSize, nil, 0, 1, &input, 0, &output, 0, nil, 0),
                       status(SWIFTPOOL_ERROR_OVERFLOW))
        XCTAssertEqual(output, -7)
    }
}

final class HardeningPyramidRegressionTests: XCTestCase {
    /// Fuzz finding 11: spatial_pyramid_pool_forward read `sizes` (int64 pairs)
    /// without checking its alignment, which the header lists as INVALID_ARGUMENT
    /// (as for every other buffer).
    func testMisalignedSizesAreRejected() {
        var d = makeDesc(rank: 2, input: [4, 4], kernel: [1, 1])
        let levels: [Int64] = [2, 2]
        let input = [Float](repeating: 1, count: 16)
        var output = [Float](repeating: -7, count: 4)
        var storage = [Int64](repeating: 0, count: 3)
        let rc: Int32 = storage.withUnsafeMutableBytes { raw in
            let misaligned = (raw.baseAddress! + 1).assumingMemoryBound(to: Int64.self)
            // (4, 4) written byte-wise at the misaligned address.
            let pair: [Int64] = [4, 4]
            pair.withUnsafeBytes { raw.baseAddress!.advanced(by: 1).copyMemory(from: $0.baseAddress!, byteCount: 16) }
            return swiftpool_spatial_pyramid_pool_forward(&d, levels, 1, Int32(SWIFTPOOL_SPP_MAX.rawValue),
                                                          Int32(SWIFTPOOL_SPP_BINS_ADAPTIVE.rawValue),
                                                          UnsafePointer(misaligned), 2, input, 16, &output, 4)
        }
        XCTAssertEqual(rc, status(SWIFTPOOL_ERROR_INVALID_ARGUMENT), String(cString: swiftpool_last_error_message()))
        XCTAssertTrue(String(cString: swiftpool_last_error_message()).contains("sizes"))
        XCTAssertEqual(output, [Float](repeating: -7, count: 4))
    }
}

final class HardeningLpRegressionTests: XCTestCase {
    /// Fuzz finding 12: PyTorch-form LP pooling scales each window by
    /// prod(kernel_size), computed in Int: 3 x 3 x 2^61 wrapped to 2^61 and the
    /// result was silently wrong by 9^(1/p). It is now OVERFLOW.
    func testLpKernelProductPastInt64IsOverflow() {
        var d = makeDesc(rank: 3, input: [6, 12, 4], kernel: [3, 3, 1 << 61], stride: [1, 2, 1 << 61], ceilMode: true)
        let input = [Float](repeating: 1, count: 6 * 12 * 4)
        var output = [Float](repeating: -7, count: 4 * 6)
        XCTAssertEqual(swiftpool_lp_pool_forward(&d, 3, input, Int64(input.count), &output, Int64(output.count)),
                       status(SWIFTPOOL_ERROR_OVERFLOW), String(cString: swiftpool_last_error_message()))
        XCTAssertEqual(output, [Float](repeating: -7, count: 4 * 6))
    }
}

final class HardeningWindowRegressionTests: XCTestCase {
    /// CI's fuzz smoke run: auto_pad SAME pads about half of a window span near
    /// Int.max, and `-start + dilation - 1` (the first real tap's ceil division)
    /// passed Int.max, so tapBegin came out negative and the kernels read wild
    /// addresses (SEGV). Windows against exact 128-bit arithmetic at such sizes.
    func testWindowTapsAtSpansNearInt64Max() {
        var checked = 0
        for dilation in [Int.max, Int.max - 1, Int.max / 2 + 7, 0x6000_0000_0000_0000, 3, 1] {
            for kernel in [2, 3] {
                let span = (kernel - 1).multipliedReportingOverflow(by: dilation)
                if span.overflow { continue }
                // Validation keeps input + padding + paddingEnd + stride within Int.
                for padding in [0, 1, span.partialValue / 2, span.partialValue / 2 + span.partialValue % 2, span.partialValue]
                where padding <= Int.max - 7 - 2 {
                    let axis = AxisGeometry(inputSize: 7, outputSize: 4, kernel: kernel, stride: 2, padding: padding,
                                            paddingEnd: 0, dilation: dilation)
                    for o in 0..<4 {
                        let w = axis.window(o)
                        // Taps k in 0..<kernel with 0 <= start + k*dilation < 7, exactly.
                        let start = Int128(o) * 2 - Int128(padding)
                        let real = (0..<kernel).filter { k in
                            let x = start + Int128(k) * Int128(dilation)
                            return x >= 0 && x < 7
                        }
                        let first = (0..<kernel).first { k in start + Int128(k) * Int128(dilation) >= 0 }
                        let why = "dilation \(dilation) kernel \(kernel) padding \(padding) o \(o)"
                        if let lo = real.first, let hi = real.last {
                            XCTAssertEqual(w.tapBegin, lo, why)
                            XCTAssertEqual(w.tapEnd, hi + 1, why)
                        } else {
                            XCTAssertTrue(w.isEmpty, why)
                        }
                        XCTAssertGreaterThanOrEqual(w.tapBegin, 0, why)
                        if let first {
                            XCTAssertEqual(Int128(w.firstTap), start + Int128(first) * Int128(dilation), why)
                        }
                        checked += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }
}
