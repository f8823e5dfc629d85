"""Version of the swiftpool Python package (kept free of imports so that
setuptools can read it without loading the library)."""

__version__ = "0.1.0"

# The C ABI major version this binding was written against (include/swiftpool.h,
# SWIFTPOOL_VERSION_MAJOR). A library with another major version is refused.
EXPECTED_ABI_MAJOR = 0
# Oldest library version providing everything the binding declares
# (MAJOR*10000 + MINOR*100 + PATCH, as swiftpool_version_number() returns).
MINIMUM_LIBRARY_VERSION = 100
