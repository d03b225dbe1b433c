#!/usr/bin/env bash
# Install vivid, enhance the bundled sample image (auto plan, printed), then start the web app
# on http://127.0.0.1:8000 (SQLite and a local file store in ./vivid-data; no other service).
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
# the distribution was called "vivid" before it was renamed (that name is taken on PyPI): drop the old one
if .venv/bin/pip show -q vivid >/dev/null 2>&1; then .venv/bin/pip uninstall -q -y vivid; fi
.venv/bin/pip install -q --disable-pip-version-check -e .  # the base install: no torch (extras: see README)
.venv/bin/vivid enhance src/vivid/assets/sample.png -o vivid-out/sample_enhanced.png --task auto --overwrite
if .venv/bin/vivid serve --help >/dev/null 2>&1; then
  exec .venv/bin/vivid serve "$@"
fi
