// The kernel family for this process. Only the portable path exists so far; the
// AVX2 family is selected here once it lands.
enum ISA {
    case baseline

    static let selected: ISA = .baseline

    var cName: UnsafePointer<CChar> {
        let name: StaticString
        switch self {
        case .baseline: name = "baseline"
        }
        return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}
