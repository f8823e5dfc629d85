"""Element types other than float32: float64, float16, bfloat16 (ml_dtypes), uint8,
int8 -- whatever the loaded library supports (swiftpool.SUPPORTED_DTYPES, probed at
import). A cross-section of the cases of test_reference.py, against the reference
and, when importable, PyTorch. Max pooling and averaging bit-exact (averages sum
in float32, float64 for float64, as PyTorch's opmath type). Integer averaging is refused with a TypeError, as
PyTorch refuses it.
"""

import numpy as np
import pytest

import swiftpool
import pool_reference as ref
from cases import (AVG_CASES, LAYOUTS, MAX_CASES, assert_same_bits, assert_same_values, from_layout,
                   to_layout)

MAX_FN = {1: swiftpool.max_pool1d, 2: swiftpool.max_pool2d, 3: swiftpool.max_pool3d}
AVG_FN = {1: swiftpool.avg_pool1d, 2: swiftpool.avg_pool2d, 3: swiftpool.avg_pool3d}
MAX_DTYPES = ["float64", "float16", "bfloat16", "uint8", "int8"]
AVG_DTYPES = ["float64", "float16", "bfloat16"]
# One unit in the last place (relative) of each floating type's result.


def np_dtype(name):
    if name == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def require(name, op):
    if name not in swiftpool.SUPPORTED_DTYPES[op]:
        pytest.skip("the loaded library's %s does not support %s" % (op, name))
    return np_dtype(name)


def torch_or_skip():
    return pytest.importorskip("torch")


def to_torch(torch, x):
    if x.dtype.name == "bfloat16":
        return torch.from_numpy(np.ascontiguousarray(x).view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(np.ascontiguousarray(x))


def from_torch(torch, t, dtype):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(dtype)
    return t.numpy()


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", MAX_CASES[::4], ids=lambda c: c.id)
@pytest.mark.parametrize("dtype_name", MAX_DTYPES)
def test_max_pool_dtypes_vs_reference(dtype_name, case, layout):
    dtype = require(dtype_name, "max_pool")
    x = case.make_input_as(dtype)
    want_v, want_i = ref.max_pool(x, case.k, case.s, case.p, case.d, case.ceil_mode)
    got_v, got_i = MAX_FN[case.rank](to_layout(x, layout, case.batched), return_indices=True,
                                     layout=layout, **case.kwargs())
    assert got_v.dtype == dtype and got_i.dtype == np.int64
    assert_same_bits(from_layout(got_v, layout, case.batched), want_v,
                     "%s values (%s)" % (dtype_name, layout), case)
    assert_same_bits(from_layout(got_i, layout, case.batched), want_i,
                     "%s indices (%s)" % (dtype_name, layout), case)


@pytest.mark.parametrize("case", MAX_CASES[::4], ids=lambda c: c.id)
@pytest.mark.parametrize("dtype_name", MAX_DTYPES)
def test_max_pool_dtypes_vs_torch(dtype_name, case):
    dtype = require(dtype_name, "max_pool")
    torch = torch_or_skip()
    import torch.nn.functional as TF
    x = case.make_input_as(dtype)
    t = to_torch(torch, x if case.batched else x[0])
    tv, ti = getattr(TF, "max_pool%dd" % case.rank)(t, return_indices=True, **case.kwargs())
    want_v, want_i = from_torch(torch, tv, dtype), ti.numpy()
    if not case.batched:
        want_v, want_i = want_v[None], want_i[None]
    for layout in LAYOUTS:
        got_v, got_i = MAX_FN[case.rank](to_layout(x, layout, case.batched),
                                         return_indices=True, layout=layout, **case.kwargs())
        got_v = from_layout(got_v, layout, case.batched)
        if dtype_name == "bfloat16":
            # torch rebuilds bfloat16 results from float32, which turns every NaN into
            # the canonical 0x7FC0 (c10::BFloat16); swiftpool returns the input's NaN
            # bits. Compare NaN as NaN here (the indices still pin which NaN won).
            nan = np.isnan(want_v.astype(np.float32))
            assert (nan == np.isnan(got_v.astype(np.float32))).all(), case.describe()
            got_v, want_v = got_v.copy(), want_v.copy()
            got_v[nan] = want_v[nan] = np.float32("nan")
        assert_same_bits(got_v, want_v,
                         "%s values vs torch (%s)" % (dtype_name, layout), case)
        assert_same_bits(from_layout(got_i, layout, case.batched), want_i,
                         "%s indices vs torch (%s)" % (dtype_name, layout), case)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", AVG_CASES[::4], ids=lambda c: c.id)
@pytest.mark.parametrize("dtype_name", AVG_DTYPES)
def test_avg_pool_dtypes_vs_reference(dtype_name, case, layout):
    dtype = require(dtype_name, "avg_pool")
    x = case.make_input_as(dtype)
    want = ref.avg_pool(x, case.k, case.s, case.p, case.ceil_mode, case.count_include_pad,
                        case.divisor_override)
    got = AVG_FN[case.rank](to_layout(x, layout, case.batched), layout=layout, **case.kwargs())
    assert got.dtype == dtype
    assert_same_values(from_layout(got, layout, case.batched), want,
                       "%s avg (%s)" % (dtype_name, layout), case)


@pytest.mark.parametrize("case", AVG_CASES[::4], ids=lambda c: c.id)
@pytest.mark.parametrize("dtype_name", AVG_DTYPES)
def test_avg_pool_dtypes_vs_torch(dtype_name, case):
    dtype = require(dtype_name, "avg_pool")
    torch = torch_or_skip()
    import torch.nn.functional as TF
    x = case.make_input_as(dtype)
    t = to_torch(torch, x if case.batched else x[0])
    try:
        tv = getattr(TF, "avg_pool%dd" % case.rank)(t, **case.kwargs())
    except NotImplementedError as exc:  # e.g. torch CPU avg_pool3d for float16/bfloat16
        pytest.skip("torch: %s" % exc)
    except RuntimeError as exc:  # torch's avg_pool3d: input smaller than the kernel
        assert "smaller than kernel size" in str(exc), exc
        pytest.skip("torch refuses this avg_pool3d problem (see test_torch.py)")
    want = from_torch(torch, tv, dtype)
    if not case.batched:
        want = want[None]
    for layout in LAYOUTS:
        got = AVG_FN[case.rank](to_layout(x, layout, case.batched), layout=layout,
                                **case.kwargs())
        # torch accumulates in float32 (float64 for float64), then rounds once: so do we.
        assert_same_values(from_layout(got, layout, case.batched), want,
                           "%s avg vs torch (%s)" % (dtype_name, layout), case)


@pytest.mark.parametrize("dtype_name", ["uint8", "int8"])
def test_integer_average_is_refused_like_torch(dtype_name):
    x = np.zeros((1, 2, 4, 4), dtype_name)
    out = np.full((1, 2, 2, 2), 7, dtype_name)
    with pytest.raises(TypeError) as info:
        swiftpool.avg_pool2d(x, 2, out=out)
    msg = str(info.value)
    assert dtype_name in msg and "float32" in msg, msg
    assert (out == 7).all()
    assert dtype_name not in swiftpool.SUPPORTED_DTYPES["avg_pool"]


def test_bfloat16_torch_tensor_input():
    torch = torch_or_skip()
    ml_dtypes = pytest.importorskip("ml_dtypes")
    import torch.nn.functional as TF
    require("bfloat16", "max_pool")
    t = torch.randn(2, 3, 9, 7).to(torch.bfloat16)
    v, i = swiftpool.max_pool2d(t, 3, 2, 1, return_indices=True)
    tv, ti = TF.max_pool2d(t, 3, 2, 1, return_indices=True)
    assert v.dtype == np.dtype(ml_dtypes.bfloat16)
    assert_same_bits(v, from_torch(torch, tv, v.dtype), "bf16 tensor values")
    assert_same_bits(i, ti.numpy(), "bf16 tensor indices")
    cl = t.contiguous(memory_format=torch.channels_last)
    v2 = swiftpool.max_pool2d(cl, 3, 2, 1)
    assert np.moveaxis(v2, 1, -1).flags.c_contiguous  # used in place, NHWC kernel
    assert_same_bits(np.ascontiguousarray(v2), v, "bf16 channels_last values")
