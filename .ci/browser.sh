#!/usr/bin/env bash
# The browser test's one system need: Debian's headless-capable Chromium at /usr/bin/chromium,
# driven by the Python playwright package of the dev extra (its bundled browsers are never
# downloaded: no network at test time). Run as root; a no-op when chromium is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "browser.sh: installing chromium needs root (apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# fonts-liberation: readable text in screenshots on a machine without other fonts
apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
/usr/bin/chromium --version
