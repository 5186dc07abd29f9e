package discover

import (
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/trust"
)

const configPath = "/mail/config-v1.1.xml"
const wellKnownPath = "/.well-known/autoconfig/mail/config-v1.1.xml"

// docFor returns a document with one IMAP and one POP3 server on the given hosts.
func docFor(imapHost, pop3Host, socketType string) string {
	port := map[string][2]string{"SSL": {"993", "995"}, "STARTTLS": {"143", "110"}, "plain": {"143", "110"}}[socketType]
	return `<?xml version="1.0"?><clientConfig version="1.1"><emailProvider id="test">
<displayName>Test Provider</displayName>
<incomingServer type="imap"><hostname>` + imapHost + `</hostname><port>` + port[0] + `</port><socketType>` + socketType + `</socketType><username>%EMAILADDRESS%</username></incomingServer>
<incomingServer type="pop3"><hostname>` + pop3Host + `</hostname><port>` + port[1] + `</port><socketType>` + socketType + `</socketType><username>%EMAILLOCALPART%</username></incomingServer>
</emailProvider></clientConfig>`
}

func TestAutoconfigHTTPS(t *testing.T) {
	e := newEnv(t)
	e.doc("autoconfig.example.com", configPath, docFor("imap.example.com", "pop.example.com", "SSL"))
	res, err := e.discover("anna@example.com", e.options(SourceAutoconfig))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	imap := find(t, res, ProtocolIMAP, "imap.example.com", 993)
	pop := find(t, res, ProtocolPOP3, "pop.example.com", 995)
	if imap.Source != SourceAutoconfig || imap.NeedsConfirmation || imap.Security != SecurityTLS || imap.Username != "anna@example.com" {
		t.Errorf("imap candidate: %+v", imap)
	}
	if pop.Username != "anna" || pop.Provider != "Test Provider" {
		t.Errorf("pop3 candidate: %+v", pop)
	}
	if best, ok := res.Best(ProtocolIMAP); !ok || best.Host != "imap.example.com" {
		t.Errorf("Best(imap) = %+v, %v", best, ok)
	}
	// The address went to autoconfig.<domain> only; .well-known was asked without it (and
	// answered 404); plain HTTP was not asked because HTTPS answered.
	for _, req := range e.web.seen() {
		hasAddr := strings.Contains(req.URL.RawQuery, "anna")
		switch {
		case req.Host == "autoconfig.example.com" && req.TLS != nil:
			if req.URL.Query().Get("emailaddress") != "anna@example.com" {
				t.Errorf("autoconfig request %s lacks the address", req.URL)
			}
		case req.TLS == nil:
			t.Errorf("plain HTTP request %s although HTTPS answered", req.URL)
		case hasAddr:
			t.Errorf("address sent to %s%s", req.Host, req.URL)
		}
		if req.Header.Get("Authorization") != "" || req.Header.Get("Cookie") != "" {
			t.Errorf("credentials sent to %s", req.Host)
		}
	}
	if got := logOf(res, SourceAutoconfigWellKnown); len(got) != 1 || got[0].Err == "" {
		t.Errorf("well-known log: %+v", got)
	}
	if got := logOf(res, SourceAutoconfigHTTP); len(got) != 0 {
		t.Errorf("plain HTTP asked: %+v", got)
	}
}

func TestAutoconfigWellKnownAndOmitAddress(t *testing.T) {
	e := newEnv(t)
	e.doc("example.com", wellKnownPath, docFor("imap.example.com", "pop.example.com", "SSL"))
	e.doc("autoconfig.example.com", "/other", "unused") // routes the host; its config path is 404
	opts := e.options(SourceAutoconfig)
	opts.OmitAddress = true
	res, err := e.discover("anna@example.com", opts)
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	if c := find(t, res, ProtocolIMAP, "imap.example.com", 993); c.Source != SourceAutoconfigWellKnown || c.NeedsConfirmation {
		t.Errorf("candidate: %+v", c)
	}
	for _, req := range e.web.seen() {
		if req.URL.RawQuery != "" {
			t.Errorf("query %q sent to %s with OmitAddress", req.URL.RawQuery, req.Host)
		}
	}
}

// TestAutoconfigHTTPFallback: plain HTTP is asked last, without the address, and whatever it
// says needs confirmation and ranks after everything else.
func TestAutoconfigHTTPFallback(t *testing.T) {
	e := newEnv(t)
	e.httpDoc("autoconfig.example.com", configPath, docFor("imap.example.com", "pop.example.com", "SSL"))
	res, err := e.discover("anna@example.com", e.options(SourceAutoconfig))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	c := find(t, res, ProtocolIMAP, "imap.example.com", 993)
	if c.Source != SourceAutoconfigHTTP || !c.NeedsConfirmation || !slices.Equal(c.ConfirmCodes, []string{ReasonHTTP}) {
		t.Errorf("candidate: %+v", c)
	}
	for _, req := range e.web.seen() {
		if req.URL.RawQuery != "" {
			t.Errorf("query %q sent over plain HTTP", req.URL.RawQuery)
		}
	}

	opts := e.options(SourceAutoconfig)
	opts.NoHTTPFallback = true
	if res, err := e.discover("anna@example.com", opts); !errors.Is(err, ErrNotFound) {
		t.Errorf("NoHTTPFallback: err = %v%s", err, dump(res))
	}
}

func TestAutoconfigRedirects(t *testing.T) {
	e := newEnv(t)
	good := docFor("imap.example.com", "pop.example.com", "SSL")
	redirect := func(to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) }
	}
	e.doc("config.example.com", "/final.xml", good)
	e.handle("autoconfig.example.com", configPath, redirect("https://config.example.com/final.xml"))
	res, err := e.discover("anna@example.com", e.options(SourceAutoconfig))
	if err != nil {
		t.Fatalf("https redirect not followed: %v%s", err, dump(res))
	}
	find(t, res, ProtocolIMAP, "imap.example.com", 993)

	// A redirect to plain HTTP is refused (and the plain-HTTP fallback is a different,
	// flagged source, switched off here).
	e.httpDoc("config.example.com", "/final.xml", good)
	e.handle("autoconfig.example.com", configPath, redirect("http://config.example.com/final.xml"))
	opts := e.options(SourceAutoconfig)
	opts.NoHTTPFallback = true
	res, err = e.discover("anna@example.com", opts)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(logOf(res, SourceAutoconfig)[0].Err, "not https") {
		t.Errorf("redirect to http: err = %v%s", err, dump(res))
	}

	// A redirect loop ends after a few hops.
	e.handle("autoconfig.example.com", configPath, redirect("https://autoconfig.example.com"+configPath))
	res, err = e.discover("anna@example.com", opts)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(logOf(res, SourceAutoconfig)[0].Err, "redirects") {
		t.Errorf("redirect loop: err = %v%s", err, dump(res))
	}
}

// TestAutoconfigCrossDomain: a document naming a host outside the domain
// (mail.attacker.example) is kept, but needs confirmation and ranks after same-domain hosts.
func TestAutoconfigCrossDomain(t *testing.T) {
	e := newEnv(t)
	e.doc("autoconfig.example.com", configPath, docFor("mail.attacker.example", "pop.example.com", "SSL"))
	res, err := e.discover("anna@example.com", e.options(SourceAutoconfig))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	c := find(t, res, ProtocolIMAP, "mail.attacker.example", 993)
	if !c.NeedsConfirmation || !slices.Equal(c.ConfirmCodes, []string{ReasonOtherDomain}) || !strings.Contains(c.ConfirmReason, "mail.attacker.example") {
		t.Errorf("cross-domain candidate: %+v", c)
	}
	if p := find(t, res, ProtocolPOP3, "pop.example.com", 995); p.NeedsConfirmation || p.Rank != 1 {
		t.Errorf("same-domain candidate: %+v", p)
	}
	// Best may still offer it, flagged, when it is the only IMAP server found.
	if best, ok := res.Best(ProtocolIMAP); !ok || !best.NeedsConfirmation {
		t.Errorf("Best(imap) = %+v, %v", best, ok)
	}
}

// TestAutoconfigPlaintextNeverChosen: socketType plain is shown, flagged and ranked last, and
// Best never returns it.
func TestAutoconfigPlaintextNeverChosen(t *testing.T) {
	e := newEnv(t)
	data, err := os.ReadFile("testdata/autoconfig/plain-socket.xml")
	if err != nil {
		t.Fatal(err)
	}
	e.doc("autoconfig.legacy.example", configPath, string(data))
	res, err := e.discover("anna@legacy.example", e.options(SourceAutoconfig))
	if err != nil {
		t.Fatalf("%v%s", err, dump(res))
	}
	plain := find(t, res, ProtocolPOP3, "pop.legacy.example", 110)
	if plain.Security != SecurityNone || !plain.NeedsConfirmation || !slices.Contains(plain.ConfirmCodes, ReasonPlaintext) || plain.Rank != len(res.Candidates) {
		t.Errorf("plaintext candidate: %+v", plain)
	}
	if c, ok := res.Best(ProtocolPOP3); ok {
		t.Errorf("Best(pop3) chose %+v", c)
	}
	if c, ok := res.Best(ProtocolIMAP); !ok || c.Security != SecuritySTARTTLS {
		t.Errorf("Best(imap) = %+v, %v", c, ok)
	}
}

func TestAutoconfigHostileServers(t *testing.T) {
	e := newEnv(t)
	opts := e.options(SourceAutoconfig)
	opts.NoHTTPFallback = true

	t.Run("basic auth", func(t *testing.T) {
		e.handle("autoconfig.auth.example", configPath, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				t.Errorf("credentials sent: %q", r.Header.Get("Authorization"))
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="mail"`)
			w.WriteHeader(http.StatusUnauthorized)
		})
		res, err := e.discover("anna@auth.example", opts)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(logOf(res, SourceAutoconfig)[0].Err, "never sends one") {
			t.Errorf("err = %v%s", err, dump(res))
		}
	})
	t.Run("endless body", func(t *testing.T) {
		e.handle("autoconfig.huge.example", configPath, func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<clientConfig>"))
			chunk := []byte(strings.Repeat("<!-- padding -->", 4096))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})
		start := time.Now()
		res, err := e.discover("anna@huge.example", opts)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(logOf(res, SourceAutoconfig)[0].Err, "larger than 1 MiB") {
			t.Errorf("err = %v%s", err, dump(res))
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("took %v", time.Since(start))
		}
	})
	t.Run("entity expansion", func(t *testing.T) {
		data, err := os.ReadFile("testdata/autoconfig/billion-laughs.xml")
		if err != nil {
			t.Fatal(err)
		}
		e.doc("autoconfig.lol.example", configPath, string(data))
		res, err := e.discover("anna@lol.example", opts)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(logOf(res, SourceAutoconfig)[0].Err, "DOCTYPE") {
			t.Errorf("err = %v%s", err, dump(res))
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		e.doc("autoconfig.example.net", configPath, docFor("imap.example.net", "pop.example.net", "SSL"))
		other := *opts
		other.TLS = &trust.Options{Roots: newTestCA(t).pool}
		res, err := e.discover("anna@example.net", &other)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(logOf(res, SourceAutoconfig)[0].Err, "not trusted") {
			t.Errorf("err = %v%s", err, dump(res))
		}
	})
	t.Run("slow server", func(t *testing.T) {
		e.handle("autoconfig.slow.example", configPath, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		})
		slow := *opts
		slow.Timeout = 300 * time.Millisecond
		start := time.Now()
		res, err := e.discover("anna@slow.example", &slow)
		if !errors.Is(err, ErrNotFound) || time.Since(start) > 3*time.Second {
			t.Errorf("err = %v after %v%s", err, time.Since(start), dump(res))
		}
	})
}
