package imap

import (
	"context"
	"errors"
	"testing"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/postfach/postfach/accounts/mailerr"
)

// TestWrapOp: the response codes of a full or refusing mailbox become the transfer
// sentinels, with the server's words kept; a cancelled command says so.
func TestWrapOp(t *testing.T) {
	s := &Session{addr: "imap.test:993"}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
		err  error
		want error
	}{
		{"overquota", context.Background(), &goimap.Error{Type: goimap.StatusResponseTypeNo, Code: goimap.ResponseCodeOverQuota, Text: "Quota exceeded"}, ErrOverQuota},
		{"toobig", context.Background(), &goimap.Error{Type: goimap.StatusResponseTypeNo, Code: goimap.ResponseCodeTooBig, Text: "too big"}, ErrTooBig},
		{"limit", context.Background(), &goimap.Error{Type: goimap.StatusResponseTypeNo, Code: goimap.ResponseCodeLimit, Text: "Mail size is larger"}, ErrLimit},
		{"cancelled", cancelled, errors.New("closed"), context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := s.wrapOp(c.ctx, "append", c.err)
			if !errors.Is(err, c.want) {
				t.Fatalf("wrapOp = %v, want %v", err, c.want)
			}
			var se *mailerr.ServerError
			if ie := (*goimap.Error)(nil); errors.As(c.err, &ie) && !errors.As(err, &se) {
				t.Errorf("server text lost: %v", err)
			}
		})
	}
}
