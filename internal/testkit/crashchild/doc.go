// Package crashchild runs one test of a test binary in a child process that a crash test
// kills (by a failpoint in the child, or from outside after a delay), the way isync's
// run-tests.pl interrupts its journal: the parent then checks what the killed run left
// behind.
//
// The child is normally the current test binary; with a Wine runner it is the Windows
// test binary of the same package, run under Wine (.ci/wine/test.sh builds it), so the
// Windows build's durability is checked by the same Linux-side oracle. Both sides are
// killed the same way as far as the parent can tell: SIGKILL from outside (under Wine the
// Linux process is the Windows process, so SIGKILL ends it without any Windows cleanup),
// or Kill from inside (SIGKILL on Unix, TerminateProcess on Windows).
package crashchild
