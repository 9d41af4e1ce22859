# ember: the two commands of the set-up contract, plus a few conveniences.
#   make train   install what is missing, build (Release), train the seed's text classifier
#   make test    install what is missing, build, run the whole test suite through ctest
#   make test-sanitize   the same suite built with AddressSanitizer + UBSan (build-sanitize/)
#   make fuzz    build the fuzz targets with clang/libFuzzer, replay their corpora, fuzz briefly
#   make bench   ember and PyTorch side by side (docs/performance.md)
MAKEFLAGS += --no-print-directory  # also quiets the "Entering directory" lines of CMake's makefiles
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: bootstrap configure build train test test-sanitize fuzz bench clean

bootstrap:
	@bash scripts/bootstrap $(BOOTSTRAP_ARGS)

configure: bootstrap
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Benchmarks against PyTorch (bench/, docs/performance.md): a Release build with the benches in build-bench,
# then bench/compare runs ember and the PyTorch twins interleaved and prints the table. PyTorch
# (Debian's python3-torch) is installed when possible; without it only the ember side runs.
# BENCH_ARGS go to bench/compare, e.g. BENCH_ARGS="--rounds 1 --skip e2e".
BENCH_DIR ?= build-bench
BENCH_ARGS ?=

bench: bootstrap
	@bash scripts/bootstrap python3-torch || echo "bench: PyTorch not installed; running the ember side only"
	@cmake -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release -DEMBER_BUILD_BENCH=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BENCH_DIR) -j $(JOBS) --target benchmarks
	@python3 bench/compare --build-dir $(BENCH_DIR) $(BENCH_ARGS)

# Only what training needs: the library and the text_classifier app (no tests, fuzz targets or other apps).
train: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target text_classifier
	@$(BUILD_DIR)/apps/text_classifier train

# The test suite also needs MPI (the distributed tests): bootstrap installs it for `make test` only.
test: BOOTSTRAP_ARGS = --test
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Sanitized suite: every leak, out-of-bounds access or UB report fails the test that caused it.
# allocator_may_return_null: a failed huge allocation returns null as in a normal build, so the
# tests of ember's out-of-memory errors (tests/core/test_sizes.cpp) run there too.
# SANITIZE_EXCLUDE (a ctest regex) leaves out tests too slow under ASan; docs/reliability.md says which.
SANITIZE_DIR ?= build-sanitize
SANITIZE_EXCLUDE ?=
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=0:allocator_may_return_null=1 \
                UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

test-sanitize: BOOTSTRAP_ARGS = --test
test-sanitize: bootstrap
	@cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=Debug -DEMBER_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@cd $(SANITIZE_DIR) && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) $(if $(SANITIZE_EXCLUDE),-E "$(SANITIZE_EXCLUDE)")

# Fuzzing: clang/libFuzzer builds of tests/fuzz (with ASan + UBSan), each target replayed over its
# seed corpus, then fuzzed for FUZZ_SECONDS. clang is installed here only, for this step.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30

fuzz:
	@bash scripts/bootstrap clang-14 libclang-rt-14-dev
	@cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 \
	       -DEMBER_SANITIZE=ON -DEMBER_FUZZ=ON -DEMBER_BUILD_APPS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_all
	@bash scripts/run_fuzz $(FUZZ_DIR) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(FUZZ_DIR)
