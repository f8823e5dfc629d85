/*
 * swiftpool.h — the C API of libswiftpool, a pooling-layer library.
 *
 * This header is the single source of truth for the ABI: the Swift core imports
 * these types and implements these declarations, so the two cannot drift apart.
 *
 * Semantics follow torch.nn.functional (default) and the ONNX operator spec.
 * Every function validates all of its arguments before touching memory: on
 * failure it returns a non-zero swiftpool_status, writes nothing to any output
 * buffer, and leaves a readable description in swiftpool_last_error_message().
 *
 * Thread safety: every function may be called from any thread at any time.
 * Error messages are kept per thread.
 */
#ifndef SWIFTPOOL_H
#define SWIFTPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SWIFTPOOL_API __attribute__((visibility("default")))
#else
#define SWIFTPOOL_API
#endif

/* =========================================================================
 * Version
 * ========================================================================= */

#define SWIFTPOOL_VERSION_MAJOR 0
#define SWIFTPOOL_VERSION_MINOR 1
#define SWIFTPOOL_VERSION_PATCH 0
/* MAJOR*10000 + MINOR*100 + PATCH, as swiftpool_version_number() returns. */
#define SWIFTPOOL_VERSION_NUMBER \
    (SWIFTPOOL_VERSION_MAJOR * 10000 + SWIFTPOOL_VERSION_MINOR * 100 + SWIFTPOOL_VERSION_PATCH)

/* Version of the library actually loaded (compare with SWIFTPOOL_VERSION_NUMBER). */
SWIFTPOOL_API uint32_t swiftpool_version_number(void);
/* "MAJOR.MINOR.PATCH"; static storage, never NULL. */
SWIFTPOOL_API const char *swiftpool_version_string(void);

/* =========================================================================
 * Status codes. Values are pinned: they never change meaning.
 * ========================================================================= */

typedef enum swiftpool_status {
    SWIFTPOOL_OK = 0,
    /* A required pointer argument was NULL. */
    SWIFTPOOL_ERROR_NULL_POINTER = 1,
    /* A size, stride, padding, dilation or option is out of its valid range. */
    SWIFTPOOL_ERROR_INVALID_ARGUMENT = 2,
    /* The parameters are valid alone but give an output smaller than 1. */
    SWIFTPOOL_ERROR_INVALID_SHAPE = 3,
    /* A size product (elements, bytes, flattened index) overflows int64. */
    SWIFTPOOL_ERROR_OVERFLOW = 4,
    /* A buffer's declared capacity is smaller than the tensor it must hold. */
    SWIFTPOOL_ERROR_BUFFER_TOO_SMALL = 5,
    /* Unknown or not yet supported dtype, layout, rank, struct size or flag bits. */
    SWIFTPOOL_ERROR_UNSUPPORTED = 6,
    /* Memory for scratch space could not be allocated. */
    SWIFTPOOL_ERROR_OUT_OF_MEMORY = 7,
    /* A bug in libswiftpool; please report it with the message. */
    SWIFTPOOL_ERROR_INTERNAL = 99
} swiftpool_status;

/* Static name of a status ("SWIFTPOOL_ERROR_NULL_POINTER"), or
 * "SWIFTPOOL_UNKNOWN_STATUS" for a value not listed above. Never NULL. */
SWIFTPOOL_API const char *swiftpool_status_string(int32_t status);

/* Detail of the last failed call on this thread: which function, which
 * argument, which value. "" when the last call on this thread succeeded.
 * Valid until the next call on the same thread of a function that can fail
 * (one returning a status); swiftpool_status_string and the other query
 * functions leave it alone, so print the status name and then the message.
 * Never NULL. */
SWIFTPOOL_API const char *swiftpool_last_error_message(void);

/* =========================================================================
 * Threads and kernels
 * ========================================================================= */

/*
 * Number of threads a swiftpool call made *from the calling thread* may use.
 * The setting is per calling thread, so several host threads can each choose
 * their own without oversubscribing one another; a thread that never sets it
 * uses the process default: SWIFTPOOL_NUM_THREADS from the environment when it
 * is a positive integer, else the number of online CPUs. num_threads 0 restores
 * that default. Results are bitwise identical for every thread count.
 * The extra threads come from one pool of workers shared by all calling threads
 * (idle workers join a call; a call never waits for a busy one), so concurrent
 * callers do not oversubscribe the CPUs; calls with little work (about 10^5
 * element-taps or fewer) run on the calling thread alone, and so does every call
 * in a process forked from one that had started workers. An idle worker polls
 * for the next call for 0.2 ms before it sleeps (waking a sleeping thread cost
 * tens of microseconds per call), so back-to-back calls keep a CPU busy between them.
 * Errors: INVALID_ARGUMENT (num_threads < 0).
 */
SWIFTPOOL_API int32_t swiftpool_set_num_threads(int32_t num_threads);
/* The count calls from this thread will use (>= 1). */
SWIFTPOOL_API int32_t swiftpool_get_num_threads(void);

/*
 * Name of the kernel family chosen for this process from the CPU's features
 * ("avx2" or "baseline"), capped by the environment variable SWIFTPOOL_MAX_ISA
 * ("baseline" forces the portable path). Static storage, never NULL.
 * A second per-process choice affects speed only, never results: how large max
 * pooling outputs (4 MiB and more, without indices) are written. 1: computed into
 * scratch and copied out with streaming (non-temporal) stores, with prefetchnta of
 * input read once (the default where that measured faster); 2: whole lines
 * streamed straight from the row kernels, no prefetchnta (the default on AMD
 * family 19h and later; channels-first only blocks of 4 KiB of output or more,
 * and only for outputs that start on 32 bytes or whose rows are whole 64-byte
 * lines: others measured slower streamed); 0: ordinary stores only. The environment
 * variable SWIFTPOOL_NONTEMPORAL, set to 0, 1 or 2, overrides it.
 */
SWIFTPOOL_API const char *swiftpool_isa(void);

/* =========================================================================
 * Tensor and pooling descriptors
 * ========================================================================= */

/* Element types. Values are pinned. Max-type operators accept every type;
 * averaging operators (average, LP) accept the floating-point types only, as
 * PyTorch does (integer inputs give SWIFTPOOL_ERROR_UNSUPPORTED). */
typedef enum swiftpool_dtype {
    SWIFTPOOL_DTYPE_FLOAT32 = 1,
    SWIFTPOOL_DTYPE_FLOAT64 = 2,
    SWIFTPOOL_DTYPE_FLOAT16 = 3,   /* IEEE binary16 */
    SWIFTPOOL_DTYPE_BFLOAT16 = 4,  /* bfloat16: the top 16 bits of a float32 */
    SWIFTPOOL_DTYPE_UINT8 = 5,
    SWIFTPOOL_DTYPE_INT8 = 6
} swiftpool_dtype;

/* Memory layouts of a dense, contiguous tensor. Values are pinned.
 * NCHW is channels-first for every rank (N,C,W / N,C,H,W / N,C,D,H,W);
 * NHWC is channels-last (N,W,C / N,H,W,C / N,D,H,W,C). */
typedef enum swiftpool_layout {
    SWIFTPOOL_LAYOUT_NCHW = 1,
    SWIFTPOOL_LAYOUT_NHWC = 2
} swiftpool_layout;

/* ONNX auto_pad: how padding is derived from the input size. Values are pinned. */
typedef enum swiftpool_auto_pad {
    /* Use padding / padding_end as given (PyTorch; ONNX NOTSET). */
    SWIFTPOOL_AUTO_PAD_NOTSET = 0,
    /* No padding; ceil_mode ignored: out = ceil((in - dilation*(kernel-1)) / stride),
     * the ONNX spec's formula (ONNX Runtime 1.32 applies ceil_mode here and can
     * give one more output). */
    SWIFTPOOL_AUTO_PAD_VALID = 1,
    /* out = ceil(in / stride); total padding split with the extra element at the end. */
    SWIFTPOOL_AUTO_PAD_SAME_UPPER = 2,
    /* As SAME_UPPER, with the extra element at the beginning. */
    SWIFTPOOL_AUTO_PAD_SAME_LOWER = 3
} swiftpool_auto_pad;

/* Option bits of swiftpool_pool_desc.flags. Unknown bits are rejected, so new
 * bits can gain meaning later without changing old callers' results. */
enum {
    /* Max-type operators ignore NaN (fmax semantics, as numpy.fmax): the window's
     * maximum over its non-NaN values; an all-NaN window gives NaN (index of its
     * last NaN). Default (bit clear): PyTorch's NaN propagation. ONNX leaves NaN
     * open; ONNX Runtime 1.32 ignores NaN except in a window's first element. */
    SWIFTPOOL_FLAG_NAN_IGNORE = 1u << 0,
    /* Argmax indices flattened over the whole tensor, ((n*C + c) * plane + p),
     * as ONNX MaxPool returns them. Default: per (n, c) plane, as PyTorch. */
    SWIFTPOOL_FLAG_INDICES_GLOBAL = 1u << 1,
    /* Argmax position p in column-major order, (w*H + h)*D + d (ONNX MaxPool
     * storage_order=1). Default: row-major, (d*H + h)*W + w. */
    SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR = 1u << 2,
    /* swiftpool_lp_pool_forward follows ONNX LpPool-22 instead of PyTorch's lp_pool. */
    SWIFTPOOL_FLAG_LP_ONNX = 1u << 3
};

/* Largest spatial rank a descriptor can describe. */
#define SWIFTPOOL_MAX_SPATIAL_RANK 3

/*
 * One pooling problem: input tensor and window parameters.
 *
 * Spatial arrays hold spatial_rank entries, outermost first: (W), (H, W) or
 * (D, H, W); entries past spatial_rank are ignored. All sizes are in elements.
 *
 * Call swiftpool_pool_desc_init() first: it sets struct_size and neutral
 * defaults. struct_size identifies the struct's version so that a later library
 * can recognise callers built against this header; this version accepts only its
 * own sizeof(swiftpool_pool_desc) and rejects any other with UNSUPPORTED.
 *
 *   batch              N >= 0 (0 is a valid no-op, as in PyTorch)
 *   channels           C >= 1
 *   input_size         >= 1 per axis
 *   kernel_size        >= 1 per axis
 *   stride             >= 1 per axis (PyTorch's stride=None means stride = kernel_size)
 *   padding            implicit padding at the beginning of each axis (-inf for max
 *                      pooling, zero for average pooling); >= 0, and <= kernel_size / 2
 *                      when padding_end is -1 (PyTorch's rule), else < kernel_size
 *                      (ONNX Runtime's rule)
 *   padding_end        padding at the end of each axis: -1 (the default) means "same
 *                      as padding" (PyTorch); >= 0 and < kernel_size gives ONNX's
 *                      asymmetric pads (begin = padding, end = padding_end)
 *   auto_pad           swiftpool_auto_pad; not NOTSET derives both paddings (which
 *                      must then be 0, padding_end 0 or -1) from the input size, as ONNX does
 *   dilation           >= 1 per axis
 *   ceil_mode          0 or 1: output size rounds up, but a last window that would
 *                      start inside the right padding is dropped (PyTorch's rule)
 *   count_include_pad  0 or 1 (average pooling only)
 *   divisor_override   0 for none, else > 0 (average pooling only)
 *   flags              SWIFTPOOL_FLAG_* bits; unknown bits are rejected
 *
 * Output size per axis (PyTorch pooling_output_shape; ONNX MaxPool-22):
 *   out = floor_or_ceil((in + pad_begin + pad_end - dilation*(kernel-1) - 1) / stride) + 1
 *   and, with ceil_mode, out -= 1 when (out-1)*stride >= in + pad_begin (a last
 *   window that would start inside the end padding is dropped).
 */
typedef struct swiftpool_pool_desc {
    uint32_t struct_size;
    int32_t dtype;
    int32_t layout;
    int32_t spatial_rank;
    int64_t batch;
    int64_t channels;
    int64_t input_size[SWIFTPOOL_MAX_SPATIAL_RANK];
    int64_t kernel_size[SWIFTPOOL_MAX_SPATIAL_RANK];
    int64_t stride[SWIFTPOOL_MAX_SPATIAL_RANK];
    int64_t padding[SWIFTPOOL_MAX_SPATIAL_RANK];
    int64_t padding_end[SWIFTPOOL_MAX_SPATIAL_RANK];
    int64_t dilation[SWIFTPOOL_MAX_SPATIAL_RANK];
    int32_t ceil_mode;
    int32_t count_include_pad;
    int64_t divisor_override;
    int32_t auto_pad;
    uint32_t flags;
} swiftpool_pool_desc;

/*
 * Fill *desc with defaults for a problem of the given spatial rank: float32,
 * NCHW, batch 1, channels 1, every input/kernel/stride/dilation entry 1,
 * padding 0, padding_end -1 (symmetric), ceil_mode 0, count_include_pad 1,
 * divisor_override 0, auto_pad NOTSET, flags 0.
 * Errors: NULL_POINTER (desc), UNSUPPORTED (spatial_rank not 1..3).
 */
SWIFTPOOL_API int32_t swiftpool_pool_desc_init(swiftpool_pool_desc *desc, int32_t spatial_rank);

/*
 * Validate *desc and compute the output's spatial sizes (output_size, spatial_rank
 * entries written, outermost first) and its total element count N*C*prod(output_size)
 * (*output_elements), so callers can allocate. Either output pointer may be NULL.
 * The output has the input's layout; an indices tensor has the output's shape.
 * Errors: NULL_POINTER, INVALID_ARGUMENT, INVALID_SHAPE, OVERFLOW, UNSUPPORTED.
 * Nothing is written on failure.
 */
SWIFTPOOL_API int32_t swiftpool_pool_output_shape(const swiftpool_pool_desc *desc,
                                                  int64_t *output_size,
                                                  int64_t *output_elements);

/* =========================================================================
 * Operators
 *
 * Buffers are dense and contiguous in desc->layout; capacities (*_len) are in
 * elements, and must be at least the tensor's element count. Input and output
 * must not overlap.
 * ========================================================================= */

/*
 * Max pooling, 1D/2D/3D (desc->spatial_rank), forward.
 * Matches torch.nn.functional.max_pool{1,2,3}d (with return_indices) and
 * ONNX MaxPool-22 (with asymmetric padding, auto_pad and the index flags):
 *   - padding positions never win (they are -inf, or the type's lowest value for
 *     the integer dtypes);
 *   - NaN propagates as in PyTorch: a window holding NaN yields NaN, and of
 *     several NaNs the *last* in scan order (outermost axis first) is reported,
 *     value and index (SWIFTPOOL_FLAG_NAN_IGNORE: ignore NaN instead);
 *   - among equal values the first in scan order wins;
 *   - a window lying wholly in the padding (possible only with dilation) yields
 *     -inf (the integer dtypes' lowest value) and the index of its first tap at or
 *     past 0, which may lie past the input's end, exactly as PyTorch;
 *   - indices (optional, may be NULL with indices_len 0) are int64 positions
 *     flattened within one (n, c) plane of the input: (d*H + h)*W + w, as PyTorch
 *     returns them, for both layouts (see SWIFTPOOL_FLAG_INDICES_* for ONNX's).
 * Errors: NULL_POINTER (desc, input or output, also when batch is 0),
 * INVALID_ARGUMENT (a desc field out of range; a negative *_len; a buffer not
 * aligned to its element size; input, output and indices overlapping),
 * INVALID_SHAPE (an output size below 1), OVERFLOW, BUFFER_TOO_SMALL (input_len,
 * output_len, or indices_len when indices is not NULL), UNSUPPORTED (dtype,
 * layout, rank, auto_pad, struct_size, flags).
 * Average-only fields (count_include_pad, divisor_override) are ignored.
 */
SWIFTPOOL_API int32_t swiftpool_max_pool_forward(const swiftpool_pool_desc *desc,
                                                 const void *input, int64_t input_len,
                                                 void *output, int64_t output_len,
                                                 int64_t *indices, int64_t indices_len);

/*
 * Average pooling, 1D/2D/3D, forward.
 * Matches torch.nn.functional.avg_pool{1,2,3}d and ONNX AveragePool-22
 * (asymmetric padding, auto_pad, dilation). Divisor of each window:
 *   - divisor_override when it is non-zero;
 *   - else with count_include_pad: the taps inside the padded input
 *     [-padding, in + padding_end) (ceil_mode windows that run past it are cut);
 *   - else: the number of taps on real input elements (a window with none gives 0).
 * Arithmetic is PyTorch's, so results are its bits: each window's real taps
 * are summed in scan order from +0 in float (float32, float16, bfloat16) or
 * double (float64), then divided once in that type and rounded to the dtype.
 * Float sums can overflow to inf where the mean would not (as in PyTorch).
 * Errors: as swiftpool_max_pool_forward; also UNSUPPORTED for an integer dtype
 * and for flags holding max-only bits.
 */
SWIFTPOOL_API int32_t swiftpool_avg_pool_forward(const swiftpool_pool_desc *desc,
                                                 const void *input, int64_t input_len,
                                                 void *output, int64_t output_len);

/* ---- Backward passes ------------------------------------------------------ */

/*
 * Max pooling, 1D/2D/3D, backward: the gradient of swiftpool_max_pool_forward
 * with respect to its input, given the gradient of its output and the indices
 * it returned. Matches torch.ops.aten.max_pool2d_with_indices_backward and
 * torch.ops.aten.max_pool3d_with_indices_backward (the CPU kernels behind the
 * autograd of torch.nn.functional.max_pool{1,2,3}d) bit for bit, for both
 * memory formats, except for windows wholly in the padding (below).
 *
 * desc:        the FORWARD problem, exactly as passed to swiftpool_max_pool_forward
 *              (input_size is the input's size; the output size is derived from it).
 *              dtype float32, float64, float16 or bfloat16; an integer dtype is
 *              UNSUPPORTED (PyTorch has no integer gradients). flags may hold
 *              SWIFTPOOL_FLAG_NAN_IGNORE (no effect here: the indices already encode
 *              it), SWIFTPOOL_FLAG_INDICES_GLOBAL and SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR
 *              (the indices are then read in those conventions, as the forward wrote them).
 * grad_output: dense tensor of the forward output's shape (N, C, out...) in
 *              desc->layout, grad_output_len >= its element count.
 * indices:     int64, the same shape and layout, as swiftpool_max_pool_forward
 *              returned them: by default positions (d*H + h)*W + w within the
 *              element's own (n, c) input plane, valid range [0, D*H*W).
 *              SWIFTPOOL_FLAG_INDICES_GLOBAL: ((n*C + c)*D*H*W + position), which
 *              must point into the element's own plane; SWIFTPOOL_FLAG_INDICES_COLUMN_MAJOR:
 *              the position is (w*H + h)*D + d.
 * grad_input:  dense tensor of the input's shape (N, C, in...) in desc->layout,
 *              grad_input_len >= its element count; fully overwritten.
 *
 * Result: grad_input is set to +0, then for every (n, c) plane the gradients
 * are added at their indices, taking the outputs in scan order (d, h, w row-major),
 * each addition rounded to the element type (float16 and bfloat16 accumulate in
 * float16 / bfloat16 as PyTorch's CPU kernel does, not in float). The result
 * is therefore PyTorch's exact bits when several overlapping windows (e.g. kernel 3,
 * stride 2) chose the same element; NaN and infinities in grad_output propagate
 * (which payload a sum of several NaNs carries is unspecified, as in PyTorch).
 *
 * A window lying wholly in the padding (only possible with dilation) has no input
 * element: its forward value is -inf and depends on no input, so its gradient is
 * dropped, and its index (the forward reports the window's first tap at or past 0,
 * which can lie past the input end) is neither checked nor used. PyTorch's CPU
 * kernel instead adds it at that flattened index, i.e. to an unrelated element of the
 * next row, or past the end of the plane (an out-of-bounds write).
 *
 * Every index is checked before anything is written: an index outside its valid
 * range gives INVALID_ARGUMENT naming its position (n, c, spatial coordinates)
 * and value. (PyTorch's CPU kernel skips the index -1; here it is an error too.)
 * Parallel over (n, c) planes (NCHW) or over images and channel blocks (NHWC);
 * results are bitwise identical for every thread count.
 *
 * Errors: NULL_POINTER (desc, grad_output, indices, grad_input, also when batch
 * is 0); INVALID_ARGUMENT (a desc field out of range, as swiftpool_max_pool_forward;
 * an index out of range; a negative *_len; a buffer not aligned to its element
 * size (8 for indices); grad_input overlapping grad_output or indices);
 * INVALID_SHAPE; OVERFLOW; BUFFER_TOO_SMALL (grad_output_len, indices_len,
 * grad_input_len); UNSUPPORTED (dtype unknown or integer, layout, rank, auto_pad,
 * struct_size, unknown flags). (The INDICES_* conventions are converted as the
 * indices are read: no scratch, so no OUT_OF_MEMORY.)
 */
SWIFTPOOL_API int32_t swiftpool_max_pool_backward(const swiftpool_pool_desc *desc,
                                                  const void *grad_output, int64_t grad_output_len,
                                                  const int64_t *indices, int64_t indices_len,
                                                  void *grad_input, int64_t grad_input_len);

/*
 * Average pooling, 1D/2D/3D, backward: the gradient of swiftpool_avg_pool_forward
 * with respect to its input. Matches torch.ops.aten.avg_pool2d_backward and
 * torch.ops.aten.avg_pool3d_backward (the CPU kernels behind the autograd of
 * torch.nn.functional.avg_pool{1,2,3}d) bit for bit, for both memory formats.
 *
 * desc:        the FORWARD problem, exactly as passed to swiftpool_avg_pool_forward
 *              (every field it accepts, with the same rules: padding, padding_end,
 *              auto_pad, dilation, ceil_mode, count_include_pad, divisor_override).
 *              dtype float32, float64, float16 or bfloat16; flags must be 0.
 * grad_output: dense tensor of the forward output's shape (N, C, out...) in
 *              desc->layout, grad_output_len >= its element count.
 * grad_input:  dense tensor of the input's shape (N, C, in...) in desc->layout,
 *              grad_input_len >= its element count; fully overwritten.
 *
 * Result (PyTorch's arithmetic): grad_input is set to +0; then, for every (n, c)
 * plane and every output in scan order, delta = grad_output / divisor, with the
 * divisor of the forward (see swiftpool_avg_pool_forward) converted to the element
 * type (float64: double; float32: float; float16 / bfloat16: rounded to that type,
 * so e.g. divisor_override 2049 divides by 2048) and the quotient rounded to it, is
 * added to every tap of the output's window that lands on the input (padding taps
 * are dropped), in scan order, each addition rounded to the element type (float16
 * and bfloat16 accumulate in their own type, as PyTorch's CPU kernels do). A window
 * with no tap on the input (possible only with dilation) contributes nothing.
 * NaN and infinities propagate (a sum of several NaNs carries an unspecified payload).
 * Parallel over (n, c) planes (NCHW) or images and channel blocks (NHWC); results
 * are bitwise identical for every thread count.
 *
 * Errors: NULL_POINTER (desc, grad_output, grad_input, also when batch is 0);
 * INVALID_ARGUMENT (a desc field out of range, as swiftpool_avg_pool_forward; a
 * negative *_len; a buffer not aligned to its element size; grad_input and
 * grad_output overlapping); INVALID_SHAPE; OVERFLOW; BUFFER_TOO_SMALL
 * (grad_output_len, grad_input_len); UNSUPPORTED (dtype unknown or integer, layout,
 * rank, auto_pad, struct_size, flags).
 */
SWIFTPOOL_API int32_t swiftpool_avg_pool_backward(const swiftpool_pool_desc *desc,
                                                  const void *grad_output, int64_t grad_output_len,
                                                  void *grad_input, int64_t grad_input_len);

/* =========================================================================
 * LP pooling, global pooling, adaptive pooling, spatial pyramid pooling
 * ========================================================================= */

/* (section: LP / global / adaptive / spatial pyramid pooling) */

/* ---- LP pooling ---------------------------------------------------------- */

/*
 * LP (power-average) pooling, 1D/2D/3D, forward. Shapes and layouts as
 * swiftpool_max_pool_forward: input N x C x input_size, output N x C x
 * output_size (swiftpool_pool_output_shape), both dense in desc->layout.
 *
 * Default: torch.nn.functional.lp_pool{1,2,3}d(x, norm_type, kernel_size,
 * stride, ceil_mode), PyTorch's formula kept exactly:
 *     y = (S / n * prod(kernel_size)) ^ (1 / norm_type)
 * where S is the sum of x^norm_type over the n input elements of the window.
 *   - x is NOT made absolute: norm_type 1 sums signed values, and an odd or
 *     fractional norm_type on negative data gives NaN, as in PyTorch;
 *   - a ceil_mode window cut by the input end (n < prod(kernel_size)) is
 *     scaled up as if it were full (PyTorch's avg_pool-based definition);
 *   - norm_type +inf gives the window's maximum of |x|, -inf its minimum
 *     (PyTorch routes these to max pooling); a NaN in the window gives NaN;
 *   - any other finite, non-zero norm_type (negative included) is allowed.
 * PyTorch's lp_pool has no padding or dilation: the desc must have padding 0,
 * padding_end -1 or 0, dilation 1 and auto_pad NOTSET.
 *
 * SWIFTPOOL_FLAG_LP_ONNX: ONNX LpPool-22, y = (sum of |x|^p)^(1/p) over the
 * window's input elements (padding adds nothing; partial windows are not
 * rescaled), with padding, padding_end, auto_pad, dilation and ceil_mode as in
 * swiftpool_max_pool_forward. norm_type (ONNX's p) must be finite and > 0.
 *
 * Floating-point dtypes only (integer ones: UNSUPPORTED, as for averaging).
 * Powers and sums are computed in double precision and rounded once to the
 * element type: float32 results stay finite and accurate where PyTorch's
 * float32 x.pow(p) overflows to inf or underflows to 0, and may differ from
 * PyTorch's float32 arithmetic in the last bits elsewhere.
 * Fields ignored: count_include_pad, divisor_override.
 * Errors: NULL_POINTER (desc, input, output); INVALID_ARGUMENT (norm_type 0 or
 * NaN, or not finite and > 0 with LP_ONNX; padding, padding_end, dilation or
 * auto_pad without LP_ONNX; every field as swiftpool_max_pool_forward;
 * negative *_len; misaligned or overlapping buffers); INVALID_SHAPE;
 * OVERFLOW; BUFFER_TOO_SMALL (input_len, output_len);
 * UNSUPPORTED (dtype unknown or integer, layout, rank, struct_size, flags
 * other than LP_ONNX).
 */
SWIFTPOOL_API int32_t swiftpool_lp_pool_forward(const swiftpool_pool_desc *desc, double norm_type,
                                                const void *input, int64_t input_len,
                                                void *output, int64_t output_len);

/* ---- Global pooling -------------------------------------------------------
 *
 * No dedicated entry point: global pooling is one window over each (n, c)
 * plane, which the operators here already express exactly, for any number of
 * spatial dimensions once those are flattened into one axis (the flattened
 * position is the row-major index PyTorch and ONNX report):
 *   ONNX GlobalMaxPool / torch adaptive_max_pool(x, 1):
 *       swiftpool_adaptive_max_pool_forward with output_size 1 on every axis;
 *   ONNX GlobalAveragePool / torch adaptive_avg_pool(x, 1):
 *       swiftpool_adaptive_avg_pool_forward with output_size 1 on every axis
 *       (double totals: the mean of 25 million ones is exactly 1.0);
 *   ONNX GlobalLpPool(p): swiftpool_lp_pool_forward with kernel_size =
 *       input_size and SWIFTPOOL_FLAG_LP_ONNX (without the flag: PyTorch's
 *       lp_pool with a whole-input kernel, (sum of x^p)^(1/p)).
 * An NHWC tensor of any rank is N x (spatial...) x C, so its flattened form is
 * N x L x C (layout NHWC, spatial_rank 1, L = product of the spatial sizes).
 */

/* ---- Adaptive pooling -----------------------------------------------------
 *
 * Output position o along an axis of input size L and output size n pools the
 * input range [floor(o*L/n), ceil((o+1)*L/n)) (PyTorch's adaptive bins: never
 * empty, neighbours may overlap, n > L repeats elements). ONNX has no adaptive
 * operator; its global pooling is output_size 1 (see above).
 *
 * desc fields read: struct_size, dtype, layout, spatial_rank, batch, channels,
 * input_size, flags. The window fields (kernel_size, stride, padding,
 * padding_end, dilation, ceil_mode, count_include_pad, divisor_override,
 * auto_pad) are ignored, whatever their values.
 * output_size: spatial_rank entries >= 1, outermost first.
 * Input N x C x input_size, output N x C x output_size, both dense in
 * desc->layout; output_len >= N * C * prod(output_size).
 */

/*
 * Adaptive max pooling, 1D/2D/3D, forward; every dtype.
 * Matches torch.nn.functional.adaptive_max_pool{1,2,3}d(x, output_size,
 * return_indices=True), both memory formats:
 *   - NaN propagates: a bin holding NaN yields NaN, the last NaN in scan order
 *     (value and index); SWIFTPOOL_FLAG_NAN_IGNORE: the maximum of the non-NaN
 *     values instead (fmax, as swiftpool_max_pool_forward);
 *   - among equal values the first in scan order wins; a bin of -inf reports
 *     its first element;
 *   - indices (optional: NULL, with indices_len ignored) have the output's
 *     shape and layout and hold int64 positions within one (n, c) plane of the
 *     input, (d*H + h)*W + w, for both layouts, as PyTorch.
 * Errors: NULL_POINTER (desc, output_size, input, output); INVALID_ARGUMENT
 * (batch < 0, channels, input_size or output_size < 1; negative *_len;
 * misaligned or overlapping buffers); OVERFLOW (tensor sizes, or output_size x input_size
 * of an axis, overflow int64); BUFFER_TOO_SMALL (input_len, output_len,
 * indices_len when indices is not NULL); UNSUPPORTED (dtype, layout, rank,
 * struct_size, flags other than NAN_IGNORE).
 */
SWIFTPOOL_API int32_t swiftpool_adaptive_max_pool_forward(const swiftpool_pool_desc *desc,
                                                          const int64_t *output_size,
                                                          const void *input, int64_t input_len,
                                                          void *output, int64_t output_len,
                                                          int64_t *indices, int64_t indices_len);

/*
 * Adaptive average pooling, 1D/2D/3D, forward: the mean of each bin;
 * floating-point dtypes only.
 * Matches torch.nn.functional.adaptive_avg_pool{1,2,3}d(x, output_size) bit
 * for bit (PyTorch's CPU arithmetic for contiguous tensors, observed in torch
 * 2.13), for both layouts and every thread count: each bin is summed in scan
 * order (D, H, W) from +0 in float (float32, float16, bfloat16) or double
 * (float64), then divided by the bin's depth, by its height and by its width
 * in turn, each quotient rounded (sum / kd / kh / kw, not one division by the
 * bin's area), and rounded to the dtype; for spatial_rank 3, float16 and
 * bfloat16 sums and quotients are rounded to the dtype after every operation
 * (PyTorch's 3D kernel keeps them in the element type). NaN payloads are
 * unspecified. Two exceptions:
 *   - every output size 1 (global pooling, ONNX GlobalAveragePool): the sum is
 *     accumulated in double and divided once by the element count, so the mean
 *     of 25 million ones is exactly 1.0. For float32 (twice the speed of
 *     converting every element to double; within PyTorch's accuracy; the same
 *     result for every thread count and ISA) the double total adds float
 *     partial sums, and is multiplied by the double 1 / (element count)
 *     instead of divided:
 *       NCHW: each plane's chunks of 8 elements in blocks of 8 chunks, each
 *       block summed in 8 float lanes and the lanes as
 *       ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), then the last
 *       (size mod 8) elements one by one, in double;
 *       NHWC: each channel's pixels in scan order in blocks of 64, a block's
 *       groups of 4 pixels summed as (x0 + x1) + (x2 + x3) and added in turn
 *       in float, then its last pixels one by one.
 *     PyTorch computes this case with mean(), whose blocked float summation
 *     may differ in the last bits;
 *   - PyTorch's channels_last kernels divide vectorised channels once by
 *     kh*kw (and keep sum / kh / kw for the remainder channels), so torch's
 *     channels_last results may differ from its contiguous ones in the last
 *     bit; this library follows the contiguous rule in both layouts.
 * Float sums can overflow to inf where the mean would not (as in PyTorch).
 * Errors: as swiftpool_adaptive_max_pool_forward; flags must be 0, and an
 * integer dtype is UNSUPPORTED.
 */
SWIFTPOOL_API int32_t swiftpool_adaptive_avg_pool_forward(const swiftpool_pool_desc *desc,
                                                          const int64_t *output_size,
                                                          const void *input, int64_t input_len,
                                                          void *output, int64_t output_len);

/* ---- Spatial pyramid pooling ---------------------------------------------- */

/* Reduction of each spatial pyramid pooling bin. Values are pinned. */
typedef enum swiftpool_spp_mode {
    SWIFTPOOL_SPP_MAX = 1,
    SWIFTPOOL_SPP_AVG = 2
} swiftpool_spp_mode;

/* How a pyramid level of n bins divides an axis of valid length L. Values are pinned. */
typedef enum swiftpool_spp_bins {
    /* Adaptive pooling's bins [floor(i*L/n), ceil((i+1)*L/n)): valid for every
     * L >= 1, including L < n (bins then repeat elements). */
    SWIFTPOOL_SPP_BINS_ADAPTIVE = 1,
    /* The SPP-net paper's rule (He et al. 2014): window ceil(L/n), stride
     * floor(L/n), no padding. It yields exactly n windows covering the axis
     * only when L >= n and L mod n is 0 or 1, and then its bins equal the
     * adaptive ones; any other L (stride 0, a wrong number of windows, or
     * elements never pooled) is rejected with INVALID_SHAPE naming the size,
     * rather than producing a wrong-length or partial vector. */
    SWIFTPOOL_SPP_BINS_SPPNET = 2
} swiftpool_spp_bins;

/*
 * Length of one sample's spatial pyramid pooling vector:
 * channels * sum over the levels of h*w.
 * levels: num_levels (h, w) pairs (2*num_levels int64; a square level n is (n, n)).
 * Errors: NULL_POINTER (levels, length); INVALID_ARGUMENT (channels < 1,
 * num_levels < 1, a level entry < 1); OVERFLOW. *length is untouched on failure.
 */
SWIFTPOOL_API int32_t swiftpool_spatial_pyramid_pool_output_length(int64_t channels,
                                                                   const int64_t *levels,
                                                                   int64_t num_levels,
                                                                   int64_t *length);

/*
 * Spatial pyramid pooling (SPP-net, He et al. 2014), 2D, forward: every sample
 * is pooled into a vector of fixed length, whatever its H x W.
 *   desc:   spatial_rank 2; reads struct_size, dtype, layout (NCHW or NHWC),
 *           batch N, channels C, input_size (H, W) and flags (NAN_IGNORE, with
 *           SWIFTPOOL_SPP_MAX only); the window fields are ignored.
 *   levels: num_levels (h, w) pairs, as for ..._output_length.
 *   mode:   swiftpool_spp_mode; bins: swiftpool_spp_bins.
 *   sizes:  NULL (every sample is H x W), or N (h, w) pairs (sizes_len >= 2N
 *           int64): sample n is valid only in its top-left h x w corner
 *           (1 <= h <= H, 1 <= w <= W) of a zero-padded batch and is pooled as
 *           if cropped to it.
 *   output: N x length, row-major (length from ..._output_length). Per sample,
 *           the levels in the order given, each flattened channel-major,
 *           element c*h*w + i*w + j for channel c and bin (i, j), for either
 *           input layout: the layout of common PyTorch SPP layers,
 *           torch.cat([adaptive_max_pool2d(x, (h, w)).flatten(1) ...], 1).
 * MAX (every dtype): the bin's maximum (a NaN in the bin gives NaN, which of
 * several NaN payloads is unspecified; NAN_IGNORE skips NaN). AVG
 * (floating-point dtypes): the bin's mean, summed in double precision.
 * The input is read once for all levels.
 * Errors: NULL_POINTER (desc, levels, input, output); INVALID_ARGUMENT
 * (num_levels < 1, a level entry < 1, batch < 0, channels or input_size < 1,
 * a sizes entry out of range; misaligned or overlapping buffers);
 * INVALID_SHAPE (bins SPPNET on a size it cannot divide); OVERFLOW;
 * BUFFER_TOO_SMALL (input_len, output_len, sizes_len); UNSUPPORTED (dtype
 * unknown, or integer with AVG; layout, spatial_rank other than 2,
 * struct_size, flags, mode, bins);
 * OUT_OF_MEMORY (scratch space, a few bins' worth per channel).
 */
SWIFTPOOL_API int32_t swiftpool_spatial_pyramid_pool_forward(const swiftpool_pool_desc *desc,
                                                             const int64_t *levels, int64_t num_levels,
                                                             int32_t mode, int32_t bins,
                                                             const int64_t *sizes, int64_t sizes_len,
                                                             const void *input, int64_t input_len,
                                                             void *output, int64_t output_len);

/* =========================================================================
 * Max unpooling, fractional max pooling, ROI max pooling
 * ========================================================================= */

/* (section: max unpooling / fractional max pooling / ROI pooling) */

/*
 * These operators reuse swiftpool_pool_desc for the tensor they read: dtype,
 * layout, spatial_rank, batch, channels, input_size and flags, plus the fields
 * each one names below. Fields an operator does not name are ignored.
 */

/*
 * Max unpooling, 1D/2D/3D, forward: the partial inverse of max pooling.
 * Matches torch.nn.functional.max_unpool{1,2,3}d and ONNX MaxUnpool-22.
 *
 * desc describes the pooled tensor x (input_size = x's spatial size) and the
 * pooling it undoes: kernel_size, stride, padding, padding_end (-1: same as
 * padding, PyTorch; >= 0: ONNX's end pads). dilation must be 1, ceil_mode 0 and
 * auto_pad NOTSET (neither PyTorch nor ONNX unpooling has them).
 * flags: 0, or SWIFTPOOL_FLAG_INDICES_GLOBAL for ONNX's indices.
 *
 * output_size: NULL for the default, per axis
 *   out = (in - 1) * stride - padding - padding_end + kernel_size
 * (PyTorch's and ONNX's formula), else spatial_rank entries >= 1, outermost
 * first. Any size is accepted here, as torch.ops.aten.max_unpool2d does: the
 * front ends' own range rules (PyTorch: default - stride < size < default +
 * stride; ONNX Runtime: size >= default) are the bindings' business.
 *
 * Every dtype is accepted (values are only moved), as in PyTorch.
 * input and indices are dense (N, C, in...) tensors in desc->layout; output is
 * the dense (N, C, out...) tensor in the same layout. output is zero-filled,
 * then each x element is written at its index:
 *   - default: index = (d*H + h)*W + w inside the element's own (n, c) output
 *     plane (PyTorch), valid range [0, prod(out));
 *   - SWIFTPOOL_FLAG_INDICES_GLOBAL: index = ((n*C + c)*prod(out)) + position in
 *     the whole output, counted in NCHW order for both layouts (ONNX), valid
 *     range [0, N*C*prod(out)); a value may land in another (n, c) plane.
 * Duplicate indices: the element written last wins, elements taken in NCHW
 * order of x (n, c, then spatial row-major), for both layouts; this is what
 * PyTorch's CPU kernel and ONNX Runtime do, made deterministic.
 * Every index is checked before anything is written.
 *
 * Errors: NULL_POINTER (desc, input, indices, output), INVALID_ARGUMENT (a
 * field out of range, output_size entry < 1, an index out of range: the
 * message names its position n, c, spatial coordinates and value; overlapping
 * buffers), INVALID_SHAPE (default output size < 1), OVERFLOW, BUFFER_TOO_SMALL
 * (input_len, indices_len, output_len), UNSUPPORTED (dtype, layout, rank,
 * struct_size, flags other than SWIFTPOOL_FLAG_INDICES_GLOBAL).
 */
SWIFTPOOL_API int32_t swiftpool_max_unpool_forward(const swiftpool_pool_desc *desc,
                                                   const int64_t *output_size,
                                                   const void *input, int64_t input_len,
                                                   const int64_t *indices, int64_t indices_len,
                                                   void *output, int64_t output_len);

/*
 * Output shape of swiftpool_max_unpool_forward for the same desc and
 * output_size (NULL: the default): writes spatial_rank sizes to
 * result_size and N*C*prod(out) to *result_elements (either may be NULL).
 * Errors: as swiftpool_max_unpool_forward, without the buffer errors.
 */
SWIFTPOOL_API int32_t swiftpool_max_unpool_output_shape(const swiftpool_pool_desc *desc,
                                                        const int64_t *output_size,
                                                        int64_t *result_size,
                                                        int64_t *result_elements);

/*
 * Fractional max pooling, 2D/3D (spatial_rank 2 or 3), forward.
 * Matches torch.nn.functional.fractional_max_pool{2,3}d bit for bit given the
 * same _random_samples (Graham, "Fractional Max-Pooling", 2014; not in ONNX).
 *
 * desc: the input tensor and kernel_size (the pool size, >= 1). Fractional
 * pooling has no stride, padding, dilation or ceil_mode: those are ignored.
 * flags: 0 (PyTorch's NaN rule, as swiftpool_max_pool_forward), or
 * SWIFTPOOL_FLAG_NAN_IGNORE.
 * output_size: spatial_rank entries >= 1, outermost first, with
 * output_size + kernel_size - 1 <= input_size per axis. (PyTorch's 3D check is
 * stricter, output + kernel - 1 < input; the Python binding applies it.)
 *
 * Window starts along an axis with input `in`, output `out`, kernel `k`, for
 * the (n, c) plane's sample u in [0, 1), computed in the element type exactly
 * as PyTorch does:
 *   alpha = (in - k) / (out - 1)
 *   start(i) = trunc((i + u) * alpha) - trunc(u * alpha)   for i < out - 1
 *   start(out - 1) = in - k          (the only window when out == 1)
 * each window covering [start, start + k).
 *
 * samples: NULL, or a dense (N, C, spatial_rank) tensor of desc->dtype, the
 * same as PyTorch's _random_samples and in PyTorch's order, which differs by
 * rank: 2D (u_W, u_H), 3D (u_D, u_H, u_W). Every sample must be finite and in
 * [0, 1). samples_len is its capacity in elements (0 when samples is NULL).
 * When samples is NULL they are drawn from `seed`: sample j (j counting the
 * (N, C, rank) tensor in order) is the j-th output x of SplitMix64 started at
 * seed, as (x >> 40) * 2^-24 for float32, (x >> 11) * 2^-53 for float64. The
 * same seed gives the same result on every machine and thread count.
 *
 * input: dense (N, C, in...) in desc->layout; output and indices (optional,
 * may be NULL with indices_len 0): dense (N, C, out...) in the same layout;
 * indices are int64 positions (d*H + h)*W + w within the (n, c) input plane,
 * as PyTorch's return_indices.
 * dtype: float32 or float64 (the window arithmetic runs in the element type).
 * Errors: NULL_POINTER (desc, output_size, input, output), INVALID_ARGUMENT
 * (kernel_size < 1, output_size < 1, a sample out of [0, 1) or not finite: the
 * message names n, c, axis and value; samples_len != 0 with NULL samples;
 * overlapping buffers), INVALID_SHAPE (output_size + kernel_size - 1 > input_size),
 * OVERFLOW, BUFFER_TOO_SMALL (samples_len, input_len, output_len, indices_len),
 * UNSUPPORTED (dtype, layout, rank not 2 or 3, struct_size, flags),
 * OUT_OF_MEMORY (scratch for the window starts: the sum of output_size, in int64s).
 */
SWIFTPOOL_API int32_t swiftpool_fractional_max_pool_forward(const swiftpool_pool_desc *desc,
                                                            const int64_t *output_size,
                                                            const void *samples, int64_t samples_len,
                                                            uint64_t seed,
                                                            const void *input, int64_t input_len,
                                                            void *output, int64_t output_len,
                                                            int64_t *indices, int64_t indices_len);

/*
 * ROI max pooling, 2D (spatial_rank 2), forward.
 * Matches torchvision.ops.roi_pool (and its argmax, from
 * torch.ops.torchvision.roi_pool) and ONNX MaxRoiPool-22 (pooled_shape =
 * output_size, spatial_scale), which ONNX Runtime computes the same way.
 *
 * desc: the input feature map (N, C, H, W) (NHWC: (N, H, W, C)), float32 or
 * float64; flags must be 0; window fields are ignored.
 * boxes: dense (num_boxes, 5) tensor of desc->dtype, rows
 * (batch_index, x1, y1, x2, y2) in input coordinates; boxes_len its capacity in
 * elements. num_boxes 0 is a valid no-op.
 * output_size: 2 entries (pooled_height, pooled_width), each >= 1.
 * spatial_scale: multiplies the coordinates; rounded to desc->dtype first (as
 * torchvision), then it must be finite and > 0 (as ONNX Runtime requires).
 *
 * Per box, all arithmetic in the element type, as torchvision's CPU kernel:
 *   batch = trunc(batch_index), in [0, N);
 *   x1' = round(x1 * scale) (half away from zero; also y1, x2, y2), each within int32;
 *   roi_w = max(x2' - x1' + 1, 1), roi_h = max(y2' - y1' + 1, 1);
 *   bin_h = roi_h / pooled_height; bin (ph, pw) covers rows
 *   [floor(ph * bin_h), ceil((ph + 1) * bin_h)) + y1', columns likewise, clipped to the map.
 * An empty bin gives 0 with argmax -1. Otherwise the max starts at -FLT_MAX (also
 * for float64) and a value replaces it only when strictly greater, so NaN is
 * ignored, ties keep the first in row-major order, and a bin of only NaN or
 * -inf (or, for float64, values below -FLT_MAX) gives -FLT_MAX with argmax -1
 * (torchvision's exact behaviour; ONNX Runtime differs only for bins holding NaN).
 *
 * output: dense (num_boxes, C, PH, PW) in desc->layout (NHWC: (num_boxes, PH, PW, C)).
 * argmax (optional, may be NULL with argmax_len 0): same shape, int64 position
 * h*W + w in the box's (batch, c) input plane, or -1.
 * Errors: NULL_POINTER (desc, boxes, output_size, input, output), INVALID_ARGUMENT
 * (num_boxes < 0, output_size < 1, spatial_scale, a bad box: batch index out of
 * range or not finite, a coordinate not finite or out of int32 after scaling, the
 * message naming the box, field and value; overlapping buffers), OVERFLOW,
 * BUFFER_TOO_SMALL (boxes_len, input_len, output_len, argmax_len), UNSUPPORTED
 * (dtype, layout, rank not 2, struct_size, flags).
 */
SWIFTPOOL_API int32_t swiftpool_roi_max_pool_forward(const swiftpool_pool_desc *desc,
                                                     const void *boxes, int64_t num_boxes, int64_t boxes_len,
                                                     const int64_t *output_size, double spatial_scale,
                                                     const void *input, int64_t input_len,
                                                     void *output, int64_t output_len,
                                                     int64_t *argmax, int64_t argmax_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SWIFTPOOL_H */
