"""Seeded random and hand-picked pooling problems shared by the test modules.

Every case is reproducible from its id (``max-r2-seed17``, ``avg-ceil_drop_1d``):
the id is the pytest parametrize id and each assertion message repeats the case's
full parameters.
"""

import dataclasses
import random
from typing import Optional, Tuple

import numpy as np

from pool_reference import output_size

N_RANDOM = 70  # random cases per operator (each run in both layouts)


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    op: str                      # "max" | "avg"
    rank: int
    batched: bool
    n: int
    c: int
    spatial: Tuple[int, ...]
    kernel_size: object          # int or tuple, as passed to the API
    stride: object               # None, int or tuple
    padding: object
    dilation: object             # max only (1 for avg)
    ceil_mode: bool
    count_include_pad: bool      # avg only
    divisor_override: Optional[int]  # avg rank 2/3 only
    data: str                    # kind of input values, see make_input
    seed: int

    # -- parameters per axis -------------------------------------------------------
    def _axis(self, v):
        if isinstance(v, int):
            return (v,) * self.rank
        return tuple(v) * self.rank if len(v) == 1 else tuple(v)

    @property
    def k(self):
        return self._axis(self.kernel_size)

    @property
    def s(self):
        return self.k if self.stride is None else self._axis(self.stride)

    @property
    def p(self):
        return self._axis(self.padding)

    @property
    def d(self):
        return self._axis(self.dilation)

    @property
    def out_spatial(self):
        return tuple(output_size(self.spatial[a], self.k[a], self.s[a], self.p[a], self.d[a],
                                 self.ceil_mode) for a in range(self.rank))

    @property
    def ceil_drops(self):
        """True when ceil_mode drops a last window that would start in the padding."""
        if not self.ceil_mode:
            return False
        for a in range(self.rank):
            num = self.spatial[a] + 2 * self.p[a] - self.d[a] * (self.k[a] - 1) - 1
            raw = -(-num // self.s[a]) + 1
            if (raw - 1) * self.s[a] >= self.spatial[a] + self.p[a]:
                return True
        return False

    @property
    def has_empty_window(self):
        """Some window (max, dilated) covers no real element at all."""
        for a in range(self.rank):
            for o in range(self.out_spatial[a]):
                start = o * self.s[a] - self.p[a]
                taps = [start + t * self.d[a] for t in range(self.k[a])]
                if not any(0 <= q < self.spatial[a] for q in taps):
                    return True
        return False

    # -- calls ----------------------------------------------------------------------
    def kwargs(self):
        kw = dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                  ceil_mode=self.ceil_mode)
        if self.op == "max":
            kw["dilation"] = self.dilation
        else:
            kw["count_include_pad"] = self.count_include_pad
            if self.rank > 1:
                kw["divisor_override"] = self.divisor_override
        return kw

    def make_input(self):
        """float32 (N, C, *spatial) channels-first; N == 1 for unbatched cases."""
        rng = np.random.default_rng(self.seed)
        shape = (self.n if self.batched else 1, self.c) + tuple(self.spatial)
        size = int(np.prod(shape))
        kind = self.data
        if kind == "normal":
            x = rng.standard_normal(size).astype(np.float32)
        elif kind == "ties":
            # Small integers and both zeros: many exactly equal values in a window.
            x = rng.integers(-2, 3, size).astype(np.float32)
            x[rng.random(size) < 0.15] = np.float32(-0.0)
        elif kind == "special":
            x = rng.integers(-2, 3, size).astype(np.float32)
            u = rng.random(size)
            x[u < 0.10] = np.inf
            x[(u >= 0.10) & (u < 0.22)] = -np.inf
            nan = (u >= 0.22) & (u < 0.37)
            x[nan] = nan_payloads(rng, int(nan.sum()))
        elif kind == "nan":
            x = rng.standard_normal(size).astype(np.float32)
            nan = rng.random(size) < 0.5
            x[nan] = nan_payloads(rng, int(nan.sum()))
        elif kind == "neginf":
            x = np.full(size, -np.inf, np.float32)
            u = rng.random(size)
            x[u < 0.05] = nan_payloads(rng, int((u < 0.05).sum()))
            x[(u >= 0.05) & (u < 0.10)] = 1.0
        elif kind == "allneginf":
            x = np.full(size, -np.inf, np.float32)
        else:
            raise ValueError(kind)
        return x.reshape(shape)

    def make_input_as(self, dtype):
        """The case's input in another dtype. Floating types: the float32 data
        converted (NaN, +-inf kept). 8-bit ints: fresh integers from the case's seed,
        with the type's extremes and, for "ties"-like kinds, a narrow range."""
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.integer):
            return self.make_input().astype(dtype)
        info = np.iinfo(dtype)
        rng = np.random.default_rng(self.seed + 1000)
        shape = (self.n if self.batched else 1, self.c) + tuple(self.spatial)
        if self.data in ("ties", "special"):
            x = rng.integers(info.min, info.min + 4, shape, endpoint=True)
            x[rng.random(shape) < 0.3] = info.max
        elif self.data in ("neginf", "allneginf"):
            x = np.full(shape, info.min)
            x[rng.random(shape) < 0.1] = 0
        else:
            x = rng.integers(info.min, info.max, shape, endpoint=True)
        return x.astype(dtype)

    def describe(self):
        fields = dataclasses.asdict(self)
        return "case %s: %s" % (self.id, ", ".join("%s=%r" % kv for kv in fields.items()))

    @property
    def id(self):
        return "%s-%s" % (self.op, self.name)


def nan_payloads(rng, count):
    """Quiet NaNs with distinct payloads and random signs, so that a bit-exact
    comparison tells which NaN of a window was reported."""
    bits = (np.uint32(0x7FC00000) | rng.integers(1, 1 << 22, count).astype(np.uint32))
    bits |= (rng.random(count) < 0.5).astype(np.uint32) << np.uint32(31)
    return bits.view(np.float32)


def _pick_arg(rng, values, rank):
    """Express per-axis values as the API accepts them: int, 1-tuple or full tuple."""
    if len(set(values)) == 1:
        form = rng.choice(["int", "tuple1", "tuple"])
        if form == "int":
            return values[0]
        if form == "tuple1":
            return (values[0],)
    return tuple(values)


def random_case(op, seed):
    rng = random.Random(seed * 2 + (op == "avg"))
    rank = rng.choice([1, 2, 3])
    max_k = {1: 6, 2: 4, 3: 3}[rank]
    max_d = {1: 3, 2: 2, 3: 2}[rank] if op == "max" else 1
    max_extra = {1: 12, 2: 6, 3: 3}[rank]
    special = rng.random()
    ks, ss, ps, ds, sizes = [], [], [], [], []
    for _ in range(rank):
        if special < 0.08:        # 1x1 kernel
            k, s, p, d = 1, 1, 0, 1
            size = rng.randint(1, 2 + max_extra)
        elif special < 0.16:      # whole-input kernel
            size = rng.randint(1, max_k + 1)
            k, s, p, d = size, rng.randint(1, 3), 0, 1
        else:
            k = rng.randint(1, max_k)
            d = rng.randint(1, max_d)
            s = rng.randint(1, 3)
            p = rng.randint(0, k // 2)
            smallest = max(1, d * (k - 1) + 1 - 2 * p)
            size = rng.randint(smallest, smallest + max_extra)
        ks.append(k), ss.append(s), ps.append(p), ds.append(d), sizes.append(size)
    batched = rng.random() < 0.8
    n = rng.choice([0, 1, 1, 2, 3]) if batched else 1
    c = rng.choice([1, 2, 3, 4, 7])
    ceil_mode = rng.random() < 0.5
    if op == "max":
        data = rng.choice(["normal", "ties", "ties", "special", "special", "nan", "neginf"])
    else:
        data = rng.choice(["normal", "normal", "ties", "special"])
    stride = None if (ss == ks and rng.random() < 0.7) else _pick_arg(rng, ss, rank)
    if stride is None:
        ss = ks
    divisor = None
    if op == "avg" and rank > 1 and rng.random() < 0.3:
        divisor = rng.choice([1, 2, 3, 5, 9])
    return Case(
        name="r%d-seed%d" % (rank, seed), op=op, rank=rank, batched=batched, n=n, c=c,
        spatial=tuple(sizes), kernel_size=_pick_arg(rng, ks, rank), stride=stride,
        padding=_pick_arg(rng, ps, rank), dilation=_pick_arg(rng, ds, rank),
        ceil_mode=ceil_mode, count_include_pad=rng.random() < 0.5, divisor_override=divisor,
        data=data, seed=seed)


def _named(op, name, rank, spatial, k, s, p, d=1, ceil=False, n=2, c=3, batched=True,
           data="special", cip=True, div=None, seed=0):
    return Case(name=name, op=op, rank=rank, batched=batched, n=n, c=c, spatial=spatial,
                kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil,
                count_include_pad=cip, divisor_override=div, data=data, seed=seed)


def named_cases(op):
    cases = [
        # ceil_mode: the last window would start in the right padding and is dropped.
        _named(op, "ceil_drop_1d", 1, (5,), 2, 2, 1, ceil=True, data="normal", seed=1),
        _named(op, "ceil_drop_2d", 2, (5, 7), (2, 4), 2, (1, 2), ceil=True, data="ties", seed=2),
        _named(op, "ceil_drop_3d", 3, (3, 5, 4), 2, 2, 1, ceil=True, data="special", seed=3),
        # ceil_mode with a partial last window that is kept.
        _named(op, "ceil_keep_2d", 2, (6, 7), 3, 2, 0, ceil=True, data="normal", seed=4),
        _named(op, "one_by_one_2d", 2, (5, 4), 1, 1, 0, data="special", seed=5),
        _named(op, "one_by_one_3d", 3, (2, 3, 4), 1, None, 0, data="ties", seed=6),
        _named(op, "whole_input_1d", 1, (9,), 9, None, 0, data="ties", seed=7),
        _named(op, "whole_input_2d", 2, (4, 6), (4, 6), None, 0, data="special", seed=8),
        _named(op, "whole_input_3d", 3, (3, 4, 5), (3, 4, 5), 1, 0, data="normal", seed=9),
        _named(op, "odd_sizes_2d", 2, (7, 11), (3, 5), (2, 3), (1, 2), ceil=True, seed=10),
        _named(op, "batch0_2d", 2, (6, 6), 2, None, 0, n=0, seed=11),
        _named(op, "batch0_3d", 3, (4, 4, 4), 3, 1, 1, n=0, seed=12),
        _named(op, "unbatched_1d", 1, (10,), 3, 2, 1, batched=False, seed=13),
        _named(op, "unbatched_2d", 2, (7, 6), 3, 2, 1, batched=False, seed=14),
        _named(op, "unbatched_3d", 3, (4, 5, 3), 2, 1, 1, batched=False, ceil=True, seed=15),
        _named(op, "single_channel_3d", 3, (5, 5, 5), 3, 2, 1, c=1, n=1, data="normal", seed=16),
        _named(op, "many_channels_2d", 2, (5, 5), 3, 2, 1, c=17, n=1, data="special", seed=17),
    ]
    if op == "max":
        cases += [
            _named(op, "nan_heavy_2d", 2, (6, 6), 3, 1, 1, data="nan", seed=20),
            _named(op, "nan_heavy_3d", 3, (4, 4, 4), 2, 1, 1, data="nan", seed=21),
            _named(op, "neginf_padded_2d", 2, (5, 5), 3, 2, 1, data="allneginf", seed=22),
            _named(op, "neginf_mixed_1d", 1, (16,), 4, 1, 2, data="neginf", seed=23),
            _named(op, "dilated_2d", 2, (9, 8), 3, 2, 1, d=(2, 3), ceil=True, seed=24),
            _named(op, "dilated_3d", 3, (5, 6, 5), 2, 1, 1, d=2, data="ties", seed=25),
            # Windows that hold no real element at all (dilation jumps over the input).
            _named(op, "empty_window_1d", 1, (2,), 2, 1, 1, d=3, data="normal", seed=26),
            _named(op, "empty_window_2d", 2, (2, 5), 2, 1, 1, d=(3, 1), data="normal", seed=27),
        ]
    else:
        cases += [
            _named(op, "no_pad_count_2d", 2, (7, 7), 3, 2, 1, cip=False, ceil=True, seed=30),
            _named(op, "divisor_ceil_2d", 2, (5, 7), 3, 2, 1, ceil=True, div=4, seed=31),
            _named(op, "divisor_ceil_3d", 3, (5, 4, 3), 2, 2, 1, ceil=True, div=3, cip=False,
                   seed=32),
            _named(op, "divisor_one_2d", 2, (6, 6), 2, 2, 0, div=1, data="normal", seed=33),
            _named(op, "ceil_count_pad_1d", 1, (8,), 3, 2, 1, ceil=True, cip=True, seed=34),
            _named(op, "ceil_no_pad_1d", 1, (8,), 3, 2, 1, ceil=True, cip=False, seed=35),
        ]
    return cases


def all_cases(op):
    return named_cases(op) + [random_case(op, seed) for seed in range(N_RANDOM)]


MAX_CASES = all_cases("max")
AVG_CASES = all_cases("avg")
LAYOUTS = ("NCHW", "NHWC")


# -- helpers shared by the test modules ---------------------------------------------

def to_layout(x_nchw, layout, batched):
    """(N, C, *S) channels-first -> the array the API gets for ``layout``."""
    x = x_nchw if layout == "NCHW" else np.ascontiguousarray(np.moveaxis(x_nchw, 1, -1))
    return x if batched else x[0]


def from_layout(y, layout, batched):
    """API output for ``layout`` -> (N, C, *S) channels-first."""
    if not batched:
        y = y[None]
    return y if layout == "NCHW" else np.moveaxis(y, -1, 1)


def assert_same_bits(got, want, what, case=None):
    """Exact equality including NaN payloads and the sign of zero."""
    info = case.describe() if case is not None else ""
    assert got.shape == want.shape, "%s: shape %s != %s; %s" % (what, got.shape, want.shape, info)
    assert got.dtype == want.dtype, "%s: dtype %s != %s; %s" % (what, got.dtype, want.dtype, info)
    if np.issubdtype(got.dtype, np.integer):
        a, b = got, want
    else:  # floating point (incl. ml_dtypes.bfloat16): compare the bit patterns
        bits = np.dtype("u%d" % got.dtype.itemsize)
        a, b = got.view(bits), want.view(bits)
    bad = np.argwhere(a != b)
    if bad.size:
        pos = tuple(bad[0])
        raise AssertionError(
            "%s: %d of %d elements differ; first at %s: got %r (0x%x) want %r (0x%x); %s"
            % (what, len(bad), a.size, pos, got[pos], int(a[pos]), want[pos], int(b[pos]), info))


def assert_same_values(got, want, what, case=None):
    """Exact equality of the bits (sign of zero included), except that any NaN
    matches any NaN: a sum of several NaNs may carry either one's payload, as the
    hardware's addition picks by operand order, which compilers may swap."""
    if got.shape == want.shape and not np.issubdtype(got.dtype, np.integer):
        nan = np.isnan(got.astype(np.float64)) & np.isnan(want.astype(np.float64))
        if nan.any():
            got, want = got.copy(), want.copy()
            got[nan] = want[nan] = np.nan
    assert_same_bits(got, want, what, case)


def assert_close(got, want, what, case=None, rtol=1e-6, atol=1e-7):
    info = case.describe() if case is not None else ""
    assert got.shape == want.shape, "%s: shape %s != %s; %s" % (what, got.shape, want.shape, info)
    assert got.dtype == want.dtype, "%s: dtype %s != %s; %s" % (what, got.dtype, want.dtype, info)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True,
                               err_msg="%s; %s" % (what, info))
