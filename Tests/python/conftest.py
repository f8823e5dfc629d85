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


def pytest_terminal_summary(terminalreporter):
    """Prints the ONNX conformance tally (Tests/python/test_onnx_conformance.py)."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for outcome in counts:
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if "test_onnx_conformance.py::test_onnx_" in nodeid and report.when in ("call", "setup"):
                if outcome != "passed" or report.when == "call":
                    counts[outcome] += 1
    total = sum(counts.values())
    if total:
        terminalreporter.write_line(
            "ONNX conformance (onnx %s backend node cases + pytorch-converted pooling models): "
            "%d of %d passed, %d failed, %d skipped"
            % (_onnx_version(), counts["passed"], total, counts["failed"], counts["skipped"]))


def _onnx_version():
    try:
        import onnx
        return onnx.__version__
    except ImportError:
        return "?"
