// Package discover finds the incoming mail server settings (IMAP and POP3) for an e-mail
// address, as a mail program's set-up wizard does, from more sources than Thunderbird, and
// keeps a log of every source it asked so the user can see where the settings came from.
//
// Sources, asked in parallel, each with its own timeout and all bounded by the caller's
// context:
//
//  1. the provider's autoconfig document (the Mozilla ISPDB clientConfig XML) over HTTPS from
//     autoconfig.<domain> and <domain>/.well-known/, plain HTTP only as a flagged last resort;
//  2. Postfach's built-in entries for the largest German-speaking and international providers;
//  3. Thunderbird's ISPDB (https://autoconfig.thunderbird.net/v1.1/<domain>), asked with the
//     domain only and only when the built-in table does not know it;
//  4. RFC 6186 SRV records (_imaps, _imap, _pop3s, _pop3);
//  5. the MX record: the registrable domain of the mail exchanger names the provider, whose
//     built-in entry, autoconfig document or ISPDB entry is then used;
//  6. guessing imap., pop., pop3., mail. and the bare domain: implicit TLS (993/995) first,
//     then STARTTLS (143/110), probing with CAPABILITY / CAPA and verifying the certificate.
//
// The security rules against discovery abuse (RFC 8314):
// discovery never sends a password anywhere; the address goes only to the provider's own
// autoconfig URL (and not even there with Options.OmitAddress); plaintext is never chosen by
// Result.Best; a result that came over plain HTTP, or that names a host outside the address's
// domain and its MX provider's domain, carries NeedsConfirmation, because anyone who can tamper
// with unauthenticated HTTP or DNS could otherwise steer the password to their own server.
package discover

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/postfach/postfach/accounts/trust"
)

// Protocols, spelled as the accounts package spells them.
const (
	ProtocolIMAP = "imap"
	ProtocolPOP3 = "pop3"
)

// Security levels of a candidate, spelled as the accounts package spells them.
const (
	// SecurityTLS is implicit TLS from the first byte (993, 995), preferred by RFC 8314.
	SecurityTLS = "tls"
	// SecuritySTARTTLS is a plain connection upgraded with STARTTLS / STLS, which the account
	// must then enforce (never fall back to plaintext if the server stops offering it).
	SecuritySTARTTLS = "starttls"
	// SecurityNone is an unencrypted connection. Discovery only reports it when a provider's
	// document offers nothing else, always with NeedsConfirmation, and never selects it.
	SecurityNone = "none"
)

// Source names, as they appear in Candidate.Source and LogEntry.Source.
const (
	SourceAutoconfig          = "autoconfig"           // https://autoconfig.<domain>/mail/config-v1.1.xml
	SourceAutoconfigWellKnown = "autoconfig-wellknown" // https://<domain>/.well-known/autoconfig/…
	SourceAutoconfigHTTP      = "autoconfig-http"      // http://autoconfig.<domain>/…, flagged
	SourceBuiltin             = "builtin"              // Postfach's own provider table
	SourceISPDB               = "ispdb"                // Thunderbird's ISPDB, by domain
	SourceSRV                 = "srv"                  // RFC 6186 SRV records
	SourceMX                  = "mx"                   // built-in entry or autoconfig of the MX provider
	SourceGuess               = "guess"                // probed host names
	// SourceRank is used only in the log, for candidates several sources found.
	SourceRank = "rank"
)

// Defaults for the zero Options.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultProbeTimeout = 4 * time.Second
	DefaultMaxProbes    = 8
	// DefaultISPDBURL is Thunderbird's ISPDB service; the domain is appended.
	DefaultISPDBURL = "https://autoconfig.thunderbird.net/v1.1/"
)

// Errors Discover returns; match them with errors.Is.
var (
	// ErrInvalidAddress means the text is not an e-mail address Postfach can look up.
	ErrInvalidAddress = errors.New("invalid e-mail address")
	// ErrNotFound means no source produced a candidate. The Result (and its log) is still
	// returned. When every network source failed with a temporary error, the error also
	// matches mailerr.ErrUnreachable or mailerr.ErrTimeout: the user is probably offline.
	ErrNotFound = errors.New("no server settings found")
)

// Resolver answers the DNS questions discovery asks. *net.Resolver implements it; tests pass
// one that talks to a DNS server on 127.0.0.1.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

// Dialer opens TCP connections for probes and, unless Options.HTTPClient is set, for the
// autoconfig requests. *net.Dialer implements it; tests map host names to 127.0.0.1 with it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options tunes Discover. A nil *Options is equivalent to a zero Options value, which is what
// the wizard and the CLI use.
type Options struct {
	// HTTPClient fetches autoconfig documents. Its redirect policy is replaced by Postfach's
	// (https only, at most three) and its cookie jar is not used. Nil means a client that dials
	// with Dialer, verifies with TLS and uses no proxy.
	HTTPClient *http.Client
	// Resolver looks up SRV and MX records. Nil means net.DefaultResolver.
	Resolver Resolver
	// Dialer opens connections for probes (and the default HTTP client). Nil means a
	// *net.Dialer.
	Dialer Dialer
	// TLS says which certificates to trust, for probes and the default HTTP client. Nil means
	// the system roots. It applies to every host discovery contacts, so a PinnedSHA256 in it
	// only makes sense in tests.
	TLS *trust.Options
	// Timeout bounds each source (each autoconfig request, the DNS lookups, the guessing as a
	// whole). Zero means DefaultTimeout.
	Timeout time.Duration
	// ProbeTimeout bounds each connection made while guessing. Zero means DefaultProbeTimeout.
	ProbeTimeout time.Duration
	// MaxProbes bounds how many probe connections are open at once. Zero means
	// DefaultMaxProbes.
	MaxProbes int
	// Sources restricts discovery to the named sources: "autoconfig" (all three autoconfig
	// URLs), "builtin", "ispdb", "srv", "mx", "guess". Nil means all of them.
	Sources []string
	// OmitAddress keeps the address out of the autoconfig.<domain> request (Thunderbird sends
	// it, so that providers can answer per user; some users prefer not to).
	OmitAddress bool
	// NoHTTPFallback skips the plain-HTTP autoconfig request that is otherwise tried when
	// neither HTTPS URL produced a document.
	NoHTTPFallback bool
	// ISPDBURL is the base URL of Thunderbird's ISPDB; the domain is appended. It must be
	// https. Empty means DefaultISPDBURL; tests point it at a local server.
	ISPDBURL string
}

// sourceGroups are the names Options.Sources accepts.
var sourceGroups = []string{SourceAutoconfig, SourceBuiltin, SourceISPDB, SourceSRV, SourceMX, SourceGuess}

// Discover asks every enabled source for the incoming servers of address and returns them
// ranked, with a log of what each source answered. The password is never needed or sent.
//
// The returned Result is non-nil whenever the address is valid, even together with an error,
// so that the caller can show the log: ErrNotFound when nothing was found, or the context's
// error when ctx ended first.
func Discover(ctx context.Context, address string, opts *Options) (*Result, error) {
	addr, err := parseAddress(address)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	s, err := newSettings(opts)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", addr.full, err)
	}
	r := &run{addr: addr, s: s}
	r.askSources(ctx)
	res := r.result()
	if err := ctxErr(ctx); err != nil {
		return res, fmt.Errorf("discover %s: %w", addr.full, err)
	}
	if len(res.Candidates) == 0 {
		return res, r.notFound()
	}
	return res, nil
}

// settings are the Options with defaults filled in.
type settings struct {
	client         *http.Client
	resolver       Resolver
	dialer         Dialer
	tls            *trust.Options
	timeout        time.Duration
	probeTimeout   time.Duration
	maxProbes      int
	sources        map[string]bool
	omitAddress    bool
	noHTTPFallback bool
	ispdbURL       string
}

func newSettings(opts *Options) (*settings, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	s := &settings{
		resolver: o.Resolver, dialer: o.Dialer, tls: o.TLS,
		timeout: o.Timeout, probeTimeout: o.ProbeTimeout, maxProbes: o.MaxProbes,
		omitAddress: o.OmitAddress, noHTTPFallback: o.NoHTTPFallback,
		ispdbURL: cmp.Or(o.ISPDBURL, DefaultISPDBURL),
		sources:  map[string]bool{},
	}
	if u, err := url.Parse(s.ispdbURL); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("ISPDB URL %q is not an https URL", s.ispdbURL)
	}
	if s.resolver == nil {
		s.resolver = net.DefaultResolver
	}
	if s.dialer == nil {
		s.dialer = &net.Dialer{}
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.probeTimeout <= 0 {
		s.probeTimeout = DefaultProbeTimeout
	}
	if s.maxProbes <= 0 {
		s.maxProbes = DefaultMaxProbes
	}
	if o.Sources == nil {
		o.Sources = sourceGroups
	}
	for _, name := range o.Sources {
		if !slices.Contains(sourceGroups, name) {
			return nil, fmt.Errorf("unknown source %q", name)
		}
		s.sources[name] = true
	}
	s.client = newHTTPClient(o.HTTPClient, s.dialer, s.tls)
	return s, nil
}

// run is one Discover call: the sources write into it concurrently.
type run struct {
	addr emailAddress
	s    *settings

	mu        sync.Mutex
	found     []found
	log       []LogEntry
	mxDomains []string // registrable domains of the MX hosts: the "MX provider" of the rules
}

// askSources starts every enabled source and waits for all of them.
func (r *run) askSources(ctx context.Context) {
	var wg sync.WaitGroup
	start := func(name string, f func(context.Context)) {
		if r.s.sources[name] {
			r.goSafe(&wg, name, func() { f(ctx) })
		}
	}
	start(SourceAutoconfig, r.autoconfigSource)
	start(SourceBuiltin, r.builtinSource)
	start(SourceISPDB, r.ispdbSource)
	start(SourceSRV, r.srvSource)
	start(SourceMX, r.mxSource)
	start(SourceGuess, r.guessSource)
	wg.Wait()
}

// goSafe runs f in a goroutine that turns a panic into a log entry, so that a bug in one
// source (or a hostile answer that trips one) costs that source, not the whole application.
func (r *run) goSafe(wg *sync.WaitGroup, source string, f func()) {
	wg.Go(func() {
		defer func() {
			if p := recover(); p != nil {
				r.addLog(LogEntry{Source: source, Result: "internal error", Err: fmt.Sprintf("panic: %v", p)})
			}
		}()
		f()
	})
}

func (r *run) add(fs ...found) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.found = append(r.found, fs...)
}

func (r *run) addLog(e LogEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, e)
}

func (r *run) addMXDomain(d string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.mxDomains, d) {
		r.mxDomains = append(r.mxDomains, d)
	}
}

// result ranks what the sources found; call it after askSources.
func (r *run) result() *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	cands, dupLog := rank(r.found, r.addr, r.mxDomains)
	log := append(slices.Clone(r.log), dupLog...)
	sortLog(log)
	return &Result{Address: r.addr.full, Candidates: cands, Log: log}
}

// notFound builds the ErrNotFound error, adding the network error when every network source
// failed with a temporary one, so the GUI can say "check your connection" instead of "your
// provider is unknown".
func (r *run) notFound() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var netErr error
	for _, e := range r.log {
		if e.Source == SourceBuiltin {
			continue
		}
		if e.err == nil || !isTemporary(e.err) {
			return fmt.Errorf("discover %s: %w", r.addr.full, ErrNotFound)
		}
		netErr = e.err
	}
	if netErr == nil {
		return fmt.Errorf("discover %s: %w", r.addr.full, ErrNotFound)
	}
	return fmt.Errorf("discover %s: %w: %w", r.addr.full, ErrNotFound, netErr)
}

// ctxErr is ctx.Err(), but also reports a deadline that has passed while the context's timer
// has not fired yet: connection deadlines are set from it and may expire first, and a probe
// that timed out must not look like an answer.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}
