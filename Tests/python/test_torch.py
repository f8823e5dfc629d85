"""swiftpool vs. PyTorch (torch.nn.functional, CPU) on the same cases as
test_reference.py, plus PyTorch's NaN / -inf / empty-window index conventions
spelled out, and torch tensors (contiguous and channels_last) as direct input.

Max pooling: values and indices bit-exact, NaN payloads included.
Average pooling: bit-exact too (any NaN matches any NaN): PyTorch's float32 sums in
scan order and one division, for both layouts.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import swiftpool  # noqa: E402
import pool_reference as ref  # noqa: E402
from cases import (AVG_CASES, LAYOUTS, MAX_CASES, assert_same_bits, assert_same_values, from_layout,  # noqa: E402
                   to_layout)

MAX_FN = {1: swiftpool.max_pool1d, 2: swiftpool.max_pool2d, 3: swiftpool.max_pool3d}
AVG_FN = {1: swiftpool.avg_pool1d, 2: swiftpool.avg_pool2d, 3: swiftpool.avg_pool3d}
T_MAX = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}
T_AVG = {1: TF.avg_pool1d, 2: TF.avg_pool2d, 3: TF.avg_pool3d}


def _torch_input(case, x):
    t = torch.from_numpy(x)
    return t if case.batched else t[0]


def _batched(a, case):
    a = a.numpy() if isinstance(a, torch.Tensor) else a
    return a if case.batched else a[None]


def torch_max(case, x):
    v, i = T_MAX[case.rank](_torch_input(case, x), return_indices=True, **case.kwargs())
    return _batched(v, case), _batched(i, case)


def torch_avg(case, x):
    return _batched(T_AVG[case.rank](_torch_input(case, x), **case.kwargs()), case)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", MAX_CASES, ids=lambda c: c.id)
def test_max_pool_matches_torch(case, layout):
    x = case.make_input()
    want_v, want_i = torch_max(case, x)
    got_v, got_i = MAX_FN[case.rank](to_layout(x, layout, case.batched), return_indices=True,
                                     layout=layout, **case.kwargs())
    assert_same_bits(from_layout(got_v, layout, case.batched), want_v, "values vs torch", case)
    assert_same_bits(from_layout(got_i, layout, case.batched), want_i, "indices vs torch", case)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", AVG_CASES, ids=lambda c: c.id)
def test_avg_pool_matches_torch(case, layout):
    x = case.make_input()
    got = AVG_FN[case.rank](to_layout(x, layout, case.batched), layout=layout, **case.kwargs())
    got = from_layout(got, layout, case.batched)
    try:
        want = torch_avg(case, x)
    except RuntimeError as exc:
        # PyTorch's avg_pool3d (only it) refuses an input smaller than the kernel even
        # when the padding makes the problem valid; swiftpool, like max_pool3d and
        # avg_pool2d, accepts it. Check such cases against the reference instead.
        assert case.rank == 3 and "smaller than kernel size" in str(exc), exc
        assert any(case.spatial[a] < case.k[a] for a in range(3)), case.describe()
        want = ref.avg_pool(x, case.k, case.s, case.p, case.ceil_mode, case.count_include_pad,
                            case.divisor_override)
    # PyTorch's arithmetic (float32 sums in scan order, one division): same bits.
    assert_same_values(got, want, "avg vs torch (%s)" % layout, case)


def test_torch_agrees_with_reference():
    """The reference encodes PyTorch's rules; check it on every max case directly, so
    that a disagreement is attributed to the right side."""
    for case in MAX_CASES:
        x = case.make_input()
        want_v, want_i = torch_max(case, x)
        got_v, got_i = ref.max_pool(x, case.k, case.s, case.p, case.d, case.ceil_mode)
        assert_same_bits(got_v, want_v, "reference values vs torch", case)
        assert_same_bits(got_i, want_i, "reference indices vs torch", case)


# ---------------------------------------------------------------------------------
# PyTorch's conventions, spelled out (torch 2.x CPU). Each is asserted for torch
# itself and for swiftpool, for every rank and both layouts.
# ---------------------------------------------------------------------------------

NAN_A = np.array([0x7FC00001], np.uint32).view(np.float32)[0]
NAN_B = np.array([0xFFC00002], np.uint32).view(np.float32)[0]
NAN_C = np.array([0x7FC00003], np.uint32).view(np.float32)[0]
INF = np.float32(np.inf)


def _lift(row, rank):
    """A 1-D row of values as a (1, 1, 1.., len) array of the given rank."""
    row = np.asarray(row, np.float32)
    return row.reshape((1, 1) + (1,) * (rank - 1) + (row.size,))


def _ours(x, rank, layout, **kw):
    arr = to_layout(x, layout, True)
    v, i = MAX_FN[rank](arr, return_indices=True, layout=layout, **kw)
    return from_layout(v, layout, True), from_layout(i, layout, True)


def _theirs(x, rank, channels_last=False, **kw):
    t = torch.from_numpy(x)
    if channels_last and rank > 1:
        t = t.contiguous(memory_format=torch.channels_last if rank == 2
                         else torch.channels_last_3d)
    v, i = T_MAX[rank](t, return_indices=True, **kw)
    return v.contiguous().numpy(), i.contiguous().numpy()


CONVENTIONS = [
    # (name, row, kwargs, expected value bits or "-inf", expected index)
    ("several_nans_last_wins", [1.0, NAN_A, 2.0, NAN_B, 3.0], dict(kernel_size=5), NAN_B, 3),
    ("nan_then_larger", [NAN_A, 5.0, INF], dict(kernel_size=3), NAN_A, 0),
    ("three_nans", [NAN_A, NAN_B, NAN_C], dict(kernel_size=3), NAN_C, 2),
    ("neg_inf_only", [-INF, -INF, -INF], dict(kernel_size=3), -INF, 0),
    ("neg_inf_only_padded", [-INF, -INF], dict(kernel_size=3, stride=1, padding=1), -INF, 0),
    ("ties_first_wins", [2.0, 7.0, 7.0, 7.0], dict(kernel_size=4), np.float32(7.0), 1),
    ("zero_signs_first_wins", [-0.0, 0.0], dict(kernel_size=2), np.float32(-0.0), 0),
    ("inf_beats_finite", [3.0, INF, INF], dict(kernel_size=3), INF, 1),
    # Dilation jumps over the whole input: no real element; -inf and the index of
    # the first tap at or after 0, which lies past the end of the 2-element input.
    ("empty_window_index_past_end", [1.0, 2.0],
     dict(kernel_size=2, stride=1, padding=1, dilation=3), -INF, 2),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("name,row,kw,want_value,want_index", CONVENTIONS,
                         ids=[c[0] for c in CONVENTIONS])
def test_pytorch_max_conventions(name, row, kw, want_value, want_index, rank, layout):
    x = _lift(row, rank)
    # Pool only along the last axis: kernel 1 elsewhere.
    kw = {k: ((1,) * (rank - 1) + (v,) if k != "padding" else (0,) * (rank - 1) + (v,))
          for k, v in kw.items()}
    # Every rank's flattened index of (0, .., 0, w) is w.
    tv, ti = _theirs(x, rank, **kw)
    tv_cl, ti_cl = _theirs(x, rank, channels_last=True, **kw)
    ov, oi = _ours(x, rank, layout, **kw)
    want = np.float32(want_value)
    ctx = "%s rank %d %s" % (name, rank, layout)
    # What PyTorch reports (both of its memory formats):
    for v, i, fmt in ((tv, ti, "contiguous"), (tv_cl, ti_cl, "channels_last")):
        assert v.ravel().view(np.uint32)[0] == np.array([want]).view(np.uint32)[0], (
            "torch %s %s: value %r, expected %r" % (fmt, ctx, v.ravel()[0], want))
        assert i.ravel()[0] == want_index, "torch %s %s: index %d, expected %d" % (
            fmt, ctx, i.ravel()[0], want_index)
    # And swiftpool, bit for bit:
    assert_same_bits(ov, tv, "values " + ctx)
    assert_same_bits(oi, ti, "indices " + ctx)


def test_nan_window_in_a_real_image_shape():
    """Several NaNs and -inf-only regions in one 2-D plane with padding, both layouts
    and torch's two memory formats, bit-exact."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 9, 10)).astype(np.float32)
    x[0, 0, 2:5, 3:6] = np.float32("nan")
    x[0, 0, 3, 4] = NAN_B
    x[1, 2, :4, :4] = -INF
    x[1, 1, 5:, 5:] = NAN_A
    for kw in (dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 4), stride=1,
                                                              padding=(1, 2), dilation=(2, 1)),
               dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)):
        tv, ti = _theirs(x, 2, **kw)
        tv2, ti2 = _theirs(x, 2, channels_last=True, **kw)
        assert_same_bits(tv2, tv, "torch channels_last vs contiguous values %r" % kw)
        assert_same_bits(ti2, ti, "torch channels_last vs contiguous indices %r" % kw)
        for layout in LAYOUTS:
            ov, oi = _ours(x, 2, layout, **kw)
            assert_same_bits(ov, tv, "values %s %r" % (layout, kw))
            assert_same_bits(oi, ti, "indices %s %r" % (layout, kw))


# ---------------------------------------------------------------------------------
# torch tensors as input
# ---------------------------------------------------------------------------------

def test_contiguous_torch_tensor_input():
    t = torch.randn(2, 3, 11, 8)
    v, i = swiftpool.max_pool2d(t, 3, 2, 1, return_indices=True)
    tv, ti = TF.max_pool2d(t, 3, 2, 1, return_indices=True)
    assert isinstance(v, np.ndarray) and v.flags.c_contiguous
    assert_same_bits(v, tv.numpy(), "values")
    assert_same_bits(i, ti.numpy(), "indices")
    a = swiftpool.avg_pool3d(t[None], (1, 3, 3), 1, (0, 1, 1), count_include_pad=False)
    ta = TF.avg_pool3d(t[None], (1, 3, 3), 1, (0, 1, 1), count_include_pad=False).numpy()
    np.testing.assert_allclose(a, ta, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("op", ["max", "avg"])
def test_channels_last_torch_tensor_input(rank, op):
    """A channels_last tensor (C-contiguous NHWC memory, passed as NCHW) is pooled
    with the NHWC kernel without a copy, and the result keeps torch's memory format."""
    shape = {1: (2, 5, 13), 2: (2, 5, 9, 8), 3: (2, 5, 4, 7, 6)}[rank]
    base = torch.randn(*shape)
    if rank == 1:  # no memory_format for 3-D tensors: build the strides by hand
        t = base.transpose(1, 2).contiguous().transpose(1, 2)
    else:
        t = base.contiguous(memory_format=torch.channels_last if rank == 2
                            else torch.channels_last_3d)
    assert not t.is_contiguous()
    kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    if op == "max":
        v, i = MAX_FN[rank](t, return_indices=True, **kw)
        tv, ti = T_MAX[rank](t, return_indices=True, **kw)
        for ours, theirs, what in ((v, tv, "values"), (i, ti, "indices")):
            assert ours.shape == tuple(theirs.shape)
            assert_same_bits(np.ascontiguousarray(ours), theirs.contiguous().numpy(), what)
            # Same memory format as the input: channels last, C-contiguous that way.
            assert np.moveaxis(ours, 1, -1).flags.c_contiguous, (what, ours.strides)
            if rank > 1:
                assert ours.strides == np.asarray(theirs).strides, (what, ours.strides)
    else:
        a = AVG_FN[rank](t, **kw)
        ta = T_AVG[rank](t, **kw)
        np.testing.assert_allclose(np.ascontiguousarray(a), ta.contiguous().numpy(), rtol=1e-6,
                                   atol=1e-6)
        assert np.moveaxis(a, 1, -1).flags.c_contiguous, a.strides
    # The input really was used in place: the kernel saw the tensor's own memory.
    arr = np.asarray(t)
    assert np.shares_memory(arr, t.numpy()) and not arr.flags.c_contiguous


def test_channels_last_unbatched_and_noncontiguous_tensors():
    t = torch.randn(1, 4, 9, 9).contiguous(memory_format=torch.channels_last)[0]  # (C,H,W)
    v = swiftpool.max_pool2d(t, 2)
    np.testing.assert_array_equal(np.ascontiguousarray(v), TF.max_pool2d(t, 2).numpy())
    s = torch.randn(2, 3, 10, 12)[:, :, ::2, 1::3]  # neither layout's C order: copied
    v, i = swiftpool.max_pool2d(s, 2, return_indices=True, ceil_mode=True)
    tv, ti = TF.max_pool2d(s, 2, return_indices=True, ceil_mode=True)
    assert_same_bits(v, tv.numpy(), "strided values")
    assert_same_bits(i, ti.numpy(), "strided indices")


# ---------------------------------------------------------------------------------
# Invalid parameters: where PyTorch refuses, swiftpool refuses too.
# ---------------------------------------------------------------------------------

INVALID = [
    ("max", 2, (1, 1, 5, 5), dict(kernel_size=0)),
    ("max", 2, (1, 1, 5, 5), dict(kernel_size=2, stride=0)),
    ("max", 2, (1, 1, 5, 5), dict(kernel_size=2, padding=2)),
    ("max", 2, (1, 1, 5, 5), dict(kernel_size=2, padding=-1)),
    ("max", 2, (1, 1, 5, 5), dict(kernel_size=2, dilation=0)),
    ("max", 2, (1, 1, 5, 5), dict(kernel_size=6)),
    ("max", 1, (1, 1, 4), dict(kernel_size=2, dilation=4)),
    ("max", 3, (1, 1, 2, 2, 2), dict(kernel_size=3)),
    ("max", 2, (1, 0, 5, 5), dict(kernel_size=2)),
    ("max", 2, (1, 1, 0, 5), dict(kernel_size=1)),
    ("avg", 2, (1, 1, 5, 5), dict(kernel_size=3, padding=2)),
    ("avg", 2, (1, 1, 5, 5), dict(kernel_size=6)),
    ("avg", 2, (1, 1, 5, 5), dict(kernel_size=2, divisor_override=0)),
    ("avg", 1, (1, 1, 5), dict(kernel_size=2, stride=0)),
    ("avg", 3, (1, 1, 3, 3, 3), dict(kernel_size=(1, 2, 4))),
]


@pytest.mark.parametrize("op,rank,shape,kw", INVALID, ids=[str(i) for i in range(len(INVALID))])
def test_invalid_parameters_rejected_like_torch(op, rank, shape, kw):
    x = np.zeros(shape, np.float32)
    tfn = (T_MAX if op == "max" else T_AVG)[rank]
    ofn = (MAX_FN if op == "max" else AVG_FN)[rank]
    with pytest.raises(RuntimeError):
        tfn(torch.from_numpy(x), **kw)
    with pytest.raises(ValueError):
        ofn(x, **kw)


@pytest.mark.parametrize("channels", [8, 300, 2048])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_global_and_wide_channel_averages_match_torch_bits(channels, layout):
    """Whole-map and large windows over many channels (the taps-outer channels-last
    kernel from 256 channels, the contiguous one-output-per-plane kernel for NCHW),
    with order-sensitive data: the same bits as torch.nn.functional.avg_pool2d."""
    rng = np.random.default_rng(channels)
    x = (rng.standard_normal((3, channels, 7, 6)) * 10.0 ** rng.integers(-3, 4, (3, channels, 7, 6)))
    x = x.astype(np.float32)
    x[0, 0, 3, 3] = np.nan
    for kwargs in (dict(kernel_size=(7, 6)), dict(kernel_size=5, stride=2, padding=2, count_include_pad=False),
                   dict(kernel_size=(7, 6), divisor_override=5)):
        want = TF.avg_pool2d(torch.from_numpy(x), **kwargs).numpy()
        xin = x if layout == "NCHW" else np.ascontiguousarray(np.moveaxis(x, 1, -1))
        got = swiftpool.avg_pool2d(xin, layout=layout, **kwargs)
        if layout == "NHWC":
            got = np.moveaxis(got, -1, 1)
        assert_same_values(np.ascontiguousarray(got), want, "avg %s %s C=%d" % (kwargs, layout, channels))



@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("rank,shape", [(1, (8, 256, 1024)), (2, (8, 64, 112, 112)), (3, (3, 64, 16, 56, 56))])
def test_large_nchw_streamed_outputs_match_torch(rank, shape, threads):
    """Outputs of at least 4 MiB without indices (channels-first) are computed unit
    by unit (planes or strips of rows, padded edges included) into scratch and
    streamed out where streaming stores are on (SWIFTPOOL_NONTEMPORAL=1), or
    streamed a line at a time straight from the row kernels (2), or neither (0):
    `make test-python` runs this test all three ways. The values must be PyTorch's
    bits, NaN and +-inf included."""
    gen = np.random.default_rng(12)
    x = gen.integers(-3, 4, shape).astype(np.float32)
    x.flat[::1013] = np.nan
    x.flat[7::1019] = -np.inf
    x.flat[3::2003] = np.inf
    want = T_MAX[rank](torch.from_numpy(x), 3, 2, 1).numpy()
    swiftpool.set_num_threads(threads)
    try:
        got = MAX_FN[rank](x, 3, 2, 1)
    finally:
        swiftpool.set_num_threads(0)
    assert got.nbytes >= 4 << 20
    assert_same_bits(got, want, "rank %d threads %d" % (rank, threads))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape,kernel,stride,padding", [((8, 64, 112, 112), 3, 2, 1), ((4, 128, 112, 112), 2, 2, 0),
                                                          ((3, 40, 224, 224), 3, 2, 1)])
def test_large_nhwc_streamed_outputs_match_torch(shape, kernel, stride, padding, threads):
    """As test_large_nchw_streamed_outputs_match_torch, channels-last (outputs of at
    least 4 MiB without indices): rows computed into scratch and streamed out
    (SWIFTPOOL_NONTEMPORAL=1), or blocks of 32 channels that start on a cache line
    streamed straight from the kernel (2: 64 and 128 channels start every block on
    one; 40 channels only some), or neither (0). PyTorch's bits, NaN and +-inf
    included."""
    gen = np.random.default_rng(13)
    x = gen.integers(-3, 4, shape).astype(np.float32)
    x.flat[::1013] = np.nan
    x.flat[7::1019] = -np.inf
    x.flat[3::2003] = np.inf
    want = TF.max_pool2d(torch.from_numpy(x), kernel, stride, padding).numpy()
    xin = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    swiftpool.set_num_threads(threads)
    try:
        got = swiftpool.max_pool2d(xin, kernel, stride, padding, layout="NHWC")
    finally:
        swiftpool.set_num_threads(0)
    assert got.nbytes >= 4 << 20
    assert_same_bits(np.ascontiguousarray(np.moveaxis(got, -1, 1)), want,
                     "%s k%d s%d p%d threads %d" % (shape, kernel, stride, padding, threads))
