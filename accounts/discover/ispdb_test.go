package discover

import (
	"strings"
	"testing"
)

const ispdbBase = "https://ispdb.test/v1.1/"

// ispdbDoc is an ISPDB entry like hotmail.com.xml: servers outside the address's domain,
// OAuth2 only.
const ispdbDoc = `<?xml version="1.0"?><clientConfig version="1.1"><emailProvider id="big.example">
<domain>example.org</domain><displayName>Big Provider</displayName>
<incomingServer type="imap"><hostname>outlook.office365.com</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>OAuth2</authentication></incomingServer>
<incomingServer type="pop3"><hostname>outlook.office365.com</hostname><port>995</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>OAuth2</authentication></incomingServer>
</emailProvider></clientConfig>`

func ispdbOptions(e *env, sources ...string) *Options {
	o := e.options(sources...)
	o.ISPDBURL = ispdbBase
	return o
}

func TestISPDBSource(t *testing.T) {
	e := newEnv(t)
	e.doc("ispdb.test", "/v1.1/example.org", ispdbDoc)
	res, err := e.discover("anna@example.org", ispdbOptions(e, SourceISPDB))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	for _, proto := range []string{ProtocolIMAP, ProtocolPOP3} {
		c, ok := res.Best(proto)
		switch {
		case !ok:
			t.Fatalf("no %s candidate%s", proto, dump(res))
		case c.Source != SourceISPDB || c.Host != "outlook.office365.com" || c.Security != SecurityTLS:
			t.Errorf("%s candidate %+v", proto, c)
		case c.NeedsConfirmation:
			// Curated like the built-in table: hotmail.de → outlook.office365.com is normal.
			t.Errorf("%s candidate needs confirmation: %s", proto, c.ConfirmReason)
		case c.Authentication != AuthOAuth2 || c.OAuthProvider != "microsoft":
			t.Errorf("%s authentication %q via %q, want oauth2 via microsoft", proto, c.Authentication, c.OAuthProvider)
		}
	}
	reqs := e.web.seen()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	req := reqs[0]
	if req.TLS == nil || req.Host != "ispdb.test" || req.URL.Path != "/v1.1/example.org" || req.URL.RawQuery != "" {
		t.Errorf("request %s %s (TLS %v): want https, the domain only", req.Host, req.URL, req.TLS != nil)
	}
	if strings.Contains(req.URL.String(), "anna") {
		t.Errorf("the address went to the ISPDB: %s", req.URL)
	}
}

// TestISPDBNotAskedForKnownDomains: the built-in table answers; the ISPDB never learns
// which provider the user has.
func TestISPDBNotAskedForKnownDomains(t *testing.T) {
	e := newEnv(t)
	e.doc("ispdb.test", "/v1.1/gmx.de", ispdbDoc)
	res, err := e.discover("anna@gmx.de", ispdbOptions(e, SourceBuiltin, SourceISPDB))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	if n := len(e.web.seen()); n != 0 {
		t.Errorf("%d requests to the ISPDB", n)
	}
	if l := logOf(res, SourceISPDB); len(l) != 1 || !strings.Contains(l[0].Result, "not asked") {
		t.Errorf("log %+v", l)
	}
}

func TestISPDBUnknownDomain(t *testing.T) {
	e := newEnv(t)
	e.doc("ispdb.test", "/v1.1/other.example", ispdbDoc)
	res, err := e.discover("anna@example.org", ispdbOptions(e, SourceISPDB))
	if err == nil || len(res.Candidates) != 0 {
		t.Fatalf("err = %v%s", err, dump(res))
	}
	if l := logOf(res, SourceISPDB); len(l) != 1 || !strings.Contains(l[0].Err, "404") {
		t.Errorf("log %+v", l)
	}
}

func TestISPDBURLMustBeHTTPS(t *testing.T) {
	for _, u := range []string{"http://ispdb.test/v1.1/", "ispdb.test/v1.1/", "https:///v1.1/"} {
		if _, err := Discover(t.Context(), "anna@example.org", &Options{ISPDBURL: u, Sources: []string{SourceISPDB}}); err == nil {
			t.Errorf("ISPDB URL %q accepted", u)
		}
	}
}

// TestISPDBRank: the ISPDB ranks after the provider's own autoconfig and before SRV and
// MX, like a built-in entry.
func TestISPDBRank(t *testing.T) {
	e := newEnv(t)
	e.doc("autoconfig.example.org", configPath, docFor("imap.example.org", "pop.example.org", "SSL"))
	e.doc("ispdb.test", "/v1.1/example.org", ispdbDoc)
	e.dns.addSRV("_imaps._tcp.example.org", "mail.example.org", 993, 0, 0)
	opts := ispdbOptions(e, SourceAutoconfig, SourceISPDB, SourceSRV)
	opts.NoHTTPFallback = true
	res, err := e.discover("anna@example.org", opts)
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	var imap []string
	for _, c := range res.Candidates {
		if c.Protocol == ProtocolIMAP {
			imap = append(imap, c.Source)
		}
	}
	if strings.Join(imap, " ") != "autoconfig ispdb srv" {
		t.Errorf("IMAP sources in rank order: %v%s", imap, dump(res))
	}
}

func TestAuthentication(t *testing.T) {
	for _, tc := range []struct {
		methods []string
		want    string
	}{
		{nil, AuthPassword},
		{[]string{"password-cleartext"}, AuthPassword},
		{[]string{"OAuth2"}, AuthOAuth2},
		{[]string{"OAuth2", "password-cleartext"}, AuthPasswordOrOAuth2},
		{[]string{"password-encrypted", "oauth2"}, AuthPasswordOrOAuth2},
		{[]string{"NTLM"}, AuthPassword},
	} {
		if got := authentication(tc.methods); got != tc.want {
			t.Errorf("authentication(%q) = %q, want %q", tc.methods, got, tc.want)
		}
	}
}

// TestISPDBViaMX: a custom domain whose MX is a provider the built-in table does not know
// gets the provider's ISPDB entry; the ISPDB is asked for domains only, never the address.
func TestISPDBViaMX(t *testing.T) {
	e := newEnv(t)
	e.dns.addMX("example.com", "mx.zoho.example", 10)
	e.doc("ispdb.test", "/v1.1/zoho.example", strings.ReplaceAll(ispdbDoc, "outlook.office365.com", "imap.zoho.example"))
	res, err := e.discover("anna@example.com", ispdbOptions(e, SourceMX, SourceISPDB))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	c := find(t, res, ProtocolIMAP, "imap.zoho.example", 993)
	if c.Source != SourceMX || c.NeedsConfirmation || !strings.Contains(c.Detail, "MX mx.zoho.example") {
		t.Errorf("candidate %+v", c)
	}
	for _, req := range e.web.seen() {
		if req.Host == "ispdb.test" && (req.URL.RawQuery != "" || req.URL.Path != "/v1.1/zoho.example" && req.URL.Path != "/v1.1/example.com") {
			t.Errorf("ISPDB asked for %s", req.URL.Path)
		}
	}
}
