"""Backward passes of pooling (numpy in, numpy out), named and called like PyTorch's
aten backward operators.

``avg_pool{1,2,3}d_backward(grad_output, input, kernel_size, stride, padding,
ceil_mode, count_include_pad, divisor_override, *, layout="NCHW")`` wraps
``swiftpool_avg_pool_backward`` and matches ``torch.ops.aten.avg_pool2d_backward`` /
``avg_pool3d_backward`` bit for bit (1d: the 2d one with a unit H axis).
``max_pool{1,2,3}d_with_indices_backward(grad_output, input, kernel_size, stride,
padding, dilation, ceil_mode, indices, *, layout="NCHW")`` wraps
``swiftpool_max_pool_backward`` (include/swiftpool.h) and matches
``torch.ops.aten.max_pool2d_with_indices_backward`` /
``max_pool3d_with_indices_backward`` bit for bit (aten has no 1d operator: the 1d
function is the 2d one with a unit H axis, which is what torch's max_pool1d
autograd computes). ``input`` only gives the forward input's shape: anything with a
``.shape`` works. ``grad_output`` and ``indices`` have the forward output's shape;
CPU torch tensors are accepted, and a tensor in the other layout's memory order
(e.g. ``torch.channels_last`` with layout="NCHW") is used without a copy, the
result coming back in that memory order too, as PyTorch's does.
"""

import ctypes

import numpy as np

from . import _lib as _L
from .functional import (LAYOUTS, _DESC_DEFAULTS, _DESC_PACK, _INVERSE, _OTHER_LAYOUT, _PERMS,
                         _SLOT, _address, _asarray, _desc_from, _divisor, _dtype_code, _ints, _raise_c_error)

__all__ = [
    "max_pool1d_with_indices_backward",
    "max_pool2d_with_indices_backward",
    "max_pool3d_with_indices_backward",
    "avg_pool1d_backward",
    "avg_pool2d_backward",
    "avg_pool3d_backward",
]

_lib = _L.lib
_c_max_backward = _lib.swiftpool_max_pool_backward
_c_avg_backward = _lib.swiftpool_avg_pool_backward
_c_output_shape = _lib.swiftpool_pool_output_shape
_LAYOUT_CODE = {"NCHW": _L.LAYOUT_NCHW, "NHWC": _L.LAYOUT_NHWC}
_I64 = np.dtype(np.int64)
_I64x3 = ctypes.c_int64 * _L.MAX_SPATIAL_RANK
_GRAD_DTYPES = "float32, float64, float16, bfloat16"


def _input_shape(fname, input, rank, lay, layout):
    shape = getattr(input, "shape", None)
    if shape is None:
        raise TypeError("%s: input must have a .shape (an array or tensor), got %s"
                        % (fname, type(input).__name__))
    shape = tuple(int(s) for s in shape)
    if len(shape) == rank + 2:
        batched = True
    elif len(shape) == rank + 1:
        batched, shape = False, (1,) + shape
    else:
        raise ValueError("%s: input must have %d (unbatched) or %d (batched) dimensions in "
                         "layout %s, got shape %s" % (fname, rank + 1, rank + 2, layout, shape))
    n = shape[0]
    c, spatial = (shape[1], shape[2:]) if lay == _L.LAYOUT_NCHW else (shape[-1], shape[1:-1])
    return batched, n, c, list(spatial), shape


def _max_backward(fname, rank, grad_output, input, kernel_size, stride, padding, dilation,
                  ceil_mode, indices, layout, avg=None):
    """Both operators: max (indices given) or average (avg = (count_include_pad,
    divisor_override), indices None)."""
    lay = _LAYOUT_CODE.get(layout) if isinstance(layout, str) else None
    if lay is None:
        raise ValueError("%s: layout must be one of %s, got %r" % (fname, LAYOUTS, layout))
    batched, n, c, spatial, shape = _input_shape(fname, input, rank, lay, layout)
    go = _asarray(grad_output)
    code = _dtype_code(go.dtype)
    if code is None:
        raise TypeError("%s: grad_output dtype %s is not supported (supported dtypes: %s)"
                        % (fname, go.dtype, _GRAD_DTYPES))
    # PyTorch rejects a gradient whose dtype differs from the input's, and indices
    # that are not int64; converting silently would hide a caller's mistake.
    in_dtype = getattr(input, "dtype", None)
    if in_dtype is not None and str(in_dtype).replace("torch.", "") != go.dtype.name:
        raise TypeError("%s: grad_output dtype %s differs from the input's dtype %s"
                        % (fname, go.dtype, str(in_dtype).replace("torch.", "")))
    idx = _asarray(indices) if avg is None else None
    if idx is not None and idx.dtype != _I64:
        raise TypeError("%s: indices must be an int64 array (as max_pool returns them), got dtype %s"
                        % (fname, idx.dtype))
    ks = _ints(fname, "kernel_size", kernel_size, rank)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        st = ks
    else:
        st = _ints(fname, "stride", stride, rank)
    pd = _ints(fname, "padding", padding, rank)
    dl = _ints(fname, "dilation", dilation, rank)

    v = list(_DESC_DEFAULTS)
    v[_SLOT["dtype"]], v[_SLOT["layout"]], v[_SLOT["spatial_rank"]] = code, lay, rank
    v[_SLOT["batch"]], v[_SLOT["channels"]] = n, c
    for field, values in (("input_size", spatial), ("kernel_size", ks), ("stride", st),
                          ("padding", pd), ("dilation", dl)):
        s = _SLOT[field]
        v[s:s + rank] = values
    v[_SLOT["ceil_mode"]] = 1 if ceil_mode else 0
    if avg is not None:
        count_include_pad, divisor_override = avg
        v[_SLOT["count_include_pad"]] = 1 if count_include_pad else 0
        v[_SLOT["divisor_override"]] = _divisor(fname, divisor_override)
    desc = _desc_from(_DESC_PACK(*v))
    out_size = _I64x3()
    status = _c_output_shape(ctypes.byref(desc), out_size, None)
    if status:
        _raise_c_error(fname, status, go.dtype)
    osp = tuple(out_size[:rank])
    logical = (n, c) + osp if lay == _L.LAYOUT_NCHW else (n,) + osp + (c,)
    if not batched:
        logical = logical[1:]
    for name, a in (("grad_output", go), ("indices", idx)):
        if a is not None and a.shape != logical:
            raise ValueError("%s: %s must have the forward output's shape %s (layout %s), got %s"
                             % (fname, name, logical, layout, tuple(a.shape)))
    if not batched:
        go, idx = go[None], (None if idx is None else idx[None])

    # Memory order: the layout's C order, or (no copy) the other layout's, as the
    # forward binding does; indices follow grad_output's choice.
    kernel_layout, perm = lay, None
    if not (go.flags.c_contiguous and go.flags.aligned):
        p = _PERMS[(lay, True, rank)]
        t = go.transpose(p)
        if t.flags.c_contiguous and t.flags.aligned:
            kernel_layout, perm, go = _OTHER_LAYOUT[lay], p, t
        else:
            go = np.ascontiguousarray(go)
    if idx is not None:
        if perm is not None:
            idx = idx.transpose(perm)
        idx = np.ascontiguousarray(idx, dtype=_I64)
    desc.layout = kernel_layout
    kshape = shape if perm is None else tuple(shape[i] for i in perm)
    grad_input = np.empty(kshape, go.dtype)
    if idx is None:
        status = _c_avg_backward(ctypes.byref(desc), _address(go), go.size, _address(grad_input), grad_input.size)
    else:
        status = _c_max_backward(ctypes.byref(desc), _address(go), go.size, _address(idx), idx.size,
                                 _address(grad_input), grad_input.size)
    if status:
        _raise_c_error(fname, status, go.dtype)
    if perm is not None:
        grad_input = grad_input.transpose(_INVERSE[(lay, True, rank)])
    return grad_input if batched else grad_input[0]


_DOC = """Gradient of max_pool{rank}d with respect to its input.

Matches ``torch.ops.aten.{aten}`` bit for bit (arguments in its order; ``stride``
None or ``[]`` means ``kernel_size``): the result is +0, then ``grad_output`` is
added at ``indices`` (per-plane positions, as ``max_pool{rank}d(...,
return_indices=True)`` gives them) in output scan order, rounding every addition
to the dtype (float16 / bfloat16 accumulate in that type, as PyTorch's CPU kernel).
A window lying wholly in the padding contributes nothing (PyTorch adds its gradient
at its out-of-window index instead).

Args:
    grad_output: gradient of the forward output, {nchw} or unbatched {chw}
        ({nhwc} / {hwc} with layout="NHWC"); float32, float64, float16 or bfloat16.
    input: the forward input, or anything with its ``.shape``.
    kernel_size, stride, padding, dilation, ceil_mode: the forward's arguments.
    indices: the forward's int64 indices, ``grad_output``'s shape.
    layout: "NCHW" (default) or "NHWC", the layout of every tensor.

Returns: a numpy array of ``input``'s shape and ``grad_output``'s dtype.

Raises:
    TypeError: unsupported dtype (integer gradients included), non-integer indices.
    ValueError: bad arguments or shapes, an index outside its plane (the library's
        message names its position and value).
"""

_SHAPES = {1: ("(N, C, W)", "(C, W)", "(N, W, C)", "(W, C)"),
           2: ("(N, C, H, W)", "(C, H, W)", "(N, H, W, C)", "(H, W, C)"),
           3: ("(N, C, D, H, W)", "(C, D, H, W)", "(N, D, H, W, C)", "(D, H, W, C)")}


def _make(rank):
    fname = "max_pool%dd_with_indices_backward" % rank

    def backward(grad_output, input, kernel_size, stride, padding, dilation, ceil_mode, indices,
                 *, layout="NCHW"):
        return _max_backward(fname, rank, grad_output, input, kernel_size, stride, padding,
                             dilation, ceil_mode, indices, layout)

    backward.__name__ = backward.__qualname__ = fname
    nchw, chw, nhwc, hwc = _SHAPES[rank]
    aten = "max_pool%dd_with_indices_backward" % (3 if rank == 3 else 2)
    backward.__doc__ = _DOC.format(rank=rank, aten=aten, nchw=nchw, chw=chw, nhwc=nhwc, hwc=hwc)
    return backward


max_pool1d_with_indices_backward = _make(1)
max_pool2d_with_indices_backward = _make(2)
max_pool3d_with_indices_backward = _make(3)


_AVG_DOC = """Gradient of avg_pool{rank}d with respect to its input.

Matches ``torch.ops.aten.{aten}`` bit for bit (arguments in its order; ``stride``
None or ``[]`` means ``kernel_size``): the result is +0, then for each output in
scan order ``grad_output / divisor`` (the forward's divisor: divisor_override, or the
window within the padded input with count_include_pad, else its real elements;
rounded to the dtype first for float16 / bfloat16) is added to every real element
of its window, each addition rounded to the dtype.

Args:
    grad_output: gradient of the forward output, {nchw} or unbatched {chw}
        ({nhwc} / {hwc} with layout="NHWC"); float32, float64, float16 or bfloat16.
    input: the forward input, or anything with its ``.shape``.
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override:
        the forward's arguments.
    layout: "NCHW" (default) or "NHWC", the layout of both tensors.

Returns: a numpy array of ``input``'s shape and ``grad_output``'s dtype.

Raises:
    TypeError: unsupported dtype (integer gradients included).
    ValueError: bad arguments or shapes (the library's message).
"""


def _make_avg(rank):
    fname = "avg_pool%dd_backward" % rank

    def backward(grad_output, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override, *, layout="NCHW"):
        return _max_backward(fname, rank, grad_output, input, kernel_size, stride, padding, 1,
                             ceil_mode, None, layout, avg=(count_include_pad, divisor_override))

    backward.__name__ = backward.__qualname__ = fname
    nchw, chw, nhwc, hwc = _SHAPES[rank]
    aten = "avg_pool%dd_backward" % (3 if rank == 3 else 2)
    backward.__doc__ = _AVG_DOC.format(rank=rank, aten=aten, nchw=nchw, chw=chw, nhwc=nhwc, hwc=hwc)
    return backward


avg_pool1d_backward = _make_avg(1)
avg_pool2d_backward = _make_avg(2)
avg_pool3d_backward = _make_avg(3)
