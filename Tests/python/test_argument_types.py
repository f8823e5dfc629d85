"""Argument *types* as torch.nn.functional checks them.

For a matrix of wrongly typed (and a few wrongly valued) arguments, every public
function that mirrors torch.nn.functional raises the same kind of exception as
torch does -- TypeError for a wrong type (ceil_mode=1, kernel_size=2.0,
divisor_override=True, ...), ValueError for a wrong value -- and what torch
accepts (numpy integers, lists, 0-d integer tensors, a truthy return_indices) is
accepted and gives torch's result. torch is run in the test (skipped without it).

Convention: where torch raises RuntimeError for a bad *value* (kernel_size=(),
divisor_override=0, padding above half the kernel), the binding raises ValueError
(its documented rule, swiftpool.SwiftPoolValueError for library-side checks), so
torch's RuntimeError is expected as ValueError here.
"""

import warnings

import numpy as np
import pytest

import swiftpool

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _kind(call):
    """(exception class among TypeError/ValueError/RuntimeError or None, result)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return None, call()
        except TypeError as e:  # before ValueError: nothing here is both
            return TypeError, e
        except ValueError as e:
            return ValueError, e
        except RuntimeError as e:
            return RuntimeError, e


def _expected(torch_kind):
    return ValueError if torch_kind is RuntimeError else torch_kind


def _np(result):
    if isinstance(result, tuple):
        return tuple(_np(r) for r in result)
    return result.numpy() if isinstance(result, torch.Tensor) else np.asarray(result)


def _same_results(ours, theirs, exact=True):
    ours, theirs = _np(ours), _np(theirs)
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same_results(a, b, exact)
        return
    assert not isinstance(ours, tuple)
    assert ours.shape == theirs.shape
    if exact:
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def _compare(ours, theirs, exact=True):
    """ours/theirs: zero-argument calls of swiftpool and torch."""
    want, t_result = _kind(theirs)
    got, s_result = _kind(ours)
    assert got is _expected(want), (
        "torch: %s (%s); swiftpool: %s (%s)"
        % (want and want.__name__, t_result if want else "accepted",
           got and got.__name__, s_result if got else "accepted"))
    if want is None:
        _same_results(s_result, t_result, exact)
    elif got is TypeError:
        assert "argument" in str(s_result) or "must" in str(s_result)


_GEN = np.random.default_rng(7)
INPUTS = {r: _GEN.standard_normal((1, 2) + (8,) * r).astype(np.float32) for r in (1, 2, 3)}


def _tensor(rank):
    return torch.from_numpy(INPUTS[rank].copy())


# -- flag arguments (bool in torch) -------------------------------------------------------

FLAG_VALUES = [
    ("True", lambda: True), ("False", lambda: False), ("int0", lambda: 0), ("int1", lambda: 1),
    ("None", lambda: None), ("str", lambda: "a"), ("np_bool", lambda: np.bool_(True)),
    ("np_bool_false", lambda: np.bool_(False)), ("np_int64", lambda: np.int64(1)),
    ("float", lambda: 1.0), ("tensor_bool", lambda: torch.tensor(True)),
]

# (name, rank, flag argument, extra positional arguments after the input)
FLAG_FUNCS = (
    [("max_pool%dd" % r, r, "ceil_mode", (2,)) for r in (1, 2, 3)]
    + [("avg_pool%dd" % r, r, "ceil_mode", (2,)) for r in (1, 2, 3)]
    + [("avg_pool%dd" % r, r, "count_include_pad", (3, 2, 1)) for r in (1, 2, 3)]
    + [("lp_pool%dd" % r, r, "ceil_mode", (2.0, 3, 2)) for r in (1, 2, 3)]
    + [("max_pool%dd" % r, r, "return_indices", (2,)) for r in (1, 2, 3)]
    + [("adaptive_max_pool%dd" % r, r, "return_indices", (3,)) for r in (1, 2, 3)]
)


@pytest.mark.parametrize("value_id,make", FLAG_VALUES, ids=[v[0] for v in FLAG_VALUES])
@pytest.mark.parametrize("fname,rank,arg,args", FLAG_FUNCS,
                         ids=["%s-%s" % (f[0], f[2]) for f in FLAG_FUNCS])
def test_flag_argument_types_match_torch(fname, rank, arg, args, value_id, make):
    if not hasattr(F, fname):
        pytest.skip("this torch has no %s" % fname)
    if arg == "ceil_mode" and fname.startswith(("max", "avg")):
        # An odd size, so that ceil_mode changes the output.
        x = _GEN.standard_normal((1, 2) + (7,) * rank).astype(np.float32)
    else:
        x = INPUTS[rank]
    ours = getattr(swiftpool, fname)
    _compare(lambda: ours(x, *args, **{arg: make()}),
             lambda: getattr(F, fname)(torch.from_numpy(x.copy()), *args, **{arg: make()}),
             exact=not fname.startswith("lp"))


@pytest.mark.parametrize("value_id,make", FLAG_VALUES, ids=[v[0] for v in FLAG_VALUES])
@pytest.mark.parametrize("rank", (2, 3))
def test_fractional_return_indices_types_match_torch(rank, value_id, make):
    x = INPUTS[rank]
    samples = torch.rand(1, 2, rank, dtype=torch.float32, generator=torch.Generator().manual_seed(3))
    fname = "fractional_max_pool%dd" % rank
    _compare(lambda: getattr(swiftpool, fname)(x, 2, output_size=4, return_indices=make(),
                                               _random_samples=samples.numpy()),
             lambda: getattr(F, fname)(torch.from_numpy(x.copy()), 2, output_size=4,
                                       return_indices=make(), _random_samples=samples))


# -- divisor_override (int? in torch) ------------------------------------------------------

DIVISOR_VALUES = [
    ("None", lambda: None), ("int", lambda: 3), ("np_int64", lambda: np.int64(3)),
    ("np_int32", lambda: np.int32(5)), ("float", lambda: 2.0), ("float_frac", lambda: 2.5),
    ("True", lambda: True), ("False", lambda: False), ("np_bool", lambda: np.bool_(True)),
    ("zero", lambda: 0), ("str", lambda: "a"), ("tuple", lambda: (2,)),
    ("np_float64", lambda: np.float64(2.0)), ("tensor_int", lambda: torch.tensor(3)),
]


@pytest.mark.parametrize("value_id,make", DIVISOR_VALUES, ids=[v[0] for v in DIVISOR_VALUES])
@pytest.mark.parametrize("rank", (2, 3))
def test_divisor_override_types_match_torch(rank, value_id, make):
    fname = "avg_pool%dd" % rank
    x = INPUTS[rank]
    _compare(lambda: getattr(swiftpool, fname)(x, 2, divisor_override=make()),
             lambda: getattr(F, fname)(_tensor(rank), 2, divisor_override=make()))


def test_negative_divisor_override_is_a_known_value_difference():
    """torch accepts divisor_override=-1 (negated averages); the library rejects a
    negative divisor as a bad value (ValueError), a documented difference: the type
    is accepted, the value is not."""
    F.avg_pool2d(_tensor(2), 2, divisor_override=-1)
    with pytest.raises(ValueError, match="divisor_override"):
        swiftpool.avg_pool2d(INPUTS[2], 2, divisor_override=-1)


# -- size arguments (int or tuple of ints in torch) -----------------------------------------

def _size_values(rank, b):
    vals = [
        ("int", b), ("float", float(b)), ("tuple_with_float", (b,) * (rank - 1) + (float(b),)),
        ("bool", True), ("tuple_of_bools", (True,) * rank), ("np_int64", np.int64(b)),
        ("tuple_with_np_int64", (np.int64(b),) + (b,) * (rank - 1)), ("list", [b] * rank),
        ("str", str(b)), ("None", None), ("ndarray", np.array([b] * rank)),
        ("tensor_int", torch.tensor(b)), ("one_tuple", (b,)), ("empty_tuple", ()),
        ("np_float64", np.float64(b)), ("np_bool", np.bool_(True)),
    ]
    if rank > 1:
        vals.append(("wrong_length", (b,) * (rank + 1)))
    return vals


SIZE_FUNCS = (
    [("max_pool%dd" % r, r, a) for r in (1, 2, 3)
     for a in ("kernel_size", "stride", "padding", "dilation")]
    + [("avg_pool%dd" % r, r, a) for r in (1, 2, 3) for a in ("kernel_size", "stride", "padding")]
    + [("lp_pool%dd" % r, r, a) for r in (1, 2, 3) for a in ("kernel_size", "stride")]
    + [("adaptive_max_pool%dd" % r, r, "output_size") for r in (1, 2, 3)]
    + [("adaptive_avg_pool%dd" % r, r, "output_size") for r in (1, 2, 3)]
    + [("fractional_max_pool%dd" % r, r, a) for r in (2, 3) for a in ("kernel_size", "output_size")]
)
SIZE_CASES = [(f, r, a, vid, v) for f, r, a in SIZE_FUNCS
              for vid, v in _size_values(r, 1 if a == "padding" else 2)]

# Where torch's own Python wrappers (not its C++ argument parser) decide, torch is
# left out: the binding keeps the parser's rule (an int or a tuple of ints) there.
#  - lp_pool1d multiplies by kernel_size in Python, so any tuple or list kernel_size
#    fails there (TypeError from mul()); the binding takes a 1-tuple, as avg_pool1d;
#  - lp_pool{2,3}d unpack kernel_size into rank names in Python: a 1-tuple, (), a
#    string ('2' unpacks: ValueError, the binding: TypeError) or a 0-d tensor
#    (TypeError) go wrong there; the binding takes a 1-tuple and a 0-d int tensor
#    and refuses '2' and () (TypeError / ValueError);
#  - adaptive_*_pool{2,3}d call len() on a non-int output_size, so a numpy integer or
#    a 0-d tensor raise TypeError in torch; the binding accepts them as ints.
_KNOWN = {
    ("lp_pool1d", "kernel_size", "tuple_with_np_int64"), ("lp_pool1d", "kernel_size", "list"),
    ("lp_pool1d", "kernel_size", "one_tuple"),
} | {("lp_pool%dd" % r, "kernel_size", v) for r in (2, 3)
     for v in ("one_tuple", "empty_tuple", "str", "tensor_int")} \
  | {("adaptive_%s_pool%dd" % (k, r), "output_size", v) for k in ("max", "avg") for r in (2, 3)
     for v in ("np_int64", "tensor_int")}


def _size_call(module, fname, rank, arg, value, x):
    f = getattr(module, fname)
    if fname.startswith("lp_pool"):
        kw = {"kernel_size": 2, arg: value}
        return lambda: f(x, 2.0, **kw)
    if fname.startswith("adaptive"):
        return lambda: f(x, value)
    if fname.startswith("fractional"):
        kw = {"kernel_size": 2, "output_size": 4, arg: value}
        samples = torch.rand(1, 2, rank, dtype=torch.float32,
                             generator=torch.Generator().manual_seed(5))
        if module is swiftpool:
            samples = samples.numpy()
        return lambda: f(x, _random_samples=samples, **kw)
    kw = {"kernel_size": 2, arg: value}
    return lambda: f(x, **kw)


@pytest.mark.parametrize("fname,rank,arg,value_id,value", SIZE_CASES,
                         ids=["%s-%s-%s" % (c[0], c[2], c[3]) for c in SIZE_CASES])
def test_size_argument_types_match_torch(fname, rank, arg, value_id, value):
    if not hasattr(F, fname):
        pytest.skip("this torch has no %s" % fname)
    if (fname, arg, value_id) in _KNOWN:
        pytest.skip("torch's Python wrapper differs from its argument parser here (see _KNOWN)")
    x = INPUTS[rank]
    _compare(_size_call(swiftpool, fname, rank, arg, value, x),
             _size_call(F, fname, rank, arg, value, torch.from_numpy(x.copy())),
             exact=not fname.startswith("lp"))


# -- the backward functions follow torch.ops.aten, which is looser ---------------------------

@pytest.mark.parametrize("value_id,make", [v for v in FLAG_VALUES if v[0] not in ("str",)],
                         ids=[v[0] for v in FLAG_VALUES if v[0] not in ("str",)])
def test_backward_flags_accept_what_aten_accepts(value_id, make):
    """torch.ops.aten.max_pool2d_with_indices_backward / avg_pool2d_backward take
    their bool arguments through the op schema, which converts 0/1, None, floats and
    numpy.bool_ by truth value; the *_backward functions (documented as aten's) do
    the same and give aten's result."""
    x = _GEN.standard_normal((1, 2, 7, 7)).astype(np.float32)
    tx = torch.from_numpy(x.copy())
    flag = bool(make())
    y, i = F.max_pool2d(tx, 2, 2, 0, 1, flag, True)
    g = torch.from_numpy(_GEN.standard_normal(tuple(y.shape)).astype(np.float32))
    want = torch.ops.aten.max_pool2d_with_indices_backward(g, tx, [2, 2], [2, 2], [0, 0], [1, 1],
                                                           make(), i)
    got = swiftpool.max_pool2d_with_indices_backward(g.numpy(), x, 2, 2, 0, 1, make(), i.numpy())
    np.testing.assert_array_equal(got, want.numpy())
    ya = F.avg_pool2d(tx, 3, 2, 1, flag, flag)
    ga = torch.from_numpy(_GEN.standard_normal(tuple(ya.shape)).astype(np.float32))
    want = torch.ops.aten.avg_pool2d_backward(ga, tx, [3, 3], [2, 2], [1, 1], make(), make(), None)
    got = swiftpool.avg_pool2d_backward(ga.numpy(), x, 3, 2, 1, make(), make(), None)
    np.testing.assert_array_equal(got, want.numpy())


def test_type_error_messages_name_the_argument():
    x = INPUTS[2]
    for call, name in ((lambda: swiftpool.max_pool2d(x, 2, ceil_mode=1), "ceil_mode"),
                       (lambda: swiftpool.avg_pool2d(x, 2, count_include_pad=None),
                        "count_include_pad"),
                       (lambda: swiftpool.avg_pool2d(x, 2, divisor_override=2.0),
                        "divisor_override"),
                       (lambda: swiftpool.max_pool2d(x, (2, True)), "kernel_size"),
                       (lambda: swiftpool.lp_pool2d(x, 2.0, 2, ceil_mode=np.bool_(True)),
                        "ceil_mode"),
                       (lambda: swiftpool.adaptive_avg_pool2d(x, (2, 2.0)), "output_size"),
                       (lambda: swiftpool.max_unpool2d(x, x.astype(np.int64), 2.0),
                        "kernel_size")):
        with pytest.raises(TypeError, match=name):
            call()
