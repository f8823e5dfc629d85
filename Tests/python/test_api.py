"""The Python API: torch.nn.functional signatures, docstrings, versions, out=,
memory formats (channels-last views, copies of other strides), thread settings."""

import inspect
import os
import re
import threading

import numpy as np
import pytest

import swiftpool
import pool_reference as ref
from cases import assert_same_bits

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
HEADER = os.path.join(REPO, "include", "swiftpool.h")

MAX_SIG = [("input", inspect.Parameter.empty), ("kernel_size", inspect.Parameter.empty),
           ("stride", None), ("padding", 0), ("dilation", 1), ("ceil_mode", False),
           ("return_indices", False)]
AVG1_SIG = [("input", inspect.Parameter.empty), ("kernel_size", inspect.Parameter.empty),
            ("stride", None), ("padding", 0), ("ceil_mode", False), ("count_include_pad", True)]
AVG_SIG = AVG1_SIG + [("divisor_override", None)]
PUBLIC = {"max_pool1d": MAX_SIG, "max_pool2d": MAX_SIG, "max_pool3d": MAX_SIG,
          "avg_pool1d": AVG1_SIG, "avg_pool2d": AVG_SIG, "avg_pool3d": AVG_SIG}


def _positional(fn):
    params = inspect.signature(fn).parameters.values()
    return [(p.name, p.default) for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_signature(name):
    fn = getattr(swiftpool, name)
    assert _positional(fn) == PUBLIC[name]
    kwonly = {p.name: p.default for p in inspect.signature(fn).parameters.values()
              if p.kind == p.KEYWORD_ONLY}
    # Max-type functions add the NaN policy (SWIFTPOOL_FLAG_NAN_IGNORE) as a keyword.
    expected = {"layout": "NCHW", "out": None}
    if name.startswith("max"):
        expected["nan"] = "propagate"
    assert kwonly == expected


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_signature_matches_torch(name):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    ours = _positional(getattr(swiftpool, name))
    if name.startswith("max"):
        theirs = [(p.name, p.default)
                  for p in inspect.signature(getattr(tf, "_" + name)).parameters.values()]
    else:  # builtins: the signature is the docstring's first line
        first = getattr(tf, name).__doc__.strip().splitlines()[0]
        args = re.match(r"\w+\((.*)\)", first).group(1)
        theirs = []
        for part in args.split(","):
            key, _, default = part.strip().partition("=")
            theirs.append((key, eval(default) if default else inspect.Parameter.empty))
    assert ours == theirs


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_docstring(name):
    doc = getattr(swiftpool, name).__doc__
    rank = name[-2]
    for part in ("torch.nn.functional." + name, "ONNX", "Raises:", "TypeError", "ValueError",
                 "Returns:", "NHWC", "NCHW", "out", "layout", "SwiftPoolValueError",
                 "swiftpool_last_error_message", "%sD" % rank):
        assert part in doc, (name, part)
    shape = {"1": "(N, C, W)", "2": "(N, C, H, W)", "3": "(N, C, D, H, W)"}[rank]
    assert shape in doc
    if name.startswith("max"):
        assert "indices" in doc and "NaN" in doc and "MaxPool-22" in doc
    else:
        assert "AveragePool-22" in doc and "count_include_pad" in doc


def test_other_public_functions_have_docstrings():
    for name in ("version", "version_number", "set_num_threads", "get_num_threads", "isa"):
        doc = getattr(swiftpool, name).__doc__
        assert doc and len(doc) > 40, name
    assert swiftpool.__doc__ and "torch.nn.functional" in swiftpool.__doc__
    for name in swiftpool.__all__:
        assert hasattr(swiftpool, name), name


def _header_define(name):
    text = open(HEADER).read()
    return int(re.search(r"#define %s (\d+)" % name, text).group(1))


def test_versions():
    major, minor, patch = (_header_define("SWIFTPOOL_VERSION_" + p)
                           for p in ("MAJOR", "MINOR", "PATCH"))
    assert swiftpool.version() == "%d.%d.%d" % (major, minor, patch)
    assert swiftpool.version_number() == major * 10000 + minor * 100 + patch
    assert re.fullmatch(r"\d+\.\d+\.\d+", swiftpool.__version__)
    from swiftpool._version import EXPECTED_ABI_MAJOR
    assert EXPECTED_ABI_MAJOR == major
    pyproject = open(os.path.join(REPO, "bindings", "python", "pyproject.toml")).read()
    assert 'attr = "swiftpool._version.__version__"' in pyproject
    assert os.path.isfile(swiftpool.library_path)
    assert os.path.basename(swiftpool.library_path).startswith("libswiftpool.so")


def test_library_path_follows_environment():
    env = os.environ.get("SWIFTPOOL_LIBRARY")
    if env:
        assert swiftpool.library_path == os.path.abspath(env)


# ---------------------------------------------------------------------------------
# out=
# ---------------------------------------------------------------------------------

def test_out_is_filled_and_returned():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 9)).astype(np.float32)
    want_v, want_i = ref.max_pool(x, (3, 3), (2, 2), (1, 1), (1, 1), True)
    out = np.full(want_v.shape, np.nan, np.float32)
    assert swiftpool.max_pool2d(x, 3, 2, 1, ceil_mode=True, out=out) is out
    assert_same_bits(out, want_v, "out")
    idx = np.full(want_i.shape, -1, np.int64)
    v, i = swiftpool.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True, out=(out, idx))
    assert v is out and i is idx
    assert_same_bits(idx, want_i, "indices out")
    v, i = swiftpool.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True, out=(None, idx))
    assert i is idx and v is not out
    assert_same_bits(v, want_v, "values with only indices out")
    v, i = swiftpool.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True, out=out)
    assert v is out
    assert_same_bits(i, want_i, "indices with values out")
    a_out = np.empty((2, 3, 4, 5), np.float32)
    a = swiftpool.avg_pool2d(x, 3, 2, 1, ceil_mode=True, out=a_out)
    assert a is a_out
    np.testing.assert_allclose(a, ref.avg_pool(x, 3, 2, 1, True), rtol=1e-6, atol=1e-7)


def test_out_nhwc_and_unbatched():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 8, 4)).astype(np.float32)  # (H, W, C), unbatched NHWC
    out = np.empty((2, 4, 4), np.float32)
    assert swiftpool.max_pool2d(x, 2, layout="NHWC", out=out) is out
    want, _ = ref.max_pool(np.moveaxis(x, -1, 0)[None], 2)
    assert_same_bits(out, np.moveaxis(want[0], 0, -1), "NHWC unbatched out")


def test_out_for_channels_last_input():
    """A channels-last input (NCHW view of NHWC memory) with a C-contiguous NCHW out:
    the input is copied to NCHW and the result lands in out. With an out in the
    input's memory format, no copy is needed."""
    rng = np.random.default_rng(3)
    x_nhwc = rng.standard_normal((2, 6, 6, 5)).astype(np.float32)
    x = x_nhwc.transpose(0, 3, 1, 2)  # NCHW view, not C-contiguous
    want, _ = ref.max_pool(np.ascontiguousarray(x), 2)
    out = np.empty((2, 5, 3, 3), np.float32)
    assert swiftpool.max_pool2d(x, 2, out=out) is out
    assert_same_bits(out, want, "C-contiguous out")
    out_cl = np.empty((2, 3, 3, 5), np.float32).transpose(0, 3, 1, 2)
    assert swiftpool.max_pool2d(x, 2, out=out_cl) is out_cl
    assert_same_bits(np.ascontiguousarray(out_cl), want, "channels-last out")


# ---------------------------------------------------------------------------------
# Memory formats
# ---------------------------------------------------------------------------------

@pytest.mark.parametrize("rank", [1, 2, 3])
def test_numpy_channels_last_view_uses_other_kernel(rank):
    rng = np.random.default_rng(rank)
    spatial = {1: (11,), 2: (7, 6), 3: (4, 5, 3)}[rank]
    x_nhwc = rng.standard_normal((2,) + spatial + (6,)).astype(np.float32)
    x = np.moveaxis(x_nhwc, -1, 1)  # logical NCHW, memory NHWC
    assert not x.flags.c_contiguous
    fn = getattr(swiftpool, "max_pool%dd" % rank)
    v, i = fn(x, 2, 1, 1, return_indices=True)
    # Result in the input's memory format: a view whose NHWC transpose is C-contiguous.
    assert np.moveaxis(v, 1, -1).flags.c_contiguous and not v.flags.c_contiguous
    assert np.moveaxis(i, 1, -1).flags.c_contiguous
    want_v, want_i = ref.max_pool(np.ascontiguousarray(x), 2, 1, 1)
    assert_same_bits(np.ascontiguousarray(v), want_v, "values")
    assert_same_bits(np.ascontiguousarray(i), want_i, "indices")
    # And the other way round: NHWC logical, NCHW memory.
    x_nchw = np.ascontiguousarray(x)
    y = getattr(swiftpool, "avg_pool%dd" % rank)(np.moveaxis(x_nchw, 1, -1), 2, 1, 1,
                                                 layout="NHWC")
    assert np.moveaxis(y, -1, 1).flags.c_contiguous
    np.testing.assert_allclose(np.moveaxis(y, -1, 1), ref.avg_pool(x_nchw, 2, 1, 1),
                               rtol=1e-6, atol=1e-7)


def test_other_strides_are_copied():
    rng = np.random.default_rng(4)
    big = rng.standard_normal((3, 4, 14, 20)).astype(np.float32)
    for x in (big[:, ::2, 1::2, ::3], big[::-1], np.asfortranarray(big),
              big.transpose(0, 1, 3, 2)):
        v, i = swiftpool.max_pool2d(x, 3, 2, 1, return_indices=True)
        want_v, want_i = ref.max_pool(np.ascontiguousarray(x), 3, 2, 1)
        assert v.flags.c_contiguous
        assert_same_bits(v, want_v, "strided values")
        assert_same_bits(i, want_i, "strided indices")


def test_unaligned_input_is_copied():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    raw = np.zeros(x.nbytes + 1, np.uint8)
    u = raw[1:].view(np.float32).reshape(x.shape)
    u[...] = x
    assert not u.flags.aligned
    assert_same_bits(swiftpool.max_pool2d(u, 2), swiftpool.max_pool2d(x, 2), "unaligned")
    assert_same_bits(swiftpool.max_pool2d(x, 2), ref.max_pool(x, 2)[0], "aligned")


def test_input_is_not_modified_and_output_is_fresh():
    x = np.random.default_rng(6).standard_normal((2, 2, 5, 5)).astype(np.float32)
    before = x.copy()
    y = swiftpool.avg_pool2d(x, 3, 1, 1)
    assert_same_bits(x, before, "input")
    assert not np.shares_memory(x, y) and y.flags.owndata and y.flags.writeable


def test_zero_batch_and_python_ints_like_numpy_ints():
    x = np.zeros((0, 3, 5, 5), np.float32)
    v, i = swiftpool.max_pool2d(x, np.int64(2), stride=(np.int32(2),), return_indices=True)
    assert v.shape == (0, 3, 2, 2) and i.shape == (0, 3, 2, 2) and i.dtype == np.int64
    assert swiftpool.avg_pool2d(x, [3, 3], [], [1, 1]).shape == (0, 3, 2, 2)  # stride [] = 3


# ---------------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------------

def test_thread_count_setting_and_bitwise_identical_results():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 16, 64, 64)).astype(np.float32)
    default = swiftpool.get_num_threads()
    assert default >= 1
    results = []
    try:
        for n in (1, 2, 3):
            swiftpool.set_num_threads(n)
            assert swiftpool.get_num_threads() == n
            v, i = swiftpool.max_pool2d(x, 3, 2, 1, return_indices=True)
            a = swiftpool.avg_pool2d(x, 3, 2, 1, ceil_mode=True)
            results.append((v, i, a))
    finally:
        swiftpool.set_num_threads(0)
    assert swiftpool.get_num_threads() == default
    for v, i, a in results[1:]:
        assert_same_bits(v, results[0][0], "values across thread counts")
        assert_same_bits(i, results[0][1], "indices across thread counts")
        assert_same_bits(a, results[0][2], "avg across thread counts")
    with pytest.raises(ValueError, match="num_threads"):
        swiftpool.set_num_threads(-1)
    with pytest.raises(ValueError, match="int32"):
        swiftpool.set_num_threads(2 ** 31)
    with pytest.raises(TypeError):
        swiftpool.set_num_threads(1.5)


def test_thread_count_is_per_calling_thread():
    seen = {}
    swiftpool.set_num_threads(1)
    try:
        t = threading.Thread(target=lambda: seen.setdefault("other",
                                                            swiftpool.get_num_threads()))
        t.start()
        t.join()
        assert swiftpool.get_num_threads() == 1
    finally:
        swiftpool.set_num_threads(0)
    assert seen["other"] == swiftpool.get_num_threads()


def test_isa():
    assert swiftpool.isa() in ("avx2", "baseline")


def test_concurrent_calls_from_python_threads():
    rng = np.random.default_rng(8)
    xs = [rng.standard_normal((2, 3, 20 + k, 17)).astype(np.float32) for k in range(4)]
    want = [ref.max_pool(x, 3, 2, 1) for x in xs]
    failures = []

    def worker(k):
        for _ in range(30):
            v, i = swiftpool.max_pool2d(xs[k], 3, 2, 1, return_indices=True)
            if not (np.array_equal(v, want[k][0]) and np.array_equal(i, want[k][1])):
                failures.append(k)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
