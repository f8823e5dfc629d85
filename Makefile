# libswiftpool — `make demo` and `make test` do all set-up on a fresh machine.
#   make            build build/lib/libswiftpool.so (release, Swift runtime linked in)
#   make demo       build + run the C demo and the Python example on data/astronaut.png
#   make test       every test: Swift (XCTest), C and C++ API tests, Python (pytest),
#                   each with every kernel family (SWIFTPOOL_MAX_ISA=baseline and the default)
#   make bench      benchmark against PyTorch / oneDNN / ONNX Runtime -> bench/results.md, .png
#   make check-isa  the release library's kernel families are isolated (see scripts/check-isa.sh)
#   make deps       install Debian/PyPI packages the demo and tests need

SHELL       := /bin/bash
PYTHON      ?= python3
CC          ?= cc
CXX         ?= c++
BUILD       := build
LIBDIR      := $(BUILD)/lib
BINDIR      := $(BUILD)/bin
BENCHDIR    := $(BUILD)/bench
OUTDIR      := $(BUILD)/demo
LIB         := $(LIBDIR)/libswiftpool.so
SWIFT_FLAGS := -c release -Xswiftc -static-stdlib
SOURCES     := $(shell find Sources include -type f) Package.swift
WARN        := -Wall -Wextra -Werror -pedantic
DEMO_IMAGE  ?= data/astronaut.png
export SWIFTPOOL_LIBRARY := $(abspath $(LIB))
export PYTHONPATH := $(abspath bindings/python)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: all lib deps demo demo-c demo-python test test-swift test-c test-python check-isa bench bench-deps clean

all: lib
lib: $(LIB)

$(LIB): $(SOURCES)
	swift build $(SWIFT_FLAGS)
	@mkdir -p $(LIBDIR)
	# Copy then rename: a process that has the old library mapped keeps a valid file.
	cp .build/release/libswiftpool.so $(LIBDIR)/.libswiftpool.so.0.tmp
	mv -f $(LIBDIR)/.libswiftpool.so.0.tmp $(LIBDIR)/libswiftpool.so.0
	ln -sf libswiftpool.so.0 $(LIB)

deps:
	@scripts/install-deps.sh

# ---- demo -------------------------------------------------------------------
$(BINDIR)/swiftpool_demo: bindings/c/swiftpool_demo.c include/swiftpool.h $(LIB)
	@mkdir -p $(BINDIR)
	$(CC) -std=c99 -O2 $(WARN) -Iinclude -I/usr/include/stb $< -o $@ \
	    -L$(LIBDIR) -lswiftpool -Wl,-rpath,'$$ORIGIN/../lib' -lm

demo: deps demo-c demo-python
demo-c: $(BINDIR)/swiftpool_demo
	@mkdir -p $(OUTDIR)
	$(BINDIR)/swiftpool_demo $(DEMO_IMAGE) $(OUTDIR)
demo-python: $(LIB)
	@mkdir -p $(OUTDIR)
	$(PYTHON) bindings/python/examples/pool_image.py $(DEMO_IMAGE) $(OUTDIR)

# ---- tests ------------------------------------------------------------------
# Kernel families: SWIFTPOOL_MAX_ISA=baseline forces the portable kernels; the
# default runs the best one the CPU has (avx2 on x86-64 with AVX2/FMA).
ISAS := baseline default
isa_env = $(if $(filter default,$(1)),,SWIFTPOOL_MAX_ISA=$(1))

test: deps test-swift test-c test-python check-isa

test-swift:
	swift build --build-tests
	$(foreach isa,$(ISAS),$(call isa_env,$(isa)) swift test --skip-build &&) true

check-isa: $(LIB)
	scripts/check-isa.sh

$(BINDIR)/test_capi_c: Tests/C/test_capi.c include/swiftpool.h $(LIB)
	@mkdir -p $(BINDIR)
	$(CC) -std=c99 -O1 $(WARN) -pthread -Iinclude $< -o $@ -L$(LIBDIR) -lswiftpool -Wl,-rpath,'$$ORIGIN/../lib' -lm
$(BINDIR)/test_capi_cpp: Tests/C/test_capi.c include/swiftpool.h $(LIB)
	@mkdir -p $(BINDIR)
	$(CXX) -x c++ -std=c++17 -O1 $(WARN) -pthread -Iinclude $< -o $@ -L$(LIBDIR) -lswiftpool -Wl,-rpath,'$$ORIGIN/../lib' -lm

test-c: $(BINDIR)/test_capi_c $(BINDIR)/test_capi_cpp
	$(foreach isa,$(ISAS),$(call isa_env,$(isa)) $(BINDIR)/test_capi_c && $(call isa_env,$(isa)) $(BINDIR)/test_capi_cpp &&) true
	@# Another thread count with the baseline family (results do not depend on either).
	SWIFTPOOL_MAX_ISA=baseline SWIFTPOOL_NUM_THREADS=3 $(BINDIR)/test_capi_c

test-python: $(LIB)
	$(foreach isa,$(ISAS),$(call isa_env,$(isa)) $(PYTHON) -m pytest -q Tests/python &&) true

# ---- benchmark ----------------------------------------------------------------
# bench/swiftpool_bench.c: timing loops in C, as a library for bench/bench.py (which
# interleaves them with PyTorch, oneDNN and ONNX Runtime) and as a program.
BENCH_ARGS ?=
$(BENCHDIR)/libspbench.so: bench/swiftpool_bench.c include/swiftpool.h $(LIB)
	@mkdir -p $(BENCHDIR)
	$(CC) -std=c99 -O3 $(WARN) -fPIC -shared -Iinclude $< -o $@ -L$(LIBDIR) -lswiftpool \
	    -Wl,-rpath,'$$ORIGIN/../lib' -pthread
$(BENCHDIR)/swiftpool_bench: bench/swiftpool_bench.c include/swiftpool.h $(LIB)
	@mkdir -p $(BENCHDIR)
	$(CC) -std=c99 -O3 $(WARN) -DSPBENCH_MAIN -Iinclude $< -o $@ -L$(LIBDIR) -lswiftpool \
	    -Wl,-rpath,'$$ORIGIN/../lib' -pthread

bench-deps:
	@scripts/install-deps.sh --bench

bench: bench-deps $(BENCHDIR)/libspbench.so $(BENCHDIR)/swiftpool_bench
	$(PYTHON) bench/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) .build
