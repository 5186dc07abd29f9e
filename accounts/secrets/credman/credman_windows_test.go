// Package credman_test checks package secrets against Windows' Credential Manager. It is
// a separate test binary because the unit tests replace the keyring with go-keyring's
// process-wide mock.
package credman_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/postfach/postfach/accounts/secrets"
)

// Windows Credential Manager through go-keyring: CI runs this under Wine in a throw-away
// prefix (.ci/wine/test.sh); on a developer's Windows it stores and removes one entry.
func TestWindowsCredentialManager(t *testing.T) {
	ctx := context.Background()
	const id = "test-credman-Jürgen"
	t.Cleanup(func() { _ = secrets.Delete(ctx, id) })
	if err := secrets.Set(ctx, id, "geheim äöü €"); err != nil {
		t.Fatal(err)
	}
	if pw, err := secrets.Get(ctx, id); err != nil || pw != "geheim äöü €" {
		t.Errorf("Get = %q, %v", pw, err)
	}
	if err := secrets.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Get(ctx, id); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	// Credential Manager holds at most 2,560 bytes per secret: a clear error, not a
	// "keyring unavailable".
	err := secrets.Set(ctx, id, strings.Repeat("x", 3000))
	if !errors.Is(err, keyring.ErrSetDataTooBig) || errors.Is(err, secrets.ErrUnavailable) {
		t.Errorf("Set of 3000 bytes = %v, want ErrSetDataTooBig", err)
	}
}
