"""swiftpool vs. the slow numpy reference (pool_reference.py) on seeded random and
hand-picked problems: ranks 1-3, both layouts, padding, dilation, ceil_mode, odd
sizes, 1x1 and whole-input kernels, batch 0, unbatched input, NaN, +-inf, ties.

Max pooling: values (bit for bit, NaN payloads included) and indices exact.
Average pooling: exact too (PyTorch's float32 sums in scan order; any NaN matches
any NaN, as a sum's NaN payload depends on operand order).
"""

import numpy as np
import pytest

import swiftpool
import pool_reference as ref
from cases import (AVG_CASES, LAYOUTS, MAX_CASES, assert_same_bits, assert_same_values,
                   from_layout, to_layout)

MAX_FN = {1: swiftpool.max_pool1d, 2: swiftpool.max_pool2d, 3: swiftpool.max_pool3d}
AVG_FN = {1: swiftpool.avg_pool1d, 2: swiftpool.avg_pool2d, 3: swiftpool.avg_pool3d}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", MAX_CASES, ids=lambda c: c.id)
def test_max_pool_matches_reference(case, layout):
    x = case.make_input()
    want_v, want_i = ref.max_pool(x, case.k, case.s, case.p, case.d, case.ceil_mode)
    arr = to_layout(x, layout, case.batched)
    got_v, got_i = MAX_FN[case.rank](arr, return_indices=True, layout=layout, **case.kwargs())
    assert_same_bits(from_layout(got_v, layout, case.batched), want_v, "values (%s)" % layout, case)
    assert_same_bits(from_layout(got_i, layout, case.batched), want_i, "indices (%s)" % layout, case)
    # Without indices: the same values.
    only_v = MAX_FN[case.rank](arr, layout=layout, **case.kwargs())
    assert_same_bits(from_layout(only_v, layout, case.batched), want_v,
                     "values without indices (%s)" % layout, case)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", AVG_CASES, ids=lambda c: c.id)
def test_avg_pool_matches_reference(case, layout):
    x = case.make_input()
    want = ref.avg_pool(x, case.k, case.s, case.p, case.ceil_mode, case.count_include_pad,
                        case.divisor_override)
    got = AVG_FN[case.rank](to_layout(x, layout, case.batched), layout=layout, **case.kwargs())
    assert_same_values(from_layout(got, layout, case.batched), want, "avg (%s)" % layout, case)


def test_cases_cover_every_feature():
    """Guard against the random generator silently losing coverage."""
    for cases in (MAX_CASES, AVG_CASES):
        assert {c.rank for c in cases} == {1, 2, 3}
        assert any(c.ceil_drops for c in cases if c.rank == 1)
        assert sum(c.ceil_drops for c in cases) >= 5
        assert any(c.ceil_mode and not c.ceil_drops for c in cases)
        assert any(c.batched and c.n == 0 for c in cases)
        assert sum(not c.batched for c in cases) >= 5
        assert any(c.k == tuple(c.spatial) for c in cases)
        assert any(set(c.k) == {1} for c in cases)
        assert any(max(c.p) > 0 for c in cases)
        assert any(isinstance(c.kernel_size, int) for c in cases)
        assert any(isinstance(c.kernel_size, tuple) and len(c.kernel_size) == 1 and c.rank > 1
                   for c in cases)
        assert any(c.stride is None for c in cases)
        assert any(odd % 2 for c in cases for odd in c.spatial)
        assert {c.data for c in cases} >= {"normal", "ties", "special"}
    assert any(max(c.d) > 1 for c in MAX_CASES)
    assert any(c.has_empty_window for c in MAX_CASES)
    assert {c.data for c in MAX_CASES} >= {"nan", "neginf", "allneginf"}
    assert any(c.divisor_override for c in AVG_CASES if c.ceil_mode)
    assert any(not c.count_include_pad and max(c.p) > 0 for c in AVG_CASES)


def test_reference_sanity():
    """The reference itself, on cases small enough to check by hand."""
    x = np.array([[[1, 3, 2, 3, -1]]], np.float32)
    v, i = ref.max_pool(x, 2, 2, 1, 1, True)      # windows [pad,1] [3,2] [3,-1]
    assert v.tolist() == [[[1, 3, 3]]] and i.tolist() == [[[0, 1, 3]]]
    v, i = ref.max_pool(x, 3, 1, 0, 1, False)     # tie 3 at 1 and 3: first wins
    assert v.tolist() == [[[3, 3, 3]]] and i.tolist() == [[[1, 1, 3]]]
    nan = np.float32("nan")
    v, i = ref.max_pool(np.array([[[nan, 5, nan, 1]]], np.float32), 4)
    assert np.isnan(v).all() and i.tolist() == [[[2]]]  # the last NaN
    assert ref.output_size(5, 2, 2, 1, 1, True) == 3   # 4 would start in the padding
    assert ref.output_size(6, 3, 2, 0, 1, True) == 3
    assert ref.output_size(6, 3, 2, 0, 1, False) == 2
    a = ref.avg_pool(np.array([[[1, 2, 3, 4, 5]]], np.float32), 2, 2, 1, True, True)
    # windows [pad,1] [2,3] [4,5]: divisors 2, 2, 2
    assert a.tolist() == [[[0.5, 2.5, 4.5]]]
    a = ref.avg_pool(np.array([[[1, 2, 3, 4, 5]]], np.float32), 2, 2, 1, True, False)
    assert a.tolist() == [[[1.0, 2.5, 4.5]]]
    a = ref.avg_pool(np.array([[[1, 2, 3, 4]]], np.float32), 3, 2, 1, True, True)
    # windows [pad,1,2] [2,3,4] [4,pad] -> divisors 3, 3, 2 (clipped to in + pad)
    assert np.allclose(a, [[[1.0, 3.0, 2.0]]])

