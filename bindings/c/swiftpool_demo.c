/*
 * swiftpool_demo.c — pooling a photo with the libswiftpool C API.
 *
 *   usage: swiftpool_demo [IMAGE.png|jpg] [OUTDIR]
 *          (defaults: data/astronaut.png build/demo)
 *
 * The photo is treated as a batch of one image with three channels (RGB).
 * stb_image returns pixels interleaved, R,G,B,R,G,B,..., row after row: that is
 * exactly the NHWC layout with N = 1, so the library pools the pixels as they
 * are, without a transposed copy. One call is repeated on a planar (NCHW) copy to show that
 * both layouts give the same result.
 *
 * Build (what `make demo-c` does):
 *   cc -std=c99 -Iinclude -I/usr/include/stb bindings/c/swiftpool_demo.c \
 *      -Lbuild/lib -lswiftpool -Wl,-rpath,build/lib -lm
 */
#define _POSIX_C_SOURCE 200112L /* clock_gettime() and mkdir() under -std=c99 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* stb is header-only: exactly one .c file of a program defines the implementation. */
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include "stb_image_resize.h"

#include "swiftpool.h"

#define CHANNELS 3     /* RGB; stb converts grey or RGBA input to this */
#define TIMING_RUNS 20 /* the median of several runs hides warm-up and scheduler noise */

/* One pooling configuration of the demo. */
typedef struct pool_spec {
    const char *label;
    const char *png_name;
    int average; /* 0: max pooling, 1: average pooling */
    int64_t kernel, stride, padding;
    int32_t ceil_mode;
} pool_spec;

static const pool_spec SPECS[] = {
    {"max 2x2 stride 2", "maxpool_2x2.png", 0, 2, 2, 0, 0},
    {"avg 2x2 stride 2", "avgpool_2x2.png", 1, 2, 2, 0, 0},
    /* AlexNet's overlapping pooling: windows overlap by one pixel. */
    {"max 3x3 stride 2 (AlexNet)", "maxpool_3x3_s2.png", 0, 3, 2, 0, 0},
    /* The same with padding 1, or with ceil_mode, keeps the last row and column. */
    {"max 3x3 stride 2 padding 1", "maxpool_3x3_s2_p1.png", 0, 3, 2, 1, 0},
    {"max 3x3 stride 2 ceil_mode", "maxpool_3x3_s2_ceil.png", 0, 3, 2, 0, 1},
};

/* Exits with a readable message if a libswiftpool call failed. */
static void check(int32_t status, const char *call) {
    if (status == SWIFTPOOL_OK) return;
    /* status_string() returns static text; last_error_message() says which
     * argument was wrong and is valid until the next swiftpool call. */
    const char *name = swiftpool_status_string(status);
    fprintf(stderr, "error: %s: %s: %s\n", call, name, swiftpool_last_error_message());
    exit(EXIT_FAILURE);
}

static void *xmalloc(size_t bytes) {
    void *p = malloc(bytes);
    if (p == NULL) {
        fprintf(stderr, "error: out of memory (%zu bytes)\n", bytes);
        exit(EXIT_FAILURE);
    }
    return p;
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Describes the 2D pooling of one H x W x 3 image in the given layout. */
static void make_desc(swiftpool_pool_desc *desc, const pool_spec *spec, int32_t layout,
                      int64_t height, int64_t width) {
    /* desc_init sets struct_size and valid defaults (dilation 1, no flags, ...),
     * so only the fields that matter here need setting. */
    check(swiftpool_pool_desc_init(desc, 2), "swiftpool_pool_desc_init");
    desc->layout = layout;
    desc->batch = 1;
    desc->channels = CHANNELS;
    desc->input_size[0] = height; /* spatial axes are outermost first: H, then W */
    desc->input_size[1] = width;
    for (int axis = 0; axis < 2; axis++) {
        desc->kernel_size[axis] = spec->kernel;
        desc->stride[axis] = spec->stride;
        desc->padding[axis] = spec->padding;
    }
    desc->ceil_mode = spec->ceil_mode;
}

static int32_t run_pool(const swiftpool_pool_desc *desc, int average, const float *input,
                        int64_t input_len, float *output, int64_t output_len) {
    if (average) return swiftpool_avg_pool_forward(desc, input, input_len, output, output_len);
    /* No argmax wanted: indices NULL, capacity 0. */
    return swiftpool_max_pool_forward(desc, input, input_len, output, output_len, NULL, 0);
}

/* Median wall time of one call in microseconds; exits on the first failure. */
static double time_pool(const swiftpool_pool_desc *desc, int average, const float *input,
                        int64_t input_len, float *output, int64_t output_len) {
    double times[TIMING_RUNS];
    for (int run = 0; run < TIMING_RUNS; run++) {
        double start = now_us();
        int32_t status = run_pool(desc, average, input, input_len, output, output_len);
        times[run] = now_us() - start;
        check(status, average ? "swiftpool_avg_pool_forward" : "swiftpool_max_pool_forward");
    }
    qsort(times, TIMING_RUNS, sizeof times[0], compare_doubles);
    return (times[TIMING_RUNS / 2 - 1] + times[TIMING_RUNS / 2]) / 2.0;
}

/* Writes an interleaved RGB float image as an 8-bit PNG. */
static void write_png(const char *path, const float *rgb, int64_t height, int64_t width) {
    size_t count = (size_t)(height * width * CHANNELS);
    unsigned char *bytes = (unsigned char *)xmalloc(count);
    for (size_t i = 0; i < count; i++) {
        float v = rgb[i];
        /* Pooled 0..255 inputs stay in range, but clamp anyway: a NaN or a
         * value out of range must not wrap around in the conversion. */
        bytes[i] = !(v > 0.0f) ? 0 : v >= 255.0f ? 255 : (unsigned char)(v + 0.5f);
    }
    if (!stbi_write_png(path, (int)width, (int)height, CHANNELS, bytes, (int)width * CHANNELS)) {
        fprintf(stderr, "error: cannot write %s\n", path);
        exit(EXIT_FAILURE);
    }
    free(bytes);
}

/* Repeats max 2x2 on a planar copy: the NCHW result must equal the NHWC one. */
static void check_layouts_agree(const float *hwc, int64_t height, int64_t width) {
    const pool_spec *spec = &SPECS[0];
    int64_t plane = height * width, input_len = plane * CHANNELS;
    float *chw = (float *)xmalloc((size_t)input_len * sizeof(float));
    for (int64_t c = 0; c < CHANNELS; c++)
        for (int64_t p = 0; p < plane; p++) chw[c * plane + p] = hwc[p * CHANNELS + c];

    swiftpool_pool_desc nhwc, nchw;
    int64_t out_len, out_size[2];
    make_desc(&nhwc, spec, SWIFTPOOL_LAYOUT_NHWC, height, width);
    make_desc(&nchw, spec, SWIFTPOOL_LAYOUT_NCHW, height, width);
    check(swiftpool_pool_output_shape(&nchw, out_size, &out_len), "swiftpool_pool_output_shape");
    float *out_hwc = (float *)xmalloc((size_t)out_len * sizeof(float));
    float *out_chw = (float *)xmalloc((size_t)out_len * sizeof(float));
    check(run_pool(&nhwc, 0, hwc, input_len, out_hwc, out_len), "swiftpool_max_pool_forward");
    check(run_pool(&nchw, 0, chw, input_len, out_chw, out_len), "swiftpool_max_pool_forward");

    int64_t out_plane = out_size[0] * out_size[1], mismatches = 0;
    for (int64_t c = 0; c < CHANNELS; c++)
        for (int64_t p = 0; p < out_plane; p++)
            if (out_chw[c * out_plane + p] != out_hwc[p * CHANNELS + c]) mismatches++;
    if (mismatches != 0) {
        fprintf(stderr, "error: NCHW and NHWC results differ in %lld of %lld values\n",
                (long long)mismatches, (long long)out_len);
        exit(EXIT_FAILURE);
    }
    printf("NCHW check: %s on a planar copy (1x%dx%lldx%lld) equals the NHWC result (%lld values)\n",
           spec->label, CHANNELS, (long long)height, (long long)width, (long long)out_len);
    free(chw);
    free(out_hwc);
    free(out_chw);
}

/* A bad argument is reported, not crashed on: status, message, output untouched. */
static void show_error_handling(const float *input, int64_t input_len) {
    pool_spec bad = SPECS[0];
    bad.stride = 0;
    swiftpool_pool_desc desc;
    make_desc(&desc, &bad, SWIFTPOOL_LAYOUT_NHWC, 4, 4);
    float output[4 * 4 * CHANNELS];
    const size_t output_len = sizeof output / sizeof output[0];
    for (size_t i = 0; i < output_len; i++) output[i] = -1.0f;

    int32_t status = swiftpool_max_pool_forward(&desc, input, input_len, output,
                                                (int64_t)output_len, NULL, 0);
    if (status == SWIFTPOOL_OK) {
        fprintf(stderr, "error: stride 0 was accepted\n");
        exit(EXIT_FAILURE);
    }
    const char *name = swiftpool_status_string(status);
    printf("error path: stride 0 -> %s: %s\n", name, swiftpool_last_error_message());

    /* Arguments are validated before any memory is touched. */
    for (size_t i = 0; i < output_len; i++) {
        if (output[i] != -1.0f) {
            fprintf(stderr, "error: the failed call wrote to its output\n");
            exit(EXIT_FAILURE);
        }
    }
}

/* Spatial pyramid pooling of one NHWC image with levels 4x4, 2x2, 1x1 (max):
 * returns a malloc'd vector of *length floats, whatever the image's size. */
static float *pyramid(const float *hwc, int64_t height, int64_t width, int32_t bins, int64_t *length) {
    static const int64_t levels[] = {4, 4, 2, 2, 1, 1}; /* (h, w) pairs */
    const int64_t num_levels = 3;
    swiftpool_pool_desc desc;
    check(swiftpool_pool_desc_init(&desc, 2), "swiftpool_pool_desc_init");
    desc.layout = SWIFTPOOL_LAYOUT_NHWC;
    desc.channels = CHANNELS;
    desc.input_size[0] = height;
    desc.input_size[1] = width;
    check(swiftpool_spatial_pyramid_pool_output_length(CHANNELS, levels, num_levels, length),
          "swiftpool_spatial_pyramid_pool_output_length");
    float *vector = (float *)xmalloc((size_t)*length * sizeof(float));
    int32_t status = swiftpool_spatial_pyramid_pool_forward(&desc, levels, num_levels, SWIFTPOOL_SPP_MAX,
                                                            bins, NULL, 0, hwc, height * width * CHANNELS,
                                                            vector, *length);
    if (status != SWIFTPOOL_OK) {
        free(vector);
        return NULL;
    }
    return vector;
}

/* SPP's point: images of any size give vectors of one length (3 x (16+4+1) = 63). */
static void show_spatial_pyramid(const float *hwc, int64_t height, int64_t width) {
    int64_t rh = height * 2 / 3 + 1, rw = width * 3 / 4 + 1;
    float *resized = (float *)xmalloc((size_t)(rh * rw * CHANNELS) * sizeof(float));
    if (!stbir_resize_float(hwc, (int)width, (int)height, 0, resized, (int)rw, (int)rh, 0, CHANNELS)) {
        fprintf(stderr, "error: resize failed\n");
        exit(EXIT_FAILURE);
    }
    int64_t len_a = 0, len_b = 0;
    float *a = pyramid(hwc, height, width, SWIFTPOOL_SPP_BINS_ADAPTIVE, &len_a);
    float *b = pyramid(resized, rh, rw, SWIFTPOOL_SPP_BINS_ADAPTIVE, &len_b);
    if (a == NULL || b == NULL) check(SWIFTPOOL_ERROR_INTERNAL, "swiftpool_spatial_pyramid_pool_forward");
    printf("spatial pyramid (levels 4,2,1, max): %lldx%lld -> %lld values, %lldx%lld -> %lld values%s\n",
           (long long)height, (long long)width, (long long)len_a, (long long)rh, (long long)rw,
           (long long)len_b, len_a == len_b ? " (same length)" : " (LENGTHS DIFFER)");
    printf("  first values (channel R, 4x4 level): photo %.0f %.0f %.0f %.0f | resized %.0f %.0f %.0f %.0f\n",
           a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]);
    /* The paper's own bins (window ceil(L/n), stride floor(L/n)) tile an axis only
     * for some sizes; where they cannot, the library says so instead of guessing. */
    int64_t len_c = 0;
    float *c = pyramid(resized, rh, rw, SWIFTPOOL_SPP_BINS_SPPNET, &len_c);
    if (c == NULL)
        printf("  bins=\"sppnet\" on %lldx%lld: %s\n", (long long)rh, (long long)rw,
               swiftpool_last_error_message());
    else
        printf("  bins=\"sppnet\" on %lldx%lld: %lld values\n", (long long)rh, (long long)rw, (long long)len_c);
    if (len_a != len_b) exit(EXIT_FAILURE);
    free(a);
    free(b);
    free(c);
    free(resized);
}

int main(int argc, char **argv) {
    const char *image_path = argc > 1 ? argv[1] : "data/astronaut.png";
    const char *out_dir = argc > 2 ? argv[2] : "build/demo";
    if (argc > 3) {
        fprintf(stderr, "usage: %s [IMAGE.png|jpg] [OUTDIR]\n", argv[0]);
        return EXIT_FAILURE;
    }

    /* The header and the loaded .so can differ if an old library is found first. */
    printf("libswiftpool %s (built against %d.%d.%d)\n", swiftpool_version_string(),
           SWIFTPOOL_VERSION_MAJOR, SWIFTPOOL_VERSION_MINOR, SWIFTPOOL_VERSION_PATCH);
    if (swiftpool_version_number() != SWIFTPOOL_VERSION_NUMBER)
        fprintf(stderr, "warning: library version differs from the header's\n");
    /* Timings depend on these; SWIFTPOOL_NUM_THREADS and SWIFTPOOL_MAX_ISA change them. */
    printf("kernels: %s, threads: %d\n", swiftpool_isa(), (int)swiftpool_get_num_threads());

    int w, h, channels_in_file;
    unsigned char *pixels = stbi_load(image_path, &w, &h, &channels_in_file, CHANNELS);
    if (pixels == NULL) {
        fprintf(stderr, "error: cannot read %s: %s\n", image_path, stbi_failure_reason());
        return EXIT_FAILURE;
    }
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "error: cannot create %s: %s\n", out_dir, strerror(errno));
        return EXIT_FAILURE;
    }

    /* The library works on float32: widen the 8-bit pixels, keeping 0..255. */
    int64_t height = h, width = w, input_len = height * width * CHANNELS;
    float *input = (float *)xmalloc((size_t)input_len * sizeof(float));
    for (int64_t i = 0; i < input_len; i++) input[i] = (float)pixels[i];
    stbi_image_free(pixels);
    printf("input %s: N=1 H=%lld W=%lld C=%d (NHWC float32)\n", image_path, (long long)height,
           (long long)width, CHANNELS);

    for (size_t i = 0; i < sizeof SPECS / sizeof SPECS[0]; i++) {
        const pool_spec *spec = &SPECS[i];
        swiftpool_pool_desc desc;
        make_desc(&desc, spec, SWIFTPOOL_LAYOUT_NHWC, height, width);

        /* Ask the library for the output shape rather than re-deriving the
         * padding/ceil_mode arithmetic here. */
        int64_t out_size[2], out_len;
        check(swiftpool_pool_output_shape(&desc, out_size, &out_len), "swiftpool_pool_output_shape");
        float *output = (float *)xmalloc((size_t)out_len * sizeof(float));

        double median = time_pool(&desc, spec->average, input, input_len, output, out_len);

        char path[4096];
        snprintf(path, sizeof path, "%s/%s", out_dir, spec->png_name);
        write_png(path, output, out_size[0], out_size[1]);
        printf("%-28s 1x%lldx%lldx%d -> 1x%lldx%lldx%d  median %9.1f us/call (%d runs)  %s\n",
               spec->label, (long long)height, (long long)width, CHANNELS,
               (long long)out_size[0], (long long)out_size[1], CHANNELS, median, TIMING_RUNS, path);
        free(output);
    }

    check_layouts_agree(input, height, width);
    show_spatial_pyramid(input, height, width);
    show_error_handling(input, input_len);
    free(input);
    return EXIT_SUCCESS;
}
