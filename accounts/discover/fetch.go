package discover

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
)

// maxRedirects bounds the redirects followed for one autoconfig URL; providers use one at
// most (autoconfig.example.com → a shared config host).
const maxRedirects = 3

// userAgent names Postfach to providers' servers, without a version that would help
// fingerprinting.
const userAgent = "Postfach-discover"

var errRedirect = errors.New("redirect refused")

// autoconfigSource asks the address's domain for its autoconfig document: both HTTPS URLs at
// once, then plain HTTP only if neither produced one.
func (r *run) autoconfigSource(ctx context.Context) {
	d := r.addr.domain
	first := "https://autoconfig." + d + "/mail/config-v1.1.xml"
	if !r.s.omitAddress {
		// The address goes to the domain's own autoconfig host only: it may answer per user.
		first += "?emailaddress=" + url.QueryEscape(r.addr.full)
	}
	got := r.fetchAll(ctx, []fetchJob{
		{source: SourceAutoconfig, url: first},
		{source: SourceAutoconfigWellKnown, url: "https://" + d + "/.well-known/autoconfig/mail/config-v1.1.xml"},
	})
	if got || r.s.noHTTPFallback {
		return
	}
	// Anyone on the network can change a plain-HTTP answer, so its results are flagged
	// (ReasonHTTP) and ranked last; the address is not sent over it.
	r.fetchAll(ctx, []fetchJob{{source: SourceAutoconfigHTTP, url: "http://autoconfig." + d + "/mail/config-v1.1.xml"}})
}

// fetchJob is one autoconfig URL to fetch; candidates from it get source and, when set,
// detail as a prefix (the MX source says which MX host led to it).
type fetchJob struct {
	source, url, via string
}

// fetchAll fetches the jobs in parallel and adds their candidates. It reports whether any
// produced a candidate.
func (r *run) fetchAll(ctx context.Context, jobs []fetchJob) bool {
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := false
	for _, j := range jobs {
		r.goSafe(&wg, j.source, func() {
			if r.fetchOne(ctx, j) {
				mu.Lock()
				got = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return got
}

// fetchOne fetches, parses and converts one document, and logs what happened.
func (r *run) fetchOne(ctx context.Context, j fetchJob) bool {
	ctx, cancel := context.WithTimeout(ctx, r.s.timeout)
	defer cancel()
	start := time.Now()
	doc, err := fetchAutoconfig(ctx, r.s.client, j.url)
	took := time.Since(start)
	if err != nil {
		r.addLog(failed(j.source, j.url, took, "no document", err))
		return false
	}
	detail := j.url
	if j.via != "" {
		detail = j.via + ": " + j.url
	}
	fs, problems := doc.candidates(r.addr, j.source, detail)
	r.add(fs...)
	result := fmt.Sprintf("%s: %s", plural(len(fs), "server"), describe(fs))
	if w := append(doc.Warnings, problems...); len(w) > 0 {
		result += "; " + strings.Join(w, "; ")
	}
	r.addLog(LogEntry{Source: j.source, Target: j.url, Duration: took, Result: result})
	return len(fs) > 0
}

// fetchAutoconfig GETs one document. The status must be 200; the Content-Type is ignored
// (providers send text/plain, text/html, application/xml alike) since the parser decides.
func fetchAutoconfig(ctx context.Context, client *http.Client, target string) (*autoconfig, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/xml, text/xml")
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, mailerr.Classify(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusProxyAuthRequired:
		// Rule 27: a discovery endpoint that asks for credentials gets none.
		return nil, fmt.Errorf("HTTP %s: the server asked for a password; discovery never sends one", resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	doc, err := parseAutoconfig(resp.Body)
	if err != nil {
		return nil, mailerr.Classify(err)
	}
	return doc, nil
}

// newHTTPClient returns the client for autoconfig requests: base (shallow-copied) or a
// direct one that dials with d and verifies with trust.Config, either way with Postfach's
// redirect rule and without cookies.
func newHTTPClient(base *http.Client, d Dialer, tlsOpts *trust.Options) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	} else {
		c.Transport = &http.Transport{
			Proxy:       nil, // direct, like the probes; a proxy would see the address
			DialContext: d.DialContext,
			DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				conn, err := d.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				tc := tls.Client(conn, trust.Config(host, tlsOpts))
				if err := tc.HandshakeContext(ctx); err != nil {
					conn.Close()
					return nil, err
				}
				return tc, nil
			},
			DisableKeepAlives:      true, // each URL is asked once per Discover
			MaxResponseHeaderBytes: 64 << 10,
		}
	}
	c.Jar = nil
	c.CheckRedirect = checkRedirect
	return &c
}

// checkRedirect follows at most maxRedirects redirects, and only to https: a redirect to
// plain HTTP would let anyone on the network answer in the provider's name.
//
// The address goes to the domain's own autoconfig host only (autoconfigSource), so no
// redirect carries it further: Go's client copies the first request's headers and adds a
// Referer holding the whole previous URL, ?emailaddress= included, so only the two fixed
// headers of fetchAutoconfig go on; a query parameter holding the address is dropped on the
// way to another host, and a redirect that would still put it in the URL there, or any
// user info (Go would send it as Basic credentials), is refused.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", errRedirect, maxRedirects)
	}
	if req.URL.Scheme != "https" {
		return fmt.Errorf("%w: to %s, which is not https", errRedirect, req.URL.Redacted())
	}
	if req.URL.User != nil || req.URL.Host == "" {
		return fmt.Errorf("%w: to %s, which has user info or no host", errRedirect, req.URL.Redacted())
	}
	for k := range req.Header {
		if k != "Accept" && k != "User-Agent" {
			delete(req.Header, k)
		}
	}
	first := via[0].URL
	addr := first.Query().Get("emailaddress")
	if addr == "" || strings.EqualFold(req.URL.Hostname(), first.Hostname()) {
		return nil
	}
	return dropAddress(req.URL, addr)
}

// dropAddress removes from u's query every parameter that holds addr, and refuses
// (errRedirect) if addr is still anywhere in what would be sent: the host (a DNS name
// and the Host header), the path or the query.
func dropAddress(u *url.URL, addr string) error {
	q := u.Query()
	n := len(q)
	for k, vs := range q {
		if holdsAddress(k, addr) || slices.ContainsFunc(vs, func(v string) bool { return holdsAddress(v, addr) }) {
			delete(q, k)
		}
	}
	if len(q) < n {
		u.RawQuery = q.Encode()
	}
	if holdsAddress(u.RequestURI(), addr) || holdsAddress(u.Host, addr) {
		return fmt.Errorf("%w: to %s, which would receive the address", errRedirect, u.Host)
	}
	return nil
}

// holdsAddress reports whether s holds addr, ignoring case, as it is or %-escaped once or
// more (a server decodes what it receives, perhaps repeatedly). Each decoding step is also
// searched for the address's own escaped forms: decoding can hide them — in "%0Anna%40…"
// the a of anna belongs to an escape — while the raw text still shows them to anyone
// who reads it.
func holdsAddress(s, addr string) bool {
	forms := []string{strings.ToLower(addr), strings.ToLower(url.QueryEscape(addr)), strings.ToLower(url.PathEscape(addr))}
	for range 4 {
		low := strings.ToLower(s)
		if slices.ContainsFunc(forms, func(f string) bool { return strings.Contains(low, f) }) {
			return true
		}
		u := unescapeLenient(s)
		if u == s {
			return false
		}
		s = u
	}
	return false
}

// unescapeLenient decodes every valid %XX in s and keeps the rest as it is, so that one
// bad escape cannot hide an address behind it (url.PathUnescape would give up).
func unescapeLenient(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if c, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(c))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// describe lists candidates briefly for the log: "imap imap.example.com:993 tls, …".
func describe(fs []found) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%s %s:%d %s", f.Protocol, f.Host, f.Port, f.Security)
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
