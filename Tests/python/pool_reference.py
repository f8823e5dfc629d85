"""Slow, obviously-correct reference pooling in numpy/pure Python.

Written from the definitions (PyTorch's documented formulas), not from the
library's code. Works on channels-first arrays (N, C, *spatial); the tests move
axes for channels-last. The only vectorization is over the N*C planes: every
output position and every kernel tap is an explicit Python loop.

Max pooling follows PyTorch's CPU rule, which the tests check against torch
itself (test_torch.py):
  * the running maximum starts at -inf with the index of the window's first tap
    at or after coordinate 0 on every axis (so an all -inf window reports its
    first real element, and a window that holds no real element at all -- possible
    only with dilation -- reports that tap even though it lies past the input end);
  * real elements are visited in scan order (outermost axis first) and replace
    the maximum when ``v > best or isnan(v)``: among equal values the first stays,
    among several NaNs the LAST one wins;
  * padding positions are never visited (they act as -inf).
Values are gathered from the float32 input at the winning index, so NaN payloads
must match bit for bit.

Average pooling, PyTorch's arithmetic: the real elements summed in scan order
from +0 in PyTorch's accumulation type (float32 for float32/float16/bfloat16,
float64 for float64), divided in that type by divisor_override, else
(count_include_pad) the window clipped to the padded input
(hend = min(hstart + k, in + pad)), else the number of real elements; then rounded
once to the input's dtype.
"""

import itertools

import numpy as np


def output_size(n_in, k, s, p, d, ceil_mode):
    """PyTorch pooling_output_shape; returns a value < 1 for invalid shapes."""
    span = d * (k - 1) + 1
    numerator = n_in + 2 * p - span
    if ceil_mode:
        out = -(-numerator // s) + 1  # Python's // floors, so this is ceil
        # A last window that would start in the right padding is dropped.
        if (out - 1) * s >= n_in + p:
            out -= 1
    else:
        out = numerator // s + 1
    return out


def _expand(v, rank):
    if isinstance(v, int):
        return (v,) * rank
    v = tuple(v)
    return v * rank if len(v) == 1 else v


def _params(x, kernel_size, stride, padding, dilation, ceil_mode):
    rank = x.ndim - 2
    k = _expand(kernel_size, rank)
    s = k if stride is None else _expand(stride, rank)
    p = _expand(padding, rank)
    d = _expand(dilation, rank)
    spatial = x.shape[2:]
    outs = tuple(output_size(spatial[a], k[a], s[a], p[a], d[a], ceil_mode) for a in range(rank))
    if any(o < 1 for o in outs):
        raise ValueError("reference: output size %s < 1" % (outs,))
    return rank, k, s, p, d, spatial, outs


def _flat(pos, spatial):
    """Row-major flattening d*H*W + h*W + w (no bounds check, like PyTorch's index)."""
    f = 0
    for a, q in enumerate(pos):
        f = f * spatial[a] + q
    return f


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """x: (N, C, *spatial) of any real dtype (compared exactly in float64, which
    holds every value of float32/16, bfloat16 and 8-bit ints). Returns (values of
    x's dtype, indices int64)."""
    x = np.ascontiguousarray(x)
    rank, k, s, p, d, spatial, outs = _params(x, kernel_size, stride, padding, dilation, ceil_mode)
    n, c = x.shape[:2]
    planes = x.reshape(n * c, int(np.prod(spatial)))
    wide = planes.astype(np.float64)  # exact: the same order as x
    values = np.empty((n * c,) + outs, x.dtype)
    indices = np.empty((n * c,) + outs, np.int64)
    rows = np.arange(n * c)
    # The value of a window without real elements: -inf, or the integer minimum.
    if np.issubdtype(x.dtype, np.integer):
        lowest = np.array(np.iinfo(x.dtype).min, x.dtype)
    else:
        lowest = np.array(-np.inf).astype(x.dtype)
    for o in itertools.product(*[range(v) for v in outs]):
        starts = [o[a] * s[a] - p[a] for a in range(rank)]
        first = []
        for a in range(rank):
            q = starts[a]
            while q < 0:
                q += d[a]
            first.append(q)
        best = np.full(n * c, -np.inf)
        best_index = np.full(n * c, _flat(first, spatial), np.int64)
        for taps in itertools.product(*[range(v) for v in k]):
            pos = [starts[a] + taps[a] * d[a] for a in range(rank)]
            if not all(0 <= pos[a] < spatial[a] for a in range(rank)):
                continue  # padding: never wins
            f = _flat(pos, spatial)
            v = wide[:, f]
            replace = (v > best) | np.isnan(v)
            best = np.where(replace, v, best)
            best_index = np.where(replace, f, best_index)
        in_range = best_index < planes.shape[1]
        gathered = planes[rows, np.where(in_range, best_index, 0)]
        # A window that never replaced -inf holds -inf (its index may be past the end).
        values[(slice(None),) + o] = np.where(np.isneginf(best), lowest, gathered)
        indices[(slice(None),) + o] = best_index
    return values.reshape((n, c) + outs), indices.reshape((n, c) + outs)


def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None):
    """x: floating-point (N, C, *spatial). Returns x's dtype; sums in float32
    (float64 for float64 input), as PyTorch's opmath type."""
    x = np.ascontiguousarray(x)
    rank, k, s, p, _, spatial, outs = _params(x, kernel_size, stride, padding, 1, ceil_mode)
    n, c = x.shape[:2]
    acc = np.float64 if x.dtype == np.float64 else np.float32
    planes = x.reshape(n * c, int(np.prod(spatial))).astype(acc)  # exact widening
    out = np.empty((n * c,) + outs, x.dtype)
    for o in itertools.product(*[range(v) for v in outs]):
        starts = [o[a] * s[a] - p[a] for a in range(rank)]
        padded_count = 1
        real_count = 1
        for a in range(rank):
            end = min(starts[a] + k[a], spatial[a] + p[a])
            padded_count *= end - starts[a]
            real_count *= min(starts[a] + k[a], spatial[a]) - max(starts[a], 0)
        total = np.zeros(n * c, acc)
        for taps in itertools.product(*[range(v) for v in k]):
            pos = [starts[a] + taps[a] for a in range(rank)]
            if all(0 <= pos[a] < spatial[a] for a in range(rank)):
                with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, float overflow
                    total = total + planes[:, _flat(pos, spatial)]
        if divisor_override:
            divisor = divisor_override
        elif count_include_pad:
            divisor = padded_count
        else:
            divisor = real_count
        with np.errstate(invalid="ignore", over="ignore"):
            out[(slice(None),) + o] = (total / acc(divisor)).astype(x.dtype)
    return out.reshape((n, c) + outs)
