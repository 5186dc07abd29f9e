package mailerr

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), ErrTimeout},
		{"dns", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, ErrUnreachable},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, ErrUnreachable},
		{"plain text on a TLS port", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, ErrNotTLS},
		{"already classified", fmt.Errorf("x: %w", ErrTimeout), ErrTimeout},
	}
	for _, tc := range cases {
		if got := Classify(tc.err); !errors.Is(got, tc.want) || !errors.Is(got, tc.err) && !errors.As(got, new(tls.RecordHeaderError)) {
			t.Errorf("%s: Classify = %v, want %v wrapping the original", tc.name, got, tc.want)
		}
	}
	if Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
	other := context.Canceled
	if Classify(other) != other {
		t.Error("Classify changed an unrelated error")
	}
}

func TestServerError(t *testing.T) {
	e := NewServerError("PASS", "IN-USE", "mailbox locked", ErrTemporary)
	if !errors.Is(e, ErrTemporary) || !IsTemporary(e) || errors.Is(e, ErrAuthFailed) {
		t.Fatalf("kinds wrong for %v", e)
	}
	if got := e.Error(); got != "PASS: server said [IN-USE] mailbox locked" {
		t.Fatalf("Error() = %q", got)
	}
}
