// Scratch buffers on the calling thread's stack, for kernels and validation that
// need a few KiB per call. withUnsafeTemporaryAllocation puts only requests of up
// to 1 KiB on the stack unconditionally; above that it asks the runtime whether the
// stack has room, which on Linux answers no (or allocates to find out), so a larger
// request became a heap allocation on every call. withStackScratch places requests
// up to `stackScratchLimit` in a C frame (a variable-length array) instead: no heap
// allocation in the call path. Every caller bounds its request (most by 64 KiB).
import _SwiftPoolCPU

/// Largest request placed on the stack; larger ones fall back to
/// withUnsafeTemporaryAllocation (the heap).
public let stackScratchLimit = 128 * 1024

/// Calls `body` with `capacity` uninitialised elements of T, on the stack when they
/// take at most `stackScratchLimit` bytes.
@inlinable @inline(__always)
public func withStackScratch<T, R>(of _: T.Type, capacity: Int,
                                   _ body: (UnsafeMutableBufferPointer<T>) -> R) -> R {
    let count = Swift.max(capacity, 0)
    let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    if overflow || bytes <= 1024 || bytes > stackScratchLimit || MemoryLayout<T>.alignment > 64 {
        return withUnsafeTemporaryAllocation(of: T.self, capacity: capacity, body)
    }
    var result: R? = nil
    _withStackBytes(bytes) { raw in
        result = body(UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count))
    }
    return result!
}

// Handing the caller's non-escaping closure to the C frame: withoutActuallyEscaping
// would make it escaping by wrapping it in a heap-allocated closure (one allocation
// per call, what this file exists to avoid). Instead the closure's two words
// (function, context) pass through C as plain data and C calls it back with Swift's
// calling convention (_SwiftPoolCPU: spcpu_closure_words_of, spcpu_call_*). The
// words are used only while `body` is live (inside the call).

/// The words of a non-escaping `(UnsafeMutableRawPointer) -> Void` (implemented in
/// C with __attribute__((swiftcall)): Swift passes a closure argument as its
/// function and context words).
@usableFromInline
@_silgen_name("spcpu_closure_words_of")
func _rawClosureWords(_ body: (UnsafeMutableRawPointer) -> Void) -> spcpu_closure_words

/// The words of a non-escaping `(Int) -> Void` (the same C function).
@_silgen_name("spcpu_closure_words_of")
public func _intClosureWords(_ body: (Int) -> Void) -> spcpu_closure_words

@usableFromInline
func _withStackBytes(_ bytes: Int, _ body: (UnsafeMutableRawPointer) -> Void) {
    var words = _rawClosureWords(body)
    withUnsafeMutablePointer(to: &words) { pointer in
        spcpu_with_stack_buffer(bytes, pointer) { context, buffer in
            spcpu_call_pointer_closure(context!.assumingMemoryBound(to: spcpu_closure_words.self).pointee, buffer)
        }
    }
}
