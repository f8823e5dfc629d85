// C ABI of the backward passes (include/swiftpool.h, "Backward passes"). Checks
// the descriptor, pointers, capacities, alignment and overlap, then hands typed
// work to PoolBackwardDispatch, which checks every index before writing.
// Nothing here may trap; nothing is written before every check has passed.
import CSwiftPool

@c @implementation
public func swiftpool_max_pool_backward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                        _ grad_output: UnsafeRawPointer!, _ grad_output_len: Int64,
                                        _ indices: UnsafePointer<Int64>!, _ indices_len: Int64,
                                        _ grad_input: UnsafeMutableRawPointer!, _ grad_input_len: Int64) -> Int32 {
    cCall { () throws(PoolError) in
        let function = "swiftpool_max_pool_backward"
        let g = try readDesc(desc, op: .max, function: function)
        guard PoolGeometry.isFloatingPoint(g.dtype) else {
            throw .unsupported("\(function): dtype \(g.dtype.rawValue) is an integer type; gradients need a floating-point dtype (float32, float64, float16, bfloat16), as in PyTorch")
        }
        let size = PoolGeometry.elementSize(g.dtype)!
        let go = try checkBuffer(grad_output, grad_output_len, needed: g.outputElements, alignment: size,
                                 name: "grad_output", lengthName: "grad_output_len", function: function)
        let idx = try checkBuffer(indices, indices_len, needed: g.outputElements, alignment: 8,
                                  name: "indices", lengthName: "indices_len", function: function)
        let gi = try checkBuffer(grad_input, grad_input_len, needed: g.inputElements, alignment: size,
                                 name: "grad_input", lengthName: "grad_input_len", function: function)
        let inBytes = g.inputElements * size
        try checkDisjoint((gi, inBytes, "grad_input"), (go, g.outputElements * size, "grad_output"), function: function)
        try checkDisjoint((gi, inBytes, "grad_input"), (idx, g.outputElements * 8, "indices"), function: function)
        try PoolBackwardDispatch.maxPool(g, gradOutput: go, indices: idx.assumingMemoryBound(to: Int64.self),
                                         gradInput: UnsafeMutableRawPointer(mutating: gi), function: function)
    }
}

@c @implementation
public func swiftpool_avg_pool_backward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                        _ grad_output: UnsafeRawPointer!, _ grad_output_len: Int64,
                                        _ grad_input: UnsafeMutableRawPointer!, _ grad_input_len: Int64) -> Int32 {
    cCall { () throws(PoolError) in
        let function = "swiftpool_avg_pool_backward"
        let g = try readDesc(desc, op: .average, function: function)
        let size = PoolGeometry.elementSize(g.dtype)!
        let go = try checkBuffer(grad_output, grad_output_len, needed: g.outputElements, alignment: size,
                                 name: "grad_output", lengthName: "grad_output_len", function: function)
        let gi = try checkBuffer(grad_input, grad_input_len, needed: g.inputElements, alignment: size,
                                 name: "grad_input", lengthName: "grad_input_len", function: function)
        try checkDisjoint((gi, g.inputElements * size, "grad_input"), (go, g.outputElements * size, "grad_output"),
                          function: function)
        try PoolBackwardDispatch.avgPool(g, gradOutput: go, gradInput: UnsafeMutableRawPointer(mutating: gi),
                                         function: function)
    }
}
