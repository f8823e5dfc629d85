// Bad-input matrices of max unpooling, fractional and ROI max pooling: each bad
// argument returns its exact status, a message naming it, and writes nothing.
import CSwiftPool
import XCTest
@testable import SwiftPool

final class UnpoolFractionalRoiValidationTests: XCTestCase {
    let sentinel: Float = -99

    func check(_ rc: Int32, _ expected: swiftpool_status, mentions: String, untouched: [[Float]], _ idx: [[Int64]] = [],
               file: StaticString, line: UInt) {
        let message = String(cString: swiftpool_last_error_message())
        XCTAssertEqual(rc, status(expected), "message: \(message)", file: file, line: line)
        XCTAssertTrue(mentions.isEmpty ? message.isEmpty : message.contains(mentions), "message '\(message)' should mention '\(mentions)'", file: file, line: line)
        for buffer in untouched { XCTAssertTrue(buffer.allSatisfy { $0 == sentinel }, "output was written", file: file, line: line) }
        for buffer in idx { XCTAssertTrue(buffer.allSatisfy { $0 == -99 }, "indices were written", file: file, line: line) }
    }

    // MARK: - Max unpooling: x (1, 2, 2, 2), indices per plane in [0, 16)

    func expectUnpool(_ expected: swiftpool_status, mentions: String, outputSize: [Int64]? = nil,
                      indices: [Int64] = [0, 5, 10, 15, 0, 5, 10, 15], inputLen: Int64 = 8, indicesLen: Int64 = 8,
                      outputLen: Int64 = 32, nullDesc: Bool = false, nullInput: Bool = false, nullIndices: Bool = false,
                      nullOutput: Bool = false, _ mutate: (inout swiftpool_pool_desc) -> Void = { _ in },
                      file: StaticString = #filePath, line: UInt = #line) {
        var d = makeDesc(rank: 2, channels: 2, input: [2, 2], kernel: [2, 2])
        mutate(&d)
        let x = [Float](repeating: 1, count: 64)
        var out = [Float](repeating: sentinel, count: 64)
        var shape: [Int64] = [-99, -99, -99]
        let rc = withUnsafePointer(to: d) { dp in
            outputSize.withOptionalPointer { size in
                out.withUnsafeMutableBytes { dst in
                    swiftpool_max_unpool_forward(nullDesc ? nil : dp, size, nullInput ? nil : x, inputLen,
                                                 nullIndices ? nil : indices, indicesLen,
                                                 nullOutput ? nil : dst.baseAddress, outputLen)
                }
            }
        }
        check(rc, expected, mentions: mentions, untouched: [out], file: file, line: line)
        // The shape query agrees on every non-buffer error.
        if !["input", "indices[", "output_len", "indices_len", "overlap"].contains(where: { mentions.hasPrefix($0) }) && !nullInput && !nullIndices && !nullOutput {
            let src = withUnsafePointer(to: d) { dp in
                outputSize.withOptionalPointer { swiftpool_max_unpool_output_shape(nullDesc ? nil : dp, $0, &shape, nil) }
            }
            XCTAssertEqual(src, status(expected), "output_shape: " + String(cString: swiftpool_last_error_message()), file: file, line: line)
            XCTAssertEqual(shape, [-99, -99, -99], "output_shape wrote its result", file: file, line: line)
        }
    }

    func testUnpoolBadInputMatrix() {
        let big = Int64.max / 2
        expectUnpool(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "desc is NULL", nullDesc: true)
        expectUnpool(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "input is NULL", nullInput: true)
        expectUnpool(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "indices is NULL", nullIndices: true)
        expectUnpool(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output is NULL", nullOutput: true)
        // Out-of-range indices: position and value named; nothing written even though
        // the earlier indices were fine.
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "indices[6] (n 0, c 1, h 1, w 0) is 16, outside the output's valid range [0, 16)",
                     indices: [0, 5, 10, 15, 0, 5, 16, 15])
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "indices[0] (n 0, c 0, h 0, w 0) is -1",
                     indices: [-1, 5, 10, 15, 0, 5, 10, 15])
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "indices[7] (n 0, c 1, h 1, w 1) is 32, outside the output's valid range [0, 32)",
                     indices: [0, 5, 10, 15, 16, 21, 26, 32]) { $0.flags = UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL) }
        // NHWC names (n, c, spatial) from the channels-last position: element 3 is c 1 of (h 0, w 1).
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "indices[3] (n 0, c 1, h 0, w 1) is 99",
                     indices: [0, 5, 10, 99, 0, 5, 10, 15]) { $0.layout = Int32(SWIFTPOOL_LAYOUT_NHWC.rawValue) }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "dilation is 2") { $0.dilation.1 = 2 }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "ceil_mode is 1") { $0.ceil_mode = 1 }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "auto_pad is 1") { $0.auto_pad = 1 }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "kernel_size is 0") { $0.kernel_size.0 = 0 }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "stride is 0") { $0.stride.1 = 0 }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "padding is -1") { $0.padding.0 = -1 }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "padding_end is -2") { $0.padding_end.1 = -2 }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "output_size is 0", outputSize: [4, 0])
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "channels is 0") { $0.channels = 0 }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "batch is -1") { $0.batch = -1 }
        expectUnpool(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "input_size is 0") { $0.input_size.1 = 0 }
        // (2 - 1) * 2 - 2 - 2 + 2 = 0.
        expectUnpool(SWIFTPOOL_ERROR_INVALID_SHAPE, mentions: "output size is 0") { $0.padding = (2, 2, 0) ; $0.kernel_size = (2, 2, 1) }
        expectUnpool(SWIFTPOOL_ERROR_OVERFLOW, mentions: "overflows int64") { $0.stride.0 = Int64.max }
        expectUnpool(SWIFTPOOL_ERROR_OVERFLOW, mentions: "output size", outputSize: [big, 4])
        expectUnpool(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "input_len", inputLen: 7)
        expectUnpool(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "indices_len", indicesLen: 7)
        expectUnpool(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "output_len", outputLen: 31)
        expectUnpool(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 9") { $0.dtype = 9 }
        expectUnpool(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "layout 3") { $0.layout = 3 }
        expectUnpool(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags") { $0.flags = UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) }
        expectUnpool(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "spatial_rank is 4") { $0.spatial_rank = 4 }
        expectUnpool(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "struct_size") { $0.struct_size = 12 }
    }

    func testUnpoolOverlapAndShapes() {
        var d = makeDesc(rank: 1, input: [2], kernel: [2])
        var buffer = [Float](repeating: 0, count: 8)
        let rc = buffer.withUnsafeMutableBytes { b in
            swiftpool_max_unpool_forward(&d, nil, b.baseAddress, 2, [0, 1], 2, b.baseAddress! + 4, 4)
        }
        XCTAssertEqual(rc, status(SWIFTPOOL_ERROR_INVALID_ARGUMENT))
        XCTAssertTrue(String(cString: swiftpool_last_error_message()).contains("overlap"))
        // Shapes checked with torch 2.13: max_unpool2d(k 2) of 2x2 -> 4x4; ONNX pads [1,0,0,1]
        // (begin H, W, end H, W) -> 3x3 (ONNX Runtime 1.32); max_unpool3d(k 2) of 1x1x1 -> 2x2x2.
        var shape: [Int64] = [0, 0, 0]
        var elements: Int64 = 0
        var d2 = makeDesc(rank: 2, batch: 2, channels: 3, input: [2, 2], kernel: [2, 2])
        XCTAssertEqual(swiftpool_max_unpool_output_shape(&d2, nil, &shape, &elements), statusOK)
        XCTAssertEqual(Array(shape.prefix(2)), [4, 4]); XCTAssertEqual(elements, 96)
        var onnx = makeDesc(rank: 2, input: [2, 2], kernel: [2, 2], padding: [1, 0], paddingEnd: [0, 1])
        XCTAssertEqual(swiftpool_max_unpool_output_shape(&onnx, nil, &shape, nil), statusOK)
        XCTAssertEqual(Array(shape.prefix(2)), [3, 3])
        var d3 = makeDesc(rank: 3, input: [1, 1, 1], kernel: [2, 2, 2])
        XCTAssertEqual(swiftpool_max_unpool_output_shape(&d3, nil, &shape, nil), statusOK)
        XCTAssertEqual(shape, [2, 2, 2])
        XCTAssertEqual(swiftpool_max_unpool_output_shape(&d3, [7, 1, 9], &shape, &elements), statusOK)
        XCTAssertEqual(shape, [7, 1, 9]); XCTAssertEqual(elements, 63)
    }

    // MARK: - Fractional: x (1, 1, 5, 5), kernel 2, output (3, 3)

    func expectFractional(_ expected: swiftpool_status, mentions: String, outputSize: [Int64]? = [3, 3],
                          samples: [Float]? = [0.5, 0.5], samplesLen: Int64? = nil, inputLen: Int64 = 25,
                          outputLen: Int64 = 9, indicesLen: Int64 = 9, nullInput: Bool = false, nullOutput: Bool = false,
                          overlap: Bool = false, _ mutate: (inout swiftpool_pool_desc) -> Void = { _ in },
                          file: StaticString = #filePath, line: UInt = #line) {
        var d = makeDesc(rank: 2, input: [5, 5], kernel: [2, 2])
        mutate(&d)
        let x = [Float](repeating: 1, count: 64)
        var out = [Float](repeating: sentinel, count: 64)
        var idx = [Int64](repeating: -99, count: 64)
        let rc = outputSize.withOptionalPointer { size in
            samples.withOptionalBytes { sp in
                x.withUnsafeBytes { src in out.withUnsafeMutableBytes { dst in
                    idx.withUnsafeMutableBytes { ip in
                        swiftpool_fractional_max_pool_forward(&d, size, sp, samplesLen ?? Int64(samples?.count ?? 0), 7,
                                                              nullInput ? nil : (overlap ? UnsafeRawPointer(dst.baseAddress) : src.baseAddress), inputLen,
                                                              nullOutput ? nil : dst.baseAddress, outputLen,
                                                              ip.baseAddress?.assumingMemoryBound(to: Int64.self), indicesLen)
                    }
                }}
            }
        }
        check(rc, expected, mentions: mentions, untouched: [out], [idx], file: file, line: line)
    }

    func testFractionalBadInputMatrix() {
        expectFractional(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output_size is NULL", outputSize: nil)
        expectFractional(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "input is NULL", nullInput: true)
        expectFractional(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output is NULL", nullOutput: true)
        expectFractional(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "samples[1] (n 0, c 0, axis H) is 1.0, must be finite and in [0, 1)",
                         samples: [0.5, 1])
        expectFractional(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "samples[0] (n 0, c 0, axis W) is -0.25", samples: [-0.25, 0.5])
        expectFractional(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "samples[0] (n 0, c 0, axis W) is nan", samples: [.nan, 0.5])
        expectFractional(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "is inf", samples: [0, .infinity])
        expectFractional(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "samples is NULL but samples_len is 2", samples: nil, samplesLen: 2)
        expectFractional(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "kernel_size is 0") { $0.kernel_size.1 = 0 }
        expectFractional(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "output_size is 0", outputSize: [0, 3])
        expectFractional(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "overlap", overlap: true)
        // 5 - 2 + 1 = 4 windows at most.
        expectFractional(SWIFTPOOL_ERROR_INVALID_SHAPE, mentions: "output_size 5 + kernel_size 2 - 1 exceeds input_size 5", outputSize: [3, 5])
        expectFractional(SWIFTPOOL_ERROR_OVERFLOW, mentions: "overflows int64") { $0.batch = Int64.max / 2 }
        expectFractional(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "samples_len", samplesLen: 1)
        expectFractional(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "input_len", inputLen: 24)
        expectFractional(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "output_len", outputLen: 8)
        expectFractional(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "indices_len", indicesLen: 8)
        expectFractional(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "spatial_rank is 1, expected 2, 3") { $0.spatial_rank = 1 }
        expectFractional(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 3 is not supported") { $0.dtype = 3 }
        expectFractional(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags") { $0.flags = UInt32(SWIFTPOOL_FLAG_INDICES_GLOBAL) }
        expectFractional(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "layout 0") { $0.layout = 0 }
    }

    // MARK: - ROI: x (2, 1, 4, 4), output (2, 2)

    func expectRoi(_ expected: swiftpool_status, mentions: String, boxes: [Float] = [0, 0, 0, 3, 3, 1, 1, 1, 2, 2],
                   numBoxes: Int64 = 2, boxesLen: Int64? = nil, outputSize: [Int64]? = [2, 2], scale: Double = 1,
                   inputLen: Int64 = 32, outputLen: Int64 = 8, argmaxLen: Int64 = 8, nullBoxes: Bool = false,
                   _ mutate: (inout swiftpool_pool_desc) -> Void = { _ in },
                   file: StaticString = #filePath, line: UInt = #line) {
        var d = makeDesc(rank: 2, batch: 2, input: [4, 4], kernel: [1, 1])
        mutate(&d)
        let x = [Float](repeating: 1, count: 64)
        var out = [Float](repeating: sentinel, count: 64)
        var arg = [Int64](repeating: -99, count: 64)
        let rc = outputSize.withOptionalPointer { size in
            out.withUnsafeMutableBytes { dst in
                swiftpool_roi_max_pool_forward(&d, nullBoxes ? nil : boxes, numBoxes, boxesLen ?? Int64(boxes.count), size, scale,
                                               x, inputLen, dst.baseAddress, outputLen, &arg, argmaxLen)
            }
        }
        check(rc, expected, mentions: mentions, untouched: [out], [arg], file: file, line: line)
    }

    func testRoiBadInputMatrix() {
        expectRoi(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "boxes is NULL", nullBoxes: true)
        expectRoi(SWIFTPOOL_ERROR_NULL_POINTER, mentions: "output_size is NULL", outputSize: nil)
        // The second box is bad: the first is not written either.
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "boxes[1].batch_index is 2.0, must be in [0, 2)",
                  boxes: [0, 0, 0, 3, 3, 2, 1, 1, 2, 2])
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "boxes[0].batch_index is -1.0", boxes: [-1, 0, 0, 3, 3, 0, 1, 1, 2, 2])
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "boxes[0].batch_index is nan, must be finite", boxes: [.nan, 0, 0, 3, 3, 0, 1, 1, 2, 2])
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "boxes[1].y2 is inf, must be finite", boxes: [0, 0, 0, 3, 3, 1, 1, 1, 2, .infinity])
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "boxes[0].x1 is nan", boxes: [0, .nan, 0, 3, 3, 1, 1, 1, 2, 2])
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "boxes[0].x2 is 1e+10", boxes: [0, 0, 0, 1e10, 3, 1, 1, 1, 2, 2])
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "outside int32", boxes: [0, 0, 0, 3e9, 3, 1, 1, 1, 2, 2], scale: 1)
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "spatial_scale is 0.0", scale: 0)
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "spatial_scale is -0.5", scale: -0.5)
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "spatial_scale is nan", scale: .nan)
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "spatial_scale is 1e+300 (inf in the element type)", scale: 1e300)
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "num_boxes is -1", numBoxes: -1)
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "output_size[1] (pooled_width) is 0", outputSize: [2, 0])
        expectRoi(SWIFTPOOL_ERROR_INVALID_ARGUMENT, mentions: "input_size is 0") { $0.input_size.0 = 0 }
        expectRoi(SWIFTPOOL_ERROR_OVERFLOW, mentions: "overflows int64", outputSize: [Int64.max / 4, 4])
        expectRoi(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "boxes_len", boxesLen: 9)
        expectRoi(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "input_len", inputLen: 31)
        expectRoi(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "output_len", outputLen: 7)
        expectRoi(SWIFTPOOL_ERROR_BUFFER_TOO_SMALL, mentions: "argmax_len", argmaxLen: 7)
        expectRoi(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "spatial_rank is 3, expected 2") { $0.spatial_rank = 3 }
        expectRoi(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "dtype 5 is not supported") { $0.dtype = 5 }
        expectRoi(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "flags") { $0.flags = UInt32(SWIFTPOOL_FLAG_NAN_IGNORE) }
        expectRoi(SWIFTPOOL_ERROR_UNSUPPORTED, mentions: "struct_size") { $0.struct_size = 0 }
        // No boxes: a valid no-op, even with batch 0.
        expectRoi(SWIFTPOOL_OK, mentions: "", boxes: [], numBoxes: 0, inputLen: 0, outputLen: 0, argmaxLen: 0) { $0.batch = 0 }
    }
}
