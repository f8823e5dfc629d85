import CSwiftPool

@c @implementation
public func swiftpool_version_number() -> UInt32 {
    UInt32(SWIFTPOOL_VERSION_MAJOR * 10000 + SWIFTPOOL_VERSION_MINOR * 100 + SWIFTPOOL_VERSION_PATCH)
}
