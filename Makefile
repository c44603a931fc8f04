# boxoffice — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE_BIN := build/release/boxoffice
CI_BIN := build/ci/boxoffice

.PHONY: all deps build run test unit services functional cluster-smoke cluster-functional \
        cluster-tests deploy-check bench-smoke test-asan cluster-up cluster-down cluster-logs bench format clean

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

# Every test tier: unit and contract tests (ctest); the contract suites again against a real
# MariaDB, Redis and Kafka started on loopback; the black-box suite against the binary; the
# black-box smoke of the cluster profile (one instance over MariaDB and Redis); the black-box
# suite through haproxy in front of a three-instance cluster; the tests only many instances can
# fail; and a seconds-long run of the benchmark harness (no timing asserted).
test: unit services functional deploy-check cluster-smoke cluster-functional cluster-tests \
      bench-smoke

unit:
	@scripts/setup-deps --test
	@cmake --preset ci >/dev/null
	@cmake --build --preset ci -j $(JOBS)
	@ctest --test-dir build/ci --output-on-failure -j $(JOBS)

services: unit
	@scripts/test-mysql-contract build/ci
	@scripts/test-redis-contract build/ci
	@scripts/test-kafka-contract build/ci

functional: unit
	@BOXOFFICE_BIN=$(CI_BIN) tests/functional/run.sh

cluster-smoke: unit
	@BOXOFFICE_BIN=$(CI_BIN) bash tests/functional/cluster_smoke.sh

# The Grafana dashboard against a real /metrics scrape; the container files against scripts/cluster.
deploy-check: unit
	@BOXOFFICE_BIN=$(CI_BIN) tests/functional/run.sh tests/deploy

cluster-functional: unit
	@BOXOFFICE_BIN=$(CI_BIN) bash tests/functional/cluster_functional.sh

cluster-tests: unit
	@BOXOFFICE_BIN=$(CI_BIN) tests/cluster/run.sh

bench-smoke: unit
	@python3 -m unittest discover -s bench/report -p 'test_*.py'
	@BOXOFFICE_BUILD_DIR=build/ci scripts/bench --smoke

# Benchmarks with the release build; regenerates docs/performance.md (about 25 minutes).
bench: deps
	@scripts/setup-deps --test
	@scripts/bench

# MariaDB, Redis, Kafka, three instances, haproxy on :8080 and Prometheus, as local processes
# with their data under .cluster/ (BOXOFFICE_CLUSTER_PORT moves the whole port block).
cluster-up: build
	@scripts/setup-deps --test
	@scripts/cluster up

cluster-down:
	@scripts/cluster down

cluster-logs:
	@scripts/cluster logs

# The unit and contract tests under AddressSanitizer and UBSan.
test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --test-dir build/asan --output-on-failure

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
