package search

import (
	"testing"

	"github.com/postfach/postfach/internal/testkit/mailgen"
)

func storeGenerated(t testing.TB, root string, n int) mailgen.Stats {
	t.Helper()
	st, err := mailgen.New(1).Fill(root, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
