// Per-thread last-error message behind swiftpool_last_error_message(): a small
// malloc'd C string per thread, freed by the pthread key's destructor at thread exit.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum ErrorState {
    /// Bytes kept per message, terminator included; longer messages are cut.
    static let capacity = 512

    /// Created once per process (Swift globals initialise lazily and thread-safely);
    /// nil if the process ran out of pthread keys, and then messages read "".
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        return pthread_key_create(&key) { buffer in free(buffer) } == 0 ? key : nil
    }()

    private static let empty: StaticString = ""

    /// This thread's buffer, allocated on first use; nil only if malloc fails.
    private static func buffer() -> UnsafeMutablePointer<CChar>? {
        guard let key else { return nil }
        if let raw = pthread_getspecific(key) { return raw.assumingMemoryBound(to: CChar.self) }
        guard let raw = calloc(capacity, 1) else { return nil }
        pthread_setspecific(key, raw)
        return raw.assumingMemoryBound(to: CChar.self)
    }

    static func set(_ message: String) {
        guard let buffer = buffer() else { return }
        // Byte by byte into the thread's buffer, cut at capacity - 1 (no copy array).
        var count = 0
        for byte in message.utf8 {
            if count == capacity - 1 { break }
            buffer[count] = CChar(bitPattern: byte)
            count += 1
        }
        buffer[count] = 0
    }

    static func clear() {
        if let key, let raw = pthread_getspecific(key) { raw.assumingMemoryBound(to: CChar.self)[0] = 0 }
    }

    /// The message for C callers; a static "" when none was ever set on this thread.
    static func current() -> UnsafePointer<CChar> {
        if let key, let raw = pthread_getspecific(key) { return UnsafePointer(raw.assumingMemoryBound(to: CChar.self)) }
        return UnsafeRawPointer(empty.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}
