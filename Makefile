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

train: build
	@$(BUILD_DIR)/apps/text_classifier train

# The test suite also needs MPI (the distributed tests): bootstrap installs it for `make test` only.
test: BOOTSTRAP_ARGS = --test
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
