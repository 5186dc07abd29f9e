package discover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
)

// TestDiscoverAllSources asks every source for one domain and checks that each shows up in
// the log, that duplicates merge, and that the ranking follows the rules.
func TestDiscoverAllSources(t *testing.T) {
	e := newEnv(t)
	e.doc("autoconfig.example.com", configPath, docFor("imap.example.com", "pop.example.com", "SSL"))
	e.dns.addSRV("_imaps._tcp.example.com", "imap.example.com", 993, 0, 0)
	e.dns.addSRV("_pop3._tcp.example.com", "mail.example.com", 110, 0, 0)
	e.dns.addMX("example.com", "mx00.emig.gmx.net", 10)
	imap := e.mail("imap.example.com", 993, mailConfig{protocol: ProtocolIMAP, implicitTLS: true})
	pop := e.mail("mail.example.com", 110, mailConfig{protocol: ProtocolPOP3, starttls: true})

	res, err := e.discover("  anna@Example.COM ", e.options())
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	if res.Address != "anna@example.com" {
		t.Errorf("address %q", res.Address)
	}
	var got []string
	for _, c := range res.Candidates {
		got = append(got, c.Source+" "+c.Protocol+" "+c.Host+":"+itoa(c.Port))
	}
	want := []string{
		"autoconfig imap imap.example.com:993",
		"autoconfig pop3 pop.example.com:995",
		"srv pop3 mail.example.com:110",
		"mx imap imap.gmx.net:993",
		"mx pop3 pop.gmx.net:995",
	}
	if !slices.Equal(got, want) {
		t.Errorf("candidates:\n got %q\nwant %q%s", got, want, dump(res))
	}
	if c := res.Candidates[0]; !slices.Equal(c.AlsoFoundBy, []string{SourceSRV, SourceGuess}) {
		t.Errorf("first candidate also found by %q", c.AlsoFoundBy)
	}
	if c := find(t, res, ProtocolPOP3, "mail.example.com", 110); !slices.Equal(c.AlsoFoundBy, []string{SourceGuess}) {
		t.Errorf("SRV candidate also found by %q", c.AlsoFoundBy)
	}
	for _, source := range []string{SourceAutoconfig, SourceAutoconfigWellKnown, SourceBuiltin, SourceSRV, SourceMX, SourceGuess, SourceRank} {
		if len(logOf(res, source)) == 0 {
			t.Errorf("no log entry for %s%s", source, dump(res))
		}
	}
	if best, _ := res.Best(ProtocolPOP3); best.Host != "pop.example.com" {
		t.Errorf("Best(pop3) = %+v", best)
	}
	neverLoggedIn(t, imap, pop)

	// The JSON the CLI prints.
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"address":"anna@example.com"`, `"needs_confirmation":false`, `"duration_ms":`, `"source":"guess"`, `"rank":1`} {
		if !strings.Contains(string(out), key) {
			t.Errorf("JSON lacks %s: %s", key, out)
		}
	}
}

// TestDiscoverBuiltin: known providers are found with nothing on the network, with their
// notes, and alias domains served from another domain's host need no confirmation.
func TestDiscoverBuiltin(t *testing.T) {
	for _, tc := range []struct {
		address, imapHost, pop3Host, user, note string
	}{
		{"max@gmx.de", "imap.gmx.net", "pop.gmx.net", "max@gmx.de", "POP3 und IMAP"},
		{"max@web.de", "imap.web.de", "pop3.web.de", "max@web.de", "POP3/IMAP Abruf"},
		{"max@t-online.de", "secureimap.t-online.de", "securepop.t-online.de", "max@t-online.de", "E-Mail-Passwort"},
		{"max@googlemail.com", "imap.gmail.com", "pop.gmail.com", "max@googlemail.com", "app password"},
		{"max@hotmail.com", "outlook.office365.com", "outlook.office365.com", "max@hotmail.com", "OAuth2"},
		{"max@yahoo.de", "imap.mail.yahoo.com", "pop.mail.yahoo.com", "max@yahoo.de", "app password"},
		{"max@me.com", "imap.mail.me.com", "", "max", "app-specific password"},
		{"max@posteo.at", "posteo.de", "posteo.de", "max@posteo.at", ""},
		{"max@freenet.de", "mx.freenet.de", "mx.freenet.de", "max@freenet.de", ""},
	} {
		t.Run(tc.address, func(t *testing.T) {
			e := newEnv(t)
			res, err := e.discover(tc.address, e.options(SourceBuiltin))
			if err != nil {
				t.Fatalf("%v%s", err, dump(res))
			}
			c, ok := res.Best(ProtocolIMAP)
			if !ok || c.Host != tc.imapHost || c.Port != 993 || c.Security != SecurityTLS || c.NeedsConfirmation || c.Username != tc.user {
				t.Errorf("Best(imap) = %+v", c)
			}
			if tc.note != "" && !strings.Contains(fmt.Sprint(c.Notes), tc.note) {
				t.Errorf("notes %q lack %q", c.Notes, tc.note)
			}
			p, ok := res.Best(ProtocolPOP3)
			if tc.pop3Host == "" {
				if ok {
					t.Errorf("POP3 offered: %+v", p)
				}
				return
			}
			if !ok || p.Host != tc.pop3Host || p.Port != 995 || p.NeedsConfirmation {
				t.Errorf("Best(pop3) = %+v", p)
			}
		})
	}
}

// TestBuiltinTable checks the table itself: valid hosts, TLS only, no domain or MX domain
// claimed twice, every provider reachable.
func TestBuiltinTable(t *testing.T) {
	domains, mx := map[string]string{}, map[string]string{}
	for _, p := range providers {
		if len(p.Domains)+len(p.MXDomains) == 0 || len(p.Servers) == 0 {
			t.Errorf("%s: unreachable or empty", p.Name)
		}
		for _, d := range p.Domains {
			if other, dup := domains[d]; dup {
				t.Errorf("domain %s in %s and %s", d, other, p.Name)
			}
			domains[d] = p.Name
		}
		for _, d := range p.MXDomains {
			if other, dup := mx[d]; dup {
				t.Errorf("MX domain %s in %s and %s", d, other, p.Name)
			}
			if registrableDomain(d) != d {
				t.Errorf("%s: MX domain %s is not a registrable domain", p.Name, d)
			}
			mx[d] = p.Name
		}
		for _, s := range p.Servers {
			if !accounts.ValidHostname(s.Host) || s.Security != SecurityTLS || (s.Port != 993 && s.Port != 995) {
				t.Errorf("%s: server %+v", p.Name, s)
			}
			if checkPlaceholders(s.Username) != nil {
				t.Errorf("%s: username %q", p.Name, s.Username)
			}
		}
	}
}

func TestDiscoverInvalidAddress(t *testing.T) {
	for _, a := range []string{"", "anna", "@example.com", "anna@", "anna@localhost", "anna@192.0.2.1",
		"an na@example.com", "Anna <anna@example.com>", "anna@exa mple.com", "anna@example..com",
		"anna@-example.com", strings.Repeat("a", 65) + "@example.com", "anna@" + strings.Repeat("a", 64) + ".com",
		"anna@ex_ample.com", "anna\n@example.com"} {
		res, err := Discover(context.Background(), a, &Options{Sources: []string{SourceBuiltin}})
		if !errors.Is(err, ErrInvalidAddress) || res != nil {
			t.Errorf("%q: err = %v", a, err)
		}
	}
	if _, err := Discover(context.Background(), "anna@gmx.de", &Options{Sources: []string{"ldap"}}); err == nil {
		t.Error("unknown source accepted")
	}
}

func TestDiscoverIDNA(t *testing.T) {
	e := newEnv(t)
	e.doc("autoconfig.xn--mller-kva.example", configPath, docFor("imap.%EMAILDOMAIN%", "pop.%EMAILDOMAIN%", "SSL"))
	res, err := e.discover("Jörg@Müller.example", e.options(SourceAutoconfig))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	if res.Address != "Jörg@xn--mller-kva.example" {
		t.Errorf("address %q", res.Address)
	}
	c := find(t, res, ProtocolIMAP, "imap.xn--mller-kva.example", 993)
	if c.NeedsConfirmation || c.Username != "Jörg@xn--mller-kva.example" {
		t.Errorf("candidate %+v", c)
	}
}

// TestDiscoverOffline: with nothing reachable, ErrNotFound says the network is the problem,
// and the result still carries the log.
func TestDiscoverOffline(t *testing.T) {
	e := newEnv(t)
	opts := e.options(SourceAutoconfig, SourceGuess)
	opts.NoHTTPFallback = true
	res, err := e.discover("anna@example.com", opts)
	if !errors.Is(err, ErrNotFound) || res == nil || len(res.Log) == 0 {
		t.Fatalf("err = %v%s", err, dump(res))
	}
	if !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("err = %v, want it to say unreachable", err)
	}
}

func TestDiscoverContextCanceled(t *testing.T) {
	e := newEnv(t)
	e.mail("imap.example.com", 993, mailConfig{protocol: ProtocolIMAP, implicitTLS: true, silent: true})
	opts := e.options(SourceGuess)
	opts.ProbeTimeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Discover(ctx, "anna@example.com", opts)
	if !errors.Is(err, context.DeadlineExceeded) || res == nil {
		t.Errorf("err = %v%s", err, dump(res))
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v after the context ended", time.Since(start))
	}
}

// panicResolver trips the panic handler of the sources that use DNS.
type panicResolver struct{}

func (panicResolver) LookupSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	panic("resolver bug")
}

func (panicResolver) LookupMX(context.Context, string) ([]*net.MX, error) { panic("resolver bug") }

func TestDiscoverSurvivesPanics(t *testing.T) {
	res, err := Discover(context.Background(), "anna@gmx.de", &Options{
		Resolver: panicResolver{}, Sources: []string{SourceBuiltin, SourceSRV, SourceMX},
	})
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	if len(res.Candidates) == 0 || len(logOf(res, SourceSRV)) != 4 || !strings.Contains(logOf(res, SourceMX)[0].Err, "panic") {
		t.Errorf("result%s", dump(res))
	}
}
