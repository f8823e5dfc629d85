"""The ``nan=`` policy of the max-type operators (SWIFTPOOL_FLAG_NAN_IGNORE).

- ``nan="ignore"`` (fmax, as numpy.fmax): per window the maximum of the non-NaN
  values, the first one in scan order on ties; a window whose real elements are
  all NaN gives NaN with the index (and payload) of its last NaN. Checked against
  the independent window loops below, values bit for bit (NaN payloads included)
  and indices, for max_pool{1,2,3}d, adaptive_max_pool{1,2,3}d,
  fractional_max_pool{2,3}d and spatial_pyramid_pool(mode="max").
- ``nan="propagate"`` (the default) is unchanged: the same loops with PyTorch's
  rule, and torch itself when importable.
- Neither policy depends on the channel count or on the thread count.
Inputs: float32 and float64, both layouts, ties, +-inf, NaNs with distinct
payloads (both signs), all-NaN and NaN/-inf-only regions.
"""

import inspect
import itertools

import numpy as np
import pytest

import swiftpool
import pool_reference as ref
from cases import assert_same_bits

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the numpy reference still covers "propagate"
    torch = TF = None

DTYPES = [np.float32, np.float64]
LAYOUTS = ["NCHW", "NHWC"]
POLICIES = ["propagate", "ignore"]
MAX_POOL = {1: swiftpool.max_pool1d, 2: swiftpool.max_pool2d, 3: swiftpool.max_pool3d}
ADAPTIVE = {1: swiftpool.adaptive_max_pool1d, 2: swiftpool.adaptive_max_pool2d,
            3: swiftpool.adaptive_max_pool3d}
FRACTIONAL = {2: swiftpool.fractional_max_pool2d, 3: swiftpool.fractional_max_pool3d}


# ---------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------

def nan_payloads(dtype, count, rng):
    """count quiet NaNs of dtype, pairwise distinct bit patterns, either sign."""
    if np.dtype(dtype) == np.float32:
        bits = (0x7FC00000 | np.arange(1, count + 1, dtype=np.uint32)) | \
            np.where(rng.random(count) < 0.3, np.uint32(0x80000000), np.uint32(0))
        return bits.astype(np.uint32).view(np.float32)
    bits = (0x7FF8000000000000 | np.arange(1, count + 1, dtype=np.uint64)) | \
        np.where(rng.random(count) < 0.3, np.uint64(1 << 63), np.uint64(0))
    return bits.astype(np.uint64).view(np.float64)


def special_input(rng, shape, dtype):
    """(N, C, *spatial): halves in [-2, 2] (many ties), +-inf, ~15% NaN, and per
    (n, c) plane sometimes an all-NaN or a NaN/-inf-only box."""
    x = (rng.integers(-4, 5, shape) / 2).astype(dtype)
    u = rng.random(shape)
    x[(u >= 0.15) & (u < 0.19)] = np.inf
    x[(u >= 0.19) & (u < 0.25)] = -np.inf
    nan = u < 0.15
    spatial = shape[2:]
    for n, c in itertools.product(range(shape[0]), range(shape[1])):
        kind = rng.integers(0, 3)
        if kind == 0:
            continue
        lo = [int(rng.integers(0, s)) for s in spatial]
        box = (n, c) + tuple(slice(a, a + int(rng.integers(1, 4))) for a in lo)
        nan[box] = True
        if kind == 2:  # a mix of NaN and -inf only
            sub = nan[box] & (rng.random(nan[box].shape) < 0.4)
            x[box][sub] = -np.inf  # x[box] is a view
            nan[box] &= ~sub
    x[nan] = nan_payloads(dtype, int(nan.sum()), rng)
    return x


def to_last(x):
    return np.ascontiguousarray(np.moveaxis(x, 1, -1))


def run(fn, x, layout, *args, **kwargs):
    """fn on the channels-first array x passed in ``layout``; channels-first results."""
    if layout == "NCHW":
        out = fn(x, *args, **kwargs)
    else:
        out = fn(to_last(x), *args, layout="NHWC", **kwargs)
        out = tuple(np.moveaxis(o, -1, 1) for o in out) if isinstance(out, tuple) \
            else np.moveaxis(out, -1, 1)
    return tuple(np.ascontiguousarray(o) for o in out) if isinstance(out, tuple) \
        else np.ascontiguousarray(out)


# ---------------------------------------------------------------------------------
# Reference: explicit window loops, vectorized over the (n, c) planes only
# ---------------------------------------------------------------------------------

def window_max(planes, taps, policy, empty_index=0):
    """The max of planes[:, taps] (taps: flat positions in scan order) for every
    plane. Returns (values of planes' dtype, int64 indices)."""
    p = planes.shape[0]
    if not taps:  # a window wholly in the padding: -inf and PyTorch's index
        return np.full(p, -np.inf, planes.dtype), np.full(p, empty_index, np.int64)
    taps = np.asarray(taps, np.int64)
    vals = planes[:, taps]
    nan = np.isnan(vals)
    t = len(taps)
    last_nan = t - 1 - np.argmax(nan[:, ::-1], axis=1)
    best = np.where(nan, -np.inf, vals).max(axis=1)
    first_best = np.argmax(~nan & (vals == best[:, None]), axis=1)
    if policy == "ignore":  # fmax: NaN only when every element is NaN
        j = np.where(nan.all(axis=1), last_nan, first_best)
    else:                   # PyTorch: any NaN wins, the last one
        j = np.where(nan.any(axis=1), last_nan, first_best)
    rows = np.arange(p)
    return vals[rows, j], taps[j]


def flat(pos, spatial):
    f = 0
    for q, s in zip(pos, spatial):
        f = f * s + q
    return f


def pool_windows(x, outs, windows_of, policy):
    """Runs window_max over every output position; windows_of(o, plane) returns a
    list of (plane rows, taps, empty index) groups (planes with equal windows)."""
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    planes = np.ascontiguousarray(x).reshape(n * c, -1)
    values = np.empty((n * c,) + tuple(outs), x.dtype)
    indices = np.empty((n * c,) + tuple(outs), np.int64)
    for o in itertools.product(*[range(v) for v in outs]):
        for rows, axes_ranges, empty in windows_of(o):
            taps = [flat(pos, spatial) for pos in itertools.product(*axes_ranges)]
            v, i = window_max(planes[rows], taps, policy, empty)
            values[(rows,) + o] = v
            indices[(rows,) + o] = i
    return values.reshape((n, c) + tuple(outs)), indices.reshape((n, c) + tuple(outs))


def ref_max_pool(x, k, s, p, d, ceil_mode, policy):
    spatial = x.shape[2:]
    rank = len(spatial)
    outs = [ref.output_size(spatial[a], k[a], s[a], p[a], d[a], ceil_mode) for a in range(rank)]
    everyone = slice(None)

    def windows_of(o):
        starts = [o[a] * s[a] - p[a] for a in range(rank)]
        ranges = [[q for q in range(starts[a], starts[a] + d[a] * k[a], d[a]) if 0 <= q < spatial[a]]
                  for a in range(rank)]
        first = [starts[a] + d[a] * (-(-max(0, -starts[a]) // d[a])) for a in range(rank)]
        return [(everyone, ranges, flat(first, spatial))]
    return pool_windows(x, outs, windows_of, policy)


def adaptive_range(o, n, length):
    return range(o * length // n, -(-(o + 1) * length // n))


def ref_adaptive(x, outs, policy):
    spatial = x.shape[2:]
    return pool_windows(x, outs, lambda o: [(slice(None), [adaptive_range(o[a], outs[a], spatial[a])
                                                            for a in range(len(spatial))], 0)],
                        policy)


def fractional_starts(u, length, out, k, dtype):
    """PyTorch's generate_intervals, in the element type."""
    if out == 1:
        return [length - k]
    alpha = dtype(length - k) / dtype(out - 1)
    starts = [int((dtype(i) + u) * alpha) - int(u * alpha) for i in range(out - 1)]
    return starts + [length - k]


def ref_fractional(x, k, outs, samples, policy):
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    rank = len(spatial)
    dtype = x.dtype.type
    # PyTorch's sample order: 2D (u_W, u_H), 3D (u_D, u_H, u_W).
    axis_sample = [1, 0] if rank == 2 else [0, 1, 2]
    starts = [[fractional_starts(samples[i // c, i % c, axis_sample[a]], spatial[a], outs[a],
                                 k[a], dtype) for a in range(rank)] for i in range(n * c)]

    def windows_of(o):
        return [([i], [range(starts[i][a][o[a]], starts[i][a][o[a]] + k[a]) for a in range(rank)], 0)
                for i in range(n * c)]
    return pool_windows(x, outs, windows_of, policy)


def ref_spp(x, levels, policy):
    parts = [ref_adaptive(x, level, policy)[0].reshape(x.shape[0], -1) for level in levels]
    return np.concatenate(parts, axis=1)


def assert_same_nan_as_nan(got, want, what):
    """Bit-exact, except that any NaN matches any NaN (unspecified payload)."""
    assert got.shape == want.shape and got.dtype == want.dtype, what
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), "%s: NaN positions differ" % what
    assert_same_bits(np.where(nan, 0, got), np.where(nan, 0, want), what)


# ---------------------------------------------------------------------------------
# Random problems
# ---------------------------------------------------------------------------------

def max_pool_problem(rng, rank):
    while True:
        spatial = [int(v) for v in rng.integers(1, {1: 14, 2: 8, 3: 5}[rank] + 1, rank)]
        k = [int(v) for v in rng.integers(1, 4, rank)]
        s = [int(v) for v in rng.integers(1, 4, rank)]
        p = [int(rng.integers(0, kk // 2 + 1)) for kk in k]
        d = [int(v) for v in rng.integers(1, 3, rank)]
        ceil_mode = bool(rng.integers(0, 2))
        if all(ref.output_size(*a, ceil_mode) >= 1 for a in zip(spatial, k, s, p, d)):
            return spatial, k, s, p, d, ceil_mode


def fractional_problem(rng, rank):
    while True:
        spatial = [int(v) for v in rng.integers(2, {2: 10, 3: 6}[rank] + 1, rank)]
        k = [int(rng.integers(1, min(sz, 3) + 1)) for sz in spatial]
        # PyTorch's 3D check is strict (out + k - 1 < in).
        most = [sz - kk + (1 if rank == 2 else 0) for sz, kk in zip(spatial, k)]
        if min(most) >= 1:
            return spatial, k, [int(rng.integers(1, m + 1)) for m in most]


def samples_for(rng, n, c, rank, dtype):
    s = rng.random((n, c, rank)).astype(dtype)
    s.reshape(-1)[::5] = 0
    s.reshape(-1)[1::7] = np.nextafter(dtype(1), dtype(0))
    return s


# ---------------------------------------------------------------------------------
# Against the reference (and torch for "propagate")
# ---------------------------------------------------------------------------------

@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_max_pool(rank, dtype, layout):
    rng = np.random.default_rng([rank, DTYPES.index(dtype), LAYOUTS.index(layout)])
    for trial in range(6):
        spatial, k, s, p, d, ceil_mode = max_pool_problem(rng, rank)
        x = special_input(rng, (2, 3, *spatial), dtype)
        what = "max_pool%dd %s k=%s s=%s p=%s d=%s ceil=%s %s" % (rank, spatial, k, s, p, d,
                                                                 ceil_mode, layout)
        default = run(MAX_POOL[rank], x, layout, k, s, p, d, ceil_mode, True)
        for policy in POLICIES:
            v, i = run(MAX_POOL[rank], x, layout, k, s, p, d, ceil_mode, True, nan=policy)
            want_v, want_i = ref_max_pool(x, k, s, p, d, ceil_mode, policy)
            assert_same_bits(v, want_v, "%s %s values" % (what, policy))
            assert_same_bits(i, want_i, "%s %s indices" % (what, policy))
            values_only = run(MAX_POOL[rank], x, layout, k, s, p, d, ceil_mode, nan=policy)
            assert_same_bits(values_only, v, "%s %s without indices" % (what, policy))
        v, i = run(MAX_POOL[rank], x, layout, k, s, p, d, ceil_mode, True, nan="propagate")
        assert_same_bits(default[0], v, what + " default values")
        assert_same_bits(default[1], i, what + " default indices")
        if torch is not None:
            tv, ti = getattr(TF, "max_pool%dd" % rank)(torch.from_numpy(x), k, s, p, d,
                                                       ceil_mode, True)
            assert_same_bits(v, tv.numpy(), what + " vs torch values")
            assert_same_bits(i, ti.numpy(), what + " vs torch indices")


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_adaptive_max_pool(rank, dtype, layout):
    rng = np.random.default_rng([10 + rank, DTYPES.index(dtype), LAYOUTS.index(layout)])
    for trial in range(6):
        spatial = [int(v) for v in rng.integers(1, {1: 14, 2: 8, 3: 5}[rank] + 1, rank)]
        outs = [int(rng.integers(1, sz + 3)) for sz in spatial]  # n > L repeats elements
        x = special_input(rng, (2, 3, *spatial), dtype)
        what = "adaptive_max_pool%dd %s -> %s %s" % (rank, spatial, outs, layout)
        for policy in POLICIES:
            v, i = run(ADAPTIVE[rank], x, layout, outs, True, nan=policy)
            want_v, want_i = ref_adaptive(x, outs, policy)
            assert_same_bits(v, want_v, "%s %s values" % (what, policy))
            assert_same_bits(i, want_i, "%s %s indices" % (what, policy))
            assert_same_bits(run(ADAPTIVE[rank], x, layout, outs, nan=policy), v, what)
        dv, di = run(ADAPTIVE[rank], x, layout, outs, True)
        pv, pi = run(ADAPTIVE[rank], x, layout, outs, True, nan="propagate")
        assert_same_bits(dv, pv, what + " default values")
        assert_same_bits(di, pi, what + " default indices")
        if torch is not None:
            tv, ti = getattr(TF, "adaptive_max_pool%dd" % rank)(torch.from_numpy(x), outs, True)
            assert_same_bits(pv, tv.numpy(), what + " vs torch values")
            assert_same_bits(pi, ti.numpy(), what + " vs torch indices")


@pytest.mark.parametrize("rank", [2, 3])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_fractional_max_pool(rank, dtype, layout):
    rng = np.random.default_rng([20 + rank, DTYPES.index(dtype), LAYOUTS.index(layout)])
    for trial in range(6):
        spatial, k, outs = fractional_problem(rng, rank)
        x = special_input(rng, (2, 3, *spatial), dtype)
        samples = samples_for(rng, 2, 3, rank, dtype)
        what = "fractional_max_pool%dd %s k=%s -> %s %s" % (rank, spatial, k, outs, layout)
        for policy in POLICIES:
            v, i = run(FRACTIONAL[rank], x, layout, k, outs, None, True, samples, nan=policy)
            want_v, want_i = ref_fractional(x, k, outs, samples, policy)
            assert_same_bits(v, want_v, "%s %s values" % (what, policy))
            assert_same_bits(i, want_i, "%s %s indices" % (what, policy))
            assert_same_bits(run(FRACTIONAL[rank], x, layout, k, outs, _random_samples=samples,
                                 nan=policy), v, what)
        dv, di = run(FRACTIONAL[rank], x, layout, k, outs, None, True, samples)
        pv, pi = run(FRACTIONAL[rank], x, layout, k, outs, None, True, samples, nan="propagate")
        assert_same_bits(dv, pv, what + " default values")
        assert_same_bits(di, pi, what + " default indices")
        if torch is not None:
            tv, ti = getattr(TF, "fractional_max_pool%dd" % rank)(
                torch.from_numpy(x), k, output_size=outs, return_indices=True,
                _random_samples=torch.from_numpy(samples))
            assert_same_bits(pv, tv.numpy(), what + " vs torch values")
            assert_same_bits(pi, ti.numpy(), what + " vs torch indices")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_spatial_pyramid_pool(dtype, layout):
    """Which of several NaN payloads SPP reports is unspecified: NaN matches NaN."""
    rng = np.random.default_rng([30, DTYPES.index(dtype), LAYOUTS.index(layout)])
    for trial in range(6):
        h, w = (int(v) for v in rng.integers(1, 10, 2))
        levels = [(int(a), int(b)) for a, b in rng.integers(1, 5, (int(rng.integers(1, 4)), 2))]
        x = special_input(rng, (2, 3, h, w), dtype)
        what = "spatial_pyramid_pool %dx%d %s %s" % (h, w, levels, layout)
        xin, kw = (x, {}) if layout == "NCHW" else (to_last(x), {"layout": "NHWC"})
        for policy in POLICIES:
            got = swiftpool.spatial_pyramid_pool(xin, levels, nan=policy, **kw)
            assert_same_nan_as_nan(got, ref_spp(x, levels, policy), "%s %s" % (what, policy))
        default = swiftpool.spatial_pyramid_pool(xin, levels, **kw)
        assert_same_bits(default, swiftpool.spatial_pyramid_pool(xin, levels, nan="propagate", **kw),
                         what + " default")
        if torch is not None:
            t = torch.cat([TF.adaptive_max_pool2d(torch.from_numpy(x), lv).flatten(1)
                           for lv in levels], 1)
            assert_same_nan_as_nan(default, t.numpy(), what + " vs torch")
        # Per-sample valid sizes (zero-padded batch): pooled as if cropped.
        sizes = np.array([[int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))]
                          for _ in range(2)])
        got = swiftpool.spatial_pyramid_pool(xin, levels, sizes=sizes, nan="ignore", **kw)
        want = np.concatenate([ref_spp(x[b:b + 1, :, :sizes[b, 0], :sizes[b, 1]], levels, "ignore")
                               for b in range(2)])
        assert_same_nan_as_nan(got, want, what + " sizes=%s" % sizes.tolist())


# ---------------------------------------------------------------------------------
# Independence of the channel count and the thread count
# ---------------------------------------------------------------------------------

def operators():
    """(name, fn(x, layout, policy, channels) -> tuple of channels-first arrays) for every
    operator; x holds the channels ``channels`` of a 19-channel input (fractional
    pooling takes those channels' samples)."""
    samples = {(r, np.dtype(t)): samples_for(np.random.default_rng(r), 3, 19, r, t)
               for r in (2, 3) for t in DTYPES}

    def spp(x, layout, policy, channels):
        levels = [(3, 2), 1, 4]
        xin, kw = (x, {}) if layout == "NCHW" else (to_last(x), {"layout": "NHWC"})
        out = swiftpool.spatial_pyramid_pool(xin, levels, nan=policy, **kw)
        # Per level (N, C, h*w): channel slices are comparable.
        parts, pos = [], 0
        for level in levels:
            h, w = level if isinstance(level, tuple) else (level, level)
            size = x.shape[1] * h * w
            parts.append(out[:, pos:pos + size].reshape(x.shape[0], x.shape[1], h * w))
            pos += size
        return tuple(parts)

    def frac(r):
        def f(x, layout, policy, channels):
            s = np.ascontiguousarray(samples[r, x.dtype][:x.shape[0], channels])
            return run(FRACTIONAL[r], x, layout, 2, [max(1, sz // 2) for sz in x.shape[2:]],
                       None, True, s, nan=policy)
        return f

    ops = [("max_pool%dd" % r, lambda x, layout, policy, channels, r=r:
            run(MAX_POOL[r], x, layout, 3, 2, 1, 1, True, True, nan=policy)) for r in (1, 2, 3)]
    ops += [("adaptive_max_pool%dd" % r, lambda x, layout, policy, channels, r=r:
             run(ADAPTIVE[r], x, layout, [max(1, sz // 3) + 1 for sz in x.shape[2:]], True,
                 nan=policy)) for r in (1, 2, 3)]
    ops += [("fractional_max_pool%dd" % r, frac(r)) for r in (2, 3)]
    ops += [("spatial_pyramid_pool", spp)]
    return ops


OPERATORS = operators()
RANK_OF = {"max_pool1d": 1, "max_pool2d": 2, "max_pool3d": 3, "adaptive_max_pool1d": 1,
           "adaptive_max_pool2d": 2, "adaptive_max_pool3d": 3, "fractional_max_pool2d": 2,
           "fractional_max_pool3d": 3, "spatial_pyramid_pool": 2}


@pytest.mark.parametrize("name,fn", OPERATORS, ids=[n for n, _ in OPERATORS])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_independent_of_channel_count(name, fn, layout):
    rank = RANK_OF[name]
    rng = np.random.default_rng([40, RANK_OF[name], LAYOUTS.index(layout)])
    spatial = {1: (23,), 2: (9, 11), 3: (5, 6, 7)}[rank]
    for dtype in DTYPES:
        x = special_input(rng, (2, 19) + spatial, dtype)
        for policy in POLICIES:
            full = fn(x, layout, policy, slice(None))
            for c in (1, 2, 3, 4, 5, 7, 8, 9, 16, 17):
                part = fn(np.ascontiguousarray(x[:, :c]), layout, policy, slice(0, c))
                for a, b in zip(part, full):
                    assert_same_bits(a, np.ascontiguousarray(b[:, :c]),
                                     "%s %s %s %s C=%d of 19" % (name, layout, dtype.__name__,
                                                                 policy, c))
            # A channel range not starting at 0.
            tail = fn(np.ascontiguousarray(x[:, 5:]), layout, policy, slice(5, None))
            for a, b in zip(tail, full):
                assert_same_bits(a, np.ascontiguousarray(b[:, 5:]),
                                 "%s %s %s %s channels 5:" % (name, layout, dtype.__name__, policy))


@pytest.mark.parametrize("name,fn", OPERATORS, ids=[n for n, _ in OPERATORS])
def test_independent_of_thread_count(name, fn):
    rank = RANK_OF[name]
    rng = np.random.default_rng([50, rank])
    spatial = {1: (257,), 2: (33, 35), 3: (9, 10, 11)}[rank]
    x = special_input(rng, (3, 19) + spatial, np.float32)
    results = {}
    try:
        for threads in (1, 2):
            swiftpool.set_num_threads(threads)
            for layout in LAYOUTS:
                for policy in POLICIES:
                    results[threads, layout, policy] = fn(x, layout, policy, slice(None))
    finally:
        swiftpool.set_num_threads(0)
    for layout in LAYOUTS:
        for policy in POLICIES:
            for a, b in zip(results[1, layout, policy], results[2, layout, policy]):
                assert_same_bits(b, a, "%s %s %s: 2 threads vs 1" % (name, layout, policy))


# ---------------------------------------------------------------------------------
# The argument itself
# ---------------------------------------------------------------------------------

ALL_NAN_FUNCTIONS = ["max_pool1d", "max_pool2d", "max_pool3d", "adaptive_max_pool1d",
                     "adaptive_max_pool2d", "adaptive_max_pool3d", "fractional_max_pool2d",
                     "fractional_max_pool3d", "spatial_pyramid_pool"]


@pytest.mark.parametrize("name", ALL_NAN_FUNCTIONS)
def test_nan_is_keyword_only_and_validated(name):
    fn = getattr(swiftpool, name)
    param = inspect.signature(fn).parameters["nan"]
    assert param.kind == param.KEYWORD_ONLY and param.default == "propagate"
    doc = fn.__doc__
    assert 'nan="ignore"' in doc or "\"ignore\"" in doc, name
    assert "propagate" in doc and "fmax" in doc, name
    rank = RANK_OF[name]
    x = np.zeros((1, 2) + (4,) * rank, np.float32)
    args = {"max": (2,), "ada": (2,), "fra": (2, 2), "spa": ()}[name[:3]]
    for bad in ("IGNORE", "fmax", "", None, 1, True):
        with pytest.raises(ValueError, match=r"%s: nan must be 'propagate' \(PyTorch\) or "
                                             r"'ignore'" % name):
            fn(x, *args, nan=bad)
    for good in POLICIES:
        fn(x, *args, nan=good)


def test_spp_average_takes_no_nan_ignore():
    x = np.zeros((1, 2, 4, 4), np.float32)
    with pytest.raises(ValueError, match="mode"):
        swiftpool.spatial_pyramid_pool(x, (2, 1), mode="avg", nan="ignore")
    swiftpool.spatial_pyramid_pool(x, (2, 1), mode="avg", nan="propagate")


def test_fmax_examples():
    """Hand-checked cases: NaN next to -inf, all-NaN (last payload), ties."""
    nan_a, nan_b = nan_payloads(np.float32, 2, np.random.default_rng(0))
    x = np.array([[[1, nan_a, 3, nan_b, nan_a, -np.inf, nan_b, 2, 2, -np.inf, nan_a, nan_b]]],
                 np.float32)
    v, i = swiftpool.max_pool1d(x, 2, return_indices=True, nan="ignore")
    assert_same_bits(v, np.array([[[1, 3, -np.inf, 2, 2, nan_b]]], np.float32), "values")
    assert i.tolist() == [[[0, 2, 5, 7, 8, 11]]]
    v, i = swiftpool.max_pool1d(x, 2, return_indices=True)
    assert_same_bits(v, np.array([[[nan_a, nan_b, nan_a, nan_b, 2, nan_b]]], np.float32), "prop")
    assert i.tolist() == [[[1, 3, 4, 6, 8, 11]]]
    v, i = swiftpool.adaptive_max_pool1d(x, 1, return_indices=True, nan="ignore")
    assert v.tolist() == [[[3.0]]] and i.tolist() == [[[2]]]
    # out= and a channels-last view (the other layout's kernel) keep the policy.
    out = np.empty((1, 1, 6), np.float32)
    assert swiftpool.max_pool1d(x, 2, out=out, nan="ignore") is out
    assert_same_bits(out, np.array([[[1, 3, -np.inf, 2, 2, nan_b]]], np.float32), "out=")
    view = np.repeat(x, 3, axis=1).transpose(0, 2, 1).copy().transpose(0, 2, 1)
    assert not view.flags.c_contiguous
    v, i = swiftpool.max_pool1d(view, 2, return_indices=True, nan="ignore")
    assert i.tolist() == [[[0, 2, 5, 7, 8, 11]] * 3]
