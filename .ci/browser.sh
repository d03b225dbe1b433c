#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/server/test_browser.py drives /usr/bin/chromium
# through the playwright package; no browser is ever downloaded by playwright). Run as root; idempotent.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "browser.sh: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "browser.sh: run me as root to install chromium (apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
echo "browser.sh: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)" >&2
