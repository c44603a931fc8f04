#!/usr/bin/env bash
# Runs the multi-instance suite: one cluster (scripts/cluster up in build/cluster-test on a free
# port base, purged at the end) shared by every test. The binary: $BOXOFFICE_BIN, default
# build/ci/boxoffice. Extra arguments go to pytest, e.g.
#   tests/cluster/run.sh -k contention
#   tests/cluster/run.sh tests/cluster/test_failures.py -x
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${root}/build/venv-cluster"
# shellcheck source=../lib/venv.sh
source "${root}/tests/lib/venv.sh"
ensure_venv "${venv}" "${root}/tests/cluster/requirements.txt"

# A relative BOXOFFICE_BIN means relative to where this script was called from.
if [[ -n "${BOXOFFICE_BIN:-}" && "${BOXOFFICE_BIN}" != /* ]]; then
  export BOXOFFICE_BIN="${PWD}/${BOXOFFICE_BIN}"
fi
export BOXOFFICE_BIN="${BOXOFFICE_BIN:-${root}/build/ci/boxoffice}"
# Paths given (tests/cluster/test_events.py, ...::test_x) replace the default of the whole suite.
targets=(tests/cluster)
for arg in "$@"; do
  path="${arg%%::*}"
  if [[ "${path}" == *.py || "${path}" == tests/* ]] && [[ -e "${path}" ]]; then
    targets=()
    break
  fi
done
cd "${root}"

# The session fixture purges the cluster at the end; this is the backstop for a pytest that was
# killed before its finalizers ran (not with BOXOFFICE_CLUSTER_KEEP=1, which keeps it on purpose).
cleanup() {
  local code=$?
  if [[ "${BOXOFFICE_CLUSTER_KEEP:-}" != 1 && -f "${root}/build/cluster-test/.boxoffice-cluster" ]]; then
    BOXOFFICE_CLUSTER_DIR="${root}/build/cluster-test" "${root}/scripts/cluster" down --purge >&2 || true
  fi
  exit "${code}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

set +e
"${venv}/bin/python" -m pytest "${targets[@]}" -q -p no:cacheprovider "$@"
code=$?
set -e
exit "${code}"
