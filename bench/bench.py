#!/usr/bin/env python3
"""Benchmark libswiftpool against PyTorch, oneDNN and ONNX Runtime, interleaved.

Run by ``make bench`` (which builds the release library and build/bench/libspbench.so):

    python3 bench/bench.py [--quick] [--rounds N] [--only ID[,ID...]] [--threads 1,2]
                           [--out bench/results.md] [--png bench/results.png]

For every workload, layout and thread count the implementations below are timed in
the same process, in a shuffled order in each of ``--rounds`` rounds; a batch runs
each at least ``--min-batch`` seconds and the median per-call time over the rounds
is reported:

  swiftpool (C)       our library, timed by a loop in C (libspbench.spb_time_pool):
                      no Python in the timed path
  swiftpool (Python)  our Python binding (bindings/python), when importable
  torch               torch.nn.functional on a contiguous NCHW tensor
  torch channels_last the same on a channels_last tensor (the NHWC anchor)
  oneDNN              torch on x.to_mkldnn() (blocked layout; NCHW anchor)
  ORT                 ONNX Runtime, a one-node model (NCHW)
  copy floor          reading the input once and writing the output once (C), the
                      least memory traffic any pooling kernel needs

Anchors use each framework's usual Python entry point, which allocates the output;
``swiftpool (C)`` writes into a preallocated buffer. Per-call overhead is compared
in Python with ``swiftpool (Python)``.

Reports: speed-up = best anchor time / our time (same workload, layout, threads),
and % of copy bandwidth = copy floor time / our time. Writes a Markdown table and
a PNG chart (matplotlib).

Adding a workload: append to WORKLOADS (op "max" or "avg", optionally with a
"dtype" other than float32; other operators -- adaptive average pooling
"adaptive_avg", spatial pyramid pooling "spp" -- register in OPERATORS with their
swiftpool, torch and ONNX builders).
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))

# ---------------------------------------------------------------------------
# Workloads (float32 unless "dtype" says otherwise). The ids follow the
# performance issue; ops other than "max" / "avg" are in OPERATORS below.
# ---------------------------------------------------------------------------

WORKLOADS = [
    dict(id="1", name="ResNet stem max 8x64x112x112 k3 s2 p1", op="max",
         shape=(8, 64, 112, 112), kernel=(3, 3), stride=(2, 2), padding=(1, 1), layouts=("NCHW", "NHWC")),
    dict(id="2", name="VGG max 8x128x112x112 k2 s2", op="max",
         shape=(8, 128, 112, 112), kernel=(2, 2), stride=(2, 2), padding=(0, 0), layouts=("NCHW", "NHWC")),
    dict(id="3", name="Inception avg 8x192x28x28 k3 s1 p1 (count_include_pad=False)", op="avg",
         shape=(8, 192, 28, 28), kernel=(3, 3), stride=(1, 1), padding=(1, 1), count_include_pad=False,
         layouts=("NCHW", "NHWC")),
    dict(id="4", name="global avg 32x2048x7x7", op="avg", global_pool=True,
         shape=(32, 2048, 7, 7), kernel=(7, 7), stride=(7, 7), padding=(0, 0), layouts=("NCHW", "NHWC")),
    dict(id="5", name="adaptive avg 8x256x13x13 -> 6x6", op="adaptive_avg",
         shape=(8, 256, 13, 13), output_size=(6, 6), layouts=("NCHW", "NHWC")),
    dict(id="6", name="SPP (4,2,1) max 8x256x13x13", op="spp",
         shape=(8, 256, 13, 13), levels=(4, 2, 1), layouts=("NCHW", "NHWC")),
    dict(id="7", name="tiny max 1x16x8x8 k2 s2", op="max",
         shape=(1, 16, 8, 8), kernel=(2, 2), stride=(2, 2), padding=(0, 0), layouts=("NCHW",)),
    dict(id="8", name="ResNet stem max backward 8x64x112x112 k3 s2 p1", op="max_backward",
         shape=(8, 64, 112, 112), kernel=(3, 3), stride=(2, 2), padding=(1, 1), layouts=("NCHW", "NHWC")),
    dict(id="9", name="1D max 32x256x1024 k3 s2 p1", op="max",
         shape=(32, 256, 1024), kernel=(3,), stride=(2,), padding=(1,), layouts=("NCHW",)),
    dict(id="10", name="3D max 2x64x16x56x56 k3 s2 p1", op="max",
         shape=(2, 64, 16, 56, 56), kernel=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1), layouts=("NCHW", "NHWC")),
    dict(id="11", name="VGG max 8x128x112x112 k2 s2 float16", op="max", dtype="float16",
         shape=(8, 128, 112, 112), kernel=(2, 2), stride=(2, 2), padding=(0, 0), layouts=("NCHW", "NHWC")),
    dict(id="11", name="VGG max 8x128x112x112 k2 s2 uint8", op="max", dtype="uint8",
         shape=(8, 128, 112, 112), kernel=(2, 2), stride=(2, 2), padding=(0, 0), layouts=("NCHW", "NHWC")),
]

# swiftpool_dtype codes (include/swiftpool.h) and ONNX element types of the dtypes above.
DTYPE_CODES = {"float32": 1, "float64": 2, "float16": 3, "uint8": 5, "int8": 6}
ONNX_TYPES = {"float32": 1, "uint8": 2, "int8": 3, "float16": 10, "float64": 11}  # onnx.TensorProto


def make_input(w):
    """The workload's input (NCHW), seeded: standard normal floats, uniform integers."""
    gen = np.random.default_rng(42)
    dtype = w.get("dtype", "float32")
    if dtype in ("uint8", "int8"):
        info = np.iinfo(dtype)
        return gen.integers(info.min, info.max, size=w["shape"], endpoint=True, dtype=dtype)
    return gen.standard_normal(w["shape"], dtype=np.float32).astype(dtype)

# ---------------------------------------------------------------------------
# Our library through the C timing loop
# ---------------------------------------------------------------------------


class Desc(ctypes.Structure):
    """swiftpool_pool_desc (include/swiftpool.h)."""

    _I3 = ctypes.c_int64 * 3
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("dtype", ctypes.c_int32), ("layout", ctypes.c_int32),
        ("spatial_rank", ctypes.c_int32), ("batch", ctypes.c_int64), ("channels", ctypes.c_int64),
        ("input_size", _I3), ("kernel_size", _I3), ("stride", _I3), ("padding", _I3),
        ("padding_end", _I3), ("dilation", _I3), ("ceil_mode", ctypes.c_int32),
        ("count_include_pad", ctypes.c_int32), ("divisor_override", ctypes.c_int64),
        ("auto_pad", ctypes.c_int32), ("flags", ctypes.c_uint32),
    ]


def load_bench_lib():
    path = os.environ.get("SPBENCH_LIBRARY", os.path.join(ROOT, "build", "bench", "libspbench.so"))
    lib = ctypes.CDLL(path)
    lib.spb_time_pool.restype = ctypes.c_int32
    lib.spb_time_pool.argtypes = [ctypes.POINTER(Desc), ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64,
                                  ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int32,
                                  ctypes.c_int64, ctypes.POINTER(ctypes.c_double)]
    lib.spb_time_adaptive.restype = ctypes.c_int32
    lib.spb_time_adaptive.argtypes = [ctypes.POINTER(Desc), ctypes.c_int32, ctypes.POINTER(ctypes.c_int64),
                                      ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
                                      ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64, ctypes.POINTER(ctypes.c_double)]
    lib.spb_time_spp.restype = ctypes.c_int32
    lib.spb_time_spp.argtypes = [ctypes.POINTER(Desc), ctypes.POINTER(ctypes.c_int64), ctypes.c_int64,
                                 ctypes.c_int32, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64,
                                 ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32, ctypes.c_int64,
                                 ctypes.POINTER(ctypes.c_double)]
    lib.spb_time_max_backward.restype = ctypes.c_int32
    lib.spb_time_max_backward.argtypes = [ctypes.POINTER(Desc), ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                                          ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32,
                                          ctypes.c_int64, ctypes.POINTER(ctypes.c_double)]
    lib.spb_time_copy.restype = ctypes.c_int32
    lib.spb_time_copy.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
                                  ctypes.c_int32, ctypes.c_int64, ctypes.POINTER(ctypes.c_double)]
    lib.swiftpool_pool_desc_init.argtypes = [ctypes.POINTER(Desc), ctypes.c_int32]
    lib.swiftpool_pool_output_shape.argtypes = [ctypes.POINTER(Desc), ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64)]
    lib.swiftpool_isa.restype = ctypes.c_char_p
    lib.swiftpool_last_error_message.restype = ctypes.c_char_p
    lib.swiftpool_version_string.restype = ctypes.c_char_p
    return lib


def make_desc(lib, w, layout):
    rank = len(w["shape"]) - 2
    d = Desc()
    lib.swiftpool_pool_desc_init(ctypes.byref(d), rank)
    d.dtype = DTYPE_CODES[w.get("dtype", "float32")]
    d.layout = 1 if layout == "NCHW" else 2
    d.batch, d.channels = w["shape"][0], w["shape"][1]
    for i in range(rank):
        d.input_size[i] = w["shape"][2 + i]
        if "kernel" not in w:
            continue  # adaptive / pyramid pooling: no window fields
        d.kernel_size[i] = w["kernel"][i]
        d.stride[i] = w["stride"][i]
        d.padding[i] = w["padding"][i]
    d.count_include_pad = 0 if w.get("count_include_pad") is False else 1
    return d


def channels_last(x):
    """NCHW... numpy array -> contiguous N...C array."""
    return np.ascontiguousarray(np.moveaxis(x, 1, -1))


def to_channels_first(y):
    return np.ascontiguousarray(np.moveaxis(y, -1, 1))


# ---------------------------------------------------------------------------
# Implementations: each is (name, kind, prepare) where prepare() returns a
# callable timing `iters` calls and returning seconds per call, plus the output
# (NCHW numpy) for the correctness cross-check.
# ---------------------------------------------------------------------------


def ours_c(lib, w, layout, threads):
    if w["op"] in OPERATORS:
        return OPERATORS[w["op"]]["ours_c"](lib, w, layout, threads)
    if w.get("global_pool"):
        # Global pooling's documented entry point (include/swiftpool.h, "Global
        # pooling"): adaptive average pooling to size 1, as torch's
        # adaptive_avg_pool2d(x, 1) and ONNX GlobalAveragePool; the window form
        # (PyTorch avg_pool2d's float bits) is timed too, as "swiftpool (C, avg_pool)".
        return adaptive_ours_c(lib, dict(w, output_size=(1,) * len(w["kernel"])), layout, threads)
    return window_ours_c(lib, w, layout, threads)


def window_ours_c(lib, w, layout, threads):
    x = w["x"] if layout == "NCHW" else w["x_cl"]
    d = make_desc(lib, w, layout)
    n = ctypes.c_int64(0)
    lib.swiftpool_pool_output_shape(ctypes.byref(d), None, ctypes.byref(n))
    out = np.empty(n.value, dtype=x.dtype)
    op = 0 if w["op"] == "max" else 1
    secs = ctypes.c_double(0)

    def run(iters):
        rc = lib.spb_time_pool(ctypes.byref(d), op, x.ctypes.data, x.size, out.ctypes.data, out.size, None,
                               threads, iters, ctypes.byref(secs))
        if rc != 0:
            raise RuntimeError("swiftpool: " + lib.swiftpool_last_error_message().decode())
        return secs.value

    def result():
        y = out.reshape(w["out_shape"] if layout == "NCHW" else w["out_shape_cl"])
        return y if layout == "NCHW" else to_channels_first(y)

    return run, result


def ours_python(sp, w, layout, threads):
    x = w["x"] if layout == "NCHW" else w["x_cl"]
    if w["op"] in OPERATORS:
        call = OPERATORS[w["op"]]["python"](sp, w, layout, threads)
    elif w.get("global_pool"):
        call = lambda: sp.adaptive_avg_pool2d(x, 1, layout=layout)
    elif w["op"] == "max":
        rank = len(w["kernel"])
        f = getattr(sp, "max_pool%dd" % rank)
        call = lambda: f(x, w["kernel"], w["stride"], w["padding"], layout=layout)
    else:
        rank = len(w["kernel"])
        f = getattr(sp, "avg_pool%dd" % rank)
        call = lambda: f(x, w["kernel"], w["stride"], w["padding"],
                         count_include_pad=w.get("count_include_pad", True), layout=layout)
    box = {}
    rows_out = w["op"] == "spp"  # (N, L) in both layouts

    def run(iters):
        sp.set_num_threads(threads)
        t0 = time.perf_counter()
        for _ in range(iters):
            box["y"] = call()
        return (time.perf_counter() - t0) / iters

    def result():
        y = box["y"]
        return y if layout == "NCHW" or rows_out else to_channels_first(y)

    return run, result


def torch_impl(torch, w, layout, threads, variant):
    import torch.nn.functional as F
    rank = len(w["shape"]) - 2
    x = torch.from_numpy(w["x"])
    if w["op"] in OPERATORS:
        run, result = OPERATORS[w["op"]]["torch"](torch, w, x, variant)

        def run_threads(iters):
            torch.set_num_threads(threads)
            return run(iters)
        return run_threads, result
    if variant == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last if rank == 2 else torch.channels_last_3d)
    elif variant == "onednn":
        x = x.to_mkldnn()
    if variant == "adaptive":
        call = lambda: F.adaptive_avg_pool2d(x, 1)
    elif w["op"] == "max":
        f = getattr(F, "max_pool%dd" % rank)
        call = lambda: f(x, w["kernel"], w["stride"], w["padding"])
    else:
        f = getattr(F, "avg_pool%dd" % rank)
        call = lambda: f(x, w["kernel"], w["stride"], w["padding"],
                         count_include_pad=w.get("count_include_pad", True))
    box = {}

    def run(iters):
        torch.set_num_threads(threads)
        with torch.no_grad():
            t0 = time.perf_counter()
            for _ in range(iters):
                box["y"] = call()
            return (time.perf_counter() - t0) / iters

    def result():
        y = box["y"]
        if variant == "onednn":
            y = y.to_dense()
        return y.contiguous().numpy()

    return run, result


def ort_impl(ort, onnx, w, threads, global_node=False):
    from onnx import helper
    elem = ONNX_TYPES[w.get("dtype", "float32")]
    if w["op"] in OPERATORS:
        nodes = OPERATORS[w["op"]]["onnx"](helper, w)
        if nodes is None:
            return None
    else:
        nodes = [window_node(helper, w, global_node)]
    graph = helper.make_graph(nodes, "pool", [helper.make_tensor_value_info("X", elem, list(w["shape"]))],
                              [helper.make_tensor_value_info("Y", elem, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    # No spin-waiting pool threads: on this 2-core machine ORT's spinning workers
    # kept taking a core from whatever ran next (the 2 ms pause between calls did
    # not stop them): swiftpool's and torch's 2-thread global average pool ran
    # 1.3-1.5x slower after ORT calls, and ORT's own 2-thread time was lower
    # without spinning (2.5-2.6 ms against 3.3 ms on workload 4).
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feed = {"X": w["x"]}
    box = {}

    def run(iters):
        t0 = time.perf_counter()
        for _ in range(iters):
            box["y"] = sess.run(None, feed)[0]
        return (time.perf_counter() - t0) / iters

    return run, lambda: box["y"].reshape(w["out_shape"])


def window_node(helper, w, global_node):
    """The ONNX node of a max / avg workload."""
    if global_node:
        node = helper.make_node("GlobalAveragePool", ["X"], ["Y"])
    elif w["op"] == "max":
        node = helper.make_node("MaxPool", ["X"], ["Y"], kernel_shape=list(w["kernel"]), strides=list(w["stride"]),
                                pads=list(w["padding"]) * 2)
    else:
        node = helper.make_node("AveragePool", ["X"], ["Y"], kernel_shape=list(w["kernel"]),
                                strides=list(w["stride"]), pads=list(w["padding"]) * 2,
                                count_include_pad=0 if w.get("count_include_pad") is False else 1)
    return node


def copy_floor(lib, w, threads):
    x = w["x"]
    out = np.empty(int(np.prod(w["out_shape"])), dtype=x.dtype)
    secs = ctypes.c_double(0)

    def run(iters):
        lib.spb_time_copy(x.ctypes.data, x.nbytes, out.ctypes.data, out.nbytes, threads, iters, ctypes.byref(secs))
        return secs.value

    return run, None


# ---------------------------------------------------------------------------
# Operators other than windowed max / avg pooling. Each entry:
#   shapes(lib, w)                       -> (NCHW output shape, our NHWC output shape)
#   ours_c(lib, w, layout, threads)      -> (run, result) timed in C (libspbench)
#   python(sp, w, layout, threads)       -> call() of our Python binding
#   torch(torch, w, x, variant)          -> (run, result); variant "nchw",
#                                           "channels_last" or "onednn" (may raise)
#   onnx(helper, w)                      -> ONNX nodes X -> Y, or None (no ORT anchor)
#   exact                                -> outputs must equal torch's bitwise
# ---------------------------------------------------------------------------


def uniform_bins(length, n):
    """(kernel, stride) when adaptive pooling's n bins over `length` are one window
    size at one stride (then an ONNX pooling node computes them exactly), else None."""
    bins = [(o * length // n, -(-(o + 1) * length // n)) for o in range(n)]
    kernel = bins[0][1] - bins[0][0]
    stride = bins[1][0] - bins[0][0] if n > 1 else 1
    if all(e - b == kernel and b == o * stride for o, (b, e) in enumerate(bins)):
        return kernel, stride
    return None


def timed_torch(torch, threads_box, call, dense=None):
    box = {}

    def run(iters):
        with torch.no_grad():
            t0 = time.perf_counter()
            for _ in range(iters):
                box["y"] = call()
            return (time.perf_counter() - t0) / iters

    def result():
        y = box["y"]
        if dense is not None:
            y = dense(y)
        return y.contiguous().numpy()

    return run, result


def torch_input(torch, x, variant):
    if variant == "channels_last":
        return x.contiguous(memory_format=torch.channels_last)
    if variant == "onednn":
        return x.to_mkldnn()
    return x


def c_timer(lib, fn, out, shape_of):
    """(run, result) for a libspbench timing function fn(iters, secs) -> status."""
    secs = ctypes.c_double(0)

    def run(iters):
        rc = fn(iters, ctypes.byref(secs))
        if rc != 0:
            raise RuntimeError("swiftpool: " + lib.swiftpool_last_error_message().decode())
        return secs.value

    return run, lambda: shape_of(out)


# Adaptive average pooling (workload 5): swiftpool_adaptive_avg_pool_forward;
# torch F.adaptive_avg_pool2d; ONNX AveragePool when the bins are uniform (13 -> 6
# is kernel 3 stride 2), as a model exporter would lower it.

def adaptive_shapes(lib, w):
    n, c = w["shape"][:2]
    return (n, c) + tuple(w["output_size"]), (n,) + tuple(w["output_size"]) + (c,)


def adaptive_ours_c(lib, w, layout, threads):
    x = w["x"] if layout == "NCHW" else w["x_cl"]
    d = make_desc(lib, w, layout)
    size = (ctypes.c_int64 * 3)(*w["output_size"])
    out = np.empty(int(np.prod(w["out_shape"])), dtype=x.dtype)
    op = 0 if w["op"] == "adaptive_max" else 1
    fn = lambda iters, secs: lib.spb_time_adaptive(ctypes.byref(d), op, size, x.ctypes.data, x.size, out.ctypes.data,
                                                   out.size, None, threads, iters, secs)
    return c_timer(lib, fn, out, lambda y: y.reshape(w["out_shape"]) if layout == "NCHW"
                   else to_channels_first(y.reshape(w["out_shape_cl"])))


def adaptive_python(sp, w, layout, threads):
    x = w["x"] if layout == "NCHW" else w["x_cl"]
    return lambda: sp.adaptive_avg_pool2d(x, w["output_size"], layout=layout)


def adaptive_torch(torch, w, x, variant):
    import torch.nn.functional as F
    x = torch_input(torch, x, variant)
    return timed_torch(torch, None, lambda: F.adaptive_avg_pool2d(x, w["output_size"]),
                       (lambda y: y.to_dense()) if variant == "onednn" else None)


def adaptive_onnx(helper, w):
    windows = [uniform_bins(length, n) for length, n in zip(w["shape"][2:], w["output_size"])]
    if None in windows:
        return None
    return [helper.make_node("AveragePool", ["X"], ["Y"], kernel_shape=[k for k, _ in windows],
                             strides=[s for _, s in windows])]


# Spatial pyramid pooling (workload 6): swiftpool_spatial_pyramid_pool_forward,
# adaptive bins, max; torch as SPP-net layers are usually written,
# torch.cat([F.adaptive_max_pool2d(x, n).flatten(1) for n in levels], 1); ONNX one
# MaxPool per level (GlobalMaxPool for 1x1) when its bins are uniform, Flatten,
# Concat.

def spp_shapes(lib, w):
    n, c = w["shape"][:2]
    length = c * sum(level * level for level in w["levels"])
    return (n, length), (n, length)


def spp_ours_c(lib, w, layout, threads):
    x = w["x"] if layout == "NCHW" else w["x_cl"]
    d = make_desc(lib, w, layout)
    flat = [v for level in w["levels"] for v in (level, level)]
    levels = (ctypes.c_int64 * len(flat))(*flat)
    out = np.empty(int(np.prod(w["out_shape"])), dtype=x.dtype)
    fn = lambda iters, secs: lib.spb_time_spp(ctypes.byref(d), levels, len(w["levels"]), 1, 1, x.ctypes.data, x.size,
                                              out.ctypes.data, out.size, threads, iters, secs)
    return c_timer(lib, fn, out, lambda y: y.reshape(w["out_shape"]))


def spp_python(sp, w, layout, threads):
    x = w["x"] if layout == "NCHW" else w["x_cl"]
    return lambda: sp.spatial_pyramid_pool(x, w["levels"], "max", layout=layout)


def spp_torch(torch, w, x, variant):
    import torch.nn.functional as F
    if variant == "onednn":
        raise RuntimeError("no oneDNN adaptive max pooling")
    x = torch_input(torch, x, variant)
    levels = w["levels"]
    return timed_torch(torch, None, lambda: torch.cat([F.adaptive_max_pool2d(x, n).flatten(1) for n in levels], 1))


def spp_onnx(helper, w):
    nodes, names = [], []
    for i, n in enumerate(w["levels"]):
        windows = [uniform_bins(length, n) for length in w["shape"][2:]]
        if n == 1:
            nodes.append(helper.make_node("GlobalMaxPool", ["X"], ["P%d" % i]))
        elif None in windows:
            return None
        else:
            nodes.append(helper.make_node("MaxPool", ["X"], ["P%d" % i], kernel_shape=[k for k, _ in windows],
                                          strides=[s for _, s in windows]))
        nodes.append(helper.make_node("Flatten", ["P%d" % i], ["F%d" % i], axis=1))
        names.append("F%d" % i)
    nodes.append(helper.make_node("Concat", names, ["Y"], axis=1))
    return nodes


# Max pooling backward (workload 8): swiftpool_max_pool_backward; torch
# torch.ops.aten.max_pool2d_with_indices_backward (what autograd runs) on NCHW /
# channels_last tensors, timing only the backward. The forward indices are torch's
# (equal to ours) and grad_output is seeded standard normal; the "output" compared is
# grad_input (the input's shape). No ONNX operator.

def backward_data(w):
    """Seeded grad_output and the forward indices, NCHW and channels-last (cached in w)."""
    if "bwd" not in w:
        import torch
        import torch.nn.functional as F
        _, idx = F.max_pool2d(torch.from_numpy(w["x"]), w["kernel"], w["stride"], w["padding"], return_indices=True)
        go = np.random.default_rng(7).standard_normal(tuple(idx.shape), dtype=np.float32).astype(w["x"].dtype)
        idx = idx.numpy()
        w["bwd"] = dict(go=go, idx=idx, go_cl=channels_last(go), idx_cl=channels_last(idx))
    return w["bwd"]


def backward_shapes(lib, w):
    n, c = w["shape"][:2]
    return tuple(w["shape"]), (n,) + tuple(w["shape"][2:]) + (c,)


def backward_ours_c(lib, w, layout, threads):
    b = backward_data(w)
    go, idx = (b["go"], b["idx"]) if layout == "NCHW" else (b["go_cl"], b["idx_cl"])
    d = make_desc(lib, w, layout)
    out = np.empty(int(np.prod(w["shape"])), dtype=go.dtype)
    fn = lambda iters, secs: lib.spb_time_max_backward(ctypes.byref(d), go.ctypes.data, go.size, idx.ctypes.data,
                                                       idx.size, out.ctypes.data, out.size, threads, iters, secs)
    return c_timer(lib, fn, out, lambda y: y.reshape(w["out_shape"]) if layout == "NCHW"
                   else to_channels_first(y.reshape(w["out_shape_cl"])))


def backward_python(sp, w, layout, threads):
    b = backward_data(w)
    x = w["x"] if layout == "NCHW" else w["x_cl"]
    go, idx = (b["go"], b["idx"]) if layout == "NCHW" else (b["go_cl"], b["idx_cl"])
    return lambda: sp.max_pool2d_with_indices_backward(go, x, w["kernel"], w["stride"], w["padding"], 1, False, idx,
                                                       layout=layout)


def backward_torch(torch, w, x, variant):
    if variant == "onednn":
        raise RuntimeError("no oneDNN max pooling backward entry point in torch")
    b = backward_data(w)
    go, idx = torch.from_numpy(b["go"]), torch.from_numpy(b["idx"])
    x, go, idx = (torch_input(torch, t, variant) for t in (x, go, idx))
    k, s, p = list(w["kernel"]), list(w["stride"]), list(w["padding"])
    return timed_torch(torch, None, lambda: torch.ops.aten.max_pool2d_with_indices_backward(
        go, x, k, s, p, [1, 1], False, idx))


OPERATORS = {
    "adaptive_avg": dict(shapes=adaptive_shapes, ours_c=adaptive_ours_c, python=adaptive_python,
                         torch=adaptive_torch, onnx=adaptive_onnx, exact=False),
    "max_backward": dict(shapes=backward_shapes, ours_c=backward_ours_c, python=backward_python,
                         torch=backward_torch, onnx=lambda helper, w: None, exact=True),
    "spp": dict(shapes=spp_shapes, ours_c=spp_ours_c, python=spp_python, torch=spp_torch, onnx=spp_onnx,
                exact=True),
}


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


def calibrate(run, min_batch):
    """Iterations per batch so that a batch lasts at least min_batch seconds."""
    per_call = run(1)
    iters = 1
    while per_call * iters < min_batch and iters < 1_000_000:
        iters = max(iters * 2, int(min_batch / max(per_call, 1e-9) * 1.2))
        per_call = run(iters)
    return iters


def time_interleaved(impls, rounds, min_batch, rng):
    """impls: {name: run}. Returns {name: [seconds per call, one per round]}."""
    iters = {name: calibrate(run, min_batch) for name, run in impls.items()}
    samples = {name: [] for name in impls}
    names = list(impls)
    for _ in range(rounds):
        rng.shuffle(names)
        for name in names:
            samples[name].append(impls[name](iters[name]))
            time.sleep(0.002)  # let other frameworks' spinning workers go idle
    return samples


def check(name, got, want, op):
    """Cross-check an output against torch's (NCHW); returns a note or ''."""
    if got is None or want is None:
        return ""
    got, want = np.asarray(got).reshape(want.shape), np.asarray(want)
    if op == "max" or (op in OPERATORS and OPERATORS[op]["exact"]):
        if got.dtype != want.dtype:
            return "%s has dtype %s, torch %s" % (name, got.dtype, want.dtype)
        ok = np.array_equal(got, want, equal_nan=True)
    else:
        ok = np.allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)
    if ok:
        return ""
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    return "%s differs from torch (max abs diff %g)" % (name, float(np.nanmax(diff)))


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def fmt_us(seconds):
    us = seconds * 1e6
    return "%.2f" % us if us < 10 else "%.1f" % us if us < 1000 else "%.0f" % us


def machine_info(lib, torch, ort):
    cpu = platform.processor() or ""
    family, flags = None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    cpu = value.strip()
                elif key == "cpu family" and family is None:
                    family = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    # Which machine the numbers come from: the anchors use AVX-512 where it exists.
    extra = (["family %s" % family] if family else []) + [f for f in ("avx2", "avx512f") if f in flags]
    if extra:
        cpu += " (%s)" % ", ".join(extra)
    load = os.getloadavg()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "isa": lib.swiftpool_isa().decode(),
        "version": lib.swiftpool_version_string().decode(),
        "torch": getattr(torch, "__version__", "n/a") if torch else "n/a",
        "onednn": str(torch.backends.mkldnn.is_available()) if torch else "n/a",
        "ort": getattr(ort, "__version__", "n/a") if ort else "n/a",
        "load": "%.2f %.2f %.2f" % load, "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def write_markdown(path, rows, info, notes, args):
    lines = ["# libswiftpool benchmark", ""]
    lines.append("Generated by `make bench` (bench/bench.py) on %s. CPU: %s, %d logical cores; "
                 "libswiftpool %s, kernel family `%s`; torch %s (oneDNN available: %s); onnxruntime %s. "
                 "Load average at the end: %s (the machine is shared: times are medians of %d interleaved rounds)."
                 % (info["date"], info["cpu"], info["cores"], info["version"], info["isa"], info["torch"],
                    info["onednn"], info["ort"], info["load"], args.rounds))
    lines.append("")
    lines.append("Times are microseconds per call (median). *Speed-up* = best anchor / swiftpool (C), same "
                 "layout and thread count; *% copy BW* = copy floor / swiftpool (C), where the copy floor reads "
                 "the input once and writes the output once (the minimum memory traffic). Anchors are called from "
                 "Python and allocate their output; swiftpool (C) is a C loop over a preallocated output, "
                 "swiftpool (Py) our Python binding (allocating), comparable with the anchors for per-call overhead. "
                 "Workload 4 times our global pooling entry point (adaptive average pooling to 1x1, double "
                 "accumulation), as torch's adaptive_avg_pool2d(x, 1) and ONNX GlobalAveragePool are timed; in "
                 "parentheses, the same pooling as a 7x7 avg_pool window, which reproduces torch avg_pool2d's "
                 "float bits.")
    lines.append("")
    for threads in args.threads:
        lines.append("## %d thread%s" % (threads, "" if threads == 1 else "s"))
        lines.append("")
        lines.append("| workload | layout | swiftpool (C) | swiftpool (Py) | torch | torch channels_last | oneDNN | ORT "
                     "| best anchor | speed-up | copy floor | % copy BW |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
        for r in rows:
            if r["threads"] != threads:
                continue
            t = r["times"]

            def cell(name):
                return fmt_us(t[name]) if name in t else "–"
            ours_cell = cell("swiftpool (C)")
            if "swiftpool (C, avg_pool)" in t:
                ours_cell += " (avg_pool %s)" % fmt_us(t["swiftpool (C, avg_pool)"])
            torch_cell = cell("torch")
            if "torch (adaptive)" in t:
                torch_cell += " (adaptive %s)" % fmt_us(t["torch (adaptive)"])
            ort_cell = cell("ORT")
            if "ORT (GlobalAveragePool)" in t:
                ort_cell += " (Global %s)" % fmt_us(t["ORT (GlobalAveragePool)"])
            best = r["best"]
            lines.append("| %s %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["id"], r["name"], r["layout"], ours_cell, cell("swiftpool (Python)"), torch_cell,
                cell("torch channels_last"), cell("oneDNN"), ort_cell,
                "%s %s" % (best[0], fmt_us(best[1])) if best else "–",
                "**%.2fx**" % r["speedup"] if r["speedup"] else "–",
                cell("copy floor"), "%.0f%%" % (100 * r["bandwidth"]) if r["bandwidth"] else "–"))
        lines.append("")
    if notes:
        lines.append("## Notes")
        lines.append("")
        lines.extend("- " + n for n in notes)
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def write_png(path, rows, args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5))
    for ax, key, title, target in ((axes[0], "speedup", "speed-up over the best anchor", 1.2),
                                   (axes[1], "bandwidth", "fraction of copy bandwidth", 0.8)):
        labels = sorted({(r.get("label", r["id"]), r["layout"]) for r in rows},
                        key=lambda k: (int(k[0].split()[0]), k[0], k[1]))
        width = 0.8 / max(len(args.threads), 1)
        for i, threads in enumerate(args.threads):
            values = []
            for lab in labels:
                match = [r for r in rows if (r.get("label", r["id"]), r["layout"]) == lab and r["threads"] == threads]
                values.append(match[0][key] or 0 if match else 0)
            ax.bar([k + i * width for k in range(len(labels))], values, width,
                   label="%d thread%s" % (threads, "" if threads == 1 else "s"))
        ax.axhline(target, color="k", linestyle="--", linewidth=1)
        if key == "speedup":
            ax.set_yscale("log")  # the per-call-overhead workload is far above the others
        ax.set_xticks([k + width * (len(args.threads) - 1) / 2 for k in range(len(labels))])
        ax.set_xticklabels(["%s %s" % lab for lab in labels], rotation=45, ha="right")
        ax.set_title(title + " (target %s)" % target)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# ---------------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--min-batch", type=float, default=0.03, help="seconds per timed batch")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--only", default="", help="comma-separated workload ids")
    p.add_argument("--quick", action="store_true", help="3 rounds, short batches")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results.md"))
    p.add_argument("--png", default=os.path.join(ROOT, "bench", "results.png"))
    p.add_argument("--json", default=os.path.join(ROOT, "bench", "results.json"),
                   help="raw results (written after a run, read by --replot)")
    p.add_argument("--replot", action="store_true", help="rewrite the Markdown and PNG from --json, no timing")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.min_batch = 3, 0.01
    args.threads = [int(t) for t in args.threads.split(",")]
    only = set(filter(None, args.only.split(",")))
    if args.replot:
        with open(args.json) as f:
            saved = json.load(f)
        args.rounds, args.threads = saved["rounds"], saved["threads"]
        write_markdown(args.out, saved["rows"], saved["info"], saved["notes"], args)
        write_png(args.png, saved["rows"], args)
        print("rewrote", args.out, "and", args.png, "from", args.json)
        return

    lib = load_bench_lib()
    try:
        import torch
    except ImportError:
        torch = None
    try:
        import onnxruntime as ort
        import onnx
    except ImportError:
        ort = onnx = None
    try:
        import swiftpool as sp
        if not hasattr(sp, "set_num_threads"):
            sp = None
    except Exception:
        sp = None

    rng = random.Random(1234)
    rows, notes = [], []
    if sp is None:
        notes.append("Python binding (bindings/python, with set_num_threads) not importable: "
                     "swiftpool (Python) not measured.")
    for w in WORKLOADS:
        if only and w["id"] not in only:
            continue
        w["x"] = make_input(w)
        w["x_cl"] = channels_last(w["x"])
        if w["op"] in OPERATORS:
            w["out_shape"], w["out_shape_cl"] = OPERATORS[w["op"]]["shapes"](lib, w)
        else:
            d = make_desc(lib, w, "NCHW")
            sizes = (ctypes.c_int64 * 3)()
            n = ctypes.c_int64(0)
            lib.swiftpool_pool_output_shape(ctypes.byref(d), sizes, ctypes.byref(n))
            spatial = tuple(sizes[i] for i in range(len(w["kernel"])))
            w["out_shape"] = w["shape"][:2] + spatial
            w["out_shape_cl"] = (w["shape"][0],) + spatial + (w["shape"][1],)
        rank = len(w["shape"]) - 2
        for layout in w["layouts"]:
            for threads in args.threads:
                impls, results = {}, {}
                impls["swiftpool (C)"], results["swiftpool (C)"] = ours_c(lib, w, layout, threads)
                if w.get("global_pool"):
                    impls["swiftpool (C, avg_pool)"], results["swiftpool (C, avg_pool)"] = window_ours_c(
                        lib, w, layout, threads)
                if sp is not None:
                    impls["swiftpool (Python)"], results["swiftpool (Python)"] = ours_python(sp, w, layout, threads)
                anchors = []

                def add_anchor(name, build):
                    """Adds an anchor that builds and runs once; one that cannot (an op, dtype
                    or size the framework lacks) is left out with a note."""
                    try:
                        built = build()
                        if built is None:
                            return
                        built[0](1)
                    except Exception as e:
                        notes.append("%s unavailable for workload %s %s %s: %s" % (
                            name, w["id"], w.get("dtype", "float32"), layout, str(e).splitlines()[0][:160]))
                        return
                    impls[name], results[name] = built
                    anchors.append(name)

                if torch is not None:
                    if layout == "NCHW":
                        add_anchor("torch", lambda: torch_impl(torch, w, layout, threads, "nchw"))
                        if torch.backends.mkldnn.is_available() and rank == 2:
                            add_anchor("oneDNN", lambda: torch_impl(torch, w, layout, threads, "onednn"))
                        if w.get("global_pool"):
                            add_anchor("torch (adaptive)", lambda: torch_impl(torch, w, layout, threads, "adaptive"))
                    elif rank >= 2:
                        add_anchor("torch channels_last",
                                   lambda: torch_impl(torch, w, layout, threads, "channels_last"))
                if ort is not None and layout == "NCHW":
                    add_anchor("ORT", lambda: ort_impl(ort, onnx, w, threads))
                    if w.get("global_pool"):
                        add_anchor("ORT (GlobalAveragePool)", lambda: ort_impl(ort, onnx, w, threads, global_node=True))
                impls["copy floor"], _ = copy_floor(lib, w, threads)
                samples = time_interleaved(impls, args.rounds, args.min_batch, rng)
                times = {k: statistics.median(v) for k, v in samples.items()}
                # Cross-check every output against torch's NCHW result.
                reference = None
                if torch is not None:
                    try:
                        ref_run, ref_result = torch_impl(torch, w, "NCHW", threads, "nchw")
                        ref_run(1)
                        reference = ref_result()
                    except Exception as e:
                        notes.append("workload %s %s: no torch reference to check against (%s)"
                                     % (w["id"], w.get("dtype", "float32"), str(e).splitlines()[0][:160]))
                for name, res in results.items():
                    note = check(name, res(), reference, w["op"]) if res else ""
                    if note:
                        notes.append("workload %s %s, %d threads: %s" % (w["id"], layout, threads, note))
                best = min(((a, times[a]) for a in anchors), key=lambda kv: kv[1]) if anchors else None
                ours = times["swiftpool (C)"]
                dtype = w.get("dtype", "float32")
                row = dict(id=w["id"], label=w["id"] if dtype == "float32" else "%s %s" % (w["id"], dtype),
                           name=w["name"], layout=layout, threads=threads, times=times, best=best,
                           speedup=best[1] / ours if best else None, bandwidth=times["copy floor"] / ours)
                rows.append(row)
                print("%-10s %-4s %dT  ours %9s us  best %-24s %9s us  speed-up %5s  copy %8s us (%3.0f%%)%s" % (
                    row["label"], layout, threads, fmt_us(ours), best[0] if best else "-", fmt_us(best[1]) if best else "-",
                    "%.2fx" % row["speedup"] if best else "-", fmt_us(times["copy floor"]), 100 * row["bandwidth"],
                    ("  py %s us" % fmt_us(times["swiftpool (Python)"])) if "swiftpool (Python)" in times else ""),
                    flush=True)
    notes = list(dict.fromkeys(notes))  # one note per distinct message
    info = machine_info(lib, torch, ort)
    with open(args.json, "w") as f:
        json.dump({"rounds": args.rounds, "threads": args.threads, "info": info, "notes": notes, "rows": rows}, f,
                  indent=1)
    write_markdown(args.out, rows, info, notes, args)
    try:
        write_png(args.png, rows, args)
    except ImportError:
        notes.append("matplotlib missing: no chart")
    print("wrote", args.out, "and", args.png)
    for n in notes:
        print("note:", n)


if __name__ == "__main__":
    main()
