"""swiftpool: pooling layers (1D/2D/3D) backed by libswiftpool.

Max, average, LP, adaptive max/average, spatial pyramid, max-unpooling, fractional
max and ROI max pooling, forward; the backward passes of max and average pooling
(``max_pool{1,2,3}d_with_indices_backward``, ``avg_pool{1,2,3}d_backward``, as
``torch.ops.aten``); ONNX operators in ``swiftpool.onnx``.

A thin ctypes binding of the C library ``libswiftpool.so`` (include/swiftpool.h).
The functions mirror ``torch.nn.functional`` (same positional/keyword arguments and
defaults) and take/return numpy arrays (CPU torch tensors are accepted as input),
plus keyword-only ``layout="NCHW"|"NHWC"`` and ``out=``::

    import numpy as np, swiftpool
    x = np.random.rand(1, 3, 32, 32).astype(np.float32)
    y, idx = swiftpool.max_pool2d(x, 2, return_indices=True)   # (1, 3, 16, 16)
    z = swiftpool.avg_pool2d(x.transpose(0, 2, 3, 1).copy(), 3, 1, 1, layout="NHWC")

The library is searched in ``$SWIFTPOOL_LIBRARY``, next to this package, in the
repository's ``build/lib`` and through the system loader (see ``swiftpool._lib``).
"""

from ._version import __version__
from ._lib import library_path, lib as _c
from .functional import (
    LAYOUTS,
    SUPPORTED_DTYPES,
    SwiftPoolError,
    SwiftPoolInternalError,
    SwiftPoolMemoryError,
    SwiftPoolTypeError,
    SwiftPoolValueError,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)

__all__ = [
    "__version__", "version", "version_number", "library_path",
    "set_num_threads", "get_num_threads", "isa",
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "SwiftPoolError", "SwiftPoolValueError", "SwiftPoolTypeError", "SwiftPoolMemoryError",
    "SwiftPoolInternalError", "SUPPORTED_DTYPES", "LAYOUTS",
]

# Max unpooling, fractional and ROI max pooling (max_unpool*, fractional_max_pool*, roi_pool, ...).
from ._unpool_fractional_roi import *  # noqa: E402,F401,F403
from ._unpool_fractional_roi import __all__ as _unpool_fractional_roi_all  # noqa: E402
__all__ += _unpool_fractional_roi_all


# LP, adaptive, global and spatial pyramid pooling (lp_pool*, adaptive_*, global_*, spatial_pyramid_pool).
from ._lp_adaptive_spp import *  # noqa: E402,F401,F403
from ._lp_adaptive_spp import __all__ as _lp_adaptive_spp_all  # noqa: E402
__all__ += _lp_adaptive_spp_all


# Backward passes (max_pool{1,2,3}d_with_indices_backward), named as PyTorch's aten operators.
from ._backward import *  # noqa: E402,F401,F403
from ._backward import __all__ as _backward_all  # noqa: E402
__all__ += _backward_all

def version():
    """Version string of the loaded C library, "MAJOR.MINOR.PATCH".

    Returns ``swiftpool_version_string()`` of the library at ``library_path``
    (``__version__`` is the version of this Python package). Raises nothing.
    """
    return _c.swiftpool_version_string().decode("ascii")


def version_number():
    """``swiftpool_version_number()`` of the loaded library: MAJOR*10000 + MINOR*100 +
    PATCH (an int). Raises nothing."""
    return int(_c.swiftpool_version_number())


def set_num_threads(num_threads):
    """Set how many threads swiftpool calls made *from the calling thread* may use
    (``swiftpool_set_num_threads``). The setting is per calling thread; ``0``
    restores the default (``$SWIFTPOOL_NUM_THREADS`` when it is a positive integer,
    else the number of online CPUs). Results are bitwise identical for every count.

    Raises:
        TypeError: ``num_threads`` is not an int.
        ValueError: ``num_threads`` is negative or does not fit in int32 (the
            library's message, for a negative count).
    """
    import operator
    n = operator.index(num_threads)
    if not -(1 << 31) <= n < (1 << 31):
        raise ValueError("set_num_threads: num_threads = %d does not fit in int32" % n)
    status = _c.swiftpool_set_num_threads(n)
    if status:
        from .functional import _raise_c_error
        _raise_c_error("set_num_threads", status, None)


def get_num_threads():
    """Number of threads swiftpool calls from the calling thread will use (>= 1),
    ``swiftpool_get_num_threads()``. Raises nothing."""
    return int(_c.swiftpool_get_num_threads())


def isa():
    """Kernel family the library chose for this CPU ("avx2" or "baseline"; capped by
    ``$SWIFTPOOL_MAX_ISA``), ``swiftpool_isa()``. Raises nothing."""
    return _c.swiftpool_isa().decode("ascii")
