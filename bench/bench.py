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

Adding a workload: append to WORKLOADS (op "max" or "avg" here; operators from
other files register in OPERATORS with their swiftpool, torch and ONNX builders).
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
# Workloads (float32). The ids follow the performance issue; 5 (adaptive average
# 8x256x13x13 -> 6x6) and 6 (SPP (4,2,1)) belong to operators added elsewhere:
# register them in OPERATORS / WORKLOADS when those operators land.
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
    dict(id="7", name="tiny max 1x16x8x8 k2 s2", op="max",
         shape=(1, 16, 8, 8), kernel=(2, 2), stride=(2, 2), padding=(0, 0), layouts=("NCHW",)),
    dict(id="9", name="1D max 32x256x1024 k3 s2 p1", op="max",
         shape=(32, 256, 1024), kernel=(3,), stride=(2,), padding=(1,), layouts=("NCHW",)),
    dict(id="10", name="3D max 2x64x16x56x56 k3 s2 p1", op="max",
         shape=(2, 64, 16, 56, 56), kernel=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1), layouts=("NCHW", "NHWC")),
]

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
    rank = len(w["kernel"])
    d = Desc()
    lib.swiftpool_pool_desc_init(ctypes.byref(d), rank)
    d.layout = 1 if layout == "NCHW" else 2
    d.batch, d.channels = w["shape"][0], w["shape"][1]
    for i in range(rank):
        d.input_size[i] = w["shape"][2 + i]
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
    x = w["x"] if layout == "NCHW" else w["x_cl"]
    d = make_desc(lib, w, layout)
    n = ctypes.c_int64(0)
    lib.swiftpool_pool_output_shape(ctypes.byref(d), None, ctypes.byref(n))
    out = np.empty(n.value, dtype=np.float32)
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
    rank = len(w["kernel"])
    if w["op"] == "max":
        f = getattr(sp, "max_pool%dd" % rank)
        call = lambda: f(x, w["kernel"], w["stride"], w["padding"], layout=layout)
    else:
        f = getattr(sp, "avg_pool%dd" % rank)
        call = lambda: f(x, w["kernel"], w["stride"], w["padding"],
                         count_include_pad=w.get("count_include_pad", True), layout=layout)
    box = {}

    def run(iters):
        sp.set_num_threads(threads)
        t0 = time.perf_counter()
        for _ in range(iters):
            box["y"] = call()
        return (time.perf_counter() - t0) / iters

    def result():
        y = box["y"]
        return y if layout == "NCHW" else to_channels_first(y)

    return run, result


def torch_impl(torch, w, layout, threads, variant):
    import torch.nn.functional as F
    rank = len(w["kernel"])
    x = torch.from_numpy(w["x"])
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
    from onnx import TensorProto, helper
    rank = len(w["kernel"])
    if global_node:
        node = helper.make_node("GlobalAveragePool", ["X"], ["Y"])
    elif w["op"] == "max":
        node = helper.make_node("MaxPool", ["X"], ["Y"], kernel_shape=list(w["kernel"]), strides=list(w["stride"]),
                                pads=list(w["padding"]) * 2)
    else:
        node = helper.make_node("AveragePool", ["X"], ["Y"], kernel_shape=list(w["kernel"]),
                                strides=list(w["stride"]), pads=list(w["padding"]) * 2,
                                count_include_pad=0 if w.get("count_include_pad") is False else 1)
    graph = helper.make_graph([node], "pool",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, list(w["shape"]))],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feed = {"X": w["x"]}
    box = {}

    def run(iters):
        t0 = time.perf_counter()
        for _ in range(iters):
            box["y"] = sess.run(None, feed)[0]
        return (time.perf_counter() - t0) / iters

    return run, lambda: box["y"].reshape(w["out_shape"])


def copy_floor(lib, w, threads):
    x = w["x"]
    out = np.empty(int(np.prod(w["out_shape"])), dtype=np.float32)
    secs = ctypes.c_double(0)

    def run(iters):
        lib.spb_time_copy(x.ctypes.data, x.nbytes, out.ctypes.data, out.nbytes, threads, iters, ctypes.byref(secs))
        return secs.value

    return run, None


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
    if op == "max":
        ok = np.array_equal(got, want, equal_nan=True)
    else:
        ok = np.allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)
    return "" if ok else "%s differs from torch (max abs diff %g)" % (name, float(np.nanmax(np.abs(got - want))))


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def fmt_us(seconds):
    us = seconds * 1e6
    return "%.2f" % us if us < 10 else "%.1f" % us if us < 1000 else "%.0f" % us


def machine_info(lib, torch, ort):
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
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
                 "swiftpool (Py) our Python binding (allocating), comparable with the anchors for per-call overhead.")
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
            torch_cell = cell("torch")
            if "torch (adaptive)" in t:
                torch_cell += " (adaptive %s)" % fmt_us(t["torch (adaptive)"])
            ort_cell = cell("ORT")
            if "ORT (GlobalAveragePool)" in t:
                ort_cell += " (Global %s)" % fmt_us(t["ORT (GlobalAveragePool)"])
            best = r["best"]
            lines.append("| %s %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["id"], r["name"], r["layout"], cell("swiftpool (C)"), cell("swiftpool (Python)"), torch_cell,
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
        labels = sorted({(r["id"], r["layout"]) for r in rows}, key=lambda k: (int(k[0]), k[1]))
        width = 0.8 / max(len(args.threads), 1)
        for i, threads in enumerate(args.threads):
            values = []
            for lab in labels:
                match = [r for r in rows if (r["id"], r["layout"]) == lab and r["threads"] == threads]
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
        gen = np.random.default_rng(42)
        w["x"] = gen.standard_normal(w["shape"], dtype=np.float32)
        w["x_cl"] = channels_last(w["x"])
        d = make_desc(lib, w, "NCHW")
        sizes = (ctypes.c_int64 * 3)()
        n = ctypes.c_int64(0)
        lib.swiftpool_pool_output_shape(ctypes.byref(d), sizes, ctypes.byref(n))
        spatial = tuple(sizes[i] for i in range(len(w["kernel"])))
        w["out_shape"] = w["shape"][:2] + spatial
        w["out_shape_cl"] = (w["shape"][0],) + spatial + (w["shape"][1],)
        for layout in w["layouts"]:
            for threads in args.threads:
                impls, results = {}, {}
                impls["swiftpool (C)"], results["swiftpool (C)"] = ours_c(lib, w, layout, threads)
                if sp is not None:
                    impls["swiftpool (Python)"], results["swiftpool (Python)"] = ours_python(sp, w, layout, threads)
                anchors = []
                if torch is not None:
                    rank = len(w["kernel"])
                    if layout == "NCHW":
                        impls["torch"], results["torch"] = torch_impl(torch, w, layout, threads, "nchw")
                        anchors.append("torch")
                        if torch.backends.mkldnn.is_available() and rank == 2:
                            try:
                                impls["oneDNN"], results["oneDNN"] = torch_impl(torch, w, layout, threads, "onednn")
                                impls["oneDNN"](1)
                                anchors.append("oneDNN")
                            except Exception as e:  # not every op/rank has a oneDNN kernel
                                impls.pop("oneDNN", None)
                                notes.append("oneDNN unavailable for workload %s: %s" % (w["id"], e))
                        if w.get("global_pool"):
                            impls["torch (adaptive)"], results["torch (adaptive)"] = \
                                torch_impl(torch, w, layout, threads, "adaptive")
                            anchors.append("torch (adaptive)")
                    elif rank >= 2:
                        impls["torch channels_last"], results["torch channels_last"] = \
                            torch_impl(torch, w, layout, threads, "channels_last")
                        anchors.append("torch channels_last")
                if ort is not None and layout == "NCHW":
                    impls["ORT"], results["ORT"] = ort_impl(ort, onnx, w, threads)
                    anchors.append("ORT")
                    if w.get("global_pool"):
                        impls["ORT (GlobalAveragePool)"], results["ORT (GlobalAveragePool)"] = \
                            ort_impl(ort, onnx, w, threads, global_node=True)
                        anchors.append("ORT (GlobalAveragePool)")
                impls["copy floor"], _ = copy_floor(lib, w, threads)
                samples = time_interleaved(impls, args.rounds, args.min_batch, rng)
                times = {k: statistics.median(v) for k, v in samples.items()}
                # Cross-check every output against torch's NCHW result.
                reference = None
                if torch is not None:
                    ref_run, ref_result = torch_impl(torch, w, "NCHW", threads, "nchw")
                    ref_run(1)
                    reference = ref_result()
                for name, res in results.items():
                    note = check(name, res(), reference, w["op"]) if res else ""
                    if note:
                        notes.append("workload %s %s, %d threads: %s" % (w["id"], layout, threads, note))
                best = min(((a, times[a]) for a in anchors), key=lambda kv: kv[1]) if anchors else None
                ours = times["swiftpool (C)"]
                row = dict(id=w["id"], name=w["name"], layout=layout, threads=threads, times=times, best=best,
                           speedup=best[1] / ours if best else None, bandwidth=times["copy floor"] / ours)
                rows.append(row)
                print("%-3s %-4s %dT  ours %9s us  best %-24s %9s us  speed-up %5s  copy %8s us (%3.0f%%)%s" % (
                    w["id"], layout, threads, fmt_us(ours), best[0] if best else "-", fmt_us(best[1]) if best else "-",
                    "%.2fx" % row["speedup"] if best else "-", fmt_us(times["copy floor"]), 100 * row["bandwidth"],
                    ("  py %s us" % fmt_us(times["swiftpool (Python)"])) if "swiftpool (Python)" in times else ""),
                    flush=True)
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
