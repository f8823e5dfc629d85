// C ABI of LP, adaptive and spatial pyramid pooling (include/swiftpool.h, section
// "LP / global / adaptive / spatial pyramid pooling"). As in Exports.swift, this
// layer only checks pointers and capacities, copies the caller's small arrays,
// and maps PoolError to a status and message; the Geometry types validate the rest.
import CSwiftPool
import SwiftPoolKernelABI

// MARK: - Plumbing (file-private, mirrors Exports.swift)

/// Runs `body`; on failure records the message with its operator prefix (as the
/// Geometry layer writes it) replaced by the C function's name.
@inline(__always)
private func call(_ function: String, prefix: String, _ body: () throws(PoolError) -> Void) -> Int32 {
    do {
        try body()
        ErrorState.clear()
        return Int32(bitPattern: SWIFTPOOL_OK.rawValue)
    } catch {
        let message = error.message.hasPrefix(prefix) ? function + error.message.dropFirst(prefix.count) : error.message
        ErrorState.set(message)
        return Int32(bitPattern: error.status.rawValue)
    }
}

/// The caller's descriptor, after checking NULL and struct_size (read first: an
/// older caller's struct may be shorter than ours).
private func loadDesc(_ desc: UnsafePointer<swiftpool_pool_desc>?, _ function: String) throws(PoolError) -> swiftpool_pool_desc {
    guard let desc else { throw .null("\(function): desc is NULL") }
    let size = UnsafeRawPointer(desc).load(as: UInt32.self)
    guard size == UInt32(MemoryLayout<swiftpool_pool_desc>.size) else {
        throw .unsupported("\(function): desc->struct_size is \(size), expected \(MemoryLayout<swiftpool_pool_desc>.size) (call swiftpool_pool_desc_init)")
    }
    return desc.pointee
}

/// A tensor pointer: not NULL, aligned for its element, capacity `length` >= `needed` elements.
private func checkBuffer(_ pointer: UnsafeRawPointer?, _ length: Int64, needed: Int, alignment: Int,
                         _ name: String, _ lengthName: String, _ function: String) throws(PoolError) -> UnsafeRawPointer {
    guard let pointer else { throw .null("\(function): \(name) is NULL") }
    guard Int(bitPattern: pointer) % alignment == 0 else {
        throw .invalid("\(function): \(name) (\(pointer)) is not aligned to \(alignment) bytes")
    }
    guard length >= 0 else { throw .invalid("\(function): \(lengthName) is \(length), must be >= 0") }
    guard length >= needed else {
        throw .tooSmall("\(function): \(lengthName) is \(length) elements, the tensor needs \(needed)")
    }
    return pointer
}

/// Rejects overlapping byte ranges: kernels read the input while writing outputs.
private func checkDisjoint(_ a: UnsafeRawPointer, _ aBytes: Int, _ aName: String,
                           _ b: UnsafeRawPointer, _ bBytes: Int, _ bName: String, _ function: String) throws(PoolError) {
    let aStart = UInt(bitPattern: a), bStart = UInt(bitPattern: b)
    guard aBytes > 0, bBytes > 0 else { return }
    if aStart < bStart + UInt(bBytes) && bStart < aStart + UInt(aBytes) {
        throw .invalid("\(function): \(aName) and \(bName) overlap")
    }
}

/// Input and output tensors, checked and disjoint.
private func tensors(_ input: UnsafeRawPointer?, _ inputLen: Int64, inputElements: Int,
                     _ output: UnsafeMutableRawPointer?, _ outputLen: Int64, outputElements: Int,
                     elementSize: Int, _ function: String) throws(PoolError) -> (UnsafeRawPointer, UnsafeMutableRawPointer) {
    let src = try checkBuffer(input, inputLen, needed: inputElements, alignment: elementSize, "input", "input_len", function)
    let dst = try checkBuffer(output, outputLen, needed: outputElements, alignment: elementSize, "output", "output_len", function)
    try checkDisjoint(src, inputElements * elementSize, "input", dst, outputElements * elementSize, "output", function)
    return (src, UnsafeMutableRawPointer(mutating: dst))
}

// MARK: - LP pooling

@c @implementation
public func swiftpool_lp_pool_forward(_ desc: UnsafePointer<swiftpool_pool_desc>!, _ norm_type: Double,
                                      _ input: UnsafeRawPointer!, _ input_len: Int64,
                                      _ output: UnsafeMutableRawPointer!, _ output_len: Int64) -> Int32 {
    let function = "swiftpool_lp_pool_forward"
    return call(function, prefix: PoolOperator.lp.rawValue) { () throws(PoolError) in
        let g = try LpPoolGeometry(try loadDesc(desc, function), normType: norm_type)
        let (src, dst) = try tensors(input, input_len, inputElements: g.pool.inputElements,
                                     output, output_len, outputElements: g.pool.outputElements,
                                     elementSize: PoolGeometry.elementSize(g.pool.dtype) ?? 1, function)
        try LpAdaptiveSppDispatch.lpPool(g, input: src, output: dst)
    }
}

// MARK: - Adaptive pooling

/// The descriptor and the caller's output_size (spatial_rank entries, read only
/// once the rank is known to be valid; otherwise the Geometry reports the rank).
private func adaptiveGeometry(_ desc: UnsafePointer<swiftpool_pool_desc>?, _ outputSize: UnsafePointer<Int64>?,
                              op: AdaptiveOperator, _ function: String) throws(PoolError) -> AdaptiveGeometry {
    let d = try loadDesc(desc, function)
    guard let outputSize else { throw .null("\(function): output_size is NULL") }
    let rank = (1...3).contains(d.spatial_rank) ? Int(d.spatial_rank) : 0
    let sizes = SmallInts(outputSize, count: rank)
    if rank == 0 { _ = try PoolTensorFields(d, name: op.rawValue, allowedFlags: op.allowedFlags, floatingPoint: op == .average) }
    return try AdaptiveGeometry(d, outputSize: sizes, op: op)
}

@c @implementation
public func swiftpool_adaptive_max_pool_forward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                                _ output_size: UnsafePointer<Int64>!,
                                                _ input: UnsafeRawPointer!, _ input_len: Int64,
                                                _ output: UnsafeMutableRawPointer!, _ output_len: Int64,
                                                _ indices: UnsafeMutablePointer<Int64>!, _ indices_len: Int64) -> Int32 {
    let function = "swiftpool_adaptive_max_pool_forward"
    return call(function, prefix: AdaptiveOperator.max.rawValue) { () throws(PoolError) in
        let g = try adaptiveGeometry(desc, output_size, op: .max, function)
        let size = g.tensor.elementSize
        let (src, dst) = try tensors(input, input_len, inputElements: g.inputElements,
                                     output, output_len, outputElements: g.outputElements,
                                     elementSize: size, function)
        if let indices {
            let idx = try checkBuffer(indices, indices_len, needed: g.outputElements, alignment: 8,
                                      "indices", "indices_len", function)
            try checkDisjoint(idx, g.outputElements * 8, "indices", src, g.inputElements * size, "input", function)
            try checkDisjoint(idx, g.outputElements * 8, "indices", dst, g.outputElements * size, "output", function)
        }
        try LpAdaptiveSppDispatch.adaptiveMax(g, input: src, output: dst, indices: indices)
    }
}

@c @implementation
public func swiftpool_adaptive_avg_pool_forward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                                _ output_size: UnsafePointer<Int64>!,
                                                _ input: UnsafeRawPointer!, _ input_len: Int64,
                                                _ output: UnsafeMutableRawPointer!, _ output_len: Int64) -> Int32 {
    let function = "swiftpool_adaptive_avg_pool_forward"
    return call(function, prefix: AdaptiveOperator.average.rawValue) { () throws(PoolError) in
        let g = try adaptiveGeometry(desc, output_size, op: .average, function)
        let (src, dst) = try tensors(input, input_len, inputElements: g.inputElements,
                                     output, output_len, outputElements: g.outputElements,
                                     elementSize: g.tensor.elementSize, function)
        try LpAdaptiveSppDispatch.adaptiveAvg(g, input: src, output: dst)
    }
}

// MARK: - Spatial pyramid pooling

/// Runs `body` with a copy of `count` entries of a caller's int64 list (a copy, so
/// that validated values cannot change under the kernels). The copy lives on the
/// stack unless it exceeds stackScratchLimit (thousands of levels or samples): no
/// allocation in the call path.
private func withCopy(_ source: UnsafePointer<Int64>, count: Int,
                      _ body: (Int64Pairs) throws(PoolError) -> Void) throws(PoolError) {
    let result: Result<Void, PoolError> = withStackScratch(of: Int64.self, capacity: Swift.max(count, 1)) { buffer in
        let base = buffer.baseAddress!
        for i in 0..<count { base[i] = source[i] }
        do throws(PoolError) {
            try body(Int64Pairs(UnsafePointer(base), pairs: count / 2))
            return .success(())
        } catch {
            return .failure(error)
        }
    }
    try result.get()
}

/// Runs `body` with the caller's levels: num_levels (h, w) pairs, copied.
private func withLevels(_ levels: UnsafePointer<Int64>?, _ numLevels: Int64, _ function: String,
                        _ body: (Int64Pairs) throws(PoolError) -> Void) throws(PoolError) {
    guard let levels else { throw .null("\(function): levels is NULL") }
    guard numLevels >= 1 else { throw .invalid("\(function): num_levels is \(numLevels), must be >= 1") }
    guard numLevels <= Int64.max / 2 else { throw .overflow("\(function): num_levels \(numLevels) x 2 overflows int64") }
    try withCopy(levels, count: Int(numLevels * 2), body)
}

@c @implementation
public func swiftpool_spatial_pyramid_pool_output_length(_ channels: Int64, _ levels: UnsafePointer<Int64>!,
                                                         _ num_levels: Int64,
                                                         _ length: UnsafeMutablePointer<Int64>!) -> Int32 {
    let function = "swiftpool_spatial_pyramid_pool_output_length"
    return call(function, prefix: PyramidGeometry.name) { () throws(PoolError) in
        guard let length else { throw .null("\(function): length is NULL") }
        try withLevels(levels, num_levels, function) { (flat) throws(PoolError) in
            let parsed = try PyramidGeometry.levels(flat, name: function)
            length.pointee = Int64(try PyramidGeometry.layout(channels: Int(channels), levels: parsed, name: function))
        }
    }
}

@c @implementation
public func swiftpool_spatial_pyramid_pool_forward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                                   _ levels: UnsafePointer<Int64>!, _ num_levels: Int64,
                                                   _ mode: Int32, _ bins: Int32,
                                                   _ sizes: UnsafePointer<Int64>!, _ sizes_len: Int64,
                                                   _ input: UnsafeRawPointer!, _ input_len: Int64,
                                                   _ output: UnsafeMutableRawPointer!, _ output_len: Int64) -> Int32 {
    let function = "swiftpool_spatial_pyramid_pool_forward"
    return call(function, prefix: PyramidGeometry.name) { () throws(PoolError) in
        let d = try loadDesc(desc, function)
        try withLevels(levels, num_levels, function) { (flat) throws(PoolError) in
        func run(_ sampleSizes: Int64Pairs?) throws(PoolError) {
            let g = try PyramidGeometry(d, levels: flat, mode: mode, bins: bins, sizes: sampleSizes)
            let (src, dst) = try tensors(input, input_len, inputElements: g.inputElements,
                                         output, output_len, outputElements: g.outputElements,
                                         elementSize: g.tensor.elementSize, function)
            try LpAdaptiveSppDispatch.pyramid(g, input: src, output: dst)
        }
        if let sizes {
            // Read 2N sizes only once N is known to be backed by a real input buffer
            // (the tensor fields are validated again, with the mode's flags, below).
            let shape = try PoolTensorFields(d, name: PyramidGeometry.name, allowedFlags: UInt32.max, ranks: 2...2)
            _ = try checkBuffer(input, input_len, needed: shape.inputElements, alignment: shape.elementSize,
                                "input", "input_len", function)
            guard Int(bitPattern: sizes) % MemoryLayout<Int64>.alignment == 0 else {
                throw .invalid("\(function): sizes (\(sizes)) is not aligned to \(MemoryLayout<Int64>.alignment) bytes")
            }
            guard sizes_len >= 0 else { throw .invalid("\(function): sizes_len is \(sizes_len), must be >= 0") }
            let needed = 2 * shape.batch   // batch <= input elements: no overflow
            guard sizes_len >= needed else {
                throw .tooSmall("\(function): sizes_len is \(sizes_len) entries, batch \(d.batch) needs \(needed) ((h, w) per sample)")
            }
            // A closure literal, not `run` itself: a local function passed as a value
            // is converted to an escaping closure (an allocation).
            try withCopy(sizes, count: Int(needed)) { (pairs) throws(PoolError) in try run(pairs) }
        } else {
            try run(nil)
        }
        }
    }
}
