#!/usr/bin/env bash
# Runs Postfach's backup benchmarks against a private Dovecot (10,000 messages, ~650 MB)
# inside a D-Bus session with gnome-keyring. BENCH_MESSAGES=N uses a smaller mailbox;
# BENCHTIME (default 3x) sets iterations.
set -euo pipefail
cd "$(dirname "$0")/.."
export POSTFACH_REQUIRE_DOVECOT=1
bash .ci/with-session.sh go test -run '^$' -bench . -benchtime "${BENCHTIME:-3x}" -timeout 60m ./bench/
