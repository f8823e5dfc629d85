"""Pooling functions with the signatures and semantics of ``torch.nn.functional``.

All six public functions are thin wrappers around one generic function,
``_pool``, which serves every spatial rank (1, 2, 3) and both operators.
"""

import ctypes
import operator
import struct

import numpy as np

from . import _lib as _L

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "SwiftPoolError", "SwiftPoolValueError", "SwiftPoolTypeError", "SwiftPoolMemoryError",
    "SwiftPoolInternalError", "SUPPORTED_DTYPES", "LAYOUTS",
]

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class SwiftPoolError(Exception):
    """Base of the errors reported by the C library.

    Attributes: ``status`` (the swiftpool_status value), ``status_name``
    ("SWIFTPOOL_ERROR_INVALID_ARGUMENT", ...) and ``c_message`` (the text of
    ``swiftpool_last_error_message()``). Raised as one of the subclasses below,
    so ``except ValueError`` / ``except TypeError`` work as usual.
    """

    def __init__(self, message, status, status_name, c_message):
        super().__init__(message)
        self.status = status
        self.status_name = status_name
        self.c_message = c_message


class SwiftPoolValueError(SwiftPoolError, ValueError):
    """A C-side argument/shape/overflow/capacity error (a ``ValueError``)."""


class SwiftPoolTypeError(SwiftPoolError, TypeError):
    """The C library does not support the input's dtype (a ``TypeError``)."""


class SwiftPoolMemoryError(SwiftPoolError, MemoryError):
    """The C library could not allocate scratch memory (a ``MemoryError``)."""


class SwiftPoolInternalError(SwiftPoolError, RuntimeError):
    """A bug in libswiftpool (SWIFTPOOL_ERROR_INTERNAL; a ``RuntimeError``)."""


# ---------------------------------------------------------------------------
# Library handles, constants and prebuilt objects
# ---------------------------------------------------------------------------

_lib = _L.lib
_c_output_shape = _lib.swiftpool_pool_output_shape
_c_max = _lib.swiftpool_max_pool_forward
_c_avg = _lib.swiftpool_avg_pool_forward
_c_last_error = _lib.swiftpool_last_error_message
_c_status_string = _lib.swiftpool_status_string

_MAX, _AVG = 0, 1
LAYOUTS = ("NCHW", "NHWC")
_LAYOUT_CODE = {"NCHW": _L.LAYOUT_NCHW, "NHWC": _L.LAYOUT_NHWC}
_OTHER_LAYOUT = {_L.LAYOUT_NCHW: _L.LAYOUT_NHWC, _L.LAYOUT_NHWC: _L.LAYOUT_NCHW}

# numpy dtype -> swiftpool_dtype. Every code is passed to the library, which
# reports UNSUPPORTED itself for what it lacks; SUPPORTED_DTYPES (per operator, what
# the loaded library accepts) is probed at import, below. bfloat16 has no numpy
# dtype of its own: a dtype named "bfloat16" of 2 bytes (ml_dtypes.bfloat16, the
# one JAX and ONNX use) maps to SWIFTPOOL_DTYPE_BFLOAT16, without importing it.
_DTYPE_CODE = {
    np.dtype(np.float32): _L.DTYPE_FLOAT32,
    np.dtype(np.float64): _L.DTYPE_FLOAT64,
    np.dtype(np.float16): _L.DTYPE_FLOAT16,
    np.dtype(np.uint8): _L.DTYPE_UINT8,
    np.dtype(np.int8): _L.DTYPE_INT8,
}
_DTYPE_NAME = {_L.DTYPE_FLOAT32: "float32", _L.DTYPE_FLOAT64: "float64",
               _L.DTYPE_FLOAT16: "float16", _L.DTYPE_BFLOAT16: "bfloat16",
               _L.DTYPE_UINT8: "uint8", _L.DTYPE_INT8: "int8"}


def _dtype_code(dtype):
    code = _DTYPE_CODE.get(dtype)
    if code is None and dtype.name == "bfloat16" and dtype.itemsize == 2:
        code = _L.DTYPE_BFLOAT16
    return code


def _asarray(input):
    """numpy.asarray, plus what numpy cannot take from torch: tensors that require
    grad (detached: swiftpool does not record autograd graphs; its *_backward
    functions compute gradients explicitly) and torch.bfloat16 tensors (viewed as
    ml_dtypes.bfloat16 without a copy when ml_dtypes is installed). Other torch
    conversion failures (a CUDA tensor, say) become TypeError."""
    try:
        return np.asarray(input)
    except (TypeError, RuntimeError) as error:
        if type(input).__module__.split(".")[0] != "torch":
            raise
        if getattr(input, "requires_grad", False):
            return _asarray(input.detach())
        if str(getattr(input, "dtype", "")) == "torch.bfloat16":
            try:
                import ml_dtypes
            except ImportError:
                raise TypeError("torch.bfloat16 tensors need the ml_dtypes package "
                                "(pip install ml_dtypes)") from None
            import torch
            return _asarray(input.view(torch.int16)).view(ml_dtypes.bfloat16)
        raise TypeError(f"cannot read this torch tensor as a CPU array: {error}") from None


_INDEX_DTYPE = np.dtype(np.int64)
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1

# The descriptor is built as a flat list of field values (the library's own
# defaults from swiftpool_pool_desc_init, then the call's values), packed with one
# struct.pack and copied into a fresh PoolDesc per call: no shared mutable state
# (thread-safe) and cheaper than ~30 ctypes attribute stores. The pack format and
# the slots are derived from PoolDesc._fields_ and their offsets.
_DESC_SIZE = ctypes.sizeof(_L.PoolDesc)
_desc_from = _L.PoolDesc.from_buffer_copy
_I64x3 = ctypes.c_int64 * _L.MAX_SPATIAL_RANK
_byref = ctypes.byref
_STRUCT_CODES = {ctypes.c_uint32: "I", ctypes.c_int32: "i", ctypes.c_int64: "q"}


def _desc_layout():
    fmt, slots, defaults, pos, count = "=", {}, [], 0, 0
    for name, ctype in _L.PoolDesc._fields_:
        offset = getattr(_L.PoolDesc, name).offset
        fmt += "x" * (offset - pos)
        if issubclass(ctype, ctypes.Array):
            code, length = _STRUCT_CODES[ctype._type_], ctype._length_
            defaults += list(getattr(_L.default_desc, name))
        else:
            code, length = _STRUCT_CODES[ctype], 1
            defaults.append(getattr(_L.default_desc, name))
        fmt += code * length
        slots[name] = count
        count += length
        pos = offset + ctypes.sizeof(ctype)
    fmt += "x" * (_DESC_SIZE - pos)
    packer = struct.Struct(fmt)
    if packer.size != _DESC_SIZE or _desc_from(packer.pack(*defaults)).struct_size != _DESC_SIZE:
        raise ImportError("swiftpool: internal error: descriptor packing does not match "
                          "the ctypes mirror of swiftpool_pool_desc")
    return packer.pack, slots, defaults


_DESC_PACK, _SLOT, _DESC_DEFAULTS = _desc_layout()
_S_DTYPE, _S_LAYOUT, _S_RANK = _SLOT["dtype"], _SLOT["layout"], _SLOT["spatial_rank"]
_S_BATCH, _S_CHANNELS = _SLOT["batch"], _SLOT["channels"]
_S_INPUT, _S_KERNEL, _S_STRIDE = _SLOT["input_size"], _SLOT["kernel_size"], _SLOT["stride"]
_S_PADDING, _S_DILATION = _SLOT["padding"], _SLOT["dilation"]
_S_CEIL, _S_CIP, _S_DIV = _SLOT["ceil_mode"], _SLOT["count_include_pad"], _SLOT["divisor_override"]
_S_FLAGS = _SLOT["flags"]
# Zero-element tensors may come with a NULL data pointer (e.g. torch.empty(0, ...));
# the library gets this valid address with a capacity of 0 elements instead.
_EMPTY = ctypes.c_int64(0)
_EMPTY_ADDRESS = ctypes.addressof(_EMPTY)


def _probe_supported_dtypes():
    """{"max_pool": names, "avg_pool": names}: the dtypes the loaded library's
    operators accept, found by running each on a 1-element problem."""
    found = {"max_pool": [], "avg_pool": []}
    src, dst = (ctypes.c_double * 2)(), (ctypes.c_double * 2)()  # >= 1 element of any dtype
    for code, name in _DTYPE_NAME.items():
        values = list(_DESC_DEFAULTS)
        values[_S_DTYPE] = code
        values[_S_RANK] = 1
        desc = _desc_from(_DESC_PACK(*values))  # 1 x 1 x (1), kernel 1: 1 element
        if _c_max(_byref(desc), src, 1, dst, 1, None, 0) == _L.OK:
            found["max_pool"].append(name)
        if _c_avg(_byref(desc), src, 1, dst, 1) == _L.OK:
            found["avg_pool"].append(name)
    return {op: tuple(names) for op, names in found.items()}


SUPPORTED_DTYPES = _probe_supported_dtypes()
_OP_NAME = {0: "max_pool", 1: "avg_pool"}


def _raise_c_error(fname, status, dtype, op=None):
    raw = _c_last_error()
    c_message = raw.decode("utf-8", "replace") if raw else ""
    name = _L.STATUS_NAMES.get(status)
    if name is None:
        raw = _c_status_string(status)
        name = raw.decode("utf-8", "replace") if raw else "status %d" % status
    message = "%s: %s [%s]" % (fname, c_message or "(no message)", name)
    if status == _L.ERROR_UNSUPPORTED and dtype is not None:
        # UNSUPPORTED caused by the dtype is a TypeError. Callers outside this module
        # (no op given) are judged by the library's message, which names the dtype.
        if op is not None:
            supported = SUPPORTED_DTYPES[_OP_NAME[op]]
            by_dtype = dtype.name not in supported
        else:
            supported, by_dtype = (), "dtype" in c_message
        if by_dtype:
            raise SwiftPoolTypeError(
                "%s; input dtype %s is not supported by %s%s"
                % (message, dtype, fname, " (supported dtypes: %s)" % ", ".join(supported)
                   if supported else ""), status, name, c_message)
    if status == _L.ERROR_OUT_OF_MEMORY:
        raise SwiftPoolMemoryError(message, status, name, c_message)
    if status == _L.ERROR_INTERNAL:
        raise SwiftPoolInternalError(message, status, name, c_message)
    raise SwiftPoolValueError(message, status, name, c_message)


# ---------------------------------------------------------------------------
# Argument helpers
# ---------------------------------------------------------------------------


def _type_name(value):
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__name__)


def _bool(fname, name, value):
    """A flag argument that torch.nn.functional types ``bool`` (ceil_mode,
    count_include_pad): exactly True or False. Like torch, 0/1, None, numpy.bool_,
    strings and tensors raise TypeError (no truthiness). The one shared check of
    the package's flag arguments."""
    if type(value) is not bool:
        raise TypeError("%s: argument '%s' must be bool, not %s"
                        % (fname, name, _type_name(value)))
    return value


def _index(fname, name, value, item):
    """One integer of a size argument (``item``, from ``value`` as the caller passed
    it) as a Python int, with torch's typing: ints, numpy integers and anything else
    with ``__index__`` (0-d integer tensors) are accepted; bool / numpy.bool_
    (which torch refuses for int arguments), floats, strings, None, arrays raise
    TypeError. The one shared check of the package's integer arguments."""
    if type(item) is bool or isinstance(item, np.bool_):
        raise TypeError("%s: argument '%s' must be an int or a tuple of ints, not bool (got %r)"
                        % (fname, name, value))
    try:
        return operator.index(item)
    except TypeError:
        raise TypeError("%s: argument '%s' must be an int or a tuple of ints, got %r (%s)"
                        % (fname, name, value, _type_name(item))) from None


def _ints(fname, name, value, rank, one=True):
    """int or 1-/rank-element tuple/list -> list of rank Python ints (like torch's
    ``int[N]`` arguments). ``one=False``: a tuple must have exactly rank items (as
    torch's fractional_max_pool checks). Items are checked by _index."""
    if type(value) is int:
        if _INT64_MIN <= value <= _INT64_MAX:
            return [value] * rank
        items = (value,)
    elif isinstance(value, (tuple, list)):
        items = value
    else:
        items = (value,)
    if len(items) == 1 and (one or items is not value):
        items = tuple(items) * rank
    elif len(items) != rank:
        raise ValueError("%s: %s must be an int or a tuple of %s%d ints, got %r"
                         % (fname, name, "1 or " if one else "", rank, value))
    out = []
    for item in items:
        i = _index(fname, name, value, item)
        if not _INT64_MIN <= i <= _INT64_MAX:
            raise ValueError("%s: %s = %r does not fit in int64" % (fname, name, value))
        out.append(i)
    return out


def _divisor(fname, divisor_override):
    """divisor_override as the descriptor's int64 field (0 = none). Typed as torch
    types it (``int?``): None or an integer, not a bool or a float (TypeError);
    0 is a ValueError (torch: RuntimeError "divisor must be not zero")."""
    if divisor_override is None:
        return 0
    bad = type(divisor_override) is bool or isinstance(divisor_override, np.bool_)
    if not bad:
        try:
            div = operator.index(divisor_override)
        except TypeError:
            bad = True
    if bad:
        raise TypeError("%s: divisor_override must be None or an int, got %r (%s)"
                        % (fname, divisor_override, _type_name(divisor_override)))
    if div == 0:
        raise ValueError("%s: divisor_override must be non-zero (None means no "
                         "override), got 0" % fname)
    if not _INT64_MIN <= div <= _INT64_MAX:
        raise ValueError("%s: divisor_override = %r does not fit in int64"
                         % (fname, divisor_override))
    return div


def _nan_flag(fname, nan):
    """The keyword-only ``nan=`` of the max-type operators -> SWIFTPOOL_FLAG_* bits."""
    if isinstance(nan, str):
        if nan == "propagate":
            return 0
        if nan == "ignore":
            return _L.FLAG_NAN_IGNORE
    raise ValueError("%s: nan must be 'propagate' (PyTorch) or 'ignore' (numpy.fmax), got %r"
                     % (fname, nan))


def _perm_to_other(layout, batched, rank):
    """Axis permutation taking the logical array (in ``layout``) to the other layout."""
    s = 1 if batched else 0  # index of the first non-batch axis
    if layout == _L.LAYOUT_NCHW:  # (N,) C, S1..Sr -> (N,) S1..Sr, C
        return tuple(range(s)) + tuple(range(s + 1, s + 1 + rank)) + (s,)
    # (N,) S1..Sr, C -> (N,) C, S1..Sr
    return tuple(range(s)) + (s + rank,) + tuple(range(s, s + rank))


_PERMS = {(lay, b, r): _perm_to_other(lay, b, r)
          for lay in (_L.LAYOUT_NCHW, _L.LAYOUT_NHWC) for b in (False, True)
          for r in range(1, _L.MAX_SPATIAL_RANK + 1)}
_INVERSE = {k: tuple(int(i) for i in np.argsort(p)) for k, p in _PERMS.items()}


def _address_portable(a):
    address = a.__array_interface__["data"][0]
    return address if address else _EMPTY_ADDRESS


# Data address of an ndarray, fast. ``a.__array_interface__`` builds a dict (~3-5 us
# on numpy 2.x) and ``a.ctypes.data`` is no cheaper. On CPython an ndarray *is* a
# PyArrayObject_fields struct whose first member after PyObject_HEAD is ``char *data``
# (numpy's C ABI: PyArray_DATA() compiles to this load in every extension module, so
# it cannot move), so the pointer is read from there (~0.2 us). The read is checked
# at import against __array_interface__ on several arrays below; when it disagrees,
# or on another Python implementation, the portable way is used. Only ever applied
# to ndarray instances (subclasses share the struct).
_ndarray = np.ndarray
_read_pointer = ctypes.c_void_p.from_address
_DATA_OFFSET = object.__basicsize__  # sizeof(PyObject) on this build


def _fast_address_works():
    import sys
    if sys.implementation.name != "cpython":
        return False
    try:
        base = np.arange(24, dtype=np.float64)
        samples = [base, base[3:], base[::2], base.reshape(2, 3, 4).transpose(2, 0, 1),
                   np.empty(0, np.float32), np.zeros((2, 3), np.int8)[1:, 1:],
                   np.ma.masked_array(base), np.frombuffer(b"abcd", np.uint8)[1:]]
        return all((_read_pointer(id(a) + _DATA_OFFSET).value or 0)
                   == a.__array_interface__["data"][0] for a in samples)
    except Exception:  # pragma: no cover - any surprise: use the portable way
        return False


_FAST_ADDRESS = _fast_address_works()


def _address(a):
    """Data address of numpy array ``a`` for the C library (a valid dummy address
    for a NULL data pointer, which zero-element arrays may have)."""
    if _FAST_ADDRESS and isinstance(a, _ndarray):
        return _read_pointer(id(a) + _DATA_OFFSET).value or _EMPTY_ADDRESS
    return _address_portable(a)


def _check_out(fname, what, out, shape, dtype, inverse_perm):
    """Validate a user buffer. Returns (buffer in kernel order, kernel order is the
    other layout?)."""
    if not isinstance(out, np.ndarray):
        raise TypeError("%s: %s must be a numpy.ndarray, got %s"
                        % (fname, what, type(out).__name__))
    if out.dtype != dtype:
        raise TypeError("%s: %s has dtype %s, expected %s" % (fname, what, out.dtype, dtype))
    if out.shape != shape:
        raise ValueError("%s: %s has shape %s, expected %s"
                         % (fname, what, tuple(out.shape), tuple(shape)))
    if not out.flags.writeable:
        raise ValueError("%s: %s is read-only" % (fname, what))
    if not out.flags.aligned:
        raise ValueError("%s: %s is not aligned for %s" % (fname, what, dtype))
    if inverse_perm is not None:
        # The memory format the result would have had (the input's), preferred so
        # that the input need not be copied.
        other = out.transpose(np.argsort(inverse_perm))
        if other.flags.c_contiguous:
            return other, True
    if out.flags.c_contiguous:
        return out, False
    raise ValueError("%s: %s must be C-contiguous (strides %s for shape %s)"
                     % (fname, what, out.strides, tuple(out.shape)))


# ---------------------------------------------------------------------------
# The generic implementation
# ---------------------------------------------------------------------------


def _user_out(fname, out, return_indices, logical, dtype, inverse):
    """Validate ``out=``. Returns (values, indices, user values, user indices,
    in_other_layout): the first two in kernel order (None where not given)."""
    values = indices = None
    if return_indices and isinstance(out, (tuple, list)):
        if len(out) != 2:
            raise ValueError("%s: out must be an array or a (values, indices) pair, "
                             "got a sequence of length %d" % (fname, len(out)))
        values, indices = out
    elif isinstance(out, (tuple, list)):
        raise TypeError("%s: out must be a numpy.ndarray (a (values, indices) pair "
                        "only with return_indices=True)" % fname)
    else:
        values = out
    user_values, user_indices = values, indices
    formats = set()  # per user buffer: is it in the other layout's C order?
    if values is not None:
        values, other = _check_out(fname, "out", values, logical, dtype, inverse)
        formats.add(other)
    if indices is not None:
        indices, other = _check_out(fname, "out (indices)", indices, logical, _INDEX_DTYPE,
                                    inverse)
        formats.add(other)
    if len(formats) == 2:
        raise ValueError("%s: the values and indices out buffers have different memory "
                         "formats" % fname)
    if user_values is not None and user_indices is not None and np.may_share_memory(
            user_values, user_indices):
        raise ValueError("%s: out and out (indices) overlap" % fname)
    return values, indices, user_values, user_indices, True in formats


# ---------------------------------------------------------------------------
# The common path: per-function descriptor caches
# ---------------------------------------------------------------------------
#
# A tiny call spends most of its time outside the kernel: normalising arguments,
# packing a PoolDesc, asking the library for the output shape and converting ctypes
# arguments cost more than the pooling. For the common call -- a numpy array that
# is C-contiguous (and aligned) in its own layout, no out= -- the PoolDesc and the
# output shape depend only on a key made of the input's shape and dtype and the
# other arguments, so each public function keeps a small dict: key -> the PoolDesc
# and output shape computed the first time by _pool (the general code, with all its
# checks and error messages), and later calls only allocate the output and call C.
#
# Key: (input shape, input dtype, then every other argument as the caller passed it)
# when the argument is an exact int, a tuple/list of exact ints (as a tuple), None
# (stride, divisor_override), a bool (ceil_mode, count_include_pad) or a str (layout,
# nan). Anything else -- 2.0, numpy integers, bools inside tuples, str subclasses --
# becomes _NOKEY, and keys holding _NOKEY are never stored: such calls take _pool
# every time. So equal keys mean equal argument values, which _pool normalises
# identically; only argument sets that _pool and the library accepted are stored,
# so an invalid call still fails in _pool, on every call, with the same message.
# Argument errors are checked in the same order as before: building a key raises
# nothing and has no side effects.
#
# Thread safety: an entry is a tuple built completely before its single dict store
# (atomic under the GIL, and thread-safe in free-threaded builds). Nothing in it is
# ever written after the store: the PoolDesc is read by the library through a
# ``const swiftpool_pool_desc *`` (and the out= path, which may change a descriptor's
# layout, never caches), and the ctypes argument objects are only read by calls. So
# threads share only read-only memory; a caller holds a reference to its entry, so
# an eviction by another thread cannot free a descriptor in use.
_NOKEY = object()
_CACHE_MAX = 256  # entries per public function; the oldest is evicted first


# Tuples already found to hold only exact ints, by id: the usual caller passes the
# same tuple object (a constant) every time, and ``_INT_TUPLES.get(id(t)) is t``
# (cheaper than a call to _key_part) proves it is that tuple -- the dict keeps it
# alive, so its id cannot be reused by another object while it is stored.
_INT_TUPLES = {}


def _key_part(value):
    """A tuple/list of exact ints as a tuple (for a cache key), else _NOKEY."""
    t = type(value)
    if t is tuple or t is list:
        for item in value:
            if type(item) is not int:
                return _NOKEY
        if t is list:
            return tuple(value)
        if len(_INT_TUPLES) >= 1024:
            _INT_TUPLES.clear()
        _INT_TUPLES[id(value)] = value
        return value
    return _NOKEY


def _cache_store(cache, key, entry):
    if _NOKEY in key:
        return
    if len(cache) >= _CACHE_MAX:
        try:  # evict the oldest entry (another thread may be doing the same)
            del cache[next(iter(cache))]
        except (KeyError, RuntimeError, StopIteration):
            pass
    cache[key] = entry


# The operators again, as separate function objects *without* argtypes, for the
# cached path: ctypes then calls no from_param converter per argument (together
# ~1 us for 7 arguments); each argument is passed as an object of its exact C type
# instead: the descriptor as a byref() object and the lengths as int64 argument
# objects (both made once per cache entry), the data pointers as c_void_p views of
# the arrays' data-pointer fields (see _address). ctypes releases the GIL during
# the call, as for every CDLL function.
def _untyped(name):
    f = _lib[name]  # indexing makes a new function object; _lib.<name> keeps its argtypes
    f.restype = ctypes.c_int32
    return f


_c_max_untyped = _untyped("swiftpool_max_pool_forward")
_c_avg_untyped = _untyped("swiftpool_avg_pool_forward")
_int64_arg = ctypes.c_int64.from_param
_pointer_arg = ctypes.c_void_p.from_param
_ZERO_ARG = _int64_arg(0)
_empty = np.empty


def _data_arg(a):
    """The data pointer of a non-empty ndarray as a ctypes argument (a c_void_p
    viewing the array's own pointer field, or the portable way's address)."""
    if _FAST_ADDRESS:
        return _read_pointer(id(a) + _DATA_OFFSET)
    return _pointer_arg(_address_portable(a))


def _pool(op, rank, fname, input, kernel_size, stride, padding, dilation, ceil_mode,
          return_indices, count_include_pad, divisor_override, layout, out, desc_flags=0,
          cache=None, key=None):
    """The general path, for every call. ``cache``/``key``: the calling function's
    descriptor cache and the call's key (None: not cacheable), filled in here."""
    # -- layout and input array ---------------------------------------------------------
    lay = _LAYOUT_CODE.get(layout) if isinstance(layout, str) else None
    if lay is None:
        raise ValueError("%s: layout must be one of %s, got %r" % (fname, LAYOUTS, layout))
    arr = _asarray(input)
    dtype = arr.dtype
    dtype_code = _DTYPE_CODE.get(dtype)
    if dtype_code is None:
        dtype_code = _dtype_code(dtype)
        if dtype_code is None:
            raise TypeError("%s: input dtype %s is not supported (supported dtypes: %s)"
                            % (fname, dtype, ", ".join(SUPPORTED_DTYPES[_OP_NAME[op]])))
    shape = arr.shape
    ndim = len(shape)
    if ndim == rank + 2:
        batched, n = True, shape[0]
        if lay == _L.LAYOUT_NCHW:
            c, spatial = shape[1], shape[2:]
        else:
            c, spatial = shape[-1], shape[1:-1]
    elif ndim == rank + 1:
        batched, n = False, 1
        if lay == _L.LAYOUT_NCHW:
            c, spatial = shape[0], shape[1:]
        else:
            c, spatial = shape[-1], shape[:-1]
    else:
        raise ValueError(
            "%s: input must have %d (unbatched) or %d (batched) dimensions in layout %s, "
            "got shape %s" % (fname, rank + 1, rank + 2, layout, tuple(shape)))

    # Memory: the layout's own C order, or (no copy) the other layout's C order,
    # e.g. a torch.channels_last tensor viewed as NCHW; anything else is copied.
    kernel_layout, buf, perm = lay, arr, None
    flags = arr.flags
    if not (flags.c_contiguous and flags.aligned):
        p = _PERMS[(lay, batched, rank)]
        t = arr.transpose(p)
        if t.flags.c_contiguous and t.flags.aligned:
            kernel_layout, buf, perm = _OTHER_LAYOUT[lay], t, p
        else:
            buf = np.array(arr, order="C", copy=True)

    # -- window parameters (plain ints take the fast path) ------------------------------
    if type(kernel_size) is int and _INT64_MIN <= kernel_size <= _INT64_MAX:
        ks = [kernel_size] * rank
    else:
        ks = _ints(fname, "kernel_size", kernel_size, rank)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        st = ks
    elif type(stride) is int and _INT64_MIN <= stride <= _INT64_MAX:
        st = [stride] * rank
    else:
        st = _ints(fname, "stride", stride, rank)
    if type(padding) is int and _INT64_MIN <= padding <= _INT64_MAX:
        pd = [padding] * rank
    else:
        pd = _ints(fname, "padding", padding, rank)
    if type(dilation) is int and _INT64_MIN <= dilation <= _INT64_MAX:
        dl = [dilation] * rank
    else:
        dl = _ints(fname, "dilation", dilation, rank)
    div = _divisor(fname, divisor_override)
    _bool(fname, "ceil_mode", ceil_mode)
    if op == _AVG:
        _bool(fname, "count_include_pad", count_include_pad)

    # -- descriptor and output shape (the library validates every parameter) -----------
    v = _DESC_DEFAULTS[:]
    v[_S_DTYPE] = dtype_code
    v[_S_LAYOUT] = kernel_layout
    v[_S_RANK] = rank
    v[_S_BATCH] = n
    v[_S_CHANNELS] = c
    v[_S_INPUT:_S_INPUT + rank] = spatial
    v[_S_KERNEL:_S_KERNEL + rank] = ks
    v[_S_STRIDE:_S_STRIDE + rank] = st
    v[_S_PADDING:_S_PADDING + rank] = pd
    v[_S_DILATION:_S_DILATION + rank] = dl
    v[_S_CEIL] = 1 if ceil_mode else 0
    v[_S_CIP] = 1 if count_include_pad else 0
    v[_S_DIV] = div
    v[_S_FLAGS] = desc_flags
    desc = _desc_from(_DESC_PACK(*v))
    desc_ref = _byref(desc)
    out_size = _I64x3()
    status = _c_output_shape(desc_ref, out_size, None)
    if status:
        _raise_c_error(fname, status, dtype, op)
    osp = tuple(out_size[:rank])
    # Logical output shape, in the caller's layout and batching.
    logical = (c,) + osp if lay == _L.LAYOUT_NCHW else osp + (c,)
    if batched:
        logical = (n,) + logical
    inverse = None if perm is None else _INVERSE[(lay, batched, rank)]
    want_indices = return_indices and op == _MAX

    # -- output buffers: C-contiguous in kernel_layout ------------------------------------
    if out is None:
        user_values = user_indices = None
        kshape = logical if perm is None else tuple([logical[i] for i in perm])
        values = np.empty(kshape, dtype)
        indices = np.empty(kshape, _INDEX_DTYPE) if want_indices else None
        if key is not None and perm is None and buf.size and values.size:
            # Accepted arguments, non-empty arrays: cache them (see above). The byref()
            # object keeps ``desc`` alive.
            _cache_store(cache, key, (_byref(desc), _int64_arg(buf.size), kshape,
                                      _int64_arg(values.size)))
    else:
        values, indices, user_values, user_indices, in_other = _user_out(
            fname, out, want_indices, logical, dtype, inverse)
        if perm is not None and not in_other and (values is not None or indices is not None):
            # A C-contiguous out is in the caller's layout: the kernel must run in that
            # layout, so the input (in the other layout's C order) is copied to it.
            kernel_layout, buf, perm, inverse = lay, np.ascontiguousarray(arr), None, None
            desc.layout = kernel_layout
        for a, what in ((user_values, "out"), (user_indices, "out (indices)")):
            if a is not None and np.may_share_memory(a, buf):
                raise ValueError("%s: %s overlaps the input" % (fname, what))
        kshape = logical if perm is None else tuple([logical[i] for i in perm])
        if values is None:
            values = np.empty(kshape, dtype)
        if want_indices and indices is None:
            indices = np.empty(kshape, _INDEX_DTYPE)

    # -- the call --------------------------------------------------------------------------
    if op == _MAX:
        if want_indices:
            status = _c_max(desc_ref, _address(buf), buf.size, _address(values), values.size,
                            _address(indices), indices.size)
        else:
            status = _c_max(desc_ref, _address(buf), buf.size, _address(values), values.size,
                            None, 0)
    else:
        status = _c_avg(desc_ref, _address(buf), buf.size, _address(values), values.size)
    if status:
        _raise_c_error(fname, status, dtype, op)

    if user_values is not None:
        result = user_values
    elif inverse is not None:
        result = values.transpose(inverse)
    else:
        result = values
    if not want_indices:
        return result
    if user_indices is not None:
        return result, user_indices
    return result, (indices if inverse is None else indices.transpose(inverse))


# ---------------------------------------------------------------------------
# Public functions (signatures of torch.nn.functional, plus layout= and out=)
# ---------------------------------------------------------------------------

_SHAPES = {
    1: dict(nchw="(N, C, W)", chw="(C, W)", nhwc="(N, W, C)", hwc="(W, C)", axes="(W,)",
            index="w"),
    2: dict(nchw="(N, C, H, W)", chw="(C, H, W)", nhwc="(N, H, W, C)", hwc="(H, W, C)",
            axes="(H, W)", index="h*W + w"),
    3: dict(nchw="(N, C, D, H, W)", chw="(C, D, H, W)", nhwc="(N, D, H, W, C)",
            hwc="(D, H, W, C)", axes="(D, H, W)", index="(d*H + h)*W + w"),
}

_MAX_DOC = """{rank}D max pooling: the maximum of each window, optionally with its index.

Semantics: matches ``torch.nn.functional.max_pool{rank}d`` (same arguments and
defaults; values and indices bit for bit) and ONNX MaxPool-22 (values, for
symmetric padding). Padding is -inf and never wins; among equal values the
first in scan order (outermost axis first) wins; a window holding NaN yields NaN
and, of several NaNs, the *last* one in scan order is reported (value and
index); an all -inf window reports its first real element; a window lying wholly
in the padding (possible only with dilation) gives -inf and the index of its
first tap at or past 0, which may lie past the end of the input -- all as
PyTorch's CPU kernels do. With ``nan="ignore"`` NaN is skipped instead (fmax
semantics, as ``numpy.fmax``): each window gives the maximum of its non-NaN
values (first in scan order among equal ones), and only a window whose real
elements are all NaN gives NaN, with the index of its last NaN.

Args:
    input: batched {nchw} or unbatched {chw} with ``layout="NCHW"``; {nhwc} or
        {hwc} with ``layout="NHWC"``. N may be 0.{input_common}
    kernel_size, stride, padding, dilation: an int or a tuple of 1 or {rank} ints,
        per spatial axis {axes}. ``stride=None`` (or ``()``) means kernel_size.
        Padding is implicit on both sides and at most half the kernel size.
    kernel_size, stride, padding, dilation take ints as torch does: Python ints,
        numpy integers, 0-d integer tensors; not bools or floats (TypeError).
    ceil_mode: a bool (as torch: 0/1, None, numpy.bool_ raise TypeError); round
        the output size up; a last window that would start in the right padding
        is dropped (PyTorch's rule).
    return_indices: also return the int64 index of each maximum (read by truth
        value, as torch's max_pool{rank}d does).
    layout (keyword-only): "NCHW" (channels first) or "NHWC" (channels last).
    out (keyword-only): the values array to write (and return), or with
        ``return_indices=True`` a ``(values, indices)`` pair, either may be None.{out_common}
    nan (keyword-only): "propagate" (default, PyTorch's rule: a window holding
        NaN yields its last NaN, value and index) or "ignore" (fmax: the maximum
        of the window's non-NaN values; all-NaN: its last NaN, value and index).
        Other values raise ValueError. C: ``SWIFTPOOL_FLAG_NAN_IGNORE``.

Returns:
    A numpy array of the input's dtype and layout, batched like the input, with
    spatial sizes ``floor_or_ceil((in + 2*padding - dilation*(kernel_size-1) - 1)
    / stride) + 1`` (``swiftpool_pool_output_shape``). With ``return_indices``,
    ``(values, indices)``: indices are int64 with the same shape and memory
    format, each the position of the maximum flattened within its (n, c) plane of
    the input, ``{index}``, as PyTorch returns them (for both layouts).
{raises}"""

_AVG_DOC = """{rank}D average pooling: the mean of each window.

Semantics: matches ``torch.nn.functional.avg_pool{rank}d`` (same arguments and
defaults) and ONNX AveragePool-22 for symmetric padding. Padding counts as
zeros. The divisor of each window is {divisor_rule}the window clipped to the
padded input with ``count_include_pad=True`` (so ceil_mode windows that run past
it count less), else the number of real input elements in it. Arithmetic is
PyTorch's (float32 sums in scan order, float64 for float64, one division), so
results are bit-identical to ``torch.nn.functional.avg_pool{rank}d``.

Args:
    input: batched {nchw} or unbatched {chw} with ``layout="NCHW"``; {nhwc} or
        {hwc} with ``layout="NHWC"``. N may be 0.{input_common}
    kernel_size, stride, padding: an int or a tuple of 1 or {rank} ints, per
        spatial axis {axes}. ``stride=None`` (or ``()``) means kernel_size.
        Padding is implicit on both sides and at most half the kernel size.
    ceil_mode: a bool (as torch: 0/1, None, numpy.bool_ raise TypeError); round
        the output size up; a last window that would start in the right padding
        is dropped (PyTorch's rule).
    count_include_pad: a bool (same rule); count the padding in the divisor.{divisor_arg}
    layout (keyword-only): "NCHW" (channels first) or "NHWC" (channels last).
    out (keyword-only): the array to write (and return).{out_common}

Returns:
    A numpy array of the input's dtype and layout, batched like the input, with
    spatial sizes ``floor_or_ceil((in + 2*padding - kernel_size) / stride) + 1``
    (``swiftpool_pool_output_shape``).
{raises}"""

_INPUT_COMMON = """
        Any array-like ``numpy.asarray`` converts without a copy (numpy arrays,
        CPU torch tensors), of a dtype in ``swiftpool.SUPPORTED_DTYPES[op]``
        (asked from the loaded library at import; with library 0.1: float32,
        float64, float16, bfloat16 (ml_dtypes; torch.bfloat16 tensors too), and
        for max pooling uint8 and int8). A C-contiguous input
        is used in place; so is one that is C-contiguous in the *other* layout
        (e.g. a ``torch.channels_last`` tensor passed as NCHW): the other layout's
        kernel runs and the result has that memory format too (a numpy view with
        permuted strides). Any other input is copied first."""

_OUT_COMMON = """
        Each must be a writable, aligned numpy array of exactly the output's shape
        and dtype (int64 for indices), C-contiguous (or in the input's other-layout
        memory format), not overlapping the input. Left untouched on any error."""

_RAISES = """
Raises:
    TypeError: the input's dtype is not supported (the message names it and the
        supported ones; a ``SwiftPoolTypeError`` with the library's message when
        the library knows the dtype); a non-integer (or bool) {int_args}; a
        {bool_args} that is not a bool (as torch.nn.functional); ``out`` not an
        ndarray, of the wrong dtype, or a pair without ``return_indices``.
    ValueError: wrong number of input dimensions; unknown ``layout``{nan_arg}; a tuple
        argument of the wrong length or a value outside int64{div_zero}; ``out`` of
        the wrong shape, read-only, unaligned, non-contiguous or overlapping the
        input. As ``SwiftPoolValueError`` (a ValueError): every error the library
        reports (zero or negative sizes, padding above half the kernel, an output
        smaller than 1, size overflow, ...), carrying
        ``swiftpool_last_error_message()`` -- which names the argument, the axis
        and the value -- and the status name.
    MemoryError: numpy or the library (``SwiftPoolMemoryError``) is out of memory.
    RuntimeError: ``SwiftPoolInternalError``, a library bug it reports itself.
"""


def _doc(op, rank):
    common = dict(rank=rank, input_common=_INPUT_COMMON, out_common=_OUT_COMMON,
                  **_SHAPES[rank])
    if op == _MAX:
        raises = _RAISES.format(int_args="kernel_size/stride/padding/dilation", div_zero="",
                                nan_arg=" or ``nan``", bool_args="ceil_mode")
        return _MAX_DOC.format(raises=raises, **common)
    if rank == 1:
        divisor_rule, divisor_arg, div_zero = "", "", ""
        int_args = "kernel_size/stride/padding"
    else:
        divisor_rule = "``divisor_override`` when given, else "
        divisor_arg = ("\n    divisor_override: None, or a positive int used as every "
                       "window's divisor\n        (not a bool or float: TypeError; torch's "
                       "negative divisors: ValueError).")
        div_zero = ", ``divisor_override=0``"
        int_args = "kernel_size/stride/padding/divisor_override"
    raises = _RAISES.format(int_args=int_args, div_zero=div_zero, nan_arg="",
                            bool_args="ceil_mode/count_include_pad")
    return _AVG_DOC.format(raises=raises, divisor_rule=divisor_rule, divisor_arg=divisor_arg,
                           **common)


def _public(fn, fname):
    """Name the function made by a factory below as the public one (tracebacks too)."""
    fn.__name__ = fn.__qualname__ = fname
    try:
        fn.__code__ = fn.__code__.replace(co_name=fname, co_qualname=fname)
    except TypeError:  # Python < 3.11: no co_qualname
        fn.__code__ = fn.__code__.replace(co_name=fname)
    return fn


def _max_pool_function(rank):
    fname = "max_pool%dd" % rank
    cache = {}  # this function's descriptor cache (see "The common path")

    def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False, *, layout="NCHW", out=None, nan="propagate"):
        key = None
        if out is None and type(input) is _ndarray and (
                input.flags.carray or (input.flags.c_contiguous and input.flags.aligned)):
            dtype = input.dtype
            key = (input.shape, dtype, layout if type(layout) is str else _NOKEY,
                   kernel_size if type(kernel_size) is int
                   or _INT_TUPLES.get(id(kernel_size)) is kernel_size else _key_part(kernel_size),
                   stride if stride is None or type(stride) is int
                   or _INT_TUPLES.get(id(stride)) is stride else _key_part(stride),
                   padding if type(padding) is int or _INT_TUPLES.get(id(padding)) is padding
                   else _key_part(padding),
                   dilation if type(dilation) is int or _INT_TUPLES.get(id(dilation)) is dilation
                   else _key_part(dilation),
                   ceil_mode if type(ceil_mode) is bool else _NOKEY,
                   nan if type(nan) is str else _NOKEY)
            entry = cache.get(key)
            if entry is not None:
                desc_arg, in_len, shape, out_len = entry
                values = _empty(shape, dtype)
                if _FAST_ADDRESS:  # inline _data_arg
                    src = _read_pointer(id(input) + _DATA_OFFSET)
                    dst = _read_pointer(id(values) + _DATA_OFFSET)
                else:
                    src, dst = _data_arg(input), _data_arg(values)
                if return_indices:
                    indices = _empty(shape, _INDEX_DTYPE)
                    status = _c_max_untyped(desc_arg, src, in_len, dst, out_len,
                                            _data_arg(indices), out_len)
                    if status:
                        _raise_c_error(fname, status, dtype, _MAX)
                    return values, indices
                status = _c_max_untyped(desc_arg, src, in_len, dst, out_len, None, _ZERO_ARG)
                if status:
                    _raise_c_error(fname, status, dtype, _MAX)
                return values
        return _pool(_MAX, rank, fname, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices, True, None, layout, out,
                     _nan_flag(fname, nan), cache, key)

    return _public(max_pool, fname)


def _avg_pool_function(rank):
    fname = "avg_pool%dd" % rank
    cache = {}  # this function's descriptor cache (see "The common path")

    def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, *, layout="NCHW", out=None):
        key = None
        if out is None and type(input) is _ndarray and (
                input.flags.carray or (input.flags.c_contiguous and input.flags.aligned)):
            dtype = input.dtype
            key = (input.shape, dtype, layout if type(layout) is str else _NOKEY,
                   kernel_size if type(kernel_size) is int
                   or _INT_TUPLES.get(id(kernel_size)) is kernel_size else _key_part(kernel_size),
                   stride if stride is None or type(stride) is int
                   or _INT_TUPLES.get(id(stride)) is stride else _key_part(stride),
                   padding if type(padding) is int or _INT_TUPLES.get(id(padding)) is padding
                   else _key_part(padding),
                   ceil_mode if type(ceil_mode) is bool else _NOKEY,
                   count_include_pad if type(count_include_pad) is bool else _NOKEY,
                   divisor_override if divisor_override is None
                   or type(divisor_override) is int else _NOKEY)
            entry = cache.get(key)
            if entry is not None:
                desc_arg, in_len, shape, out_len = entry
                values = _empty(shape, dtype)
                if _FAST_ADDRESS:  # inline _data_arg
                    src = _read_pointer(id(input) + _DATA_OFFSET)
                    dst = _read_pointer(id(values) + _DATA_OFFSET)
                else:
                    src, dst = _data_arg(input), _data_arg(values)
                status = _c_avg_untyped(desc_arg, src, in_len, dst, out_len)
                if status:
                    _raise_c_error(fname, status, dtype, _AVG)
                return values
        return _pool(_AVG, rank, fname, input, kernel_size, stride, padding, 1,
                     ceil_mode, False, count_include_pad, divisor_override, layout, out,
                     0, cache, key)

    return _public(avg_pool, fname)


max_pool1d = _max_pool_function(1)
max_pool2d = _max_pool_function(2)
max_pool3d = _max_pool_function(3)
_avg_pool1d = _avg_pool_function(1)  # with divisor_override, which avg_pool1d lacks
avg_pool2d = _avg_pool_function(2)
avg_pool3d = _avg_pool_function(3)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, *, layout="NCHW", out=None):
    return _avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       None, layout=layout, out=out)


for _f, _op, _r in ((max_pool1d, _MAX, 1), (max_pool2d, _MAX, 2), (max_pool3d, _MAX, 3),
                    (avg_pool1d, _AVG, 1), (avg_pool2d, _AVG, 2), (avg_pool3d, _AVG, 3)):
    _f.__doc__ = _doc(_op, _r)
del _f, _op, _r
