package discover

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"

	"github.com/postfach/postfach/accounts"
)

// emailAddress is a parsed address: the domain is what every source looks up.
type emailAddress struct {
	full   string // local@domain
	local  string
	domain string // lower-case ASCII (IDNA) form
}

// parseAddress accepts an address as accounts.ParseEmail does (the one address check),
// and keeps its parts for the lookups.
func parseAddress(s string) (emailAddress, error) {
	e, err := accounts.ParseEmail(s)
	if err != nil {
		return emailAddress{}, fmt.Errorf("%w: %w", ErrInvalidAddress, err)
	}
	return emailAddress{full: e.String(), local: e.Local, domain: e.Domain}, nil
}

// expand replaces the autoconfig placeholders (Mozilla's %EMAILADDRESS%, %EMAILLOCALPART%,
// %EMAILDOMAIN%) with the parts of a.
func (a emailAddress) expand(template string) string {
	return strings.NewReplacer(
		"%EMAILADDRESS%", a.full,
		"%EMAILLOCALPART%", a.local,
		"%EMAILDOMAIN%", a.domain,
	).Replace(template)
}

// errPlaceholder marks a template that uses a placeholder Postfach does not fill in.
var errPlaceholder = errors.New("unknown placeholder")

// checkPlaceholders rejects templates with placeholders other than the three known ones
// (%REALNAME% and friends only make sense for outgoing mail).
func checkPlaceholders(template string) error {
	rest := (emailAddress{full: "", local: "", domain: ""}).expand(template)
	if strings.Count(rest, "%") >= 2 {
		return fmt.Errorf("%w in %q", errPlaceholder, template)
	}
	return nil
}

// normalizeHost lower-cases a host name and drops the trailing dot DNS answers carry. The
// DNS root "." becomes "".
func normalizeHost(h string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
}

// registrableDomain returns the domain a host belongs to (its public suffix plus one label:
// mx00.emig.gmx.net → gmx.net, a.b.example.co.uk → example.co.uk). A host that is itself a
// public suffix is returned as it is.
func registrableDomain(host string) string {
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}

// inDomain reports whether host is domain or one of its subdomains.
func inDomain(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// cleanText makes untrusted text (provider names and notes from documents) safe to show:
// control characters removed, white space collapsed, at most max runes.
func cleanText(s string, max int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		// Format characters (bidi overrides, zero-width joiners) can make a host name in a
		// note look like another one.
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
	}), " ")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}
