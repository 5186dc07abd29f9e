#!/usr/bin/env bash
# Builds Postfach for Windows from Linux (make package-windows):
#   dist/Postfach.exe                 the desktop app (cgo, GUI subsystem, icon, version, manifest)
#   dist/postfach.com                 the console command line (no cgo), see backup/cli/console
#   dist/PostfachSetup.exe            the per-user NSIS installer (assets/windows/installer.nsi)
#   dist/Postfach-windows-amd64.zip   the portable build
# One cgo build path only: a plain `go build` with a .syso from mingw's windres, not
# `fyne package`, whose own cgo flags would compile go-gl a second time (~8.5 CPU-minutes).
# The build uses Go's ordinary build cache, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
DIST=${DIST:-dist}

toml() { sed -n "s/^$1 *= *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" FyneApp.toml | head -n1; }
APPID=$(toml ID)
VERSION=$(toml Version)
BUILD=$(toml Build)
IFS=. read -r V1 V2 V3 <<<"$VERSION"
[ -n "$APPID" ] && [ -n "$V3" ] && [ -n "$BUILD" ] || { echo "package-windows: cannot read ID, Version, Build from FyneApp.toml" >&2; exit 1; }

work=$(mktemp -d)
syso=(rsrc_windows_amd64.syso backup/cli/console/rsrc_windows_amd64.syso)
trap 'rm -rf "$work" "${syso[@]}"' EXIT
mkdir -p "$DIST"

# Icon sizes Explorer, the taskbar and the Start menu ask for.
convert assets/icon.png -define icon:auto-resize=256,64,48,32,24,16 "$work/postfach.ico"

resources() { # $1 = output .syso, $2 = file name recorded in the version info
  x86_64-w64-mingw32-windres -O coff --include-dir="$work" --include-dir=assets/windows \
    -DVER_MAJOR="$V1" -DVER_MINOR="$V2" -DVER_PATCH="$V3" -DVER_BUILD="$BUILD" \
    -DVER_STRING="\\\"$VERSION.$BUILD\\\"" -DFILE_NAME="\\\"$2\\\"" \
    -i assets/windows/postfach.rc -o "$1"
}
resources "${syso[0]}" Postfach.exe
resources "${syso[1]}" postfach.com

export GOOS=windows GOARCH=amd64
CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
  $GO build -tags migrated_fynedo -ldflags "-H=windowsgui -s -w ${OAUTH_LDFLAGS:-}" -o "$DIST/Postfach.exe" .
CGO_ENABLED=0 $GO build -ldflags "-s -w ${OAUTH_LDFLAGS:-}" -o "$DIST/postfach.com" ./backup/cli/console
unset GOOS GOARCH

makensis -V2 -INPUTCHARSET UTF8 \
  -DAPPID="$APPID" -DVERSION="$VERSION" -DBUILD="$BUILD" -DDIST="$(pwd)/$DIST" \
  -DICON="$work/postfach.ico" -DOUTFILE="$(pwd)/$DIST/PostfachSetup.exe" assets/windows/installer.nsi

rm -f "$DIST/Postfach-windows-amd64.zip"
(cd "$DIST" && zip -q -X Postfach-windows-amd64.zip Postfach.exe postfach.com)
ls -l "$DIST"/Postfach.exe "$DIST"/postfach.com "$DIST"/PostfachSetup.exe "$DIST"/Postfach-windows-amd64.zip
