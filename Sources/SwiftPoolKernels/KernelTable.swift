// This family's kernel table. The same source is compiled into every family
// module (SwiftPoolKernels: baseline x86-64; SwiftPoolKernelsAVX2: -target-cpu
// haswell, through symbolic links to these files), so `kernelTable()` and every
// specialisation behind it carry the module's name and its code-generation flags.
import SwiftPoolKernelABI

extension ElementKernels where T: VectorElement {
    static func instantiate() -> ElementKernels<T> {
        ElementKernels(
            maxChannelsFirst: (
                { MaxRows.channelsFirstBlock($0, $1, $2, $3, $4, $5, T.self, PropagateNaNLanes.self) },
                { MaxRows.channelsFirstBlock($0, $1, $2, $3, $4, $5, T.self, IgnoreNaNLanes.self) }),
            maxChannelsLast: (
                { MaxRows.channelsLastBlock($0, $1, $2, $3, $4, $5, $6, T.self, PropagateNaNLanes.self) },
                { MaxRows.channelsLastBlock($0, $1, $2, $3, $4, $5, $6, T.self, IgnoreNaNLanes.self) }),
            avgChannelsFirst: { AvgRows.channelsFirstBlock($0, $1, $2, $3, $4, T.self) },
            avgChannelsLast: { AvgRows.channelsLastBlock($0, $1, $2, $3, $4, $5, T.self) },
            avgPaddedPlanes: { AvgRows.paddedPlanes($0, $1, $2, $3, T.self) })
    }
}

/// Every kernel of this family, for SwiftPool's ISA dispatch.
public func kernelTable() -> KernelTable {
    KernelTable(float: .instantiate(), double: .instantiate(), uint8: narrowMaxKernels(UInt8.self),
                int8: narrowMaxKernels(Int8.self), float16: narrowMaxKernels(Float16.self),
                floatBinAverage: { BinAverage.channelsLast($0, $1, $2, $3, $4, $5, $6, $7) },
                floatAdaptivePlanes: { BinAverage.channelsFirst($0, $1, $2) },
                floatGlobalAverage: { BinAverageWide.channelsLast($0, $1, $2, $3, $4) },
                floatGlobalAveragePlanes: { BinAverageWide.channelsFirst($0, $1, $2, $3, $4) },
                floatPyramidMax: ({ PyramidMaxPlanesKernel.run($0, $1, $2, PyramidPropagateNaN.self) },
                                  { PyramidMaxPlanesKernel.run($0, $1, $2, PyramidIgnoreNaN.self) }),
                indexBound: { IndexScan.bound($0, $1, $2) })
}
