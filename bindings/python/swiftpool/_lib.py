"""Loads libswiftpool and declares its C API (include/swiftpool.h) with ctypes.

Search order (the first library that loads, exports every function declared
below and has a compatible version wins):

1. ``$SWIFTPOOL_LIBRARY`` -- when set (non-empty) it is the *only* candidate: an
   explicit choice that cannot be honoured is an error, never silently replaced
   by another copy of the library;
2. next to the package: ``swiftpool/libswiftpool.so*``;
3. the repository build: ``<repo>/build/lib/libswiftpool.so``, relative to this
   file (``bindings/python/swiftpool/_lib.py``);
4. the system loader: ``libswiftpool.so.0`` (LD_LIBRARY_PATH, ld.so.cache, ...).

On failure ``ImportError`` is raised listing every path tried and why it failed.

Every C function gets ``argtypes``/``restype``; its C prototype is in the comment
above the declaration. Data pointers of the operators are declared ``c_void_p``
(the same ABI as ``float*``/``int64_t*``) so that raw addresses (Python ints) can
be passed without building a ctypes pointer object per call.
"""

import ctypes
import glob
import os
from ctypes import (POINTER, Structure, c_char_p, c_double, c_int32, c_int64, c_uint32,
                    c_uint64, c_void_p)

from ._version import EXPECTED_ABI_MAJOR, MINIMUM_LIBRARY_VERSION

__all__ = [
    "lib", "library_path", "default_desc", "PoolDesc", "MAX_SPATIAL_RANK", "FUNCTIONS",
    "STATUS_NAMES", "find_and_load",
]

# ---------------------------------------------------------------------------
# Constants mirrored from include/swiftpool.h (values are pinned by the header).
# ---------------------------------------------------------------------------

MAX_SPATIAL_RANK = 3  # SWIFTPOOL_MAX_SPATIAL_RANK

# typedef enum swiftpool_status
OK = 0
ERROR_NULL_POINTER = 1
ERROR_INVALID_ARGUMENT = 2
ERROR_INVALID_SHAPE = 3
ERROR_OVERFLOW = 4
ERROR_BUFFER_TOO_SMALL = 5
ERROR_UNSUPPORTED = 6
ERROR_OUT_OF_MEMORY = 7
ERROR_INTERNAL = 99
STATUS_NAMES = {
    OK: "SWIFTPOOL_OK",
    ERROR_NULL_POINTER: "SWIFTPOOL_ERROR_NULL_POINTER",
    ERROR_INVALID_ARGUMENT: "SWIFTPOOL_ERROR_INVALID_ARGUMENT",
    ERROR_INVALID_SHAPE: "SWIFTPOOL_ERROR_INVALID_SHAPE",
    ERROR_OVERFLOW: "SWIFTPOOL_ERROR_OVERFLOW",
    ERROR_BUFFER_TOO_SMALL: "SWIFTPOOL_ERROR_BUFFER_TOO_SMALL",
    ERROR_UNSUPPORTED: "SWIFTPOOL_ERROR_UNSUPPORTED",
    ERROR_OUT_OF_MEMORY: "SWIFTPOOL_ERROR_OUT_OF_MEMORY",
    ERROR_INTERNAL: "SWIFTPOOL_ERROR_INTERNAL",
}

# typedef enum swiftpool_dtype (FLOAT16..INT8 are reserved: UNSUPPORTED today)
DTYPE_FLOAT32 = 1
DTYPE_FLOAT64 = 2
DTYPE_FLOAT16 = 3
DTYPE_BFLOAT16 = 4
DTYPE_UINT8 = 5
DTYPE_INT8 = 6

# typedef enum swiftpool_layout
LAYOUT_NCHW = 1
LAYOUT_NHWC = 2

# typedef enum swiftpool_auto_pad
AUTO_PAD_NOTSET = 0
AUTO_PAD_VALID = 1
AUTO_PAD_SAME_UPPER = 2
AUTO_PAD_SAME_LOWER = 3

# SWIFTPOOL_FLAG_* bits of swiftpool_pool_desc.flags (the torch-style API uses none)
FLAG_NAN_IGNORE = 1 << 0
FLAG_INDICES_GLOBAL = 1 << 1
FLAG_INDICES_COLUMN_MAJOR = 1 << 2
FLAG_LP_ONNX = 1 << 3

# typedef enum swiftpool_spp_mode / swiftpool_spp_bins (spatial pyramid pooling)
SPP_MAX = 1
SPP_AVG = 2
SPP_BINS_ADAPTIVE = 1
SPP_BINS_SPPNET = 2

_I64x3 = c_int64 * MAX_SPATIAL_RANK


class PoolDesc(Structure):
    """``swiftpool_pool_desc``: same fields, order and types as the header."""

    _fields_ = [
        ("struct_size", c_uint32),          # uint32_t struct_size;
        ("dtype", c_int32),                 # int32_t dtype;
        ("layout", c_int32),                # int32_t layout;
        ("spatial_rank", c_int32),          # int32_t spatial_rank;
        ("batch", c_int64),                 # int64_t batch;
        ("channels", c_int64),              # int64_t channels;
        ("input_size", _I64x3),             # int64_t input_size[SWIFTPOOL_MAX_SPATIAL_RANK];
        ("kernel_size", _I64x3),            # int64_t kernel_size[SWIFTPOOL_MAX_SPATIAL_RANK];
        ("stride", _I64x3),                 # int64_t stride[SWIFTPOOL_MAX_SPATIAL_RANK];
        ("padding", _I64x3),                # int64_t padding[SWIFTPOOL_MAX_SPATIAL_RANK];
        ("padding_end", _I64x3),            # int64_t padding_end[SWIFTPOOL_MAX_SPATIAL_RANK];
        ("dilation", _I64x3),               # int64_t dilation[SWIFTPOOL_MAX_SPATIAL_RANK];
        ("ceil_mode", c_int32),             # int32_t ceil_mode;
        ("count_include_pad", c_int32),     # int32_t count_include_pad;
        ("divisor_override", c_int64),      # int64_t divisor_override;
        ("auto_pad", c_int32),              # int32_t auto_pad;
        ("flags", c_uint32),                # uint32_t flags;
    ]


# Names of every function declared in include/swiftpool.h (a test checks that this
# list, the header and the library's exports agree).
FUNCTIONS = (
    "swiftpool_version_number",
    "swiftpool_version_string",
    "swiftpool_status_string",
    "swiftpool_last_error_message",
    "swiftpool_set_num_threads",
    "swiftpool_get_num_threads",
    "swiftpool_isa",
    "swiftpool_pool_desc_init",
    "swiftpool_pool_output_shape",
    "swiftpool_max_pool_forward",
    "swiftpool_avg_pool_forward",
    "swiftpool_max_pool_backward",
    "swiftpool_avg_pool_backward",
    "swiftpool_max_unpool_forward",
    "swiftpool_max_unpool_output_shape",
    "swiftpool_fractional_max_pool_forward",
    "swiftpool_roi_max_pool_forward",
    "swiftpool_lp_pool_forward",
    "swiftpool_adaptive_max_pool_forward",
    "swiftpool_adaptive_avg_pool_forward",
    "swiftpool_spatial_pyramid_pool_output_length",
    "swiftpool_spatial_pyramid_pool_forward",
)


class _CandidateError(Exception):
    """A candidate library was found but is unusable (missing symbol, version)."""


def _declare(cdll):
    """Set argtypes/restype of every C function on ``cdll``."""

    def fn(name, restype, argtypes):
        try:
            f = getattr(cdll, name)
        except AttributeError:
            raise _CandidateError("does not export %s (incomplete or foreign build?)" % name)
        f.restype = restype
        f.argtypes = argtypes

    # uint32_t swiftpool_version_number(void);
    fn("swiftpool_version_number", c_uint32, [])
    # const char *swiftpool_version_string(void);
    fn("swiftpool_version_string", c_char_p, [])
    # const char *swiftpool_status_string(int32_t status);
    fn("swiftpool_status_string", c_char_p, [c_int32])
    # const char *swiftpool_last_error_message(void);
    fn("swiftpool_last_error_message", c_char_p, [])
    # int32_t swiftpool_set_num_threads(int32_t num_threads);
    fn("swiftpool_set_num_threads", c_int32, [c_int32])
    # int32_t swiftpool_get_num_threads(void);
    fn("swiftpool_get_num_threads", c_int32, [])
    # const char *swiftpool_isa(void);
    fn("swiftpool_isa", c_char_p, [])
    # int32_t swiftpool_pool_desc_init(swiftpool_pool_desc *desc, int32_t spatial_rank);
    fn("swiftpool_pool_desc_init", c_int32, [POINTER(PoolDesc), c_int32])
    # int32_t swiftpool_pool_output_shape(const swiftpool_pool_desc *desc,
    #                                     int64_t *output_size, int64_t *output_elements);
    fn("swiftpool_pool_output_shape", c_int32,
       [POINTER(PoolDesc), POINTER(c_int64), POINTER(c_int64)])
    # int32_t swiftpool_max_pool_forward(const swiftpool_pool_desc *desc,
    #                                    const void *input, int64_t input_len,
    #                                    void *output, int64_t output_len,
    #                                    int64_t *indices, int64_t indices_len);
    # (indices declared c_void_p: same ABI as int64_t*, takes a raw address)
    fn("swiftpool_max_pool_forward", c_int32,
       [POINTER(PoolDesc), c_void_p, c_int64, c_void_p, c_int64, c_void_p, c_int64])
    # int32_t swiftpool_avg_pool_forward(const swiftpool_pool_desc *desc,
    #                                    const void *input, int64_t input_len,
    #                                    void *output, int64_t output_len);
    fn("swiftpool_avg_pool_forward", c_int32,
       [POINTER(PoolDesc), c_void_p, c_int64, c_void_p, c_int64])
    # int32_t swiftpool_max_pool_backward(const swiftpool_pool_desc *desc,
    #                                     const void *grad_output, int64_t grad_output_len,
    #                                     const int64_t *indices, int64_t indices_len,
    #                                     void *grad_input, int64_t grad_input_len);
    fn("swiftpool_max_pool_backward", c_int32,
       [POINTER(PoolDesc), c_void_p, c_int64, c_void_p, c_int64, c_void_p, c_int64])
    # int32_t swiftpool_avg_pool_backward(const swiftpool_pool_desc *desc,
    #                                     const void *grad_output, int64_t grad_output_len,
    #                                     void *grad_input, int64_t grad_input_len);
    fn("swiftpool_avg_pool_backward", c_int32,
       [POINTER(PoolDesc), c_void_p, c_int64, c_void_p, c_int64])
    # int32_t swiftpool_max_unpool_forward(const swiftpool_pool_desc *desc,
    #                                      const int64_t *output_size,
    #                                      const void *input, int64_t input_len,
    #                                      const int64_t *indices, int64_t indices_len,
    #                                      void *output, int64_t output_len);
    fn("swiftpool_max_unpool_forward", c_int32,
       [POINTER(PoolDesc), POINTER(c_int64), c_void_p, c_int64, c_void_p, c_int64, c_void_p, c_int64])
    # int32_t swiftpool_max_unpool_output_shape(const swiftpool_pool_desc *desc,
    #                                           const int64_t *output_size,
    #                                           int64_t *result_size, int64_t *result_elements);
    fn("swiftpool_max_unpool_output_shape", c_int32,
       [POINTER(PoolDesc), POINTER(c_int64), POINTER(c_int64), POINTER(c_int64)])
    # int32_t swiftpool_fractional_max_pool_forward(const swiftpool_pool_desc *desc,
    #                                               const int64_t *output_size,
    #                                               const void *samples, int64_t samples_len,
    #                                               uint64_t seed,
    #                                               const void *input, int64_t input_len,
    #                                               void *output, int64_t output_len,
    #                                               int64_t *indices, int64_t indices_len);
    fn("swiftpool_fractional_max_pool_forward", c_int32,
       [POINTER(PoolDesc), POINTER(c_int64), c_void_p, c_int64, c_uint64, c_void_p, c_int64,
        c_void_p, c_int64, c_void_p, c_int64])
    # int32_t swiftpool_roi_max_pool_forward(const swiftpool_pool_desc *desc,
    #                                        const void *boxes, int64_t num_boxes, int64_t boxes_len,
    #                                        const int64_t *output_size, double spatial_scale,
    #                                        const void *input, int64_t input_len,
    #                                        void *output, int64_t output_len,
    #                                        int64_t *argmax, int64_t argmax_len);
    fn("swiftpool_roi_max_pool_forward", c_int32,
       [POINTER(PoolDesc), c_void_p, c_int64, c_int64, POINTER(c_int64), c_double, c_void_p,
        c_int64, c_void_p, c_int64, c_void_p, c_int64])
    # int32_t swiftpool_lp_pool_forward(const swiftpool_pool_desc *desc, double norm_type,
    #                                   const void *input, int64_t input_len,
    #                                   void *output, int64_t output_len);
    fn("swiftpool_lp_pool_forward", c_int32,
       [POINTER(PoolDesc), ctypes.c_double, c_void_p, c_int64, c_void_p, c_int64])
    # int32_t swiftpool_adaptive_max_pool_forward(const swiftpool_pool_desc *desc,
    #                                             const int64_t *output_size,
    #                                             const void *input, int64_t input_len,
    #                                             void *output, int64_t output_len,
    #                                             int64_t *indices, int64_t indices_len);
    fn("swiftpool_adaptive_max_pool_forward", c_int32,
       [POINTER(PoolDesc), POINTER(c_int64), c_void_p, c_int64, c_void_p, c_int64, c_void_p,
        c_int64])
    # int32_t swiftpool_adaptive_avg_pool_forward(const swiftpool_pool_desc *desc,
    #                                             const int64_t *output_size,
    #                                             const void *input, int64_t input_len,
    #                                             void *output, int64_t output_len);
    fn("swiftpool_adaptive_avg_pool_forward", c_int32,
       [POINTER(PoolDesc), POINTER(c_int64), c_void_p, c_int64, c_void_p, c_int64])
    # int32_t swiftpool_spatial_pyramid_pool_output_length(int64_t channels,
    #                                                      const int64_t *levels,
    #                                                      int64_t num_levels, int64_t *length);
    fn("swiftpool_spatial_pyramid_pool_output_length", c_int32,
       [c_int64, POINTER(c_int64), c_int64, POINTER(c_int64)])
    # int32_t swiftpool_spatial_pyramid_pool_forward(const swiftpool_pool_desc *desc,
    #                                                const int64_t *levels, int64_t num_levels,
    #                                                int32_t mode, int32_t bins,
    #                                                const int64_t *sizes, int64_t sizes_len,
    #                                                const void *input, int64_t input_len,
    #                                                void *output, int64_t output_len);
    # (sizes declared c_void_p: takes a numpy array's raw address, or None)
    fn("swiftpool_spatial_pyramid_pool_forward", c_int32,
       [POINTER(PoolDesc), POINTER(c_int64), c_int64, c_int32, c_int32, c_void_p, c_int64,
        c_void_p, c_int64, c_void_p, c_int64])


def _check_version(cdll):
    number = int(cdll.swiftpool_version_number())
    text = cdll.swiftpool_version_string()
    text = text.decode("utf-8", "replace") if text else "<NULL>"
    major = number // 10000
    if major != EXPECTED_ABI_MAJOR:
        raise _CandidateError(
            "has ABI major version %d (swiftpool_version_number() = %d, \"%s\"); "
            "this binding needs major version %d" % (major, number, text, EXPECTED_ABI_MAJOR))
    if number < MINIMUM_LIBRARY_VERSION:
        raise _CandidateError(
            "is too old: swiftpool_version_number() = %d (\"%s\"), this binding needs >= %d"
            % (number, text, MINIMUM_LIBRARY_VERSION))


# Scratch size for swiftpool_pool_desc_init: the library writes *its* sizeof, which
# a newer library could have grown; it must never overrun our buffer.
_INIT_SCRATCH_BYTES = 4096


def _check_desc(cdll):
    """The library's swiftpool_pool_desc must be the one mirrored here. Returns the
    library's defaults (desc_init for rank 3) as a PoolDesc."""
    scratch = ctypes.create_string_buffer(_INIT_SCRATCH_BYTES)
    status = cdll.swiftpool_pool_desc_init(ctypes.cast(scratch, POINTER(PoolDesc)),
                                           MAX_SPATIAL_RANK)
    if status != OK:
        raise _CandidateError("swiftpool_pool_desc_init failed with status %d" % status)
    size = PoolDesc.from_buffer_copy(scratch.raw[:ctypes.sizeof(PoolDesc)]).struct_size
    if size != ctypes.sizeof(PoolDesc):
        raise _CandidateError(
            "has a swiftpool_pool_desc of %d bytes; this binding mirrors one of %d bytes "
            "(the header changed: update bindings/python/swiftpool/_lib.py)"
            % (size, ctypes.sizeof(PoolDesc)))
    return PoolDesc.from_buffer_copy(scratch.raw[:ctypes.sizeof(PoolDesc)])


class _DlInfo(Structure):
    _fields_ = [("dli_fname", c_char_p), ("dli_fbase", c_void_p),
                ("dli_sname", c_char_p), ("dli_saddr", c_void_p)]


def _loaded_file(cdll, fallback):
    """Path of the file the dynamic loader actually mapped (via dladdr)."""
    try:
        libc = ctypes.CDLL(None)
        dladdr = libc.dladdr
        dladdr.argtypes = [c_void_p, POINTER(_DlInfo)]
        dladdr.restype = ctypes.c_int
        info = _DlInfo()
        address = ctypes.cast(cdll.swiftpool_version_number, c_void_p).value
        if dladdr(address, ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(os.fsdecode(info.dli_fname))
    except (OSError, AttributeError):
        pass
    return fallback


def _candidates():
    """[(label, path_or_soname)] in search order, and whether the env var is set."""
    env = os.environ.get("SWIFTPOOL_LIBRARY", "")
    if env:
        return [("$SWIFTPOOL_LIBRARY", env)], True
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    beside = sorted(glob.glob(os.path.join(here, "libswiftpool.so*")),
                    key=lambda p: (os.path.basename(p) != "libswiftpool.so", p))
    if beside:
        out += [("next to the package", p) for p in beside]
    else:
        out.append(("next to the package", os.path.join(here, "libswiftpool.so*")))
    repo_lib = os.path.normpath(os.path.join(here, "..", "..", "..", "build", "lib",
                                             "libswiftpool.so"))
    out.append(("repository build", repo_lib))
    out.append(("system loader", "libswiftpool.so.0"))
    return out, False


def find_and_load():
    """Return ``(cdll, path, default PoolDesc)`` of the first usable library; raise
    ImportError listing every candidate and why it was rejected."""
    candidates, from_env = _candidates()
    tried = []
    for label, path in candidates:
        is_file = os.sep in path
        if is_file and "*" in path:
            tried.append("%s: %s: no file matches" % (label, path))
            continue
        if is_file and not os.path.exists(path):
            tried.append("%s: %s: no such file" % (label, path))
            continue
        try:
            cdll = ctypes.CDLL(path)
        except OSError as exc:
            tried.append("%s: %s: cannot load: %s" % (label, path, exc))
            continue
        try:
            _declare(cdll)
            _check_version(cdll)
            defaults = _check_desc(cdll)
        except _CandidateError as exc:
            tried.append("%s: %s: %s" % (label, path, exc))
            continue
        shown = os.path.abspath(path) if is_file else _loaded_file(cdll, path)
        return cdll, shown, defaults
    lines = ["swiftpool: cannot load the libswiftpool shared library. Tried:"]
    lines += ["  - " + t for t in tried]
    if from_env:
        lines.append("SWIFTPOOL_LIBRARY is set, so no other location was searched; fix or "
                     "unset it to search next to the package, the repository's build/lib "
                     "and the system loader.")
    else:
        lines.append("Build it with `make lib` in the libswiftpool repository, or set "
                     "SWIFTPOOL_LIBRARY to the path of libswiftpool.so.")
    raise ImportError("\n".join(lines))


lib, library_path, default_desc = find_and_load()
