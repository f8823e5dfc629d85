// Output shapes and the bad-input matrix: every bad argument returns its exact
// status, leaves a message naming it, and writes nothing.
import CSwiftPool
import XCTest
@testable import SwiftPool

final class ValidationTests: XCTestCase {
    func outputSizes(_ desc: swiftpool_pool_desc) -> [Int64]? {
        var d = desc
        var sizes: [Int64] = [0, 0, 0]
        var elements: Int64 = 0
        guard swiftpool_pool_output_shape(&d, &sizes, &elements) == statusOK else { return nil }
        return Array(sizes.prefix(Int(d.spatial_rank)))
    }

    /// Values checked against torch.nn.functional on torch 2.13.
    func testOutputShapes() {
        XCTAssertEqual(outputSizes(makeDesc(rank: 2, input: [112, 112], kernel: [3, 3], stride: [2, 2], padding: [1, 1])), [56, 56])
        XCTAssertEqual(outputSizes(makeDesc(rank: 2, input: [55, 55], kernel: [3, 3], stride: [2, 2])), [27, 27])
        // ceil_mode: 5 -> 3, the 4th window would start in the right padding and is dropped.
        XCTAssertEqual(outputSizes(makeDesc(rank: 1, input: [5], kernel: [2], stride: [2], padding: [1], ceilMode: true)), [3])
        XCTAssertEqual(outputSizes(makeDesc(rank: 1, input: [6], kernel: [2], stride: [2], ceilMode: true)), [3])
        XCTAssertEqual(outputSizes(makeDesc(rank: 1, input: [7], kernel: [2], stride: [2], ceilMode: true)), [4])
        XCTAssertEqual(outputSizes(makeDesc(rank: 1, input: [7], kernel: [2], stride: [2], ceilMode: false)), [3])
        XCTAssertEqual(outputSizes(makeDesc(rank: 3, input: [4, 5, 6], kernel: [2, 3, 2], stride: [1, 2, 3], padding: [1, 1, 0],
                                            dilation: [2, 1, 2])), [4, 3, 2])
    }

    func testOutputShapeAcceptsNullOutputs() {
        var d = makeDesc(rank: 2, input: [4, 4], kernel: [2, 2])
        XCTAssertEqual(swiftpool_pool_output_shape(&d, nil, nil), statusOK)
        XCTAssertEqual(String(cString: swiftpool_last_error_message()), "")
    }

    /// One bad call: expected status, message containing `mentions`, output untouched.
    func expectFailure(_ expected: swiftpool_status, mentions: String, avg: Bool = false, inputLen: Int64? = nil,
                       outputLen: Int64? = nil, indicesLen: Int64? = nil, nullDesc: Bool = false,
                       nullInput: Bool = false, nullOutput: Bool = false,
                       _ mutate: (inout swiftpool_pool_desc) -> Void = { _ in },
                       file: StaticString = #filePath, line: UInt = #line) {
        var d = makeDesc(rank: 2, batch: 1, channels: 2, input: [4, 4], kernel: [2, 2])
        mutate(&d)
        let input = [Float](repeating: 1, count: 64)
        var output = [Float](repeating: -99, count: 64)
        var indices = [Int64](repeating: -99, count: 64)
        let rc: Int32 = input.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                indices.withUnsafeMutableBufferPointer { idx in
                    withUnsafePointer(to: d) { dp in
                        let descPtr = nullDesc ? nil : dp
                        let inPtr = nullInput ? nil : src.baseAddress
                        let outPtr = nullOutput ? nil : dst.baseAddress
                        if avg {
                            return swiftpool_avg_pool_forward(descPtr, inPtr, inputLen ?? 32, outPtr, outputLen ?? 8)
                        }
                        return swiftpool_max_pool_forward(descPtr, inPtr, inputLen ?? 32, outPtr, outputLen ?? 8,
                                                          idx.baseAddress, indicesLen ?? 8)
                    }
                }
            }
        }
        let message = String(cString: swiftpool_last_error_message())
        XCTAssertEqual(rc, status(expected), "message: \(message)", file: file, line: line)
        XCTAssertTrue(message.contains(mentions), "message '\(message)' should mention '\(mentions)'", file: file, line: line)
        XCTAssertTrue(output.allSatisfy { $0 == -99 }, "output was written", file: file, line: line)
        XCTAssertTrue(indices.allSatisfy { $0 == -99 }, "indices were written", file: file, line: line)
    }

    func testBadInputMatrix() {
        let big = Int64.max / 2
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "desc", nullDesc: true)
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "input", nullInput: true)
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output", nullOutput: true)
        expectFailure(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output", avg: true, nullOutput: true)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "batch is -1") { $0.batch = -1 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "channels is 0") { $0.channels = 0 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "input_size is 0") { $0.input_size.1 = 0 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "input_size is -3") { $0.input_size.0 = -3 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "kernel_size is 0") { $0.kernel_size.0 = 0 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "stride is 0") { $0.stride.1 = 0 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "dilation is 0") { $0.dilation.0 = 0 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "padding is 2") { $0.padding.0 = 2 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "padding is -1") { $0.padding.1 = -1 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "ceil_mode is 2") { $0.ceil_mode = 2 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags", avg: true) { $0.flags = 1 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "padding_end is -2") { $0.padding_end.0 = -2 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "smaller than kernel_size") { $0.padding_end.0 = 2 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "auto_pad") { $0.auto_pad = 2; $0.padding.0 = 1 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "auto_pad is 4") { $0.auto_pad = 4 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "divisor_override is -1", avg: true) { $0.divisor_override = -1 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "count_include_pad is 3", avg: true) { $0.count_include_pad = 3 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_SHAPE, mentions: "output size is 0") { $0.kernel_size.1 = 5 }
        expectFailure(SWIFTPOOL_ERROR_INVALID_SHAPE, mentions: "output size") { $0.dilation.0 = 4 }
        expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "overflows int64") { $0.input_size = (big, big, 1) }
        expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "overflows int64") { $0.batch = big; $0.channels = 4 }
        expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "overflow int64") { $0.input_size.0 = Int64.max }
        expectFailure(SWIFTPOOL_ERROR_OVERFLOW, mentions: "overflow int64") { $0.dilation.0 = big; $0.kernel_size.0 = 4 }
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "input_len", inputLen: 31)
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "output_len", outputLen: 7)
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "indices_len", indicesLen: 0)
        expectFailure(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "output_len", avg: true, outputLen: 2)
        expectFailure(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "input_len", inputLen: -1)
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 7") { $0.dtype = 7 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "layout 0") { $0.layout = 0 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags") { $0.flags = 1 << 7 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "struct_size") { $0.struct_size = 8 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "spatial_rank is 4") { $0.spatial_rank = 4 }
        expectFailure(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "spatial_rank is 0", avg: true) { $0.spatial_rank = 0 }
    }

    func testOverlappingBuffersAreRejected() {
        var d = makeDesc(rank: 1, input: [8], kernel: [2])
        var buffer = [Float](repeating: 1, count: 16)
        let rc = buffer.withUnsafeMutableBytes { b in
            swiftpool_max_pool_forward(&d, b.baseAddress, 8, b.baseAddress! + 16, 4, nil, 0)
        }
        XCTAssertEqual(rc, status(SWIFTPOOL_ERROR_INVALID_ARGUMENT))
        XCTAssertTrue(String(cString: swiftpool_last_error_message()).contains("overlap"))
    }

    func testBatchZeroIsANoOp() {
        var d = makeDesc(rank: 2, batch: 0, channels: 3, input: [4, 4], kernel: [2, 2])
        var elements: Int64 = -1
        XCTAssertEqual(swiftpool_pool_output_shape(&d, nil, &elements), statusOK)
        XCTAssertEqual(elements, 0)
        var x: Float = 0, y: Float = 42
        XCTAssertEqual(swiftpool_max_pool_forward(&d, &x, 0, &y, 0, nil, 0), statusOK)
        XCTAssertEqual(y, 42)
    }

    func testDescInitAndStatusStrings() {
        var d = swiftpool_pool_desc()
        XCTAssertEqual(swiftpool_pool_desc_init(&d, 3), statusOK)
        XCTAssertEqual(d.struct_size, UInt32(MemoryLayout<swiftpool_pool_desc>.size))
        XCTAssertEqual(d.dilation.2, 1)
        XCTAssertEqual(swiftpool_pool_desc_init(&d, 0), status(SWIFTPOOL_ERROR_UNSUPPORTED))
        XCTAssertEqual(swiftpool_pool_desc_init(nil, 2), status(SWIFTPOOL_ERROR_NULL_POINTER))
        XCTAssertEqual(String(cString: swiftpool_status_string(3)), "SWIFTPOOL_ERROR_INVALID_SHAPE")
        XCTAssertEqual(String(cString: swiftpool_status_string(-5)), "SWIFTPOOL_UNKNOWN_STATUS")
        XCTAssertEqual(String(cString: swiftpool_version_string()),
                       "\(SWIFTPOOL_VERSION_MAJOR).\(SWIFTPOOL_VERSION_MINOR).\(SWIFTPOOL_VERSION_PATCH)")
    }

    /// Messages are per thread: a failure on another thread does not clobber ours.
    func testErrorMessagesAreThreadLocal() {
        var d = makeDesc(rank: 1, input: [4], kernel: [2])
        d.stride.0 = 0
        XCTAssertNotEqual(swiftpool_pool_output_shape(&d, nil, nil), statusOK)
        let mine = String(cString: swiftpool_last_error_message())
        let done = expectation(description: "other thread")
        Thread.detachNewThread {
            var e = makeDesc(rank: 1, input: [4], kernel: [2])
            e.channels = 0
            _ = swiftpool_pool_output_shape(&e, nil, nil)
            XCTAssertTrue(String(cString: swiftpool_last_error_message()).contains("channels"))
            done.fulfill()
        }
        wait(for: [done], timeout: 10)
        XCTAssertEqual(String(cString: swiftpool_last_error_message()), mine)
        XCTAssertTrue(mine.contains("stride is 0"))
    }
}
