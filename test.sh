#!/usr/bin/env bash
# Install everything vivid's tests need, then run the whole test suite.
#   Python packages into .venv with every extra (torch/torchvision pinned; see pyproject.toml),
#   Debian's chromium (browser tests) and a local PostgreSQL server (database tests) when run as root.
# Extra arguments go to pytest, e.g. ./test.sh -m "not browser".
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
# the distribution was called "vivid" before it was renamed (that name is taken on PyPI): drop the old one
if .venv/bin/pip show -q vivid >/dev/null 2>&1; then .venv/bin/pip uninstall -q -y vivid; fi
.venv/bin/pip install -q --disable-pip-version-check -e ".[test,train,torch,bm3d,ray,openvino,quantize]"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  [ -f .ci/browser.sh ] && bash .ci/browser.sh
  if [ -f .ci/postgres.sh ] && [ -z "${VIVID_TEST_POSTGRES_URL:-}" ]; then
    VIVID_TEST_POSTGRES_URL="$(bash .ci/postgres.sh | tail -n 1)"
    export VIVID_TEST_POSTGRES_URL
  fi
fi
exec .venv/bin/python -m pytest -q "$@"
