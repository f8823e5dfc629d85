// Per-calling-thread thread count (see swiftpool_set_num_threads in the header).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum ThreadSettings {
    /// SWIFTPOOL_NUM_THREADS when a positive integer, else the online CPU count.
    static let processDefault: Int = {
        if let raw = getenv("SWIFTPOOL_NUM_THREADS"), let n = Int(String(cString: raw)), n > 0 { return n }
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()

    /// Stores the count + 1 as a pointer-sized value, so "unset" is nil. nil if the
    /// process ran out of pthread keys: then every thread uses the default.
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        return pthread_key_create(&key, nil) == 0 ? key : nil
    }()

    static func setForCurrentThread(_ n: Int) {
        guard let key else { return }
        pthread_setspecific(key, n == 0 ? nil : UnsafeRawPointer(bitPattern: n + 1))
    }

    static var current: Int {
        guard let key, let raw = pthread_getspecific(key) else { return processDefault }
        return Int(bitPattern: raw) - 1
    }
}
