package discover

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
)

func TestSRV(t *testing.T) {
	e := newEnv(t)
	e.dns.addSRV("_imaps._tcp.example.com", "imap2.example.com", 993, 10, 1)
	e.dns.addSRV("_imaps._tcp.example.com", "imap1.example.com", 993, 0, 5)
	e.dns.addSRV("_imaps._tcp.example.com", "imap3.example.com", 993, 10, 50)
	e.dns.addSRV("_imap._tcp.example.com", "mail.hoster.example", 143, 0, 0)
	e.dns.addSRV("_pop3s._tcp.example.com", ".", 0, 0, 0)
	res, err := e.discover("anna@example.com", e.options(SourceSRV))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	var order []string
	for _, c := range res.Candidates {
		order = append(order, c.Host+":"+itoa(c.Port))
	}
	// Priority first, then the heavier weight; TLS before STARTTLS; the STARTTLS target in
	// another domain needs confirmation and so comes last.
	want := []string{"imap1.example.com:993", "imap3.example.com:993", "imap2.example.com:993", "mail.hoster.example:143"}
	if !slices.Equal(order, want) {
		t.Errorf("order %q, want %q%s", order, want, dump(res))
	}
	other := find(t, res, ProtocolIMAP, "mail.hoster.example", 143)
	if other.Security != SecuritySTARTTLS || !other.NeedsConfirmation || other.Source != SourceSRV {
		t.Errorf("cross-domain SRV target: %+v", other)
	}
	if c := find(t, res, ProtocolIMAP, "imap1.example.com", 993); c.NeedsConfirmation || c.Username != "anna@example.com" {
		t.Errorf("in-domain SRV target: %+v", c)
	}
	results := map[string]string{}
	for _, l := range logOf(res, SourceSRV) {
		results[l.Target] = l.Result
	}
	if !strings.Contains(results["_pop3s._tcp.example.com"], "not offered") || results["_pop3._tcp.example.com"] != "no record" {
		t.Errorf("log: %q", results)
	}
	// Every name asked was absolute: no resolv.conf search domain was appended.
	for _, q := range e.dns.questions() {
		if !strings.HasSuffix(q, ".example.com.") {
			t.Errorf("asked %q", q)
		}
	}
}

// TestMXBuiltin: a custom domain whose MX belongs to a known provider gets that provider's
// built-in entry, without confirmation.
func TestMXBuiltin(t *testing.T) {
	for _, tc := range []struct {
		mx, provider, imapHost string
	}{
		{"mx00.emig.gmx.net", "GMX", "imap.gmx.net"},
		{"aspmx.l.google.com", "Gmail", "imap.gmail.com"},
		{"example-com.mail.protection.outlook.com", "Outlook.com / Microsoft 365", "outlook.office365.com"},
		{"mx00.ionos.de", "IONOS (1&1)", "imap.ionos.de"},
		{"smtpin.rzone.de", "STRATO", "imap.strato.de"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			e := newEnv(t)
			e.dns.addMX("example.com", tc.mx, 10)
			e.dns.addMX("example.com", "backup.example.com", 20)
			res, err := e.discover("anna@example.com", e.options(SourceMX))
			if err != nil {
				t.Fatalf("%v%s", err, dump(res))
			}
			c := find(t, res, ProtocolIMAP, tc.imapHost, 993)
			if c.Source != SourceMX || c.Provider != tc.provider || c.NeedsConfirmation || !strings.Contains(c.Detail, tc.mx) {
				t.Errorf("candidate: %+v", c)
			}
		})
	}
}

// TestMXAutoconfig: an unknown MX provider is asked for its own autoconfig document, without
// the address; its hosts are in the MX provider's domain and so need no confirmation, and
// the MX provider's domain also clears SRV targets there.
func TestMXAutoconfig(t *testing.T) {
	e := newEnv(t)
	e.dns.addMX("example.com", "mx1.hoster.example", 10)
	e.dns.addSRV("_imaps._tcp.example.com", "imap.hoster.example", 993, 0, 0)
	e.doc("autoconfig.hoster.example", configPath, docFor("imap.hoster.example", "pop.hoster.example", "SSL"))
	res, err := e.discover("anna@example.com", e.options(SourceMX, SourceSRV))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	pop := find(t, res, ProtocolPOP3, "pop.hoster.example", 995)
	if pop.Source != SourceMX || pop.NeedsConfirmation {
		t.Errorf("MX autoconfig candidate: %+v", pop)
	}
	imap := find(t, res, ProtocolIMAP, "imap.hoster.example", 993)
	if imap.Source != SourceSRV || imap.NeedsConfirmation || !slices.Equal(imap.AlsoFoundBy, []string{SourceMX}) {
		t.Errorf("SRV candidate in the MX provider's domain: %+v", imap)
	}
	for _, req := range e.web.seen() {
		if req.URL.RawQuery != "" {
			t.Errorf("address sent to the MX provider %s: %s", req.Host, req.URL)
		}
	}
	// Without the MX record the same SRV target is another domain.
	e2 := newEnv(t)
	e2.dns.addSRV("_imaps._tcp.example.com", "imap.hoster.example", 993, 0, 0)
	res, err = e2.discover("anna@example.com", e2.options(SourceMX, SourceSRV))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	if c := find(t, res, ProtocolIMAP, "imap.hoster.example", 993); !c.NeedsConfirmation {
		t.Errorf("SRV target without MX: %+v", c)
	}
}

func TestMXOwnAndNull(t *testing.T) {
	e := newEnv(t)
	e.dns.addMX("example.com", "mail.example.com", 10)
	e.dns.addMX("nomail.example", ".", 0)
	res, err := e.discover("anna@example.com", e.options(SourceMX))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(logOf(res, SourceMX)[0].Result, "own mail exchangers") {
		t.Errorf("own MX: err = %v%s", err, dump(res))
	}
	res, err = e.discover("anna@nomail.example", e.options(SourceMX))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(logOf(res, SourceMX)[0].Result, "null MX") {
		t.Errorf("null MX: err = %v%s", err, dump(res))
	}
	if len(e.web.seen()) != 0 {
		t.Errorf("autoconfig asked although the MX named no other provider")
	}
}

// TestDNSFailure: when DNS fails, ErrNotFound also says the network is the problem.
func TestDNSFailure(t *testing.T) {
	e := newEnv(t)
	e.dns.mu.Lock()
	e.dns.servfail = true
	e.dns.mu.Unlock()
	res, err := e.discover("anna@example.com", e.options(SourceSRV, SourceMX))
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, mailerr.ErrUnreachable) || !mailerr.IsTemporary(err) {
		t.Errorf("err = %v%s", err, dump(res))
	}
	if len(res.Log) != 5 {
		t.Errorf("want 5 log entries (4 SRV, 1 MX)%s", dump(res))
	}
	for _, l := range res.Log {
		if l.Err == "" {
			t.Errorf("entry without error: %+v", l)
		}
	}
}
