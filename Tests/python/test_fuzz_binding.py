"""Property-based fuzzing of the Python binding (hypothesis).

Every public function is called with arbitrary arguments: arrays of any rank,
dtype, layout and contiguity (views, read-only, empty dimensions, torch tensors,
lists, scalars), and parameters that are small, zero, negative, huge (2^31, 2^63,
beyond int64), floats, strings, None, bools, numpy integers and mismatched tuples.
The contract: a call either returns arrays of the documented shape and dtype or
raises ValueError / TypeError (the binding's SwiftPoolValueError /
SwiftPoolTypeError included). Anything else -- OverflowError, IndexError,
RuntimeError, struct.error, ctypes.ArgumentError, a crash -- is a bug. The one
exception is MemoryError for a *valid* call whose output does not fit: the tests
run under an address-space limit (RLIMIT_AS, current use + 2 GiB), so a huge
requested output (kernel_size 2^31 for unpooling, pooled_shape 2^31, ...) fails
fast in numpy's allocation or as SwiftPoolMemoryError instead of filling the
machine's memory. ``out=`` buffers are untouched when a call fails, and inputs
are never modified.

Where torch is importable, successful max/avg pooling calls are also compared with
torch.nn.functional on the same arguments (when torch accepts them): max values
and indices exactly (NaN where torch has NaN), averages to float tolerance.

Examples: SWIFTPOOL_FUZZ_EXAMPLES per test (default 150, deterministic, so CI is
reproducible); e.g. SWIFTPOOL_FUZZ_EXAMPLES=5000 SWIFTPOOL_FUZZ_RANDOM=1 for a
longer, randomized campaign (make test-extended does).
"""

import os
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import swiftpool  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the comparison part is skipped
    torch = None

EXAMPLES = int(os.environ.get("SWIFTPOOL_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the repository
    derandomize=not os.environ.get("SWIFTPOOL_FUZZ_RANDOM"),
    suppress_health_check=list(HealthCheck),
)

ALLOWED = (ValueError, TypeError, MemoryError)


@pytest.fixture(autouse=True)
def address_space_limit():
    """Huge valid outputs fail fast instead of using the machine's memory."""
    import resource
    old = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = used + (2 << 30)
    if old[1] != resource.RLIM_INFINITY:
        limit = min(limit, old[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old)

# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

HUGE_INTS = [2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 62, 2 ** 63 - 1, 2 ** 63, 2 ** 64, -2 ** 63, -2 ** 63 - 1]


def scalar_param(lo=-2, hi=6):
    """One int-like parameter: mostly small, sometimes hostile."""
    return st.one_of(
        st.integers(lo, hi),
        st.integers(lo, hi),
        st.sampled_from(HUGE_INTS),
        st.integers(lo, hi).map(np.int64),
        st.integers(0, 3).map(np.uint8),
        st.booleans(),
        st.sampled_from([None, 2.0, 2.5, float("nan"), float("inf"), "2", b"2", [], {}, object()]),
    )


def param(rank_max=3, lo=-2, hi=6):
    """An int or a tuple/list of ints of a (possibly wrong) length."""
    return st.one_of(
        scalar_param(lo, hi),
        st.lists(scalar_param(lo, hi), min_size=0, max_size=rank_max + 1).map(tuple),
        st.lists(st.integers(lo, hi), min_size=1, max_size=rank_max + 1),
    )


DTYPES = [np.float32, np.float64, np.float16, np.uint8, np.int8,
          np.int32, np.int64, np.bool_, np.complex64, np.float32]


@st.composite
def arrays(draw, max_dims=6):
    """An input: arrays of any rank/dtype (small), views, read-only, odd types."""
    ndim = draw(st.integers(0, max_dims))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=ndim, max_size=ndim)))
    if draw(st.integers(0, 9)) == 0 and ndim:
        shape = shape[:-1] + (draw(st.integers(6, 33)),)  # a longer last axis (SIMD tails)
    dtype = draw(st.sampled_from(DTYPES))
    size = int(np.prod(shape)) if shape else 1
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    values = rng.integers(-4, 5, size).astype(np.float64) / 2
    special = draw(st.integers(0, 3))
    if special and size:
        for value in (np.nan, np.inf, -np.inf, -0.0)[:special]:
            values[rng.integers(0, size)] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nan -> int casts
        a = values.astype(dtype).reshape(shape)
    form = draw(st.integers(0, 11))
    if form == 1 and a.ndim:
        a = np.ascontiguousarray(np.repeat(a, 2, axis=-1))[..., ::2]  # non-contiguous view
    elif form == 2:
        a.setflags(write=False)
    elif form == 3 and a.ndim >= 2:
        a = np.swapaxes(a, 0, 1)  # transposed view
    elif form == 4:
        a = a.tolist()
    elif form == 5 and torch is not None and a.dtype in (np.float32, np.float64, np.uint8, np.int8):
        a = torch.from_numpy(np.ascontiguousarray(a))
    elif form == 6:
        a = np.asfortranarray(a)
    elif form == 7:
        a = draw(st.sampled_from([None, 3, 2.5, "x", object()]))
    return a


@st.composite
def plausible(draw, ndim, floats_only=False):
    """An input the call can accept (rank and dtype right), so that hostile
    parameters get past the shape checks."""
    shape = tuple(draw(st.lists(st.integers(1, 7), min_size=ndim, max_size=ndim)))
    dtypes = [np.float32, np.float64] if floats_only else [np.float32, np.float64, np.float16, np.uint8, np.int8]
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    values = rng.integers(-4, 5, shape).astype(np.float64) / 2
    if draw(st.booleans()) and values.size:
        values.flat[rng.integers(0, values.size)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return values.astype(dtype)


def inputs(ndim, floats_only=False):
    return st.one_of(plausible(ndim, floats_only), plausible(ndim, floats_only), arrays())


def exact_param(rank, lo=-2, hi=6):
    """A list of exactly `rank` entries, one of them possibly hostile."""
    return st.lists(scalar_param(lo, hi), min_size=rank, max_size=rank)


LAYOUT = st.one_of(st.just("NCHW"), st.just("NCHW"), st.just("NHWC"),
                   st.sampled_from(["nchw", "NDHWC", "", None, 1, b"NCHW"]))


def out_buffer(draw, like):
    """out=: None mostly, else an array of a guessed shape (maybe wrong)."""
    if draw(st.integers(0, 3)):
        return None
    if like is not None and isinstance(like, np.ndarray) and draw(st.booleans()):
        return like  # aliasing the input
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=5)))
    return np.full(shape, 7, draw(st.sampled_from([np.float32, np.float64, np.int64])))


def snapshot(x):
    """The bytes of an array-like input (None for other inputs)."""
    if isinstance(x, np.ndarray):
        return (x.shape, x.tobytes())
    if torch is not None and isinstance(x, torch.Tensor):
        return (tuple(x.shape), x.numpy().tobytes())
    return None


def unchanged(before, x):
    return before is None or before == snapshot(x)


def call(fn, *args, **kwargs):
    """Runs fn; returns its result or None when it raised an allowed error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except ALLOWED:
        return None
    except BaseException as exc:  # pragma: no cover - a finding
        raise AssertionError("%s(%s, %s) raised %s: %s" % (
            getattr(fn, "__name__", fn), _short(args), _short(kwargs), type(exc).__name__, exc)) from exc


def _short(value):
    text = repr(value)
    return text if len(text) < 600 else text[:600] + "..."


def check_result(result, out):
    """A success returns numpy arrays (with out=: that very array)."""
    parts = result if isinstance(result, tuple) else (result,)
    for part in parts:
        assert isinstance(part, np.ndarray), type(part)
    if out is not None and isinstance(out, np.ndarray):
        assert parts[0] is out or parts[0].base is out or np.shares_memory(parts[0], out)


# ---------------------------------------------------------------------------
# Pooling (torch.nn.functional API)
# ---------------------------------------------------------------------------

POOLS = [(swiftpool.max_pool1d, 1, "max"), (swiftpool.max_pool2d, 2, "max"),
         (swiftpool.max_pool3d, 3, "max"), (swiftpool.avg_pool1d, 1, "avg"),
         (swiftpool.avg_pool2d, 2, "avg"), (swiftpool.avg_pool3d, 3, "avg")]


@FUZZ
@given(st.data())
def test_pooling_raises_only_value_or_type_errors(data):
    fn, rank, kind = data.draw(st.sampled_from(POOLS))
    x = data.draw(inputs(rank + 2))
    kwargs = dict(kernel_size=data.draw(st.one_of(param(rank, -1, 5), exact_param(rank, -1, 5))))
    for name in ("stride", "padding") + (("dilation",) if kind == "max" else ()):
        if data.draw(st.booleans()):
            kwargs[name] = data.draw(param(rank, -1, 4))
    if data.draw(st.booleans()):
        kwargs["ceil_mode"] = data.draw(st.sampled_from([True, False, 0, 1, 2, None, "yes"]))
    if kind == "max" and data.draw(st.booleans()):
        kwargs["return_indices"] = data.draw(st.sampled_from([True, False, 1, None]))
    if kind == "avg":
        if data.draw(st.booleans()):
            kwargs["count_include_pad"] = data.draw(st.sampled_from([True, False, 0, 2, None]))
        if rank > 1 and data.draw(st.booleans()):
            kwargs["divisor_override"] = data.draw(scalar_param(-1, 9))
    if data.draw(st.booleans()):
        kwargs["layout"] = data.draw(LAYOUT)
    out = out_buffer(data.draw, x)
    if out is not None:
        kwargs["out"] = (out, np.full(out.shape, 5, np.int64)) if kwargs.get("return_indices") is True else out
    before, out_before = snapshot(x), snapshot(out)
    result = call(fn, x, **kwargs)
    if out is not x:
        assert unchanged(before, x), "input modified"
    if result is None:
        if out is not None and out is not x:
            assert unchanged(out_before, out), "out= written by a failing call"
        return
    check_result(result, out if not isinstance(kwargs.get("out"), tuple) else kwargs["out"][0])
    if torch is not None and out is None:
        compare_with_torch(fn, rank, kind, x, kwargs, result)


def compare_with_torch(fn, rank, kind, x, kwargs, result):
    """Same call in torch (NCHW only); skipped when torch rejects it."""
    if kwargs.get("layout", "NCHW") != "NCHW" or not isinstance(x, np.ndarray):
        return
    if x.dtype not in (np.float32, np.float64):
        return
    tfn = getattr(F, fn.__name__)
    targs = {k: v for k, v in kwargs.items() if k != "layout"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = tfn(torch.from_numpy(np.ascontiguousarray(x)), **targs)
    except Exception:  # torch's own rules differ on hostile arguments; not our contract
        return
    got = result if isinstance(result, tuple) else (result,)
    want = expected if isinstance(expected, tuple) else (expected,)
    assert got[0].shape == tuple(want[0].shape), (got[0].shape, tuple(want[0].shape), kwargs)
    w = want[0].numpy()
    if kind == "max":
        np.testing.assert_array_equal(got[0], w)  # NaN == NaN here
        if len(got) > 1:
            np.testing.assert_array_equal(got[1], want[1].numpy())
    else:
        np.testing.assert_allclose(got[0], w, rtol=1e-5 if x.dtype == np.float32 else 1e-12,
                                   atol=1e-6 if x.dtype == np.float32 else 1e-12, equal_nan=True)


# ---------------------------------------------------------------------------
# Unpooling, fractional and ROI pooling, ONNX front end, runtime settings
# ---------------------------------------------------------------------------

@FUZZ
@given(st.data())
def test_unpool_raises_only_value_or_type_errors(data):
    rank = data.draw(st.integers(1, 3))
    fn = getattr(swiftpool, "max_unpool%dd" % rank)
    x = data.draw(inputs(rank + 2))
    shape = np.shape(x) if isinstance(x, np.ndarray) else (2,)
    limit = data.draw(st.sampled_from([4, 16, 64, 2 ** 40]))
    seed = data.draw(st.integers(0, 2 ** 31))
    indices = data.draw(st.one_of(
        st.just(np.random.default_rng(seed).integers(-1, limit, shape, dtype=np.int64)),
        st.just(np.zeros(shape, np.int32)),
        arrays()))
    kwargs = dict(kernel_size=data.draw(param(rank, -1, 4)))
    if data.draw(st.booleans()):
        kwargs["stride"] = data.draw(param(rank, -1, 4))
    if data.draw(st.booleans()):
        kwargs["padding"] = data.draw(param(rank, -1, 3))
    if data.draw(st.booleans()):
        kwargs["output_size"] = data.draw(st.one_of(param(rank + 2, -1, 9), st.none()))
    if data.draw(st.booleans()):
        kwargs["layout"] = data.draw(LAYOUT)
    before = snapshot(x)
    result = call(fn, x, indices, **kwargs)
    assert unchanged(before, x)
    if result is not None:
        check_result(result, None)


@FUZZ
@given(st.data())
def test_fractional_raises_only_value_or_type_errors(data):
    rank = data.draw(st.integers(2, 3))
    fn = getattr(swiftpool, "fractional_max_pool%dd" % rank)
    x = data.draw(inputs(rank + 2, floats_only=True))
    kwargs = dict(kernel_size=data.draw(param(rank, -1, 4)))
    choice = data.draw(st.integers(0, 3))
    if choice in (0, 2):
        kwargs["output_size"] = data.draw(param(rank, -1, 6))
    if choice in (1, 2):
        kwargs["output_ratio"] = data.draw(st.one_of(
            st.floats(-1, 2), st.tuples(st.floats(0, 1), st.floats(0, 1)), scalar_param()))
    if data.draw(st.booleans()):
        kwargs["return_indices"] = True
    if data.draw(st.booleans()):
        kwargs["_random_samples"] = data.draw(st.one_of(arrays(), st.just(np.full((1, 1, rank), 0.5, np.float32))))
    if data.draw(st.booleans()):
        kwargs["seed"] = data.draw(scalar_param(0, 2 ** 20))
    if data.draw(st.booleans()):
        kwargs["layout"] = data.draw(LAYOUT)
    before = snapshot(x)
    result = call(fn, x, **kwargs)
    assert unchanged(before, x)
    if result is not None:
        check_result(result, None)


@FUZZ
@given(st.data())
def test_roi_pool_raises_only_value_or_type_errors(data):
    x = data.draw(inputs(4, floats_only=True))
    k = data.draw(st.integers(0, 4))
    seed = data.draw(st.integers(0, 2 ** 31))
    rng = np.random.default_rng(seed)
    boxes = data.draw(st.one_of(
        st.just(np.concatenate([rng.integers(0, 3, (k, 1)), rng.uniform(-3, 9, (k, 4))], axis=1)),
        st.just(np.array([[0, np.nan, 0, 1, 1], [0, 0, 0, 1e30, 2]])),
        st.just([rng.uniform(0, 5, (k, 4))]),
        arrays()))
    kwargs = dict(output_size=data.draw(param(2, -1, 5)))
    if data.draw(st.booleans()):
        kwargs["spatial_scale"] = data.draw(st.sampled_from(
            [1.0, 0.5, 0.0, -1.0, float("nan"), float("inf"), 1e-50, 1e300, 2, "1", None]))
    if data.draw(st.booleans()):
        kwargs["return_argmax"] = True
    if data.draw(st.booleans()):
        kwargs["layout"] = data.draw(LAYOUT)
    before = snapshot(x)
    result = call(swiftpool.roi_pool, x, boxes, **kwargs)
    assert unchanged(before, x)
    if result is not None:
        check_result(result, None)


ONNX_FUNCS = ["max_pool", "average_pool", "lp_pool", "global_max_pool", "global_average_pool",
              "global_lp_pool"]


@FUZZ
@given(st.data())
def test_onnx_front_end_raises_only_value_or_type_errors(data):
    onnx = pytest.importorskip("swiftpool.onnx")
    name = data.draw(st.sampled_from(ONNX_FUNCS))
    fn = getattr(onnx, name, None)
    # LP pooling is bound ahead of its C entry point (another branch); fuzz it once
    # the loaded library has it.
    if fn is None or ("lp" in name and not hasattr(swiftpool._lib.lib, "swiftpool_lp_pool_forward")):
        return
    rank = data.draw(st.integers(1, 3))
    x = data.draw(inputs(rank + 2))
    kwargs = {}
    if not name.startswith("global"):
        kwargs["kernel_shape"] = data.draw(st.one_of(exact_param(rank, -1, 4), param(3, -1, 4), st.none()))
        for key in ("strides", "pads", "dilations"):
            if data.draw(st.booleans()):
                length = 2 * rank if key == "pads" else rank
                kwargs[key] = data.draw(st.one_of(exact_param(length, -1, 4), param(6, -1, 4)))
        if data.draw(st.booleans()):
            kwargs["auto_pad"] = data.draw(st.sampled_from(
                ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "same", "", None, 3]))
        if data.draw(st.booleans()):
            kwargs["ceil_mode"] = data.draw(st.sampled_from([0, 1, 2, True, None]))
    if "lp" in name and data.draw(st.booleans()):
        kwargs["p"] = data.draw(st.sampled_from([1, 2, 3, 0, -1, 2.5, float("inf"), "2", None]))
    before = snapshot(x)
    result = call(fn, x, **kwargs)
    assert unchanged(before, x)
    if result is not None:
        check_result(result, None)


@FUZZ
@given(st.data())
def test_onnx_unpool_and_roi_raise_only_value_or_type_errors(data):
    onnx = pytest.importorskip("swiftpool.onnx")
    rank = data.draw(st.integers(1, 3))
    x = data.draw(inputs(rank + 2))
    before = snapshot(x)
    if data.draw(st.booleans()):
        shape = np.shape(x) if isinstance(x, np.ndarray) else (1,)
        rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 31)))
        indices = rng.integers(-1, 4 * max(1, int(np.prod(shape))), shape, dtype=np.int64)
        kwargs = dict(kernel_shape=data.draw(st.one_of(exact_param(rank, -1, 4), param(3, -1, 4))))
        if data.draw(st.booleans()):
            kwargs["strides"] = data.draw(exact_param(rank, -1, 4))
        if data.draw(st.booleans()):
            kwargs["pads"] = data.draw(exact_param(2 * rank, -1, 3))
        if data.draw(st.booleans()):
            kwargs["output_shape"] = data.draw(st.one_of(exact_param(rank + 2, -1, 12), param(5, -1, 12)))
        result = call(onnx.max_unpool, x, indices, **kwargs)
    else:
        rois = np.random.default_rng(1).uniform(-2, 8, (3, 5))
        rois[:, 0] = data.draw(st.sampled_from([0, 1, -1, 0.5, np.nan]))
        kwargs = dict(pooled_shape=data.draw(st.one_of(exact_param(2, -1, 4), param(2, -1, 4))))
        if data.draw(st.booleans()):
            kwargs["spatial_scale"] = data.draw(st.sampled_from([1.0, 0.25, 0.0, -1.0, float("nan"), 1e300]))
        result = call(onnx.max_roi_pool, x, rois, **kwargs)
    assert unchanged(before, x)
    if result is not None:
        check_result(result, None)


@FUZZ
@given(scalar_param(-3, 70))
def test_thread_count_raises_only_value_or_type_errors(n):
    before = swiftpool.get_num_threads()
    try:
        swiftpool.set_num_threads(n)
    except ALLOWED:
        assert swiftpool.get_num_threads() == before
        return
    finally:
        pass
    assert swiftpool.get_num_threads() >= 1
    swiftpool.set_num_threads(0)
