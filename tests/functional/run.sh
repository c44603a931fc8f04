#!/usr/bin/env bash
# Runs the black-box functional suite against the real binary: $BOXOFFICE_BIN, else the first of
# build/{release,ci,debug,asan}/boxoffice. Extra arguments go to pytest, e.g.
#   tests/functional/run.sh -m "not race"
#   tests/functional/run.sh tests/functional/test_queue.py -x
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${root}/build/venv"
# shellcheck source=../lib/venv.sh
source "${root}/tests/lib/venv.sh"
ensure_venv "${venv}" "${root}/tests/functional/requirements.txt"

# A relative BOXOFFICE_BIN means relative to where this script was called from.
if [[ -n "${BOXOFFICE_BIN:-}" && "${BOXOFFICE_BIN}" != /* ]]; then
  export BOXOFFICE_BIN="${PWD}/${BOXOFFICE_BIN}"
fi
# Paths given (tests/functional/test_queue.py, ...::test_x) replace the default of the whole suite.
targets=(tests/functional)
for arg in "$@"; do
  path="${arg%%::*}"
  if [[ "${path}" == *.py || "${path}" == tests/* ]] && [[ -e "${path}" ]]; then
    targets=()
    break
  fi
done
cd "${root}"
set +e
"${venv}/bin/python" -m pytest "${targets[@]}" -q -p no:cacheprovider "$@"
code=$?
exit "${code}"
