package pop3

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
)

func TestAuthOAuth2(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	xoauth2 := func(tok string) string { return b64("user=" + testUser + "\x01auth=Bearer " + tok + "\x01\x01") }
	bearer := func(tok string) string {
		return b64("n,a=" + testUser + ",\x01host=127.0.0.1\x01port=995\x01auth=Bearer " + tok + "\x01\x01")
	}
	longTok := strings.Repeat("T", 1500) // Microsoft's access tokens are this long
	refusal := b64(`{"status":"invalid_token","schemes":"bearer","scope":"pop"}`)
	tests := []struct {
		name     string
		caps     []string
		token    string
		exchange []string
		wantErr  []error // nil: success
	}{
		{
			name:     "XOAUTH2 when it is the only one (Microsoft)",
			caps:     []string{"SASL PLAIN XOAUTH2", "USER"},
			token:    "tok",
			exchange: []string{"C: AUTH XOAUTH2 " + xoauth2("tok"), "S: +OK logged in"},
		},
		{
			name:     "OAUTHBEARER preferred",
			caps:     []string{"SASL XOAUTH2 OAUTHBEARER"},
			token:    "tok",
			exchange: []string{"C: AUTH OAUTHBEARER " + bearer("tok"), "S: +OK logged in"},
		},
		{
			name:     "long token waits for the continuation",
			caps:     []string{"SASL XOAUTH2"},
			token:    longTok,
			exchange: []string{"C: AUTH XOAUTH2", "S: + ", "C: " + xoauth2(longTok), "S: +OK logged in"},
		},
		{
			name:     "refused token: error challenge answered, then -ERR",
			caps:     []string{"SASL OAUTHBEARER"},
			token:    "old",
			exchange: []string{"C: AUTH OAUTHBEARER " + bearer("old"), "S: + " + refusal, "C: " + b64("\x01"), "S: -ERR [AUTH] Authentication failed."},
			wantErr:  []error{mailerr.ErrAuthFailed},
		},
		{
			name:     "refused XOAUTH2 answered with an empty line",
			caps:     []string{"SASL XOAUTH2"},
			token:    "old",
			exchange: []string{"C: AUTH XOAUTH2 " + xoauth2("old"), "S: + " + refusal, "C: ", "S: -ERR invalid token"},
			wantErr:  []error{mailerr.ErrAuthFailed},
		},
		{
			name:     "mailbox locked is temporary",
			caps:     []string{"SASL XOAUTH2"},
			token:    "tok",
			exchange: []string{"C: AUTH XOAUTH2 " + xoauth2("tok"), "S: -ERR [IN-USE] locked"},
			wantErr:  []error{mailerr.ErrTemporary},
		},
		{
			name:    "not offered: nothing sent",
			caps:    []string{"SASL PLAIN", "USER"},
			token:   "tok",
			wantErr: []error{ErrMechanismNotOffered},
		},
		{
			name:    "no CAPA SASL at all",
			caps:    []string{"USER"},
			token:   "tok",
			wantErr: []error{ErrMechanismNotOffered},
		},
		{
			name:     "garbage challenge is cancelled",
			caps:     []string{"SASL XOAUTH2"},
			token:    "tok",
			exchange: []string{"C: AUTH XOAUTH2 " + xoauth2("tok"), "S: + !!!", "C: *", "S: -ERR cancelled"},
			wantErr:  []error{mailerr.ErrProtocol},
		},
		{
			name:     "endless challenges are cancelled",
			caps:     []string{"SASL XOAUTH2"},
			token:    "tok",
			exchange: []string{"C: AUTH XOAUTH2 " + xoauth2("tok"), "S: + " + refusal, "C: ", "S: + " + refusal, "C: *", "S: -ERR cancelled"},
			wantErr:  []error{}, // the mechanism's own error; any error will do
		},
		{
			name:     "+OK to a cancel breaks the session",
			caps:     []string{"SASL XOAUTH2"},
			token:    "tok",
			exchange: []string{"C: AUTH XOAUTH2 " + xoauth2("tok"), "S: + !!!", "C: *", "S: +OK whatever"},
			wantErr:  []error{mailerr.ErrProtocol},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			script := append([]string{"S: +OK POP3 ready"}, capaLines(tc.caps...)...)
			script = append(script, tc.exchange...)
			if tc.wantErr == nil {
				script = append(script, capaLines(tc.caps...)...)
			}
			srv := newScript(t, script...)
			c, err := Dial(context.Background(), srv.addr(), testOptions(t, Plain))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.AuthOAuth2(context.Background(), testUser, tc.token, "127.0.0.1", 995)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("AuthOAuth2: %v", err)
			case tc.wantErr != nil && (err == nil || !errIs(err, tc.wantErr...)):
				t.Fatalf("AuthOAuth2 = %v, want %v", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error leaks the token: %v", err)
			}
			c.Close()
			srv.clientWrote() // waits for the script, which checks every line
		})
	}
}

// TestAuthSASLNeedsTLS: no token over an unencrypted connection unless the caller
// allowed plaintext.
func TestAuthSASLNeedsTLS(t *testing.T) {
	srv := newScript(t, append(append([]string{"S: +OK POP3 ready"}, capaLines("SASL XOAUTH2", "STLS")...), "STALL")...)
	c, err := Dial(context.Background(), srv.addr(), testOptions(t, Plain))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.plainOK = false // as if the connection had been dialled without the opt-in
	err = c.AuthOAuth2(context.Background(), testUser, "tok", "", 0)
	if !errors.Is(err, mailerr.ErrPlaintextRefused) {
		t.Fatalf("err = %v, want ErrPlaintextRefused", err)
	}
	c.Close()
	if w := srv.clientWrote(); strings.Contains(w, "AUTH") {
		t.Errorf("client sent %q", w)
	}
}
