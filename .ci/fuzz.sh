#!/usr/bin/env bash
# Runs every fuzz target in the module briefly. The budget is a count of inputs ("20000x")
# rather than a duration: with a duration, Go's fuzz coordinator can fail a healthy target
# with "context deadline exceeded" when the deadline hits a busy worker.
set -euo pipefail
t=${1:-20000x}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)' "$dir"/*_test.go 2>/dev/null | awk '{print $2}' | sort -u); do
    echo "fuzz $pkg $target ($t)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$t" "$pkg" >/tmp/postfach-fuzz.log 2>&1 || { cat /tmp/postfach-fuzz.log; exit 1; }
  done
done
