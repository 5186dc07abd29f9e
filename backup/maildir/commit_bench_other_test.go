//go:build !linux

package maildir_test

// platformVariants: syncfs, BenchmarkCommit's baseline, exists only on Linux.
func platformVariants() []commitVariant { return nil }
