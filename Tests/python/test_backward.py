"""Backward passes vs PyTorch, bit for bit.

max_pool{1,2,3}d_with_indices_backward against torch.ops.aten.max_pool2d/3d_with_indices_backward
(what autograd runs on CPU) and against autograd itself: randomized shapes, padding,
dilation, ceil_mode, overlapping windows (k3 s2) whose argmaxes coincide, ties,
NaN/inf gradients, float32/float64/float16/bfloat16, NCHW and NHWC (and torch
channels_last tensors passed straight in), 1 and 3 threads; error messages.
"""

import random

import numpy as np
import pytest

import swiftpool
from cases import assert_same_values

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

BACKWARD = {1: swiftpool.max_pool1d_with_indices_backward, 2: swiftpool.max_pool2d_with_indices_backward,
            3: swiftpool.max_pool3d_with_indices_backward}
T_POOL = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}
DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16}


def to_numpy(t):
    """torch tensor -> numpy (bfloat16 as ml_dtypes.bfloat16)."""
    if t.dtype == torch.bfloat16:
        import ml_dtypes
        return t.contiguous().view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.contiguous().numpy()


def torch_backward(rank, go, x, k, s, p, d, ceil, idx):
    if rank == 3:
        return torch.ops.aten.max_pool3d_with_indices_backward(go, x, k, s, p, d, ceil, idx)
    if rank == 2:
        return torch.ops.aten.max_pool2d_with_indices_backward(go, x, k, s, p, d, ceil, idx)
    return torch.ops.aten.max_pool2d_with_indices_backward(
        go.unsqueeze(-2), x.unsqueeze(-2), [1] + k, [1] + s, [0] + p, [1] + d, ceil, idx.unsqueeze(-2)).squeeze(-2)


def empty_windows(sizes, out_sizes, k, s, p, d):
    """Boolean mask (spatial output shape) of windows with no tap on the input."""
    masks = []
    for n, o, kk, ss, pp, dd in zip(sizes, out_sizes, k, s, p, d):
        taps = np.arange(o)[:, None] * ss - pp + np.arange(kk)[None, :] * dd
        masks.append(~((taps >= 0) & (taps < n)).any(axis=1))
    mask = np.zeros(out_sizes, bool)
    for axis, m in enumerate(masks):
        shape = [1] * len(out_sizes)
        shape[axis] = -1
        mask = mask | m.reshape(shape)
    return mask


def random_case(rng):
    rank = rng.choice([1, 2, 2, 3])
    sizes = [rng.randint(1, {1: 30, 2: 12, 3: 6}[rank]) for _ in range(rank)]
    k, s, p, d = [], [], [], []
    for n in sizes:
        style = rng.random()
        kk = 1 if style < 0.1 else n if style < 0.2 else rng.randint(1, 4)
        k.append(kk)
        s.append(rng.choice([1, 2, 2, 3]) if style >= 0.2 else rng.randint(1, 2))
        p.append(rng.randint(0, kk // 2))
        d.append(rng.choice([1, 1, 1, 2, 3]))
    return rank, sizes, k, s, p, d, rng.random() < 0.5


def special_grads(gen, shape, dtype, special):
    g = (gen.standard_normal(shape) * 2.0 ** gen.integers(-8, 9, size=shape)).astype(np.float32)
    ties = gen.random(shape) < 0.15
    g[ties] = gen.integers(-2, 3, size=int(ties.sum()))
    if special:
        u = gen.random(shape)
        g[u < 0.03] = np.nan
        g[(u >= 0.03) & (u < 0.05)] = np.inf
        g[(u >= 0.05) & (u < 0.07)] = -np.inf
    return torch.from_numpy(g).to(DTYPES[dtype])


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("seed", range(4))
def test_random_cases_match_torch(dtype, seed):
    rng = random.Random(1000 * seed + len(dtype))
    gen = np.random.default_rng(seed)
    checked = 0
    for trial in range(40):
        rank, sizes, k, s, p, d, ceil = random_case(rng)
        n, c = rng.randint(1, 2), rng.choice([1, 3, 8, 17])
        x = torch.from_numpy((gen.integers(-3, 4, size=[n, c] + sizes) / 2).astype(np.float32)).to(DTYPES[dtype])
        try:
            y, idx = T_POOL[rank](x, k, s, p, d, ceil_mode=ceil, return_indices=True)
        except RuntimeError:
            continue  # torch rejects the parameters (e.g. output size < 1)
        out_sizes = list(y.shape[2:])
        go = special_grads(gen, tuple(y.shape), dtype, special=trial % 2 == 0)
        if rng.random() < 0.3:
            # Any in-plane index is valid: a tiny range forces many collisions.
            idx = torch.from_numpy(gen.integers(0, min(3, int(np.prod(sizes))), size=tuple(y.shape)))
        # torch adds an empty window's gradient at its index (past the input or in the
        # next row); swiftpool drops it. Compare with those gradients zeroed for torch.
        empty = torch.from_numpy(np.broadcast_to(empty_windows(sizes, out_sizes, k, s, p, d), tuple(y.shape)).copy())
        go_t, idx_t = go.masked_fill(empty, 0), idx.masked_fill(empty, 0)
        want = torch_backward(rank, go_t, x, k, s, p, d, ceil, idx_t)
        got = BACKWARD[rank](go, x, k, s, p, d, ceil, idx)
        case = "rank %d in %s k %s s %s p %s d %s ceil %s n %d c %d" % (rank, sizes, k, s, p, d, ceil, n, c)
        assert_same_values(got, to_numpy(want), "NCHW " + case)
        # NHWC arrays.
        perm = [0] + list(range(2, rank + 2)) + [1]
        go_l, idx_l = to_numpy(go.permute(perm)), idx.permute(perm).contiguous().numpy()
        got_l = BACKWARD[rank](go_l, np.empty(tuple(x.permute(perm).shape), go_l.dtype), k, s, p, d, ceil, idx_l,
                               layout="NHWC")
        assert_same_values(np.ascontiguousarray(got_l), to_numpy(want.permute(perm)), "NHWC " + case)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("rank", [2, 3])
def test_torch_channels_last_tensors_and_threads(rank):
    gen = np.random.default_rng(rank)
    shape = (2, 24, 30, 29) if rank == 2 else (1, 16, 10, 14, 13)
    fmt = torch.channels_last if rank == 2 else torch.channels_last_3d
    x = torch.from_numpy(gen.standard_normal(shape).astype(np.float32)).contiguous(memory_format=fmt)
    k, s, p, d = [3] * rank, [2] * rank, [1] * rank, [1] * rank
    y, idx = T_POOL[rank](x, k, s, p, return_indices=True)
    go = torch.from_numpy(gen.standard_normal(tuple(y.shape)).astype(np.float32)).contiguous(memory_format=fmt)
    want = torch_backward(rank, go, x, k, s, p, d, True, idx) if False else torch_backward(rank, go, x, k, s, p, d, False, idx)
    results = []
    for threads in (1, 3):
        swiftpool.set_num_threads(threads)
        try:
            got = BACKWARD[rank](go, x, k, s, p, d, False, idx)
        finally:
            swiftpool.set_num_threads(0)
        # Used in channels-last memory order without a copy, returned the same way.
        assert not got.flags.c_contiguous and np.ascontiguousarray(np.moveaxis(got, 1, -1)).flags.c_contiguous
        assert_same_values(np.ascontiguousarray(got), want.contiguous().numpy(), "threads %d" % threads)
        results.append(got)


@pytest.mark.parametrize("threads", [1, 2])
def test_large_nchw_streamed_path_matches_torch(threads):
    """grad_input above 8 MiB (171 planes of 112x112 float32) takes the path that
    builds each plane in scratch and streams it out; duplicate argmaxes of
    overlapping windows and NaN/inf gradients included."""
    gen = np.random.default_rng(11)
    x = torch.from_numpy(gen.integers(-3, 4, (3, 57, 112, 112)).astype(np.float32))
    y, idx = TF.max_pool2d(x, 3, 2, 1, return_indices=True)
    g = gen.standard_normal(tuple(y.shape)).astype(np.float32)
    g.flat[::997] = np.inf
    g.flat[5::1009] = np.nan
    go = torch.from_numpy(g)
    want = torch_backward(2, go, x, [3, 3], [2, 2], [1, 1], [1, 1], False, idx)
    swiftpool.set_num_threads(threads)
    try:
        got = BACKWARD[2](go, x, 3, 2, 1, 1, False, idx)
    finally:
        swiftpool.set_num_threads(0)
    assert_same_values(got, want.numpy(), "threads %d" % threads)


def test_matches_autograd():
    gen = np.random.default_rng(5)
    for rank, shape in ((1, (3, 5, 40)), (2, (2, 6, 17, 19)), (3, (2, 3, 7, 8, 9))):
        x = torch.from_numpy(gen.standard_normal(shape).astype(np.float32)).requires_grad_(True)
        y, idx = T_POOL[rank](x, 3, 2, 1, return_indices=True)
        g = torch.from_numpy(gen.standard_normal(tuple(y.shape)).astype(np.float32))
        y.backward(g)
        got = BACKWARD[rank](g, x.detach(), 3, 2, 1, 1, False, idx)
        assert_same_values(got, x.grad.numpy(), "rank %d" % rank)


def test_accumulates_in_element_type():
    """Element (1, 1) of a 5x5 input is the max of 4 overlapping k3 s2 p1 windows.
    Gradients 1, e, e, e (e half an ulp of 1): torch 2.13 gives 1.0 in every dtype,
    adding in the element type (float16 / bfloat16 included) in output scan order."""
    for dtype, e in (("float16", 2.0 ** -11), ("bfloat16", 2.0 ** -8), ("float32", 2.0 ** -24)):
        x = -torch.ones(1, 1, 5, 5)
        x[0, 0, 1, 1] = 1
        x = x.to(DTYPES[dtype])
        y, idx = TF.max_pool2d(x, 3, 2, 1, return_indices=True)
        g = torch.zeros(1, 1, 3, 3, dtype=torch.float64)
        g[0, 0, 0, 0], g[0, 0, 0, 1], g[0, 0, 1, 0], g[0, 0, 1, 1] = 1, e, e, e
        g = g.to(DTYPES[dtype])
        want = torch.ops.aten.max_pool2d_with_indices_backward(g, x, [3, 3], [2, 2], [1, 1], [1, 1], False, idx)
        assert float(want[0, 0, 1, 1]) == 1.0
        got = swiftpool.max_pool2d_with_indices_backward(g, x, 3, 2, 1, 1, False, idx)
        assert_same_values(got, to_numpy(want), dtype)


def test_unbatched_and_stride_default():
    x = torch.randn(4, 9, 9)
    y, idx = TF.max_pool2d(x, 3, return_indices=True)
    g = torch.randn_like(y)
    want = torch.ops.aten.max_pool2d_with_indices_backward(g[None], x[None], [3, 3], [], [0, 0], [1, 1], False,
                                                           idx[None])[0]
    got = swiftpool.max_pool2d_with_indices_backward(g, x, 3, [], 0, 1, False, idx)
    assert got.shape == (4, 9, 9)
    assert_same_values(got, want.numpy(), "unbatched")
    got = swiftpool.max_pool2d_with_indices_backward(g.numpy(), x, (3, 3), None, 0, 1, False, idx.numpy())
    assert_same_values(got, want.numpy(), "stride None")


def test_errors():
    f = swiftpool.max_pool2d_with_indices_backward
    x = np.zeros((1, 2, 4, 4), np.float32)
    g = np.ones((1, 2, 2, 2), np.float32)
    idx = np.zeros((1, 2, 2, 2), np.int64)
    idx[0, 1, 1, 0] = 16
    with pytest.raises(ValueError, match=r"indices\[6\] \(n 0, c 1, h 1, w 0\) is 16, outside the input plane's "
                                         r"valid range \[0, 16\)"):
        f(g, x, 2, 2, 0, 1, False, idx)
    idx[0, 1, 1, 0] = -1
    with pytest.raises(ValueError, match=r"is -1"):
        f(g, x, 2, 2, 0, 1, False, idx)
    idx[0, 1, 1, 0] = 0
    with pytest.raises(TypeError, match="integer type"):
        f(g.astype(np.int8), x.astype(np.int8), 2, 2, 0, 1, False, idx)
    with pytest.raises(TypeError, match="indices must be an int64 array"):
        f(g, x, 2, 2, 0, 1, False, idx.astype(np.float32))
    with pytest.raises(ValueError, match=r"grad_output must have the forward output's shape \(1, 2, 2, 2\)"):
        f(g[:, :, :1], x, 2, 2, 0, 1, False, idx)
    with pytest.raises(ValueError, match=r"indices must have the forward output's shape"):
        f(g, x, 2, 2, 0, 1, False, idx[:, :1])
    with pytest.raises(ValueError, match="stride is 0"):
        f(g, x, 2, 0, 0, 1, False, idx)
    with pytest.raises(ValueError, match="layout must be one of"):
        f(g, x, 2, 2, 0, 1, False, idx, layout="NCWH")
    with pytest.raises(TypeError, match=r"\.shape"):
        f(g, 5, 2, 2, 0, 1, False, idx)
    # The good call works and the exported names are there.
    assert f(g, x, 2, 2, 0, 1, False, idx).sum() == 8
    for name in ("max_pool1d_with_indices_backward", "max_pool2d_with_indices_backward",
                 "max_pool3d_with_indices_backward"):
        assert name in swiftpool.__all__


# ---------------------------------------------------------------------------
# Average pooling backward
# ---------------------------------------------------------------------------

AVG_BACKWARD = {1: swiftpool.avg_pool1d_backward, 2: swiftpool.avg_pool2d_backward, 3: swiftpool.avg_pool3d_backward}
T_AVG = {1: TF.avg_pool1d, 2: TF.avg_pool2d, 3: TF.avg_pool3d}


def torch_avg_backward(rank, go, x, k, s, p, ceil, cip, div):
    if rank == 3:
        return torch.ops.aten.avg_pool3d_backward(go, x, k, s, p, ceil, cip, div)
    if rank == 2:
        return torch.ops.aten.avg_pool2d_backward(go, x, k, s, p, ceil, cip, div)
    return torch.ops.aten.avg_pool2d_backward(go.unsqueeze(-2), x.unsqueeze(-2), [1] + k, [1] + s, [0] + p, ceil,
                                              cip, div).squeeze(-2)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("seed", range(3))
def test_avg_random_cases_match_torch(dtype, seed):
    rng = random.Random(2000 * seed + len(dtype))
    gen = np.random.default_rng(100 + seed)
    checked = 0
    for trial in range(40):
        rank, sizes, k, s, p, _, ceil = random_case(rng)
        cip = rng.random() < 0.5
        div = rng.choice([None, None, None, rng.randint(1, 9), 2049])
        n, c = rng.randint(1, 2), rng.choice([1, 3, 8, 17])
        x = torch.zeros([n, c] + sizes, dtype=DTYPES[dtype])
        try:
            y = T_AVG[rank](x.float(), k, s, p, ceil, cip, *([div] if rank > 1 else []))
            go = special_grads(gen, tuple(y.shape), dtype, special=trial % 2 == 0)
            want = torch_avg_backward(rank, go, x, k, s, p, ceil, cip, div)
        except (RuntimeError, NotImplementedError):
            continue  # parameters torch rejects, or a dtype its 3d kernel lacks
        got = AVG_BACKWARD[rank](go, x, k, s, p, ceil, cip, div)
        case = "rank %d in %s k %s s %s p %s ceil %s cip %s div %s n %d c %d" % (rank, sizes, k, s, p, ceil, cip, div,
                                                                             n, c)
        assert_same_values(got, to_numpy(want), "NCHW " + case)
        perm = [0] + list(range(2, rank + 2)) + [1]
        got_l = AVG_BACKWARD[rank](to_numpy(go.permute(perm)), np.empty(tuple(x.permute(perm).shape), to_numpy(go).dtype), k, s, p, ceil,
                                   cip, div, layout="NHWC")
        assert_same_values(np.ascontiguousarray(got_l), to_numpy(want.permute(perm)), "NHWC " + case)
        checked += 1
    assert checked >= 15


def test_avg_matches_autograd_and_channels_last():
    gen = np.random.default_rng(11)
    for rank, shape in ((1, (3, 5, 40)), (2, (2, 6, 17, 19)), (3, (2, 3, 7, 8, 9))):
        x = torch.from_numpy(gen.standard_normal(shape).astype(np.float32)).requires_grad_(True)
        y = T_AVG[rank](x, 3, 2, 1, True, False)
        g = torch.from_numpy(gen.standard_normal(tuple(y.shape)).astype(np.float32))
        y.backward(g)
        got = AVG_BACKWARD[rank](g, x.detach(), 3, 2, 1, True, False, None)
        assert_same_values(got, x.grad.numpy(), "rank %d" % rank)
    # A torch channels_last tensor is used as is (no copy), 1 and 3 threads.
    x = torch.randn(2, 40, 21, 22).contiguous(memory_format=torch.channels_last)
    g = torch.randn(2, 40, 11, 11).contiguous(memory_format=torch.channels_last)
    want = torch.ops.aten.avg_pool2d_backward(g, x, [3, 3], [2, 2], [1, 1], False, True, None)
    for threads in (1, 3):
        swiftpool.set_num_threads(threads)
        try:
            got = swiftpool.avg_pool2d_backward(g, x, 3, 2, 1, False, True, None)
        finally:
            swiftpool.set_num_threads(0)
        assert_same_values(np.ascontiguousarray(got), want.contiguous().numpy(), "channels_last %d" % threads)


def test_avg_errors():
    f = swiftpool.avg_pool2d_backward
    x = np.zeros((1, 2, 4, 4), np.float32)
    g = np.ones((1, 2, 2, 2), np.float32)
    with pytest.raises(TypeError, match="integer type"):
        f(g.astype(np.uint8), x.astype(np.uint8), 2, 2, 0, False, True, None)
    with pytest.raises(ValueError, match="divisor_override must be non-zero"):
        f(g, x, 2, 2, 0, False, True, 0)
    with pytest.raises(ValueError, match="divisor_override is -1"):
        f(g, x, 2, 2, 0, False, True, -1)
    with pytest.raises(ValueError, match=r"grad_output must have the forward output's shape"):
        f(g[..., :1], x, 2, 2, 0, False, True, None)
    with pytest.raises(ValueError, match="padding is 2"):
        f(g, x, 2, 2, 2, False, True, None)
    assert f(g, x, 2, 2, 0, False, True, None).sum() == 8
    for name in ("avg_pool1d_backward", "avg_pool2d_backward", "avg_pool3d_backward"):
        assert name in swiftpool.__all__


def test_tensors_that_require_grad_are_read_as_values():
    # Training code passes tensors that require grad; numpy cannot take them directly.
    x = torch.randn(2, 3, 9, 9, requires_grad=True)
    y, idx = swiftpool.max_pool2d(x, 3, 2, 1, return_indices=True)
    ty, tidx = TF.max_pool2d(x, 3, 2, 1, return_indices=True)
    assert np.array_equal(y, ty.detach().numpy()) and np.array_equal(idx, tidx.numpy())
    go = torch.randn(ty.shape, requires_grad=True)
    got = swiftpool.max_pool2d_with_indices_backward(go, x, 3, 2, 1, 1, False, tidx)
    ty.backward(go.detach())
    assert np.array_equal(got, x.grad.numpy())
    w = torch.nn.Parameter(torch.randn(1, 2, 6, 6))
    assert np.array_equal(swiftpool.avg_pool2d(w, 2), TF.avg_pool2d(w, 2).detach().numpy())


def test_backward_rejects_mismatched_dtypes_like_torch():
    x = torch.randn(1, 2, 6, 6)
    y, idx = TF.max_pool2d(x, 2, return_indices=True)
    go = torch.ones(y.shape, dtype=torch.float64)
    with pytest.raises(RuntimeError):  # torch's own rule, which we mirror as TypeError
        torch.ops.aten.max_pool2d_with_indices_backward(go, x, [2, 2], [2, 2], [0, 0], [1, 1], False, idx)
    with pytest.raises(TypeError, match="grad_output dtype float64 differs from the input's dtype float32"):
        swiftpool.max_pool2d_with_indices_backward(go, x, 2, 2, 0, 1, False, idx)
    with pytest.raises(TypeError, match="differs from the input's dtype float32"):
        swiftpool.avg_pool2d_backward(go.numpy(), x.numpy(), 2, 2, 0, False, True, None)
    with pytest.raises(TypeError, match="indices must be an int64 array"):
        swiftpool.max_pool2d_with_indices_backward(torch.ones(y.shape), x, 2, 2, 0, 1, False,
                                                   idx.to(torch.int32))
    with pytest.raises(TypeError, match="divisor_override must be None or an int, got 2.0"):
        swiftpool.avg_pool2d_backward(torch.ones(y.shape), x, 2, 2, 0, False, True, 2.0)
