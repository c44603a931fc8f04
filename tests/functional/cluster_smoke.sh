#!/usr/bin/env bash
# Smoke test of the cluster profile: starts a private MariaDB and Redis on free loopback ports,
# then runs a subset of the black-box suite against the binary with BOXOFFICE_PROFILE=cluster.
# Each server the fixtures start gets its own database boxoffice_<random> and Redis key prefix
# (see Server in conftest.py). Both services are stopped on exit.
#
#   tests/functional/cluster_smoke.sh [pytest arguments...]
#
# The binary: $BOXOFFICE_BIN, else the one tests/functional/run.sh would pick.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${root}/build/cluster-smoke"
mariadb_dir="${work}/mariadb"
redis_dir="${work}/redis"

# A relative BOXOFFICE_BIN means relative to where this script was called from.
if [[ -n "${BOXOFFICE_BIN:-}" && "${BOXOFFICE_BIN}" != /* ]]; then
  export BOXOFFICE_BIN="${PWD}/${BOXOFFICE_BIN}"
fi

# Two distinct free ports on 127.0.0.1 (the kernel picks them; both sockets are open at once).
read -r mariadb_port redis_port < <(python3 - <<'PY'
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0))
b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])
a.close()
b.close()
PY
)

cleanup() {
  local code=$?
  "${root}/scripts/redis" stop "${redis_dir}" || true
  "${root}/scripts/mariadb" stop "${mariadb_dir}" || true
  exit "${code}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fresh state every run: the per-server databases of an earlier run are not kept.
"${root}/scripts/redis" stop "${redis_dir}" || true
"${root}/scripts/mariadb" stop "${mariadb_dir}" || true
rm -rf "${mariadb_dir}" "${redis_dir}"
mkdir -p "${work}"

db_url="$("${root}/scripts/mariadb" start "${mariadb_dir}" "${mariadb_port}" | tail -n1)"
"${root}/scripts/redis" start "${redis_dir}" "${redis_port}" >/dev/null
echo "cluster-smoke: MariaDB ${db_url%%@*}@... on ${mariadb_port}, Redis on ${redis_port}"

# The conftest's Server adds these to every server it starts; it replaces the database in
# BOXOFFICE_DB_URL with a fresh boxoffice_<random> one per server.
export BOXOFFICE_TEST_EXTRA_ENV="{\"BOXOFFICE_PROFILE\": \"cluster\", \
\"BOXOFFICE_DB_URL\": \"${db_url}\", \
\"BOXOFFICE_REDIS_URL\": \"redis://127.0.0.1:${redis_port}/0\"}"

deselect=(
  # Holds SQLite's write lock through the database file, to crash the server mid-commit.
  --deselect tests/functional/test_errors.py::test_idempotency_in_progress_after_a_crash
  # Locks the SQLite file to provoke busy_timeout; MySQL has no file to lock from outside.
  --deselect tests/functional/test_errors.py::test_unavailable_while_the_database_is_locked
)

cd "${root}"
"${root}/tests/functional/run.sh" \
  tests/functional/test_scenario.py \
  tests/functional/test_races.py \
  tests/functional/test_queue.py \
  tests/functional/test_errors.py \
  tests/functional/test_reference_defects.py \
  "${deselect[@]}" "$@"
