package imap

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
)

func TestLoginOAuth2(t *testing.T) {
	const token = "ya29.access-token"
	xoauth2 := base64.StdEncoding.EncodeToString([]byte("user=alice\x01auth=Bearer " + token + "\x01\x01"))
	tests := []struct {
		name, caps, authResp string
		wantMech             string // "" when nothing may be sent
		want                 error  // nil: success
	}{
		{name: "XOAUTH2", caps: "IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2", authResp: "{tag} OK [CAPABILITY IMAP4rev1 QUOTA] Logged in", wantMech: "XOAUTH2"},
		{name: "OAUTHBEARER preferred", caps: "IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER", authResp: "{tag} OK [CAPABILITY IMAP4rev1 QUOTA] Logged in", wantMech: "OAUTHBEARER"},
		{name: "token refused", caps: "IMAP4rev1 SASL-IR AUTH=XOAUTH2", authResp: "{tag} NO [AUTHENTICATIONFAILED] Invalid token " + token, wantMech: "XOAUTH2", want: mailerr.ErrAuthFailed},
		{name: "no OAuth2 mechanism", caps: "IMAP4rev1 AUTH=PLAIN", want: errAnyLogin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(okGreeting, map[string]string{
				"CAPABILITY":   "* CAPABILITY " + tc.caps + "\r\n{tag} OK done",
				"AUTHENTICATE": tc.authResp,
			})
			f.implicitTLS = true
			s, err := Connect(context.Background(), fakeAddr, f.options(SecurityTLS))
			if err != nil {
				t.Fatal(err)
			}
			err = s.LoginOAuth2("alice", token, fakeHost, 993)
			s.Close()
			f.wait(t)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("LoginOAuth2: %v", err)
			case tc.want == errAnyLogin && err == nil, tc.want != nil && tc.want != errAnyLogin && !errors.Is(err, tc.want):
				t.Fatalf("LoginOAuth2 = %v, want %v", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token: %v", err)
			}
			if tc.want == nil && !slices.Contains(s.Caps(), "QUOTA") {
				t.Errorf("caps after login = %v", s.Caps())
			}
			var sent []string
			for _, l := range f.lines {
				if strings.Contains(l.text, "AUTHENTICATE") {
					sent = append(sent, l.text)
				}
			}
			switch {
			case tc.wantMech == "" && len(sent) > 0:
				t.Errorf("sent %q although no OAuth2 mechanism was offered", sent)
			case tc.wantMech != "" && (len(sent) != 1 || !strings.Contains(sent[0], "AUTHENTICATE "+tc.wantMech+" ")):
				t.Errorf("sent %q, want one AUTHENTICATE %s with initial response", sent, tc.wantMech)
			case tc.wantMech == "XOAUTH2" && !strings.HasSuffix(sent[0], " "+xoauth2):
				t.Errorf("XOAUTH2 initial response = %q, want %q", sent[0], xoauth2)
			}
		})
	}
}

var errAnyLogin = errors.New("any error")
