// The kernel family for this process, chosen once: AVX2/FMA when the CPU has them
// and the other Haswell features that family is compiled for (F16C, BMI1/2,
// LZCNT, MOVBE, POPCNT; _SwiftPoolCPU), else the portable baseline;
// SWIFTPOOL_MAX_ISA=baseline caps it (tests run both).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftPoolKernelABI
import SwiftPoolKernels
import SwiftPoolKernelsAVX2
import _SwiftPoolCPU

enum ISA {
    case baseline
    case avx2

    /// The best family this CPU runs.
    static let detected: ISA = spcpu_has_avx2_fma() != 0 ? .avx2 : .baseline

    /// `detected`, capped by SWIFTPOOL_MAX_ISA ("baseline" or "avx2"; other values
    /// are ignored, so a typo never selects kernels the CPU cannot run).
    static let selected: ISA = {
        guard let raw = getenv("SWIFTPOOL_MAX_ISA") else { return detected }
        switch String(cString: raw).lowercased() {
        case "baseline": return .baseline
        default: return detected
        }
    }()

    /// The selected family's microkernels.
    /// (Also settles the non-temporal hints the kernels' prefetches read.)
    static let kernels: KernelTable = {
        _ = spcpu_nontemporal_hints()
        return selected == .avx2 ? SwiftPoolKernelsAVX2.kernelTable() : SwiftPoolKernels.kernelTable()
    }()

    var cName: UnsafePointer<CChar> {
        let name: StaticString
        switch self {
        case .baseline: name = "baseline"
        case .avx2: name = "avx2"
        }
        return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

/// How large max pooling forward results are written (MaxPoolKernel): the
/// process's non-temporal hints choice (spcpu_nontemporal_hints: the CPU's default,
/// or SWIFTPOOL_NONTEMPORAL=0 / 1 / 2). Either way the results are the same bits;
/// only the speed differs.
enum StoreTuning {
    /// Computed into scratch and copied out with streaming stores (mode 1).
    static let streaming: Bool = spcpu_nontemporal_hints() == 1
    /// Streaming stores straight from the row kernels' registers (mode 2).
    static let direct: Bool = spcpu_nontemporal_hints() == 2
}
