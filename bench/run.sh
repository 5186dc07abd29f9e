#!/usr/bin/env bash
# Runs Postfach's backup benchmarks against a private Dovecot (10,000 messages, ~700 MB)
# inside a D-Bus session with gnome-keyring, then compares Postfach with fetchmail,
# getmail6 and a minimal pipelined POP3 reader (the ceiling) and prints one table.
#
#   BENCH_MESSAGES=N     use a smaller mailbox
#   BENCHTIME            iterations of BenchmarkBackup (default 1x)
#   BENCH=REGEXP         which benchmarks (default: all; Compare prints the table)
#   BENCH_ROUNDS=N       runs of Postfach and the ceiling per protocol (default 3)
#   BENCH_SLOW_ROUNDS=N  runs of fetchmail and getmail6 per protocol (default 1)
#   BENCH_TOOLS=a,b      only these clients (postfach,postfach-cli,ceiling,limit,fetchmail,getmail,getmail-patched)
#   BENCH_PROTOS=a,b     only these protocols (POP3,POP3S)
#   BENCH_TRAY=0         skip the desktop app's idle-memory measurement (20 s, window shown;
#                        bench/tray-idle.sh measures 10 minutes in the tray)
#   BENCH_DIR=DIR        where the clients write (default: TMPDIR); needs ~25 GB free to
#                        keep every output until the end (less: outputs are deleted as
#                        they finish, with a pause before the next client). Durability
#                        costs depend on this file system: a loop-mounted image makes
#                        every sync dearer, a /tmp that other jobs churn makes file
#                        creation dearer.
# Each client runs alone: the machine should be otherwise idle (client and Dovecot share
# the CPUs), and the table reports the load average seen during the run.
set -euo pipefail
cd "$(dirname "$0")/.."

# The clients Postfach is compared with (Debian packages; not needed by make test).
missing=()
command -v fetchmail >/dev/null || missing+=(fetchmail)
command -v getmail >/dev/null || missing+=(getmail6)
[ -x /usr/bin/time ] || missing+=(time)   # GNU time measures peak RSS
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

export POSTFACH_REQUIRE_DOVECOT=1
bash .ci/with-session.sh go test -run '^$' -bench "${BENCH:-.}" -benchtime "${BENCHTIME:-1x}" -timeout 150m ./bench/
# The search index on the same size of mailbox (docs/search.md), and the IMAP copy speeds.
go test -run '^$' -bench . -benchtime 1x -timeout 30m ./bench/search/
POSTFACH_IMAPCOPY_SPEED=3000 go test -count=1 -run TestSpeed -v ./backup/imapcopy
