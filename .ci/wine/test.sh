#!/usr/bin/env bash
# Runs the Windows test binaries of the core packages under Wine (make test-windows).
# Usage: test.sh [packages…]; without arguments, the list below.
#
# Two test-only workarounds for Wine 8 (Debian 12), neither part of any Postfach build:
# - bcryptprimitives.c: the ProcessPrng that Go's runtime needs (prefix.sh);
# - a build overlay of Go's internal/syscall/windows/at_windows.go that lets os.RemoveAll
#   fall back to the classic delete call when Wine answers the newer one with
#   STATUS_NOT_IMPLEMENTED. Without it every t.TempDir cleanup fails under Wine 8; on
#   real Windows (10 1607 and later) the newer call works and the overlay changes nothing.
# Dovecot comes from the Linux side: a Linux test binary of internal/testkit/dovecottest
# (TestServeForWine) runs in the background and starts a private instance for each
# dovecottest.Start of a Windows test; POSTFACH_DOVECOT_REMOTE hands its address over
# (internal/testkit/dovecottest/remote.go).
# Without arguments it also runs the crash harnesses with the Windows build as the child
# (backup/crash_wine_test.go, backup/imapcopy/crash_wine_test.go): a Linux parent with
# Dovecot and the oracle kills the Windows test binary under Wine at every durability step.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}

# What runs: every package of accounts/ and backup/ except those below, and every test
# except the skips below. Each exception has its reason; docs/windows.md lists them.
#   accounts/discover  its tests serve DNS on a UDP socket, and Wine 8 refuses the
#                      socket option Go sets on UDP sockets (WSAIoctl: WSAEOPNOTSUPP).
# Tests skipped: none. Where Windows differs (an open file cannot be removed, '!' instead
# of ':' in Maildir names, no /proc), the tests and the product handle it themselves.
skip=''
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
  mapfile -t pkgs < <(GOOS=windows $GO list -e -f '{{if or .GoFiles .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' \
    ./accounts/... ./backup/... | grep -v -x 'github.com/postfach/postfach/accounts/discover')
fi

require_dovecot=${POSTFACH_REQUIRE_DOVECOT:-}
. .ci/wine/prefix.sh
ov=$(mktemp -d)
serve_pid=
stop_dovecot() { if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null; wait "$serve_pid" || true; serve_pid=; fi; }
trap 'stop_dovecot; rm -rf "$ov"; wine_cleanup' EXIT
src=$($GO env GOROOT)/src/internal/syscall/windows/at_windows.go
anchor='STATUS_NOT_SUPPORTED:     // the file system'
grep -q "$anchor" "$src" || { echo "test-windows: $src changed; update the Wine 8 RemoveAll overlay in $0" >&2; exit 1; }
sed "s|$anchor|NTStatus(0xC0000002), // STATUS_NOT_IMPLEMENTED (Wine 8)\n\t\t$anchor|" "$src" >"$ov/at_windows.go"
printf '{"Replace":{"%s":"%s"}}\n' "$src" "$ov/at_windows.go" >"$ov/overlay.json"

# Dovecot for the Windows tests: started here, stopped (every instance with it) on exit.
$GO test -c -o "$ov/dovecottest.test" ./internal/testkit/dovecottest
POSTFACH_DOVECOT_SERVE="$ov/dovecot.url" "$ov/dovecottest.test" -test.run '^TestServeForWine$' \
  >"$ov/dovecot.out" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do [ -s "$ov/dovecot.url" ] || ! kill -0 "$serve_pid" 2>/dev/null && break; sleep 0.1; done
if [ ! -s "$ov/dovecot.url" ]; then
  echo "test-windows: the Dovecot server for the Windows tests did not start:" >&2
  cat "$ov/dovecot.out" >&2
  exit 1
fi
export POSTFACH_DOVECOT_REMOTE
POSTFACH_DOVECOT_REMOTE=$(cat "$ov/dovecot.url")

# The Linux side's "must not skip" switches would fail the keyring and mount tests that
# cannot run here (Dovecot is here: a test that cannot reach it fails on its own).
unset POSTFACH_REQUIRE_DOVECOT POSTFACH_REQUIRE_KEYRING POSTFACH_REQUIRE_MOUNT
win=(env GOOS=windows GOARCH=amd64 CGO_ENABLED=0)
"${win[@]}" $GO test -overlay "$ov/overlay.json" -exec "$(pwd)/.ci/wine/exec.sh" -count=1 -timeout 20m \
  -skip "$skip" "${pkgs[@]}"
# The desktop app's Windows registry code (start at login, notification identity); the
# rest of gui/ is tested on Linux.
"${win[@]}" $GO test -tags migrated_fynedo -overlay "$ov/overlay.json" -exec "$(pwd)/.ci/wine/exec.sh" \
  -count=1 -run '^TestWindows' ./gui
stop_dovecot

if [ $# -eq 0 ]; then
  # The crash harnesses with the Windows build as the child: a Linux parent (Dovecot, the
  # oracle) kills the Windows test binary of backup/ (or backup/imapcopy) under Wine.
  "${win[@]}" $GO test -c -overlay "$ov/overlay.json" -o "$ov/backup.test.exe" ./backup
  "${win[@]}" $GO test -c -overlay "$ov/overlay.json" -o "$ov/imapcopy.test.exe" ./backup/imapcopy
  # A persistent wineserver: each child would otherwise start Wine's services again. Only
  # here, after the `go test -exec` runs: Wine's service processes inherit the output of
  # the program that started them, and kept alive they would hold go test's pipes open
  # (the crash children write to files, internal/testkit/crashchild).
  wineserver -p >/dev/null 2>&1
  POSTFACH_REQUIRE_DOVECOT=${require_dovecot} POSTFACH_CRASH_WINE="$ov/backup.test.exe" \
    POSTFACH_IMAPCOPY_CRASH_WINE="$ov/imapcopy.test.exe" \
    $GO test -count=1 -timeout 10m -run 'Wine$' -v ./backup ./backup/imapcopy | grep -vE '^(=== |    --- PASS)'
fi
