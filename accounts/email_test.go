package accounts_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts"
)

var emailCases = []struct {
	in     string
	domain string // "" means invalid
}{
	{"anna@example.org", "example.org"},
	{"Anna.Beispiel@Example.ORG", "example.org"},
	{"jörg@müller.de", "xn--mller-kva.de"},
	{"a_b+tag@mail.example.co.uk", "mail.example.co.uk"},
	{"anna@example.org.", "example.org"},
	{"", ""},
	{"anna", ""},
	{"@example.com", ""},
	{"anna@", ""},
	{"anna@localhost", ""},
	{"anna@192.0.2.1", ""},
	{"an na@example.com", ""},
	{"Anna <anna@example.com>", ""},
	{`"a b"@example.com`, ""},
	{"anna@exa mple.com", ""},
	{"anna@example..com", ""},
	{"anna@-example.com", ""},
	{strings.Repeat("a", 65) + "@example.com", ""},
	{"anna@" + strings.Repeat("a", 64) + ".com", ""},
	{"anna@ex_ample.com", ""},
	{"anna\n@example.com", ""},
}

// TestParseEmail checks the one address check the config, the wizard and discovery share.
func TestParseEmail(t *testing.T) {
	for _, tc := range emailCases {
		t.Run(tc.in, func(t *testing.T) {
			e, err := accounts.ParseEmail(tc.in)
			if tc.domain == "" {
				if !errors.Is(err, accounts.ErrInvalidEmail) || accounts.ValidEmail(tc.in) {
					t.Errorf("accepted: %+v %v", e, err)
				}
				return
			}
			if err != nil || e.Domain != tc.domain {
				t.Fatalf("got %+v %v, want domain %q", e, err, tc.domain)
			}
			if accounts.ValidEmail(" "+tc.in) || !accounts.ValidEmail(tc.in) {
				t.Errorf("ValidEmail disagrees with ParseEmail on %q", tc.in)
			}
		})
	}
}

// FuzzParseEmail checks that any text either parses into a domain ValidHostname accepts
// or fails with ErrInvalidEmail, without panicking.
func FuzzParseEmail(f *testing.F) {
	for _, tc := range emailCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := accounts.ParseEmail(s)
		if err != nil {
			if !errors.Is(err, accounts.ErrInvalidEmail) {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if !accounts.ValidHostname(e.Domain) || e.Local == "" {
			t.Fatalf("%q parsed to %+v", s, e)
		}
	})
}
