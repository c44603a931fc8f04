# Sourced by the pytest runners (tests/functional/run.sh, tests/cluster/run.sh).
#   ensure_venv VENV REQUIREMENTS: creates the virtualenv VENV if missing and installs the pinned
#   REQUIREMENTS into it, again only when that list changed since the last successful install.
ensure_venv() {
  local venv="$1" requirements="$2"
  local stamp="${venv}/.requirements-$(basename "$(dirname "${requirements}")")"
  if [[ ! -x "${venv}/bin/python" ]]; then
    python3 -m venv "${venv}"
  fi
  if [[ ! -f "${stamp}" ]] || ! cmp -s "${requirements}" "${stamp}"; then
    "${venv}/bin/python" -m pip install --quiet --disable-pip-version-check -r "${requirements}"
    cp "${requirements}" "${stamp}"
  fi
}
