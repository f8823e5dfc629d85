// The index check of max pooling backward (BackwardGeometry.validateBackward):
// every index must be below the input plane's size before anything is written.
// In the kernel families so that the scan vectorises with the family's
// instructions: the baseline core's SSE2 loop (no 32-bit max before SSE4.1) ran
// at 435 us per 12.8 MB of cached indices, AVX2 at 141 (a C loop).
import SwiftPoolKernelABI

enum IndexScan {
    /// An upper bound of p[0 ..< count] read as UInt64. `small` (the caller's limit
    /// is at most 2^31): the maximum when every value lies in [0, 2^31), else
    /// UInt64.max (32-bit lanes; values are first checked to fit); otherwise the
    /// exact maximum.
    @inline(never)
    static func bound(_ p: UnsafePointer<Int64>, _ count: Int, _ small: Bool) -> UInt64 {
        if small {
            var high: UInt64 = 0, m: Int32 = 0
            for q in 0..<count {
                let v = UInt64(bitPattern: p[q])
                high |= v >> 31
                m = Swift.max(m, Int32(truncatingIfNeeded: v))
            }
            return high != 0 ? .max : UInt64(m)
        }
        var m: UInt64 = 0
        for q in 0..<count { m = Swift.max(m, UInt64(bitPattern: p[q])) }
        return m
    }
}
