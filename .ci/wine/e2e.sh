#!/usr/bin/env bash
# The end-to-end run of the Windows build under Wine (make e2e-windows, after
# make package-windows): gui/e2e/wine installs dist/PostfachSetup.exe silently into a
# private prefix, backs up and verifies a Dovecot account with the installed
# postfach.com, screenshots the installed app's wizard, and uninstalls silently.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
[ -f dist/PostfachSetup.exe ] || { echo "e2e-windows: run make package-windows first" >&2; exit 1; }
. .ci/wine/prefix.sh
POSTFACH_WINE_E2E=1 POSTFACH_WINE_SETUP="$(pwd)/dist/PostfachSetup.exe" POSTFACH_REQUIRE_DOVECOT=1 \
  $GO test -count=1 -timeout 15m -v -run '^TestInstallBackupUninstall$' ./gui/e2e/wine/
