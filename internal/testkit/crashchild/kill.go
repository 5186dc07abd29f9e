package crashchild

// KilledExitCode is the exit code a Windows child gives TerminateProcess when it kills
// itself (Kill); the parent counts it as a kill, like SIGKILL. No Go test binary exits
// with it on its own (they exit 0, 1 or 2).
const KilledExitCode = 75
