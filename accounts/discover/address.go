package discover

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// emailAddress is a parsed address: the domain is what every source looks up.
type emailAddress struct {
	full   string // local@domain
	local  string
	domain string // lower-case ASCII (IDNA) form
}

// parseAddress accepts "local@domain" as users type it. Display names ("Anna <a@b>") are not
// accepted: the wizard has a separate name field.
func parseAddress(s string) (emailAddress, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (emailAddress, error) {
		return emailAddress{}, fmt.Errorf("%q: %w: %s", s, ErrInvalidAddress, why)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return bad("no @")
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case local == "":
		return bad("nothing before the @")
	case len(local) > 64:
		return bad("the part before the @ is longer than 64 bytes")
	case !utf8.ValidString(local):
		return bad("not valid UTF-8")
	case strings.ContainsFunc(local, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`"<>()[]\,;:@`, r)
	}):
		return bad("the part before the @ holds a space or a special character")
	}
	// IDNA turns "müller.de" into "xn--mller-kva.de", the form DNS and certificates use.
	ascii, err := idna.Lookup.ToASCII(strings.TrimSuffix(domain, "."))
	if err != nil {
		return bad("the domain is not a valid name")
	}
	ascii = strings.ToLower(ascii)
	if !validHostname(ascii) {
		return bad("the domain is not a valid name")
	}
	return emailAddress{full: local + "@" + ascii, local: local, domain: ascii}, nil
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

// validHostname reports whether h is a fully qualified ASCII host name: at least two labels
// of letters, digits and inner hyphens, no IP address literal. Hosts from documents and DNS
// answers must pass it before Postfach connects anywhere or shows them.
func validHostname(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	// A numeric last label means an IPv4 literal, which has no place in published settings.
	return strings.TrimLeft(labels[len(labels)-1], "0123456789") != ""
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
