#!/usr/bin/env bash
# Installs the system packages KSeF Desk needs on Debian/Ubuntu, only when something is missing.
# Sourced by scripts/run and scripts/test; safe to run repeatedly.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: Rust is required: install it with rustup (https://rustup.rs), then run this again" >&2
  exit 1
fi

# libxml2: the XSD validator backend (linked) and xmllint (the differential test's reference).
apt_packages=(libxml2-dev libxml2-utils pkg-config)
# xmlsec1: independent XAdES verifier (ksef-api/ksef-sim tests); curl, jq, openssl, xxd: the simulator's
# curl + openssl guide (scripts/sim-curl-demo), run by a ksef-sim test.
apt_packages+=(xmlsec1 curl jq openssl xxd)
# Tauri 2 desktop shell (src-tauri): WebKitGTK, GTK, tray (ayatana appindicator), SVG icons,
# D-Bus (keyring's Secret Service client), Xvfb/xauth/dbus-x11 to run the GUI headless in tests,
# WebKitWebDriver for end-to-end tests, `file` for the deb bundler, ImageMagick for icons/screenshots.
apt_packages+=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libssl-dev libdbus-1-dev xvfb xauth dbus-x11 webkit2gtk-driver file imagemagick)

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

# Node.js >= 20 for the front end (Vite 7). Debian 12's own nodejs is 18: too old.
if ! command -v node >/dev/null 2>&1; then
  echo "error: Node.js 20 or newer is required (https://nodejs.org or your distribution's backports)" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  echo "error: Node.js $(node --version) is too old; version 20 or newer is required" >&2
  exit 1
fi
