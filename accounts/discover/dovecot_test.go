package discover

import (
	"errors"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// TestGuessDovecot probes a real Dovecot (implicit TLS and STARTTLS, IMAP and POP3) with the
// guessed host names pointed at it. Its certificate names localhost, so the test pins it, as
// a user who trusted that certificate would; without the pin nothing qualifies, because the
// certificate does not name the guessed hosts.
func TestGuessDovecot(t *testing.T) {
	dc := dovecottest.Start(t)
	e := newEnv(t)
	e.dialer.route("imap.example.com:993", dc.IMAPSAddr())
	e.dialer.route("mail.example.com:143", dc.IMAPAddr())
	e.dialer.route("pop.example.com:995", dc.POP3SAddr())
	e.dialer.route("pop3.example.com:110", dc.POP3Addr())

	opts := e.options(SourceGuess)
	opts.TLS = &trust.Options{PinnedSHA256: dc.CertSHA256}
	res, err := e.discover("alice@example.com", opts)
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	for _, want := range []struct {
		protocol, host string
		port           int
		security       string
	}{
		{ProtocolIMAP, "imap.example.com", 993, SecurityTLS},
		{ProtocolIMAP, "mail.example.com", 143, SecuritySTARTTLS},
		{ProtocolPOP3, "pop.example.com", 995, SecurityTLS},
		{ProtocolPOP3, "pop3.example.com", 110, SecuritySTARTTLS},
	} {
		c := find(t, res, want.protocol, want.host, want.port)
		if c.Security != want.security || c.NeedsConfirmation {
			t.Errorf("candidate %+v", c)
		}
	}
	if len(res.Candidates) != 4 {
		t.Errorf("want 4 candidates%s", dump(res))
	}
	if best, _ := res.Best(ProtocolIMAP); best.Port != 993 {
		t.Errorf("Best(imap) = %+v, want implicit TLS first", best)
	}

	opts.TLS = &trust.Options{Roots: dc.CertPool}
	res, err = e.discover("alice@example.com", opts)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("without the pin: err = %v%s", err, dump(res))
	}
	for _, l := range logOf(res, SourceGuess) {
		if strings.HasPrefix(l.Target, "imap.example.com:993") && !strings.Contains(l.Result, "certificate") {
			t.Errorf("log %+v", l)
		}
	}
}
