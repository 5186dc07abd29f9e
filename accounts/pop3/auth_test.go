package pop3

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
)

func TestAuth(t *testing.T) {
	plainPayload := func(user, pass string) string {
		return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
	}
	longPass := strings.Repeat("p", 250)
	tests := []struct {
		name     string
		caps     []string
		pass     string // default testPass
		exchange []string
		wantErr  []error // nil: success
		notErr   error   // must not match
	}{
		{
			name:     "USER/PASS",
			caps:     []string{"USER", "UIDL"},
			exchange: []string{"C: USER alice", "S: +OK", "C: PASS " + testPass, "S: +OK maildrop locked"},
		},
		{
			name:     "AUTH PLAIN when offered",
			caps:     []string{"SASL PLAIN LOGIN", "USER"},
			exchange: []string{"C: AUTH PLAIN " + plainPayload(testUser, testPass), "S: +OK logged in"},
		},
		{
			name:     "USER/PASS when only SASL LOGIN is offered",
			caps:     []string{"SASL LOGIN"},
			exchange: []string{"C: USER alice", "S: +OK", "C: PASS " + testPass, "S: +OK"},
		},
		{
			name: "AUTH PLAIN too long for one line waits for the continuation",
			caps: []string{"SASL PLAIN"},
			pass: longPass,
			exchange: []string{"C: AUTH PLAIN", "S: + ", "C: " + plainPayload(testUser, longPass),
				"S: +OK logged in"},
		},
		{
			name:     "wrong password",
			caps:     []string{"USER"},
			exchange: []string{"C: USER alice", "S: +OK", "C: PASS " + testPass, "S: -ERR [AUTH] Authentication failed."},
			wantErr:  []error{mailerr.ErrAuthFailed},
		},
		{
			name:     "-ERR to PASS without code",
			caps:     []string{"USER"},
			exchange: []string{"C: USER alice", "S: +OK", "C: PASS " + testPass, "S: -ERR invalid password"},
			wantErr:  []error{mailerr.ErrAuthFailed},
		},
		{
			name:     "-ERR to USER: the password is never sent",
			caps:     []string{"USER"},
			exchange: []string{"C: USER alice", "S: -ERR no such user"},
			wantErr:  []error{mailerr.ErrAuthFailed},
		},
		{
			name:     "mailbox in use",
			caps:     []string{"USER"},
			exchange: []string{"C: USER alice", "S: +OK", "C: PASS " + testPass, "S: -ERR [IN-USE] mailbox locked"},
			wantErr:  []error{mailerr.ErrTemporary},
			notErr:   mailerr.ErrAuthFailed,
		},
		{
			name:     "login delay",
			caps:     []string{"USER", "LOGIN-DELAY 900"},
			exchange: []string{"C: USER alice", "S: +OK", "C: PASS " + testPass, "S: -ERR [LOGIN-DELAY] wait 15 minutes"},
			wantErr:  []error{mailerr.ErrTemporary},
			notErr:   mailerr.ErrAuthFailed,
		},
		{
			name:     "temporary system error",
			caps:     []string{"USER"},
			exchange: []string{"C: USER alice", "S: +OK", "C: PASS " + testPass, "S: -ERR [SYS/TEMP] try later"},
			wantErr:  []error{mailerr.ErrTemporary},
			notErr:   mailerr.ErrAuthFailed,
		},
		{
			name:     "permanent system error counts as refused",
			caps:     []string{"USER"},
			exchange: []string{"C: USER alice", "S: +OK", "C: PASS " + testPass, "S: -ERR [SYS/PERM] account disabled"},
			wantErr:  []error{mailerr.ErrAuthFailed},
		},
		{
			name:     "AUTH PLAIN refused",
			caps:     []string{"SASL PLAIN"},
			exchange: []string{"C: AUTH PLAIN " + plainPayload(testUser, testPass), "S: -ERR [AUTH] Authentication failed."},
			wantErr:  []error{mailerr.ErrAuthFailed},
		},
		{
			name: "AUTH PLAIN challenged again is cancelled",
			caps: []string{"SASL PLAIN"},
			exchange: []string{"C: AUTH PLAIN " + plainPayload(testUser, testPass), "S: + more please",
				"C: *", "S: -ERR cancelled"},
			wantErr: []error{mailerr.ErrAuthFailed},
		},
		{
			name:     "line break in password is refused before sending",
			caps:     []string{"USER"},
			pass:     "x\r\nDELE 1",
			exchange: []string{},
			wantErr:  []error{mailerr.ErrAuthFailed},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pass := tt.pass
			if pass == "" {
				pass = testPass
			}
			script := concat([]string{"S: +OK ready"}, capaLines(tt.caps...), tt.exchange)
			if tt.wantErr == nil {
				script = append(script, capaLines(tt.caps...)...)
			}
			srv := newScript(t, script...)
			c, err := Dial(context.Background(), srv.addr(), testOptions(t, Plain))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Auth(context.Background(), testUser, pass)
			c.Close()
			wrote := srv.clientWrote()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Auth: %v", err)
				}
				return
			}
			if err == nil || !errIs(err, tt.wantErr...) || (tt.notErr != nil && errors.Is(err, tt.notErr)) {
				t.Fatalf("Auth error %v, want %v and not %v", err, tt.wantErr, tt.notErr)
			}
			var se *mailerr.ServerError
			if errors.As(err, &se) && se.Command != "USER" && se.Command != "PASS" && se.Command != "AUTH PLAIN" {
				t.Errorf("ServerError.Command %q, want the bare command", se.Command)
			}
			for _, secret := range []string{pass, plainPayload(testUser, pass), "s3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error text %q contains a secret", err)
				}
			}
			if strings.Contains(tt.name, "never sent") || strings.Contains(tt.name, "before sending") {
				if strings.Contains(wrote, "PASS") {
					t.Errorf("password sent:\n%s", wrote)
				}
			}
		})
	}
}
