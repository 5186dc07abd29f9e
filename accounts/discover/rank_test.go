package discover

import (
	"slices"
	"testing"
)

func cand(source, protocol, host string, port int, security string) found {
	return found{Candidate: Candidate{Source: source, Protocol: protocol, Host: host, Port: port, Security: security}}
}

// TestRankOrder pins the ranking rules: plaintext last, confirmation after no confirmation,
// autoconfig ≈ builtin > srv > mx > guess > http, TLS before STARTTLS within a tier.
func TestRankOrder(t *testing.T) {
	addr, _ := parseAddress("anna@example.com")
	curated := cand(SourceBuiltin, ProtocolIMAP, "imap.builtin.example", 993, SecurityTLS)
	curated.curated = true
	in := []found{
		cand(SourceGuess, ProtocolIMAP, "imap.example.com", 143, SecuritySTARTTLS),
		cand(SourceAutoconfigHTTP, ProtocolIMAP, "http.example.com", 993, SecurityTLS),
		cand(SourceAutoconfig, ProtocolPOP3, "plain.example.com", 110, SecurityNone),
		cand(SourceSRV, ProtocolIMAP, "other.example.net", 993, SecurityTLS), // another domain
		cand(SourceGuess, ProtocolIMAP, "imap.example.com", 993, SecurityTLS),
		cand(SourceMX, ProtocolIMAP, "imap.mxhost.example", 993, SecurityTLS),
		cand(SourceSRV, ProtocolIMAP, "srv.example.com", 993, SecurityTLS),
		cand(SourceAutoconfig, ProtocolIMAP, "ac.example.com", 143, SecuritySTARTTLS),
		curated,
		cand(SourceAutoconfig, ProtocolIMAP, "ac.example.com", 993, SecurityTLS),
		cand(SourceAutoconfigWellKnown, ProtocolPOP3, "wk.example.com", 995, SecurityTLS),
	}
	out, _ := rank(in, addr, []string{"mxhost.example"})
	var got []string
	for i, c := range out {
		if c.Rank != i+1 {
			t.Errorf("%s has rank %d at position %d", c.Host, c.Rank, i+1)
		}
		got = append(got, c.Host+":"+itoa(c.Port))
	}
	want := []string{
		"ac.example.com:993", "wk.example.com:995", "imap.builtin.example:993", // tier 0, TLS
		"ac.example.com:143",      // tier 0, STARTTLS
		"srv.example.com:993",     // SRV
		"imap.mxhost.example:993", // MX, in the MX provider's domain
		"imap.example.com:993",    // guess, TLS
		"imap.example.com:143",    // guess, STARTTLS
		"other.example.net:993",   // needs confirmation (other domain)
		"http.example.com:993",    // needs confirmation (HTTP)
		"plain.example.com:110",   // plaintext
	}
	if !slices.Equal(got, want) {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
}

func TestRankFlags(t *testing.T) {
	addr, _ := parseAddress("anna@mail.example.co.uk")
	for _, tc := range []struct {
		name    string
		f       found
		curated bool
		want    []string
	}{
		{"same registrable domain", cand(SourceSRV, ProtocolIMAP, "imap.example.co.uk", 993, SecurityTLS), false, nil},
		{"subdomain of the address domain", cand(SourceSRV, ProtocolIMAP, "a.mail.example.co.uk", 993, SecurityTLS), false, nil},
		{"public suffix is not a shared domain", cand(SourceSRV, ProtocolIMAP, "imap.attacker.co.uk", 993, SecurityTLS), false, []string{ReasonOtherDomain}},
		{"suffix lookalike", cand(SourceSRV, ProtocolIMAP, "imap.notexample.co.uk", 993, SecurityTLS), false, []string{ReasonOtherDomain}},
		{"MX provider", cand(SourceAutoconfig, ProtocolIMAP, "imap.hoster.example", 993, SecurityTLS), false, nil},
		{"built-in hosts are ours", cand(SourceBuiltin, ProtocolIMAP, "imap.gmail.com", 993, SecurityTLS), true, nil},
		{"http and other domain", cand(SourceAutoconfigHTTP, ProtocolIMAP, "mail.attacker.example", 993, SecurityTLS), false, []string{ReasonHTTP, ReasonOtherDomain}},
		{"plaintext even when curated", cand(SourceBuiltin, ProtocolPOP3, "pop.example.co.uk", 110, SecurityNone), true, []string{ReasonPlaintext}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.curated = tc.curated
			out, _ := rank([]found{tc.f}, addr, []string{"hoster.example"})
			c := out[0]
			if !slices.Equal(c.ConfirmCodes, tc.want) || c.NeedsConfirmation != (len(tc.want) > 0) || (c.ConfirmReason == "") != (len(tc.want) == 0) {
				t.Errorf("codes %q, needs %v, reason %q; want %q", c.ConfirmCodes, c.NeedsConfirmation, c.ConfirmReason, tc.want)
			}
		})
	}
}

// TestRankDedup: the same server from several sources is listed once, from the best source,
// with the others remembered.
func TestRankDedup(t *testing.T) {
	addr, _ := parseAddress("anna@example.com")
	b := cand(SourceBuiltin, ProtocolIMAP, "imap.example.com", 993, SecurityTLS)
	b.curated = true
	in := []found{
		cand(SourceGuess, ProtocolIMAP, "imap.example.com", 993, SecurityTLS),
		cand(SourceSRV, ProtocolIMAP, "imap.example.com", 993, SecurityTLS),
		b,
		cand(SourceSRV, ProtocolPOP3, "imap.example.com", 993, SecurityTLS), // other protocol: kept
		cand(SourceGuess, ProtocolIMAP, "imap.example.com", 993, SecurityTLS),
	}
	out, log := rank(in, addr, nil)
	if len(out) != 2 {
		t.Fatalf("got %d candidates: %+v", len(out), out)
	}
	if out[0].Source != SourceBuiltin || !slices.Equal(out[0].AlsoFoundBy, []string{SourceSRV, SourceGuess}) {
		t.Errorf("kept %+v", out[0])
	}
	if len(log) != 3 {
		t.Errorf("log: %+v", log)
	}
}

func TestBest(t *testing.T) {
	res := &Result{Candidates: []Candidate{
		{Protocol: ProtocolPOP3, Host: "plain.example.com", Security: SecurityNone, Rank: 1},
		{Protocol: ProtocolIMAP, Host: "imap.example.com", Security: SecurityTLS, Rank: 2},
		{Protocol: ProtocolPOP3, Host: "pop.example.com", Security: SecuritySTARTTLS, Rank: 3},
	}}
	if c, ok := res.Best(ProtocolPOP3); !ok || c.Host != "pop.example.com" {
		t.Errorf("Best(pop3) = %+v, %v", c, ok)
	}
	if c, ok := res.Best(ProtocolIMAP); !ok || c.Host != "imap.example.com" {
		t.Errorf("Best(imap) = %+v, %v", c, ok)
	}
	if _, ok := (&Result{}).Best(ProtocolIMAP); ok {
		t.Error("Best on an empty result")
	}
}
