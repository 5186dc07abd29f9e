//go:build !linux

package maildir

// haveSyncFS is false where no filesystem-wide sync exists: Pending.Finish then fsyncs
// each file.
const haveSyncFS = false

func syncFS(string) error { return nil }
