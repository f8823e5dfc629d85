"""LP, adaptive, global and spatial pyramid pooling through the Python binding.

- lp_pool{1,2,3}d vs torch.nn.functional.lp_pool* (NaN pattern exact; values vs
  torch run in float64 on the same data, tight, and vs torch in the input's dtype,
  loose: torch computes x.pow(p) and its sums in float32);
- adaptive_max_pool{1,2,3}d vs torch: values and indices bit for bit, NaN payloads
  included, both layouts, torch channels_last tensors as input; adaptive_avg vs torch
  bit for bit (every float dtype; global pooling: close);
- spatial_pyramid_pool vs torch.cat([adaptive_*_pool2d(x, l).flatten(1) ...], 1),
  per-sample sizes vs pooling each cropped sample with torch, the SPP-net rule;
- ONNX LpPool / GlobalMaxPool / GlobalAveragePool / GlobalLpPool (swiftpool.onnx,
  backed by swiftpool_lp_pool_forward with SWIFTPOOL_FLAG_LP_ONNX) vs onnxruntime.
"""

import struct
import time

import numpy as np
import pytest

import swiftpool
import swiftpool.onnx as sponnx
from cases import assert_same_bits

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

LAYOUTS = ("NCHW", "NHWC")
DTYPES = (np.float32, np.float64)
T_LP = {1: TF.lp_pool1d, 2: TF.lp_pool2d, 3: TF.lp_pool3d}
T_AMAX = {1: TF.adaptive_max_pool1d, 2: TF.adaptive_max_pool2d, 3: TF.adaptive_max_pool3d}
T_AAVG = {1: TF.adaptive_avg_pool1d, 2: TF.adaptive_avg_pool2d, 3: TF.adaptive_avg_pool3d}


def last(x):
    """Channels-first (N, C, ...) -> channels-last (N, ..., C), contiguous."""
    return np.ascontiguousarray(np.moveaxis(x, 1, -1))


def first(y):
    return np.ascontiguousarray(np.moveaxis(y, -1, 1))


def with_nans(rng, x, fraction=0.05):
    """Quiet NaNs with distinct payloads (which NaN is reported shows in the bits)."""
    x = x.copy()
    mask = rng.random(x.shape) < fraction
    count = int(mask.sum())
    if x.dtype == np.float32:
        payloads = np.array([0x7FC00000 | (i + 1) for i in range(count)], np.uint32).view(np.float32)
    else:
        payloads = np.array([0x7FF8000000000000 | (i + 1) for i in range(count)], np.uint64).view(np.float64)
    x[mask] = payloads
    return x


def ties(rng, shape, dtype):
    """Values with many exact ties and some +-inf."""
    x = (rng.integers(-4, 5, shape) / 2).astype(dtype)
    x[rng.random(shape) < 0.03] = np.inf
    x[rng.random(shape) < 0.03] = -np.inf
    return x


def random_spatial(rng, rank, low=1, high=None):
    high = high or {1: 17, 2: 10, 3: 6}[rank]
    return [int(v) for v in rng.integers(low, high + 1, rank)]


def run(fn, x, layout, *args, **kwargs):
    """Calls fn on the NCHW array x passed in ``layout``; returns NCHW results."""
    if layout == "NCHW":
        return fn(x, *args, layout=layout, **kwargs)
    out = fn(last(x), *args, layout=layout, **kwargs)
    return tuple(first(o) for o in out) if isinstance(out, tuple) else first(out)


def assert_nan_pattern_and_close(got, want, rtol, atol, what):
    assert got.shape == want.shape, (what, got.shape, want.shape)
    g, w = got.astype(np.float64), want.astype(np.float64)
    assert np.array_equal(np.isnan(g), np.isnan(w)), "%s: NaN positions differ" % what
    with np.errstate(invalid="ignore"):   # inf - inf where both are inf (then g == w)
        ok = np.isnan(w) | (g == w) | (np.abs(g - w) <= rtol * np.abs(w) + atol)
    assert ok.all(), "%s: first mismatch at %s: got %r want %r" % (
        what, np.argwhere(~ok)[0], g[~ok][0], w[~ok][0])


# ---------------------------------------------------------------------------------
# LP pooling vs torch
# ---------------------------------------------------------------------------------

NORMS = (1, 2, 3, 1.5, 0.5, -1, float("inf"), float("-inf"))


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("dtype", DTYPES)
def test_lp_pool_matches_torch(seed, dtype):
    rng = np.random.default_rng(seed)
    rank = 1 + seed % 3
    layout = LAYOUTS[seed % 2]
    p = NORMS[seed % len(NORMS)]
    spatial = random_spatial(rng, rank)
    style = seed % 4   # whole-input kernel, 1-kernel, random
    k = spatial if style == 0 else [1] * rank if style == 1 else \
        [int(rng.integers(1, min(s, 4) + 1)) for s in spatial]
    stride = None if seed % 5 == 0 else [int(v) for v in rng.integers(1, 4, rank)]
    ceil = bool(seed % 3 == 1)
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    x = rng.uniform(-2, 2, (n, c, *spatial)).astype(dtype)
    if p not in (1, 2, 3):   # fractional / negative / infinite norms: non-negative data
        x = np.abs(x)
    if seed % 4 == 3:
        x = with_nans(rng, x)
    if rank == 1:   # torch's lp_pool1d multiplies by kernel_size: it must be an int
        k = k[0]
    try:
        want64 = T_LP[rank](torch.from_numpy(x.astype(np.float64)), p, k, stride, ceil).numpy()
    except RuntimeError:
        pytest.skip("torch rejects these parameters")
    got = run(getattr(swiftpool, "lp_pool%dd" % rank), x, layout, p, k, stride, ceil)
    assert got.dtype == dtype
    what = "lp_pool%dd p=%s k=%s s=%s ceil=%s %s %s" % (rank, p, k, stride, ceil, layout, dtype.__name__)
    # The same data in float64 through torch: only rounding of the final result differs.
    eps = np.finfo(dtype).eps
    assert_nan_pattern_and_close(got, want64.astype(dtype), 4 * eps, 4 * eps, what + " vs torch float64")
    # torch in the input's own dtype (float32 powers and sums).
    want = T_LP[rank](torch.from_numpy(x), p, k, stride, ceil).numpy()
    assert_nan_pattern_and_close(got, want, 1e-4 if dtype == np.float32 else 1e-12, 1e-5, what)


def test_lp_pool_torch_rules_spelled_out():
    # The cut-off ceil_mode window is scaled up to a full one: [5] -> sqrt(25 * 2).
    x = np.arange(1, 6, dtype=np.float32)[None, None]
    want = TF.lp_pool1d(torch.from_numpy(x), 2, 2, ceil_mode=True).numpy()
    got = swiftpool.lp_pool1d(x, 2, 2, ceil_mode=True)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(got[0, 0, -1], np.sqrt(50), rtol=1e-6)
    # No absolute value: p=1 sums signed values, p=3 on a negative sum is NaN.
    y = np.array([[[-1, -2, 3, -4]]], np.float32)
    assert swiftpool.lp_pool1d(y, 1, 2).tolist() == [[[-3, -1]]]
    assert np.isnan(swiftpool.lp_pool1d(y, 3, 2)).all()
    assert np.isnan(TF.lp_pool1d(torch.from_numpy(y), 3, 2).numpy()).all()
    # Unbatched input and a float32 square that would overflow in float32.
    z = np.array([[3e20, 4e20]], np.float32)
    assert swiftpool.lp_pool1d(z, 2, 2).shape == (1, 1)
    np.testing.assert_allclose(swiftpool.lp_pool1d(z, 2, 2), [[5e20]], rtol=1e-6)
    assert np.isinf(TF.lp_pool1d(torch.from_numpy(z), 2, 2).numpy()).all()   # torch overflows


def test_lp_pool_errors():
    x = np.ones((1, 1, 4, 4), np.float32)
    with pytest.raises(ValueError, match="norm_type is 0.0"):
        swiftpool.lp_pool2d(x, 0, 2)
    with pytest.raises(TypeError):
        swiftpool.lp_pool2d(x.astype(np.int8), 2, 2)
    with pytest.raises(TypeError):
        swiftpool.lp_pool2d(x, "2", 2)
    with pytest.raises(ValueError, match="output size is 0"):
        swiftpool.lp_pool2d(x, 2, 5)
    with pytest.raises(ValueError, match="must be finite and > 0"):
        sponnx.lp_pool(x, kernel_shape=[2, 2], p=-1)


# ---------------------------------------------------------------------------------
# Adaptive pooling vs torch
# ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("dtype", DTYPES)
def test_adaptive_max_matches_torch_bitwise(seed, dtype):
    rng = np.random.default_rng(100 + seed)
    rank = 1 + seed % 3
    layout = LAYOUTS[seed % 2]
    spatial = random_spatial(rng, rank)
    out = [int(rng.integers(1, s + 4)) for s in spatial]   # larger than the input too
    if seed % 7 == 0:
        out = [1] * rank                                   # global
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 5))
    x = with_nans(rng, ties(rng, (n, c, *spatial), dtype), 0.04 if seed % 2 else 0)
    v, i = run(getattr(swiftpool, "adaptive_max_pool%dd" % rank), x, layout, out, True)
    tv, ti = T_AMAX[rank](torch.from_numpy(x), out, True)
    what = "adaptive_max_pool%dd out=%s %s" % (rank, out, layout)
    assert_same_bits(v, tv.numpy(), what)
    assert np.array_equal(i, ti.numpy()), what
    # Values only.
    assert_same_bits(run(getattr(swiftpool, "adaptive_max_pool%dd" % rank), x, layout, out), tv.numpy(), what)


def spread(rng, shape, dtype):
    """Values over many binades (so summation order and each division's rounding
    show in the bits), as float64 before rounding to the dtype."""
    return rng.standard_normal(shape) * np.exp2(rng.integers(-12, 12, size=shape))


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("dtype", DTYPES)
def test_adaptive_avg_matches_torch(seed, dtype):
    """Bit for bit torch's contiguous kernel (float sums, sum / kh / kw); global
    pooling (every output 1) sums in float64 where torch uses mean(): close."""
    rng = np.random.default_rng(200 + seed)
    rank = 1 + seed % 3
    layout = LAYOUTS[(seed // 3) % 2]
    spatial = random_spatial(rng, rank)
    out = [int(rng.integers(1, s + 4)) for s in spatial]
    if seed % 8 == 5:
        out = [1] * rank
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 20))
    x = spread(rng, (n, c, *spatial), dtype).astype(dtype)
    if seed % 4 == 0:
        x = with_nans(rng, x)
        x[rng.random(x.shape) < 0.02] = np.inf
    got = run(getattr(swiftpool, "adaptive_avg_pool%dd" % rank), x, layout, out)
    what = "adaptive_avg_pool%dd out=%s %s" % (rank, out, layout)
    want = T_AAVG[rank](torch.from_numpy(x), out).numpy()
    if any(o != 1 for o in out):
        assert_nan_pattern_and_close(got, want, 0, 0, what)
        finite = np.isfinite(want)
        assert_same_bits(got[finite], want[finite], what)
    else:
        want64 = T_AAVG[rank](torch.from_numpy(x.astype(np.float64)), out).numpy().astype(dtype)
        eps = np.finfo(dtype).eps
        finite = x[np.isfinite(x)]
        scale = float(np.abs(finite).max()) if finite.size else 0.0   # sums may cancel
        assert_nan_pattern_and_close(got, want64, 2 * eps, 4 * eps * scale, what + " vs torch float64")


def half_dtypes():
    out = [np.dtype(np.float16)]
    try:
        import ml_dtypes
        out.append(np.dtype(ml_dtypes.bfloat16))
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("rank", (1, 2, 3))
@pytest.mark.parametrize("dtype", half_dtypes(), ids=str)
def test_adaptive_avg_half_precision_bitwise(rank, dtype):
    """float16 / bfloat16: float sums (torch's 3D kernel: sums and quotients
    rounded to the dtype at every step), both layouts, vs torch bit for bit."""
    rng = np.random.default_rng(40 + rank)
    spatial = {1: (37,), 2: (13, 11), 3: (5, 7, 6)}[rank]
    tdt = torch.float16 if dtype == np.float16 else torch.bfloat16
    for out in ({1: (6,), 2: (6, 4), 3: (2, 3, 4)}[rank], spatial, tuple(s + 2 for s in spatial)):
        x64 = spread(rng, (2, 19, *spatial), np.float64)
        t = torch.from_numpy(x64).to(tdt)
        x = t.view(torch.int16).numpy().view(dtype)
        want = T_AAVG[rank](t, out).view(torch.int16).numpy()
        for layout in LAYOUTS:
            got = run(getattr(swiftpool, "adaptive_avg_pool%dd" % rank), x, layout, out)
            assert np.array_equal(np.ascontiguousarray(got).view(np.int16), want), (rank, str(dtype), out, layout)


def test_adaptive_torch_inputs_and_none_sizes():
    rng = np.random.default_rng(7)
    x = torch.from_numpy(with_nans(rng, ties(rng, (2, 3, 9, 7), np.float32), 0.05))
    cl = x.contiguous(memory_format=torch.channels_last)
    tv, ti = TF.adaptive_max_pool2d(x, (4, None), True)
    for t in (x, cl):   # a channels_last tensor runs the NHWC kernel without a copy
        v, i = swiftpool.adaptive_max_pool2d(t, (4, None), True)
        assert v.shape == (2, 3, 4, 7)
        assert_same_bits(np.ascontiguousarray(v), tv.numpy(), "channels_last")
        assert np.array_equal(i, ti.numpy())
    # Unbatched.
    v = swiftpool.adaptive_avg_pool1d(np.arange(3, dtype=np.float64)[None], 5)
    np.testing.assert_array_equal(v, [[0, 0.5, 1, 1.5, 2]])
    np.testing.assert_array_equal(v, TF.adaptive_avg_pool1d(torch.arange(3.0, dtype=torch.float64)[None], 5).numpy())


def test_adaptive_half_precision_matches_torch():
    rng = np.random.default_rng(9)
    x = ties(rng, (2, 3, 6, 5), np.float16)
    v, i = swiftpool.adaptive_max_pool2d(x, (4, 3), True)
    tv, ti = TF.adaptive_max_pool2d(torch.from_numpy(x), (4, 3), True)
    assert_same_bits(v, tv.numpy(), "float16")
    assert np.array_equal(i, ti.numpy())
    y = rng.uniform(-1, 1, (2, 3, 6, 5)).astype(np.float16)
    assert_same_bits(swiftpool.adaptive_avg_pool2d(y, 3), TF.adaptive_avg_pool2d(torch.from_numpy(y), 3).numpy(),
                     "float16 average")


def test_adaptive_errors():
    x = np.ones((1, 1, 4, 4), np.float32)
    with pytest.raises(ValueError, match="output_size is 0"):
        swiftpool.adaptive_max_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match="output_size must be an int or a tuple of 2"):
        swiftpool.adaptive_avg_pool2d(x, (1, 2, 3))
    with pytest.raises(TypeError):
        swiftpool.adaptive_avg_pool2d(x.astype(np.uint8), 2)
    with pytest.raises(TypeError):
        swiftpool.adaptive_avg_pool2d(x, 2.5)
    with pytest.raises(ValueError, match="dimensions"):
        swiftpool.adaptive_max_pool2d(np.ones(4, np.float32), 2)
    # Integer max pooling works (torch has no kernel for it): compared with float32.
    u = (np.arange(48) % 11).astype(np.uint8).reshape(1, 3, 4, 4)
    v, i = swiftpool.adaptive_max_pool2d(u, 3, True)
    fv, fi = swiftpool.adaptive_max_pool2d(u.astype(np.float32), 3, True)
    assert np.array_equal(v, fv.astype(np.uint8)) and np.array_equal(i, fi)


# ---------------------------------------------------------------------------------
# Spatial pyramid pooling vs a composition of torch adaptive pools
# ---------------------------------------------------------------------------------

def torch_spp(x, levels, mode):
    pool = TF.adaptive_max_pool2d if mode == "max" else TF.adaptive_avg_pool2d
    t = torch.from_numpy(x)
    return torch.cat([pool(t, lvl).flatten(1) for lvl in levels], 1).numpy()


def as_pairs(levels):
    return [(lvl, lvl) if isinstance(lvl, int) else tuple(lvl) for lvl in levels]


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("dtype", DTYPES)
def test_spp_matches_torch_composition(seed, dtype):
    rng = np.random.default_rng(300 + seed)
    layout = LAYOUTS[seed % 2]
    mode = ("max", "avg")[(seed // 2) % 2]
    h, w = int(rng.integers(1, 14)), int(rng.integers(1, 14))
    levels = [[4, 2, 1], [6, 3, 2, 1], [(2, 3), 1], [5, (1, 4), 3]][seed % 4]
    n, c = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    x = ties(rng, (n, c, h, w), dtype) if mode == "max" else rng.uniform(-2, 2, (n, c, h, w)).astype(dtype)
    if seed % 3 == 0:
        x = with_nans(rng, x)
    got = swiftpool.spatial_pyramid_pool(x if layout == "NCHW" else last(x), levels, mode, layout=layout)
    want = torch_spp(x, as_pairs(levels), mode)
    what = "spp %s levels=%s %dx%d %s %s" % (mode, levels, h, w, layout, dtype.__name__)
    assert got.shape == (n, swiftpool.spatial_pyramid_pool_length(c, levels)) == want.shape
    if mode == "max":
        # Exact values; of several NaNs in a bin, which one is reported is unspecified.
        assert np.array_equal(np.isnan(got), np.isnan(want)), what
        ok = np.isnan(want) | (got == want)
        assert ok.all(), what
    else:
        eps = np.finfo(dtype).eps
        assert_nan_pattern_and_close(got, want, 64 * eps, 64 * eps, what)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_spp_many_channels_heap_scratch(mode):
    """NHWC with 3000 channels: the per-worker scratch (a cell and a bin per channel
    per level) passes the stack limit, so the call takes the checked heap block and
    the calling thread; same results as torch's composition."""
    rng = np.random.default_rng(77)
    x = rng.uniform(-2, 2, (2, 3000, 9, 7)).astype(np.float32)
    levels = [4, 2, 1]
    for threads in (1, 2):
        swiftpool.set_num_threads(threads)
        try:
            got = swiftpool.spatial_pyramid_pool(last(x), levels, mode, layout="NHWC")
        finally:
            swiftpool.set_num_threads(0)
        want = torch_spp(x, as_pairs(levels), mode)
        if mode == "max":
            assert np.array_equal(got, want)
        else:
            assert_nan_pattern_and_close(got, want, 64 * np.finfo(np.float32).eps,
                                         64 * np.finfo(np.float32).eps, "spp avg, 3000 channels")


def test_spp_same_length_for_every_size_and_unbatched():
    rng = np.random.default_rng(11)
    lengths = set()
    for h, w in ((13, 17), (4, 4), (1, 1), (37, 5), (224, 160)):
        x = rng.standard_normal((3, h, w)).astype(np.float32)   # unbatched (C, H, W)
        y = swiftpool.spatial_pyramid_pool(x)
        assert y.ndim == 1
        lengths.add(y.shape[0])
        np.testing.assert_array_equal(y, torch_spp(x[None], as_pairs([4, 2, 1]), "max")[0])
    assert lengths == {3 * 21}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("mode", ("max", "avg"))
def test_spp_sizes_equal_pooling_each_cropped_sample(layout, mode):
    rng = np.random.default_rng(12)
    n, c, H, W = 4, 3, 11, 9
    sizes = np.array([[11, 9], [3, 9], [11, 2], [1, 1]], np.int64)
    x = rng.standard_normal((n, c, H, W)).astype(np.float32)
    for s, (h, w) in enumerate(sizes):      # zero-padded batch (the padding must not matter)
        x[s, :, h:, :] = 1e6
        x[s, :, :, w:] = 1e6
    levels = [4, (2, 3), 1]
    got = swiftpool.spatial_pyramid_pool(x if layout == "NCHW" else last(x), levels, mode,
                                         sizes=sizes, layout=layout)
    for s, (h, w) in enumerate(sizes):
        want = torch_spp(np.ascontiguousarray(x[s:s + 1, :, :h, :w]), as_pairs(levels), mode)[0]
        np.testing.assert_allclose(got[s], want, rtol=1e-6, atol=1e-6, err_msg="sample %d" % s)
        alone = swiftpool.spatial_pyramid_pool(np.ascontiguousarray(x[s, :, :h, :w]), levels, mode)
        assert_same_bits(got[s], alone, "sample %d alone" % s)


def test_spp_bin_rules():
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    for bins in ("adaptive", "sppnet"):   # 5 = 2*2 + 1: both rules give [0,3), [2,5)
        np.testing.assert_array_equal(swiftpool.spatial_pyramid_pool(x, [2, 1], "max", bins),
                                      [[12, 14, 22, 24, 24]])
        np.testing.assert_array_equal(swiftpool.spatial_pyramid_pool(x, [2, 1], "avg", bins),
                                      [[6, 8, 16, 18, 12]])
    # Where the paper's rule breaks, an error names the size rather than a wrong vector.
    y = np.ones((1, 2, 8, 3), np.float32)
    with pytest.raises(ValueError, match="input width is 3, smaller than the level's 4 bins"):
        swiftpool.spatial_pyramid_pool(y, [4], bins="sppnet")
    with pytest.raises(ValueError, match=r"height is 10: SPP-net window 3, stride 2 leaves elements \[9, 10\)"):
        swiftpool.spatial_pyramid_pool(np.ones((1, 2, 10, 8), np.float32), [4], bins="sppnet")
    with pytest.raises(ValueError, match="sample 1 \\(sizes\\) height is 6"):
        swiftpool.spatial_pyramid_pool(np.ones((2, 1, 9, 9), np.float32), [4], bins="sppnet",
                                       sizes=[[9, 9], [6, 9]])
    # Adaptive bins accept any size, maps smaller than a level included.
    np.testing.assert_array_equal(swiftpool.spatial_pyramid_pool(np.array([[[1, 3]]], np.float32), [3], "avg"),
                                  [1, 2, 3] * 3)


def test_spp_errors():
    x = np.ones((2, 1, 4, 4), np.float32)
    with pytest.raises(ValueError, match="mode"):
        swiftpool.spatial_pyramid_pool(x, mode="mean")
    with pytest.raises(ValueError, match="bins"):
        swiftpool.spatial_pyramid_pool(x, bins="paper")
    with pytest.raises(ValueError, match="levels"):
        swiftpool.spatial_pyramid_pool(x, [])
    with pytest.raises(ValueError, match=r"levels\[0\] \(level 0 rows\) is 0"):
        swiftpool.spatial_pyramid_pool(x, [0])
    with pytest.raises(ValueError, match="sizes must have shape"):
        swiftpool.spatial_pyramid_pool(x, sizes=[[4, 4]])
    with pytest.raises(ValueError, match=r"sizes\[3\] \(sample 1 width\) is 5"):
        swiftpool.spatial_pyramid_pool(x, sizes=[[4, 4], [4, 5]])
    with pytest.raises(TypeError):
        swiftpool.spatial_pyramid_pool(x, sizes=[[4.0, 4.0], [4.0, 4.0]])
    with pytest.raises(TypeError):
        swiftpool.spatial_pyramid_pool(x.astype(np.int8), mode="avg")
    assert swiftpool.spatial_pyramid_pool(x.astype(np.int8), [2]).dtype == np.int8
    assert swiftpool.spatial_pyramid_pool_length(256, [6, 3, 2, 1]) == 256 * 50


# ---------------------------------------------------------------------------------
# Global pooling
# ---------------------------------------------------------------------------------

@pytest.mark.parametrize("rank", (1, 2, 3, 4))
def test_global_pools(rank):
    rng = np.random.default_rng(rank)
    spatial = [int(v) for v in rng.integers(1, 6, rank)]
    x = with_nans(rng, ties(rng, (2, 3, *spatial), np.float32), 0.02)
    ones = (1,) * rank
    # GlobalMaxPool: torch's adaptive max of the flattened plane, bit for bit; also
    # adaptive_max_pool with output_size 1 on rank <= 3.
    tmax = TF.adaptive_max_pool1d(torch.from_numpy(x.reshape(2, 3, -1)), 1).numpy()
    y = sponnx.global_max_pool(x)
    assert y.shape == (2, 3) + ones
    assert_same_bits(y.reshape(2, 3, 1), tmax, "global max")
    if rank <= 3:
        fn = getattr(swiftpool, "adaptive_max_pool%dd" % rank)
        assert_same_bits(fn(x, 1).reshape(2, 3, 1), tmax, "adaptive max, output 1")
    y = rng.uniform(-1, 1, x.shape)
    np.testing.assert_allclose(sponnx.global_average_pool(y).reshape(2, 3), y.reshape(2, 3, -1).mean(-1),
                               rtol=1e-13)
    want = (np.abs(y.reshape(2, 3, -1)) ** 3).sum(-1) ** (1 / 3)
    np.testing.assert_allclose(sponnx.global_lp_pool(y, p=3).reshape(2, 3), want, rtol=1e-13)


def test_global_average_of_huge_map_is_exact_and_fast():
    x = np.ones((1, 1, 5000, 5000), np.float32)
    start = time.perf_counter()
    y = swiftpool.adaptive_avg_pool2d(x, 1)
    elapsed = time.perf_counter() - start
    assert y.shape == (1, 1, 1, 1) and y[0, 0, 0, 0] == 1.0
    assert sponnx.global_average_pool(x)[0, 0, 0, 0] == 1.0
    assert swiftpool.adaptive_avg_pool2d(last(x), 1, layout="NHWC")[0, 0, 0, 0] == 1.0
    # torch's float32 sum drifts here; ours stays exact. One pass over 100 MB.
    assert elapsed < 2.0, elapsed


# ---------------------------------------------------------------------------------
# ONNX forms vs onnxruntime
# ---------------------------------------------------------------------------------

def _ort_run(node, x, opset=22):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": x})[0]


@pytest.mark.parametrize("seed", range(16))
def test_onnx_lp_pool_matches_onnxruntime(seed):
    from_onnx = pytest.importorskip("onnx")
    rng = np.random.default_rng(400 + seed)
    rank = 1 + seed % 3
    spatial = random_spatial(rng, rank, 2)
    k = [int(rng.integers(1, min(s, 3) + 1)) for s in spatial]
    s = [int(v) for v in rng.integers(1, 3, rank)]
    d = [int(v) for v in rng.integers(1, 3, rank)] if seed % 4 == 1 else [1] * rank
    pads = [int(rng.integers(0, kk)) for kk in k] * 2 if seed % 2 else [0] * (2 * rank)
    p = [1, 2, 3][seed % 3]
    ceil = int(seed % 5 == 2)
    x = rng.uniform(-2, 2, (2, 3, *spatial)).astype(np.float32)
    attrs = dict(kernel_shape=k, strides=s, pads=pads, p=p, dilations=d, ceil_mode=ceil)
    try:
        want = _ort_run(from_onnx.helper.make_node("LpPool", ["X"], ["Y"], **attrs), x)
    except Exception as exc:  # noqa: BLE001 -- onnxruntime rejects some combinations
        pytest.skip("onnxruntime: %s" % str(exc).splitlines()[0])
    got = sponnx.lp_pool(x, **attrs)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6, err_msg=str(attrs))


@pytest.mark.parametrize("auto_pad", ("VALID", "SAME_UPPER", "SAME_LOWER"))
def test_onnx_lp_pool_auto_pad_matches_onnxruntime(auto_pad):
    onnx = pytest.importorskip("onnx")
    x = np.random.default_rng(5).uniform(-2, 2, (1, 2, 7, 6)).astype(np.float32)
    node = onnx.helper.make_node("LpPool", ["X"], ["Y"], kernel_shape=[3, 2], strides=[2, 2], p=2,
                                 auto_pad=auto_pad)
    want = _ort_run(node, x)
    got = sponnx.lp_pool(x, kernel_shape=[3, 2], strides=[2, 2], p=2, auto_pad=auto_pad)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("op", ("GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool"))
@pytest.mark.parametrize("rank", (1, 2, 3))
def test_onnx_global_pools_match_onnxruntime(op, rank):
    onnx = pytest.importorskip("onnx")
    rng = np.random.default_rng(rank)
    x = rng.uniform(-2, 2, (2, 3, *random_spatial(rng, rank))).astype(np.float32)
    attrs = {"p": 3} if op == "GlobalLpPool" else {}
    # onnxruntime has GlobalLpPool up to version 2 only: opset 21 selects it.
    want = _ort_run(onnx.helper.make_node(op, ["X"], ["Y"], **attrs), x, 21 if op == "GlobalLpPool" else 22)
    fn = {"GlobalMaxPool": sponnx.global_max_pool, "GlobalAveragePool": sponnx.global_average_pool,
          "GlobalLpPool": lambda X: sponnx.global_lp_pool(X, p=3)}[op]
    np.testing.assert_allclose(fn(x), want, rtol=2e-6, atol=1e-6)


def test_public_functions_documented():
    for name in ("lp_pool1d", "lp_pool2d", "lp_pool3d", "adaptive_max_pool1d",
                 "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_avg_pool1d",
                 "adaptive_avg_pool2d", "adaptive_avg_pool3d", "spatial_pyramid_pool",
                 "spatial_pyramid_pool_length"):
        fn = getattr(swiftpool, name)
        assert name in swiftpool.__all__
        doc = fn.__doc__
        assert doc and "Raises" in doc and "swiftpool_" in doc, name
        assert ("torch" in doc or "ONNX" in doc or "SPP" in doc), name


def test_struct_helpers_are_consistent():
    # The NaN helper really produces distinct payloads (guards the bitwise tests).
    x = with_nans(np.random.default_rng(0), np.zeros(200, np.float32), 0.5)
    bits = {struct.pack("<f", v) for v in x if np.isnan(v)}
    assert len(bits) == int(np.isnan(x).sum()) > 10


def test_adaptive_negative_output_size_names_the_function():
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output_size entries must be >= 0"):
        swiftpool.adaptive_avg_pool2d(np.ones((1, 1, 4, 4), np.float32), (-1, 2))
