package accounts

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrInvalidEmail is returned by ParseEmail; the wrapping error says why.
var ErrInvalidEmail = errors.New("not an e-mail address")

// Email is a parsed e-mail address.
type Email struct {
	Local  string // the part before the @, as typed
	Domain string // lower-case ASCII (IDNA) form: what DNS and certificates use
}

// String returns local@domain.
func (e Email) String() string { return e.Local + "@" + e.Domain }

// ParseEmail is the one address check of the config, the wizard and discovery. It
// accepts "local@domain" as users type it (surrounding space ignored), with a fully
// qualified domain ("anna@localhost" and IP literals are not addresses of a mail
// provider). Display names ("Anna <a@b>") and quoted local parts are refused: the name
// has a field of its own and the address becomes the login name.
func ParseEmail(s string) (Email, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (Email, error) {
		return Email{}, fmt.Errorf("%q: %w: %s", s, ErrInvalidEmail, why)
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
	if !ValidHostname(ascii) {
		return bad("the domain is not a valid name")
	}
	return Email{Local: local, Domain: ascii}, nil
}

// ValidEmail reports whether s is exactly an address ParseEmail accepts, without
// surrounding space.
func ValidEmail(s string) bool {
	_, err := ParseEmail(s)
	return err == nil && s == strings.TrimSpace(s)
}

// ValidHostname reports whether h is a fully qualified ASCII host name: at least two
// labels of letters, digits and inner hyphens, no IP address literal. Hosts from
// documents and DNS answers must pass it before Postfach connects anywhere or shows them.
func ValidHostname(h string) bool {
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
