"""Max unpooling, fractional max pooling and ROI max pooling (numpy in, numpy out).

Thin wrappers of the C functions ``swiftpool_max_unpool_forward``,
``swiftpool_fractional_max_pool_forward`` and ``swiftpool_roi_max_pool_forward``
(include/swiftpool.h). Semantics and signatures follow
``torch.nn.functional.max_unpool{1,2,3}d``, ``fractional_max_pool{2,3}d`` and
``torchvision.ops.roi_pool``; ``max_unpool`` and ``max_roi_pool`` follow ONNX
MaxUnpool-22 and MaxRoiPool-22. Every function takes a keyword-only
``layout="NCHW"|"NHWC"``; inputs that are not C-contiguous in that layout are
copied, and results come back in the input's layout, batched like the input.
"""

import ctypes

import numpy as np

from . import _lib as _L
from .functional import (LAYOUTS, SwiftPoolTypeError, _DESC_DEFAULTS, _DESC_PACK, _SLOT,  # noqa: F401
                         _address, _asarray, _desc_from, _dtype_code, _index, _nan_flag,
                         _raise_c_error)
from .functional import _ints as _torch_ints

__all__ = [
    "max_unpool1d", "max_unpool2d", "max_unpool3d", "max_unpool",
    "fractional_max_pool2d", "fractional_max_pool3d",
    "roi_pool", "max_roi_pool",
]

_lib = _L.lib
_c_unpool = _lib.swiftpool_max_unpool_forward
_c_unpool_shape = _lib.swiftpool_max_unpool_output_shape
_c_fractional = _lib.swiftpool_fractional_max_pool_forward
_c_roi = _lib.swiftpool_roi_max_pool_forward

_LAYOUT_CODE = {"NCHW": _L.LAYOUT_NCHW, "NHWC": _L.LAYOUT_NHWC}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_I64 = np.dtype(np.int64)
_I64x3 = ctypes.c_int64 * _L.MAX_SPATIAL_RANK


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _ints(fname, name, value, count):
    """int or sequence of 1 or `count` ints -> list of `count` Python ints."""
    items = list(value) if isinstance(value, (tuple, list, np.ndarray)) else [value]
    if len(items) == 1:
        items = items * count
    if len(items) != count:
        raise ValueError("%s: %s must be an int or a sequence of 1 or %d ints, got %r"
                         % (fname, name, count, value))
    out = [_index(fname, name, value, i) for i in items]
    for i in out:
        if not -(1 << 63) <= i < (1 << 63):
            raise ValueError("%s: %s = %r does not fit in int64" % (fname, name, value))
    return out


def _tensor(fname, input, rank, layout, batched_only=False, floats_only=False):
    """The input as a C-contiguous array in `layout`, always batched. Returns
    (array, dtype code, layout code, batched?, n, c, spatial sizes)."""
    lay = _LAYOUT_CODE.get(layout) if isinstance(layout, str) else None
    if lay is None:
        raise ValueError("%s: layout must be one of %s, got %r" % (fname, LAYOUTS, layout))
    arr = _asarray(input)
    code = _dtype_code(arr.dtype)
    if code is None or (floats_only and arr.dtype not in _FLOATS):
        allowed = "float32, float64" if floats_only else "float32, float64, float16, bfloat16, uint8, int8"
        raise TypeError("%s: input dtype %s is not supported (supported dtypes: %s)"
                        % (fname, arr.dtype, allowed))
    if arr.ndim == rank + 1 and not batched_only:
        arr, batched = arr[None], False
    elif arr.ndim == rank + 2:
        batched = True
    else:
        want = "%d" % (rank + 2) if batched_only else "%d (unbatched) or %d (batched)" % (rank + 1, rank + 2)
        raise ValueError("%s: input must have %s dimensions in layout %s, got shape %s"
                         % (fname, want, layout, tuple(np.shape(input))))
    arr = np.ascontiguousarray(arr)
    n = arr.shape[0]
    c, spatial = (arr.shape[1], arr.shape[2:]) if lay == _L.LAYOUT_NCHW else (arr.shape[-1], arr.shape[1:-1])
    return arr, code, lay, batched, n, c, list(spatial)


def _desc(code, lay, rank, n, c, spatial, kernel=None, stride=None, padding=None,
          padding_end=None, flags=0):
    v = list(_DESC_DEFAULTS)
    v[_SLOT["dtype"]], v[_SLOT["layout"]], v[_SLOT["spatial_rank"]] = code, lay, rank
    v[_SLOT["batch"]], v[_SLOT["channels"]] = n, c
    for field, values in (("input_size", spatial), ("kernel_size", kernel), ("stride", stride),
                          ("padding", padding), ("padding_end", padding_end)):
        if values is not None:
            s = _SLOT[field]
            v[s:s + rank] = values
    v[_SLOT["flags"]] = flags
    return _desc_from(_DESC_PACK(*v))


def _shape(lay, n, c, spatial):
    return (n, c) + tuple(spatial) if lay == _L.LAYOUT_NCHW else (n,) + tuple(spatial) + (c,)


def _unbatch(batched, *arrays):
    out = tuple(a if batched else a[0] for a in arrays)
    return out if len(out) > 1 else out[0]


# ---------------------------------------------------------------------------
# Max unpooling
# ---------------------------------------------------------------------------

def _unpool(fname, rank, input, indices, kernel, stride, padding, padding_end, output_size,
            flags, layout):
    arr, code, lay, batched, n, c, spatial = _tensor(fname, input, rank, layout)
    idx = _asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError("%s: indices must be an integer array (int64), got dtype %s" % (fname, idx.dtype))
    idx = idx if batched else idx[None]
    if idx.shape != arr.shape:
        raise ValueError("%s: indices must have the input's shape %s, got %s"
                         % (fname, tuple(np.shape(input)), tuple(np.shape(indices))))
    idx = np.ascontiguousarray(idx, dtype=_I64)
    desc = _desc(code, lay, rank, n, c, spatial, kernel, stride, padding, padding_end, flags)
    size = None if output_size is None else (ctypes.c_int64 * rank)(*output_size)
    out_size = _I64x3()
    status = _c_unpool_shape(ctypes.byref(desc), size, out_size, None)
    if status:
        _raise_c_error(fname, status, None)
    out = np.empty(_shape(lay, n, c, out_size[:rank]), arr.dtype)
    status = _c_unpool(ctypes.byref(desc), size, _address(arr), arr.size, _address(idx), idx.size,
                       _address(out), out.size)
    if status:
        _raise_c_error(fname, status, None)
    return _unbatch(batched, out)


def _torch_unpool(rank, fname, input, indices, kernel_size, stride, padding, output_size, layout):
    ks = _ints(fname, "kernel_size", kernel_size, rank)
    st = ks if stride is None else _ints(fname, "stride", stride, rank)
    pd = _ints(fname, "padding", padding, rank)
    if output_size is not None:
        # torch.nn.functional._unpool_output_size: rank or rank + 2 entries, each
        # strictly within one stride of the default size.
        sizes = list(output_size)
        if len(sizes) == rank + 2:
            sizes = sizes[2:] if layout == "NCHW" else sizes[1:-1]
        if len(sizes) != rank:
            raise ValueError("%s: output_size should be a sequence containing %d or %d elements, "
                             "but it has a length of '%d'" % (fname, rank, rank + 2, len(sizes)))
        sizes = _ints(fname, "output_size", sizes, rank)
        shape = np.shape(input)
        if len(shape) not in (rank + 1, rank + 2):  # (as _tensor checks, before indexing it)
            raise ValueError("%s: input must have %d (unbatched) or %d (batched) dimensions in "
                             "layout %s, got shape %s" % (fname, rank + 1, rank + 2, layout, shape))
        spatial = shape[-rank:] if layout == "NCHW" else shape[-rank - 1:-1]
        for d in range(rank):
            default = (spatial[d] - 1) * st[d] + ks[d] - 2 * pd[d]
            lo, hi = default - st[d], default + st[d]
            if not lo < sizes[d] < hi:
                raise ValueError('%s: invalid output_size "%s" (dim %d must be between %d and %d)'
                                 % (fname, list(output_size), d, lo, hi))
        output_size = sizes
    return _unpool(fname, rank, input, indices, ks, st, pd, None, output_size, 0, layout)


_UNPOOL_DOC = """{rank}D max unpooling: the partial inverse of ``max_pool{rank}d``.

Semantics: matches ``torch.nn.functional.max_unpool{rank}d`` (same arguments;
results bit for bit). The output is zero-filled and each input element is
written at its index, a position ``{index}`` within its own (n, c) plane of the
output; of duplicate indices the last element (row-major order) wins, as in
PyTorch's CPU kernel. Every index is checked before anything is written.

Args:
    input: batched {nchw} or unbatched {chw} (``layout="NCHW"``), or {nhwc} /
        {hwc} (``layout="NHWC"``); any dtype the library supports (float32,
        float64, float16, bfloat16, uint8, int8).
    indices: integer array of the input's shape (as ``max_pool{rank}d`` returns
        with ``return_indices=True``); converted to int64.
    kernel_size, stride, padding: the pooling being undone; an int or a tuple of
        1 or {rank} ints. ``stride=None`` means kernel_size.
    output_size: None for ``(in - 1)*stride - 2*padding + kernel_size`` per axis,
        else {rank} sizes (or the full shape in the input's layout), each strictly
        between default - stride and default + stride (PyTorch's rule).
    layout (keyword-only): "NCHW" or "NHWC".

Returns:
    A numpy array of the input's dtype and layout, batched like the input.

Raises:
    TypeError: unsupported dtype; non-integer indices or sizes.
    ValueError: wrong dimensions; indices not of the input's shape; output_size of
        the wrong length or out of range; unknown layout. As ``SwiftPoolValueError``:
        the library's errors, e.g. an index outside its plane (the message names
        its position and value), an output size below 1.
"""

_SHAPES = {1: dict(nchw="(N, C, W)", chw="(C, W)", nhwc="(N, W, C)", hwc="(W, C)", index="w"),
           2: dict(nchw="(N, C, H, W)", chw="(C, H, W)", nhwc="(N, H, W, C)", hwc="(H, W, C)",
                   index="h*W + w"),
           3: dict(nchw="(N, C, D, H, W)", chw="(C, D, H, W)", nhwc="(N, D, H, W, C)",
                   hwc="(D, H, W, C)", index="(d*H + h)*W + w")}


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                 layout="NCHW"):
    return _torch_unpool(1, "max_unpool1d", input, indices, kernel_size, stride, padding,
                         output_size, layout)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                 layout="NCHW"):
    return _torch_unpool(2, "max_unpool2d", input, indices, kernel_size, stride, padding,
                         output_size, layout)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                 layout="NCHW"):
    return _torch_unpool(3, "max_unpool3d", input, indices, kernel_size, stride, padding,
                         output_size, layout)


for _f, _r in ((max_unpool1d, 1), (max_unpool2d, 2), (max_unpool3d, 3)):
    _f.__doc__ = _UNPOOL_DOC.format(rank=_r, **_SHAPES[_r])
del _f, _r


def max_unpool(X, I, kernel_shape, strides=None, pads=None, output_shape=None, *, layout="NCHW"):
    """ONNX MaxUnpool-22 (1D/2D/3D by ``len(kernel_shape)``).

    Semantics: matches ONNX Runtime's MaxUnpool. The output is zero-filled and
    each element of X is written at its index in I, flattened over the *whole*
    output tensor in NCHW order, ``((n*C + c)*prod(out) + position)`` (as ONNX
    MaxPool returns indices), so an element may land in another (n, c) plane; of
    duplicates the last element of X (NCHW order) wins. Every index is checked
    before anything is written.

    Args:
        X: (N, C, spatial...) with ``layout="NCHW"`` or (N, spatial..., C) with
            ``"NHWC"``; any supported dtype.
        I: integer array of X's shape (converted to int64).
        kernel_shape: one int per spatial axis.
        strides: per axis, default 1 (ONNX's default).
        pads: ONNX order ``[x1_begin, x2_begin, ..., x1_end, x2_end, ...]``,
            default 0.
        output_shape: None for ``(in - 1)*stride - pad_begin - pad_end + kernel``
            per axis, else ONNX's full output shape ``(N, C, spatial...)`` (NCHW
            order even with ``layout="NHWC"``); each spatial size must be at least
            the default (ONNX Runtime's rule).
        layout (keyword-only): "NCHW" or "NHWC".

    Returns:
        Y, a numpy array of X's dtype and layout.

    Raises:
        TypeError / ValueError: as ``max_unpool2d``; output_shape of the wrong
        length, with other N or C, or smaller than the default.
    """
    fname = "max_unpool"
    ks = _ints(fname, "kernel_shape", list(kernel_shape), len(kernel_shape))
    rank = len(ks)
    if not 1 <= rank <= 3:
        raise ValueError("%s: kernel_shape must have 1 to 3 entries, got %r" % (fname, kernel_shape))
    st = [1] * rank if strides is None else _ints(fname, "strides", strides, rank)
    pads = [0] * (2 * rank) if pads is None else _ints(fname, "pads", pads, 2 * rank)
    requested = None
    if output_shape is not None:
        shape = _ints(fname, "output_shape", list(output_shape), len(output_shape))
        xs = np.shape(X)
        n, c = (xs[0], xs[1]) if layout == "NCHW" else (xs[0], xs[-1])
        spatial = xs[2:] if layout == "NCHW" else xs[1:-1]
        if len(shape) != rank + 2 or shape[0] != n or shape[1] != c:
            raise ValueError("%s: output_shape %s must be (N, C, spatial...) with N = %d, C = %d and "
                             "%d spatial sizes" % (fname, list(output_shape), n, c, rank))
        for d in range(rank):
            default = (spatial[d] - 1) * st[d] + ks[d] - pads[d] - pads[rank + d]
            if shape[2 + d] < default:
                raise ValueError("%s: output_shape %s is smaller than the inferred output shape "
                                 "(spatial axis %d: %d < %d)" % (fname, list(output_shape), d,
                                                                 shape[2 + d], default))
        requested = shape[2:]
    return _unpool(fname, rank, X, I, ks, st, pads[:rank], pads[rank:], requested,
                   _L.FLAG_INDICES_GLOBAL, layout)


# ---------------------------------------------------------------------------
# Fractional max pooling
# ---------------------------------------------------------------------------

def _fractional(rank, fname, input, kernel_size, output_size, output_ratio, return_indices,
                _random_samples, seed, layout, nan):
    flags = _nan_flag(fname, nan)
    if output_size is None and output_ratio is None:
        raise ValueError("%s requires specifying either an output_size or an output_ratio" % fname)
    arr, code, lay, batched, n, c, spatial = _tensor(fname, input, rank, layout, floats_only=True)
    # torch's int[N] parsing (no numpy arrays; a tuple of exactly rank ints).
    ks = _torch_ints(fname, "kernel_size", kernel_size, rank, one=False)
    if output_size is None:
        ratios = list(output_ratio) if isinstance(output_ratio, (tuple, list)) else [output_ratio]
        if len(ratios) == 1:
            ratios *= rank
        if len(ratios) != rank:
            raise ValueError("%s: output_ratio must be a number or a tuple of %d numbers, got %r"
                             % (fname, rank, output_ratio))
        try:
            sizes = [int(spatial[d] * float(ratios[d])) for d in range(rank)]   # torch: int(in * ratio)
        except OverflowError:  # an infinite ratio
            raise ValueError("%s: output_ratio must be finite, got %r" % (fname, output_ratio)) from None
    else:
        sizes = _torch_ints(fname, "output_size", output_size, rank, one=False)
    if rank == 3:
        # PyTorch's 3D check is strict (out + k - 1 < in); the library applies <=.
        for d, axis in enumerate(("time", "height", "width")):
            if 0 < sizes[d] and 0 < ks[d] and not sizes[d] + ks[d] - 1 < spatial[d]:
                raise ValueError("%s: pool %s %d too large relative to input %s %d (PyTorch needs "
                                 "output_size + kernel_size - 1 < input_size in 3D)"
                                 % (fname, axis, ks[d], axis, spatial[d]))
    if _random_samples is None:
        rng = np.random.default_rng(seed)
        samples = rng.random((n, c, rank), dtype=arr.dtype)
    else:
        samples = _asarray(_random_samples)
        if samples.shape != (n, c, rank):
            raise ValueError("%s: _random_samples must have shape %s (N, C, %d), got %s"
                             % (fname, (n, c, rank), rank, samples.shape))
        if samples.dtype != arr.dtype:
            raise TypeError("%s: _random_samples must have the input's dtype %s, got %s"
                            % (fname, arr.dtype, samples.dtype))
        samples = np.ascontiguousarray(samples)
    desc = _desc(code, lay, rank, n, c, spatial, kernel=ks, flags=flags)
    out = np.empty(_shape(lay, n, c, [max(s, 0) for s in sizes]), arr.dtype)
    idx = np.empty(out.shape, _I64) if return_indices else None
    status = _c_fractional(ctypes.byref(desc), (ctypes.c_int64 * rank)(*sizes), _address(samples),
                           samples.size, 0, _address(arr), arr.size, _address(out), out.size,
                           _address(idx) if return_indices else None, idx.size if return_indices else 0)
    if status:
        _raise_c_error(fname, status, None)
    return _unbatch(batched, out, idx) if return_indices else _unbatch(batched, out)


_FRACTIONAL_DOC = """{rank}D fractional max pooling (Graham, 2014).

Semantics: matches ``torch.nn.functional.fractional_max_pool{rank}d`` bit for bit
given the same ``_random_samples``. Along an axis with input ``in``, output
``out`` and kernel ``k``, the sample u of the (n, c) plane gives windows
``[start(i), start(i) + k)`` with ``alpha = (in - k) / (out - 1)``,
``start(i) = int((i + u) * alpha) - int(u * alpha)`` and the last window at
``in - k``, computed in the input's dtype as PyTorch does. Max rule as
``max_pool{rank}d``: NaN propagates (the last NaN is reported), ties keep the
first element, indices are positions ``{index}`` in the (n, c) input plane.
With ``nan="ignore"`` NaN is skipped instead (fmax semantics, as ``numpy.fmax``):
a window gives the maximum of its non-NaN values, and only an all-NaN window
gives NaN, with the index of its last NaN.

Args:
    input: batched {nchw} or unbatched {chw} (``layout="NCHW"``), or {nhwc} /
        {hwc} (``layout="NHWC"``); float32 or float64.
    kernel_size: an int or {rank} ints.
    output_size: {rank} ints (or one), with output + kernel - 1 <= input per axis{strict}.
    output_ratio: used when output_size is None: ``output = int(input * ratio)``.
    return_indices: also return the int64 argmax positions.
    _random_samples: (N, C, {rank}) array of the input's dtype in [0, 1), N = 1
        for an unbatched input, in PyTorch's order {order}; None to draw them with
        ``numpy.random.default_rng(seed).random``.
    seed (keyword-only): seed for those draws; None for fresh OS entropy.
    layout (keyword-only): "NCHW" or "NHWC".
    nan (keyword-only): "propagate" (default, PyTorch's rule: a window holding
        NaN yields its last NaN, value and index) or "ignore" (fmax: the maximum
        of the window's non-NaN values; all-NaN: its last NaN, value and index).
        C: ``SWIFTPOOL_FLAG_NAN_IGNORE``.

Returns:
    A numpy array of the input's dtype and layout, batched like the input; with
    return_indices ``(values, indices)``.

Raises:
    TypeError: dtype not float32/float64; _random_samples of another dtype.
    ValueError: neither output_size nor output_ratio; wrong dimensions or sample
        shape; unknown ``nan``; as ``SwiftPoolValueError`` the library's errors (a
        sample outside [0, 1) named by position, output_size + kernel_size - 1 >
        input_size, ...).
"""


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None, *, seed=None, layout="NCHW",
                          nan="propagate"):
    return _fractional(2, "fractional_max_pool2d", input, kernel_size, output_size, output_ratio,
                       return_indices, _random_samples, seed, layout, nan)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None, *, seed=None, layout="NCHW",
                          nan="propagate"):
    return _fractional(3, "fractional_max_pool3d", input, kernel_size, output_size, output_ratio,
                       return_indices, _random_samples, seed, layout, nan)


fractional_max_pool2d.__doc__ = _FRACTIONAL_DOC.format(rank=2, order="(u_W, u_H)", strict="",
                                                       **_SHAPES[2])
fractional_max_pool3d.__doc__ = _FRACTIONAL_DOC.format(
    rank=3, order="(u_D, u_H, u_W)", strict=" (strictly less in 3D, PyTorch's check)", **_SHAPES[3])


# ---------------------------------------------------------------------------
# ROI max pooling
# ---------------------------------------------------------------------------

def _roi(fname, input, boxes, output_size, spatial_scale, layout, want_argmax):
    arr, code, lay, _, n, c, spatial = _tensor(fname, input, 2, layout, batched_only=True,
                                               floats_only=True)
    if isinstance(boxes, (list, tuple)):
        # torchvision's list form: one (L, 4) array of (x1, y1, x2, y2) per image.
        parts = []
        for i, b in enumerate(boxes):
            b = np.asarray(b, dtype=arr.dtype)
            if b.ndim != 2 or b.shape[1] != 4:
                raise ValueError("%s: boxes[%d] must have shape (L, 4), got %s" % (fname, i, b.shape))
            parts.append(np.concatenate([np.full((len(b), 1), i, arr.dtype), b], axis=1))
        rois = np.concatenate(parts, axis=0) if parts else np.empty((0, 5), arr.dtype)
    else:
        rois = np.asarray(boxes, dtype=arr.dtype)
        if rois.ndim != 2 or rois.shape[1] != 5:
            raise ValueError("%s: boxes must have shape (K, 5), got %s" % (fname, rois.shape))
    rois = np.ascontiguousarray(rois)
    ph, pw = _ints(fname, "output_size", output_size, 2)
    k = rois.shape[0]
    desc = _desc(code, lay, 2, n, c, spatial)
    out = np.empty(_shape(lay, k, c, [max(ph, 0), max(pw, 0)]), arr.dtype)
    arg = np.empty(out.shape, _I64) if want_argmax else None
    status = _c_roi(ctypes.byref(desc), _address(rois), k, rois.size, (ctypes.c_int64 * 2)(ph, pw),
                    float(spatial_scale), _address(arr), arr.size, _address(out), out.size,
                    _address(arg) if want_argmax else None, arg.size if want_argmax else 0)
    if status:
        _raise_c_error(fname, status, None)
    return (out, arg) if want_argmax else out


def roi_pool(input, boxes, output_size, spatial_scale=1.0, *, layout="NCHW", return_argmax=False):
    """ROI max pooling (Fast R-CNN), as ``torchvision.ops.roi_pool``.

    Semantics: torchvision's CPU kernel, arithmetic in the input's dtype: each
    box's corners are scaled by spatial_scale and rounded half away from zero,
    malformed boxes become 1x1, bin (ph, pw) covers rows
    ``[floor(ph*h/PH), ceil((ph+1)*h/PH))`` (columns likewise) offset by the
    corner and clipped to the map. An empty bin gives 0 (argmax -1); otherwise the
    max starts at -FLT_MAX and only strictly greater values replace it, so NaN is
    ignored and a bin of NaN / -inf gives -FLT_MAX with argmax -1.

    Args:
        input: (N, C, H, W) with ``layout="NCHW"``, (N, H, W, C) with ``"NHWC"``;
            float32 or float64.
        boxes: (K, 5) rows (batch_index, x1, y1, x2, y2), or a list of (L, 4)
            arrays (x1, y1, x2, y2), one per image (torchvision's two forms);
            converted to the input's dtype (torchvision requires it).
        output_size: int or (PH, PW).
        spatial_scale: multiplies the box coordinates (e.g. 1/16); must be > 0.
        layout (keyword-only): "NCHW" or "NHWC".
        return_argmax (keyword-only): also return the argmax, int64 positions
            ``h*W + w`` in the box's (batch, c) plane or -1, as
            ``torch.ops.torchvision.roi_pool`` (which returns int32).

    Returns:
        (K, C, PH, PW) (NHWC: (K, PH, PW, C)) of the input's dtype; with
        return_argmax ``(output, argmax)``.

    Raises:
        TypeError: dtype not float32/float64.
        ValueError: wrong dimensions or box shapes; as ``SwiftPoolValueError`` a bad
            box (batch index out of range, non-finite coordinate: the message names
            the box, field and value), output_size < 1 or spatial_scale <= 0.
    """
    return _roi("roi_pool", input, boxes, output_size, spatial_scale, layout, return_argmax)


def max_roi_pool(X, rois, pooled_shape, spatial_scale=1.0, *, layout="NCHW"):
    """ONNX MaxRoiPool-22: ``roi_pool`` with ONNX's argument names.

    X (N, C, H, W) (or (N, H, W, C) with ``layout="NHWC"``), rois (num_rois, 5)
    rows (batch_id, x1, y1, x2, y2), pooled_shape (PH, PW), spatial_scale > 0.
    Returns Y (num_rois, C, PH, PW). ONNX Runtime computes the same algorithm;
    it differs only for bins holding NaN (where its result depends on the NaN's
    position; here NaN is ignored, as torchvision). Raises as ``roi_pool``.
    """
    if len(pooled_shape) != 2:
        raise ValueError("max_roi_pool: pooled_shape must have 2 entries, got %r" % (pooled_shape,))
    return _roi("max_roi_pool", X, rois, tuple(pooled_shape), spatial_scale, layout, False)
