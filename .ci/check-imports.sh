#!/usr/bin/env bash
# Enforces the dependency direction: gui -> backup, accounts; never back. Only main.go
# imports Fyne's app driver (cgo), so gui/ tests build without a display.
set -euo pipefail
fail=0
for core in accounts backup; do
  if hits=$(grep -rlE '"fyne\.io/|/postfach/gui"' --include='*.go' "$core"); then
    echo "$core/ must not import Fyne or gui: $hits"; fail=1
  fi
done
if [ -d accounts ] && hits=$(grep -rl '"github.com/postfach/postfach/backup' --include='*.go' accounts); then
  echo "accounts/ must not import backup/: $hits"; fail=1
fi
if [ -d gui ] && hits=$(grep -rl '"fyne.io/fyne/v2/app"' --include='*.go' gui); then
  echo "only main.go may import fyne.io/fyne/v2/app: $hits"; fail=1
fi
# Test kits are not product code: only tests and bench/ may import internal/testkit.
if hits=$(grep -rl '"github.com/postfach/postfach/internal/testkit' --include='*.go' --exclude='*_test.go' main.go accounts backup gui); then
  echo "only tests and bench/ may import internal/testkit: $hits"; fail=1
fi
exit $fail
