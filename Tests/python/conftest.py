"""pytest set-up for the swiftpool Python binding tests.

`make test-python` exports PYTHONPATH (bindings/python) and SWIFTPOOL_LIBRARY
(build/lib/libswiftpool.so). Run directly (`python -m pytest Tests/python`), the
repository's bindings/python is put on sys.path here, and the package's loader
finds build/lib by itself.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
BINDINGS = os.path.join(REPO, "bindings", "python")

if HERE not in sys.path:
    sys.path.insert(0, HERE)  # pool_reference, cases
if BINDINGS not in sys.path:
    sys.path.insert(0, BINDINGS)


def pytest_report_header(config):
    try:
        import swiftpool
    except ImportError as exc:  # reported in detail by the tests themselves
        return "swiftpool: import failed: %s" % str(exc).splitlines()[0]
    return "swiftpool %s from %s, library %s at %s" % (
        swiftpool.__version__, os.path.dirname(swiftpool.__file__), swiftpool.version(),
        swiftpool.library_path)
