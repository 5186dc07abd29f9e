package discover

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
)

// Most custom domains are hosted by a provider whose mail exchangers reveal it:
// example.de MX mx00.ionos.de → IONOS, MX example-de.mail.protection.outlook.com → Microsoft
// 365. The registrable domain of each MX host (its "MX provider") is looked up in the built-in
// table, or else asked for its own autoconfig document. The MX provider's domains also count
// as "the address's own" for the confirmation rule, as the issue defines it.

// Bounds on what an MX answer can make Postfach do.
const (
	maxMXHosts     = 10 // MX hosts whose domains count for the confirmation rule
	maxMXProviders = 2  // provider domains looked up further
)

// mxSource looks up the MX records and follows them to the provider's settings.
func (r *run) mxSource(ctx context.Context) {
	lookupCtx, cancel := context.WithTimeout(ctx, r.s.timeout)
	start := time.Now()
	mxs, err := r.s.resolver.LookupMX(lookupCtx, r.addr.domain+".")
	cancel()
	took := time.Since(start)
	target := "MX " + r.addr.domain
	if err != nil && len(mxs) == 0 {
		if isNotFound(err) {
			r.addLog(LogEntry{Source: SourceMX, Target: target, Duration: took, Result: "no record"})
		} else {
			r.addLog(failed(SourceMX, target, took, "lookup failed", mailerr.Classify(err)))
		}
		return
	}
	mxs = slices.Clone(mxs)
	slices.SortStableFunc(mxs, func(a, b *net.MX) int { return int(a.Pref) - int(b.Pref) })

	own := registrableDomain(r.addr.domain)
	type lead struct{ host, domain string }
	var leads []lead
	var hosts []string
	for i, mx := range mxs {
		host := normalizeHost(mx.Host)
		if host == "" {
			// RFC 7505 null MX: the domain accepts no mail at all.
			r.addLog(LogEntry{Source: SourceMX, Target: target, Duration: took, Result: `null MX ("."): the domain receives no mail`})
			return
		}
		if !accounts.ValidHostname(host) || i >= maxMXHosts {
			continue
		}
		hosts = append(hosts, host)
		d := registrableDomain(host)
		r.addMXDomain(d)
		if d != own && len(leads) < maxMXProviders && !slices.ContainsFunc(leads, func(l lead) bool { return l.domain == d }) {
			leads = append(leads, lead{host, d})
		}
	}
	var names []string
	for _, l := range leads {
		names = append(names, l.domain)
	}
	result := strings.Join(hosts, ", ")
	if len(names) > 0 {
		result += " → provider " + strings.Join(names, ", ")
	} else {
		result += " (the domain's own mail exchangers)"
	}
	r.addLog(LogEntry{Source: SourceMX, Target: target, Duration: took, Result: result})

	for _, l := range leads {
		via := fmt.Sprintf("MX %s → %s", l.host, l.domain)
		if p := providerByMX(l.domain); p != nil {
			fs := p.candidates(r.addr, SourceMX, via+": built-in entry "+p.Name)
			r.add(fs...)
			r.addLog(LogEntry{Source: SourceMX, Target: l.domain, Result: "built-in entry " + p.Name + ": " + describe(fs)})
			continue
		}
		// The provider is not the address's domain, so the address is not sent to it; the
		// ISPDB, asked at the same time, gets the provider's domain only.
		var wg sync.WaitGroup
		if r.s.sources[SourceISPDB] {
			r.goSafe(&wg, SourceMX, func() { r.ispdbFetch(ctx, l.domain, SourceMX, via) })
		}
		r.fetchAll(ctx, []fetchJob{
			{source: SourceMX, via: via, url: "https://autoconfig." + l.domain + "/mail/config-v1.1.xml"},
			{source: SourceMX, via: via, url: "https://" + l.domain + "/.well-known/autoconfig/mail/config-v1.1.xml"},
		})
		wg.Wait()
	}
}
