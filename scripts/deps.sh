#!/usr/bin/env bash
# Installs the system packages KSeF Desk needs on Debian/Ubuntu, only when something is missing.
# Sourced by scripts/run and scripts/test; safe to run repeatedly.
set -euo pipefail

# libxml2: the XSD validator backend (linked) and xmllint (the differential test's reference).
apt_packages=(libxml2-dev libxml2-utils pkg-config)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> installing system packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python's `cryptography`: the independent implementation our crypto is cross-checked against.
if ! python3 -c 'import cryptography' 2>/dev/null; then
  echo "==> installing python3 cryptography"
  python3 -m pip install --quiet cryptography
fi
