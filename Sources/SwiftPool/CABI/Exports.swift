// The C ABI: every function declared in include/swiftpool.h is implemented here
// (`@c @implementation` makes the compiler check each signature against the
// header). This is the only layer that touches C pointers: it checks them and the
// buffer capacities, hands validated values to the core, and turns PoolError into
// a status code plus a thread-local message. Nothing here may trap.
import CSwiftPool

// MARK: - Error plumbing

/// Runs `body`, mapping success to SWIFTPOOL_OK and a PoolError to its status and message.
@inline(__always)
func cCall(_ body: () throws(PoolError) -> Void) -> Int32 {
    do {
        try body()
        ErrorState.clear()
        return Int32(bitPattern: SWIFTPOOL_OK.rawValue)
    } catch {
        ErrorState.set(error.message)
        return Int32(bitPattern: error.status.rawValue)
    }
}

/// Checks a tensor pointer: not NULL, aligned for `alignment`, capacity `length` >= `needed` elements.
func checkBuffer(_ pointer: UnsafeRawPointer?, _ length: Int64, needed: Int, alignment: Int,
                         name: String, lengthName: String, function: String) throws(PoolError) -> UnsafeRawPointer {
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

/// Rejects buffers whose byte ranges overlap: kernels read input while writing outputs.
func checkDisjoint(_ a: (UnsafeRawPointer, Int, String), _ b: (UnsafeRawPointer, Int, String),
                           function: String) throws(PoolError) {
    let aStart = UInt(bitPattern: a.0), bStart = UInt(bitPattern: b.0)
    guard a.1 > 0, b.1 > 0 else { return }
    if aStart < bStart + UInt(b.1) && bStart < aStart + UInt(a.1) {
        throw .invalid("\(function): \(a.2) and \(b.2) overlap")
    }
}

func readDesc(_ desc: UnsafePointer<swiftpool_pool_desc>?, op: PoolOperator,
                      function: String) throws(PoolError) -> PoolGeometry {
    guard let desc else { throw .null("\(function): desc is NULL") }
    // The caller's struct may be shorter than ours (an older header): read
    // struct_size before the rest.
    let size = UnsafeRawPointer(desc).load(as: UInt32.self)
    guard size == UInt32(MemoryLayout<swiftpool_pool_desc>.size) else {
        throw .unsupported("\(function): desc->struct_size is \(size), expected \(MemoryLayout<swiftpool_pool_desc>.size) (call swiftpool_pool_desc_init)")
    }
    do {
        return try PoolGeometry(desc.pointee, op: op)
    } catch {
        throw PoolError(status: error.status, message: error.message.replacingFirst(op.rawValue, with: function))
    }
}

private extension String {
    func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}

// MARK: - Version and status

@c @implementation
public func swiftpool_version_number() -> UInt32 {
    UInt32(SWIFTPOOL_VERSION_MAJOR * 10000 + SWIFTPOOL_VERSION_MINOR * 100 + SWIFTPOOL_VERSION_PATCH)
}

private let versionString: StaticString = "0.1.0"

@c @implementation
public func swiftpool_version_string() -> UnsafePointer<CChar>! {
    UnsafeRawPointer(versionString.utf8Start).assumingMemoryBound(to: CChar.self)
}

private func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func swiftpool_status_string(_ status: Int32) -> UnsafePointer<CChar>! {
    switch status {
    case 0: return cString("SWIFTPOOL_OK")
    case 1: return cString("SWIFTPOOL_ERROR_NULL_POINTER")
    case 2: return cString("SWIFTPOOL_ERROR_INVALID_ARGUMENT")
    case 3: return cString("SWIFTPOOL_ERROR_INVALID_SHAPE")
    case 4: return cString("SWIFTPOOL_ERROR_OVERFLOW")
    case 5: return cString("SWIFTPOOL_ERROR_BUFFER_TOO_SMALL")
    case 6: return cString("SWIFTPOOL_ERROR_UNSUPPORTED")
    case 7: return cString("SWIFTPOOL_ERROR_OUT_OF_MEMORY")
    case 99: return cString("SWIFTPOOL_ERROR_INTERNAL")
    default: return cString("SWIFTPOOL_UNKNOWN_STATUS")
    }
}

@c @implementation
public func swiftpool_last_error_message() -> UnsafePointer<CChar>! {
    ErrorState.current()
}

// MARK: - Descriptors

@c @implementation
public func swiftpool_pool_desc_init(_ desc: UnsafeMutablePointer<swiftpool_pool_desc>!, _ spatial_rank: Int32) -> Int32 {
    cCall { () throws(PoolError) in
        guard let desc else { throw .null("swiftpool_pool_desc_init: desc is NULL") }
        guard (1...3).contains(spatial_rank) else {
            throw .unsupported("swiftpool_pool_desc_init: spatial_rank is \(spatial_rank), expected 1, 2 or 3")
        }
        var d = swiftpool_pool_desc()
        d.struct_size = UInt32(MemoryLayout<swiftpool_pool_desc>.size)
        d.dtype = Int32(bitPattern: SWIFTPOOL_DTYPE_FLOAT32.rawValue)
        d.layout = Int32(bitPattern: SWIFTPOOL_LAYOUT_NCHW.rawValue)
        d.spatial_rank = spatial_rank
        d.batch = 1
        d.channels = 1
        d.input_size = (1, 1, 1)
        d.kernel_size = (1, 1, 1)
        d.stride = (1, 1, 1)
        d.padding = (0, 0, 0)
        d.padding_end = (-1, -1, -1)
        d.dilation = (1, 1, 1)
        d.ceil_mode = 0
        d.count_include_pad = 1
        d.divisor_override = 0
        d.auto_pad = Int32(bitPattern: SWIFTPOOL_AUTO_PAD_NOTSET.rawValue)
        d.flags = 0
        desc.pointee = d
    }
}

@c @implementation
public func swiftpool_pool_output_shape(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                        _ output_size: UnsafeMutablePointer<Int64>!,
                                        _ output_elements: UnsafeMutablePointer<Int64>!) -> Int32 {
    cCall { () throws(PoolError) in
        // Shapes do not depend on the operator; avg-only rules are checked by the operator call.
        let g = try readDesc(desc, op: .shape, function: "swiftpool_pool_output_shape")
        if let output_size {
            for (i, size) in g.outputSizes.enumerated() { output_size[i] = Int64(size) }
        }
        output_elements?.pointee = Int64(g.outputElements)
    }
}

// MARK: - Operators

@c @implementation
public func swiftpool_max_pool_forward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                       _ input: UnsafeRawPointer!, _ input_len: Int64,
                                       _ output: UnsafeMutableRawPointer!, _ output_len: Int64,
                                       _ indices: UnsafeMutablePointer<Int64>!, _ indices_len: Int64) -> Int32 {
    cCall { () throws(PoolError) in
        let function = "swiftpool_max_pool_forward"
        let g = try readDesc(desc, op: .max, function: function)
        let size = PoolGeometry.elementSize(g.dtype)!
        let src = try checkBuffer(input, input_len, needed: g.inputElements, alignment: size,
                                  name: "input", lengthName: "input_len", function: function)
        let dst = try checkBuffer(output, output_len, needed: g.outputElements, alignment: size,
                                  name: "output", lengthName: "output_len", function: function)
        let inBytes = g.inputElements * size, outBytes = g.outputElements * size
        try checkDisjoint((src, inBytes, "input"), (dst, outBytes, "output"), function: function)
        if let indices {
            let idx = try checkBuffer(indices, indices_len, needed: g.outputElements, alignment: 8,
                                      name: "indices", lengthName: "indices_len", function: function)
            try checkDisjoint((idx, g.outputElements * 8, "indices"), (src, inBytes, "input"), function: function)
            try checkDisjoint((idx, g.outputElements * 8, "indices"), (dst, outBytes, "output"), function: function)
        }
        PoolDispatch.maxPool(g, input: src, output: UnsafeMutableRawPointer(mutating: dst), indices: indices)
    }
}

@c @implementation
public func swiftpool_avg_pool_forward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                       _ input: UnsafeRawPointer!, _ input_len: Int64,
                                       _ output: UnsafeMutableRawPointer!, _ output_len: Int64) -> Int32 {
    cCall { () throws(PoolError) in
        let function = "swiftpool_avg_pool_forward"
        let g = try readDesc(desc, op: .average, function: function)
        let size = PoolGeometry.elementSize(g.dtype)!
        let src = try checkBuffer(input, input_len, needed: g.inputElements, alignment: size,
                                  name: "input", lengthName: "input_len", function: function)
        let dst = try checkBuffer(output, output_len, needed: g.outputElements, alignment: size,
                                  name: "output", lengthName: "output_len", function: function)
        try checkDisjoint((src, g.inputElements * size, "input"), (dst, g.outputElements * size, "output"),
                          function: function)
        PoolDispatch.avgPool(g, input: src, output: UnsafeMutableRawPointer(mutating: dst))
    }
}
