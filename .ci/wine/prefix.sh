#!/usr/bin/env bash
# Sourced by the Windows test scripts: creates a private Wine prefix for this run, puts
# the test-only ProcessPrng shim (bcryptprimitives.c) into its system32, and removes the
# prefix again on exit. Sets WINEPREFIX, WINEDEBUG and WINEDLLOVERRIDES for the caller.
export WINEPREFIX WINEDEBUG=-all WINEARCH=win64
WINEPREFIX=$(mktemp -d /tmp/postfach-wine.XXXXXX)
# No Mono or Gecko installer prompts (Postfach needs neither), and no winemenubuilder,
# which would copy the prefix's Start menu entries and icons into the Linux desktop.
export WINEDLLOVERRIDES="mscoree,mshtml,winemenubuilder.exe="
wine_cleanup() { wineserver -k >/dev/null 2>&1 || true; rm -rf "$WINEPREFIX"; }
trap wine_cleanup EXIT
wineboot -i >/dev/null 2>&1
wineserver -w
# Wine links Documents, Desktop, … to the Linux home folder; the tests must write into the
# prefix only.
for link in "$WINEPREFIX/drive_c/users/$(id -un)"/*; do
  if [ -L "$link" ]; then rm "$link" && mkdir "$link"; fi
done
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  "$(dirname "${BASH_SOURCE[0]}")/bcryptprimitives.c" "$(dirname "${BASH_SOURCE[0]}")/bcryptprimitives.def" -ladvapi32
