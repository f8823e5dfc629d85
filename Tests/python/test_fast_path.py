"""The common-path descriptor caches of the pooling functions (functional.py, "The
common path"): a call served from a cache must give exactly what the general path
gives, for every dtype, layout and option; cached state must never leak between
calls with other arguments, other inputs or other threads; arguments that are not
cached (numpy ints, floats, ...) keep their general-path behaviour and messages.

The general path is forced by passing kernel_size as numpy integers (never cached,
normalised like Python ints); results are compared bit for bit with it, and for
float32/float64 with the numpy reference (pool_reference.py). No timing here.
"""

import ctypes
import inspect
import itertools
import threading

import numpy as np
import pytest

import swiftpool
import pool_reference as ref
from cases import assert_close, assert_same_bits, from_layout, to_layout
from swiftpool import functional as F

RANKS = (1, 2, 3)
MAX_DTYPES = ("float32", "float64", "float16", "bfloat16", "uint8", "int8")
AVG_DTYPES = ("float32", "float64", "float16", "bfloat16")


def np_dtype(name):
    if name == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def fn(op, rank):
    return getattr(swiftpool, "%s_pool%dd" % (op, rank))


def cache_of(f):
    """The descriptor cache dict of a public pooling function (a closure variable)."""
    if f is swiftpool.avg_pool1d:
        f = F._avg_pool1d
    return inspect.getclosurevars(f).nonlocals["cache"]


@pytest.fixture(autouse=True)
def empty_caches():
    for op, rank in itertools.product(("max", "avg"), RANKS):
        cache_of(fn(op, rank)).clear()
    yield


def np_ints(v):
    """The same argument as numpy integers: equal values, but never cached."""
    if isinstance(v, (tuple, list)):
        return tuple(np.int64(i) for i in v)
    return np.int64(v)


def make_input(rng, dtype, shape):
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    x = rng.standard_normal(shape) * 4
    return x.astype(dtype)


def same(got, want, what):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), what
        for g, w, part in zip(got, want, ("values", "indices")):
            same(g, w, "%s %s" % (what, part))
        return
    assert type(got) is np.ndarray, what
    assert got.strides == want.strides and got.flags.c_contiguous == want.flags.c_contiguous, what
    assert got.flags.writeable and got.flags.owndata, what
    assert_same_bits(got, want, what)


# (kernel_size, kwargs) per option set; kernel given as an int or a tuple.
MAX_OPTIONS = [
    (2, {}),
    (3, dict(stride=2, padding=1)),
    ((3, 2, 2), dict(stride=(1, 2, 2), padding=(1, 0, 1), dilation=(1, 2, 1))),
    (3, dict(stride=2, ceil_mode=True)),
    (2, dict(stride=1, return_indices=True)),
    (3, dict(stride=2, padding=1, dilation=2, ceil_mode=True, return_indices=True)),
    (2, dict(nan="ignore", return_indices=True)),
    ([2, 2, 2], dict(stride=[2, 1, 1], padding=[0, 1, 0])),  # lists
]
AVG_OPTIONS = [
    (2, {}),
    (3, dict(stride=2, padding=1)),
    (3, dict(stride=2, padding=1, count_include_pad=False)),
    ((3, 2, 3), dict(stride=(2, 1, 2), padding=(1, 1, 0), ceil_mode=True)),
    (3, dict(stride=1, padding=1, divisor_override=5)),
    ([2, 3, 2], dict(stride=[1, 2, 1], ceil_mode=True, count_include_pad=False)),
]


def fit(rank, kernel, kwargs):
    """Tuple/list arguments cut to ``rank``; divisor_override dropped for 1D avg."""
    def cut(v):
        return type(v)(v[:rank]) if isinstance(v, (tuple, list)) else v
    return cut(kernel), {k: cut(v) for k, v in kwargs.items()}


def run_cases(op):
    options = MAX_OPTIONS if op == "max" else AVG_OPTIONS
    dtypes = MAX_DTYPES if op == "max" else AVG_DTYPES
    for rank, dtype, layout, batched, (kernel, kwargs) in itertools.product(
            RANKS, dtypes, ("NCHW", "NHWC"), (True, False), options):
        if op == "avg" and rank == 1 and "divisor_override" in kwargs:
            continue
        yield rank, dtype, layout, batched, kernel, kwargs


@pytest.mark.parametrize("op", ["max", "avg"])
def test_cached_calls_match_the_general_path_bit_for_bit(op):
    rng = np.random.default_rng(123)
    count = 0
    for rank, dtype_name, layout, batched, kernel, kwargs in run_cases(op):
        if dtype_name in ("bfloat16",):
            pytest.importorskip("ml_dtypes")
        dtype = np_dtype(dtype_name)
        if dtype.name not in swiftpool.SUPPORTED_DTYPES[op + "_pool"]:
            continue
        f = fn(op, rank)
        kernel, kwargs = fit(rank, kernel, kwargs)
        spatial = (7, 6, 5)[:rank]
        x_nchw = make_input(rng, dtype, (2, 3) + spatial)
        x = to_layout(x_nchw, layout, batched)
        what = "%s rank %d %s %s batched=%s k=%r %r" % (op, rank, dtype, layout, batched,
                                                          kernel, kwargs)
        want = f(x, np_ints(kernel), layout=layout, **kwargs)  # general path, not cached
        assert len(cache_of(f)) == 0, what
        first = f(x, kernel, layout=layout, **kwargs)  # general path, fills the cache
        assert len(cache_of(f)) == 1, what
        second = f(x, kernel, layout=layout, **kwargs)  # from the cache
        third = f(x.copy(), kernel, layout=layout, **kwargs)  # other array, same key
        for got, when in ((first, "first"), (second, "cached"), (third, "cached, copy")):
            same(got, want, "%s (%s)" % (what, when))
        values = second[0] if isinstance(second, tuple) else second
        assert not np.shares_memory(values, first[0] if isinstance(first, tuple) else first)
        if dtype_name in ("float32", "float64"):  # and the independent reference
            rk = {k: v for k, v in kwargs.items() if k not in ("return_indices", "nan")}
            x_ref = x_nchw if batched else x_nchw[:1]
            if op == "max" and kwargs.get("nan") is None:
                rv, ri = ref.max_pool(x_ref, kernel, **rk)
                assert_same_bits(from_layout(values, layout, batched), rv, what)
                if kwargs.get("return_indices"):
                    assert_same_bits(from_layout(second[1], layout, batched), ri, what)
            elif op == "avg":
                rv = ref.avg_pool(x_ref, kernel, **rk).astype(dtype)
                assert_close(from_layout(values, layout, batched), rv, what, rtol=1e-6,
                             atol=1e-12)
        cache_of(f).clear()
        count += 1
    assert count > 100


def test_parameter_sets_never_leak_into_each_other():
    """A, B, A, C, ...: calls that share the input shape, the parameters or the array
    but differ in one key part each; every result must match its own reference."""
    rng = np.random.default_rng(5)
    x32 = rng.standard_normal((2, 4, 9, 8)).astype(np.float32)
    x64 = x32.astype(np.float64)
    x32_nhwc = np.ascontiguousarray(x32.transpose(0, 2, 3, 1))  # (2, 9, 8, 4)
    x_other = rng.standard_normal((2, 4, 8, 9)).astype(np.float32)
    x_nan = x32.copy()
    x_nan[0, 0, :3, :3] = np.nan
    calls = [
        (swiftpool.max_pool2d, x32, (2,), {}),
        (swiftpool.max_pool2d, x32, (2, 1), {}),
        (swiftpool.max_pool2d, x32, ((2, 2),), {}),
        (swiftpool.max_pool2d, x32, ([2, 2],), {}),
        (swiftpool.max_pool2d, x32, (3,), dict(padding=1)),
        (swiftpool.max_pool2d, x32, (3,), dict(padding=1, stride=2)),
        (swiftpool.max_pool2d, x32, (3,), dict(padding=1, stride=2, ceil_mode=True)),
        (swiftpool.max_pool2d, x32, (3,), dict(padding=1, stride=2, dilation=2)),
        (swiftpool.max_pool2d, x32, (3,), dict(stride=()), ),
        (swiftpool.max_pool2d, x32, (2,), dict(return_indices=True)),
        (swiftpool.max_pool2d, x_nan, (2,), {}),
        (swiftpool.max_pool2d, x_nan, (2,), dict(nan="ignore")),
        (swiftpool.max_pool2d, x_nan, (2,), dict(nan="ignore", return_indices=True)),
        (swiftpool.max_pool2d, x64, (2,), {}),
        (swiftpool.max_pool2d, x_other, (2,), {}),
        (swiftpool.max_pool2d, x32[0], (2,), {}),  # unbatched, same trailing shape
        (swiftpool.max_pool2d, x32_nhwc, (2,), dict(layout="NHWC")),
        (swiftpool.max_pool2d, x32.reshape(2, 9, 8, 4), (2,), {}),  # x32_nhwc's shape, NCHW
        (swiftpool.max_pool3d, x32, (2,), {}),  # the same array as unbatched 3D
        (swiftpool.avg_pool2d, x32, (3,), dict(padding=1)),
        (swiftpool.avg_pool2d, x32, (3,), dict(padding=1, count_include_pad=False)),
        (swiftpool.avg_pool2d, x32, (3,), dict(padding=1, divisor_override=2)),
        (swiftpool.avg_pool2d, x32, (3,), dict(padding=1, divisor_override=7)),
        (swiftpool.avg_pool2d, x32, (3,), dict(padding=1, ceil_mode=True, stride=2)),
        (swiftpool.avg_pool2d, x64, (3,), dict(padding=1)),
        (swiftpool.avg_pool2d, x32_nhwc, (3,), dict(padding=1, layout="NHWC")),
        (swiftpool.avg_pool1d, x32[0], (3,), dict(padding=1)),
        (swiftpool.avg_pool3d, x32, (3,), dict(padding=1)),
    ]

    def general(f, x, args, kwargs):  # the same call, forced through the general path
        return f(x, np_ints(args[0]), *args[1:], **kwargs)

    wants = [general(*c) for c in calls]
    order = list(range(len(calls)))
    for round_ in range(4):  # forward, backward, then shuffled: every pair of neighbours
        seq = order if round_ == 0 else order[::-1] if round_ == 1 else \
            list(rng.permutation(order))
        for i in seq:
            f, x, args, kwargs = calls[i]
            same(f(x, *args, **kwargs), wants[i], "call %d %s %r %r round %d"
                 % (i, f.__name__, args, kwargs, round_))
    # Spot-check the references themselves against the numpy reference.
    assert_same_bits(wants[5], ref.max_pool(x32, 3, 2, 1)[0], "reference max")
    assert_close(wants[20], ref.avg_pool(x32, 3, None, 1, count_include_pad=False)
                 .astype(np.float32), "reference avg", rtol=1e-6, atol=1e-12)


def test_arguments_that_are_not_cached_keep_their_behaviour_and_messages():
    x = np.random.default_rng(1).standard_normal((1, 2, 6, 6)).astype(np.float32)
    good = swiftpool.max_pool2d(x, 2)
    swiftpool.max_pool2d(x, 2)  # cached now
    # Bools are not ints for torch.nn.functional (kernel_size=(True, 2) is a
    # TypeError there), nor are 0/1 or numpy.bool_ bools for ceil_mode.
    for kernel in (2.0, (2.0, 2), "2", None, (True, 2), [2, True], True):
        with pytest.raises(TypeError) as cached:
            swiftpool.max_pool2d(x, kernel)
        cache_of(swiftpool.max_pool2d).clear()
        with pytest.raises(TypeError) as uncached:
            swiftpool.max_pool2d(x, kernel)
        assert str(cached.value) == str(uncached.value), kernel
    # Values equal to a cached key's but of other types: normalised like Python ints.
    swiftpool.max_pool2d(x, 2)
    for kernel in (np.int64(2), (np.int32(2), 2), [np.int64(2), 2]):
        want = swiftpool.max_pool2d(x, (2 if not isinstance(kernel, (tuple, list))
                                        else tuple(int(k) for k in kernel)))
        same(swiftpool.max_pool2d(x, kernel), want, repr(kernel))
    for flag in (1, 0, np.bool_(False), None):
        with pytest.raises(TypeError, match="ceil_mode"):
            swiftpool.max_pool2d(x, 2, ceil_mode=flag)
        with pytest.raises(TypeError, match="count_include_pad"):
            swiftpool.avg_pool2d(x, 2, count_include_pad=flag)
    same(swiftpool.max_pool2d(x, 2, ceil_mode=False), good, "ceil_mode=False")
    # Other bad arguments, after the same parameters were cached.
    with pytest.raises(ValueError, match="layout must be one of"):
        swiftpool.max_pool2d(x, 2, layout="nchw")
    with pytest.raises(ValueError, match="nan must be"):
        swiftpool.max_pool2d(x, 2, nan="Ignore")
    with pytest.raises(TypeError, match="divisor_override"):
        swiftpool.avg_pool2d(x, 2, divisor_override=2.0)
    with pytest.raises(ValueError, match="divisor_override must be non-zero"):
        swiftpool.avg_pool2d(x, 2, divisor_override=0)


def test_mutated_lists_and_many_tuples():
    """Lists are keyed by value (a list mutated between calls is seen afresh); tuple
    objects remembered as all-int by id stay correct when there are many of them."""
    x = np.random.default_rng(4).standard_normal((1, 2, 9, 9)).astype(np.float32)
    k = [2, 2]
    for kernel in ((2, 2), (3, 2), (3, 3)):
        k[:] = kernel
        same(swiftpool.max_pool2d(x, k), swiftpool.max_pool2d(x, np_ints(kernel)), repr(k))
    for i in range(3000):  # more tuples than the id memo holds, then fresh ones
        kernel = (1 + i % 3, 1 + (i // 3) % 3)
        if i % 7 == 0:
            kernel = (float(kernel[0]), kernel[1])
            with pytest.raises(TypeError):
                swiftpool.max_pool2d(x, kernel)
            continue
        got = swiftpool.max_pool2d(x, kernel)
        if i % 50 == 0:
            same(got, swiftpool.max_pool2d(x, np_ints(kernel)), repr(kernel))
    assert len(F._INT_TUPLES) <= 1024


def test_rejected_arguments_are_never_cached_and_fail_every_time():
    x = np.ones((1, 2, 6, 6), np.float32)
    out = np.full((1, 2, 3, 3), 7.0, np.float32)
    for call in (lambda: swiftpool.max_pool2d(x, 2, padding=2),     # padding > k/2
                 lambda: swiftpool.max_pool2d(x, 7),                # output < 1
                 lambda: swiftpool.avg_pool2d(x, 2, stride=0),
                 lambda: swiftpool.max_pool2d(x, 1 << 63)):         # outside int64
        messages = []
        for _ in range(3):
            with pytest.raises(ValueError) as exc:
                call()
            messages.append(str(exc.value))
        assert messages[0] == messages[1] == messages[2]
    assert len(cache_of(swiftpool.max_pool2d)) == 0
    assert len(cache_of(swiftpool.avg_pool2d)) == 0
    # A dtype the library rejects after accepting the shape: TypeError every time.
    xi = np.ones((1, 2, 6, 6), np.int8)
    if "int8" not in swiftpool.SUPPORTED_DTYPES["avg_pool"]:
        errors = []
        for _ in range(3):
            with pytest.raises(TypeError) as exc:
                swiftpool.avg_pool2d(xi, 2)
            errors.append(str(exc.value))
        assert errors[0] == errors[1] == errors[2]
    # out= is never cached, and untouched when a call fails.
    with pytest.raises(ValueError):
        swiftpool.max_pool2d(x, 2, padding=2, out=out)
    assert (out == 7.0).all()


def test_inputs_the_cache_does_not_serve():
    """Non-contiguous, channels-last views, read-only, unaligned, zero-size and torch
    inputs, and out=: correct results, cached only where documented."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    want = swiftpool.max_pool2d(x, 2, np_ints(2))
    cache = cache_of(swiftpool.max_pool2d)
    ro = x.copy()
    ro.flags.writeable = False
    same(swiftpool.max_pool2d(ro, 2, 2), want, "read-only")  # contiguous: cached
    same(swiftpool.max_pool2d(ro, 2, 2), want, "read-only, cached")
    assert len(cache) == 1
    strided = np.zeros((2, 3, 8, 16), np.float32)
    strided[..., ::2] = x
    assert_same_bits(swiftpool.max_pool2d(strided[..., ::2], 2, 2), want, "strided")
    cl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for _ in range(2):
        assert_same_bits(swiftpool.max_pool2d(cl, 2, 2), want, "channels-last view")
    raw = np.zeros(x.nbytes + 1, np.uint8)
    unaligned = raw[1:].view(np.float32).reshape(x.shape)
    unaligned[...] = x
    assert not unaligned.flags.aligned
    for _ in range(2):
        assert_same_bits(swiftpool.max_pool2d(unaligned, 2, 2), want, "unaligned")
    assert len(cache) == 1
    for _ in range(2):
        y = swiftpool.max_pool2d(np.zeros((0, 3, 8, 8), np.float32), 2, 2)
        assert y.shape == (0, 3, 4, 4)
    out = np.empty_like(want)
    assert swiftpool.max_pool2d(x, 2, 2, out=out) is out
    assert_same_bits(out, want, "out=")
    torch = pytest.importorskip("torch")
    for _ in range(2):
        assert_same_bits(swiftpool.max_pool2d(torch.from_numpy(x), 2, 2), want, "tensor")


def test_cache_is_bounded_and_eviction_is_harmless(monkeypatch):
    monkeypatch.setattr(F, "_CACHE_MAX", 3)
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal((1, 2, 4 + i, 5)).astype(np.float32) for i in range(8)]
    wants = [ref.max_pool(x, 2)[0] for x in xs]
    for _ in range(3):
        for x, want in zip(xs, wants):
            assert_same_bits(swiftpool.max_pool2d(x, 2), want, "shape %s" % (x.shape,))
            assert len(cache_of(swiftpool.max_pool2d)) <= 3


def test_portable_address_fallback_gives_the_same_results(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 7))
    want_max = swiftpool.max_pool2d(x, 3, 2, 1, return_indices=True)
    want_avg = swiftpool.avg_pool2d(x, 3, 2, 1)
    monkeypatch.setattr(F, "_FAST_ADDRESS", False)
    for _ in range(2):
        same(swiftpool.max_pool2d(x, 3, 2, 1, return_indices=True), want_max, "max")
        same(swiftpool.avg_pool2d(x, 3, 2, 1), want_avg, "avg")


def test_fast_address_reads_the_data_pointer():
    import sys
    assert F._FAST_ADDRESS == (sys.implementation.name == "cpython")
    base = np.arange(60, dtype=np.float32)
    arrays = [base, base[5:], base[::3], base.reshape(3, 4, 5).transpose(2, 0, 1),
              base.reshape(3, 20)[1:, 2:], np.empty((0, 3)), np.ones(3, np.int8)[1:]]
    for a in arrays:
        expected = a.__array_interface__["data"][0] or F._EMPTY_ADDRESS
        assert F._address(a) == expected
        if a.size:
            assert F._data_arg(a).value == expected
    with pytest.raises(AttributeError):  # not an ndarray: the portable way, never a raw read
        F._address(object())


def test_untyped_calls_release_the_gil():
    # CDLL function objects (no FUNCFLAG_PYTHONAPI) drop the GIL around the C call.
    for f in (F._c_max_untyped, F._c_avg_untyped):
        assert not f._flags_ & ctypes._FUNCFLAG_PYTHONAPI
        assert f.restype is ctypes.c_int32 and f.argtypes is None
    # The declared functions keep their argtypes (shared with the other modules).
    assert F._lib.swiftpool_max_pool_forward.argtypes is not None


def test_threads_with_different_and_shared_parameters(monkeypatch):
    """Threads call with their own parameter sets and a shared one, through a cache so
    small that entries are evicted all the time; every result must be right."""
    monkeypatch.setattr(F, "_CACHE_MAX", 2)
    rng = np.random.default_rng(11)
    x32 = rng.standard_normal((2, 3, 11, 10)).astype(np.float32)
    x64 = rng.standard_normal((1, 4, 9, 9))
    x_nhwc = np.ascontiguousarray(x32.transpose(0, 2, 3, 1))
    jobs = [
        lambda: swiftpool.max_pool2d(x32, 2),
        lambda: swiftpool.max_pool2d(x32, 3, 2, 1, return_indices=True),
        lambda: swiftpool.max_pool2d(x32, (3, 2), (1, 2), (1, 0), (1, 2), True),
        lambda: swiftpool.max_pool2d(x64, 3, 2, 1, nan="ignore"),
        lambda: swiftpool.max_pool2d(x_nhwc, 3, 2, 1, layout="NHWC"),
        lambda: swiftpool.avg_pool2d(x32, 3, 2, 1),
        lambda: swiftpool.avg_pool2d(x32, 3, 2, 1, count_include_pad=False),
        lambda: swiftpool.avg_pool2d(x64, 3, 1, 1, divisor_override=4),
        lambda: swiftpool.max_pool1d(x32[0], 3, 2, 1),
        lambda: swiftpool.avg_pool3d(x64, 2),
    ]
    wants = [job() for job in jobs]
    failures = []
    start = threading.Barrier(6)

    def worker(seed):
        order = np.random.default_rng(seed)
        start.wait()
        for _ in range(150):
            k = int(order.integers(len(jobs)))
            try:
                same(jobs[k](), wants[k], "job %d" % k)
            except AssertionError as exc:  # pragma: no cover - reported below
                failures.append(str(exc))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
