#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring, so that
# keyring, notification and tray code meet real services. Usage: with-session.sh CMD...
# Called by the Makefile; it re-executes itself under dbus-run-session.
set -euo pipefail
if [ -z "${POSTFACH_IN_SESSION:-}" ]; then
  export POSTFACH_IN_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
XDG_DATA_HOME=$(mktemp -d)
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
# gnome-keyring reads the unlock password from stdin and prints the control socket path.
eval "$(printf 'postfach-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
