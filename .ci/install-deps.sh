#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Postfach needs to build (Fyne's cgo driver) and to test
# (Dovecot, gnome-keyring, D-Bus, Xvfb). Safe to run again: it installs only what is missing.
# `install-deps.sh windows` installs what the Windows build and its tests under Wine need
# instead (make package-windows, make test-windows).
set -euo pipefail

if [ "${1:-}" = windows ]; then
  pkgs=(gcc-mingw-w64-x86-64 nsis wine wine64 zip imagemagick xvfb xauth)
else
  pkgs=(
    gcc pkg-config libgl1-mesa-dev libx11-dev libxrandr-dev libxcursor-dev libxinerama-dev
    libxi-dev libxxf86vm-dev
    dovecot-imapd dovecot-pop3d openssl
    gnome-keyring dbus dbus-x11 xvfb xauth xdotool imagemagick
  )
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Please install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
