package bench

import (
	"os"
	"testing"
)

// TestMain lets the test binary double as the ceiling client (BENCH_CHILD=ceiling), so
// the ceiling runs as its own process like every other client, and stops the shared
// Dovecot once every benchmark is done.
func TestMain(m *testing.M) {
	if os.Getenv("BENCH_CHILD") == "ceiling" {
		os.Exit(ceilingMain())
	}
	code := m.Run()
	runProcessCleanups()
	os.Exit(code)
}
