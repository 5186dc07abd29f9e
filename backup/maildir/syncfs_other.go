//go:build !linux

package maildir

import "os"

// haveSyncFS is false where no filesystem-wide sync exists: Pending.Finish then fsyncs
// each file.
const haveSyncFS = false

func syncFS(*os.File) error { return nil }
