package discover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
)

// When no document or record names the servers, the usual host names are tried, as
// Thunderbird does: imap., pop., pop3., mail. and the bare domain. A guess becomes a candidate
// only if the server answered as IMAP or POP3 over TLS with a certificate valid for that
// name, so it can never be plaintext, and all guessed hosts are inside the address's domain.
// Implicit TLS is tried first (RFC 8314 section 3.3); STARTTLS only when it failed, and only
// if the server advertises it.

// guessChain is one host for one protocol: implicit TLS, then STARTTLS.
type guessChain struct {
	protocol, host        string
	tlsPort, starttlsPort int
	seq                   int
}

// guessPlan lists the chains in ranking order.
func guessPlan(domain string) []guessChain {
	var plan []guessChain
	for _, p := range []struct {
		protocol   string
		prefixes   []string
		tls, start int
	}{
		{ProtocolIMAP, []string{"imap.", "mail.", ""}, 993, 143},
		{ProtocolPOP3, []string{"pop.", "pop3.", "mail.", ""}, 995, 110},
	} {
		for i, prefix := range p.prefixes {
			plan = append(plan, guessChain{protocol: p.protocol, host: prefix + domain, tlsPort: p.tls, starttlsPort: p.start, seq: i})
		}
	}
	return plan
}

// guessSource probes every chain, at most maxProbes connections at a time.
func (r *run) guessSource(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, r.s.timeout)
	defer cancel()
	sem := make(chan struct{}, r.s.maxProbes)
	var wg sync.WaitGroup
	for _, c := range guessPlan(r.addr.domain) {
		r.goSafe(&wg, SourceGuess, func() {
			if r.tryProbe(ctx, sem, c, c.tlsPort, SecurityTLS) {
				return
			}
			r.tryProbe(ctx, sem, c, c.starttlsPort, SecuritySTARTTLS)
		})
	}
	wg.Wait()
}

// tryProbe probes one port, logs the outcome and adds a candidate if the server qualified.
func (r *run) tryProbe(ctx context.Context, sem chan struct{}, c guessChain, port int, security string) bool {
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		return false
	}
	if ctxErr(ctx) != nil { // select picks at random when both are ready
		return false
	}
	target := fmt.Sprintf("%s:%d (%s, %s)", c.host, port, c.protocol, security)
	ctx, cancel := context.WithTimeout(ctx, r.s.probeTimeout)
	defer cancel()
	start := time.Now()
	caps, err := probe(ctx, r.s.dialer, r.s.tls, c.protocol, c.host, port, security)
	took := time.Since(start)
	if err != nil {
		r.addLog(failed(SourceGuess, target, took, probeFailure(err), err))
		return false
	}
	summary := fmt.Sprintf("%s server, certificate valid; capabilities: %s", strings.ToUpper(c.protocol), capSummary(caps))
	r.add(found{
		Candidate: Candidate{
			Protocol: c.protocol, Host: c.host, Port: port, Security: security,
			Username: r.addr.full, Source: SourceGuess, Detail: "probed " + c.host + ": " + summary,
		},
		seq: c.seq,
	})
	r.addLog(LogEntry{Source: SourceGuess, Target: target, Duration: took, Result: summary})
	return true
}

// probeFailure names the kind of failure for the log.
func probeFailure(err error) string {
	var ce *trust.CertError
	switch {
	case errors.As(err, &ce):
		return "certificate not valid for this name: not a candidate"
	case errors.Is(err, mailerr.ErrStartTLSRefused):
		return "no STARTTLS: not a candidate (never used without encryption)"
	case errors.Is(err, mailerr.ErrTimeout):
		return "no answer in time"
	case errors.Is(err, mailerr.ErrUnreachable):
		return "unreachable"
	case errors.Is(err, mailerr.ErrProtocol):
		return "not a mail server of this kind"
	}
	return "failed"
}

// capSummary shortens a capability list for the log.
func capSummary(caps []string) string {
	const max = 10
	if len(caps) > max {
		return strings.Join(caps[:max], " ") + " …"
	}
	if len(caps) == 0 {
		return "(none listed)"
	}
	return strings.Join(caps, " ")
}
