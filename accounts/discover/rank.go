package discover

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Ranking puts what the user can use safely and without questions first. In order of
// importance:
//
//  1. plaintext last (only shown, never chosen);
//  2. candidates that need confirmation after all that do not, so that Best only proposes a
//     server the user has to vouch for when nothing else was found;
//  3. the source: the provider's HTTPS autoconfig ≈ built-in ≈ Thunderbird's ISPDB > SRV >
//     MX-derived > guess > plain-HTTP autoconfig;
//  4. implicit TLS before STARTTLS (RFC 8314 section 3.3);
//  5. the order within the source (document order, SRV priority and weight, guess order),
//     then IMAP before POP3.
//
// Identical protocol/host/port from several sources become one candidate, from the best one;
// the others are kept in AlsoFoundBy and in the log.

// found is a candidate with what ranking needs to know about it.
type found struct {
	Candidate
	seq int // order within its source
	// curated marks hosts from Postfach's own table: they are not attacker-controlled data,
	// so they are never "another domain".
	curated bool
}

// sourceOrder ranks the sources; autoconfig and built-in share a tier (the ≈ above) and
// are told apart only after the security level.
var sourceOrder = map[string]struct{ tier, sub int }{
	SourceAutoconfig:          {0, 0},
	SourceAutoconfigWellKnown: {0, 1},
	SourceBuiltin:             {0, 2},
	SourceISPDB:               {0, 3},
	SourceSRV:                 {1, 0},
	SourceMX:                  {2, 0},
	SourceGuess:               {3, 0},
	SourceAutoconfigHTTP:      {4, 0},
}

var securityOrder = map[string]int{SecurityTLS: 0, SecuritySTARTTLS: 1, SecurityNone: 2}

// rank flags, sorts and deduplicates fs. mxDomains are the registrable domains of the
// address's MX hosts. It returns the candidates and log entries for merged duplicates.
func rank(fs []found, addr emailAddress, mxDomains []string) ([]Candidate, []LogEntry) {
	allowed := append([]string{registrableDomain(addr.domain), addr.domain}, mxDomains...)
	fs = slices.Clone(fs)
	for i := range fs {
		flagCandidate(&fs[i], addr.domain, allowed)
		// SRV and guessing cannot know; a server that nobody describes expects a password.
		fs[i].Authentication = cmp.Or(fs[i].Authentication, AuthPassword)
	}
	slices.SortStableFunc(fs, compareFound)

	var out []Candidate
	var log []LogEntry
	index := map[string]int{}
	for _, f := range fs {
		key := fmt.Sprintf("%s %s:%d", f.Protocol, f.Host, f.Port)
		i, dup := index[key]
		if !dup {
			index[key] = len(out)
			out = append(out, f.Candidate)
			continue
		}
		if f.Source != out[i].Source && !slices.Contains(out[i].AlsoFoundBy, f.Source) {
			out[i].AlsoFoundBy = append(out[i].AlsoFoundBy, f.Source)
		}
		log = append(log, LogEntry{Source: SourceRank, Target: key,
			Result: fmt.Sprintf("also found by %s (%s); kept the one from %s", f.Source, f.Detail, out[i].Source)})
	}
	for i := range out {
		out[i].Rank = i + 1
	}
	return out, log
}

// flagCandidate sets NeedsConfirmation and the reasons. allowed are the domains whose hosts need no
// confirmation: the address's domain and its MX provider's.
func flagCandidate(f *found, domain string, allowed []string) {
	var codes, reasons []string
	if f.Security == SecurityNone {
		codes = append(codes, ReasonPlaintext)
		reasons = append(reasons, "The server is offered only without encryption: the password would be readable by anyone on the network.")
	}
	if f.Source == SourceAutoconfigHTTP {
		codes = append(codes, ReasonHTTP)
		reasons = append(reasons, "These settings came over unencrypted HTTP, so anyone on the network could have changed them.")
	}
	if !f.curated && !slices.ContainsFunc(allowed, func(d string) bool { return inDomain(f.Host, d) }) {
		codes = append(codes, ReasonOtherDomain)
		reasons = append(reasons, fmt.Sprintf("The server %s is outside %s and its mail provider's domain: make sure it belongs to your provider.", f.Host, domain))
	}
	f.NeedsConfirmation = len(codes) > 0
	f.ConfirmCodes = codes
	f.ConfirmReason = strings.Join(reasons, " ")
}

func compareFound(a, b found) int {
	sa, sb := sourceOrder[a.Source], sourceOrder[b.Source]
	return cmp.Or(
		cmp.Compare(securityOrder[a.Security]/2, securityOrder[b.Security]/2), // plaintext last
		compareBool(a.NeedsConfirmation, b.NeedsConfirmation),
		cmp.Compare(sa.tier, sb.tier),
		cmp.Compare(securityOrder[a.Security], securityOrder[b.Security]),
		cmp.Compare(sa.sub, sb.sub),
		cmp.Compare(a.seq, b.seq),
		cmp.Compare(a.Protocol, b.Protocol), // "imap" < "pop3"
	)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// logOrder is the order of sources in the log, the order the wizard lists them in.
var logOrder = []string{SourceAutoconfig, SourceAutoconfigWellKnown, SourceAutoconfigHTTP, SourceBuiltin, SourceISPDB, SourceSRV, SourceMX, SourceGuess, SourceRank}

// sortLog orders the log by source, then target, so that runs compare and read alike
// although the sources answered in parallel.
func sortLog(log []LogEntry) {
	slices.SortStableFunc(log, func(a, b LogEntry) int {
		return cmp.Or(
			cmp.Compare(slices.Index(logOrder, a.Source), slices.Index(logOrder, b.Source)),
			cmp.Compare(a.Target, b.Target),
		)
	})
}
