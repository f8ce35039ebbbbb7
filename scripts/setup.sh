#!/usr/bin/env bash
# Installs everything Civicard needs on a fresh Debian 12 machine with Node 20:
# the Debian packages (pcscd with the vsmartcard vpcd driver, PC/SC headers for
# the native build, socat for printer ptys, PostgreSQL for the back-office
# tests, Chromium for the end-to-end tests, espeak-ng for spoken guidance),
# then the npm packages.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(pcscd vsmartcard-vpcd libpcsclite-dev socat python3 make g++ postgresql chromium espeak-ng fonts-dejavu-core)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# The Electron binary is not needed to run or test the kiosk core (and cannot be
# downloaded on a closed network); the packaged app brings its own.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
