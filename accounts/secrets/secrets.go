// Package secrets keeps account passwords and sign-in tokens in the OS keyring (Secret
// Service on Linux, Keychain on macOS, Credential Manager on Windows) through
// go-keyring, and nowhere else. Secrets longer than one keyring entry holds are split
// across several entries (split.go).
//
// Every call runs under a timeout: go-keyring has none, and on Linux a locked keyring with
// a display set blocks until someone answers an unlock prompt — which may never come for a
// tray app doing a scheduled backup. There is deliberately no plaintext fallback.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// Service is the keyring service name under which Postfach stores passwords; the user
// name part is the account ID, which never changes.
const Service = "Postfach"

// DefaultTimeout bounds every keyring call unless the context is shorter.
const DefaultTimeout = 10 * time.Second

// Errors callers act on.
var (
	// ErrNotFound means the keyring has no password for the account.
	ErrNotFound = errors.New("no password stored in the keyring")
	// ErrUnavailable means no keyring service answered (none running, locked, or it did
	// not answer in time). The error text says what to start.
	ErrUnavailable = errors.New("the system keyring is not available")
)

// Hint is the plain-language advice shown with ErrUnavailable.
const Hint = "start a keyring service (GNOME Keyring, KDE Wallet with its Secret Service, or " +
	"KeePassXC with Secret Service integration) and unlock it"

// Set stores the password (or another secret, such as a refresh token) for an account,
// replacing what was stored. A secret longer than one keyring entry holds is split
// across several (split.go); a failed save leaves the old secret readable.
func Set(ctx context.Context, accountID, password string) error {
	if err := setSplit(ctx, system{}, accountID, password); err != nil {
		return fmt.Errorf("save password: %w", err)
	}
	return nil
}

// Get returns the password for an account. A secret stored in parts that do not fit
// together any more is ErrDamaged (which matches ErrNotFound too), never a wrong one.
func Get(ctx context.Context, accountID string) (string, error) {
	pw, err := getSplit(ctx, system{}, accountID)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return pw, nil
}

// Delete removes the password for an account. Deleting a missing entry is not an error.
func Delete(ctx context.Context, accountID string) error {
	if err := deleteSplit(ctx, system{}, accountID); err != nil {
		return fmt.Errorf("delete password: %w", err)
	}
	return nil
}

// call runs fn in a goroutine so that a hanging keyring cannot hang the caller. The
// goroutine is abandoned on timeout: go-keyring offers no way to cancel, and it ends by
// itself when the keyring finally answers or the process exits.
func call(ctx context.Context, fn func() (string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := fn()
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		return r.s, classify(r.err)
	case <-ctx.Done():
		return "", fmt.Errorf("%w: no answer within %v (is it locked?); %s", ErrUnavailable, DefaultTimeout, Hint)
	}
}

func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return err
	default:
		// go-keyring reports D-Bus and Secret Service failures as plain errors; all of
		// them mean the same to the user: no usable keyring.
		return fmt.Errorf("%w: %v; %s", ErrUnavailable, err, Hint)
	}
}
