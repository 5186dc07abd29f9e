package discover

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Thunderbird's ISPDB (the public thunderbird/autoconfig data, served at
// autoconfig.thunderbird.net) knows about 160 providers and their alias domains. It is
// asked like a provider's autoconfig, with three differences:
//
//   - only the domain is sent, never the address: the ISPDB is not the user's provider;
//   - only over HTTPS, with no plain-HTTP fallback: its answer names servers for every
//     address at the domain;
//   - its servers are trusted like the built-in table's ("curated"), so a server outside
//     the address's domain (hotmail.de → outlook.office365.com) needs no confirmation: the
//     data is reviewed by Thunderbird's maintainers and comes over authenticated HTTPS from
//     them, not from anyone on the user's network or in control of the domain's DNS.
//
// The MX source also asks it for the domain of a mail exchanger the built-in table does
// not know (mx.zoho.eu → zoho.eu), as Thunderbird does: custom domains of small offices
// are hosted by such providers. That sends the provider's domain, not the user's.
//
// It is not asked when the built-in table knows the domain: the table was checked
// against the ISPDB (see builtin.go), and the question would only tell a third party
// which provider the user has.

// ispdbSource asks the ISPDB for the address's domain.
func (r *run) ispdbSource(ctx context.Context) {
	d := r.addr.domain
	if r.s.sources[SourceBuiltin] && providerByDomain(d) != nil {
		r.addLog(LogEntry{Source: SourceISPDB, Target: r.ispdbTarget(d), Result: "not asked: the built-in table knows " + d})
		return
	}
	r.ispdbFetch(ctx, d, SourceISPDB, "")
}

// ispdbTarget is the ISPDB URL for domain.
func (r *run) ispdbTarget(domain string) string {
	return strings.TrimSuffix(r.s.ispdbURL, "/") + "/" + url.PathEscape(domain)
}

// ispdbFetch asks the ISPDB for domain and adds what it knows as curated candidates of
// source; via says how the domain was found (the MX source's "MX host → domain"). It
// reports whether any candidate came back.
func (r *run) ispdbFetch(ctx context.Context, domain, source, via string) bool {
	target := r.ispdbTarget(domain)
	ctx, cancel := context.WithTimeout(ctx, r.s.timeout)
	defer cancel()
	start := time.Now()
	doc, err := fetchAutoconfig(ctx, r.s.client, target)
	took := time.Since(start)
	if err != nil {
		r.addLog(failed(source, target, took, "no ISPDB entry", err))
		return false
	}
	detail := target
	if via != "" {
		detail = via + ": " + target
	}
	fs, problems := doc.candidates(r.addr, source, detail)
	for i := range fs {
		fs[i].curated = true
	}
	r.add(fs...)
	result := fmt.Sprintf("ISPDB: %s: %s", plural(len(fs), "server"), describe(fs))
	if w := append(doc.Warnings, problems...); len(w) > 0 {
		result += "; " + strings.Join(w, "; ")
	}
	r.addLog(LogEntry{Source: source, Target: target, Duration: took, Result: result})
	return len(fs) > 0
}
