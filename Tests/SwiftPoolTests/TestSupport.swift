// Shared helpers: a seeded RNG, random pooling problems, and calls through the C ABI.
import CSwiftPool
import XCTest
@testable import SwiftPool

/// SplitMix64: tiny, seedable, identical on every platform.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The seed of a randomized test: SWIFTPOOL_TEST_SEED when set, else a fixed default.
func testSeed(_ fallback: UInt64) -> UInt64 {
    if let text = ProcessInfo.processInfo.environment["SWIFTPOOL_TEST_SEED"], let seed = UInt64(text) { return seed }
    return fallback
}

let statusOK = Int32(SWIFTPOOL_OK.rawValue)
func status(_ s: swiftpool_status) -> Int32 { Int32(bitPattern: s.rawValue) }

/// A descriptor from Swift arrays (spatial entries outermost first).
func makeDesc(rank: Int, layout: swiftpool_layout = SWIFTPOOL_LAYOUT_NCHW, batch: Int = 1, channels: Int = 1,
              input: [Int], kernel: [Int], stride: [Int]? = nil, padding: [Int]? = nil, dilation: [Int]? = nil,
              ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int = 0,
              paddingEnd: [Int]? = nil, autoPad: swiftpool_auto_pad = SWIFTPOOL_AUTO_PAD_NOTSET, flags: UInt32 = 0,
              dtype: swiftpool_dtype = SWIFTPOOL_DTYPE_FLOAT32) -> swiftpool_pool_desc {
    var d = swiftpool_pool_desc()
    XCTAssertEqual(swiftpool_pool_desc_init(&d, Int32(rank)), statusOK)
    // Entries past the rank are ignored by the library; fill them with defaults.
    func tuple(_ a: [Int], fill: Int64 = 1) -> (Int64, Int64, Int64) {
        let p = a.map(Int64.init) + [fill, fill, fill]
        return (p[0], p[1], p[2])
    }
    d.layout = Int32(layout.rawValue)
    d.batch = Int64(batch)
    d.channels = Int64(channels)
    d.input_size = tuple(input)
    d.kernel_size = tuple(kernel)
    d.stride = tuple(stride ?? kernel)
    d.padding = tuple(padding ?? [], fill: 0)
    d.dilation = tuple(dilation ?? Array(repeating: 1, count: rank))
    d.ceil_mode = ceilMode ? 1 : 0
    d.count_include_pad = countIncludePad ? 1 : 0
    d.divisor_override = Int64(divisorOverride)
    d.padding_end = tuple(paddingEnd ?? [], fill: -1)
    d.auto_pad = Int32(autoPad.rawValue)
    d.flags = flags
    d.dtype = Int32(dtype.rawValue)
    return d
}

/// A random valid problem: ranks 1-3, both layouts, channel counts around SIMD widths,
/// PyTorch and ONNX (asymmetric, auto_pad) padding, dilation, ceil_mode, 1x1 and
/// whole-input kernels, batch 0, NaN rules and index layouts (max).
func randomDesc(_ rng: inout SeededRNG, average: Bool, dtype: swiftpool_dtype = SWIFTPOOL_DTYPE_FLOAT32) -> swiftpool_pool_desc {
    while true {
        let rank = Int.random(in: 1...3, using: &rng)
        let maxSize = rank == 3 ? 7 : rank == 2 ? 11 : 19
        var input: [Int] = [], kernel: [Int] = [], stride: [Int] = [], padding: [Int] = [], dilation: [Int] = []
        var paddingEnd: [Int] = []
        let style = Int.random(in: 0..<6, using: &rng)
        // 0: PyTorch symmetric padding, 1: ONNX explicit pads, 2: ONNX auto_pad.
        let padStyle = Int.random(in: 0..<4, using: &rng) % 3
        let autoPad = padStyle == 2 ? swiftpool_auto_pad(rawValue: UInt32(Int.random(in: 1...3, using: &rng))) : SWIFTPOOL_AUTO_PAD_NOTSET
        for _ in 0..<rank {
            let size = Int.random(in: 1...maxSize, using: &rng)
            input.append(size)
            let k = style == 0 ? 1 : style == 1 ? size : Int.random(in: 1...min(size + 1, 5), using: &rng)
            kernel.append(k)
            stride.append(Int.random(in: 1...3, using: &rng))
            switch padStyle {
            case 0: padding.append(Int.random(in: 0...(k / 2), using: &rng)); paddingEnd.append(-1)
            case 1: padding.append(Int.random(in: 0..<k, using: &rng)); paddingEnd.append(Int.random(in: 0..<k, using: &rng))
            default: padding.append(0); paddingEnd.append(-1)
            }
            dilation.append(Int.random(in: 0..<3, using: &rng) == 0 ? Int.random(in: 2...3, using: &rng) : 1)
        }
        let channels = [1, 2, 3, 7, 8, 9, 16, 17].randomElement(using: &rng)!
        let batch = Int.random(in: 0..<8, using: &rng) == 0 ? 0 : Int.random(in: 1...2, using: &rng)
        let desc = makeDesc(rank: rank, layout: Bool.random(using: &rng) ? SWIFTPOOL_LAYOUT_NCHW : SWIFTPOOL_LAYOUT_NHWC,
                            batch: batch, channels: channels, input: input, kernel: kernel, stride: stride,
                            padding: padding, dilation: dilation, ceilMode: Bool.random(using: &rng),
                            countIncludePad: Bool.random(using: &rng),
                            divisorOverride: average && Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 1...7, using: &rng) : 0,
                            paddingEnd: paddingEnd, autoPad: autoPad,
                            flags: average ? 0 : UInt32(Int.random(in: 0..<8, using: &rng)), dtype: dtype)
        var elements: Int64 = 0
        if swiftpool_pool_output_shape([desc], nil, &elements) == statusOK { return desc }
    }
}

/// Values with many exact ties, and (when `special`) NaNs with distinct payloads and ±inf.
func randomValues<T: BinaryFloatingPoint>(_ count: Int, _ rng: inout SeededRNG, special: Bool, as: T.Type = Float.self) -> [T] {
    (0..<count).map { i in
        let r = Int.random(in: 0..<100, using: &rng)
        if special && r < 4 {
            // A quiet NaN whose payload encodes its position.
            let quiet = T.RawSignificand(1) << (T.significandBitCount - 1)
            return T(sign: .plus, exponentBitPattern: (T.RawExponent(1) << T.exponentBitCount) - 1,
                     significandBitPattern: quiet | T.RawSignificand(i % 1000 + 1))
        }
        if special && r < 7 { return .infinity }
        if special && r < 10 { return -.infinity }
        return T(Int.random(in: -4...4, using: &rng)) / 2
    }
}

/// The bytes of an array: compares floats bit for bit (NaN payloads included).
func bits<T>(_ a: [T]) -> [UInt8] { a.withUnsafeBytes { Array($0) } }

/// Describes a descriptor for failure messages.
func describe(_ d: swiftpool_pool_desc) -> String {
    "dtype \(d.dtype) flags \(d.flags) auto_pad \(d.auto_pad) pad_end \(d.padding_end) rank \(d.spatial_rank) layout \(d.layout) N \(d.batch) C \(d.channels) in \(d.input_size) k \(d.kernel_size) s \(d.stride) p \(d.padding) dil \(d.dilation) ceil \(d.ceil_mode) cip \(d.count_include_pad) div \(d.divisor_override)"
}
