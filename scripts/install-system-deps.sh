#!/usr/bin/env bash
# Debian programs the tests and the demo use: socat makes pseudo-terminal pairs that stand in for RS485
# ports; chromium (headless) drives the operators' web page in test/aggregator/page (playwright-core never
# downloads a browser: it is pointed at this one). Installs only what is missing; needs root (or sudo) the
# first time.
set -euo pipefail
need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
