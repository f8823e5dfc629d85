"""ONNX front-end: one function per ONNX pooling operator (latest opset semantics).

Each function takes the node's inputs positionally (numpy arrays in ONNX's
channels-first layout, ``(N, C, D1, ..., Dn)``) and its attributes as keywords with
ONNX's own names (``kernel_shape``, ``strides``, ``pads``, ``dilations``,
``auto_pad``, ``ceil_mode``, ``count_include_pad``, ``storage_order``, ``p``,
``pooled_shape``, ``spatial_scale``), and returns numpy arrays of the input's dtype.
``pads`` is ONNX's ``[x1_begin, x2_begin, ..., x1_end, x2_end]``.

Where ONNX leaves behaviour open, PyTorch's rule is the default: max-type
operators propagate NaN (``nan="ignore"`` gives ONNX Runtime's fmax behaviour).

Errors: ``ValueError`` for bad attributes or shapes, ``TypeError`` for unsupported
dtypes, each carrying the C library's message.
"""

import ctypes

import numpy as np

from . import _lib as _L
from . import functional as _F

__all__ = [
    "max_pool", "average_pool", "lp_pool", "global_max_pool", "global_average_pool",
    "global_lp_pool", "max_unpool", "max_roi_pool",
]

_AUTO_PAD = {
    "NOTSET": _L.AUTO_PAD_NOTSET, "": _L.AUTO_PAD_NOTSET, "VALID": _L.AUTO_PAD_VALID,
    "SAME_UPPER": _L.AUTO_PAD_SAME_UPPER, "SAME_LOWER": _L.AUTO_PAD_SAME_LOWER,
}
_I64x3 = ctypes.c_int64 * _L.MAX_SPATIAL_RANK


def _int_attr(fname, name, v):
    """One entry of an integer attribute, as int(); ValueError when it is not a finite
    integer (int(inf) raises OverflowError) or leaves int64 (ctypes would raise
    struct.error), TypeError (from int()) for non-numbers."""
    try:
        i = int(v)
    except OverflowError:
        raise ValueError("%s: %s entry %r is not a finite integer" % (fname, name, v)) from None
    if not -(1 << 63) <= i < (1 << 63):
        raise ValueError("%s: %s entry %d does not fit in int64" % (fname, name, i))
    return i


def _spatial_ints(fname, name, value, rank, default):
    if value is None:
        return [default] * rank
    items = [_int_attr(fname, name, v) for v in value]
    if len(items) != rank:
        raise ValueError("%s: %s must have %d entries (one per spatial axis), got %r"
                         % (fname, name, rank, list(value)))
    return items


def _input(fname, X, max_rank=_L.MAX_SPATIAL_RANK):
    x = _F._asarray(X)
    if x.ndim < 3 or x.ndim > max_rank + 2:
        raise ValueError("%s: X must have shape (N, C, D1, ..., Dn) with 1 <= n <= %d, got %s"
                         % (fname, max_rank, x.shape))
    if not (x.flags.c_contiguous and x.flags.aligned):
        x = np.ascontiguousarray(x)
    code = _F._DTYPE_CODE.get(x.dtype)
    if code is None:
        raise TypeError("%s: X dtype %s is not supported" % (fname, x.dtype))
    return x, code


def _desc(fname, x, code, kernel_shape, strides, pads, dilations, auto_pad, ceil_mode,
          count_include_pad=0, flags=0):
    rank = x.ndim - 2
    if kernel_shape is None:
        raise ValueError("%s: kernel_shape is required" % fname)
    ks = _spatial_ints(fname, "kernel_shape", kernel_shape, rank, 1)
    st = _spatial_ints(fname, "strides", strides, rank, 1)
    dl = _spatial_ints(fname, "dilations", dilations, rank, 1)
    pd = [0] * (2 * rank) if pads is None else [_int_attr(fname, "pads", v) for v in pads]
    if len(pd) != 2 * rank:
        raise ValueError("%s: pads must have %d entries (begin then end per axis), got %r"
                         % (fname, 2 * rank, list(pads)))
    if isinstance(auto_pad, bytes):
        auto_pad = auto_pad.decode()
    if auto_pad not in _AUTO_PAD:
        raise ValueError("%s: auto_pad must be one of NOTSET, VALID, SAME_UPPER, SAME_LOWER, "
                         "got %r" % (fname, auto_pad))
    v = _F._DESC_DEFAULTS[:]
    s = _F._SLOT
    v[s["dtype"]] = code
    v[s["layout"]] = _L.LAYOUT_NCHW
    v[s["spatial_rank"]] = rank
    v[s["batch"]], v[s["channels"]] = x.shape[0], x.shape[1]
    v[s["input_size"]:s["input_size"] + rank] = x.shape[2:]
    v[s["kernel_size"]:s["kernel_size"] + rank] = ks
    v[s["stride"]:s["stride"] + rank] = st
    v[s["padding"]:s["padding"] + rank] = pd[:rank]
    v[s["padding_end"]:s["padding_end"] + rank] = pd[rank:]
    v[s["dilation"]:s["dilation"] + rank] = dl
    v[s["ceil_mode"]] = 1 if ceil_mode else 0
    v[s["count_include_pad"]] = 1 if count_include_pad else 0
    v[s["auto_pad"]] = _AUTO_PAD[auto_pad]
    v[s["flags"]] = flags
    desc = _F._desc_from(_F._DESC_PACK(*v))
    out = _I64x3()
    status = _L.lib.swiftpool_pool_output_shape(ctypes.byref(desc), out, None)
    if status:
        _F._raise_c_error(fname, status, x.dtype)
    return desc, x.shape[:2] + tuple(out[:rank])


def _nan_flag(fname, nan):
    if nan == "propagate":
        return 0
    if nan == "ignore":
        return _L.FLAG_NAN_IGNORE
    raise ValueError("%s: nan must be 'propagate' (PyTorch) or 'ignore' (ONNX Runtime), got %r"
                     % (fname, nan))


def max_pool(X, *, kernel_shape=None, strides=None, pads=None, dilations=None,
             auto_pad="NOTSET", ceil_mode=0, storage_order=0, return_indices=False,
             nan="propagate"):
    """ONNX MaxPool-22. X: (N, C, D1..Dn), n = 1..3, any supported dtype.

    Returns Y (N, C, O1..On), or (Y, Indices) with ``return_indices=True``: int64
    positions flattened over the whole input tensor, ``((n*C + c)*D1 + d1)*D2 + ...``
    (``storage_order=1``: column-major spatial order, as ONNX defines it).
    Output sizes, ceil_mode (a last window starting in the end padding is dropped),
    asymmetric ``pads`` and ``auto_pad`` follow ONNX MaxPool-22; ties go to the first
    maximum; NaN propagates as in PyTorch unless ``nan="ignore"``.
    Raises ValueError (bad attributes, shapes), TypeError (dtype).
    """
    fname = "onnx.max_pool"
    x, code = _input(fname, X)
    flags = _nan_flag(fname, nan) | _L.FLAG_INDICES_GLOBAL
    if storage_order:
        flags |= _L.FLAG_INDICES_COLUMN_MAJOR
    desc, shape = _desc(fname, x, code, kernel_shape, strides, pads, dilations, auto_pad,
                        ceil_mode, flags=flags)
    y = np.empty(shape, x.dtype)
    idx = np.empty(shape, np.int64) if return_indices else None
    status = _L.lib.swiftpool_max_pool_forward(
        ctypes.byref(desc), _F._address(x), x.size, _F._address(y), y.size,
        _F._address(idx) if idx is not None else None, idx.size if idx is not None else 0)
    if status:
        _F._raise_c_error(fname, status, x.dtype)
    return (y, idx) if return_indices else y


def average_pool(X, *, kernel_shape=None, strides=None, pads=None, dilations=None,
                 auto_pad="NOTSET", ceil_mode=0, count_include_pad=0):
    """ONNX AveragePool-22. X: (N, C, D1..Dn), n = 1..3, a floating-point dtype.

    Returns Y (N, C, O1..On). The divisor of a window is the number of its taps on
    real elements, or with ``count_include_pad=1`` the number of taps inside the
    padded input ``[-pad_begin, D + pad_end)`` (ceil_mode windows running past it
    are cut), as ONNX Runtime computes it. Sums are float32 (float64 for float64),
    in scan order, then divided: PyTorch's arithmetic.
    Raises ValueError (bad attributes, shapes), TypeError (dtype).
    """
    fname = "onnx.average_pool"
    x, code = _input(fname, X)
    desc, shape = _desc(fname, x, code, kernel_shape, strides, pads, dilations, auto_pad,
                        ceil_mode, count_include_pad=count_include_pad)
    y = np.empty(shape, x.dtype)
    status = _L.lib.swiftpool_avg_pool_forward(ctypes.byref(desc), _F._address(x), x.size,
                                               _F._address(y), y.size)
    if status:
        _F._raise_c_error(fname, status, x.dtype)
    return y


def lp_pool(X, *, kernel_shape=None, strides=None, pads=None, dilations=None,
            auto_pad="NOTSET", ceil_mode=0, p=2):
    """ONNX LpPool-22: ``(sum |x|^p)^(1/p)`` over each window (padding counts as 0).

    X: (N, C, D1..Dn), n = 1..3, a floating-point dtype; returns Y (N, C, O1..On)
    with ONNX's output sizes (asymmetric ``pads``, ``auto_pad``, ``dilations``,
    ``ceil_mode``). Raises ValueError (bad attributes, p <= 0), TypeError (dtype).
    """
    fname = "onnx.lp_pool"
    x, code = _input(fname, X)
    desc, shape = _desc(fname, x, code, kernel_shape, strides, pads, dilations, auto_pad,
                        ceil_mode, flags=_L.FLAG_LP_ONNX)
    y = np.empty(shape, x.dtype)
    status = _L.lib.swiftpool_lp_pool_forward(ctypes.byref(desc), float(p), _F._address(x),
                                              x.size, _F._address(y), y.size)
    if status:
        _F._raise_c_error(fname, status, x.dtype)
    return y


def _global(fname, X, op, **kwargs):
    """Global pooling of any spatial rank: the spatial axes, contiguous in (N, C, ...),
    are pooled as one 1-D axis with a whole-input window."""
    x = _F._asarray(X)
    if x.ndim < 3:
        raise ValueError("%s: X must have shape (N, C, D1, ..., Dn) with n >= 1, got %s"
                         % (fname, x.shape))
    flat = np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)
    y = op(flat, kernel_shape=[flat.shape[2]], **kwargs)
    return y.reshape(x.shape[:2] + (1,) * (x.ndim - 2))


def global_max_pool(X, *, nan="propagate"):
    """ONNX GlobalMaxPool-22: the maximum over all spatial axes (any count n >= 1).
    X: (N, C, D1..Dn); returns (N, C, 1, ..., 1). NaN as in ``max_pool``.
    Raises ValueError (shape), TypeError (dtype)."""
    return _global("onnx.global_max_pool", X, max_pool, nan=nan)


def global_average_pool(X):
    """ONNX GlobalAveragePool-22: the mean over all spatial axes (any count n >= 1),
    accumulated in double precision (float32: float partial sums of at most 64
    elements, or 64 pixels for NHWC, added in double; a 5000x5000 map of ones
    gives exactly 1.0):
    computed as an adaptive average to one bin, not as average_pool, whose float32
    sums (PyTorch's arithmetic) drift on huge maps.
    X: (N, C, D1..Dn) floating point; returns (N, C, 1, ..., 1).
    Raises ValueError (shape), TypeError (dtype)."""
    from ._lp_adaptive_spp import adaptive_avg_pool1d
    return _global("onnx.global_average_pool", X, lambda flat, kernel_shape: adaptive_avg_pool1d(flat, 1))


def global_lp_pool(X, *, p=2):
    """ONNX GlobalLpPool-22: ``(sum |x|^p)^(1/p)`` over all spatial axes (any n >= 1).
    X: (N, C, D1..Dn) floating point; returns (N, C, 1, ..., 1).
    Raises ValueError (shape, p), TypeError (dtype)."""
    return _global("onnx.global_lp_pool", X, lp_pool, p=p)


def max_unpool(X, I, output_shape=None, *, kernel_shape=None, strides=None, pads=None):
    """ONNX MaxUnpool-22: scatters X into a zero tensor at the flattened positions I
    (ONNX's whole-tensor indices, as ``max_pool(..., return_indices=True)`` gives).

    X, I: (N, C, D1..Dn). Without ``output_shape`` the output is (N, C, O1..On) with
    Oi = (Di-1)*stride - pad_begin - pad_end + kernel. With ``output_shape`` (the
    optional third input, the full output shape, each axis >= Oi) the indices keep
    their meaning in that default shape and the result is zero-padded at the end of
    each axis, as the ONNX conformance cases (test_maxunpool_export_with_output_shape)
    define it. (ONNX Runtime instead reinterprets the flat indices in output_shape.)
    Out-of-range indices raise ValueError before anything is written.
    Raises ValueError (bad indices, shapes), TypeError (dtype).
    """
    from . import _unpool_fractional_roi as _U
    y = _U.max_unpool(X, I, kernel_shape, strides=strides, pads=pads)
    if output_shape is None:
        return y
    shape = tuple(_int_attr("onnx.max_unpool", "output_shape", v)
                  for v in np.asarray(output_shape).reshape(-1))
    if len(shape) != y.ndim or shape[:2] != y.shape[:2] or any(
            s < d for s, d in zip(shape[2:], y.shape[2:])):
        raise ValueError("onnx.max_unpool: output_shape %s must keep N, C %s and be at least "
                         "the default spatial shape %s" % (list(shape), y.shape[:2], y.shape[2:]))
    out = np.zeros(shape, y.dtype)
    out[tuple(slice(0, d) for d in y.shape)] = y
    return out


def max_roi_pool(X, rois, *, pooled_shape=None, spatial_scale=1.0):
    """ONNX MaxRoiPool-22: X (N, C, H, W); rois (K, 5) = batch index, x1, y1, x2, y2;
    returns (K, C, pooled_h, pooled_w), the maximum of each bin (empty bins give 0),
    as torchvision.ops.roi_pool. Raises ValueError (bad boxes, shapes), TypeError."""
    from . import _unpool_fractional_roi as _U
    if pooled_shape is None:
        raise ValueError("onnx.max_roi_pool: pooled_shape is required")
    return _U.max_roi_pool(X, rois, pooled_shape, spatial_scale=spatial_scale)
