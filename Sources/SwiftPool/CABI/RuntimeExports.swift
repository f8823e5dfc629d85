// C ABI for run-time settings: thread count and the chosen kernel family.
import CSwiftPool

@c @implementation
public func swiftpool_set_num_threads(_ num_threads: Int32) -> Int32 {
    guard num_threads >= 0 else {
        ErrorState.set("swiftpool_set_num_threads: num_threads is \(num_threads), must be >= 0 (0 = default)")
        return Int32(bitPattern: SWIFTPOOL_ERROR_INVALID_ARGUMENT.rawValue)
    }
    ThreadSettings.setForCurrentThread(Int(num_threads))
    ErrorState.clear()
    return Int32(bitPattern: SWIFTPOOL_OK.rawValue)
}

@c @implementation
public func swiftpool_get_num_threads() -> Int32 {
    Int32(clamping: ThreadSettings.current)
}

@c @implementation
public func swiftpool_isa() -> UnsafePointer<CChar>! {
    ISA.selected.cName
}
