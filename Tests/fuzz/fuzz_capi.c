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
 * Oracles (Tests/hardening/ref_pool.h, written from the header, not the library):
 *  - the status must be one the header allows for this call;
 *  - on failure: a message naming the function, and every output byte untouched;
 *  - on success: empty message, output and indices bit-equal to the reference
 *    (NaN payloads included for max; any NaN for a NaN average), the bytes past
 *    the tensor in a longer buffer untouched, the input unchanged.
 * A mismatch prints the decoded call and aborts (libFuzzer saves the input).
 *
 * Build: see `make fuzz` (clang -fsanitize=fuzzer,address,undefined). Without
 * libFuzzer (-DFUZZ_STANDALONE_MAIN) it replays files given on the command line,
 * for valgrind and plain builds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftpool.h"
#include "../hardening/ref_pool.h"

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
                if (((int64_t *)idx.ptr)[q] != expect_idx[q])
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    uint8_t op = u8(&r);
    switch (op % 16) {
    case 0: case 1: case 2: case 3: case 4: case 5: fuzz_pool(&r, REF_OP_MAX); break;
    case 6: case 7: case 8: case 9: case 10: fuzz_pool(&r, REF_OP_AVG); break;
    case 11: case 12: case 13: fuzz_output_shape(&r); break;
    case 14: fuzz_desc_init(&r); break;
    default: fuzz_misc(&r); break;
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
