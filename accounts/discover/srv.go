package discover

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
)

// RFC 6186 lets a domain publish its mail servers as SRV records. Thunderbird has ignored
// them for over a decade (Mozilla bug 342242); Postfach asks. An SRV answer is unauthenticated
// DNS, so a target outside the address's domain and its MX provider needs confirmation, and
// the certificate is checked against the target the user confirmed (RFC 7817 section 3).

// srvServices are the four RFC 6186 services; _imap and _pop3 mean STARTTLS, which the
// account then enforces (RFC 8314 section 4.1 forbids falling back to plaintext).
var srvServices = []struct{ service, protocol, security string }{
	{"imaps", ProtocolIMAP, SecurityTLS},
	{"imap", ProtocolIMAP, SecuritySTARTTLS},
	{"pop3s", ProtocolPOP3, SecurityTLS},
	{"pop3", ProtocolPOP3, SecuritySTARTTLS},
}

// srvSource looks all four services up at once.
func (r *run) srvSource(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, r.s.timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, svc := range srvServices {
		r.goSafe(&wg, SourceSRV, func() { r.lookupSRV(ctx, svc.service, svc.protocol, svc.security) })
	}
	wg.Wait()
}

func (r *run) lookupSRV(ctx context.Context, service, protocol, security string) {
	name := "_" + service + "._tcp." + r.addr.domain
	start := time.Now()
	// The trailing dot makes the name absolute: a resolv.conf search domain must never turn
	// _imaps._tcp.example.com into _imaps._tcp.example.com.corp.example.
	_, recs, err := r.s.resolver.LookupSRV(ctx, service, "tcp", r.addr.domain+".")
	took := time.Since(start)
	if err != nil && len(recs) == 0 {
		if isNotFound(err) {
			r.addLog(LogEntry{Source: SourceSRV, Target: name, Duration: took, Result: "no record"})
		} else {
			r.addLog(failed(SourceSRV, name, took, "lookup failed", mailerr.Classify(err)))
		}
		return
	}
	// RFC 6186 section 4: a single record with target "." says the service is not offered.
	if len(recs) == 1 && normalizeHost(recs[0].Target) == "" {
		r.addLog(LogEntry{Source: SourceSRV, Target: name, Duration: took, Result: `not offered (target ".")`})
		return
	}
	recs = slices.Clone(recs)
	// Go's resolver shuffles equal priorities by weight; a ranked list wants a stable order,
	// so the heavier record comes first.
	slices.SortStableFunc(recs, func(a, b *net.SRV) int {
		if a.Priority != b.Priority {
			return int(a.Priority) - int(b.Priority)
		}
		return int(b.Weight) - int(a.Weight)
	})
	var fs []found
	var skipped []string
	for _, rec := range recs {
		host := normalizeHost(rec.Target)
		if !accounts.ValidHostname(host) || rec.Port == 0 {
			skipped = append(skipped, fmt.Sprintf("%s:%d", short(rec.Target), rec.Port))
			continue
		}
		fs = append(fs, found{
			Candidate: Candidate{
				Protocol: protocol, Host: host, Port: int(rec.Port), Security: security,
				// RFC 6186 section 5 leaves the user name open; the full address is what
				// nearly every provider expects.
				Username: r.addr.full, Source: SourceSRV,
				Detail: fmt.Sprintf("SRV %s priority %d weight %d", name, rec.Priority, rec.Weight),
			},
			// RFC 6186 section 3.4: priorities compare across services, so a domain can
			// prefer POP3 over IMAP.
			seq: int(rec.Priority)<<16 | int(0xffff-rec.Weight),
		})
	}
	r.add(fs...)
	result := fmt.Sprintf("%s: %s", plural(len(fs), "server"), describe(fs))
	if len(skipped) > 0 {
		result += "; invalid records skipped: " + strings.Join(skipped, ", ")
	}
	e := LogEntry{Source: SourceSRV, Target: name, Duration: took, Result: result}
	if err != nil {
		e.Err = err.Error() // Go drops malformed records and reports them along with the rest
	}
	r.addLog(e)
}

// isNotFound reports whether a DNS error means "no such record" rather than a failure.
func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// isTemporary reports whether a logged error is a network failure that may pass.
func isTemporary(err error) bool {
	return mailerr.IsTemporary(mailerr.Classify(err))
}
