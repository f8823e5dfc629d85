"""Hardening of the Python binding: regressions for bugs the fuzzer
(test_fuzz_binding.py) found, and fork safety with multiprocessing's 'fork'
start method (what PyTorch's DataLoader workers use on Linux).
"""

import multiprocessing
import os
import threading

import numpy as np
import pytest

import swiftpool
import swiftpool.onnx


# ---------------------------------------------------------------------------
# Regressions (each raised something other than ValueError/TypeError before)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(kernel_shape=[float("inf")]),            # int(inf): OverflowError
    dict(kernel_shape=[2], strides=[float("inf")]),
    dict(kernel_shape=[2 ** 70]),                 # ctypes int64 field: struct.error
    dict(kernel_shape=[2], pads=[2 ** 64, 0]),
    dict(kernel_shape=[2], dilations=[-2 ** 63 - 1]),
])
def test_onnx_integer_attributes_out_of_int64_are_value_errors(kwargs):
    x = np.zeros((1, 1, 4), np.float32)
    with pytest.raises(ValueError, match="kernel_shape|strides|pads|dilations"):
        swiftpool.onnx.max_pool(x, **kwargs)


def test_onnx_unpool_output_shape_out_of_int64_is_a_value_error():
    x = np.ones((1, 1, 2), np.float32)
    i = np.array([[[0, 2]]], np.int64)
    with pytest.raises(ValueError, match="output_shape"):
        swiftpool.onnx.max_unpool(x, i, [1, 1, float("inf")], kernel_shape=[2])


def test_unpool_output_size_with_a_scalar_input_is_a_value_error():
    # Indexed the input's shape before checking its rank: IndexError.
    with pytest.raises(ValueError, match="dimensions"):
        swiftpool.max_unpool1d(np.array(1.5, np.float32), np.array(3), kernel_size=2, output_size=(4,))


def test_fractional_infinite_output_ratio_is_a_value_error():
    # int(in * inf): OverflowError.
    x = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(ValueError, match="output_ratio"):
        swiftpool.fractional_max_pool2d(x, kernel_size=2, output_ratio=float("inf"))


# ---------------------------------------------------------------------------
# fork(): the library used, then a 'fork' pool (DataLoader-style) uses it again
# ---------------------------------------------------------------------------

def _work(seed):
    """Pooling results for one seed (max with indices, avg, NHWC, fractional)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 5, 17, 19)).astype(np.float32)
    values, indices = swiftpool.max_pool2d(x, 3, 2, 1, return_indices=True)
    avg = swiftpool.avg_pool2d(x, 2, ceil_mode=True, count_include_pad=False)
    nhwc = swiftpool.max_pool2d(np.ascontiguousarray(x.transpose(0, 2, 3, 1)), 2, layout="NHWC")
    frac = swiftpool.fractional_max_pool2d(x, 2, output_size=(7, 8), seed=seed)
    try:
        swiftpool.max_pool2d(x, 0)
        error = None
    except ValueError as exc:  # thread-local error message in the child too
        error = str(exc)
    return values, indices, avg, nhwc, frac, error, swiftpool.get_num_threads()


def _child(args):
    seed, threads = args
    swiftpool.set_num_threads(threads)
    return _work(seed)[:-1]


def _same(a, b):
    for u, v in zip(a, b):
        if isinstance(u, np.ndarray):
            assert u.dtype == v.dtype and u.shape == v.shape and u.tobytes() == v.tobytes()
        else:
            assert u == v


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_fork_pool_after_use_gives_the_same_results_and_does_not_hang():
    swiftpool.set_num_threads(4)
    expected = {seed: _work(seed)[:-1] for seed in range(6)}
    # Other threads inside the library while forking (a DataLoader's main process
    # has them: pin-memory thread, prefetchers).
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            _work(99)

    threads = [threading.Thread(target=busy) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(2) as pool:
            # A hang (a lock held across fork) fails here instead of blocking CI.
            got = pool.map_async(_child, [(seed, 1 + seed % 3) for seed in range(6)]).get(timeout=120)
    finally:
        stop.set()
        for t in threads:
            t.join()
    for seed, result in zip(range(6), got):
        _same(result, expected[seed])
    # And the parent still works, with its own thread setting.
    assert swiftpool.get_num_threads() == 4
    _same(_work(3)[:-1], expected[3])
    swiftpool.set_num_threads(0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_nested_fork_child_of_child():
    expected = _work(5)[:-1]
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()

    def grandchild(queue):
        queue.put(_work(5)[:-1])

    def child(queue):
        p = ctx.Process(target=grandchild, args=(queue,))
        p.start()
        p.join(60)
        queue.put(_work(5)[:-1])

    p = ctx.Process(target=child, args=(q,))
    p.start()
    results = [q.get(timeout=120), q.get(timeout=120)]
    p.join(60)
    assert p.exitcode == 0
    for r in results:
        _same(r, expected)
