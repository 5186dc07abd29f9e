package imap

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
)

// Every way a server (or a man in the middle) can avoid encryption must stop the session
// before any credential is sent.
func TestStartTLSRefused(t *testing.T) {
	tests := []struct {
		name      string
		greeting  string
		responses map[string]string
		noTLS     bool
		want      error
		wantCmds  []string // what the client may have sent
	}{
		{
			name:     "PREAUTH greeting",
			greeting: "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] already logged in",
			want:     mailerr.ErrStartTLSRefused,
			wantCmds: nil, // not even CAPABILITY
		},
		{
			name:      "no STARTTLS capability",
			greeting:  okGreeting,
			responses: map[string]string{"CAPABILITY": "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done"},
			want:      mailerr.ErrStartTLSRefused,
			wantCmds:  []string{"CAPABILITY"},
		},
		{
			name:      "STARTTLS capability only in the greeting",
			greeting:  "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready",
			responses: map[string]string{"CAPABILITY": "* CAPABILITY IMAP4rev1\r\n{tag} OK done"},
			want:      mailerr.ErrStartTLSRefused,
			wantCmds:  []string{"CAPABILITY"},
		},
		{
			name:      "STARTTLS answered NO",
			greeting:  okGreeting,
			responses: map[string]string{"STARTTLS": "{tag} NO TLS not available"},
			want:      mailerr.ErrStartTLSRefused,
			wantCmds:  []string{"CAPABILITY", "STARTTLS"},
		},
		{
			name:      "STARTTLS answered BAD",
			greeting:  okGreeting,
			responses: map[string]string{"STARTTLS": "{tag} BAD unknown command"},
			want:      mailerr.ErrStartTLSRefused,
			wantCmds:  []string{"CAPABILITY", "STARTTLS"},
		},
		{
			name:      "connection closed instead of STARTTLS OK",
			greeting:  okGreeting,
			responses: map[string]string{"STARTTLS": closeConn},
			want:      mailerr.ErrStartTLSRefused,
			wantCmds:  []string{"CAPABILITY", "STARTTLS"},
		},
		{
			name:     "injected capability after STARTTLS OK",
			greeting: okGreeting,
			responses: map[string]string{"STARTTLS": "{tag} OK Begin TLS\r\n" +
				"* CAPABILITY IMAP4rev1 AUTH=PLAIN QUOTA"},
			noTLS:    true,
			want:     mailerr.ErrStartTLSRefused,
			wantCmds: []string{"CAPABILITY", "STARTTLS"},
		},
		{
			name:     "injected tagged OK after STARTTLS OK",
			greeting: okGreeting,
			responses: map[string]string{"STARTTLS": "{tag} OK Begin TLS\r\n" +
				"T1 OK [CAPABILITY IMAP4rev1] LOGIN completed"},
			noTLS:    true,
			want:     mailerr.ErrStartTLSRefused,
			wantCmds: []string{"CAPABILITY", "STARTTLS"},
		},
		{
			name:     "garbage greeting",
			greeting: "HTTP/1.1 400 Bad Request",
			want:     mailerr.ErrProtocol,
			wantCmds: nil,
		},
		{
			name:     "BYE greeting",
			greeting: "* BYE [UNAVAILABLE] Too many connections",
			want:     mailerr.ErrTemporary,
			wantCmds: nil,
		},
		{
			name:      "CAPABILITY refused",
			greeting:  okGreeting,
			responses: map[string]string{"CAPABILITY": "{tag} BAD no"},
			want:      mailerr.ErrStartTLSRefused,
			wantCmds:  []string{"CAPABILITY"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(tt.greeting, tt.responses)
			f.noTLS = tt.noTLS
			rep, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, f.options(SecurityStartTLS), true)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Fetch = %v, %v; want error %v", rep, err, tt.want)
			}
			if strings.Contains(err.Error(), fakePass) {
				t.Errorf("password in error: %v", err)
			}
			f.wait(t)
			f.assertNoCredentials(t)
			if got := f.commands(); !slices.Equal(got, tt.wantCmds) {
				t.Errorf("client sent %q, want %q", got, tt.wantCmds)
			}
		})
	}
}

// RFC 2595 section 3.1: nothing learnt before TLS survives it. The server lies in clear
// (QUOTA, LOGINDISABLED, and in the STARTTLS OK's own CAPABILITY code, which go-imap
// would keep) and tells the truth over TLS.
func TestStartTLSDiscardsPlaintextCaps(t *testing.T) {
	f := newFake("* OK [CAPABILITY IMAP4rev1 STARTTLS QUOTA LOGINDISABLED] ready", map[string]string{
		"CAPABILITY": "* CAPABILITY IMAP4rev1 STARTTLS QUOTA LOGINDISABLED\r\n{tag} OK done",
		"STARTTLS": "* OK [CAPABILITY IMAP4rev1 QUOTA] untagged before the answer\r\n" +
			"{tag} OK [CAPABILITY IMAP4rev1 QUOTA LOGINDISABLED] Begin TLS",
		"LOGIN":          "{tag} OK Logged in", // no capability code: the client must ask
		"CAPABILITY@tls": "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done",
	})
	rep, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, f.options(SecurityStartTLS), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Supported || slices.Contains(rep.Caps, "QUOTA") {
		t.Errorf("plaintext QUOTA claim survived TLS: %+v", rep)
	}
	f.wait(t)
	cmds := f.commands()
	if slices.Contains(cmds, "GETQUOTAROOT@tls") {
		t.Errorf("GETQUOTAROOT sent on a plaintext capability: %q", cmds)
	}
	login := slices.Index(cmds, "LOGIN@tls")
	if login < 0 || !slices.Contains(cmds[:login], "CAPABILITY@tls") {
		t.Errorf("capabilities not re-read over TLS before LOGIN: %q", cmds)
	}
	if slices.Contains(cmds, "LOGIN") {
		t.Errorf("LOGIN sent in clear: %q", cmds)
	}
}

func TestFetchOverSTARTTLS(t *testing.T) {
	f := newFake(okGreeting, nil)
	rep, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, f.options(SecurityStartTLS), true)
	if err != nil {
		t.Fatal(err)
	}
	used, limit, ok := rep.Storage()
	if !rep.Supported || !ok || used != 10*1024 || limit != 100*1024 {
		t.Errorf("Storage = %d, %d, %v (supported %v), want 10240, 102400, true", used, limit, ok, rep.Supported)
	}
	if p, ok := rep.Percent(); !ok || p != 10 {
		t.Errorf("Percent = %v, %v; want 10, true", p, ok)
	}
	want := []Folder{{"INBOX", 3, 3000}, {"Sent", 1, 100}}
	if !slices.Equal(rep.Folders, want) {
		t.Errorf("Folders = %+v, want %+v", rep.Folders, want)
	}
	f.wait(t)
	cmds := f.commands()
	wantCmds := []string{"CAPABILITY", "STARTTLS", "CAPABILITY@tls", "LOGIN@tls", "GETQUOTAROOT@tls", "LIST@tls", "LOGOUT@tls"}
	if !slices.Equal(cmds, wantCmds) {
		t.Errorf("client sent %q, want %q", cmds, wantCmds)
	}
}
