"""Bad input: every bad argument raises ValueError/TypeError whose message names
the argument (for library-side checks: the library's own message, from
swiftpool_last_error_message(), plus the status name), and leaves ``out=``
untouched. Also the raw C API through the binding's ctypes declarations:
failing calls write nothing."""

import ctypes

import numpy as np
import pytest

import swiftpool
from swiftpool import _lib as L

SENTINEL = np.float32(1234.5)
X = np.arange(2 * 3 * 6 * 6, dtype=np.float32).reshape(2, 3, 6, 6)


def _out(shape=(2, 3, 3, 3), dtype=np.float32):
    return np.full(shape, SENTINEL, dtype)


# (id, function, input, kwargs, exception, substrings the message must contain,
#  library-side?)  Library-side errors are SwiftPoolError with a status.
BAD = [
    ("kernel_zero", swiftpool.max_pool2d, X, dict(kernel_size=0), ValueError,
     ["kernel_size", "0", "SWIFTPOOL_ERROR_INVALID_ARGUMENT"], True),
    ("kernel_negative", swiftpool.max_pool2d, X, dict(kernel_size=(2, -3)), ValueError,
     ["kernel_size", "-3", "axis 1"], True),
    ("stride_zero", swiftpool.max_pool2d, X, dict(kernel_size=2, stride=0), ValueError,
     ["stride", "0"], True),
    ("stride_negative", swiftpool.avg_pool2d, X, dict(kernel_size=2, stride=(1, -1)), ValueError,
     ["stride", "-1"], True),
    ("padding_negative", swiftpool.max_pool2d, X, dict(kernel_size=3, padding=-1), ValueError,
     ["padding", "-1"], True),
    ("padding_over_half", swiftpool.max_pool2d, X, dict(kernel_size=3, padding=2), ValueError,
     ["padding", "half"], True),
    ("padding_over_half_avg", swiftpool.avg_pool2d, X, dict(kernel_size=4, padding=(0, 3)),
     ValueError, ["padding", "axis 1"], True),
    ("dilation_zero", swiftpool.max_pool2d, X, dict(kernel_size=2, dilation=0), ValueError,
     ["dilation", "0"], True),
    ("window_larger_than_input", swiftpool.max_pool2d, X, dict(kernel_size=7), ValueError,
     ["output size", "kernel_size", "SWIFTPOOL_ERROR_INVALID_SHAPE"], True),
    ("dilated_window_larger", swiftpool.max_pool2d, X, dict(kernel_size=3, dilation=(1, 3)),
     ValueError, ["output size", "dilation"], True),
    ("kernel_huge", swiftpool.max_pool2d, X, dict(kernel_size=2 ** 62), ValueError,
     ["kernel_size", "SWIFTPOOL_ERROR_INVALID_SHAPE"], True),
    ("dilated_kernel_overflow", swiftpool.max_pool2d, X, dict(kernel_size=2 ** 62, dilation=4),
     ValueError, ["kernel_size", "SWIFTPOOL_ERROR_OVERFLOW"], True),
    ("kernel_beyond_int64", swiftpool.max_pool2d, X, dict(kernel_size=2 ** 63), ValueError,
     ["kernel_size", "int64"], False),
    ("stride_beyond_int64", swiftpool.avg_pool1d, X[0], dict(kernel_size=2, stride=-2 ** 64),
     ValueError, ["stride", "int64"], False),
    ("kernel_tuple_length", swiftpool.max_pool2d, X, dict(kernel_size=(2, 2, 2)), ValueError,
     ["kernel_size", "tuple of 1 or 2"], False),
    ("padding_tuple_length", swiftpool.max_pool3d, X[None], dict(kernel_size=2, padding=(0, 0)),
     ValueError, ["padding", "tuple of 1 or 3"], False),
    ("kernel_float", swiftpool.max_pool2d, X, dict(kernel_size=2.5), TypeError,
     ["kernel_size", "float"], False),
    ("stride_str", swiftpool.max_pool1d, X[0], dict(kernel_size=2, stride="2"), TypeError,
     ["stride"], False),
    ("dilation_none", swiftpool.max_pool2d, X, dict(kernel_size=2, dilation=None), TypeError,
     ["dilation"], False),
    ("divisor_zero", swiftpool.avg_pool2d, X, dict(kernel_size=2, divisor_override=0),
     ValueError, ["divisor_override"], False),
    ("divisor_negative", swiftpool.avg_pool3d, X[None], dict(kernel_size=2, divisor_override=-2),
     ValueError, ["divisor_override", "-2"], True),
    ("divisor_float", swiftpool.avg_pool2d, X, dict(kernel_size=2, divisor_override=1.5),
     TypeError, ["divisor_override"], False),
    ("channels_zero", swiftpool.max_pool2d, np.zeros((1, 0, 4, 4), np.float32),
     dict(kernel_size=2), ValueError, ["channels", "0"], True),
    ("channels_zero_nhwc", swiftpool.avg_pool1d, np.zeros((3, 5, 0), np.float32),
     dict(kernel_size=2, layout="NHWC"), ValueError, ["channels"], True),
    ("spatial_zero", swiftpool.max_pool2d, np.zeros((1, 1, 0, 4), np.float32),
     dict(kernel_size=1), ValueError, ["input_size", "0"], True),
    ("spatial_zero_3d", swiftpool.avg_pool3d, np.zeros((2, 3, 3, 0), np.float32),
     dict(kernel_size=1), ValueError, ["input_size", "axis 2"], True),
    ("too_few_dims", swiftpool.max_pool2d, np.zeros((4, 4), np.float32), dict(kernel_size=2),
     ValueError, ["input", "dimensions", "(4, 4)"], False),
    ("too_many_dims", swiftpool.max_pool1d, X, dict(kernel_size=2), ValueError,
     ["input", "dimensions"], False),
    ("scalar_input", swiftpool.avg_pool1d, np.float32(3), dict(kernel_size=1), ValueError,
     ["dimensions"], False),
    ("layout_unknown", swiftpool.max_pool2d, X, dict(kernel_size=2, layout="NWHC"), ValueError,
     ["layout", "NWHC"], False),
    ("layout_lowercase", swiftpool.avg_pool2d, X, dict(kernel_size=2, layout="nchw"), ValueError,
     ["layout"], False),
    ("layout_int", swiftpool.avg_pool2d, X, dict(kernel_size=2, layout=1), ValueError,
     ["layout"], False),
    ("dtype_int32", swiftpool.max_pool2d, X.astype(np.int32), dict(kernel_size=2), TypeError,
     ["int32", "float32"], False),
    ("dtype_int64", swiftpool.avg_pool2d, X.astype(np.int64), dict(kernel_size=2), TypeError,
     ["int64", "float32"], False),
    ("dtype_bool", swiftpool.max_pool2d, X > 3, dict(kernel_size=2), TypeError,
     ["bool", "float32"], False),
    ("dtype_complex", swiftpool.max_pool2d, X.astype(np.complex64), dict(kernel_size=2),
     TypeError, ["complex64"], False),
    ("dtype_object", swiftpool.max_pool2d, X.astype(object), dict(kernel_size=2), TypeError,
     ["object"], False),
    ("dtype_big_endian", swiftpool.max_pool2d, X.astype(">f4"), dict(kernel_size=2), TypeError,
     [">f4", "float32"], False),
    ("dtype_uint8_avg", swiftpool.avg_pool2d, X.astype(np.uint8), dict(kernel_size=2), TypeError,
     ["uint8", "avg_pool2d", "float32"], True),
]


@pytest.mark.parametrize("name,fn,x,kw,exc,parts,library_side", BAD, ids=[b[0] for b in BAD])
def test_bad_argument(name, fn, x, kw, exc, parts, library_side):
    with pytest.raises(exc) as info:
        fn(x, **kw)
    msg = str(info.value)
    for part in parts:
        assert part in msg, "%s: %r not in %r" % (name, part, msg)
    assert msg.startswith(fn.__name__ + ":"), msg
    if library_side:
        # The library's own message, verbatim, plus the status name.
        assert isinstance(info.value, swiftpool.SwiftPoolError), type(info.value)
        assert info.value.c_message and info.value.c_message in msg
        assert info.value.status_name in msg
        assert info.value.status == getattr(L, info.value.status_name[len("SWIFTPOOL_"):])
    else:
        assert not isinstance(info.value, swiftpool.SwiftPoolError)


@pytest.mark.parametrize("name,fn,x,kw,exc,parts,library_side", BAD, ids=[b[0] for b in BAD])
def test_bad_argument_leaves_out_untouched(name, fn, x, kw, exc, parts, library_side):
    xa = np.asarray(x)
    dtype = xa.dtype if xa.dtype.kind in "fiu" and xa.dtype.isnative else np.float32
    out = np.full((2, 3, 3, 3), 7, dtype)
    before = out.copy()
    with pytest.raises(exc):
        fn(x, out=out, **kw)
    np.testing.assert_array_equal(out, before)


def test_library_error_after_shape_check_writes_nothing():
    """divisor_override < 0 passes swiftpool_pool_output_shape and is refused by
    swiftpool_avg_pool_forward itself, with a valid out= already in place."""
    out = _out()
    with pytest.raises(ValueError, match="divisor_override") as info:
        swiftpool.avg_pool2d(X, 2, divisor_override=-1, out=out)
    assert "swiftpool_avg_pool_forward" in str(info.value)
    assert (out == SENTINEL).all()
    # The same out= works for a valid call (so the shape above was right).
    assert swiftpool.avg_pool2d(X, 2, out=out) is out and not (out == SENTINEL).any()


BAD_OUT = [
    ("wrong_shape", lambda: _out((2, 3, 3, 4)), ValueError, ["out", "shape", "(2, 3, 3, 3)"]),
    ("unbatched_shape", lambda: _out((3, 3, 3)), ValueError, ["out", "shape"]),
    ("wrong_dtype", lambda: _out(dtype=np.float64), TypeError, ["out", "float64", "float32"]),
    ("non_contiguous", lambda: _out((2, 3, 3, 6))[..., ::2], ValueError, ["out", "contiguous"]),
    ("fortran_order", lambda: np.asfortranarray(_out()), ValueError, ["out", "contiguous"]),
    ("read_only", lambda: _readonly(_out()), ValueError, ["out", "read-only"]),
    ("not_an_array", lambda: _out().tolist(), TypeError, ["out", "ndarray"]),
    ("unaligned", lambda: _unaligned((2, 3, 3, 3)), ValueError, ["out", "aligned"]),
]


def _readonly(a):
    a.flags.writeable = False
    return a


def _unaligned(shape):
    raw = np.full(int(np.prod(shape)) * 4 + 1, 0x55, np.uint8)
    return raw[1:].view(np.float32).reshape(shape)


@pytest.mark.parametrize("name,make,exc,parts", BAD_OUT, ids=[b[0] for b in BAD_OUT])
def test_bad_out(name, make, exc, parts):
    out = make()
    before = np.array(out, copy=True)
    with pytest.raises(exc) as info:
        swiftpool.max_pool2d(X, 2, out=out)
    for part in parts:
        assert part in str(info.value), (part, str(info.value))
    np.testing.assert_array_equal(np.asarray(out), before)


def test_out_overlapping_input():
    buf = np.zeros(2 * 3 * 6 * 6 + 10, np.float32)
    x = buf[:2 * 3 * 6 * 6].reshape(2, 3, 6, 6)
    x[:] = X
    out = buf[-2 * 3 * 3 * 3:].reshape(2, 3, 3, 3)  # shares the tail of x
    before = out.copy()
    with pytest.raises(ValueError, match="overlap"):
        swiftpool.max_pool2d(x, 2, out=out)
    np.testing.assert_array_equal(out, before)


def test_bad_indices_out():
    vals = _out()
    for bad, exc, part in ((np.zeros((2, 3, 3, 3), np.int32), TypeError, "int32"),
                           (np.zeros((2, 3, 3, 2), np.int64), ValueError, "shape"),
                           (vals.view(np.int32), TypeError, "int32")):
        with pytest.raises(exc, match=part):
            swiftpool.max_pool2d(X, 2, return_indices=True, out=(vals, bad))
        assert (vals == SENTINEL).all()
    with pytest.raises(ValueError, match="pair"):
        swiftpool.max_pool2d(X, 2, return_indices=True, out=(vals,))
    with pytest.raises(TypeError, match="return_indices"):
        swiftpool.max_pool2d(X, 2, out=(vals, None))
    raw = np.full(54, -7, np.int64)
    idx = raw.reshape(2, 3, 3, 3)
    shared = raw.view(np.float32)[:54].reshape(2, 3, 3, 3)  # the first half of idx's bytes
    with pytest.raises(ValueError, match="overlap"):
        swiftpool.max_pool2d(X, 2, return_indices=True, out=(shared, idx))
    assert (raw == -7).all()


# ---------------------------------------------------------------------------------
# The raw C API, through the ctypes declarations of swiftpool._lib.
# ---------------------------------------------------------------------------------

def _desc(rank=2, **fields):
    scratch = ctypes.create_string_buffer(4096)
    assert L.lib.swiftpool_pool_desc_init(ctypes.cast(scratch, ctypes.POINTER(L.PoolDesc)),
                                          rank) == L.OK
    d = L.PoolDesc.from_buffer_copy(scratch.raw[:ctypes.sizeof(L.PoolDesc)])
    for name, value in fields.items():
        if isinstance(value, tuple):
            getattr(d, name)[:len(value)] = value
        else:
            setattr(d, name, value)
    return d


def _last_error():
    return L.lib.swiftpool_last_error_message().decode()


def test_raw_buffer_too_small_writes_nothing():
    d = _desc(2, channels=2, input_size=(4, 4), kernel_size=(2, 2), stride=(2, 2))
    x = np.arange(32, dtype=np.float32)
    out = np.full(8, SENTINEL, np.float32)
    idx = np.full(8, -7, np.int64)
    ptr = lambda a: a.__array_interface__["data"][0]  # noqa: E731
    for args, what in (((ptr(x), 31, ptr(out), 8, ptr(idx), 8), "input_len"),
                       ((ptr(x), 32, ptr(out), 7, ptr(idx), 8), "output_len"),
                       ((ptr(x), 32, ptr(out), 8, ptr(idx), 7), "indices_len")):
        st = L.lib.swiftpool_max_pool_forward(ctypes.byref(d), *args)
        assert st == L.ERROR_BUFFER_TOO_SMALL, (what, st, _last_error())
        assert what in _last_error()
        assert (out == SENTINEL).all() and (idx == -7).all()
    st = L.lib.swiftpool_avg_pool_forward(ctypes.byref(d), ptr(x), 32, ptr(out), 7)
    assert st == L.ERROR_BUFFER_TOO_SMALL and "output_len" in _last_error()
    assert (out == SENTINEL).all()
    # With the real capacities it succeeds, and the message is cleared.
    assert L.lib.swiftpool_max_pool_forward(ctypes.byref(d), ptr(x), 32, ptr(out), 8,
                                            ptr(idx), 8) == L.OK
    assert _last_error() == ""
    want = x.reshape(2, 2, 2, 2, 2).max(axis=(2, 4)).ravel()
    np.testing.assert_array_equal(out, want)


def test_raw_null_pointers_and_bad_descriptors():
    x = np.zeros(16, np.float32)
    out = np.full(4, SENTINEL, np.float32)
    ptr = lambda a: a.__array_interface__["data"][0]  # noqa: E731
    d = _desc(2, input_size=(4, 4), kernel_size=(2, 2), stride=(2, 2))
    assert L.lib.swiftpool_max_pool_forward(None, ptr(x), 16, ptr(out), 4, None, 0) == \
        L.ERROR_NULL_POINTER and "desc" in _last_error()
    assert L.lib.swiftpool_max_pool_forward(ctypes.byref(d), None, 16, ptr(out), 4, None, 0) \
        == L.ERROR_NULL_POINTER and "input" in _last_error()
    assert L.lib.swiftpool_avg_pool_forward(ctypes.byref(d), ptr(x), 16, None, 4) == \
        L.ERROR_NULL_POINTER and "output" in _last_error()
    for fields, status, part in (
            (dict(struct_size=ctypes.sizeof(L.PoolDesc) - 8), L.ERROR_UNSUPPORTED, "struct_size"),
            (dict(flags=1 << 30), L.ERROR_UNSUPPORTED, "flags"),
            (dict(dtype=77), L.ERROR_UNSUPPORTED, "dtype"),
            (dict(layout=3), L.ERROR_UNSUPPORTED, "layout"),
            (dict(spatial_rank=4), L.ERROR_UNSUPPORTED, "spatial_rank"),
            (dict(ceil_mode=2), L.ERROR_INVALID_ARGUMENT, "ceil_mode"),
            (dict(batch=-1), L.ERROR_INVALID_ARGUMENT, "batch"),
            (dict(batch=2 ** 62, channels=4), L.ERROR_OVERFLOW, "overflow")):
        bad = _desc(2, input_size=(4, 4), kernel_size=(2, 2), stride=(2, 2), **fields)
        sizes = (ctypes.c_int64 * 3)(-5, -5, -5)
        elems = ctypes.c_int64(-5)
        st = L.lib.swiftpool_pool_output_shape(ctypes.byref(bad), sizes, ctypes.byref(elems))
        assert st == status, (fields, st, _last_error())
        assert part in _last_error(), (part, _last_error())
        assert list(sizes) == [-5, -5, -5] and elems.value == -5  # nothing written
        st = L.lib.swiftpool_max_pool_forward(ctypes.byref(bad), ptr(x), 16, ptr(out), 4,
                                              None, 0)
        assert st == status and (out == SENTINEL).all()
    assert L.lib.swiftpool_pool_desc_init(None, 2) == L.ERROR_NULL_POINTER
    assert L.lib.swiftpool_pool_desc_init(ctypes.byref(L.PoolDesc()), 0) == L.ERROR_UNSUPPORTED


def test_raw_status_strings():
    for code, name in L.STATUS_NAMES.items():
        assert L.lib.swiftpool_status_string(code).decode() == name
    assert L.lib.swiftpool_status_string(12345).decode() == "SWIFTPOOL_UNKNOWN_STATUS"
    assert L.lib.swiftpool_status_string(-1).decode() == "SWIFTPOOL_UNKNOWN_STATUS"


def test_errors_are_per_thread():
    """Each thread sees its own last error (the binding reads it right after the call)."""
    import threading
    results = {}

    def worker(i):
        msgs = []
        for _ in range(200):
            try:
                swiftpool.max_pool2d(X, 2, stride=-i)
            except ValueError as exc:
                msgs.append(str(exc))
        results[i] = msgs

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, msgs in results.items():
        assert len(msgs) == 200
        assert all("stride is -%d," % i in m for m in msgs), set(msgs)
