# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
PRESET ?= debug
JOBS ?= $(shell nproc)
BUILD_DIR := build/$(PRESET)
SUPERLIGHT := $(BUILD_DIR)/apps/superlight/superlight

.PHONY: deps configure build run test fuzz bench format clean

deps:
	@scripts/install-deps

configure:
	@cmake --preset $(PRESET) >/dev/null

build: deps configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

# Starts the server on SQLite (DATABASE_URL defaults to sqlite://./data/superlight.db); Ctrl-C stops it.
run: build
	@$(SUPERLIGHT) serve

test: build
	@ctest --preset $(PRESET) -j $(JOBS)

# libFuzzer targets (clang): make fuzz FUZZ_SECONDS=60
FUZZ_SECONDS ?= 60
fuzz: deps
	@scripts/run-fuzzers $(FUZZ_SECONDS)

bench: deps
	@scripts/run-benchmarks

format:
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

clean:
	@rm -rf build
