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
	// Credential Manager holds at most 2,560 bytes per secret: longer ones (Microsoft's
	// refresh tokens for work accounts) are stored in parts, replaced whole, and gone
	// with their entry.
	for _, n := range []int{6000, 3000, 2560, 6000} {
		tok := strings.Repeat("0.AXoA-refresh-token_", n/21+1)[:n]
		if err := secrets.Set(ctx, id, tok); err != nil {
			t.Fatalf("Set of %d bytes: %v", n, err)
		}
		if got, err := secrets.Get(ctx, id); err != nil || got != tok {
			t.Fatalf("Get after Set of %d bytes = %d bytes, %v", n, len(got), err)
		}
	}
	// The entry itself holds only the header, within Credential Manager's limit.
	if raw, err := keyring.Get(secrets.Service, id); err != nil || len(raw) > 2560 || !strings.HasPrefix(raw, "postfach:split:v1:") {
		t.Errorf("raw entry = %.60q (%d bytes), %v", raw, len(raw), err)
	}
	if err := secrets.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Get(ctx, id); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	// Beyond what the parts hold: a clear error, not a "keyring unavailable".
	err := secrets.Set(ctx, id, strings.Repeat("x", 70000))
	if !errors.Is(err, keyring.ErrSetDataTooBig) || errors.Is(err, secrets.ErrUnavailable) {
		t.Errorf("Set of 70000 bytes = %v, want ErrSetDataTooBig", err)
	}
}
