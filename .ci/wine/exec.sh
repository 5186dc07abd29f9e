#!/usr/bin/env bash
# `go test -exec` wrapper: runs a Windows test binary under Wine in the prefix that
# prefix.sh made. Wine passes the Linux environment through, and the exit code back.
exec wine "$@"
