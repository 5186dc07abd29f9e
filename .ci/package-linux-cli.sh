#!/usr/bin/env bash
# Adds the Fyne-free command line to the Linux package `fyne package` made: the binary
# next to the desktop binary, and install/uninstall lines in the package's Makefile
# (the desktop binary hands command lines to it: backup/cli/handover).
# Usage: package-linux-cli.sh PACKAGE.tar.xz CLI-BINARY
set -euo pipefail
pkg=$1 cli=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xJf "$pkg" -C "$work"
# The package holds one folder (named after the executable) with the Makefile and usr/.
mk=$(find "$work" -name Makefile -type f | head -n1)
[ -n "$mk" ] || { echo "package-linux-cli: no Makefile in $pkg" >&2; exit 1; }
root=$(dirname "$mk")
bindir=$(cd "$root" && dirname "$(find usr -path '*/bin/*' -type f | head -n1)")
install -m 0755 "$cli" "$root/$bindir/postfach-cli"
# After each line that installs or removes $(Exec), the same for postfach-cli.
sed -i -E \
  -e 's#^(\tinstall -Dm00755 )(usr/[^ ]*bin/)\$\(Exec\) (.*)/\$\(Exec\)$#&\n\1\2postfach-cli \3/postfach-cli#' \
  -e 's#^(\t-rm .*/)\$\(Exec\)$#&\n\1postfach-cli#' \
  "$mk"
grep -q postfach-cli "$mk" || { echo "package-linux-cli: fyne package's Makefile changed; update $0" >&2; exit 1; }
tar -cJf "$pkg" -C "$work" .
