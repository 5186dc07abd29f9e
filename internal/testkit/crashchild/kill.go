package crashchild

// KilledExitCode is the exit code a Windows child gives TerminateProcess when it kills
// itself (Kill); the parent counts it as a kill, like SIGKILL. No Go test binary exits
// with it on its own (they exit 0, 1 or 2).
const KilledExitCode = 75

// killMarker is the line Kill writes to standard error just before it ends the process.
// Under Wine the exit code of a process that terminated itself is not always the one it
// gave (seen once in about 150 kills: 1 instead of KilledExitCode), so the parent also
// counts a child whose output ends with this line as killed.
const killMarker = "crashchild: killed at a failpoint"
