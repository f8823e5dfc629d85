// Max pooling kernels for the narrow element types: uint8, int8 and float16
// (16 lanes: one 128-bit vector of bytes, or 256 bits of float16). Same blocks
// and arguments as MaxRows (ElementKernels.MaxBlock / MaxBlockChannelsLast).
//
// float16 is compared through an integer key of its bits, so no lane is ever
// converted to float (baseline x86-64 has no float16 instructions):
//     key(b) = b & 0x7FFF for a positive sign, -(b & 0x7FFF) for a negative one,
// which orders every non-NaN float16 as its value does, with key(-0) == key(+0).
// A running maximum keeps its bits (its key is recomputed); a tap replaces it only when its
// key is greater (ties keep the earlier tap, as the reference). A vector of
// outputs that met a NaN tap is recomputed by the exact scalar fold with the NaN
// rule (PyTorch: the last NaN in scan order; fmax: NaN never wins), bit by bit.
// Integers have no NaN: a lane-wise max is the reference's fold exactly.
//
// Bitwise contract, as MaxRows: every output folds its taps in scan order from the
// first one. With indices, everything runs the exact scalar fold (argmax
// positions as the reference).
import SwiftPoolKernelABI

/// A narrow element type with 16-lane max steps.
protocol NarrowMaxElement {
    /// 16 raw lanes (bits, as Int16, for float16).
    associatedtype Raw
    /// A running maximum of 16 lanes (and whatever the exactness check needs).
    associatedtype State

    static func load(_ p: UnsafePointer<Self>) -> Raw
    /// p[0], p[2], ..., p[30]; reads p[0 ..< 32].
    static func loadEven(_ p: UnsafePointer<Self>) -> Raw
    /// p[1], p[3], ..., p[31]; reads p[0 ..< 32] (the same loads as loadEven(p)).
    static func loadOdd(_ p: UnsafePointer<Self>) -> Raw
    static func store(_ v: Raw, _ p: UnsafeMutablePointer<Self>)
    static func begin(_ v: Raw) -> State
    /// The fast step: exact unless a NaN was met (see `exact`).
    static func step(_ s: inout State, _ v: Raw)
    static func value(_ s: State) -> Raw
    /// Whether no lane met a NaN (the fast steps were exact).
    static func exact(_ s: State) -> Bool

    /// Stride-2 rows: 16 lanes of a wider integer, each holding one element of a
    /// 32-element load (the even ones, or the odd ones), so that the taps need no
    /// byte shuffles; narrowed once per 16 outputs.
    /// Whether stride-2 rows take the wide lanes (faster for bytes; float16's
    /// 32-bit lanes measured slower than its 16-bit shuffles).
    static var wideStride2: Bool { get }
    associatedtype Wide
    associatedtype WideState
    /// p[0], p[2], ..., p[30], widened; reads p[0 ..< 32].
    static func loadEvenWide(_ p: UnsafePointer<Self>) -> Wide
    /// p[1], p[3], ..., p[31], widened; reads p[0 ..< 32].
    static func loadOddWide(_ p: UnsafePointer<Self>) -> Wide
    static func beginWide(_ v: Wide) -> WideState
    static func stepWide(_ s: inout WideState, _ v: Wide)
    static func exactWide(_ s: WideState) -> Bool
    static func storeWide(_ s: WideState, _ p: UnsafeMutablePointer<Self>)

    /// Sixteen undilated 2x2 stride-2 windows (VGG's pool): output j is the max
    /// of a[2j], a[2j+1], b[2j], b[2j+1] in that (scan) order, in wide lanes;
    /// reads a[0 ..< 32] and b[0 ..< 32], exactly the taps. Returns false,
    /// storing nothing, when a NaN was met (the caller then runs the exact fold).
    /// Each type's own (concrete) copy: a generic one was not inlined, and the
    /// call per 16 outputs cost uint8 a quarter of its time.
    static func max2x2(_ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>, _ out: UnsafeMutablePointer<Self>) -> Bool
    /// Whether 2x2 stride-2 rows take max2x2 (where it measured faster).
    static var pairs2x2: Bool { get }

    /// Scalar forms, for edges and the exact fallback.
    static func isNaN(_ x: Self) -> Bool
    /// x > y for non-NaN x and y (as values).
    static func greater(_ x: Self, _ y: Self) -> Bool
}

/// The NaN rule of the exact fold, mirroring VectorMaxRule's two rules.
protocol NarrowMaxRule {
    static func replaces<T: NarrowMaxElement>(_ candidate: T, _ current: T) -> Bool
}

/// PyTorch: a larger value or any NaN replaces the maximum.
enum PropagateNaNNarrow: NarrowMaxRule {
    @inline(__always)
    static func replaces<T: NarrowMaxElement>(_ candidate: T, _ current: T) -> Bool {
        if T.isNaN(candidate) { return true }
        return !T.isNaN(current) && T.greater(candidate, current)
    }
}

/// fmax: NaN never beats a number; a NaN maximum is replaced by anything.
enum IgnoreNaNNarrow: NarrowMaxRule {
    @inline(__always)
    static func replaces<T: NarrowMaxElement>(_ candidate: T, _ current: T) -> Bool {
        if T.isNaN(current) { return true }
        return !T.isNaN(candidate) && T.greater(candidate, current)
    }
}

extension UInt8: NarrowMaxElement {
    typealias Raw = SIMD16<UInt8>
    typealias State = SIMD16<UInt8>

    @inline(__always) static func load(_ p: UnsafePointer<UInt8>) -> Raw { UnsafeRawPointer(p).loadUnaligned(as: Raw.self) }
    @inline(__always)
    static func loadEven(_ p: UnsafePointer<UInt8>) -> Raw {
        // Element-wise construction from one wide load: a single shuffle (the
        // generic truncating conversion compiles lane by lane).
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD32<UInt8>.self)
        return Raw(v[0], v[2], v[4], v[6], v[8], v[10], v[12], v[14],
                   v[16], v[18], v[20], v[22], v[24], v[26], v[28], v[30])
    }
    @inline(__always)
    static func loadOdd(_ p: UnsafePointer<UInt8>) -> Raw {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD32<UInt8>.self)
        return Raw(v[1], v[3], v[5], v[7], v[9], v[11], v[13], v[15],
                   v[17], v[19], v[21], v[23], v[25], v[27], v[29], v[31])
    }
    @inline(__always)
    static func store(_ v: Raw, _ p: UnsafeMutablePointer<UInt8>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Raw.self) }
    @inline(__always) static func begin(_ v: Raw) -> State { v }
    @inline(__always) static func step(_ s: inout State, _ v: Raw) { s.replace(with: v, where: v .> s) }
    @inline(__always) static func value(_ s: State) -> Raw { s }
    @inline(__always) static func exact(_ s: State) -> Bool { true }
    static var wideStride2: Bool { true }
    typealias Wide = SIMD16<Int16>
    typealias WideState = SIMD16<Int16>
    @inline(__always)
    static func loadEvenWide(_ p: UnsafePointer<UInt8>) -> Wide { UnsafeRawPointer(p).loadUnaligned(as: Wide.self) & 0xFF }
    @inline(__always)
    static func loadOddWide(_ p: UnsafePointer<UInt8>) -> Wide { (UnsafeRawPointer(p).loadUnaligned(as: Wide.self) &>> 8) & 0xFF }
    @inline(__always) static func beginWide(_ v: Wide) -> WideState { v }
    @inline(__always) static func stepWide(_ s: inout WideState, _ v: Wide) { s.replace(with: v, where: v .> s) }
    @inline(__always) static func exactWide(_ s: WideState) -> Bool { true }
    @inline(__always)
    static func storeWide(_ s: WideState, _ p: UnsafeMutablePointer<UInt8>) {
        for l in 0..<16 { p[l] = UInt8(truncatingIfNeeded: s[l]) }
    }
    @inline(__always)
    static func max2x2(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>) -> Bool {
        var s = beginWide(loadEvenWide(a))
        stepWide(&s, loadOddWide(a))
        stepWide(&s, loadEvenWide(b))
        stepWide(&s, loadOddWide(b))
        guard exactWide(s) else { return false }
        storeWide(s, out)
        return true
    }
    static var pairs2x2: Bool { true }
    @inline(__always) static func isNaN(_ x: UInt8) -> Bool { false }
    @inline(__always) static func greater(_ x: UInt8, _ y: UInt8) -> Bool { x > y }
}

extension Int8: NarrowMaxElement {
    typealias Raw = SIMD16<Int8>
    typealias State = SIMD16<Int8>

    @inline(__always) static func load(_ p: UnsafePointer<Int8>) -> Raw { UnsafeRawPointer(p).loadUnaligned(as: Raw.self) }
    @inline(__always)
    static func loadEven(_ p: UnsafePointer<Int8>) -> Raw {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD32<Int8>.self)
        return Raw(v[0], v[2], v[4], v[6], v[8], v[10], v[12], v[14],
                   v[16], v[18], v[20], v[22], v[24], v[26], v[28], v[30])
    }
    @inline(__always)
    static func loadOdd(_ p: UnsafePointer<Int8>) -> Raw {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD32<Int8>.self)
        return Raw(v[1], v[3], v[5], v[7], v[9], v[11], v[13], v[15],
                   v[17], v[19], v[21], v[23], v[25], v[27], v[29], v[31])
    }
    @inline(__always)
    static func store(_ v: Raw, _ p: UnsafeMutablePointer<Int8>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Raw.self) }
    @inline(__always) static func begin(_ v: Raw) -> State { v }
    @inline(__always) static func step(_ s: inout State, _ v: Raw) { s.replace(with: v, where: v .> s) }
    @inline(__always) static func value(_ s: State) -> Raw { s }
    @inline(__always) static func exact(_ s: State) -> Bool { true }
    static var wideStride2: Bool { true }
    typealias Wide = SIMD16<Int16>
    typealias WideState = SIMD16<Int16>
    @inline(__always)
    static func loadEvenWide(_ p: UnsafePointer<Int8>) -> Wide { (UnsafeRawPointer(p).loadUnaligned(as: Wide.self) &<< 8) &>> 8 }
    @inline(__always)
    static func loadOddWide(_ p: UnsafePointer<Int8>) -> Wide { UnsafeRawPointer(p).loadUnaligned(as: Wide.self) &>> 8 }
    @inline(__always) static func beginWide(_ v: Wide) -> WideState { v }
    @inline(__always) static func stepWide(_ s: inout WideState, _ v: Wide) { s.replace(with: v, where: v .> s) }
    @inline(__always) static func exactWide(_ s: WideState) -> Bool { true }
    @inline(__always)
    static func storeWide(_ s: WideState, _ p: UnsafeMutablePointer<Int8>) {
        for l in 0..<16 { p[l] = Int8(truncatingIfNeeded: s[l]) }
    }
    @inline(__always)
    static func max2x2(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ out: UnsafeMutablePointer<Int8>) -> Bool {
        var s = beginWide(loadEvenWide(a))
        stepWide(&s, loadOddWide(a))
        stepWide(&s, loadEvenWide(b))
        stepWide(&s, loadOddWide(b))
        guard exactWide(s) else { return false }
        storeWide(s, out)
        return true
    }
    static var pairs2x2: Bool { true }
    @inline(__always) static func isNaN(_ x: Int8) -> Bool { false }
    @inline(__always) static func greater(_ x: Int8, _ y: Int8) -> Bool { x > y }
}

extension Float16: NarrowMaxElement {
    typealias Raw = SIMD16<Int16>
    /// Quarters: the running maximum's bits, its order key (kept, not recomputed
    /// from the bits each step: a third fewer operations per step), the largest
    /// magnitude bits met (above 0x7C00: a NaN), and an unused quarter. A
    /// standard-library SIMD type rather than a struct: a struct this size gets a
    /// size-named link-once copy helper, which the families would share
    /// (scripts/check-isa.sh).
    typealias State = SIMD64<Int16>

    @inline(__always) static func load(_ p: UnsafePointer<Float16>) -> Raw { UnsafeRawPointer(p).loadUnaligned(as: Raw.self) }
    @inline(__always)
    static func loadEven(_ p: UnsafePointer<Float16>) -> Raw {
        // Two vector loads, each feeding the shuffle whole (one 64-byte load with
        // half its elements used was narrowed to 16 element loads and inserts).
        let a = UnsafeRawPointer(p).loadUnaligned(as: Raw.self)
        let b = UnsafeRawPointer(p + 16).loadUnaligned(as: Raw.self)
        return Raw(a[0], a[2], a[4], a[6], a[8], a[10], a[12], a[14],
                   b[0], b[2], b[4], b[6], b[8], b[10], b[12], b[14])
    }
    @inline(__always)
    static func loadOdd(_ p: UnsafePointer<Float16>) -> Raw {
        let a = UnsafeRawPointer(p).loadUnaligned(as: Raw.self)
        let b = UnsafeRawPointer(p + 16).loadUnaligned(as: Raw.self)
        return Raw(a[1], a[3], a[5], a[7], a[9], a[11], a[13], a[15],
                   b[1], b[3], b[5], b[7], b[9], b[11], b[13], b[15])
    }
    @inline(__always)
    static func store(_ v: Raw, _ p: UnsafeMutablePointer<Float16>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Raw.self)
    }
    /// Magnitude bits, and the order key (magnitude, negated for a negative sign:
    /// -0 and +0 share key 0, equal as values).
    @inline(__always)
    static func magnitudeAndKey(_ v: Raw) -> (SIMD16<Int16>, SIMD16<Int16>) {
        let magnitude = v & 0x7FFF
        let sign = v &>> 15                    // 0 or -1
        return (magnitude, (magnitude ^ sign) &- sign)
    }
    // Quarters by bit casts (the stdlib's lowHalf / highHalf accessors stay
    // out-of-line link-once specialisations, see State).
    @inline(__always)
    static func parts(_ s: State) -> (Raw, Raw, Raw, Raw) { unsafeBitCast(s, to: (Raw, Raw, Raw, Raw).self) }
    @inline(__always)
    static func join(_ bits: Raw, _ key: Raw, _ largest: Raw) -> State {
        unsafeBitCast((bits, key, largest, largest), to: State.self)
    }
    @inline(__always)
    static func begin(_ v: Raw) -> State {
        let (magnitude, key) = magnitudeAndKey(v)
        return join(v, key, magnitude)
    }
    @inline(__always)
    static func step(_ s: inout State, _ v: Raw) {
        var (bits, current, largest, _) = parts(s)
        let (magnitude, key) = magnitudeAndKey(v)
        largest.replace(with: magnitude, where: magnitude .> largest)
        let later = key .> current
        bits.replace(with: v, where: later)
        current.replace(with: key, where: later)
        s = join(bits, current, largest)
    }
    @inline(__always) static func value(_ s: State) -> Raw { parts(s).0 }
    @inline(__always)
    static func exact(_ s: State) -> Bool {
        // No lane's magnitude above +inf's: sign bits of (0x7C00 - magnitude), OR-ed
        // over the 256 bits (no lane-by-lane loop).
        let negative = (SIMD16<Int16>(repeating: 0x7C00) &- parts(s).2) & Int16.min
        let w = unsafeBitCast(negative, to: SIMD4<UInt64>.self)
        return (w[0] | w[1]) | (w[2] | w[3]) == 0
    }
    static var wideStride2: Bool { false }
    typealias Wide = SIMD16<Int32>
    typealias WideState = SIMD32<Int32>
    @inline(__always)
    static func loadEvenWide(_ p: UnsafePointer<Float16>) -> Wide {
        (UnsafeRawPointer(p).loadUnaligned(as: Wide.self) &<< 16) &>> 16
    }
    @inline(__always)
    static func loadOddWide(_ p: UnsafePointer<Float16>) -> Wide { UnsafeRawPointer(p).loadUnaligned(as: Wide.self) &>> 16 }
    /// As magnitudeAndKey, on sign-extended lanes.
    @inline(__always)
    static func magnitudeAndKeyWide(_ v: Wide) -> (Wide, Wide) {
        let magnitude = v & 0x7FFF
        let sign = v &>> 15
        return (magnitude, (magnitude ^ sign) &- sign)
    }
    /// As State, in Int32 lanes (not taken: see wideStride2).
    @inline(__always)
    static func halvesWide(_ s: WideState) -> (Wide, Wide) { unsafeBitCast(s, to: (Wide, Wide).self) }
    @inline(__always)
    static func joinWide(_ low: Wide, _ high: Wide) -> WideState { unsafeBitCast((low, high), to: WideState.self) }
    @inline(__always)
    static func beginWide(_ v: Wide) -> WideState { joinWide(v, v & 0x7FFF) }
    @inline(__always)
    static func stepWide(_ s: inout WideState, _ v: Wide) {
        var (bits, largest) = halvesWide(s)
        let (_, current) = magnitudeAndKeyWide(bits)
        let (magnitude, key) = magnitudeAndKeyWide(v)
        largest.replace(with: magnitude, where: magnitude .> largest)
        bits.replace(with: v, where: key .> current)
        s = joinWide(bits, largest)
    }
    @inline(__always)
    static func exactWide(_ s: WideState) -> Bool {
        let negative = (Wide(repeating: 0x7C00) &- halvesWide(s).1) & Int32.min
        let w = unsafeBitCast(negative, to: SIMD8<UInt64>.self)
        return ((w[0] | w[1]) | (w[2] | w[3])) | ((w[4] | w[5]) | (w[6] | w[7])) == 0
    }
    @inline(__always)
    static func storeWide(_ s: WideState, _ p: UnsafeMutablePointer<Float16>) {
        for l in 0..<16 { p[l] = Float16(bitPattern: UInt16(truncatingIfNeeded: s[l])) }
    }
#if SWIFTPOOL_AVX2
    // The AVX2 family has F16C (Runtime/ISA.swift checks it): 2x2 windows widen
    // to float (vcvtph2ps, exact: every half is a normal float or zero there, so
    // no denormal mode applies), take float max steps and narrow back
    // (vcvtps2ph, exact: each result is one of the taps).
    static var pairs2x2: Bool { true }

    @inline(__always)
    static func widen(_ p: UnsafePointer<Float16>) -> SIMD8<Float> {
        let h = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float16>.self)
        return SIMD8<Float>(Float(h[0]), Float(h[1]), Float(h[2]), Float(h[3]),
                            Float(h[4]), Float(h[5]), Float(h[6]), Float(h[7]))
    }

    @inline(__always)
    static func narrow(_ v: SIMD8<Float>) -> SIMD8<Float16> {
        SIMD8<Float16>(Float16(v[0]), Float16(v[1]), Float16(v[2]), Float16(v[3]),
                       Float16(v[4]), Float16(v[5]), Float16(v[6]), Float16(v[7]))
    }

    /// Eight outputs' scan-order maxima, in the permuted lane order of Float's
    /// loadEvenPermuted ([0, 1, 4, 5, 2, 3, 6, 7]), from 16 halves of each row: the
    /// even and odd taps of a row de-interleaved within 128-bit halves (vshufps),
    /// then one max step per tap (a later tap replaces only a larger one). `ok`
    /// loses the lanes where a tap is NaN. (Pairwise maxima of each row, then of
    /// the two rows, measured 4% slower on 8x128x112x112.)
    @inline(__always)
    static func max2x2Floats(_ a: UnsafePointer<Float16>, _ b: UnsafePointer<Float16>,
                             _ ok: inout SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
        let a0 = widen(a), a1 = widen(a + 8), b0 = widen(b), b1 = widen(b + 8)
        let ea = SIMD8<Float>(a0[0], a0[2], a1[0], a1[2], a0[4], a0[6], a1[4], a1[6])
        let oa = SIMD8<Float>(a0[1], a0[3], a1[1], a1[3], a0[5], a0[7], a1[5], a1[7])
        let eb = SIMD8<Float>(b0[0], b0[2], b1[0], b1[2], b0[4], b0[6], b1[4], b1[6])
        let ob = SIMD8<Float>(b0[1], b0[3], b1[1], b1[3], b0[5], b0[7], b1[5], b1[7])
        ok = ok .& ((ea .== ea) .& (oa .== oa)) .& ((eb .== eb) .& (ob .== ob))
        let m1 = ea.replacing(with: oa, where: oa .> ea)
        let m2 = m1.replacing(with: eb, where: eb .> m1)
        return m2.replacing(with: ob, where: ob .> m2)
    }

    @inline(__always)
    static func max2x2(_ a: UnsafePointer<Float16>, _ b: UnsafePointer<Float16>, _ out: UnsafeMutablePointer<Float16>) -> Bool {
        var ok = SIMDMask<SIMD8<Int32>>(repeating: true)
        let r0 = max2x2Floats(a, b, &ok)
        let r1 = max2x2Floats(a + 16, b + 16, &ok)
        guard all(ok) else { return false }
        let low = SIMD8<Float>(r0[0], r0[1], r0[4], r0[5], r0[2], r0[3], r0[6], r0[7])
        let high = SIMD8<Float>(r1[0], r1[1], r1[4], r1[5], r1[2], r1[3], r1[6], r1[7])
        let o = UnsafeMutableRawPointer(out)
        o.storeBytes(of: narrow(low), as: SIMD8<Float16>.self)
        o.storeBytes(of: narrow(high), toByteOffset: 16, as: SIMD8<Float16>.self)
        return true
    }
#else
    // Baseline x86-64 has no float16 conversions: its wide lanes measured slower
    // than the loop, so max2x2 is not taken.
    static var pairs2x2: Bool { false }

    @inline(__always)
    static func max2x2(_ a: UnsafePointer<Float16>, _ b: UnsafePointer<Float16>, _ out: UnsafeMutablePointer<Float16>) -> Bool {
        var s = beginWide(loadEvenWide(a))
        stepWide(&s, loadOddWide(a))
        stepWide(&s, loadEvenWide(b))
        stepWide(&s, loadOddWide(b))
        guard exactWide(s) else { return false }
        storeWide(s, out)
        return true
    }
#endif
    @inline(__always) static func isNaN(_ x: Float16) -> Bool { x.bitPattern & 0x7FFF > 0x7C00 }
    @inline(__always)
    static func greater(_ x: Float16, _ y: Float16) -> Bool { key(x.bitPattern) > key(y.bitPattern) }
    @inline(__always)
    static func key(_ b: UInt16) -> Int16 {
        let magnitude = Int16(b & 0x7FFF)
        return b & 0x8000 != 0 ? -magnitude : magnitude
    }
}

enum NarrowMaxRows {
    static let lanes = 16

    /// A channels-first block (see MaxRows.channelsFirstBlock).
    @inline(never)
    static func channelsFirstBlock<T: NarrowMaxElement, R: NarrowMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ shape: RunShape,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        for p in 0..<shape.planes {
            for r in 0..<shape.rows {
                let input = p &* shape.planeStride &+ r &* shape.rowStride
                let output = p &* shape.outPlaneStride &+ r &* shape.outRowStride
                channelsFirstRow(src + input, grid, shape.count, shape.stride, dst + output,
                                 indices.map { $0 + output }, position &+ r &* shape.rowStride, T.self, R.self)
            }
        }
    }

    /// One row of `count` outputs, windows `stride` positions apart. Stride 1 and 2
    /// run 16 outputs per vector (the last vector overlaps the previous one; at
    /// stride 2, when the loads would read one element past their last tap, the last
    /// output is scalar so that nothing past the row's last window is read).
    @inline(__always)
    static func channelsFirstRow<T: NarrowMaxElement, R: NarrowMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ count: Int, _ stride: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        // At stride 2, a tap row whose last offset is even is read by loadEven at that
        // offset, one element past the last window's tap: the last output is then
        // scalar. Rows all ending at odd offsets (2-wide windows on even-width rows)
        // are read exactly, every output by vectors.
        let lastW = (grid.countW &- 1) &* grid.stepW
        let exactReads = lastW & 1 == 1 && (grid.countH == 1 || grid.stepH & 1 == 0)
            && (grid.countD == 1 || grid.stepD & 1 == 0)
        let vectorEnd = stride == 1 ? count : stride == 2 ? (exactReads ? count : count &- 1) : 0
        // Undilated 2x2 stride-2 windows (VGG's pool): the four taps unrolled, each
        // load exactly its taps, so every output is a vector's whatever the row
        // parity (max2x2; float16 only in the AVX2 family).
        if T.pairs2x2 && indices == nil && stride == 2 && count >= lanes && grid.countD == 1
            && grid.countH == 2 && grid.countW == 2 && grid.stepW == 1 {
            let below = grid.stepH
            var j = 0
            while j < count {
                let j0 = Swift.min(j, count &- lanes)
                let w = src + 2 &* j0
                if !T.max2x2(w, w + below, dst + j0) {
                    scalar(src, grid, j0..<(j0 &+ lanes), 2, dst, nil, position, T.self, R.self)
                }
                j = j0 &+ lanes
            }
            return
        }
        if indices == nil && vectorEnd >= lanes {
            var j = 0
            while j < vectorEnd {
                let j0 = Swift.min(j, vectorEnd &- lanes)
                if stride == 1 {
                    vector(src + j0, grid, dst + j0, T.self, R.self, laneStride: 1, load: T.load)
                } else if T.wideStride2 {
                    vectorWide(src + 2 &* j0, grid, dst + j0, T.self, R.self)
                } else {
                    vectorStride2(src + 2 &* j0, grid, dst + j0, T.self, R.self)
                }
                j = j0 &+ lanes
            }
            scalar(src, grid, vectorEnd..<count, stride, dst, nil, position, T.self, R.self)
            return
        }
        scalar(src, grid, 0..<count, stride, dst, indices, position, T.self, R.self)
    }

    /// 16 outputs whose first taps are `load(w)`'s lanes (`laneStride` elements
    /// apart); taps at grid offsets. Lanes that met a NaN: the exact fold.
    @inline(__always)
    static func vector<T: NarrowMaxElement, R: NarrowMaxRule>(
        _ w: UnsafePointer<T>, _ grid: TapGrid, _ out: UnsafeMutablePointer<T>, _: T.Type, _: R.Type,
        laneStride: Int, load: (UnsafePointer<T>) -> T.Raw
    ) {
        var s = T.begin(load(w))
        for off in TapOffsets(grid, skipFirst: true) { T.step(&s, load(w + off)) }
        if T.exact(s) {
            T.store(T.value(s), out)
        } else {
            scalar(w, grid, 0..<lanes, laneStride, out, nil, 0, T.self, R.self)
        }
    }

    /// Every stride-2 tap of a vector's windows after the first (the even lanes at
    /// offset 0, which the caller begins with), in scan order: tap offset off is
    /// tap(false, off), the even lanes of a load at off (off even), or tap(true,
    /// off - 1), the odd lanes of a load at off - 1 (off odd). 2- and 3-wide
    /// undilated rows are unrolled, so that a row's even and odd taps share their
    /// loads (a loop over the taps loaded and branched per tap).
    @inline(__always)
    static func laterStride2Taps(_ grid: TapGrid, _ tap: (_ odd: Bool, _ p: Int) -> Void) {
        if grid.stepW == 1 && (grid.countW == 2 || grid.countW == 3) {
            let three = grid.countW == 3
            tap(true, 0)
            if three { tap(false, 2) }
            for b in LaterRows(grid) {
                if b & 1 == 0 {
                    tap(false, b)
                    tap(true, b)
                    if three { tap(false, b &+ 2) }
                } else {
                    tap(true, b &- 1)
                    tap(false, b &+ 1)
                    if three { tap(true, b &+ 1) }
                }
            }
            return
        }
        for off in TapOffsets(grid, skipFirst: true) {
            if off & 1 == 0 { tap(false, off) } else { tap(true, off &- 1) }
        }
    }

    /// 16 stride-2 outputs, as vectorWide in 16-bit lanes: tap offset `off` is
    /// loadEven(w + off) (off even) or loadOdd(w + off - 1) (off odd). Loads only
    /// at even offsets: with loadEven(w + 1) for odd taps, the compiler merged the
    /// overlapping loads into 16 element loads and inserts per vector (float16
    /// 2x2 stride-2 NCHW ran at a third of copy bandwidth).
    @inline(__always)
    static func vectorStride2<T: NarrowMaxElement, R: NarrowMaxRule>(
        _ w: UnsafePointer<T>, _ grid: TapGrid, _ out: UnsafeMutablePointer<T>, _: T.Type, _: R.Type
    ) {
        // A plain loop over the taps: unrolled rows (laterStride2Taps) measured 1.2x
        // (2x2) to 1.3x (3x3) slower here, as the compiler merged the loads again.
        var s = T.begin(T.loadEven(w))
        for off in TapOffsets(grid, skipFirst: true) {
            T.step(&s, off & 1 == 0 ? T.loadEven(w + off) : T.loadOdd(w + (off &- 1)))
        }
        if T.exact(s) {
            T.store(T.value(s), out)
        } else {
            scalar(w, grid, 0..<lanes, 2, out, nil, 0, T.self, R.self)
        }
    }

    /// 16 stride-2 outputs: tap offset `off` is the even elements of a load at
    /// off (off even) or the odd ones of a load at off - 1 (off odd), so no load
    /// starts before the first window or ends past the 16th window's last tap + 1.
    @inline(__always)
    static func vectorWide<T: NarrowMaxElement, R: NarrowMaxRule>(
        _ w: UnsafePointer<T>, _ grid: TapGrid, _ out: UnsafeMutablePointer<T>, _: T.Type, _: R.Type
    ) {
        var s = T.beginWide(T.loadEvenWide(w))
        laterStride2Taps(grid) { odd, p in T.stepWide(&s, odd ? T.loadOddWide(w + p) : T.loadEvenWide(w + p)) }
        if T.exactWide(s) {
            T.storeWide(s, out)
        } else {
            scalar(w, grid, 0..<lanes, 2, out, nil, 0, T.self, R.self)
        }
    }

    /// The exact fold of outputs `range` of a channels-first row: output j's first
    /// tap at src[j*stride], taps at grid offsets, in scan order from the first.
    @inline(never)
    static func scalar<T: NarrowMaxElement, R: NarrowMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ range: Range<Int>, _ stride: Int,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        for j in range {
            let w = src + j &* stride
            var m = w[0], best = 0
            for off in TapOffsets(grid, skipFirst: true) where R.replaces(w[off], m) {
                m = w[off]
                best = off
            }
            dst[j] = m
            indices?[j] = Int64(position &+ j &* stride &+ best)
        }
    }

    /// A channels-last block (see MaxRows.channelsLastBlock): lanes are channels,
    /// 16 at a time; a channel count that is not a multiple of 16 ends with an
    /// overlapping vector, one below 16 (or indices) is scalar.
    @inline(never)
    static func channelsLastBlock<T: NarrowMaxElement, R: NarrowMaxRule>(
        _ src: UnsafePointer<T>, _ grid: TapGrid, _ channels: Int, _ shape: RunShape,
        _ dst: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>?, _ position: Int,
        _: T.Type, _: R.Type
    ) {
        let C = channels
        let elementGrid = TapGrid(countD: grid.countD, countH: grid.countH, countW: grid.countW,
                                  stepD: grid.stepD &* C, stepH: grid.stepH &* C, stepW: grid.stepW &* C)
        for p in 0..<shape.planes {
            for r in 0..<shape.rows {
                for j in 0..<shape.count {
                    let window = p &* shape.planeStride &+ r &* shape.rowStride &+ j &* shape.stride
                    let output = (p &* shape.outPlaneStride &+ r &* shape.outRowStride &+ j) &* C
                    let w = src + window &* C, out = dst + output
                    if indices == nil && C >= lanes {
                        var c0 = 0
                        while c0 < C {
                            let c = Swift.min(c0, C &- lanes)
                            vectorChannels(w + c, elementGrid, out + c, T.self, R.self)
                            c0 = c &+ lanes
                        }
                    } else {
                        let pos = position &+ r &* shape.rowStride &+ j &* shape.stride
                        for c in 0..<C {
                            let wc = w + c
                            var m = wc[0], best = 0
                            var positions = TapOffsets(grid, skipFirst: true)
                            for element in TapOffsets(elementGrid, skipFirst: true) {
                                let off = positions.next()!
                                if R.replaces(wc[element], m) {
                                    m = wc[element]
                                    best = off
                                }
                            }
                            out[c] = m
                            indices?[output &+ c] = Int64(pos &+ best)
                        }
                    }
                }
            }
        }
    }

    /// 16 channels of one output over every tap (element offsets).
    @inline(__always)
    static func vectorChannels<T: NarrowMaxElement, R: NarrowMaxRule>(
        _ w: UnsafePointer<T>, _ elementGrid: TapGrid, _ out: UnsafeMutablePointer<T>, _: T.Type, _: R.Type
    ) {
        var s = T.begin(T.load(w))
        if elementGrid.countD == 1 && elementGrid.countH == 2 && elementGrid.countW == 2 {
            // 2x2 windows (VGG's pool), the taps unrolled: the tap iterator's loop cost
            // float16 8x128x112x112 k2 s2 channels-last a fifth of its time.
            let h = elementGrid.stepH, v = elementGrid.stepW
            T.step(&s, T.load(w + v))
            T.step(&s, T.load(w + h))
            T.step(&s, T.load(w + (h &+ v)))
        } else {
            for off in TapOffsets(elementGrid, skipFirst: true) { T.step(&s, T.load(w + off)) }
        }
        if T.exact(s) {
            T.store(T.value(s), out)
            return
        }
        for k in 0..<lanes {
            let wc = w + k
            var m = wc[0]
            for off in TapOffsets(elementGrid, skipFirst: true) where R.replaces(wc[off], m) { m = wc[off] }
            out[k] = m
        }
    }
}

/// The max kernels of one narrow element type, for ElementKernels.
func narrowMaxKernels<T: NarrowMaxElement>(_: T.Type) -> NarrowMaxKernels<T> {
    NarrowMaxKernels(
        channelsFirst: ({ NarrowMaxRows.channelsFirstBlock($0, $1, $2, $3, $4, $5, T.self, PropagateNaNNarrow.self) },
                        { NarrowMaxRows.channelsFirstBlock($0, $1, $2, $3, $4, $5, T.self, IgnoreNaNNarrow.self) }),
        channelsLast: ({ NarrowMaxRows.channelsLastBlock($0, $1, $2, $3, $4, $5, $6, T.self, PropagateNaNNarrow.self) },
                       { NarrowMaxRows.channelsLastBlock($0, $1, $2, $3, $4, $5, $6, T.self, IgnoreNaNNarrow.self) }))
}
