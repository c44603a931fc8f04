#!/usr/bin/env bash
# The black-box suite through HAProxy: brings up a private three-instance cluster with
# scripts/cluster (MariaDB, Redis, Kafka, HAProxy, Prometheus on free loopback ports, under
# build/cluster-functional), runs tests/functional against the balancer in external mode (see
# conftest.py), and always brings the cluster down again.
#
#   tests/functional/cluster_functional.sh [pytest arguments...]
#
# The binary: $BOXOFFICE_BIN, else build/release/boxoffice. Tests that need the test hooks, a
# private server, a restart or the SQLite file are skipped, each with its reason (pytest -rs).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export BOXOFFICE_CLUSTER_DIR="${root}/build/cluster-functional"

# A relative BOXOFFICE_BIN means relative to where this script was called from.
if [[ -n "${BOXOFFICE_BIN:-}" && "${BOXOFFICE_BIN}" != /* ]]; then
  export BOXOFFICE_BIN="${PWD}/${BOXOFFICE_BIN}"
fi

# A base port P with P..P+10 all free on 127.0.0.1, below the kernel's ephemeral range (where an
# outgoing connection could take one of them between this probe and the server's bind). Each is
# probed by binding it without SO_REUSEADDR, which also fails on a lingering TIME_WAIT.
BOXOFFICE_CLUSTER_PORT="$(python3 - <<'PY'
import random
import socket

def free_block(base):
    held = []
    try:
        for port in range(base, base + 11):
            s = socket.socket()
            held.append(s)
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for s in held:
            s.close()

with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    ephemeral_low = int(f.read().split()[0])
high = min(ephemeral_low, 65536) - 11
for _ in range(200):
    base = random.randrange(10000, max(high, 10001))
    if free_block(base):
        print(base)
        break
else:
    raise SystemExit("no block of 11 free ports found on 127.0.0.1")
PY
)"
export BOXOFFICE_CLUSTER_PORT

# Stale state from an interrupted run is stopped and deleted first: every run starts empty.
"${root}/scripts/cluster" down --purge >/dev/null 2>&1 || true
rm -rf "${BOXOFFICE_CLUSTER_DIR}"

cleanup() {
  local code=$?
  "${root}/scripts/cluster" down || true
  exit "${code}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The suite's settings for the instances: no rate limit (the session server of the embedded run
# has none either), and a quick scheduler so that admission is prompt.
export BOXOFFICE_RATE_LIMIT_PER_SECOND=0
export BOXOFFICE_SCHEDULER_TICK_MS=50
export BOXOFFICE_ACCESS_LOG=false
"${root}/scripts/cluster" up

# cluster.env: KEY=VALUE lines without quotes.
set -a
# shellcheck disable=SC1091
source "${BOXOFFICE_CLUSTER_DIR}/cluster.env"
set +a
export BOXOFFICE_TEST_BASE_URL="${BOXOFFICE_URL}"
export BOXOFFICE_TEST_ADMIN_TOKEN="${ADMIN_TOKEN}"
export BOXOFFICE_TEST_JWT_SECRET="${JWT_SECRET}"
export BOXOFFICE_TEST_INSTANCE_URLS="${INSTANCE_1_URL},${INSTANCE_2_URL},${INSTANCE_3_URL}"
logs=()
for n in 1 2 3; do
  logs+=("${BOXOFFICE_CLUSTER_DIR}/instance-${n}/boxoffice.log")
done
logs+=("${BOXOFFICE_CLUSTER_DIR}/haproxy/haproxy.log")
BOXOFFICE_TEST_LOG_FILES="$(IFS=:; echo "${logs[*]}")"
export BOXOFFICE_TEST_LOG_FILES

cd "${root}"
"${root}/tests/functional/run.sh" -rs "$@"
