# ember: the two commands of the set-up contract, plus a few conveniences.
#   make train   install what is missing, build (Release), train the seed's text classifier
#   make test    install what is missing, build, run the whole test suite through ctest
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: bootstrap configure build train test bench clean

bootstrap:
	@bash scripts/bootstrap $(BOOTSTRAP_ARGS)

configure: bootstrap
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Benchmarks against PyTorch (bench/, issue 9): a Release build with the benches in build-bench,
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

train: build
	@$(BUILD_DIR)/apps/text_classifier train

# The test suite also needs MPI (the distributed tests): bootstrap installs it for `make test` only.
test: BOOTSTRAP_ARGS = --test
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
