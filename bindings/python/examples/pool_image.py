#!/usr/bin/env python3
"""Pool a photo with swiftpool: python pool_image.py IMAGE OUTDIR

Reads IMAGE with Pillow into a float32 numpy array in [0, 1], runs
  * 2x2 stride-2 max pooling,
  * 2x2 average pooling (stride = kernel_size by default),
  * 3x3 stride-2 max pooling with padding 1 (and its indices),
each in both layouts -- NCHW (1, 3, H, W) and NHWC (1, H, W, 3), the photo's own
memory order -- checks that the two layouts agree bit for bit, saves
OUTDIR/py_*.png and prints shapes and the time per call.
"""

import os
import sys
import time

import numpy as np

try:
    from PIL import Image
except ImportError:  # pragma: no cover
    sys.exit("pool_image.py needs Pillow: pip install pillow (or `make deps`)")

import swiftpool


def time_per_call(fn, budget=0.25, min_runs=3):
    """Median wall time of fn() in seconds, over ~budget seconds."""
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < budget and len(times) < 1000):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def fmt_time(seconds):
    return "%8.1f us" % (seconds * 1e6) if seconds < 1e-3 else "%8.2f ms" % (seconds * 1e3)


def to_png(nhwc, path):
    """(1, H, W, 3) float in [0, 1] -> 8-bit RGB PNG."""
    rgb = np.clip(nhwc[0] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    Image.fromarray(rgb, "RGB").save(path)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    image_path, outdir = argv[1], argv[2]
    os.makedirs(outdir, exist_ok=True)

    print("swiftpool %s (library %s, %s kernels, %d threads) at %s" % (
        swiftpool.__version__, swiftpool.version(), swiftpool.isa(),
        swiftpool.get_num_threads(), swiftpool.library_path))
    with Image.open(image_path) as img:
        hwc = np.asarray(img.convert("RGB"), dtype=np.float32) / np.float32(255.0)
    nhwc = hwc[None]                                    # (1, H, W, 3): C-contiguous
    nchw = np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2))  # (1, 3, H, W)
    print("input %s: NHWC %s, NCHW %s, float32" % (image_path, nhwc.shape, nchw.shape))

    ops = [
        ("max2x2s2", "2x2 stride-2 max pooling",
         lambda x, layout: swiftpool.max_pool2d(x, 2, stride=2, layout=layout)),
        ("avg2x2", "2x2 average pooling",
         lambda x, layout: swiftpool.avg_pool2d(x, 2, layout=layout)),
        ("max3x3s2", "3x3 stride-2 max pooling, padding 1, with indices",
         lambda x, layout: swiftpool.max_pool2d(x, 3, stride=2, padding=1, return_indices=True,
                                                layout=layout)),
    ]
    ok = True
    for tag, title, op in ops:
        r_nchw = op(nchw, "NCHW")
        r_nhwc = op(nhwc, "NHWC")
        if isinstance(r_nchw, tuple):
            (v_nchw, i_nchw), (v_nhwc, i_nhwc) = r_nchw, r_nhwc
            same_idx = np.array_equal(i_nchw, i_nhwc.transpose(0, 3, 1, 2))
        else:
            v_nchw, v_nhwc, same_idx = r_nchw, r_nhwc, True
        same = np.array_equal(v_nchw.view(np.uint32),
                              np.ascontiguousarray(v_nhwc.transpose(0, 3, 1, 2)).view(np.uint32))
        ok &= same and same_idx
        t_nchw = time_per_call(lambda: op(nchw, "NCHW"))
        t_nhwc = time_per_call(lambda: op(nhwc, "NHWC"))
        png = os.path.join(outdir, "py_%s.png" % tag)
        to_png(v_nhwc, png)
        print("%-50s NCHW %s -> %s %s | NHWC %s -> %s %s | layouts agree: %s -> %s" % (
            title, nchw.shape, v_nchw.shape, fmt_time(t_nchw), nhwc.shape, v_nhwc.shape,
            fmt_time(t_nhwc), "yes" if same and same_idx else "NO", png))

    # Fixed cost of one call (argument handling, descriptor, two C calls).
    tiny = np.zeros((1, 1, 2, 2), np.float32)
    print("per-call overhead (1x1x2x2 input, max_pool2d): %s" %
          fmt_time(time_per_call(lambda: swiftpool.max_pool2d(tiny, 2))).strip())
    if not ok:
        print("error: NCHW and NHWC results differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
