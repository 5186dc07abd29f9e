#!/usr/bin/env bash
# Measures the desktop app idle in the tray under Xvfb for BENCH_TRAY_MINUTES (default 10)
# minutes: RSS, CPU % and the Go heap each minute, then the largest memory mappings
# (see BenchmarkTrayIdle in bench/tray_test.go). Needs Dovecot (the accounts point at a
# private one), xvfb-run and a D-Bus session with gnome-keyring, which .ci/with-session.sh
# provides.
#   BENCH_TRAY_MINUTES=N  how long (default 10)
#   BENCH_TRAY_SHOWN=1    start with the window shown instead of only in the tray
#   BENCH_TRAY_PROFILE=1  run bench/cmd/trayprof (the app plus a heap profile at the end)
#   POSTFACH_BIN=PATH     a prebuilt desktop binary (default: built from the module root)
set -euo pipefail
cd "$(dirname "$0")/.."
export POSTFACH_REQUIRE_DOVECOT=1 BENCH_TRAY_IDLE=1
minutes=${BENCH_TRAY_MINUTES:-10}
bash .ci/with-session.sh go test -run '^$' -bench '^BenchmarkTrayIdle$' -benchtime 1x \
  -timeout "$((minutes + 10))m" ./bench/
