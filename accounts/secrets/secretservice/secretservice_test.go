// Package secretservice_test checks package secrets against a real Secret Service. It is
// a separate test binary because the unit tests replace the keyring with go-keyring's
// process-wide mock.
package secretservice_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/secrets"
)

// TestSecretService runs against the real Secret Service that `make test` starts
// (gnome-keyring inside dbus-run-session). POSTFACH_REQUIRE_KEYRING=1 turns a missing
// keyring into a failure, so CI cannot silently skip it.
func TestSecretService(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if os.Getenv("POSTFACH_REQUIRE_KEYRING") == "1" {
			t.Fatal("POSTFACH_REQUIRE_KEYRING=1 but no D-Bus session")
		}
		t.Skip("no D-Bus session; run under make test")
	}
	ctx := context.Background()
	id := "test-" + time.Now().Format("150405.000000000")
	if err := secrets.Set(ctx, id, "pä$$ wörd"); err != nil {
		if os.Getenv("POSTFACH_REQUIRE_KEYRING") != "1" && errors.Is(err, secrets.ErrUnavailable) {
			t.Skipf("no Secret Service: %v", err)
		}
		t.Fatal(err)
	}
	if pw, err := secrets.Get(ctx, id); err != nil || pw != "pä$$ wörd" {
		t.Fatalf("Get = %q, %v", pw, err)
	}
	// A long refresh token is stored in parts (the format is the same on every system)
	// and replaced whole by a shorter one.
	for _, n := range []int{6000, 3000} {
		tok := strings.Repeat("0.AXoA-refresh-token_", n/21+1)[:n]
		if err := secrets.Set(ctx, id, tok); err != nil {
			t.Fatalf("Set of %d bytes: %v", n, err)
		}
		if got, err := secrets.Get(ctx, id); err != nil || got != tok {
			t.Fatalf("Get after Set of %d bytes = %d bytes, %v", n, len(got), err)
		}
	}
	if err := secrets.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Get(ctx, id); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("after Delete: %v, want secrets.ErrNotFound", err)
	}
}
