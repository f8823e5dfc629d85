// C ABI of max unpooling, fractional and ROI max pooling (include/swiftpool.h,
// section "Max unpooling, fractional max pooling, ROI max pooling"). Checks the
// pointers and capacities, then hands typed work to UnpoolFractionalRoiDispatch.
// Nothing here may trap; nothing is written before every check has passed.
import CSwiftPool

/// Reads a descriptor whose struct_size is checked before the rest is read (an older
/// caller's struct may be shorter than ours).
private func loadDesc(_ desc: UnsafePointer<swiftpool_pool_desc>?, function: String) throws(PoolError) -> swiftpool_pool_desc {
    guard let desc else { throw .null("\(function): desc is NULL") }
    let size = UnsafeRawPointer(desc).load(as: UInt32.self)
    guard size == UInt32(MemoryLayout<swiftpool_pool_desc>.size) else {
        throw .unsupported("\(function): desc->struct_size is \(size), expected \(MemoryLayout<swiftpool_pool_desc>.size) (call swiftpool_pool_desc_init)")
    }
    return desc.pointee
}

/// `count` (at most 3) entries of a caller's int64 array, copied inline (no allocation).
private func loadSizes(_ sizes: UnsafePointer<Int64>, count: Int) -> SmallInts {
    SmallInts(sizes, count: count)
}

private func unpoolGeometry(_ desc: UnsafePointer<swiftpool_pool_desc>?, _ outputSize: UnsafePointer<Int64>?,
                            function: String) throws(PoolError) -> UnpoolGeometry {
    let d = try loadDesc(desc, function: function)
    // The rank is validated by UnpoolGeometry before the sizes are used; read at most 3.
    let rank = (1...3).contains(d.spatial_rank) ? Int(d.spatial_rank) : 0
    let requested = outputSize.map { loadSizes($0, count: rank) }
    return try UnpoolGeometry(d, outputSize: requested, function: function)
}

@c @implementation
public func swiftpool_max_unpool_output_shape(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                              _ output_size: UnsafePointer<Int64>!,
                                              _ result_size: UnsafeMutablePointer<Int64>!,
                                              _ result_elements: UnsafeMutablePointer<Int64>!) -> Int32 {
    cCall { () throws(PoolError) in
        let g = try unpoolGeometry(desc, output_size, function: "swiftpool_max_unpool_output_shape")
        if let result_size {
            for (i, size) in g.outputSizes.enumerated() { result_size[i] = Int64(size) }
        }
        result_elements?.pointee = Int64(g.outputElements)
    }
}

@c @implementation
public func swiftpool_max_unpool_forward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                         _ output_size: UnsafePointer<Int64>!,
                                         _ input: UnsafeRawPointer!, _ input_len: Int64,
                                         _ indices: UnsafePointer<Int64>!, _ indices_len: Int64,
                                         _ output: UnsafeMutableRawPointer!, _ output_len: Int64) -> Int32 {
    cCall { () throws(PoolError) in
        let function = "swiftpool_max_unpool_forward"
        let g = try unpoolGeometry(desc, output_size, function: function)
        let size = g.tensor.elementSize
        let src = try checkBuffer(input, input_len, needed: g.inputElements, alignment: size,
                                  name: "input", lengthName: "input_len", function: function)
        let idx = try checkBuffer(indices, indices_len, needed: g.inputElements, alignment: 8,
                                  name: "indices", lengthName: "indices_len", function: function)
        let dst = try checkBuffer(output, output_len, needed: g.outputElements, alignment: size,
                                  name: "output", lengthName: "output_len", function: function)
        let outBytes = g.outputElements * size
        try checkDisjoint((dst, outBytes, "output"), (src, g.inputElements * size, "input"), function: function)
        try checkDisjoint((dst, outBytes, "output"), (idx, g.inputElements * 8, "indices"), function: function)
        try UnpoolFractionalRoiDispatch.maxUnpool(g, input: src, indices: idx.assumingMemoryBound(to: Int64.self),
                                                  output: UnsafeMutableRawPointer(mutating: dst), function: function)
    }
}

@c @implementation
public func swiftpool_fractional_max_pool_forward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                                  _ output_size: UnsafePointer<Int64>!,
                                                  _ samples: UnsafeRawPointer!, _ samples_len: Int64,
                                                  _ seed: UInt64,
                                                  _ input: UnsafeRawPointer!, _ input_len: Int64,
                                                  _ output: UnsafeMutableRawPointer!, _ output_len: Int64,
                                                  _ indices: UnsafeMutablePointer<Int64>!, _ indices_len: Int64) -> Int32 {
    cCall { () throws(PoolError) in
        let function = "swiftpool_fractional_max_pool_forward"
        let d = try loadDesc(desc, function: function)
        guard let output_size else { throw .null("\(function): output_size is NULL") }
        let rank = (2...3).contains(d.spatial_rank) ? Int(d.spatial_rank) : 0
        let g = try FractionalGeometry(d, outputSize: loadSizes(output_size, count: rank), function: function)
        let size = g.tensor.elementSize
        var sampleRange: (UnsafeRawPointer, Int, String)? = nil
        if let samples {
            let s = try checkBuffer(samples, samples_len, needed: g.sampleCount, alignment: size,
                                    name: "samples", lengthName: "samples_len", function: function)
            sampleRange = (s, g.sampleCount * size, "samples")
        } else if samples_len != 0 {
            throw .invalid("\(function): samples is NULL but samples_len is \(samples_len); pass 0 to draw the samples from seed")
        }
        let src = try checkBuffer(input, input_len, needed: g.inputElements, alignment: size,
                                  name: "input", lengthName: "input_len", function: function)
        let dst = try checkBuffer(output, output_len, needed: g.outputElements, alignment: size,
                                  name: "output", lengthName: "output_len", function: function)
        // Every written buffer against every other buffer, in the order the arrays of
        // an earlier version checked them (output first, then indices).
        let output = (dst, g.outputElements * size, "output"), inputRange = (src, g.inputElements * size, "input")
        var indicesRange: (UnsafeRawPointer, Int, String)? = nil
        if let indices {
            let idx = try checkBuffer(indices, indices_len, needed: g.outputElements, alignment: 8,
                                      name: "indices", lengthName: "indices_len", function: function)
            indicesRange = (idx, g.outputElements * 8, "indices")
        }
        try checkDisjoint(output, inputRange, function: function)
        if let sampleRange { try checkDisjoint(output, sampleRange, function: function) }
        if let indicesRange {
            try checkDisjoint(output, indicesRange, function: function)
            try checkDisjoint(indicesRange, inputRange, function: function)
            if let sampleRange { try checkDisjoint(indicesRange, sampleRange, function: function) }
            try checkDisjoint(indicesRange, output, function: function)
        }
        try UnpoolFractionalRoiDispatch.fractionalMaxPool(g, samples: samples, seed: seed, input: src,
                                                          output: UnsafeMutableRawPointer(mutating: dst),
                                                          indices: indices, function: function)
    }
}

@c @implementation
public func swiftpool_roi_max_pool_forward(_ desc: UnsafePointer<swiftpool_pool_desc>!,
                                           _ boxes: UnsafeRawPointer!, _ num_boxes: Int64, _ boxes_len: Int64,
                                           _ output_size: UnsafePointer<Int64>!, _ spatial_scale: Double,
                                           _ input: UnsafeRawPointer!, _ input_len: Int64,
                                           _ output: UnsafeMutableRawPointer!, _ output_len: Int64,
                                           _ argmax: UnsafeMutablePointer<Int64>!, _ argmax_len: Int64) -> Int32 {
    cCall { () throws(PoolError) in
        let function = "swiftpool_roi_max_pool_forward"
        let d = try loadDesc(desc, function: function)
        guard let output_size else { throw .null("\(function): output_size is NULL") }
        let g = try RoiGeometry(d, numBoxes: Int(num_boxes), outputSize: loadSizes(output_size, count: 2),
                                function: function)
        let size = g.tensor.elementSize
        let box = try checkBuffer(boxes, boxes_len, needed: g.boxElements, alignment: size,
                                  name: "boxes", lengthName: "boxes_len", function: function)
        let src = try checkBuffer(input, input_len, needed: g.inputElements, alignment: size,
                                  name: "input", lengthName: "input_len", function: function)
        let dst = try checkBuffer(output, output_len, needed: g.outputElements, alignment: size,
                                  name: "output", lengthName: "output_len", function: function)
        // Every written buffer against every other buffer, in the order the arrays of
        // an earlier version checked them (output first, then argmax).
        let output = (dst, g.outputElements * size, "output"), inputRange = (src, g.inputElements * size, "input")
        let boxRange = (box, g.boxElements * size, "boxes")
        var argmaxRange: (UnsafeRawPointer, Int, String)? = nil
        if let argmax {
            let idx = try checkBuffer(argmax, argmax_len, needed: g.outputElements, alignment: 8,
                                      name: "argmax", lengthName: "argmax_len", function: function)
            argmaxRange = (idx, g.outputElements * 8, "argmax")
        }
        try checkDisjoint(output, inputRange, function: function)
        try checkDisjoint(output, boxRange, function: function)
        if let argmaxRange {
            try checkDisjoint(output, argmaxRange, function: function)
            try checkDisjoint(argmaxRange, inputRange, function: function)
            try checkDisjoint(argmaxRange, boxRange, function: function)
            try checkDisjoint(argmaxRange, output, function: function)
        }
        try UnpoolFractionalRoiDispatch.roiMaxPool(g, boxes: box, spatialScale: spatial_scale, input: src,
                                                   output: UnsafeMutableRawPointer(mutating: dst),
                                                   argmax: argmax, function: function)
    }
}
