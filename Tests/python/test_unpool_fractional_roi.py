"""max_unpool*, fractional_max_pool*, roi_pool and their ONNX forms vs. PyTorch,
ONNX Runtime and an independent numpy reference of torchvision's roi_pool.

- max_unpool{1,2,3}d: bit-exact vs torch.nn.functional (indices from torch's own
  max_pool, and random ones with duplicates), both layouts, output_size rules.
- fractional_max_pool{2,3}d: values and indices bit-exact vs torch with the same
  _random_samples (NaN payloads, +-inf, ties), both layouts, float32/float64.
- roi_pool: torchvision's C++ ops need a torchvision build matching the installed
  CPU torch; PyPI's torchvision wheel is built against CUDA torch and its ops do
  not load here, so roi_pool is checked against `roi_pool_reference` below, a
  numpy transcription of torchvision's documented CPU algorithm, and against
  torchvision itself when it imports with working ops.
- ONNX MaxUnpool / MaxRoiPool: vs onnxruntime when importable.
"""

import random

import numpy as np
import pytest

import swiftpool
from cases import assert_same_bits

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

FLT_MAX = float(np.finfo(np.float32).max)
UNPOOL = {1: swiftpool.max_unpool1d, 2: swiftpool.max_unpool2d, 3: swiftpool.max_unpool3d}
T_UNPOOL = {1: TF.max_unpool1d, 2: TF.max_unpool2d, 3: TF.max_unpool3d}
T_POOL = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}


def special_values(rng, shape, dtype, special=True):
    """Small integers/2 (many ties), and NaNs with distinct payloads and +-inf."""
    x = (rng.integers(-4, 5, size=shape) / 2).astype(dtype)
    if special:
        flat = x.reshape(-1)
        u = rng.random(flat.size)
        bits = np.dtype("u%d" % x.dtype.itemsize)
        nan = np.array([np.nan], dtype).view(bits)[0]
        payloads = (nan | (np.arange(flat.size) % 1000 + 1).astype(bits)).view(dtype)
        flat[u < 0.05] = payloads[u < 0.05]
        flat[(u >= 0.05) & (u < 0.08)] = np.inf
        flat[(u >= 0.08) & (u < 0.11)] = -np.inf
    return x


def to_last(x):
    return np.ascontiguousarray(np.moveaxis(x, 1, -1))


def from_last(y):
    return np.moveaxis(y, -1, 1)


# ---------------------------------------------------------------------------------
# max_unpool vs torch
# ---------------------------------------------------------------------------------

def unpool_cases():
    r = random.Random(1234)
    out = []
    for i in range(40):
        rank = r.choice([1, 2, 3])
        k = [r.randint(1, 3) for _ in range(rank)]
        s = [r.randint(1, 3) for _ in range(rank)]
        p = [r.randint(0, kk // 2) for kk in k]
        size = [r.randint(max(kk, 1), 6 if rank < 3 else 4) + 2 * pp for kk, pp in zip(k, p)]
        out.append(dict(id="r%d-%d" % (rank, i), rank=rank, k=k, s=s, p=p, size=size,
                        n=r.randint(1, 2), c=r.choice([1, 3, 4]),
                        dtype=r.choice([np.float32, np.float64]), random_indices=i % 3 == 0,
                        delta=[r.randint(1 - ss, ss - 1) for ss in s] if i % 2 else None, seed=i))
    return out


@pytest.mark.parametrize("case", unpool_cases(), ids=lambda c: c["id"])
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_max_unpool_matches_torch(case, layout):
    rng = np.random.default_rng(case["seed"])
    rank = case["rank"]
    x = special_values(rng, (case["n"], case["c"], *case["size"]), case["dtype"])
    pooled, idx = T_POOL[rank](torch.from_numpy(x), case["k"], case["s"], case["p"], return_indices=True)
    default = [(pooled.shape[2 + d] - 1) * case["s"][d] + case["k"][d] - 2 * case["p"][d]
               for d in range(rank)]
    output_size = None if case["delta"] is None else [max(1, default[d] + case["delta"][d])
                                                      for d in range(rank)]
    if output_size is not None and any(o <= default[d] - case["s"][d] for d, o in enumerate(output_size)):
        output_size = None
    plane = int(np.prod(output_size or default))
    if case["random_indices"] or int(idx.max()) >= plane:
        # Any index inside the plane, with duplicates: the last one wins in both.
        idx = torch.from_numpy(rng.integers(0, max(1, min(plane, 4) if case["random_indices"] else plane),
                                            size=tuple(pooled.shape)))
    want = T_UNPOOL[rank](pooled, idx, case["k"], case["s"], case["p"], output_size=output_size).numpy()
    xs, ids = pooled.numpy(), idx.numpy()
    if layout == "NHWC":
        got = from_last(UNPOOL[rank](to_last(xs), to_last(ids), case["k"], case["s"], case["p"],
                                     output_size=output_size, layout="NHWC"))
    else:
        got = UNPOOL[rank](xs, ids, case["k"], case["s"], case["p"], output_size=output_size)
    assert_same_bits(np.ascontiguousarray(got), want, "max_unpool%dd %s" % (rank, case))


def test_max_unpool_unbatched_and_output_size_rules():
    x = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    idx = torch.tensor([[[0, 3], [9, 15]]])
    assert_same_bits(swiftpool.max_unpool2d(x.numpy(), idx.numpy(), 2, output_size=(5, 5)),
                     TF.max_unpool2d(x, idx, 2, output_size=(5, 5)).numpy(), "unbatched")
    # Full (N, C, H, W) output_size is accepted, as torch does.
    assert swiftpool.max_unpool2d(x.numpy()[None], idx.numpy()[None], 2,
                                  output_size=(1, 1, 4, 5)).shape == (1, 1, 4, 5)
    for bad in [(6, 4), (2, 4)]:  # torch: must lie strictly within default +- stride
        with pytest.raises(ValueError, match="invalid output_size"):
            TF.max_unpool2d(x, idx, 2, output_size=bad)
        with pytest.raises(ValueError, match="invalid output_size"):
            swiftpool.max_unpool2d(x.numpy(), idx.numpy(), 2, output_size=bad)


def test_max_unpool_bad_index_is_an_error_and_writes_nothing():
    x = np.ones((1, 2, 2, 2), np.float32)
    idx = np.zeros((1, 2, 2, 2), np.int64)
    idx[0, 1, 1, 0] = 16
    with pytest.raises(RuntimeError, match="invalid max index: 16"):
        TF.max_unpool2d(torch.from_numpy(x), torch.from_numpy(idx), 2)
    with pytest.raises(swiftpool.SwiftPoolValueError,
                       match=r"indices\[6\] \(n 0, c 1, h 1, w 0\) is 16, outside") as e:
        swiftpool.max_unpool2d(x, idx, 2)
    assert e.value.status_name == "SWIFTPOOL_ERROR_INVALID_ARGUMENT"
    idx[0, 1, 1, 0] = -1
    with pytest.raises(ValueError, match="is -1"):
        swiftpool.max_unpool2d(x, idx, 2)
    with pytest.raises(TypeError, match="integer"):
        swiftpool.max_unpool2d(x, idx.astype(np.float32), 2)
    with pytest.raises(ValueError, match="shape"):
        swiftpool.max_unpool2d(x, idx[:, :1], 2)


def test_max_unpool_integer_dtypes():
    x = np.array([[[[-1, 5], [7, -3]]]], np.int8)
    idx = np.array([[[[0, 3], [9, 15]]]])
    want = TF.max_unpool2d(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(idx), 2).numpy()
    assert np.array_equal(swiftpool.max_unpool2d(x, idx, 2), want.astype(np.int8))


# ---------------------------------------------------------------------------------
# fractional_max_pool vs torch
# ---------------------------------------------------------------------------------

def fractional_cases():
    r = random.Random(99)
    out = []
    for i in range(40):
        rank = r.choice([2, 3])
        size = [r.randint(1, 12 if rank == 2 else 7) for _ in range(rank)]
        k = [r.randint(1, min(s, 4)) for s in size]
        # PyTorch's 3D check is strict (out + k - 1 < in): leave one spare element there.
        most = [s - kk + (1 if rank == 2 else 0) for s, kk in zip(size, k)]
        if min(most) < 1:
            continue
        o = [r.choice([1, m, r.randint(1, m)]) for m in most]
        out.append(dict(id="r%d-%d" % (rank, i), rank=rank, size=size, k=k, o=o, n=r.randint(1, 2),
                        c=r.choice([1, 2, 5]), dtype=r.choice([np.float32, np.float64]),
                        special=i % 2 == 0, seed=i))
    return out


FRACTIONAL = {2: swiftpool.fractional_max_pool2d, 3: swiftpool.fractional_max_pool3d}
T_FRACTIONAL = {2: TF.fractional_max_pool2d, 3: TF.fractional_max_pool3d}


@pytest.mark.parametrize("case", fractional_cases(), ids=lambda c: c["id"])
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_fractional_max_pool_matches_torch(case, layout):
    rng = np.random.default_rng(case["seed"])
    rank = case["rank"]
    x = special_values(rng, (case["n"], case["c"], *case["size"]), case["dtype"], case["special"])
    samples = rng.random((case["n"], case["c"], rank)).astype(case["dtype"])
    samples.reshape(-1)[::5] = 0                                        # extremes of [0, 1)
    samples.reshape(-1)[1::7] = np.nextafter(case["dtype"](1), case["dtype"](0))
    tv, ti = T_FRACTIONAL[rank](torch.from_numpy(x), case["k"], output_size=case["o"],
                                return_indices=True, _random_samples=torch.from_numpy(samples))
    if layout == "NHWC":
        v, i = FRACTIONAL[rank](to_last(x), case["k"], output_size=case["o"], return_indices=True,
                                _random_samples=samples, layout="NHWC")
        v, i = from_last(v), from_last(i)
    else:
        v, i = FRACTIONAL[rank](x, case["k"], output_size=case["o"], return_indices=True,
                                _random_samples=samples)
    assert_same_bits(np.ascontiguousarray(v), tv.numpy(), "values %s" % case)
    assert_same_bits(np.ascontiguousarray(i), ti.numpy(), "indices %s" % case)


def test_fractional_output_ratio_unbatched_and_seed():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 10, 9)).astype(np.float32)       # unbatched (C, H, W)
    s = rng.random((1, 3, 2)).astype(np.float32)
    want = TF.fractional_max_pool2d(torch.from_numpy(x), 2, output_ratio=(0.5, 0.75),
                                    _random_samples=torch.from_numpy(s))
    got = swiftpool.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.75), _random_samples=s)
    assert got.shape == (3, 5, 6)
    assert_same_bits(got, want.numpy(), "output_ratio")
    a = swiftpool.fractional_max_pool2d(x, 2, (4, 4), return_indices=True, seed=7)[1]
    b = swiftpool.fractional_max_pool2d(x, 2, (4, 4), return_indices=True, seed=7)[1]
    assert np.array_equal(a, b)
    # The seeded draws are numpy's: the same as passing them explicitly.
    drawn = np.random.default_rng(7).random((1, 3, 2), dtype=np.float32)
    assert np.array_equal(a, swiftpool.fractional_max_pool2d(x, 2, (4, 4), return_indices=True,
                                                              _random_samples=drawn)[1])


def test_fractional_errors_match_torch_rules():
    x = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(RuntimeError, match="too large"):
        TF.fractional_max_pool2d(torch.from_numpy(x), 2, output_size=(4, 3))
    with pytest.raises(swiftpool.SwiftPoolValueError, match="exceeds input_size 4") as e:
        swiftpool.fractional_max_pool2d(x, 2, output_size=(4, 3))
    assert e.value.status_name == "SWIFTPOOL_ERROR_INVALID_SHAPE"
    x3 = np.zeros((1, 1, 4, 4, 4), np.float32)
    with pytest.raises(RuntimeError, match="too large"):
        TF.fractional_max_pool3d(torch.from_numpy(x3), 2, output_size=(3, 3, 3))
    with pytest.raises(ValueError, match="too large"):
        swiftpool.fractional_max_pool3d(x3, 2, output_size=(3, 3, 3))
    with pytest.raises(ValueError, match=r"samples\[1\] \(n 0, c 0, axis H\) is 1.0"):
        swiftpool.fractional_max_pool2d(x, 2, (2, 2), _random_samples=np.array([[[0.5, 1.0]]], np.float32))
    with pytest.raises(TypeError, match="dtype"):
        swiftpool.fractional_max_pool2d(x, 2, (2, 2), _random_samples=np.array([[[0.5, 0.5]]]))
    with pytest.raises(ValueError, match="output_size or an output_ratio"):
        swiftpool.fractional_max_pool2d(x, 2)
    with pytest.raises(TypeError, match="not supported"):
        swiftpool.fractional_max_pool2d(x.astype(np.float16), 2, (2, 2))


# ---------------------------------------------------------------------------------
# roi_pool vs torchvision's algorithm
# ---------------------------------------------------------------------------------

def roi_pool_reference(x, rois, pooled, scale):
    """torchvision.ops.roi_pool's CPU kernel, transcribed from its source with numpy
    scalars of the input's dtype (so float32 rounds like float32). NCHW."""
    t = x.dtype.type
    n, c, h, w = x.shape
    ph_n, pw_n = pooled
    k = len(rois)
    out = np.zeros((k, c, ph_n, pw_n), x.dtype)
    arg = np.full((k, c, ph_n, pw_n), -1, np.int64)
    s = t(scale)

    def c_round(v):  # C round(): half away from zero (np.round is half to even)
        v = float(v)
        return int(np.sign(v) * np.floor(abs(v) + 0.5))

    for r in range(k):
        b = int(rois[r, 0])
        x1, y1, x2, y2 = (c_round(t(rois[r, j]) * s) for j in range(1, 5))
        roi_w, roi_h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
        bin_h, bin_w = t(roi_h) / t(ph_n), t(roi_w) / t(pw_n)
        for ph in range(ph_n):
            for pw in range(pw_n):
                hs = min(max(int(np.floor(t(ph) * bin_h)) + y1, 0), h)
                he = min(max(int(np.ceil(t(ph + 1) * bin_h)) + y1, 0), h)
                ws = min(max(int(np.floor(t(pw) * bin_w)) + x1, 0), w)
                we = min(max(int(np.ceil(t(pw + 1) * bin_w)) + x1, 0), w)
                empty = he <= hs or we <= ws
                for ch in range(c):
                    best, at = (t(0), -1) if empty else (t(-FLT_MAX), -1)
                    for yy in range(hs, he):
                        for xx in range(ws, we):
                            if x[b, ch, yy, xx] > best:
                                best, at = x[b, ch, yy, xx], yy * w + xx
                    out[r, ch, ph, pw], arg[r, ch, ph, pw] = best, at
    return out, arg


def roi_cases():
    r = random.Random(7)
    out = []
    for i in range(30):
        n, h, w = r.randint(1, 2), r.randint(1, 9), r.randint(1, 9)
        scale = r.choice([1.0, 0.5, 0.25, 1 / 3, 2.0, 0.0625])
        k = r.randint(0, 5)
        boxes = []
        for _ in range(k):
            # Quarter-grid coordinates around the map: ties of round(), malformed and
            # outside boxes; fractional batch indices truncate.
            coords = [r.randint(-8, 4 * e + 8) / 4 / scale for e in (w, h, w, h)]
            boxes.append([r.randrange(n) + r.choice([0, 0.25, 0.75])] + coords)
        out.append(dict(id="roi%d" % i, n=n, c=r.choice([1, 3]), h=h, w=w, scale=scale,
                        boxes=boxes, pooled=(r.randint(1, 4), r.randint(1, 4)),
                        dtype=r.choice([np.float32, np.float64]), seed=i))
    return out


def torchvision_roi_pool():
    """torch.ops.torchvision.roi_pool when torchvision imports with its C++ ops."""
    try:
        import torchvision  # noqa: F401
        return torch.ops.torchvision.roi_pool
    except Exception:  # ImportError, or ops that fail to register against this torch
        return None


@pytest.mark.parametrize("case", roi_cases(), ids=lambda c: c["id"])
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_roi_pool_matches_torchvision_algorithm(case, layout):
    rng = np.random.default_rng(case["seed"])
    x = special_values(rng, (case["n"], case["c"], case["h"], case["w"]), case["dtype"])
    if case["dtype"] == np.float64:
        x.reshape(-1)[::7] = -1e300                     # below -FLT_MAX: never wins
    rois = np.array(case["boxes"], case["dtype"]).reshape(-1, 5)
    want, want_arg = roi_pool_reference(x, rois, case["pooled"], case["scale"])
    if layout == "NHWC":
        got, arg = swiftpool.roi_pool(to_last(x), rois, case["pooled"], case["scale"], layout="NHWC",
                                      return_argmax=True)
        got, arg = np.ascontiguousarray(from_last(got)), np.ascontiguousarray(from_last(arg))
    else:
        got, arg = swiftpool.roi_pool(x, rois, case["pooled"], case["scale"], return_argmax=True)
    assert_same_bits(got, want, "roi_pool %s" % case)
    assert np.array_equal(arg, want_arg), case
    ops = torchvision_roi_pool()
    if ops is not None:
        tv, targ = ops(torch.from_numpy(x), torch.from_numpy(rois), case["scale"], *case["pooled"])
        assert_same_bits(got, tv.numpy(), "torchvision %s" % case)
        assert np.array_equal(arg, targ.numpy().astype(np.int64))


def test_roi_pool_list_boxes_and_errors():
    x = np.arange(2 * 16, dtype=np.float32).reshape(2, 1, 4, 4)
    listed = swiftpool.roi_pool(x, [np.array([[0, 0, 1, 1]]), np.array([[2, 2, 3, 3], [0, 0, 3, 3]])], 1)
    assert listed.reshape(-1).tolist() == [5, 31, 31]
    with pytest.raises(ValueError, match=r"boxes\[0\].batch_index is 2.0, must be in \[0, 2\)"):
        swiftpool.roi_pool(x, np.array([[2, 0, 0, 1, 1]], np.float32), 1)
    with pytest.raises(ValueError, match=r"boxes\[0\].x2 is nan"):
        swiftpool.roi_pool(x, np.array([[0, 0, 0, np.nan, 1]], np.float32), 1)
    with pytest.raises(ValueError, match="spatial_scale is 0.0"):
        swiftpool.roi_pool(x, np.array([[0, 0, 0, 1, 1]], np.float32), 1, 0.0)
    with pytest.raises(ValueError, match=r"shape \(K, 5\)"):
        swiftpool.roi_pool(x, np.zeros((1, 4), np.float32), 1)


# ---------------------------------------------------------------------------------
# ONNX forms vs onnxruntime
# ---------------------------------------------------------------------------------

def _ort_run(node, feeds, opset):
    ort = pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    types = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}
    inputs = [helper.make_tensor_value_info(k, types[v.dtype], None) for k, v in feeds.items()]
    graph = helper.make_graph([node], "g", inputs,
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    del onnx
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_onnx_max_unpool_matches_onnxruntime(seed, layout):
    from onnx import helper
    rng = np.random.default_rng(seed)
    rank = 1 + seed % 3
    k = [int(v) for v in rng.integers(1, 4, rank)]
    s = [int(v) for v in rng.integers(1, 3, rank)]
    pads = [int(rng.integers(0, kk // 2 + 1)) for kk in k] + [int(rng.integers(0, kk // 2 + 1)) for kk in k]
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    size = [int(v) for v in rng.integers(1, 4, rank)]
    x = special_values(rng, (n, c, *size), np.float32)
    default = [(size[d] - 1) * s[d] + k[d] - pads[d] - pads[rank + d] for d in range(rank)]
    if min(default) < 1:
        pytest.skip("no valid output for these pads")
    grow = [int(v) for v in rng.integers(0, 3, rank)] if seed % 2 else [0] * rank
    out_shape = [n, c] + [default[d] + grow[d] for d in range(rank)]
    total = int(np.prod(out_shape))
    # Global indices, crossing planes, with duplicates.
    idx = rng.integers(0, min(total, 6) if seed % 3 == 0 else total, size=x.shape).astype(np.int64)
    node = helper.make_node("MaxUnpool", ["X", "I", "S"], ["Y"], kernel_shape=k, strides=s, pads=pads)
    want = _ort_run(node, {"X": x, "I": idx, "S": np.array(out_shape, np.int64)}, 22)
    if layout == "NHWC":
        got = from_last(swiftpool.max_unpool(to_last(x), to_last(idx), k, s, pads, out_shape,
                                             layout="NHWC"))
    else:
        got = swiftpool.max_unpool(x, idx, k, s, pads, out_shape)
    assert_same_bits(np.ascontiguousarray(got), want, "MaxUnpool seed %d" % seed)


def test_onnx_max_unpool_output_shape_rule():
    x = np.ones((1, 1, 2, 2), np.float32)
    with pytest.raises(ValueError, match="smaller than the inferred"):
        swiftpool.max_unpool(x, np.zeros_like(x, np.int64), [2, 2], [2, 2], output_shape=[1, 1, 3, 4])


@pytest.mark.parametrize("seed", range(10))
def test_onnx_max_roi_pool_matches_onnxruntime(seed):
    from onnx import helper
    rng = np.random.default_rng(seed)
    n, c, h, w = 2, 3, int(rng.integers(2, 9)), int(rng.integers(2, 9))
    # NaN-free (ONNX Runtime's result for bins with NaN depends on the NaN's place);
    # negative values and -inf included.
    x = (rng.integers(-8, 8, (n, c, h, w)) / 2).astype(np.float32)
    x.reshape(-1)[::9] = -np.inf
    scale = float(rng.choice([1.0, 0.5, 0.25]))
    rois = np.array([[rng.integers(0, n)] + list(rng.integers(-4, 4 * max(h, w) + 4, 4) / 4 / scale)
                     for _ in range(4)], np.float32)
    pooled = [int(rng.integers(1, 4)), int(rng.integers(1, 4))]
    node = helper.make_node("MaxRoiPool", ["X", "R"], ["Y"], pooled_shape=pooled, spatial_scale=scale)
    want = _ort_run(node, {"X": x, "R": rois}, 21)
    assert_same_bits(swiftpool.max_roi_pool(x, rois, pooled, scale), want, "MaxRoiPool seed %d" % seed)
