# boxoffice — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE_BIN := build/release/boxoffice
CI_BIN := build/ci/boxoffice

.PHONY: all deps build run test unit services functional cluster-smoke test-asan format clean

all: build

# Installs missing Debian packages; does nothing when all are present.
deps:
	@scripts/setup-deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target boxoffice
	@echo "built $(RELEASE_BIN)"

# Embedded profile with demo data on port 8080 (BOXOFFICE_HTTP_PORT to change).
run: build
	BOXOFFICE_SEED_DEMO=true $(RELEASE_BIN) serve

# Every test tier: unit and contract tests (ctest), the contract suites again against a real
# MariaDB and Redis started on loopback, the black-box suite against the binary, and the
# black-box smoke of the cluster profile (one instance over MariaDB and Redis).
test: unit services functional cluster-smoke

unit:
	@scripts/setup-deps --test
	@cmake --preset ci >/dev/null
	@cmake --build --preset ci -j $(JOBS)
	@ctest --test-dir build/ci --output-on-failure -j $(JOBS)

services: unit
	@scripts/test-mysql-contract build/ci
	@scripts/test-redis-contract build/ci

functional: unit
	@BOXOFFICE_BIN=$(CI_BIN) tests/functional/run.sh

cluster-smoke: unit
	@BOXOFFICE_BIN=$(CI_BIN) bash tests/functional/cluster_smoke.sh

# The unit and contract tests under AddressSanitizer and UBSan.
test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --test-dir build/asan --output-on-failure

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
