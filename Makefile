# libswiftpool — `make demo` and `make test` do all set-up on a fresh machine.
#   make            build build/lib/libswiftpool.so (release, Swift runtime linked in)
#   make demo       build + run the C demo and the Python example on data/astronaut.png
#   make test       every test: Swift (XCTest), C and C++ API tests, Python (pytest),
#                   each with every kernel family (SWIFTPOOL_MAX_ISA=baseline and the default),
#                   hardening (guard pages, threads, fork, limits, leaks, no heap allocation per call), ASan+UBSan
#                   builds of the C tests and demo, a seeded 150,000-execution fuzz run (docs/reliability.md)
#   make test-extended   sanitizer runs of the Swift tests (ASan, TSan), valgrind,
#                   the full guard-page grid and a 10 min fuzz run
#   make fuzz FUZZ_SECONDS=N   fuzz the C API for N seconds (corpus: build/fuzz/corpus)
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

.PHONY: all lib deps demo demo-c demo-python test test-swift test-c test-python check-isa bench bench-deps clean \
        test-hardening test-asan test-tsan test-valgrind test-swift-asan test-swift-tsan \
        fuzz fuzz-smoke test-extended deps-extended deps-demo

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
deps-demo:
	@scripts/install-deps.sh --demo

# ---- demo -------------------------------------------------------------------
$(BINDIR)/swiftpool_demo: bindings/c/swiftpool_demo.c include/swiftpool.h $(LIB)
	@mkdir -p $(BINDIR)
	$(CC) -std=c99 -O2 $(WARN) -Iinclude -I/usr/include/stb $< -o $@ \
	    -L$(LIBDIR) -lswiftpool -Wl,-rpath,'$$ORIGIN/../lib' -lm

demo: deps-demo demo-c demo-python
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

test: deps test-swift test-c test-python check-isa test-hardening test-asan fuzz-smoke

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
	@# Large max pooling outputs with and without streaming stores, whatever this CPU's default.
	$(foreach s,0 1 2,SWIFTPOOL_NONTEMPORAL=$(s) $(PYTHON) -m pytest -q Tests/python/test_torch.py -k streamed &&) true

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

# ---- hardening: Tests/hardening, Tests/fuzz (see docs/reliability.md) ----------
# Sanitizer builds of the library live in their own SwiftPM scratch paths, so they
# never invalidate .build: build/asan (AddressSanitizer + libFuzzer coverage, used
# by the fuzzer and by the ASan+UBSan C tests) and build/tsan (ThreadSanitizer).
# They link the Swift runtime dynamically (sanitizers need the shared runtime).
CLANG        ?= clang
SWIFT_RT     := $(abspath $(dir $(realpath $(shell command -v swift)))/../lib/swift/linux)
ASAN_DIR     := $(BUILD)/asan
TSAN_DIR     := $(BUILD)/tsan
ASAN_LIB     := $(ASAN_DIR)/lib/libswiftpool.so
TSAN_LIB     := $(TSAN_DIR)/lib/libswiftpool.so
HARDEN_DEPS  := Tests/hardening/ref_pool.h Tests/hardening/ref_ops.h Tests/hardening/guard.h include/swiftpool.h
HARDEN_TESTS := test_guard_pages test_concurrency test_fork test_limits test_leaks test_no_alloc test_small_stack
SAN_LINK     = -fuse-ld=lld -Wl,-rpath,'$$ORIGIN/../lib' -Wl,-rpath,$(SWIFT_RT) -lm
# Sanitizer runtime settings: fail on the first report; the Swift runtime's own
# crash handler would hide the sanitizer's report, so it is off.
SAN_ENV      := ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 SWIFT_BACKTRACE=enable=no
FUZZ_SECONDS ?= 600
# The smoke run in `make test` is reproducible: a fixed seed and run count (about a
# minute here); `make fuzz` explores freely.
FUZZ_SMOKE_SEED ?= 1
FUZZ_SMOKE_RUNS ?= 150000
FUZZ_CORPUS  := Tests/fuzz/corpus
FUZZ_WORK    := $(BUILD)/fuzz/corpus
FUZZ_FLAGS   := -max_len=512 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

define install_san_lib
	@mkdir -p $(dir $@)
	cp $(1)/release/libswiftpool.so $(dir $@).libswiftpool.so.0.tmp
	mv -f $(dir $@).libswiftpool.so.0.tmp $(dir $@)libswiftpool.so.0
	ln -sf libswiftpool.so.0 $@
endef

$(ASAN_LIB): $(SOURCES)
	swift build -c release --scratch-path .build-asan -Xswiftc -sanitize=fuzzer,address
	$(call install_san_lib,.build-asan)
$(TSAN_LIB): $(SOURCES)
	swift build -c release --scratch-path .build-tsan -Xswiftc -sanitize=thread
	$(call install_san_lib,.build-tsan)

# Plain builds against the shipped library (guard pages need no sanitizer).
$(BINDIR)/test_%: Tests/hardening/test_%.c $(HARDEN_DEPS) $(LIB)
	@mkdir -p $(BINDIR)
	$(CC) -std=c99 -O1 $(WARN) -pthread -Iinclude -ITests/hardening $< -o $@ -L$(LIBDIR) -lswiftpool -Wl,-rpath,'$$ORIGIN/../lib' -lm

# ASan + UBSan (+ LeakSanitizer) builds against the ASan library.
$(ASAN_DIR)/bin/test_capi_c: Tests/C/test_capi.c include/swiftpool.h $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c99 -g -O1 $(WARN) -fsanitize=address,undefined -fno-sanitize-recover=all -pthread -Iinclude $< -o $@ -L$(ASAN_DIR)/lib -lswiftpool $(SAN_LINK)
$(ASAN_DIR)/bin/test_capi_cpp: Tests/C/test_capi.c include/swiftpool.h $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CLANG) -x c++ -std=c++17 -g -O1 $(WARN) -fsanitize=address,undefined -fno-sanitize-recover=all -pthread -Iinclude $< -o $@ -L$(ASAN_DIR)/lib -lswiftpool $(SAN_LINK) -lstdc++
$(ASAN_DIR)/bin/swiftpool_demo: bindings/c/swiftpool_demo.c include/swiftpool.h $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c99 -g -O1 $(WARN) -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude -I/usr/include/stb $< -o $@ -L$(ASAN_DIR)/lib -lswiftpool $(SAN_LINK)
$(ASAN_DIR)/bin/test_%: Tests/hardening/test_%.c $(HARDEN_DEPS) $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c99 -g -O1 $(WARN) -fsanitize=address,undefined -fno-sanitize-recover=all -pthread -Iinclude -ITests/hardening $< -o $@ -L$(ASAN_DIR)/lib -lswiftpool $(SAN_LINK)
$(ASAN_DIR)/bin/fuzz_capi: Tests/fuzz/fuzz_capi.c $(HARDEN_DEPS) $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c99 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude $< -o $@ -L$(ASAN_DIR)/lib -lswiftpool $(SAN_LINK)
# The same fuzz target without libFuzzer: replays files, e.g. under valgrind.
$(BINDIR)/fuzz_replay: Tests/fuzz/fuzz_capi.c $(HARDEN_DEPS) $(LIB)
	@mkdir -p $(BINDIR)
	$(CC) -std=c99 -O1 -Wall -Wextra -Werror -DFUZZ_STANDALONE_MAIN -Iinclude $< -o $@ -L$(LIBDIR) -lswiftpool -Wl,-rpath,'$$ORIGIN/../lib' -lm
# ThreadSanitizer builds (the static TSan runtime wants libdispatch's symbols).
$(TSAN_DIR)/bin/test_%: Tests/hardening/test_%.c $(HARDEN_DEPS) $(TSAN_LIB)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c99 -g -O1 $(WARN) -fsanitize=thread -pthread -Iinclude -ITests/hardening $< -o $@ -L$(TSAN_DIR)/lib -lswiftpool -L$(SWIFT_RT) -ldispatch -lBlocksRuntime $(SAN_LINK)

test-hardening: $(addprefix $(BINDIR)/,$(HARDEN_TESTS))
	$(foreach isa,$(ISAS),$(call isa_env,$(isa)) $(BINDIR)/test_guard_pages &&) true
	$(BINDIR)/test_concurrency
	$(BINDIR)/test_fork
	$(BINDIR)/test_limits
	$(BINDIR)/test_leaks
	$(foreach isa,$(ISAS),$(call isa_env,$(isa)) $(BINDIR)/test_no_alloc &&) true
	$(BINDIR)/test_small_stack

# C API tests (C and C++), the demo and the hardening tests under ASan + UBSan,
# with LeakSanitizer at exit. (Guard pages need no sanitizer: plain build above.)
test-asan: $(addprefix $(ASAN_DIR)/bin/,test_capi_c test_capi_cpp swiftpool_demo test_concurrency test_fork test_limits test_leaks)
	@mkdir -p $(ASAN_DIR)/demo
	$(SAN_ENV) $(ASAN_DIR)/bin/test_capi_c
	$(SAN_ENV) $(ASAN_DIR)/bin/test_capi_cpp
	$(SAN_ENV) $(ASAN_DIR)/bin/swiftpool_demo $(DEMO_IMAGE) $(ASAN_DIR)/demo
	$(SAN_ENV) $(ASAN_DIR)/bin/test_concurrency
	$(SAN_ENV) $(ASAN_DIR)/bin/test_fork
	$(SAN_ENV) $(ASAN_DIR)/bin/test_limits
	$(SAN_ENV) SWIFTPOOL_TEST_LEAK_TOOL=lsan $(ASAN_DIR)/bin/test_leaks

# Replays the committed corpus, then fuzzes briefly from it (new inputs go to a
# scratch copy; `make fuzz` keeps them in build/fuzz/corpus for merging back).
fuzz-smoke: $(ASAN_DIR)/bin/fuzz_capi
	@rm -rf $(BUILD)/fuzz/smoke && mkdir -p $(BUILD)/fuzz/smoke
	$(SAN_ENV) $(ASAN_DIR)/bin/fuzz_capi -runs=0 $(FUZZ_CORPUS) 2>&1 | grep -E 'Done|ERROR|FAILURE|runtime error|call:' ; exit $${PIPESTATUS[0]}
	SWIFTPOOL_MAX_ISA=baseline $(SAN_ENV) $(ASAN_DIR)/bin/fuzz_capi -runs=0 $(FUZZ_CORPUS) 2>&1 | grep -E 'Done|ERROR|FAILURE|runtime error|call:' ; exit $${PIPESTATUS[0]}
	cd $(BUILD)/fuzz && rm -f crash-* leak-* timeout-* oom-* && $(SAN_ENV) $(abspath $(ASAN_DIR))/bin/fuzz_capi $(FUZZ_FLAGS) \
	    -seed=$(FUZZ_SMOKE_SEED) -runs=$(FUZZ_SMOKE_RUNS) smoke $(abspath $(FUZZ_CORPUS)) 2>&1 \
	    | grep -E '^stat::|ERROR|FAILURE|runtime error|call:|Test unit written|^ +#[0-9]+ |^SUMMARY' ; rc=$${PIPESTATUS[0]}; \
	    for f in crash-* leak-* timeout-* oom-*; do [ -f "$$f" ] && echo "$$f, base64 (replay: base64 -d > unit; build/bin/fuzz_replay unit):" && base64 -w0 "$$f" && echo; done; \
	    exit $$rc

# FUZZ_ISA=baseline fuzzes the portable kernels (the default: the best family here).
fuzz: $(ASAN_DIR)/bin/fuzz_capi
	@mkdir -p $(FUZZ_WORK)
	cd $(BUILD)/fuzz && $(call isa_env,$(or $(FUZZ_ISA),default)) $(SAN_ENV) $(abspath $(ASAN_DIR))/bin/fuzz_capi \
	    $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) corpus $(abspath $(FUZZ_CORPUS))
	@echo "fuzz: new inputs in $(FUZZ_WORK); to keep the interesting ones:"
	@echo "  $(ASAN_DIR)/bin/fuzz_capi -merge=1 $(FUZZ_CORPUS) $(FUZZ_WORK)"

# Extended (not in `make test`; see docs/reliability.md for timings).
test-swift-asan:
	ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no swift test --sanitize=address --scratch-path .build-swift-asan
test-swift-tsan:
	SWIFT_BACKTRACE=enable=no swift test --sanitize=thread --scratch-path .build-swift-tsan
test-tsan: $(TSAN_DIR)/bin/test_concurrency $(TSAN_DIR)/bin/test_fork
	TSAN_OPTIONS=halt_on_error=1 SWIFT_BACKTRACE=enable=no $(TSAN_DIR)/bin/test_concurrency
	TSAN_OPTIONS=halt_on_error=1 SWIFT_BACKTRACE=enable=no $(TSAN_DIR)/bin/test_fork
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
            --errors-for-leak-kinds=definite,indirect
test-valgrind: $(BINDIR)/test_leaks $(BINDIR)/swiftpool_demo $(BINDIR)/fuzz_replay
	@mkdir -p $(OUTDIR)
	SWIFTPOOL_TEST_LEAK_TOOL=valgrind $(VALGRIND) $(BINDIR)/test_leaks
	$(VALGRIND) $(BINDIR)/swiftpool_demo $(DEMO_IMAGE) $(OUTDIR)
	$(VALGRIND) $(BINDIR)/fuzz_replay $(FUZZ_CORPUS)/*
deps-extended:
	@scripts/install-deps.sh --extended
test-extended: deps-extended test-swift-asan test-swift-tsan test-tsan test-valgrind $(BINDIR)/test_guard_pages fuzz
	SWIFTPOOL_GUARD_FULL=1 $(BINDIR)/test_guard_pages
	SWIFTPOOL_FUZZ_EXAMPLES=3000 SWIFTPOOL_FUZZ_RANDOM=1 $(PYTHON) -m pytest -q Tests/python/test_fuzz_binding.py

clean:
	rm -rf $(BUILD) .build .build-asan .build-tsan .build-swift-asan .build-swift-tsan
