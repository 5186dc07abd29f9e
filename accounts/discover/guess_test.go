package discover

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGuessImplicitTLS: servers on 993 and 995 become candidates; STARTTLS is then not tried
// on the same hosts; nothing that carries credentials is ever sent.
func TestGuessImplicitTLS(t *testing.T) {
	e := newEnv(t)
	imap := e.mail("imap.example.com", 993, mailConfig{protocol: ProtocolIMAP, implicitTLS: true})
	pop := e.mail("pop.example.com", 995, mailConfig{protocol: ProtocolPOP3, implicitTLS: true})
	res, err := e.discover("anna@example.com", e.options(SourceGuess))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	if len(res.Candidates) != 2 {
		t.Errorf("want 2 candidates%s", dump(res))
	}
	c := find(t, res, ProtocolIMAP, "imap.example.com", 993)
	if c.Source != SourceGuess || c.Security != SecurityTLS || c.NeedsConfirmation || c.Username != "anna@example.com" || !strings.Contains(c.Detail, "IMAP4rev1") {
		t.Errorf("imap candidate: %+v", c)
	}
	if c := find(t, res, ProtocolPOP3, "pop.example.com", 995); c.Security != SecurityTLS || !strings.Contains(c.Detail, "UIDL") {
		t.Errorf("pop3 candidate: %+v", c)
	}
	dials := e.dialer.dials()
	for _, d := range []string{"imap.example.com:143", "pop.example.com:110"} {
		if slices.Contains(dials, d) {
			t.Errorf("dialled %s although implicit TLS worked there", d)
		}
	}
	// The plan: 3 IMAP and 4 POP3 host names, each tried on the TLS port.
	for _, d := range []string{"imap.example.com:993", "mail.example.com:993", "example.com:993", "pop.example.com:995", "pop3.example.com:995", "mail.example.com:995", "example.com:995"} {
		if !slices.Contains(dials, d) {
			t.Errorf("did not try %s; dialled %q", d, dials)
		}
	}
	if got := logOf(res, SourceGuess); len(got) != 12 { // 7 TLS + 5 STARTTLS (not on the 2 that worked)
		t.Errorf("want 12 guess log entries%s", dump(res))
	}
	neverLoggedIn(t, imap, pop)
	if !slices.Contains(imap.seen(), "P1 CAPABILITY") || !slices.Contains(pop.seen(), "CAPA") {
		t.Errorf("capabilities not asked: %q %q", imap.seen(), pop.seen())
	}
}

// TestGuessSTARTTLS: when only 143/110 answer, STARTTLS qualifies if it is advertised, the
// upgrade works and the certificate is valid; the capabilities are asked again after TLS.
func TestGuessSTARTTLS(t *testing.T) {
	e := newEnv(t)
	imap := e.mail("mail.example.com", 143, mailConfig{protocol: ProtocolIMAP, starttls: true})
	pop := e.mail("mail.example.com", 110, mailConfig{protocol: ProtocolPOP3, starttls: true})
	res, err := e.discover("anna@example.com", e.options(SourceGuess))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	for _, c := range []Candidate{find(t, res, ProtocolIMAP, "mail.example.com", 143), find(t, res, ProtocolPOP3, "mail.example.com", 110)} {
		if c.Security != SecuritySTARTTLS || c.NeedsConfirmation {
			t.Errorf("candidate: %+v", c)
		}
	}
	// The probe does not wait for the LOGOUT / QUIT reply, so the server may still be reading.
	waitSeen(t, imap, "P1 CAPABILITY", "P2 STARTTLS", "P3 CAPABILITY", "P9 LOGOUT")
	waitSeen(t, pop, "CAPA", "STLS", "CAPA", "QUIT")
	// The IMAP capabilities shown are the ones from after TLS (no STARTTLS, no LOGINDISABLED).
	if c := find(t, res, ProtocolIMAP, "mail.example.com", 143); strings.Contains(c.Detail, "LOGINDISABLED") {
		t.Errorf("pre-TLS capabilities kept: %s", c.Detail)
	}
}

// TestGuessRefusals covers the downgrade cases of the security rules (discover.go) and
// servers that are not what they seem: none of them may become a candidate, and Discover reports ErrNotFound.
func TestGuessRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		port    int
		cfg     mailConfig
		wantLog string
	}{
		{"IMAP without STARTTLS", 143, mailConfig{protocol: ProtocolIMAP}, "no STARTTLS"},
		{"POP3 without STLS", 110, mailConfig{protocol: ProtocolPOP3}, "no STARTTLS"},
		{"IMAP STARTTLS injection", 143, mailConfig{protocol: ProtocolIMAP, starttls: true, inject: "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"}, "no STARTTLS"},
		{"POP3 STLS injection", 110, mailConfig{protocol: ProtocolPOP3, starttls: true, inject: "+OK\r\n"}, "no STARTTLS"},
		{"wrong certificate", 993, mailConfig{protocol: ProtocolIMAP, implicitTLS: true, certHosts: []string{"other.example.org"}}, "certificate"},
		{"wrong certificate after STARTTLS", 143, mailConfig{protocol: ProtocolIMAP, starttls: true, certHosts: []string{"other.example.org"}}, "certificate"},
		{"web server on 993", 993, mailConfig{protocol: ProtocolIMAP, implicitTLS: true, greeting: "HTTP/1.1 400 Bad Request"}, "not a mail server"},
		{"POP3 server on the IMAP port", 993, mailConfig{protocol: ProtocolIMAP, implicitTLS: true, greeting: "+OK POP3 ready"}, "not a mail server"},
		{"IMAP BYE", 993, mailConfig{protocol: ProtocolIMAP, implicitTLS: true, greeting: "* BYE too many connections"}, "not a mail server"},
		{"silent server", 993, mailConfig{protocol: ProtocolIMAP, implicitTLS: true, silent: true}, "no answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			host := "imap.example.com"
			if tc.cfg.protocol == ProtocolPOP3 {
				host = "pop.example.com"
			}
			m := e.mail(host, tc.port, tc.cfg)
			opts := e.options(SourceGuess)
			opts.ProbeTimeout = 500 * time.Millisecond
			start := time.Now()
			res, err := e.discover("anna@example.com", opts)
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v%s", err, dump(res))
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			var entry LogEntry
			for _, l := range logOf(res, SourceGuess) {
				if strings.HasPrefix(l.Target, host+":"+itoa(tc.port)) {
					entry = l
				}
			}
			if !strings.Contains(entry.Result, tc.wantLog) || entry.Err == "" {
				t.Errorf("log entry %+v, want %q%s", entry, tc.wantLog, dump(res))
			}
			neverLoggedIn(t, m)
		})
	}
}

// TestProbeNeverPlaintext: the probe itself refuses to run without TLS.
func TestProbeNeverPlaintext(t *testing.T) {
	e := newEnv(t)
	if _, err := probe(t.Context(), e.dialer, nil, ProtocolIMAP, "imap.example.com", 143, SecurityNone); err == nil {
		t.Fatal("plaintext probe ran")
	}
	if len(e.dialer.dials()) != 0 {
		t.Error("plaintext probe dialled")
	}
}

// TestGuessBoundedConcurrency: with MaxProbes 1, probes run one at a time and all finish.
func TestGuessBoundedConcurrency(t *testing.T) {
	e := newEnv(t)
	e.mail("example.com", 995, mailConfig{protocol: ProtocolPOP3, implicitTLS: true})
	opts := e.options(SourceGuess)
	opts.MaxProbes = 1
	res, err := e.discover("anna@example.com", opts)
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	find(t, res, ProtocolPOP3, "example.com", 995)
}

// waitSeen waits up to a second for m to have received exactly want.
func waitSeen(t *testing.T, m *mailServer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !slices.Equal(m.seen(), want) {
		if time.Now().After(deadline) {
			t.Errorf("commands %q, want %q", m.seen(), want)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
