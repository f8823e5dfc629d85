/*
 * fuzz_capi.c — libFuzzer target for every C entry point of libswiftpool.
 *
 * Random bytes decode into one call: which function, a descriptor (each field
 * either small and plausible or a boundary value: 0, -1, 2^31, 2^62, INT64_MAX,
 * INT64_MIN, raw bits ...), declared buffer capacities (exact, short, long,
 * 0, negative, huge, NULL, misaligned, aliased) and the data (ties, NaN
 * payloads, ±inf, ±0, random bits). Every buffer is a heap block of exactly the
 * declared capacity, so AddressSanitizer reports any access past it; lengths the
 * harness cannot allocate are only declared when the tensor itself is small,
 * and then the block is exactly the tensor.
 *
 * Entry points: max/avg pooling and their output shape, descriptor init, status
 * strings, thread settings, version and ISA queries, LP, adaptive max/avg and
 * spatial pyramid pooling (+output length), max unpooling (+output shape),
 * fractional and ROI max pooling, max/avg pooling backward (opcode bytes 244..255;
 * indices from the forward, random valid ones, or one corrupted).
 *
 * Oracles (Tests/hardening/ref_pool.h and ref_ops.h, written from the header,
 * not the library; see docs/reliability.md):
 *  - the status must be one the header allows for this call;
 *  - on failure: a message naming the function, and every output byte untouched;
 *  - on success: empty message, outputs and indices bit-equal to the model (NaN
 *    payloads included for max-type results; averages whose summation order is
 *    unspecified and LP's pow() within a bound), the bytes past the tensor in a
 *    longer buffer untouched, every input unchanged.
 * A mismatch prints the decoded call and aborts (libFuzzer saves the input).
 *
 * Build: see `make fuzz` (clang -fsanitize=fuzzer,address,undefined). Without
 * libFuzzer (-DFUZZ_STANDALONE_MAIN) it replays files given on the command line,
 * for valgrind and plain builds.
 */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftpool.h"
#include "../hardening/ref_pool.h"
#include "../hardening/ref_ops.h"

/* Largest buffer (elements) and work (taps) a call may have: keeps each run in
 * the microseconds, so the fuzzer explores shapes rather than big tensors. */
#define MAX_ELEMS (1 << 14)
#define MAX_WORK (1 << 18)

/* ---- input decoding ------------------------------------------------------ */

typedef struct {
    const uint8_t *data;
    size_t size, pos;
} reader;

static uint8_t u8(reader *r) { return r->pos < r->size ? r->data[r->pos++] : 0; }
static uint64_t u64(reader *r) {
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x = (x << 8) | u8(r);
    return x;
}

/* A 64-bit field: mostly lo..hi (plausible values), else a boundary value. */
static int64_t field(reader *r, int64_t lo, int64_t hi) {
    uint8_t b = u8(r);
    if (b < 216) return lo + (int64_t)(u8(r) % (uint64_t)(hi - lo + 1));
    switch (b % 20) {
    case 0: return -1;
    case 1: return 0;
    case 2: return INT64_MAX;
    case 3: return INT64_MIN;
    case 4: return INT64_C(1) << 31;
    case 5: return (INT64_C(1) << 31) + 1;
    case 6: return INT64_C(1) << 32;
    case 7: return INT64_C(1) << 62;
    case 8: return INT64_MAX / 2;
    case 9: return INT64_MAX - 1;
    case 10: return (int64_t)u64(r);
    case 11: return INT64_C(1) << 20;
    case 12: return INT64_C(3037000500); /* ~sqrt(2^63): products of two overflow */
    case 13: return INT64_C(2097152);    /* 2^21: cube root of 2^63 */
    case 14: return -(int64_t)(u8(r) + 2);
    case 15: return INT64_C(1) << 61;
    case 16: return (INT64_C(1) << 62) + 1;
    case 17: return INT64_C(1) << 30;
    case 18: return 100000 + u8(r);
    default: return u8(r);
    }
}

/* A 32-bit enum-like field: mostly one of `n` valid values starting at lo. */
static int32_t enum_field(reader *r, int32_t lo, int32_t n) {
    uint8_t b = u8(r);
    if (b < 232) return lo + b % n;
    switch (b % 8) {
    case 0: return -1;
    case 1: return lo + n;
    case 2: return INT32_MAX;
    case 3: return INT32_MIN;
    case 4: return lo - 1;
    default: return (int32_t)(uint32_t)u64(r);
    }
}

/* ---- values ---------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Element i of a profile: ties (small halves), specials (NaN payloads, ±inf, ±0),
 * wide random values, or raw bit patterns (denormals, signalling NaNs), stored
 * in any dtype (integers take the value's low bits). */
static void fill_values(void *buf, int64_t n, int dtype, uint8_t profile, uint64_t seed) {
    size_t esize = ref_elem_size(dtype);
    if (!esize) return;
    for (int64_t i = 0; i < n; i++) {
        uint64_t x = splitmix(&seed);
        unsigned char *p = (unsigned char *)buf + i * (int64_t)esize;
        double v;
        unsigned pick = (unsigned)(x >> 56);
        switch (profile % 4) {
        case 0: v = (double)((int)(x % 9) - 4) / 2; break;
        case 1:
            if (pick < 24) v = NAN;
            else if (pick < 40) v = INFINITY;
            else if (pick < 56) v = -INFINITY;
            else if (pick < 72) v = -0.0;
            else v = (double)((int)(x % 9) - 4) / 2;
            break;
        case 2: v = ((double)(int64_t)x) * 0x1p-50; break;
        default: memcpy(p, &x, esize); continue; /* raw bits */
        }
        switch (dtype) {
        case SWIFTPOOL_DTYPE_FLOAT64:
            if (isnan(v)) { uint64_t b = 0x7FF8000000000000ull | (x & 0xFFFFF) | 1; memcpy(p, &b, 8); }
            else memcpy(p, &v, 8);
            break;
        case SWIFTPOOL_DTYPE_FLOAT32: {
            float f = (float)v;
            uint32_t b = 0x7FC00000u | (uint32_t)(x & 0xFFFF) | 1;
            if (isnan(v)) memcpy(p, &b, 4); else memcpy(p, &f, 4);
            break;
        }
        case SWIFTPOOL_DTYPE_FLOAT16: {
            uint16_t h = isnan(v) ? (uint16_t)(0x7E00 | (x & 0x1FF) | 1) : ref_double_to_half(v);
            memcpy(p, &h, 2);
            break;
        }
        case SWIFTPOOL_DTYPE_BFLOAT16: {
            uint16_t h = isnan(v) ? (uint16_t)(0x7FC0 | (x & 0x3F) | 1) : ref_double_to_bf16(v);
            memcpy(p, &h, 2);
            break;
        }
        default: /* integers: ties from the small values, the rest from the bits */
            *p = profile % 4 == 0 ? (unsigned char)(int)(v * 2) : (unsigned char)x;
            break;
        }
    }
}

/* ---- buffers ----------------------------------------------------------------- */

/* A heap block that ends exactly at the end of the declared (or tensor) capacity;
 * `ptr` may be offset into it to misalign, or NULL. Filled with a position-
 * dependent byte pattern so untouched bytes can be verified. */
typedef struct {
    uint8_t *block;
    size_t bytes;   /* bytes from ptr to the block's end */
    void *ptr;
    int64_t len;    /* declared capacity, elements */
    int alias;      /* ptr belongs to another buffer */
    int misaligned; /* ptr is not a multiple of the element size */
} fbuf;

static uint8_t pattern(size_t i) { return (uint8_t)(0xA5 ^ (i * 31)); }

enum { LEN_EXACT, LEN_LONG, LEN_SHORT, LEN_ZERO, LEN_NEGATIVE, LEN_HUGE, LEN_NULL, LEN_MISALIGNED, LEN_ALIAS };

static int len_mode(reader *r) {
    uint8_t b = u8(r);
    if (b < 150) return LEN_EXACT;
    if (b < 180) return LEN_LONG;
    if (b < 205) return LEN_SHORT;
    if (b < 215) return LEN_ZERO;
    if (b < 222) return LEN_NEGATIVE;
    if (b < 232) return LEN_HUGE;
    if (b < 240) return LEN_NULL;
    if (b < 248) return LEN_MISALIGNED;
    return LEN_ALIAS;
}

/* `needed` is the tensor's element count per the model, or -1 when the descriptor
 * is invalid (then small blocks are used). */
static void make_buffer(fbuf *b, reader *r, int64_t needed, size_t esize, int mode) {
    memset(b, 0, sizeof *b);
    if (mode == LEN_HUGE && needed > MAX_ELEMS) mode = LEN_EXACT; /* never declare more than the block then */
    int64_t base = needed >= 0 && needed <= MAX_ELEMS ? needed : (int64_t)(u8(r) % 32);
    int64_t alloc = base, misalign = 0;
    b->len = base;
    switch (mode) {
    case LEN_LONG: b->len = alloc = base + 1 + u8(r) % 16; break;
    case LEN_SHORT: b->len = alloc = base > 0 ? base - 1 - (int64_t)(u8(r) % (uint64_t)base) : 0; break;
    case LEN_ZERO: b->len = alloc = 0; break;
    case LEN_NEGATIVE: b->len = field(r, -3, -1); if (b->len >= 0) b->len = -1; break;
    case LEN_HUGE: {
        /* Declared capacity far beyond the block: allowed, the call must only use `base`. */
        int64_t h = field(r, MAX_ELEMS + 1, MAX_ELEMS + 1000);
        b->len = h > base ? h : INT64_MAX;
        break;
    }
    case LEN_MISALIGNED: misalign = esize > 1 ? 1 + u8(r) % (esize - 1) : 0; break;
    default: break;
    }
    if (alloc > MAX_ELEMS) alloc = MAX_ELEMS;
    if (b->len >= 0 && b->len < alloc) alloc = b->len;
    b->bytes = (size_t)alloc * esize;
    /* malloc(0) may return NULL: keep one byte so the pointer is valid and distinct. */
    b->block = malloc((size_t)misalign + b->bytes + (b->bytes == 0));
    if (!b->block) abort();
    b->ptr = b->block + misalign;
    b->misaligned = misalign != 0;
    for (size_t i = 0; i < b->bytes; i++) ((uint8_t *)b->ptr)[i] = pattern(i);
    if (mode == LEN_NULL) b->ptr = NULL;
}

static void free_buffer(fbuf *b) { if (!b->alias) free(b->block); }

/* ---- failure reporting ------------------------------------------------------- */

static char call_text[2048];

static void describe(const char *fn, const swiftpool_pool_desc *d) {
    int n = snprintf(call_text, sizeof call_text, "%s", fn);
    if (!d) { snprintf(call_text + n, sizeof call_text - (size_t)n, " desc=NULL"); return; }
    snprintf(call_text + n, sizeof call_text - (size_t)n,
             " struct_size=%u dtype=%d layout=%d rank=%d N=%lld C=%lld in=[%lld %lld %lld] k=[%lld %lld %lld] "
             "s=[%lld %lld %lld] p=[%lld %lld %lld] pe=[%lld %lld %lld] dil=[%lld %lld %lld] ceil=%d cip=%d "
             "div=%lld auto_pad=%d flags=0x%x",
             d->struct_size, d->dtype, d->layout, d->spatial_rank, (long long)d->batch, (long long)d->channels,
             (long long)d->input_size[0], (long long)d->input_size[1], (long long)d->input_size[2],
             (long long)d->kernel_size[0], (long long)d->kernel_size[1], (long long)d->kernel_size[2],
             (long long)d->stride[0], (long long)d->stride[1], (long long)d->stride[2],
             (long long)d->padding[0], (long long)d->padding[1], (long long)d->padding[2],
             (long long)d->padding_end[0], (long long)d->padding_end[1], (long long)d->padding_end[2],
             (long long)d->dilation[0], (long long)d->dilation[1], (long long)d->dilation[2],
             d->ceil_mode, d->count_include_pad, (long long)d->divisor_override, d->auto_pad, d->flags);
    /* Replaying a unit that crashed (no FAIL message then): which call it made. */
    if (getenv("FUZZ_PRINT_CALL")) fprintf(stderr, "call: %s\n", call_text);
}

#define FAIL(...)                                                                          \
    do {                                                                                   \
        fprintf(stderr, "\nfuzz_capi: FAILURE at %s:%d: ", __FILE__, __LINE__);          \
        fprintf(stderr, __VA_ARGS__);                                                      \
        fprintf(stderr, "\n  call: %s\n  last error: '%s'\n", call_text,                  \
                swiftpool_last_error_message());                                          \
        abort();                                                                           \
    } while (0)

static void check_status(int32_t rc, uint32_t acceptable, const char *fn) {
    if (rc < 0 || rc > 30 || !(acceptable & (1u << rc)))
        FAIL("status %d (%s) not acceptable (mask 0x%x)", rc, swiftpool_status_string(rc), acceptable);
    const char *msg = swiftpool_last_error_message();
    if (!msg) FAIL("last_error_message is NULL");
    if (rc == SWIFTPOOL_OK && msg[0] != '\0') FAIL("success left a message '%s'", msg);
    if (rc != SWIFTPOOL_OK && !strstr(msg, fn)) FAIL("message does not name %s", fn);
}

static void check_untouched(const fbuf *b, size_t from, const char *what) {
    if (!b->ptr || b->alias) return;
    for (size_t i = from; i < b->bytes; i++)
        if (((const uint8_t *)b->ptr)[i] != pattern(i)) FAIL("%s byte %zu written (of %zu)", what, i, b->bytes);
}

/* ---- descriptors ------------------------------------------------------------- */

static void decode_desc(reader *r, swiftpool_pool_desc *d) {
    memset(d, 0, sizeof *d);
    d->struct_size = sizeof *d;
    uint8_t s = u8(r);
    if (s >= 248) {
        switch (s % 6) {
        case 0: d->struct_size = 0; break;
        case 1: d->struct_size = sizeof *d - 8; break;
        case 2: d->struct_size = sizeof *d + 8; break;
        case 3: d->struct_size = 4; break;
        case 4: d->struct_size = 1 + u8(r); break;
        default: d->struct_size = (uint32_t)u64(r); break;
        }
    }
    d->dtype = enum_field(r, 1, 6);
    d->layout = enum_field(r, 1, 2);
    d->spatial_rank = enum_field(r, 1, 3);
    d->batch = field(r, 0, 3);
    d->channels = field(r, 1, 17);
    for (int i = 0; i < 3; i++) {
        d->input_size[i] = field(r, 1, 12);
        d->kernel_size[i] = field(r, 1, 5);
        d->stride[i] = field(r, 1, 4);
        d->padding[i] = field(r, 0, 2);
        d->padding_end[i] = field(r, -1, 2);
        d->dilation[i] = field(r, 1, 3);
    }
    d->ceil_mode = enum_field(r, 0, 2);
    d->count_include_pad = enum_field(r, 0, 2);
    uint8_t dv = u8(r);
    d->divisor_override = dv < 180 ? 0 : field(r, 1, 9);
    uint8_t ap = u8(r);
    d->auto_pad = ap < 160 ? 0 : enum_field(r, 0, 4);
    uint8_t fl = u8(r);
    d->flags = fl < 120 ? 0 : fl < 250 ? (uint32_t)(fl & 7) : (uint32_t)u64(r);
}

/* The desc pointer handed to the library: NULL, a block of exactly struct_size
 * bytes when that is shorter than the struct (the library must read only the
 * size field before rejecting it), or a block exactly the struct's size. */
static swiftpool_pool_desc *place_desc(reader *r, const swiftpool_pool_desc *d, void **block) {
    *block = NULL;
    if (u8(r) >= 250) return NULL;
    size_t bytes = sizeof *d;
    if (d->struct_size >= 4 && d->struct_size < sizeof *d) bytes = d->struct_size;
    *block = malloc(bytes);
    if (!*block) abort();
    memcpy(*block, d, bytes);
    return *block;
}

/* ---- operators ----------------------------------------------------------------- */

static void fuzz_pool(reader *r, int op) {
    const char *fn = op == REF_OP_MAX ? "swiftpool_max_pool_forward" : "swiftpool_avg_pool_forward";
    swiftpool_pool_desc d;
    decode_desc(r, &d);
    void *desc_block;
    swiftpool_pool_desc *dp = place_desc(r, &d, &desc_block);
    describe(fn, dp ? &d : NULL);

    ref_geom g;
    ref_verdict v = ref_validate(dp ? &d : NULL, op, &g);
    int valid = v.required == 0;
    size_t esize = ref_elem_size(d.dtype) ? ref_elem_size(d.dtype) : 4;
    /* A valid problem too big to run here gets buffers of at most MAX_ELEMS
     * elements that say so (never a huge declared capacity): it must fail with
     * BUFFER_TOO_SMALL, which exercises the huge-shape paths safely. */
    if (valid && g.in_elems <= MAX_ELEMS && g.out_elems <= MAX_ELEMS && ref_work(&g) > MAX_WORK) {
        free(desc_block); /* small buffers, but too slow to check here */
        return;
    }

    int in_mode = len_mode(r), out_mode = len_mode(r), idx_mode = len_mode(r);
    int want_indices = op == REF_OP_MAX && (u8(r) & 1);
    fbuf in, out, idx;
    make_buffer(&in, r, valid ? g.in_elems : -1, esize, in_mode == LEN_ALIAS ? LEN_EXACT : in_mode);
    make_buffer(&out, r, valid ? g.out_elems : -1, esize, out_mode);
    memset(&idx, 0, sizeof idx);
    if (want_indices) make_buffer(&idx, r, valid ? g.out_elems : -1, 8, idx_mode);
    /* Aliasing: output (or indices) is the input block. */
    if (out_mode == LEN_ALIAS) {
        free(out.block);
        out = in; out.alias = 1;
    }
    if (want_indices && idx_mode == LEN_ALIAS) {
        free(idx.block);
        idx = (u8(r) & 1) ? in : out; idx.alias = 1;
        /* A misaligned alias would mix two rules; keep indices 8-byte aligned. */
        if ((uintptr_t)idx.ptr % 8) idx.ptr = NULL;
        idx.len = idx.ptr ? (int64_t)(idx.bytes / 8) : 0;
    }
    uint8_t profile = u8(r);
    uint64_t seed = u64(r);
    if (in.ptr) fill_values(in.ptr, (int64_t)(in.bytes / esize), d.dtype, profile, seed);
    void *in_copy = malloc(in.bytes + 1);
    if (!in_copy) abort();
    if (in.ptr) memcpy(in_copy, in.ptr, in.bytes);
    if (u8(r) >= 200) swiftpool_set_num_threads((int32_t)(u8(r) % 9));

    /* The header's rules for the buffers, on top of the descriptor's verdict. */
    uint32_t acceptable;
    if (!valid) {
        /* The descriptor's errors; a library may as well check pointers first. */
        acceptable = ref_acceptable(v);
        if (!in.ptr || !out.ptr) acceptable |= REF_NULL;
        if (in.misaligned || out.misaligned || (want_indices && idx.misaligned)) acceptable |= REF_INVALID;
        if (in.len < 0 || out.len < 0 || (want_indices && idx.ptr && idx.len < 0)) acceptable |= REF_INVALID | REF_SMALL;
    } else {
        uint32_t req = 0, opt = v.optional;
        int64_t in_bytes = g.in_elems * (int64_t)esize, out_bytes = g.out_elems * (int64_t)esize;
        if (!in.ptr || !out.ptr) req |= REF_NULL;
        if ((in.ptr && in.misaligned) || (out.ptr && out.misaligned)) req |= REF_INVALID;
        if (in.len < 0 || out.len < 0) { req |= REF_SMALL; opt |= REF_INVALID; }
        if (in.len < g.in_elems || out.len < g.out_elems) req |= REF_SMALL;
        if (in.ptr && out.ptr && out.alias && in_bytes > 0 && out_bytes > 0) req |= REF_INVALID;
        if (want_indices && idx.ptr) {
            if (idx.misaligned) req |= REF_INVALID;
            if (idx.len < 0) { req |= REF_SMALL; opt |= REF_INVALID; }
            if (idx.len < g.out_elems) req |= REF_SMALL;
            if (idx.alias && g.out_elems > 0 && ((idx.ptr == in.ptr && in_bytes > 0) || idx.ptr == out.ptr))
                req |= REF_INVALID;
        }
        /* NULL indices with a non-zero indices_len: the header pairs NULL with 0. */
        if (want_indices && !idx.ptr && idx.len != 0) opt |= REF_INVALID;
        acceptable = (req ? req : REF_OK) | opt;
    }

    int32_t rc = op == REF_OP_MAX
        ? swiftpool_max_pool_forward(dp, in.ptr, in.len, out.ptr, out.len, want_indices ? idx.ptr : NULL,
                                     want_indices ? idx.len : 0)
        : swiftpool_avg_pool_forward(dp, in.ptr, in.len, out.ptr, out.len);
    if (rc == SWIFTPOOL_OK && !valid) FAIL("accepted an invalid call");
    check_status(rc, acceptable, fn);
    if (in.ptr && memcmp(in_copy, in.ptr, in.bytes) != 0) FAIL("input was modified");

    if (rc != SWIFTPOOL_OK) {
        check_untouched(&out, 0, "output");
        check_untouched(&idx, 0, "indices");
    } else {
        size_t out_bytes = (size_t)g.out_elems * esize;
        check_untouched(&out, out_bytes, "output slack");
        if (want_indices && idx.ptr) check_untouched(&idx, (size_t)g.out_elems * 8, "indices slack");
        void *expect = malloc(out_bytes + 1);
        int64_t *expect_idx = malloc((size_t)g.out_elems * 8 + 8);
        if (!expect || !expect_idx) abort();
        if (op == REF_OP_MAX) ref_max_pool(&g, in_copy, expect, expect_idx);
        else ref_avg_pool(&g, in_copy, expect);
        for (int64_t q = 0; q < g.out_elems; q++) {
            const uint8_t *a = (const uint8_t *)out.ptr + q * (int64_t)esize, *b = (const uint8_t *)expect + q * (int64_t)esize;
            if (memcmp(a, b, esize) == 0) continue;
            double x = ref_load(&g, out.ptr, q), y = ref_load(&g, expect, q);
            /* An average over several NaNs may carry any of their payloads. */
            if (op == REF_OP_AVG && isnan(x) && isnan(y)) continue;
            FAIL("output[%lld] = %.17g, reference %.17g", (long long)q, x, y);
        }
        if (want_indices && idx.ptr)
            for (int64_t q = 0; q < g.out_elems; q++)
                if (((int64_t *)idx.ptr)[q] != expect_idx[q] && expect_idx[q] != REF_INDEX_UNREPRESENTABLE)
                    FAIL("indices[%lld] = %lld, reference %lld", (long long)q, (long long)((int64_t *)idx.ptr)[q],
                         (long long)expect_idx[q]);
        free(expect);
        free(expect_idx);
    }
    swiftpool_set_num_threads(0);
    free(in_copy);
    free_buffer(&in);
    free_buffer(&out);
    if (want_indices) free_buffer(&idx);
    free(desc_block);
}

static void fuzz_output_shape(reader *r) {
    const char *fn = "swiftpool_pool_output_shape";
    swiftpool_pool_desc d;
    decode_desc(r, &d);
    void *desc_block;
    swiftpool_pool_desc *dp = place_desc(r, &d, &desc_block);
    describe(fn, dp ? &d : NULL);
    ref_geom g;
    /* Shapes do not depend on the operator: the header's max_pool rules apply. */
    ref_verdict v = ref_validate(dp ? &d : NULL, REF_OP_MAX, &g);
    uint8_t which = u8(r);
    int64_t *sizes = (which & 1) ? malloc(3 * sizeof(int64_t)) : NULL;
    int64_t *elements = (which & 2) ? malloc(sizeof(int64_t)) : NULL;
    const int64_t sentinel = INT64_C(-0x5A5A5A5A5A5A5A5B);
    if (sizes) for (int i = 0; i < 3; i++) sizes[i] = sentinel;
    if (elements) *elements = sentinel;
    int32_t rc = swiftpool_pool_output_shape(dp, sizes, elements);
    check_status(rc, ref_acceptable(v), fn);
    if (rc != SWIFTPOOL_OK) {
        if (sizes) for (int i = 0; i < 3; i++) if (sizes[i] != sentinel) FAIL("output_size[%d] written on failure", i);
        if (elements && *elements != sentinel) FAIL("output_elements written on failure");
    } else {
        if (sizes)
            for (int i = 0; i < 3; i++) {
                int64_t want = i < g.rank ? g.ax[3 - g.rank + i].out : sentinel;
                if (sizes[i] != want) FAIL("output_size[%d] = %lld, expected %lld", i, (long long)sizes[i], (long long)want);
            }
        if (elements && *elements != g.out_elems)
            FAIL("output_elements = %lld, expected %lld", (long long)*elements, (long long)g.out_elems);
    }
    free(sizes);
    free(elements);
    free(desc_block);
}

static void fuzz_desc_init(reader *r) {
    const char *fn = "swiftpool_pool_desc_init";
    int32_t rank = enum_field(r, 1, 3);
    int null = u8(r) >= 240;
    swiftpool_pool_desc *d = null ? NULL : malloc(sizeof *d);
    snprintf(call_text, sizeof call_text, "%s(desc=%s, spatial_rank=%d)", fn, null ? "NULL" : "heap", rank);
    if (d) memset(d, 0x5A, sizeof *d);
    int32_t rc = swiftpool_pool_desc_init(d, rank);
    uint32_t acceptable = null ? REF_NULL : (rank >= 1 && rank <= 3) ? REF_OK : REF_UNSUPPORTED;
    if (null && (rank < 1 || rank > 3)) acceptable |= REF_UNSUPPORTED;
    check_status(rc, acceptable, fn);
    if (d && rc != SWIFTPOOL_OK) {
        for (size_t i = 0; i < sizeof *d; i++)
            if (((uint8_t *)d)[i] != 0x5A) FAIL("desc byte %zu written on failure", i);
    } else if (d) {
        /* The header's documented defaults. */
        int ok = d->struct_size == sizeof *d && d->dtype == SWIFTPOOL_DTYPE_FLOAT32 &&
                 d->layout == SWIFTPOOL_LAYOUT_NCHW && d->spatial_rank == rank && d->batch == 1 && d->channels == 1 &&
                 d->ceil_mode == 0 && d->count_include_pad == 1 && d->divisor_override == 0 &&
                 d->auto_pad == SWIFTPOOL_AUTO_PAD_NOTSET && d->flags == 0;
        for (int i = 0; i < rank; i++)
            ok = ok && d->input_size[i] == 1 && d->kernel_size[i] == 1 && d->stride[i] == 1 && d->padding[i] == 0 &&
                 d->padding_end[i] == -1 && d->dilation[i] == 1;
        if (!ok) FAIL("defaults differ from the header");
        ref_geom g;
        if (ref_validate(d, REF_OP_MAX, &g).required || ref_validate(d, REF_OP_AVG, &g).required)
            FAIL("default descriptor is not valid");
    }
    free(d);
}

static void fuzz_misc(reader *r) {
    snprintf(call_text, sizeof call_text, "misc");
    int32_t s = (int32_t)(uint32_t)u64(r);
    const char *name = swiftpool_status_string(s);
    static const struct { int32_t code; const char *name; } known[] = {
        {0, "SWIFTPOOL_OK"}, {1, "SWIFTPOOL_ERROR_NULL_POINTER"}, {2, "SWIFTPOOL_ERROR_INVALID_ARGUMENT"},
        {3, "SWIFTPOOL_ERROR_INVALID_SHAPE"}, {4, "SWIFTPOOL_ERROR_OVERFLOW"},
        {5, "SWIFTPOOL_ERROR_BUFFER_TOO_SMALL"}, {6, "SWIFTPOOL_ERROR_UNSUPPORTED"},
        {7, "SWIFTPOOL_ERROR_OUT_OF_MEMORY"}, {99, "SWIFTPOOL_ERROR_INTERNAL"}};
    const char *want = "SWIFTPOOL_UNKNOWN_STATUS";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) if (known[i].code == s) want = known[i].name;
    if (!name || strcmp(name, want) != 0) FAIL("status_string(%d) = %s, expected %s", s, name ? name : "NULL", want);

    int32_t before = swiftpool_get_num_threads();
    int32_t n = u8(r) < 200 ? (int32_t)(u8(r) % 70) - 3 : (int32_t)(uint32_t)u64(r);
    snprintf(call_text, sizeof call_text, "swiftpool_set_num_threads(%d)", n);
    int32_t rc = swiftpool_set_num_threads(n);
    check_status(rc, n < 0 ? REF_INVALID : REF_OK, "swiftpool_set_num_threads");
    int32_t now = swiftpool_get_num_threads();
    if (now < 1) FAIL("get_num_threads = %d", now);
    if (n > 0 && now != n) FAIL("get_num_threads = %d after set %d", now, n);
    if (n < 0 && now != before) FAIL("a rejected set changed the count %d -> %d", before, now);
    swiftpool_set_num_threads(0);

    if (swiftpool_version_number() != SWIFTPOOL_VERSION_NUMBER) FAIL("version number");
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", SWIFTPOOL_VERSION_MAJOR, SWIFTPOOL_VERSION_MINOR, SWIFTPOOL_VERSION_PATCH);
    if (strcmp(swiftpool_version_string(), v) != 0) FAIL("version string");
    const char *isa = swiftpool_isa();
    if (!isa || !isa[0] || strlen(isa) > 32) FAIL("isa");
}

/* ---- buffers of the unpool / fractional / ROI operators ---------------------- */

/* One buffer argument: `needed` elements when the problem is valid; `required`
 * when NULL is an error (optional buffers pair NULL with a 0 capacity). */
typedef struct {
    fbuf *b;
    int64_t needed;
    int required;
    int present; /* passed to the call (optional ones may be left out) */
} bufspec;

/* The header's rules for buffer arguments, on top of the descriptor's verdict.
 * Overlap: the harness only aliases whole buffers, so two arguments overlap iff
 * they share a pointer and both tensors have bytes. */
static uint32_t buffer_verdict(ref_verdict v, const bufspec *bs, int n, size_t *esizes) {
    int valid = v.required == 0;
    uint32_t req = v.required, opt = v.optional;
    for (int i = 0; i < n; i++) {
        const fbuf *b = bs[i].b;
        if (!bs[i].present) continue;
        if (!b->ptr) {
            if (bs[i].required) { if (valid) req |= REF_NULL; else opt |= REF_NULL; }
            else if (b->len != 0) opt |= REF_INVALID;
            continue;
        }
        if (b->misaligned) { if (valid) req |= REF_INVALID; else opt |= REF_INVALID; }
        if (b->len < 0) { if (valid) req |= REF_SMALL; opt |= REF_INVALID | REF_SMALL; }
        if (valid && b->len < bs[i].needed) req |= REF_SMALL;
        for (int j = 0; j < i; j++) {
            const fbuf *o = bs[j].b;
            if (!bs[j].present || !o->ptr || o->ptr != b->ptr) continue;
            if (!valid) { opt |= REF_INVALID; continue; }
            if ((size_t)bs[i].needed * esizes[i] > 0 && (size_t)bs[j].needed * esizes[j] > 0) req |= REF_INVALID;
        }
    }
    return (req ? req : REF_OK) | opt;
}

/* Aliasing for the new operators: buffer `b` becomes buffer `to` (same block). */
static void alias_buffer(fbuf *b, const fbuf *to, size_t esize) {
    free(b->block);
    *b = *to;
    b->alias = 1;
    if ((uintptr_t)b->ptr % esize) b->ptr = NULL; /* keep one rule per call */
    b->len = b->ptr ? (int64_t)(b->bytes / esize) : 0;
    b->misaligned = 0;
}

static int64_t *decode_sizes(reader *r, int64_t *store, int64_t lo, int64_t hi) {
    for (int i = 0; i < 3; i++) store[i] = field(r, lo, hi);
    return store;
}

static void check_bits(const void *got, const void *want, int64_t n, size_t esize, const char *what) {
    for (int64_t q = 0; q < n; q++)
        if (memcmp((const char *)got + q * (int64_t)esize, (const char *)want + q * (int64_t)esize, esize) != 0)
            FAIL("%s[%lld] differs from the reference", what, (long long)q);
}

static void fuzz_unpool(reader *r, int shape_only) {
    const char *fn = shape_only ? "swiftpool_max_unpool_output_shape" : "swiftpool_max_unpool_forward";
    swiftpool_pool_desc d;
    decode_desc(r, &d);
    if (u8(r) < 200) { /* unpooling has none of these: keep most calls valid */
        d.dilation[0] = d.dilation[1] = d.dilation[2] = 1;
        d.ceil_mode = 0;
        d.auto_pad = 0;
    }
    if (u8(r) < 200) d.flags &= SWIFTPOOL_FLAG_INDICES_GLOBAL;
    void *desc_block;
    swiftpool_pool_desc *dp = place_desc(r, &d, &desc_block);
    describe(fn, dp ? &d : NULL);
    int64_t sizes_store[3];
    const int64_t *osize = u8(r) < 128 ? NULL : decode_sizes(r, sizes_store, 1, 24);
    ref_unpool u;
    ref_verdict v = ref_unpool_validate(dp ? &d : NULL, osize, &u);
    int valid = v.required == 0;
    if (shape_only) {
        uint8_t which = u8(r);
        int64_t *res = (which & 1) ? malloc(3 * sizeof(int64_t)) : NULL, *elems = (which & 2) ? malloc(8) : NULL;
        const int64_t sentinel = INT64_C(-0x5A5A5A5A5A5A5A5B);
        if (res) for (int i = 0; i < 3; i++) res[i] = sentinel;
        if (elems) *elems = sentinel;
        int32_t rc = swiftpool_max_unpool_output_shape(dp, osize, res, elems);
        check_status(rc, ref_acceptable(v), fn);
        for (int i = 0; res && i < 3; i++) {
            int64_t want = rc == SWIFTPOOL_OK && i < u.t.rank ? u.out[i] : sentinel;
            if (res[i] != want) FAIL("result_size[%d] = %lld, expected %lld", i, (long long)res[i], (long long)want);
        }
        if (elems && *elems != (rc == SWIFTPOOL_OK ? u.out_elems : sentinel)) FAIL("result_elements");
        free(res);
        free(elems);
        free(desc_block);
        return;
    }
    size_t esize = ref_elem_size(d.dtype) ? ref_elem_size(d.dtype) : 4;
    int in_mode = len_mode(r), idx_mode = len_mode(r), out_mode = len_mode(r);
    fbuf in, idx, out;
    make_buffer(&in, r, valid ? u.in_elems : -1, esize, in_mode == LEN_ALIAS ? LEN_EXACT : in_mode);
    make_buffer(&idx, r, valid ? u.in_elems : -1, 8, idx_mode == LEN_ALIAS ? LEN_EXACT : idx_mode);
    make_buffer(&out, r, valid ? u.out_elems : -1, esize, out_mode == LEN_ALIAS ? LEN_EXACT : out_mode);
    if (out_mode == LEN_ALIAS) alias_buffer(&out, (u8(r) & 1) ? &in : &idx, esize);
    else if (idx_mode == LEN_ALIAS) alias_buffer(&idx, &in, 8);
    uint8_t profile = u8(r);
    uint64_t seed = u64(r);
    if (in.ptr && !in.alias) fill_values(in.ptr, (int64_t)(in.bytes / esize), d.dtype, profile, seed);
    /* Indices: in range mostly (duplicates included), some out of range. */
    uint8_t bad = u8(r);
    int64_t limit = valid ? ((d.flags & SWIFTPOOL_FLAG_INDICES_GLOBAL) ? u.out_elems : u.out_plane) : 16;
    if (idx.ptr && !idx.alias)
        for (size_t q = 0; q < idx.bytes / 8; q++) {
            uint64_t x = splitmix(&seed);
            int64_t value = limit > 0 ? (int64_t)(x % (uint64_t)limit) : 0;
            if (bad >= 224 && x % 13 == 0) value = (x & 1) ? -1 - (int64_t)(x % 3) : limit + (int64_t)(x % 3);
            if (bad >= 250 && x % 29 == 0) value = (x & 1) ? INT64_MIN : INT64_MAX;
            memcpy((char *)idx.ptr + q * 8, &value, 8);
        }
    size_t in_bytes = in.bytes, idx_bytes = idx.bytes;
    void *in_copy = malloc(in_bytes + 1), *idx_copy = malloc(idx_bytes + 1);
    if (!in_copy || !idx_copy) abort();
    if (in.ptr) memcpy(in_copy, in.ptr, in_bytes);
    if (idx.ptr) memcpy(idx_copy, idx.ptr, idx_bytes);

    bufspec bs[3] = {{&in, u.in_elems, 1, 1}, {&idx, u.in_elems, 1, 1}, {&out, u.out_elems, 1, 1}};
    size_t es[3] = {esize, 8, esize};
    uint32_t acceptable = buffer_verdict(v, bs, 3, es);
    /* Values are checked once the buffers are known good: then a bad index is
     * the required answer. */
    if ((acceptable & REF_OK) && !ref_unpool_indices_ok(&u, idx.ptr)) acceptable = (acceptable & ~REF_OK) | REF_INVALID;
    int32_t rc = swiftpool_max_unpool_forward(dp, osize, in.ptr, in.len, idx.ptr, idx.len, out.ptr, out.len);
    if (rc == SWIFTPOOL_OK && !valid) FAIL("accepted an invalid call");
    check_status(rc, acceptable, fn);
    if (in.ptr && memcmp(in_copy, in.ptr, in_bytes) != 0) FAIL("input was modified");
    if (idx.ptr && memcmp(idx_copy, idx.ptr, idx_bytes) != 0) FAIL("indices were modified");
    if (rc != SWIFTPOOL_OK) {
        check_untouched(&out, 0, "output");
    } else {
        check_untouched(&out, (size_t)u.out_elems * esize, "output slack");
        void *expect = malloc((size_t)u.out_elems * esize + 1);
        if (!expect) abort();
        ref_max_unpool(&u, in_copy, idx_copy, expect);
        check_bits(out.ptr, expect, u.out_elems, esize, "output");
        free(expect);
    }
    free(in_copy);
    free(idx_copy);
    free_buffer(&in);
    free_buffer(&idx);
    free_buffer(&out);
    free(desc_block);
}

/* Samples in [0, 1) mostly; some at the edges or outside. */
static void fill_samples(void *buf, int64_t n, int dtype, uint8_t mode, uint64_t seed) {
    for (int64_t j = 0; j < n; j++) {
        uint64_t x = splitmix(&seed);
        double u = (double)(x >> 11) * 0x1p-53;
        if (mode >= 200) {
            switch (x % 23) {
            case 0: u = 1.0; break;
            case 1: u = -0.0; break;
            case 2: u = NAN; break;
            case 3: u = -1e-30; break;
            case 4: u = INFINITY; break;
            case 5: u = 0x1.fffffffffffffp-1; break; /* rounds to 1.0 as float32 */
            default: break;
            }
        }
        if (dtype == SWIFTPOOL_DTYPE_FLOAT64) memcpy((char *)buf + j * 8, &u, 8);
        else if (dtype == SWIFTPOOL_DTYPE_FLOAT32) { float f = (float)u; memcpy((char *)buf + j * 4, &f, 4); }
        else memset((char *)buf + j * (int64_t)ref_elem_size(dtype), 0x3C, ref_elem_size(dtype)); /* unsupported */
    }
}

static void fuzz_fractional(reader *r) {
    const char *fn = "swiftpool_fractional_max_pool_forward";
    swiftpool_pool_desc d;
    decode_desc(r, &d);
    if (u8(r) < 200) { if (d.spatial_rank == 1) d.spatial_rank = 2; d.dtype = 1 + d.dtype % 2; d.flags &= 1; }
    void *desc_block;
    swiftpool_pool_desc *dp = place_desc(r, &d, &desc_block);
    describe(fn, dp ? &d : NULL);
    /* Output sizes that fit (out + k - 1 <= in) mostly, else anything. */
    int64_t osize_store[3];
    const int64_t *osize = osize_store;
    uint8_t om = u8(r);
    for (int i = 0; i < 3; i++) {
        ref_i128 room = (ref_i128)d.input_size[i] - d.kernel_size[i] + 1;
        osize_store[i] = om < 220 && room >= 1 && room < 1000 ? 1 + (int64_t)(u8(r) % (uint64_t)room) : field(r, 1, 12);
    }
    if (om >= 250) osize = NULL;
    ref_fractional f;
    ref_verdict v = ref_fractional_validate(dp ? &d : NULL, osize, &f);
    int valid = v.required == 0;
    if (valid && (f.in_elems > MAX_ELEMS || f.out_elems > MAX_ELEMS ||
                  (ref_i128)f.out_elems * ref_product(f.kernel, f.t.rank) > MAX_WORK)) {
        if (f.in_elems <= MAX_ELEMS && f.out_elems <= MAX_ELEMS) { free(desc_block); return; }
    }
    size_t esize = ref_elem_size(d.dtype) ? ref_elem_size(d.dtype) : 4;
    int s_mode = len_mode(r), in_mode = len_mode(r), out_mode = len_mode(r), idx_mode = len_mode(r);
    int use_samples = u8(r) & 1, want_indices = u8(r) & 1;
    uint64_t seed = u64(r);
    fbuf sm, in, out, idx;
    memset(&sm, 0, sizeof sm);
    memset(&idx, 0, sizeof idx);
    if (use_samples) make_buffer(&sm, r, valid ? f.samples : -1, esize, s_mode == LEN_ALIAS ? LEN_EXACT : s_mode);
    make_buffer(&in, r, valid ? f.in_elems : -1, esize, in_mode == LEN_ALIAS ? LEN_EXACT : in_mode);
    make_buffer(&out, r, valid ? f.out_elems : -1, esize, out_mode == LEN_ALIAS ? LEN_EXACT : out_mode);
    if (want_indices) make_buffer(&idx, r, valid ? f.out_elems : -1, 8, idx_mode == LEN_ALIAS ? LEN_EXACT : idx_mode);
    if (out_mode == LEN_ALIAS) alias_buffer(&out, &in, esize);
    if (want_indices && idx_mode == LEN_ALIAS) alias_buffer(&idx, (u8(r) & 1) ? &in : &out, 8);
    uint8_t profile = u8(r), smode = u8(r);
    if (in.ptr) fill_values(in.ptr, (int64_t)(in.bytes / esize), d.dtype, profile, seed);
    if (sm.ptr) fill_samples(sm.ptr, (int64_t)(sm.bytes / esize), d.dtype, smode, seed ^ 0x55);
    void *in_copy = malloc(in.bytes + 1), *sm_copy = malloc(sm.bytes + 1);
    if (!in_copy || !sm_copy) abort();
    if (in.ptr) memcpy(in_copy, in.ptr, in.bytes);
    if (sm.ptr) memcpy(sm_copy, sm.ptr, sm.bytes);

    bufspec bs[4] = {{&sm, f.samples, 0, use_samples}, {&in, f.in_elems, 1, 1}, {&out, f.out_elems, 1, 1},
                     {&idx, f.out_elems, 0, want_indices}};
    size_t es[4] = {esize, esize, esize, 8};
    uint32_t acceptable = buffer_verdict(v, bs, 4, es);
    if ((acceptable & REF_OK) && use_samples && sm.ptr && !ref_fractional_samples_ok(&f, sm.ptr))
        acceptable = (acceptable & ~REF_OK) | REF_INVALID;
    int32_t rc = swiftpool_fractional_max_pool_forward(dp, osize, use_samples ? sm.ptr : NULL, use_samples ? sm.len : 0,
                                                       seed, in.ptr, in.len, out.ptr, out.len,
                                                       want_indices ? idx.ptr : NULL, want_indices ? idx.len : 0);
    if (rc == SWIFTPOOL_OK && !valid) FAIL("accepted an invalid call");
    check_status(rc, acceptable, fn);
    if (in.ptr && memcmp(in_copy, in.ptr, in.bytes) != 0) FAIL("input was modified");
    if (sm.ptr && memcmp(sm_copy, sm.ptr, sm.bytes) != 0) FAIL("samples were modified");
    if (rc != SWIFTPOOL_OK) {
        check_untouched(&out, 0, "output");
        check_untouched(&idx, 0, "indices");
    } else {
        check_untouched(&out, (size_t)f.out_elems * esize, "output slack");
        if (want_indices && idx.ptr) check_untouched(&idx, (size_t)f.out_elems * 8, "indices slack");
        void *expect = malloc((size_t)f.out_elems * esize + 1), *samples = malloc((size_t)f.samples * esize + 1);
        int64_t *expect_idx = malloc((size_t)f.out_elems * 8 + 8);
        if (!expect || !samples || !expect_idx) abort();
        if (use_samples && sm.ptr) memcpy(samples, sm_copy, (size_t)f.samples * esize);
        else ref_fractional_samples(&f, seed, samples);
        ref_fractional_max_pool(&f, samples, in_copy, expect, expect_idx);
        check_bits(out.ptr, expect, f.out_elems, esize, "output");
        if (want_indices && idx.ptr) check_bits(idx.ptr, expect_idx, f.out_elems, 8, "indices");
        free(expect);
        free(samples);
        free(expect_idx);
    }
    free(in_copy);
    free(sm_copy);
    if (use_samples) free_buffer(&sm);
    free_buffer(&in);
    free_buffer(&out);
    if (want_indices) free_buffer(&idx);
    free(desc_block);
}

static double decode_scale(reader *r) {
    uint8_t b = u8(r);
    static const double plain[] = {1.0, 0.5, 0.25, 2.0, 0.0625, 1.0 / 3};
    if (b < 220) return plain[b % 6];
    switch (b % 9) {
    case 0: return 0.0;
    case 1: return -1.0;
    case 2: return NAN;
    case 3: return INFINITY;
    case 4: return 1e-50;   /* 0 as float32 */
    case 5: return 1e300;   /* inf as float32 */
    case 6: return 1e9;
    default: { uint64_t x = u64(r); double d; memcpy(&d, &x, 8); return d; }
    }
}

/* Boxes inside or around the map mostly; wild values sometimes. */
static void fill_boxes(void *buf, int64_t n, int dtype, int64_t batch, int64_t H, int64_t W, uint8_t mode,
                       uint64_t seed) {
    for (int64_t k = 0; k < n; k++) {
        uint64_t x = splitmix(&seed);
        double v;
        int field_no = (int)(k % 5);
        int64_t side = field_no % 2 ? W : H;
        int64_t extent = field_no == 0 ? (batch > 0 ? batch : 1) : (side > 0 && side < 1000 ? side : 1000) + 8;
        if (extent > 1000) extent = 1000;
        v = field_no == 0 ? (double)(x % (uint64_t)extent) + (double)((x >> 20) % 4) * 0.25
                          : (double)(int64_t)(x % (uint64_t)(extent + 8)) - 8 + (double)((x >> 20) % 8) / 8;
        if (mode >= 200 && (x >> 40) % 11 == 0) {
            static const double wild[] = {NAN, INFINITY, -INFINITY, -1.0, 3e9, -3e9, 1e300, -0.5, 2147483647.5};
            v = wild[(x >> 50) % 9];
        }
        if (dtype == SWIFTPOOL_DTYPE_FLOAT64) memcpy((char *)buf + k * 8, &v, 8);
        else if (dtype == SWIFTPOOL_DTYPE_FLOAT32) { float f = (float)v; memcpy((char *)buf + k * 4, &f, 4); }
        else memset((char *)buf + k * (int64_t)ref_elem_size(dtype), 0x3C, ref_elem_size(dtype)); /* unsupported */
    }
}

static void fuzz_roi(reader *r) {
    const char *fn = "swiftpool_roi_max_pool_forward";
    swiftpool_pool_desc d;
    decode_desc(r, &d);
    if (u8(r) < 200) { d.spatial_rank = 2; d.dtype = 1 + d.dtype % 2; d.flags = 0; }
    void *desc_block;
    swiftpool_pool_desc *dp = place_desc(r, &d, &desc_block);
    describe(fn, dp ? &d : NULL);
    int64_t num_boxes = field(r, 0, 6);
    int64_t pooled_store[3];
    const int64_t *pooled = u8(r) < 250 ? decode_sizes(r, pooled_store, 1, 7) : NULL;
    double scale = decode_scale(r);
    size_t used = strlen(call_text);
    snprintf(call_text + used, sizeof call_text - used, " num_boxes=%lld pooled=[%lld %lld] spatial_scale=%a",
             (long long)num_boxes, pooled ? (long long)pooled[0] : -1LL, pooled ? (long long)pooled[1] : -1LL, scale);
    ref_roi ro;
    ref_verdict v = ref_roi_validate(dp ? &d : NULL, num_boxes, pooled, scale, &ro);
    int valid = v.required == 0;
    if (valid && ro.out_elems <= MAX_ELEMS && ro.in_elems <= MAX_ELEMS &&
        (ref_i128)ro.out_elems * (ref_product(ro.t.in, 2) / ((ref_i128)ro.pooled[0] * ro.pooled[1]) + 4) >
            MAX_WORK * 4) {
        free(desc_block);
        return;
    }
    size_t esize = ref_elem_size(d.dtype) ? ref_elem_size(d.dtype) : 4;
    int b_mode = len_mode(r), in_mode = len_mode(r), out_mode = len_mode(r), a_mode = len_mode(r);
    int want_argmax = u8(r) & 1;
    fbuf bx, in, out, am;
    memset(&am, 0, sizeof am);
    make_buffer(&bx, r, valid ? ro.box_elems : -1, esize, b_mode == LEN_ALIAS ? LEN_EXACT : b_mode);
    make_buffer(&in, r, valid ? ro.in_elems : -1, esize, in_mode == LEN_ALIAS ? LEN_EXACT : in_mode);
    make_buffer(&out, r, valid ? ro.out_elems : -1, esize, out_mode == LEN_ALIAS ? LEN_EXACT : out_mode);
    if (want_argmax) make_buffer(&am, r, valid ? ro.out_elems : -1, 8, a_mode == LEN_ALIAS ? LEN_EXACT : a_mode);
    if (out_mode == LEN_ALIAS) alias_buffer(&out, (u8(r) & 1) ? &in : &bx, esize);
    uint8_t profile = u8(r), bmode = u8(r);
    uint64_t seed = u64(r);
    if (in.ptr) fill_values(in.ptr, (int64_t)(in.bytes / esize), d.dtype, profile, seed);
    if (bx.ptr && !bx.alias)
        fill_boxes(bx.ptr, (int64_t)(bx.bytes / esize), d.dtype, d.batch, d.input_size[0], d.input_size[1], bmode,
                   seed ^ 0x77);
    void *in_copy = malloc(in.bytes + 1), *bx_copy = malloc(bx.bytes + 1);
    if (!in_copy || !bx_copy) abort();
    if (in.ptr) memcpy(in_copy, in.ptr, in.bytes);
    if (bx.ptr) memcpy(bx_copy, bx.ptr, bx.bytes);

    bufspec bs[4] = {{&bx, ro.box_elems, 1, 1}, {&in, ro.in_elems, 1, 1}, {&out, ro.out_elems, 1, 1},
                     {&am, ro.out_elems, 0, want_argmax}};
    size_t es[4] = {esize, esize, esize, 8};
    uint32_t acceptable = buffer_verdict(v, bs, 4, es);
    /* The scale and the boxes are values, checked when the shapes are known; a bad
     * one is the answer when the buffers are right, and a fair one otherwise. */
    if (!ro.scale_ok || ((acceptable & REF_OK) && !ref_roi_boxes_ok(&ro, bx.ptr, scale)))
        acceptable = (acceptable & REF_OK) ? (acceptable & ~REF_OK) | REF_INVALID : acceptable | REF_INVALID;
    int32_t rc = swiftpool_roi_max_pool_forward(dp, bx.ptr, num_boxes, bx.len, pooled, scale, in.ptr, in.len, out.ptr,
                                                out.len, want_argmax ? am.ptr : NULL, want_argmax ? am.len : 0);
    if (rc == SWIFTPOOL_OK && !valid) FAIL("accepted an invalid call");
    check_status(rc, acceptable, fn);
    if (in.ptr && memcmp(in_copy, in.ptr, in.bytes) != 0) FAIL("input was modified");
    if (bx.ptr && memcmp(bx_copy, bx.ptr, bx.bytes) != 0) FAIL("boxes were modified");
    if (rc != SWIFTPOOL_OK) {
        check_untouched(&out, 0, "output");
        check_untouched(&am, 0, "argmax");
    } else {
        check_untouched(&out, (size_t)ro.out_elems * esize, "output slack");
        if (want_argmax && am.ptr) check_untouched(&am, (size_t)ro.out_elems * 8, "argmax slack");
        void *expect = malloc((size_t)ro.out_elems * esize + 1);
        int64_t *expect_am = malloc((size_t)ro.out_elems * 8 + 8);
        if (!expect || !expect_am) abort();
        ref_roi_max_pool(&ro, bx_copy, scale, in_copy, expect, expect_am);
        check_bits(out.ptr, expect, ro.out_elems, esize, "output");
        if (want_argmax && am.ptr) check_bits(am.ptr, expect_am, ro.out_elems, 8, "argmax");
        free(expect);
        free(expect_am);
    }
    free(in_copy);
    free(bx_copy);
    free_buffer(&bx);
    free_buffer(&in);
    free_buffer(&out);
    if (want_argmax) free_buffer(&am);
    free(desc_block);
}

/* ---- adaptive, LP and spatial pyramid pooling ---------------------------------- */

/* Means whose sums the model does not reproduce bit for bit: adaptive averages
 * (PyTorch's arithmetic: float sums for float32/float16/bfloat16, rounded to the
 * element type at every step for 3D float16/bfloat16; double for float64; then
 * up to three divisions) and pyramid averages (double). Equal up to n roundings
 * of the accumulation type on the mean magnitude, plus a few of the element type. */
static void check_mean(const ref_geom *g, const void *got, const void *want, const double *mag, int64_t q,
                       int64_t count_bound, const char *what) {
    double a = ref_load(g, got, q), b = ref_load(g, want, q);
    if (a == b || (isnan(a) && isnan(b))) return;
    double ulp = g->dtype == SWIFTPOOL_DTYPE_FLOAT64 ? 0x1p-52 : g->dtype == SWIFTPOOL_DTYPE_FLOAT32 ? 0x1p-23
               : g->dtype == SWIFTPOOL_DTYPE_FLOAT16 ? 0x1p-10 : 0x1p-7;
    double acc = g->dtype == SWIFTPOOL_DTYPE_FLOAT64 ? 0x1p-52 : g->dtype == SWIFTPOOL_DTYPE_FLOAT32 ? 0x1p-24 : ulp;
    double tol = (double)count_bound * acc * mag[q] + 4 * ulp * fmax(fabs(a), fabs(b));
    /* A float (or, 3D float16/bfloat16, element-type) partial sum may overflow to
     * inf, or to inf - inf = NaN, where the double model's mean is finite (as in
     * PyTorch); possible only when the bin's |x| sum can reach the type's largest value. */
    double acc_max = g->dtype == SWIFTPOOL_DTYPE_FLOAT64 ? DBL_MAX : g->dtype == SWIFTPOOL_DTYPE_FLOAT16 ? 65504.0
                   : g->dtype == SWIFTPOOL_DTYPE_BFLOAT16 ? 0x1.fep127 : FLT_MAX;
    if ((isinf(a) || isnan(a)) && !isnan(b) && (double)count_bound * mag[q] >= acc_max) return;
    if (isinf(a) || isinf(b) || isnan(a) || isnan(b) || !(fabs(a - b) <= tol))
        FAIL("%s[%lld] = %.17g, reference %.17g (mean |x| %g)", what, (long long)q, a, b, mag[q]);
}

/* Tolerance comparison for results computed with pow() (LP pooling): the library
 * and the model may round intermediate powers differently. */
static void check_close(const ref_geom *g, const void *got, const void *want, int64_t n, const char *what) {
    double tol = g->dtype == SWIFTPOOL_DTYPE_FLOAT64 ? 1e-12 : g->dtype == SWIFTPOOL_DTYPE_FLOAT32 ? 0x1p-20
               : g->dtype == SWIFTPOOL_DTYPE_FLOAT16 ? 0x1p-8 : 0x1p-5;
    for (int64_t q = 0; q < n; q++) {
        double a = ref_load(g, got, q), b = ref_load(g, want, q);
        if ((isnan(a) && isnan(b)) || a == b) continue;
        if (isinf(a) || isinf(b) || isnan(a) || isnan(b) || fabs(a - b) > tol * fmax(fabs(a), fabs(b)) + 1e-300)
            FAIL("%s[%lld] = %.17g, reference %.17g", what, (long long)q, a, b);
    }
}

static void fuzz_adaptive(reader *r, int op) {
    const char *fn = op == REF_OP_MAX ? "swiftpool_adaptive_max_pool_forward" : "swiftpool_adaptive_avg_pool_forward";
    swiftpool_pool_desc d;
    decode_desc(r, &d);
    if (u8(r) < 200) d.flags &= op == REF_OP_MAX ? 1 : 0;
    void *desc_block;
    swiftpool_pool_desc *dp = place_desc(r, &d, &desc_block);
    describe(fn, dp ? &d : NULL);
    int64_t osize_store[3];
    const int64_t *osize = u8(r) < 250 ? decode_sizes(r, osize_store, 1, 9) : NULL;
    ref_adaptive a;
    ref_verdict v = ref_adaptive_validate(dp ? &d : NULL, osize, op, &a);
    int valid = v.required == 0;
    if (valid && a.in_elems <= MAX_ELEMS && a.out_elems <= MAX_ELEMS) {
        ref_i128 work = 1;
        for (int i = 0; i < a.t.rank; i++) {
            int64_t ratio = a.t.in[i] / a.out[i];
            int64_t per_bin = ratio < (INT64_C(1) << 30) ? ratio + 2 : INT64_C(1) << 30;
            work *= per_bin;
        }
        if (work * a.out_elems > MAX_WORK) { free(desc_block); return; }
    }
    size_t esize = ref_elem_size(d.dtype) ? ref_elem_size(d.dtype) : 4;
    int in_mode = len_mode(r), out_mode = len_mode(r), idx_mode = len_mode(r);
    int want_indices = op == REF_OP_MAX && (u8(r) & 1);
    fbuf in, out, idx;
    memset(&idx, 0, sizeof idx);
    make_buffer(&in, r, valid ? a.in_elems : -1, esize, in_mode == LEN_ALIAS ? LEN_EXACT : in_mode);
    make_buffer(&out, r, valid ? a.out_elems : -1, esize, out_mode == LEN_ALIAS ? LEN_EXACT : out_mode);
    if (want_indices) make_buffer(&idx, r, valid ? a.out_elems : -1, 8, idx_mode == LEN_ALIAS ? LEN_EXACT : idx_mode);
    if (out_mode == LEN_ALIAS) alias_buffer(&out, &in, esize);
    if (want_indices && idx_mode == LEN_ALIAS) alias_buffer(&idx, (u8(r) & 1) ? &in : &out, 8);
    uint8_t profile = u8(r);
    uint64_t seed = u64(r);
    if (in.ptr) fill_values(in.ptr, (int64_t)(in.bytes / esize), d.dtype, profile, seed);
    void *in_copy = malloc(in.bytes + 1);
    if (!in_copy) abort();
    if (in.ptr) memcpy(in_copy, in.ptr, in.bytes);
    bufspec bs[3] = {{&in, a.in_elems, 1, 1}, {&out, a.out_elems, 1, 1}, {&idx, a.out_elems, 0, want_indices}};
    size_t es[3] = {esize, esize, 8};
    uint32_t acceptable = buffer_verdict(v, bs, 3, es);
    int32_t rc = op == REF_OP_MAX
        ? swiftpool_adaptive_max_pool_forward(dp, osize, in.ptr, in.len, out.ptr, out.len,
                                              want_indices ? idx.ptr : NULL, want_indices ? idx.len : 0)
        : swiftpool_adaptive_avg_pool_forward(dp, osize, in.ptr, in.len, out.ptr, out.len);
    if (rc == SWIFTPOOL_OK && !valid) FAIL("accepted an invalid call");
    check_status(rc, acceptable, fn);
    if (in.ptr && memcmp(in_copy, in.ptr, in.bytes) != 0) FAIL("input was modified");
    if (rc != SWIFTPOOL_OK) {
        check_untouched(&out, 0, "output");
        check_untouched(&idx, 0, "indices");
    } else {
        check_untouched(&out, (size_t)a.out_elems * esize, "output slack");
        if (want_indices && idx.ptr) check_untouched(&idx, (size_t)a.out_elems * 8, "indices slack");
        void *expect = malloc((size_t)a.out_elems * esize + 1);
        int64_t *expect_idx = malloc((size_t)a.out_elems * 8 + 8);
        double *mag = malloc((size_t)a.out_elems * sizeof(double) + 8);
        if (!expect || !expect_idx || !mag) abort();
        ref_adaptive_pool(&a, op, in_copy, expect, expect_idx, mag);
        ref_geom g = ref_elem_view(&a.t);
        int64_t bin_bound = a.in_elems + 1; /* elements per bin, at most */
        for (int64_t q = 0; q < a.out_elems; q++) {
            if (memcmp((char *)out.ptr + q * (int64_t)esize, (char *)expect + q * (int64_t)esize, esize) == 0) continue;
            if (op == REF_OP_AVG) { check_mean(&g, out.ptr, expect, mag, q, bin_bound, "output"); continue; }
            FAIL("output[%lld] = %.17g, reference %.17g", (long long)q, ref_load(&g, out.ptr, q), ref_load(&g, expect, q));
        }
        free(mag);
        if (want_indices && idx.ptr) check_bits(idx.ptr, expect_idx, a.out_elems, 8, "indices");
        free(expect);
        free(expect_idx);
    }
    free(in_copy);
    free_buffer(&in);
    free_buffer(&out);
    if (want_indices) free_buffer(&idx);
    free(desc_block);
}

static double decode_norm(reader *r) {
    uint8_t b = u8(r);
    static const double plain[] = {2.0, 1.0, 3.0, 0.5, 4.0, 1.5, INFINITY, -INFINITY, -1.0, 2.5};
    if (b < 230) return plain[b % 10];
    switch (b % 5) {
    case 0: return 0.0;
    case 1: return NAN;
    case 2: return 1e300;
    case 3: return -0.0;
    default: { uint64_t x = u64(r); double v; memcpy(&v, &x, 8); return v; }
    }
}

static void fuzz_lp(reader *r) {
    const char *fn = "swiftpool_lp_pool_forward";
    swiftpool_pool_desc d;
    decode_desc(r, &d);
    uint8_t shape = u8(r);
    if (shape < 200) { /* mostly valid: float dtypes, PyTorch's or ONNX's field rules */
        d.dtype = 1 + d.dtype % 4;
        d.flags = (shape & 1) ? SWIFTPOOL_FLAG_LP_ONNX : 0;
        if (!(shape & 1)) {
            d.auto_pad = 0;
            for (int i = 0; i < 3; i++) { d.padding[i] = 0; d.padding_end[i] = -1; d.dilation[i] = 1; }
        }
    }
    double p = decode_norm(r);
    void *desc_block;
    swiftpool_pool_desc *dp = place_desc(r, &d, &desc_block);
    describe(fn, dp ? &d : NULL);
    size_t used = strlen(call_text);
    snprintf(call_text + used, sizeof call_text - used, " norm_type=%a", p);
    ref_geom g;
    ref_verdict v = ref_lp_validate(dp ? &d : NULL, p, &g);
    int valid = v.required == 0;
    if (valid && g.in_elems <= MAX_ELEMS && g.out_elems <= MAX_ELEMS && ref_work(&g) > MAX_WORK) {
        free(desc_block);
        return;
    }
    size_t esize = ref_elem_size(d.dtype) ? ref_elem_size(d.dtype) : 4;
    int in_mode = len_mode(r), out_mode = len_mode(r);
    fbuf in, out;
    make_buffer(&in, r, valid ? g.in_elems : -1, esize, in_mode == LEN_ALIAS ? LEN_EXACT : in_mode);
    make_buffer(&out, r, valid ? g.out_elems : -1, esize, out_mode == LEN_ALIAS ? LEN_EXACT : out_mode);
    if (out_mode == LEN_ALIAS) alias_buffer(&out, &in, esize);
    uint8_t profile = u8(r);
    uint64_t seed = u64(r);
    if (in.ptr) fill_values(in.ptr, (int64_t)(in.bytes / esize), d.dtype, profile, seed);
    void *in_copy = malloc(in.bytes + 1);
    if (!in_copy) abort();
    if (in.ptr) memcpy(in_copy, in.ptr, in.bytes);
    bufspec bs[2] = {{&in, g.in_elems, 1, 1}, {&out, g.out_elems, 1, 1}};
    size_t es[2] = {esize, esize};
    uint32_t acceptable = buffer_verdict(v, bs, 2, es);
    int32_t rc = swiftpool_lp_pool_forward(dp, p, in.ptr, in.len, out.ptr, out.len);
    if (rc == SWIFTPOOL_OK && !valid) FAIL("accepted an invalid call");
    check_status(rc, acceptable, fn);
    if (in.ptr && memcmp(in_copy, in.ptr, in.bytes) != 0) FAIL("input was modified");
    if (rc != SWIFTPOOL_OK) {
        check_untouched(&out, 0, "output");
    } else {
        check_untouched(&out, (size_t)g.out_elems * esize, "output slack");
        void *expect = malloc((size_t)g.out_elems * esize + 1);
        if (!expect) abort();
        ref_lp_pool(&g, p, in_copy, expect);
        check_close(&g, out.ptr, expect, g.out_elems, "output");
        free(expect);
    }
    free(in_copy);
    free_buffer(&in);
    free_buffer(&out);
    free(desc_block);
}

static void fuzz_spp_length(reader *r) {
    const char *fn = "swiftpool_spatial_pyramid_pool_output_length";
    int64_t channels = field(r, 1, 17), num = field(r, 1, 4);
    int null_levels = u8(r) >= 245, null_length = u8(r) >= 245;
    int64_t levels[8];
    for (int i = 0; i < 8; i++) levels[i] = field(r, 1, 6);
    snprintf(call_text, sizeof call_text, "%s(channels=%lld, num_levels=%lld, levels=[%lld %lld ...])", fn,
             (long long)channels, (long long)num, (long long)levels[0], (long long)levels[1]);
    /* levels holds 2 * num_levels entries only for num_levels <= 4: else NULL or skip. */
    if (num > 4 && !null_levels) return;
    int64_t *lv = null_levels ? NULL : malloc(sizeof(int64_t) * (size_t)(2 * (num > 0 ? num : 1)));
    if (lv) memcpy(lv, levels, sizeof(int64_t) * (size_t)(2 * (num > 0 ? num : 1)));
    int64_t want = 0, got = INT64_C(-0x5A5A5A5A);
    uint32_t acceptable = ref_spp_length(channels, lv, num, null_length, &want);
    int32_t rc = swiftpool_spatial_pyramid_pool_output_length(channels, lv, num, null_length ? NULL : &got);
    check_status(rc, acceptable, fn);
    if (rc != SWIFTPOOL_OK && got != INT64_C(-0x5A5A5A5A)) FAIL("length written on failure");
    if (rc == SWIFTPOOL_OK && got != want) FAIL("length %lld, expected %lld", (long long)got, (long long)want);
    free(lv);
}

static void fuzz_spp(reader *r) {
    const char *fn = "swiftpool_spatial_pyramid_pool_forward";
    swiftpool_pool_desc d;
    decode_desc(r, &d);
    uint8_t shape = u8(r);
    int32_t mode = shape < 240 ? 1 + (shape & 1) : enum_field(r, 1, 2);
    int32_t bins = shape < 240 ? 1 + ((shape >> 1) & 1) : enum_field(r, 1, 2);
    if (shape < 200) { d.spatial_rank = 2; d.flags &= mode == 1 ? 1 : 0; if (mode == 2) d.dtype = 1 + d.dtype % 4; }
    int64_t num = field(r, 1, 3);
    int64_t levels_store[6];
    for (int i = 0; i < 6; i++) levels_store[i] = field(r, 1, 4);
    const int64_t *levels = (num >= 1 && num <= 3 && u8(r) < 250) ? levels_store : NULL;
    if (!levels && num > 3) num = 3; /* never let the library read past levels_store */
    void *desc_block;
    swiftpool_pool_desc *dp = place_desc(r, &d, &desc_block);
    describe(fn, dp ? &d : NULL);
    size_t used = strlen(call_text);
    snprintf(call_text + used, sizeof call_text - used, " mode=%d bins=%d num_levels=%lld levels=[%lld %lld %lld %lld %lld %lld]",
             mode, bins, (long long)num, (long long)levels_store[0], (long long)levels_store[1], (long long)levels_store[2],
             (long long)levels_store[3], (long long)levels_store[4], (long long)levels_store[5]);
    ref_spp sp;
    ref_verdict v = ref_spp_validate(dp ? &d : NULL, levels, num, mode, bins, &sp);
    int tensor_ok = v.required == 0, valid = tensor_ok && !sp.levels_error;
    if (valid && sp.in_elems <= MAX_ELEMS && sp.out_elems <= MAX_ELEMS &&
        (ref_i128)sp.in_elems * (num + 1) + sp.out_elems > MAX_WORK) {
        free(desc_block);
        return;
    }
    size_t esize = ref_elem_size(d.dtype) ? ref_elem_size(d.dtype) : 4;
    int use_sizes = u8(r) & 1;
    /* 2N sizes entries; past int64 a library may call it OVERFLOW. */
    int64_t sizes_needed = sp.t.batch < 0 ? 0 : sp.t.batch <= INT64_MAX / 2 ? 2 * sp.t.batch : INT64_MAX;
    if (use_sizes && sp.t.batch > INT64_MAX / 2) v.optional |= REF_OVERFLOW;
    int s_mode = len_mode(r), in_mode = len_mode(r), out_mode = len_mode(r);
    fbuf sz, in, out;
    memset(&sz, 0, sizeof sz);
    if (use_sizes) make_buffer(&sz, r, tensor_ok ? sizes_needed : -1, 8, s_mode == LEN_ALIAS ? LEN_EXACT : s_mode);
    make_buffer(&in, r, tensor_ok ? sp.in_elems : -1, esize, in_mode == LEN_ALIAS ? LEN_EXACT : in_mode);
    make_buffer(&out, r, valid ? sp.out_elems : -1, esize, out_mode == LEN_ALIAS ? LEN_EXACT : out_mode);
    if (out_mode == LEN_ALIAS) alias_buffer(&out, &in, esize);
    uint8_t profile = u8(r), smode = u8(r);
    uint64_t seed = u64(r);
    if (in.ptr) fill_values(in.ptr, (int64_t)(in.bytes / esize), d.dtype, profile, seed);
    if (sz.ptr)
        for (size_t k = 0; k < sz.bytes / 8; k++) {
            uint64_t x = splitmix(&seed);
            int64_t limit = k % 2 ? d.input_size[1] : d.input_size[0];
            if (limit < 1 || limit > 1000) limit = 1000;
            int64_t value = 1 + (int64_t)(x % (uint64_t)limit);
            if (smode >= 220 && x % 7 == 0) value = (x & 8) ? 0 : limit + 1;
            memcpy((char *)sz.ptr + k * 8, &value, 8);
        }
    void *in_copy = malloc(in.bytes + 1), *sz_copy = malloc(sz.bytes + 1);
    if (!in_copy || !sz_copy) abort();
    if (in.ptr) memcpy(in_copy, in.ptr, in.bytes);
    if (sz.ptr) memcpy(sz_copy, sz.ptr, sz.bytes);
    bufspec bs[3] = {{&sz, sizes_needed, 0, use_sizes}, {&in, sp.in_elems, 1, 1}, {&out, sp.out_elems, 1, 1}};
    size_t es[3] = {8, esize, esize};
    /* With bad levels the output size is unknown: judge the other buffers, then
     * the levels' error is the answer (or one of them). */
    uint32_t acceptable = buffer_verdict(v, bs, sp.levels_error && tensor_ok ? 2 : 3, es);
    if (sp.levels_error) {
        if (!out.ptr) acceptable |= REF_NULL;
        if (out.misaligned || out.len < 0 || out.alias) acceptable |= REF_INVALID;
        acceptable = (acceptable & REF_OK) ? (acceptable & ~REF_OK) | sp.levels_error : acceptable | sp.levels_error;
    } else if (acceptable & REF_OK) {
        uint32_t values = ref_spp_values(&sp, levels, num, use_sizes ? sz.ptr : NULL);
        if (!(values & REF_OK)) acceptable = (acceptable & ~REF_OK) | values;
        else acceptable |= values;
    } else if (valid) {
        acceptable |= REF_INVALID | REF_SHAPE; /* value checks may come first */
    }
    int32_t rc = swiftpool_spatial_pyramid_pool_forward(dp, levels, num, mode, bins, use_sizes ? sz.ptr : NULL,
                                                        use_sizes ? sz.len : 0, in.ptr, in.len, out.ptr, out.len);
    if (rc == SWIFTPOOL_OK && !valid) FAIL("accepted an invalid call");
    check_status(rc, acceptable, fn);
    if (in.ptr && memcmp(in_copy, in.ptr, in.bytes) != 0) FAIL("input was modified");
    if (sz.ptr && memcmp(sz_copy, sz.ptr, sz.bytes) != 0) FAIL("sizes were modified");
    if (rc != SWIFTPOOL_OK) {
        check_untouched(&out, 0, "output");
    } else {
        check_untouched(&out, (size_t)sp.out_elems * esize, "output slack");
        void *expect = malloc((size_t)sp.out_elems * esize + 1);
        double *mag = malloc((size_t)sp.out_elems * sizeof(double) + 8);
        if (!expect || !mag) abort();
        ref_spp_pool(&sp, levels, num, use_sizes && sz.ptr ? sz_copy : NULL, in_copy, expect, mag);
        ref_geom g = ref_elem_view(&sp.t);
        for (int64_t q = 0; q < sp.out_elems; q++) {
            if (memcmp((char *)out.ptr + q * (int64_t)esize, (char *)expect + q * (int64_t)esize, esize) == 0) continue;
            double x = ref_load(&g, out.ptr, q), y = ref_load(&g, expect, q);
            if (isnan(x) && isnan(y)) continue; /* which NaN payload is unspecified */
            if (sp.mode == SWIFTPOOL_SPP_MAX && x == y) continue;
            if (sp.mode == SWIFTPOOL_SPP_AVG) { check_mean(&g, out.ptr, expect, mag, q, sp.in_elems + 1, "output"); continue; }
            FAIL("output[%lld] = %.17g, reference %.17g", (long long)q, x, y);
        }
        free(mag);
        free(expect);
    }
    free(in_copy);
    free(sz_copy);
    if (use_sizes) free_buffer(&sz);
    free_buffer(&in);
    free_buffer(&out);
    free(desc_block);
}

/* ---- backward passes ------------------------------------------------------------ */

/* swiftpool_max_pool_backward / swiftpool_avg_pool_backward: the forward's
 * descriptor (float dtypes only), grad_output (+ indices) in, grad_input out.
 * Indices: the forward's own (every flag convention), random valid positions, or
 * with some out of range (then INVALID_ARGUMENT and nothing written). */
static void fuzz_backward(reader *r, int op) {
    const char *fn = op == REF_OP_MAX ? "swiftpool_max_pool_backward" : "swiftpool_avg_pool_backward";
    swiftpool_pool_desc d;
    decode_desc(r, &d);
    if (u8(r) < 160 && (d.dtype == SWIFTPOOL_DTYPE_UINT8 || d.dtype == SWIFTPOOL_DTYPE_INT8))
        d.dtype = SWIFTPOOL_DTYPE_FLOAT32; /* integer dtypes are UNSUPPORTED: keep most calls meaningful */
    void *desc_block;
    swiftpool_pool_desc *dp = place_desc(r, &d, &desc_block);
    describe(fn, dp ? &d : NULL);

    ref_geom g;
    ref_verdict v = ref_backward_validate(dp ? &d : NULL, op, &g);
    int valid = v.required == 0;
    size_t esize = ref_elem_size(d.dtype) ? ref_elem_size(d.dtype) : 4;
    if (valid && g.in_elems <= MAX_ELEMS && g.out_elems <= MAX_ELEMS && ref_work(&g) > MAX_WORK) {
        free(desc_block);
        return;
    }
    int go_mode = len_mode(r), idx_mode = len_mode(r), gi_mode = len_mode(r);
    fbuf go, idx, gi;
    make_buffer(&go, r, valid ? g.out_elems : -1, esize, go_mode == LEN_ALIAS ? LEN_EXACT : go_mode);
    memset(&idx, 0, sizeof idx);
    if (op == REF_OP_MAX) make_buffer(&idx, r, valid ? g.out_elems : -1, 8, idx_mode == LEN_ALIAS ? LEN_EXACT : idx_mode);
    make_buffer(&gi, r, valid ? g.in_elems : -1, esize, gi_mode == LEN_ALIAS ? LEN_EXACT : gi_mode);
    /* Aliasing: grad_input is grad_output's (or the indices') block. */
    if (gi_mode == LEN_ALIAS) alias_buffer(&gi, (op == REF_OP_MAX && (u8(r) & 1)) ? &idx : &go, esize);
    uint8_t profile = u8(r);
    uint64_t seed = u64(r);
    if (go.ptr && !go.alias) fill_values(go.ptr, (int64_t)(go.bytes / esize), d.dtype, profile, seed);
    uint8_t imode = u8(r);
    if (op == REF_OP_MAX && idx.ptr) {
        /* Built in an aligned array, then copied: the buffer may be misaligned. */
        int64_t n_idx = (int64_t)(idx.bytes / 8);
        int64_t *ix = malloc((size_t)n_idx * 8 + 8);
        if (!ix) abort();
        /* Default: small values (mostly valid positions when the plane is big enough). */
        for (int64_t q = 0; q < n_idx; q++) ix[q] = (int64_t)(splitmix(&seed) % 64);
        if (valid && n_idx >= g.out_elems && g.in_elems <= MAX_ELEMS && g.out_elems <= MAX_ELEMS) {
            if (imode < 128) {
                /* What the forward returned for some input (ties, NaN: shared argmaxes). */
                void *x = malloc((size_t)g.in_elems * esize + 1), *y = malloc((size_t)g.out_elems * esize + 1);
                if (!x || !y) abort();
                fill_values(x, g.in_elems, d.dtype, (uint8_t)(profile ^ imode), seed ^ 0x5bd1e995);
                ref_max_pool(&g, x, y, ix);
                free(x);
                free(y);
            } else {
                const ref_axis *A = g.ax;
                for (int64_t n = 0; n < g.batch; n++)
                for (int64_t c = 0; c < g.channels; c++)
                for (int64_t p = 0; p < g.out_plane; p++) {
                    uint64_t x = splitmix(&seed);
                    int64_t pos = (int64_t)(x % (uint64_t)g.in_plane);
                    int64_t w = pos % A[2].in, h = (pos / A[2].in) % A[1].in, dd = pos / (A[2].in * A[1].in);
                    ix[ref_offset(&g, n, c, p, g.out_plane)] = ref_index(&g, n, c, dd, h, w);
                }
            }
            /* Corruption: out of range, another plane's global index, extremes. */
            if (imode >= 208 && g.out_elems > 0) {
                int64_t q = (int64_t)(splitmix(&seed) % (uint64_t)g.out_elems), *slot = ix + q;
                switch (imode % 6) {
                case 0: *slot = -1; break;
                case 1: *slot = (g.flags & SWIFTPOOL_FLAG_INDICES_GLOBAL) ? (int64_t)((uint64_t)*slot + (uint64_t)g.in_plane)
                                                                          : g.in_plane; break;
                case 2: *slot = INT64_MIN; break;
                case 3: *slot = INT64_MAX; break;
                case 4: *slot = (int64_t)((uint64_t)*slot + (uint64_t)g.in_plane * (1 + u8(r) % 3)); break;
                default: *slot = (int64_t)((uint64_t)*slot - (uint64_t)g.in_plane); break;
                }
            }
        }
        memcpy(idx.ptr, ix, (size_t)n_idx * 8);
        free(ix);
    }
    void *go_copy = malloc(go.bytes + 1), *idx_copy = malloc(idx.bytes + 1);
    if (!go_copy || !idx_copy) abort();
    if (go.ptr) memcpy(go_copy, go.ptr, go.bytes);
    if (idx.ptr) memcpy(idx_copy, idx.ptr, idx.bytes);
    if (u8(r) >= 200) swiftpool_set_num_threads((int32_t)(u8(r) % 9));

    bufspec bs[3] = {{&go, g.out_elems, 1, 1}, {&idx, g.out_elems, 1, op == REF_OP_MAX}, {&gi, g.in_elems, 1, 1}};
    size_t es[3] = {esize, 8, esize};
    uint32_t acceptable = buffer_verdict(v, bs, 3, es);
    if (op == REF_OP_MAX && (acceptable & REF_OK) && !ref_max_backward_indices_ok(&g, idx_copy))
        acceptable = (acceptable & ~REF_OK) | REF_INVALID;
    int32_t rc = op == REF_OP_MAX
        ? swiftpool_max_pool_backward(dp, go.ptr, go.len, idx.ptr, idx.len, gi.ptr, gi.len)
        : swiftpool_avg_pool_backward(dp, go.ptr, go.len, gi.ptr, gi.len);
    if (rc == SWIFTPOOL_OK && !valid) FAIL("accepted an invalid call");
    check_status(rc, acceptable, fn);
    if (go.ptr && memcmp(go_copy, go.ptr, go.bytes) != 0) FAIL("grad_output was modified");
    if (idx.ptr && memcmp(idx_copy, idx.ptr, idx.bytes) != 0) FAIL("indices were modified");
    if (rc != SWIFTPOOL_OK) {
        check_untouched(&gi, 0, "grad_input");
    } else {
        size_t gi_bytes = (size_t)g.in_elems * esize;
        check_untouched(&gi, gi_bytes, "grad_input slack");
        void *expect = malloc(gi_bytes + 1);
        if (!expect) abort();
        if (op == REF_OP_MAX) ref_max_pool_backward(&g, go_copy, idx_copy, expect);
        else ref_avg_pool_backward(&g, go_copy, expect);
        for (int64_t q = 0; q < g.in_elems; q++) {
            if (memcmp((char *)gi.ptr + q * (int64_t)esize, (char *)expect + q * (int64_t)esize, esize) == 0) continue;
            double x = ref_load(&g, gi.ptr, q), y = ref_load(&g, expect, q);
            if (isnan(x) && isnan(y)) continue; /* a sum of NaNs carries an unspecified payload */
            FAIL("grad_input[%lld] = %.17g, reference %.17g", (long long)q, x, y);
        }
        free(expect);
    }
    swiftpool_set_num_threads(0);
    free(go_copy);
    free(idx_copy);
    free_buffer(&go);
    if (op == REF_OP_MAX) free_buffer(&idx);
    free_buffer(&gi);
    free(desc_block);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    uint8_t op = u8(&r);
    /* Backward passes on the last 12 opcode bytes (the rest keep their meaning). */
    if (op >= 244) { fuzz_backward(&r, op < 250 ? REF_OP_MAX : REF_OP_AVG); return 0; }
    switch (op % 32) {
    case 0: case 1: case 2: case 3: case 4: fuzz_pool(&r, REF_OP_MAX); break;
    case 5: case 6: case 7: case 8: fuzz_pool(&r, REF_OP_AVG); break;
    case 9: case 10: fuzz_output_shape(&r); break;
    case 11: fuzz_desc_init(&r); break;
    case 12: fuzz_misc(&r); break;
    case 13: case 14: case 15: fuzz_unpool(&r, 0); break;
    case 16: fuzz_unpool(&r, 1); break;
    case 17: case 18: case 19: fuzz_fractional(&r); break;
    case 20: case 21: case 22: fuzz_roi(&r); break;
    case 23: case 24: fuzz_adaptive(&r, REF_OP_MAX); break;
    case 25: fuzz_adaptive(&r, REF_OP_AVG); break;
    case 26: case 27: fuzz_lp(&r); break;
    case 28: fuzz_spp_length(&r); break;
    default: fuzz_spp(&r); break;
    }
    return 0;
}

#ifdef FUZZ_STANDALONE_MAIN
/* Replays files (e.g. the committed corpus) without libFuzzer. */
int main(int argc, char **argv) {
    long runs = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) { perror(argv[i]); return 2; }
        static uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        runs++;
    }
    printf("fuzz_capi: replayed %ld inputs\n", runs);
    return 0;
}
#endif
