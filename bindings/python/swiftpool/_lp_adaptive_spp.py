"""LP, adaptive, global and spatial pyramid pooling (forward), backed by the C
functions of include/swiftpool.h's section "LP / global / adaptive / spatial
pyramid pooling".

The functions mirror ``torch.nn.functional`` (``lp_pool{1,2,3}d``,
``adaptive_{max,avg}_pool{1,2,3}d``); ``spatial_pyramid_pool`` is SPP-net's layer.
All take numpy arrays (or CPU torch tensors) and ``layout="NCHW"|"NHWC"``
(keyword-only), and return numpy arrays. The ONNX forms (LpPool-22 and the Global*
operators, any number of spatial axes) are in ``swiftpool.onnx``.
"""

import ctypes
import operator

import numpy as np

from . import _lib as _L
from .functional import (LAYOUTS, SUPPORTED_DTYPES, _DESC_DEFAULTS, _DESC_PACK, _SLOT,
                         _address, _asarray, _bool, _dtype_code, _index, _ints, _nan_flag,
                         _raise_c_error)

__all__ = [
    "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "spatial_pyramid_pool", "spatial_pyramid_pool_length",
]

_lib = _L.lib
_c_output_shape = _lib.swiftpool_pool_output_shape
_c_lp = _lib.swiftpool_lp_pool_forward
_c_adaptive_max = _lib.swiftpool_adaptive_max_pool_forward
_c_adaptive_avg = _lib.swiftpool_adaptive_avg_pool_forward
_c_spp_length = _lib.swiftpool_spatial_pyramid_pool_output_length
_c_spp = _lib.swiftpool_spatial_pyramid_pool_forward

_desc_from = _L.PoolDesc.from_buffer_copy
_byref = ctypes.byref
_I64x3 = ctypes.c_int64 * _L.MAX_SPATIAL_RANK
_LAYOUT_CODE = {"NCHW": _L.LAYOUT_NCHW, "NHWC": _L.LAYOUT_NHWC}
# functional's operator codes, for its dtype hints in errors: 0 max-type, 1 averaging.
_MAX_TYPE, _AVERAGING = 0, 1

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _channels_last_perm(batched, rank):
    """Axes of a channels-first array in channels-last order ((N,) C, S... -> (N,) S..., C)."""
    s = 1 if batched else 0
    return tuple(range(s)) + tuple(range(s + 1, s + 1 + rank)) + (s,)


def _perm_to_other(lay, batched, rank):
    """Axis permutation taking an array in layout ``lay`` to the other layout."""
    p = _channels_last_perm(batched, rank)
    return p if lay == _L.LAYOUT_NCHW else tuple(int(i) for i in np.argsort(p))


class _Tensor:
    """An input array ready for the C library: ``buf`` is C-contiguous in
    ``layout`` (the caller's, or without a copy the other one, ``perm`` then
    mapping the caller's axes to ``buf``'s)."""

    def __init__(self, fname, input, rank, layout, op, batched_only=False):
        lay = _LAYOUT_CODE.get(layout) if isinstance(layout, str) else None
        if lay is None:
            raise ValueError("%s: layout must be one of %s, got %r" % (fname, LAYOUTS, layout))
        arr = _asarray(input)
        code = _dtype_code(arr.dtype)
        if code is None:
            key = "max_pool" if op == _MAX_TYPE else "avg_pool"
            raise TypeError("%s: input dtype %s is not supported (supported dtypes: %s)"
                            % (fname, arr.dtype, ", ".join(SUPPORTED_DTYPES[key])))
        shape = arr.shape
        if arr.ndim == rank + 2:
            batched, n = True, shape[0]
            rest = shape[1:]
        elif arr.ndim == rank + 1 and not batched_only:
            batched, n = False, 1
            rest = shape
        else:
            want = "%d" % (rank + 2) if batched_only else "%d (unbatched) or %d (batched)" % (
                rank + 1, rank + 2)
            raise ValueError("%s: input must have %s dimensions in layout %s, got shape %s"
                             % (fname, want, layout, tuple(shape)))
        c, spatial = (rest[0], rest[1:]) if lay == _L.LAYOUT_NCHW else (rest[-1], rest[:-1])
        buf, kernel_layout, perm = arr, lay, None
        if not (arr.flags.c_contiguous and arr.flags.aligned):
            p = _perm_to_other(lay, batched, rank)
            t = arr.transpose(p)
            if t.flags.c_contiguous and t.flags.aligned:
                buf, kernel_layout, perm = t, (_L.LAYOUT_NHWC if lay == _L.LAYOUT_NCHW
                                               else _L.LAYOUT_NCHW), p
            else:
                buf = np.array(arr, order="C", copy=True)
        self.fname, self.op, self.rank, self.lay = fname, op, rank, lay
        self.arr, self.buf, self.layout, self.perm = arr, buf, kernel_layout, perm
        self.batched, self.n, self.c, self.spatial = batched, n, c, tuple(spatial)
        self.dtype, self.code = arr.dtype, code

    def desc(self, kernel=None, stride=None, ceil_mode=False, flags=0):
        """A swiftpool_pool_desc for this tensor (window fields: PyTorch's lp_pool's)."""
        spatial = self.spatial
        rank = len(spatial)
        v = _DESC_DEFAULTS[:]
        v[_SLOT["dtype"]] = self.code
        v[_SLOT["layout"]] = self.layout
        v[_SLOT["spatial_rank"]] = rank
        v[_SLOT["batch"]] = self.n
        v[_SLOT["channels"]] = self.c
        for name, values in (("input_size", spatial), ("kernel_size", kernel), ("stride", stride)):
            if values is not None:
                v[_SLOT[name]:_SLOT[name] + rank] = values
        v[_SLOT["ceil_mode"]] = 1 if ceil_mode else 0
        v[_SLOT["flags"]] = flags
        return _desc_from(_DESC_PACK(*v))

    def fail(self, status):
        _raise_c_error(self.fname, status, self.dtype, self.op)

    def output(self, spatial, dtype=None):
        """An uninitialised output in ``buf``'s memory order, and the caller's view
        of it (logical shape in the caller's layout and batching)."""
        c = self.c
        kernel_shape = (c,) + tuple(spatial) if self.layout == _L.LAYOUT_NCHW else tuple(spatial) + (c,)
        if self.batched:
            kernel_shape = (self.n,) + kernel_shape
        values = np.empty(kernel_shape, self.dtype if dtype is None else dtype)
        if self.perm is None:
            return values, values
        return values, values.transpose(tuple(int(i) for i in np.argsort(self.perm)))


def _float(fname, name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                        np.floating)):
        raise TypeError("%s: %s must be a number, got %r" % (fname, name, value))
    return float(value)


def _output_size(fname, output_size, spatial):
    """torch's output_size: an int or a tuple of ints and None (None: the input's size).
    Typed as torch does: a whole ``None`` is a TypeError, a sequence must have rank
    items (a 1-tuple only in 1D), and (2D/3D, where torch takes any sequence) a 1-D
    numpy array of ints is accepted; the items are checked by functional._index."""
    rank = len(spatial)
    if output_size is None:
        raise TypeError("%s: argument 'output_size' must be an int or a tuple of ints "
                        "(None only as an item), not None" % fname)
    if isinstance(output_size, (tuple, list)):
        items = output_size
    elif isinstance(output_size, np.ndarray) and output_size.ndim == 1 and rank > 1:
        items = list(output_size)
    else:
        items = (output_size,) * rank
    if len(items) != rank:
        raise ValueError("%s: output_size must be an int or a tuple of %d ints (or None), got %r"
                         % (fname, rank, output_size))
    out = []
    for item, size in zip(items, spatial):
        if item is None:
            out.append(size)
            continue
        out.append(_index(fname, "output_size", output_size, item))
        if out[-1] < 0:
            # Checked here: numpy would fail first, allocating the output.
            raise ValueError("%s: output_size entries must be >= 0, got %r"
                             % (fname, output_size))
    return out


# ---------------------------------------------------------------------------
# LP pooling
# ---------------------------------------------------------------------------

def _lp(t, norm_type, kernel, stride, ceil_mode):
    desc = t.desc(kernel=kernel, stride=stride, ceil_mode=ceil_mode)
    out_size = _I64x3()
    status = _c_output_shape(_byref(desc), out_size, None)
    if status:
        t.fail(status)
    values, result = t.output(out_size[:t.rank])
    status = _c_lp(_byref(desc), norm_type, _address(t.buf), t.buf.size, _address(values),
                   values.size)
    if status:
        t.fail(status)
    return result


def _torch_lp(rank, fname, input, norm_type, kernel_size, stride, ceil_mode, layout):
    _bool(fname, "ceil_mode", ceil_mode)
    t = _Tensor(fname, input, rank, layout, _AVERAGING)
    p = _float(fname, "norm_type", norm_type)
    ks = _ints(fname, "kernel_size", kernel_size, rank)
    st = ks if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _ints(fname, "stride", stride, rank)
    return _lp(t, p, ks, st, ceil_mode)


_LP_DOC = """{rank}D LP (power-average) pooling.

Semantics: ``torch.nn.functional.lp_pool{rank}d``, whose formula is kept exactly:
``y = (sum(x**p) / n * prod(kernel_size)) ** (1/p)`` over the window's n input
elements. x is *not* made absolute (p=1 sums signed values; odd or fractional p
on negative sums gives NaN, as in PyTorch); a ceil_mode window cut off by the
input's end is scaled up as if it were full; ``norm_type=inf`` gives the max of
|x| and ``-inf`` the min, as PyTorch. Powers and sums are taken in float64, so
float32 results stay finite where PyTorch's float32 ``x.pow(p)`` overflows, and
may differ from PyTorch in the last bits otherwise. For ONNX LpPool (|x|,
padding, dilation, no rescaling) see ``swiftpool.onnx.lp_pool``.
C: ``swiftpool_lp_pool_forward``.

Args:
    input: {nchw} or unbatched {chw} with ``layout="NCHW"``; {nhwc} or {hwc} with
        ``layout="NHWC"``; a floating-point dtype (float32, float64, float16,
        bfloat16). A channels-last view of an NCHW array is used without a copy.
    norm_type: p, a non-zero number (+-inf allowed).
    kernel_size, stride: an int or a tuple of 1 or {rank} ints, per axis {axes};
        ``stride=None`` means kernel_size.
    ceil_mode: a bool (0/1, None, numpy.bool_: TypeError, as torch); round the
        output size up (PyTorch's rule).
    layout (keyword-only): "NCHW" or "NHWC".

Returns:
    A numpy array of the input's dtype, layout and batching, with the spatial
    sizes of max/avg pooling with padding 0 (``swiftpool_pool_output_shape``).

Raises:
    TypeError: integer or unknown dtype; a non-number norm_type; non-int (or bool)
        sizes; a non-bool ceil_mode.
    ValueError: wrong number of dimensions, unknown layout, wrong tuple length;
        ``SwiftPoolValueError`` (a ValueError) for every error the library reports
        (norm_type 0 or NaN, zero sizes, an output smaller than 1, ...), with
        ``swiftpool_last_error_message()`` naming the argument and value.
"""

_SHAPES = {1: dict(nchw="(N, C, W)", chw="(C, W)", nhwc="(N, W, C)", hwc="(W, C)", axes="(W,)"),
           2: dict(nchw="(N, C, H, W)", chw="(C, H, W)", nhwc="(N, H, W, C)", hwc="(H, W, C)",
                   axes="(H, W)"),
           3: dict(nchw="(N, C, D, H, W)", chw="(C, D, H, W)", nhwc="(N, D, H, W, C)",
                   hwc="(D, H, W, C)", axes="(D, H, W)")}


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False, *, layout="NCHW"):
    return _torch_lp(1, "lp_pool1d", input, norm_type, kernel_size, stride, ceil_mode, layout)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False, *, layout="NCHW"):
    return _torch_lp(2, "lp_pool2d", input, norm_type, kernel_size, stride, ceil_mode, layout)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False, *, layout="NCHW"):
    return _torch_lp(3, "lp_pool3d", input, norm_type, kernel_size, stride, ceil_mode, layout)


# ---------------------------------------------------------------------------
# Adaptive pooling
# ---------------------------------------------------------------------------

def _adaptive(rank, fname, input, output_size, return_indices, layout, is_max, flags=0):
    t = _Tensor(fname, input, rank, layout, _MAX_TYPE if is_max else _AVERAGING)
    osz = _output_size(fname, output_size, t.spatial)
    sizes = (ctypes.c_int64 * rank)(*osz) if all(
        -(1 << 63) <= s < (1 << 63) for s in osz) else None
    if sizes is None:
        raise ValueError("%s: output_size %r does not fit in int64" % (fname, output_size))
    desc = t.desc(flags=flags)
    values, result = t.output(osz)
    if is_max:
        indices, indices_result = t.output(osz, np.int64) if return_indices else (None, None)
        status = _c_adaptive_max(_byref(desc), sizes, _address(t.buf), t.buf.size,
                                 _address(values), values.size,
                                 None if indices is None else _address(indices),
                                 0 if indices is None else indices.size)
    else:
        status = _c_adaptive_avg(_byref(desc), sizes, _address(t.buf), t.buf.size,
                                 _address(values), values.size)
    if status:
        t.fail(status)
    if is_max and return_indices:
        return result, indices_result
    return result


_ADAPTIVE_MAX_DOC = """{rank}D adaptive max pooling: output_size bins over each plane.

Semantics: ``torch.nn.functional.adaptive_max_pool{rank}d`` (values and indices
bit for bit): output o of n along an axis of size L pools
``[floor(o*L/n), ceil((o+1)*L/n))`` (bins may overlap; n > L repeats elements).
A bin holding NaN yields its *last* NaN (value and index); among equal values the
first in scan order wins; an all -inf bin reports its first element. With
``nan="ignore"`` NaN is skipped instead (fmax semantics, as ``numpy.fmax``): a bin
gives the maximum of its non-NaN values (the first of equal ones), and only an
all-NaN bin gives NaN, with the index of its last NaN. ONNX has no
adaptive operator (GlobalMaxPool is output_size 1: ``swiftpool.onnx.global_max_pool``).
C: ``swiftpool_adaptive_max_pool_forward``.

Args:
    input: {nchw} or unbatched {chw} with ``layout="NCHW"``; {nhwc} or {hwc} with
        ``layout="NHWC"``; any supported dtype (integers too).
    output_size: an int, or a tuple/list of {rank} items each an int or None (None
        keeps that axis); numpy integers count as ints, bools and floats do not.
    return_indices: also return the int64 position of each maximum within its
        (n, c) plane, row-major over {axes}, for both layouts (as PyTorch).
    layout (keyword-only): "NCHW" or "NHWC".
    nan (keyword-only): "propagate" (default, PyTorch's rule: a bin holding NaN
        yields its last NaN, value and index) or "ignore" (fmax: the maximum of
        the bin's non-NaN values; all-NaN: its last NaN, value and index).
        C: ``SWIFTPOOL_FLAG_NAN_IGNORE``.

Returns:
    A numpy array of the input's dtype, layout and batching with spatial sizes
    output_size; with return_indices, ``(values, indices)``.

Raises:
    TypeError: unknown dtype, non-int output_size (a bool, float or None too).
    ValueError: wrong number of dimensions, unknown layout or ``nan``, wrong tuple
        length; ``SwiftPoolValueError`` for every error the library reports
        (output_size < 1, overflow, ...), carrying ``swiftpool_last_error_message()``.
"""

_ADAPTIVE_AVG_DOC = """{rank}D adaptive average pooling: the mean of output_size bins over each plane.

Semantics: ``torch.nn.functional.adaptive_avg_pool{rank}d``, bit for bit: output
o of n along an axis of size L averages ``[floor(o*L/n), ceil((o+1)*L/n))`` in
PyTorch's CPU arithmetic (contiguous tensors): the bin summed in scan order from
+0 in float (float32, float16, bfloat16) or float64, then ``sum / kd / kh / kw``
(bin sizes, each quotient rounded), rounded to the dtype; 3D float16/bfloat16
round to the dtype after every add and division, as torch's 3D kernel. Both
layouts follow this rule (torch's channels_last kernel divides vectorised
channels once by ``kh*kw``, so its channels_last results can differ from its
contiguous ones in the last bit). Exception: output_size 1 on every axis (ONNX
GlobalAveragePool, see ``swiftpool.onnx.global_average_pool``) sums in float64
(float32: float partial sums of at most 64 elements, or 64 pixels for NHWC,
added in float64) and divides once, where torch's ``mean()`` may differ in the
last bits.
C: ``swiftpool_adaptive_avg_pool_forward``.

Args:
    input: {nchw} or unbatched {chw} with ``layout="NCHW"``; {nhwc} or {hwc} with
        ``layout="NHWC"``; a floating-point dtype.
    output_size: an int, or a tuple/list of {rank} items each an int or None (None
        keeps that axis); numpy integers count as ints, bools and floats do not.
    layout (keyword-only): "NCHW" or "NHWC".

Returns:
    A numpy array of the input's dtype, layout and batching with spatial sizes
    output_size.

Raises:
    TypeError: integer or unknown dtype, non-int output_size (a bool, float or None too).
    ValueError: wrong number of dimensions, unknown layout, wrong tuple length;
        ``SwiftPoolValueError`` for every error the library reports, carrying
        ``swiftpool_last_error_message()``.
"""


def adaptive_max_pool1d(input, output_size, return_indices=False, *, layout="NCHW",
                        nan="propagate"):
    return _adaptive(1, "adaptive_max_pool1d", input, output_size, return_indices, layout, True,
                     _nan_flag("adaptive_max_pool1d", nan))


def adaptive_max_pool2d(input, output_size, return_indices=False, *, layout="NCHW",
                        nan="propagate"):
    return _adaptive(2, "adaptive_max_pool2d", input, output_size, return_indices, layout, True,
                     _nan_flag("adaptive_max_pool2d", nan))


def adaptive_max_pool3d(input, output_size, return_indices=False, *, layout="NCHW",
                        nan="propagate"):
    return _adaptive(3, "adaptive_max_pool3d", input, output_size, return_indices, layout, True,
                     _nan_flag("adaptive_max_pool3d", nan))


def adaptive_avg_pool1d(input, output_size, *, layout="NCHW"):
    return _adaptive(1, "adaptive_avg_pool1d", input, output_size, False, layout, False)


def adaptive_avg_pool2d(input, output_size, *, layout="NCHW"):
    return _adaptive(2, "adaptive_avg_pool2d", input, output_size, False, layout, False)


def adaptive_avg_pool3d(input, output_size, *, layout="NCHW"):
    return _adaptive(3, "adaptive_avg_pool3d", input, output_size, False, layout, False)


# ---------------------------------------------------------------------------
# Spatial pyramid pooling
# ---------------------------------------------------------------------------

_SPP_MODE = {"max": _L.SPP_MAX, "avg": _L.SPP_AVG}
_SPP_BINS = {"adaptive": _L.SPP_BINS_ADAPTIVE, "sppnet": _L.SPP_BINS_SPPNET}


def _levels(fname, levels):
    """levels: ints (square levels) or (h, w) pairs -> a ctypes int64 array of pairs."""
    if isinstance(levels, (int, np.integer)) or not isinstance(levels, (tuple, list)) or not levels:
        raise ValueError("%s: levels must be a non-empty sequence of ints or (h, w) pairs, got %r"
                         % (fname, levels))
    flat = []
    for level in levels:
        pair = _ints(fname, "levels", list(level) if isinstance(level, (tuple, list)) else level, 2)
        flat += pair
    return (ctypes.c_int64 * len(flat))(*flat), len(flat) // 2


def spatial_pyramid_pool_length(channels, levels=(4, 2, 1)):
    """Length of one sample's spatial pyramid pooling (SPP) vector: ``channels * sum(h*w)``.

    C: ``swiftpool_spatial_pyramid_pool_output_length``. ``levels`` as in
    ``spatial_pyramid_pool``. Raises ValueError (``SwiftPoolValueError``) for
    channels or a level < 1 or an int64 overflow, TypeError for non-ints.
    """
    fname = "spatial_pyramid_pool_length"
    c = operator.index(channels)
    flat, count = _levels(fname, levels)
    length = ctypes.c_int64(0)
    status = _c_spp_length(c, flat, count, _byref(length))
    if status:
        _raise_c_error(fname, status, None)
    return int(length.value)


def spatial_pyramid_pool(x, levels=(4, 2, 1), mode="max", bins="adaptive", sizes=None, *,
                         layout="NCHW", nan="propagate"):
    """Spatial pyramid pooling (SPP-net, He et al. 2014): a fixed-length vector per
    sample, whatever its height and width.

    Each level (h, w) divides the map into h x w bins, pools each (max or mean)
    and flattens the result channel-major (element ``c*h*w + i*w + j``); levels
    are concatenated in the order given -- the layout of common PyTorch SPP layers,
    ``torch.cat([F.adaptive_max_pool2d(x, l).flatten(1) for l in levels], 1)``,
    for either input layout. All levels come from one C call that reads the input
    once. C: ``swiftpool_spatial_pyramid_pool_forward``.

    Args:
        x: (N, C, H, W) or unbatched (C, H, W) with ``layout="NCHW"``; (N, H, W, C)
            or (H, W, C) with ``layout="NHWC"``. Any supported dtype for "max",
            floating-point for "avg".
        levels: a non-empty sequence of ints n (an n x n level) or (h, w) pairs.
        mode: "max" (the bin's maximum; NaN as ``nan`` says) or "avg" (float64
            sums; a NaN in a bin gives NaN).
        bins: "adaptive" (default): adaptive pooling's bins
            ``[floor(i*L/n), ceil((i+1)*L/n))``, valid for every size, maps
            smaller than a level included. "sppnet": the paper's window
            ``ceil(L/n)`` at stride ``floor(L/n)``; it tiles the axis into exactly
            n bins only when L >= n and L % n is 0 or 1 (then the bins equal the
            adaptive ones), and any other size raises ``SwiftPoolValueError``
            naming it, instead of returning a wrong-length or partial vector.
        sizes: None, or an (N, 2) integer array of valid (height, width) per
            sample of a zero-padded batch: sample n is pooled over its top-left
            ``sizes[n, 0] x sizes[n, 1]`` corner only, as if cropped to it.
        layout (keyword-only): "NCHW" or "NHWC".
        nan (keyword-only, mode "max"): "propagate" (default, PyTorch's rule: a
            bin holding NaN gives NaN; which of several NaN payloads is
            unspecified) or "ignore" (fmax, as ``numpy.fmax``: the maximum of the
            bin's non-NaN values; an all-NaN bin gives NaN). "ignore" with mode
            "avg" raises ValueError. C: ``SWIFTPOOL_FLAG_NAN_IGNORE``.

    Returns:
        An (N, L) array (L = ``spatial_pyramid_pool_length(C, levels)``) of x's
        dtype; (L,) for an unbatched x.

    Raises:
        TypeError: unsupported dtype; non-int levels or sizes.
        ValueError: wrong number of dimensions, unknown mode/bins/layout/nan,
            ``nan="ignore"`` with mode "avg", sizes of the wrong shape;
            ``SwiftPoolValueError`` for every error the library reports (a level
            < 1, sizes out of range, a size the "sppnet" rule cannot divide,
            ...), carrying ``swiftpool_last_error_message()``.
    """
    fname = "spatial_pyramid_pool"
    if mode not in _SPP_MODE:
        raise ValueError("%s: mode must be \"max\" or \"avg\", got %r" % (fname, mode))
    if bins not in _SPP_BINS:
        raise ValueError("%s: bins must be \"adaptive\" or \"sppnet\", got %r" % (fname, bins))
    flags = _nan_flag(fname, nan)
    if flags and mode != "max":
        raise ValueError("%s: nan='ignore' applies to mode \"max\" only, got mode %r"
                         % (fname, mode))
    t = _Tensor(fname, x, 2, layout, _MAX_TYPE if mode == "max" else _AVERAGING)
    flat, count = _levels(fname, levels)
    sizes_arr, sizes_address, sizes_len = None, None, 0
    if sizes is not None:
        sizes_arr = np.asarray(sizes)
        if sizes_arr.dtype.kind not in "iu":
            raise TypeError("%s: sizes must hold integers, got dtype %s" % (fname, sizes_arr.dtype))
        allowed = ((t.n, 2),) if t.batched else ((2,), (1, 2))
        if sizes_arr.shape not in allowed:
            raise ValueError("%s: sizes must have shape %s (a (height, width) per sample), got %s"
                             % (fname, " or ".join(map(str, allowed)), sizes_arr.shape))
        sizes_arr = np.ascontiguousarray(sizes_arr, dtype=np.int64)
        sizes_address, sizes_len = _address(sizes_arr), sizes_arr.size
    length = ctypes.c_int64(0)
    status = _c_spp_length(max(t.c, 1), flat, count, _byref(length))
    if status:
        _raise_c_error(fname, status, t.dtype, t.op)
    out = np.empty((t.n, length.value), t.dtype)
    status = _c_spp(_byref(t.desc(flags=flags)), flat, count, _SPP_MODE[mode], _SPP_BINS[bins],
                    sizes_address, sizes_len, _address(t.buf), t.buf.size, _address(out), out.size)
    if status:
        t.fail(status)
    return out if t.batched else out[0]


# ---------------------------------------------------------------------------
# Docstrings of the generated rank variants
# ---------------------------------------------------------------------------

for _f, _doc, _r in ((lp_pool1d, _LP_DOC, 1), (lp_pool2d, _LP_DOC, 2), (lp_pool3d, _LP_DOC, 3),
                     (adaptive_max_pool1d, _ADAPTIVE_MAX_DOC, 1),
                     (adaptive_max_pool2d, _ADAPTIVE_MAX_DOC, 2),
                     (adaptive_max_pool3d, _ADAPTIVE_MAX_DOC, 3),
                     (adaptive_avg_pool1d, _ADAPTIVE_AVG_DOC, 1),
                     (adaptive_avg_pool2d, _ADAPTIVE_AVG_DOC, 2),
                     (adaptive_avg_pool3d, _ADAPTIVE_AVG_DOC, 3)):
    _f.__doc__ = _doc.format(rank=_r, **_SHAPES[_r])
del _f, _doc, _r
