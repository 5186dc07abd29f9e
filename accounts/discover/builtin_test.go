package discover

import (
	"cmp"
	"slices"
	"testing"
)

// TestBuiltinEveryDomain asks, offline, for an address at every domain of every built-in
// provider: each must answer with the provider's implicit-TLS servers and the sign-in it
// requires. Outlook.com is OAuth2-only, as the ISPDB says.
func TestBuiltinEveryDomain(t *testing.T) {
	n := 0
	for _, p := range providers {
		for _, d := range p.Domains {
			n++
			res, err := Discover(t.Context(), "anna@"+d, &Options{Sources: []string{SourceBuiltin}})
			if err != nil {
				t.Errorf("%s: %v", d, err)
				continue
			}
			for _, s := range p.Servers {
				c, ok := res.Best(s.Protocol)
				switch {
				case !ok || c.Host != s.Host || c.Security != SecurityTLS || c.NeedsConfirmation:
					t.Errorf("%s: Best(%s) = %+v, want %s", d, s.Protocol, c, s.Host)
				case s.Protocol == ProtocolIMAP && c.Port != 993, s.Protocol == ProtocolPOP3 && c.Port != 995:
					t.Errorf("%s: %s port %d", d, s.Protocol, c.Port)
				case c.Authentication != cmp.Or(p.Auth, AuthPassword) || c.OAuthProvider != p.OAuthProvider:
					t.Errorf("%s: authentication %q via %q", d, c.Authentication, c.OAuthProvider)
				}
			}
		}
	}
	t.Logf("%d domains of %d providers answered", n, len(providers))
}

// TestBuiltinAgreesWithISPDB spot-checks what the ISPDB data (thunderbird/autoconfig)
// says for domains the table once lacked, and which providers require OAuth2.
func TestBuiltinAgreesWithISPDB(t *testing.T) {
	for _, tc := range []struct {
		domain, imapHost, auth, oauth string
	}{
		{"gmx.eu", "imap.gmx.net", AuthPassword, ""},
		{"mail.gmx", "imap.gmx.net", AuthPassword, ""},
		{"gmx.co.uk", "imap.gmx.com", AuthPassword, ""},
		{"posteo.us", "posteo.de", AuthPassword, ""},
		{"onlinehome.de", "imap.ionos.de", AuthPassword, ""},
		{"rzone.de", "imap.strato.de", AuthPassword, ""},
		{"outlook.at", "outlook.office365.com", AuthOAuth2, "microsoft"},
		{"hotmail.co.uk", "outlook.office365.com", AuthOAuth2, "microsoft"},
		{"windowslive.com", "outlook.office365.com", AuthOAuth2, "microsoft"},
		{"google.com", "imap.gmail.com", AuthPasswordOrOAuth2, "google"},
		{"cox.net", "imap.mail.yahoo.com", AuthPasswordOrOAuth2, ""},
		{"magenta.de", "secureimap.t-online.de", AuthPassword, ""},
		{"mac.com", "imap.mail.me.com", AuthPassword, ""},
	} {
		p := providerByDomain(tc.domain)
		if p == nil {
			t.Errorf("%s: no built-in entry", tc.domain)
			continue
		}
		if !slices.ContainsFunc(p.Servers, func(s builtinServer) bool { return s.Protocol == ProtocolIMAP && s.Host == tc.imapHost }) ||
			cmp.Or(p.Auth, AuthPassword) != tc.auth || p.OAuthProvider != tc.oauth {
			t.Errorf("%s: %s, auth %q via %q; want %s, %s via %q", tc.domain, p.Name, p.Auth, p.OAuthProvider, tc.imapHost, tc.auth, tc.oauth)
		}
	}
}
