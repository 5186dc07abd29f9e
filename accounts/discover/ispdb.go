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
// It is not asked when the built-in table knows the domain: the table was checked
// against the ISPDB (see builtin.go), and the question would only tell a third party
// which provider the user has.

// ispdbSource asks the ISPDB for the address's domain.
func (r *run) ispdbSource(ctx context.Context) {
	d := r.addr.domain
	target := strings.TrimSuffix(r.s.ispdbURL, "/") + "/" + url.PathEscape(d)
	if r.s.sources[SourceBuiltin] && providerByDomain(d) != nil {
		r.addLog(LogEntry{Source: SourceISPDB, Target: target, Result: "not asked: the built-in table knows " + d})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.s.timeout)
	defer cancel()
	start := time.Now()
	doc, err := fetchAutoconfig(ctx, r.s.client, target)
	took := time.Since(start)
	if err != nil {
		r.addLog(failed(SourceISPDB, target, took, "no entry", err))
		return
	}
	fs, problems := doc.candidates(r.addr, SourceISPDB, target)
	for i := range fs {
		fs[i].curated = true
	}
	r.add(fs...)
	result := fmt.Sprintf("%s: %s", plural(len(fs), "server"), describe(fs))
	if w := append(doc.Warnings, problems...); len(w) > 0 {
		result += "; " + strings.Join(w, "; ")
	}
	r.addLog(LogEntry{Source: SourceISPDB, Target: target, Duration: took, Result: result})
}
